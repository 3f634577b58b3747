"""The kernel side's fitting: which of the notebook's objects can play a role (run in the student's kernel).

Sent to the kernel with grader/inside/tracking.py, questions.py and helper.py and run in the same module,
`_grader_probe` (the order is grader/execute/kernels.py's `KERNEL_SIDE`; `_keep`, `kept`, `_lookup` and
`FIT_SECONDS` come from the files beside it). A module, a tensor, a loss or an optimizer fits a role when
it has the declared shape and kind; a function when it computes on the role's input (a trial call), as a
function of no arguments over one global tensor, or as an inline expression of the exercise's cells. This
file is never imported by the grader.
"""
# ruff: noqa: F821 - names of grader/inside/tracking.py and helper.py, run in the same module

import inspect
import re
import sys
import types


# ---------------------------------------------------------------- finding objects


def assess(spec, handles, model=""):
    """For each candidate handle ("@n", or a variable name): why it does not fit `spec` (None when it
    fits), and for modules the evidence of training. `model` (a handle) is the model an optimizer
    role must update: each optimizer's coverage of its parameters is reported."""
    answers = {}
    target = _lookup(model) if model else None
    for handle in handles:
        try:
            value = _lookup(handle)
        except LookupError as exc:
            answers[handle] = {"misfit": str(exc)}
            continue
        answer = {"misfit": _misfit(value, spec), "type": type(value).__name__}
        if answer["misfit"] is None and spec["kind"] == "module":
            answer["training"] = training_evidence(value)
            answer["calls"] = [count for count, _, _ in calls_of(value)]
        if answer["misfit"] is None and spec["kind"] == "optimizer" and target is not None:
            answer["covers"] = _coverage(value, target)
        if answer["misfit"] is None and spec["kind"] == "function":
            try:
                answer.update(_fit_function(value, spec))
            except Exception as exc:  # a signature or code object the student made strange
                answer.update(name=str(getattr(value, "__name__", "")), trial="could not be tried: %s" % str(exc)[:200])
        answers[handle] = answer
    return answers


# ---------------------------------------------------------------- functions by meaning

_PLOTTING = re.compile(r"(plot|show|visuali|draw|display)", re.IGNORECASE)  # names of functions that draw, not compute
_ADAPTED = {}  # id of a callable made here -> (the callable, the source text the checks read for it)


def _probe_input(spec):
    """The tensor a function role is tried on: float32 of the role's input shape (default 5 values in [-2, 2])."""
    import torch

    shape = spec.get("input_shape") or [5]
    count = 1
    for size in shape:
        count *= int(size)
    return torch.linspace(-2.0, 2.0, count).reshape(*shape)


def _fit_function(function, spec):
    """How a function answers the role's input: {"name", "trial": why it does not fit (None: it does),
    "adapted": {"handle", "global"} when it takes no argument and reads one global tensor}."""
    answer = {"name": getattr(function, "__name__", ""), "trial": None}
    callable_ = function
    if not _accepts_one_argument(function):
        if _PLOTTING.match(answer["name"]):  # drawing is no answer: not run, so it leaves no figure behind
            answer["trial"] = "a plotting function that takes no argument"
            return answer
        name = _single_global_tensor(function)
        if name is None:
            answer["trial"] = "does not take one argument (and reads no single global tensor)"
            return answer
        callable_ = _bound_to_global(function, name)
        answer["adapted"] = {"handle": "@%d" % _keep(callable_), "global": name}
    answer["trial"] = _trial(callable_, spec)
    return answer


def _accepts_one_argument(function):
    """Whether the function's signature binds one positional argument."""
    try:
        inspect.signature(function).bind(None)
    except TypeError:
        return False
    except ValueError:  # no signature to read (a built-in): the trial call decides
        return True
    return True


def _single_global_tensor(function):
    """The one global name a function of no arguments reads that holds a tensor, or None."""
    import dis

    import torch

    if not isinstance(function, types.FunctionType):
        return None
    try:
        inspect.signature(function).bind()
    except (TypeError, ValueError):
        return None
    names = set()
    codes = [function.__code__]
    while codes:  # the function's own code and the code of what it defines (comprehensions, lambdas)
        code = codes.pop()
        names.update(i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME"))
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    scope = function.__globals__
    tensors = [name for name in names if isinstance(name, str) and isinstance(scope.get(name), torch.Tensor)]
    return tensors[0] if len(tensors) == 1 else None


def _bound_to_global(function, name):
    """A one-argument callable: `function` run with global `name` bound to the argument, in a copy of its
    globals (the student's namespace is never modified)."""

    def bound(x):
        scope = dict(function.__globals__)
        scope[name] = x
        rebound = types.FunctionType(function.__code__, scope, function.__name__, function.__defaults__,
                                     function.__closure__)
        rebound.__kwdefaults__ = function.__kwdefaults__
        return rebound()

    try:
        text = inspect.getsource(function)
    except (OSError, TypeError):
        text = ""
    _ADAPTED[id(bound)] = (bound, text)
    return bound


def _trial(function, spec):
    """Why calling `function` on the role's input does not fit (None when it returns a tensor)."""
    import torch

    x = _probe_input(spec)
    try:
        with _threads_forbidden():
            out = _time_limited(lambda: function(x), FIT_SECONDS)
    except Exception as exc:
        return "raised %s on a tensor of shape %s: %s" % (type(exc).__name__, tuple(x.shape), str(exc)[:200])
    if not isinstance(out, torch.Tensor):
        return "returned %s, not a tensor, on a tensor of shape %s" % (type(out).__name__, tuple(x.shape))
    return None


def assess_expressions(spec, expressions):
    """For each [expression text, variable, statement text]: a handle to `lambda variable: expression`
    (compiled in a copy of the notebook's globals) and why it does not fit the role (None when it does)."""
    main = sys.modules["__main__"].__dict__
    answers = []
    for text, variable, statement in expressions:
        try:
            function = eval(compile("lambda %s: (%s)" % (variable, text), "<expression>", "eval"), dict(main))
        except Exception as exc:
            answers.append({"handle": "", "trial": "does not compile: %s" % str(exc)[:200]})
            continue
        _ADAPTED[id(function)] = (function, statement)
        answers.append({"handle": "@%d" % _keep(function), "trial": _trial(function, spec)})
    return answers


def _coverage(optimizer, model):
    """[how many of the model's parameters the optimizer updates, how many it has]."""
    model_ids = {id(p) for p in model.parameters()}
    optimizer_ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
    return [len(model_ids & optimizer_ids), len(model_ids)]


def _misfit(value, spec):
    """Why `value` does not fit `spec`, or None when it does."""
    kind = spec["kind"]
    checker = {
        "module": _misfit_module,
        "function": _misfit_function,
        "tensor": _misfit_tensor,
        "loss": _misfit_loss,
        "optimizer": _misfit_optimizer,
        "value": _misfit_value,
    }[kind]
    try:
        return checker(value, spec)
    except Exception as exc:
        return "raised %s: %s" % (type(exc).__name__, str(exc)[:200])


def _misfit_value(value, spec):
    types_ = spec.get("types") or []
    if types_ and type(value).__name__ not in types_:
        return "a %s, not one of %s" % (type(value).__name__, ", ".join(types_))
    return None


def _misfit_module(value, spec):
    import torch

    if not isinstance(value, torch.nn.Module) or _is_loss(value):
        return "not an nn.Module model"
    if spec.get("input_shape") is not None:  # one input of any rank (an image: [C, H, W])
        x = torch.zeros(4, *spec["input_shape"])
    elif spec.get("in_features") is not None:
        x = torch.zeros(4, spec["in_features"])
    else:
        return None  # no input declared: any model fits, the checks say what is wrong with it
    out = _time_limited(lambda: _forward(value, x), FIT_SECONDS)
    if not isinstance(out, torch.Tensor):
        return "forward returned %s, not a tensor" % type(out).__name__
    return _output_misfit(tuple(out.shape), spec.get("out_features"), spec.get("contract") or "exact")


def _output_misfit(shape, expected, contract):
    """Why a batch of 4 giving `shape` breaks the output contract, or None.

    exact: `expected` outputs per point ((4,) too when 1); binary: one logit or
    probability ((4,) too), or K >= 2 class scores labelled by argmax; classes: at
    least `expected` class scores.
    """
    if expected is None:
        return None
    width = 1 if shape == (4,) else shape[1] if len(shape) == 2 and shape[0] == 4 else None
    if contract == "exact":
        fits = width == expected
    elif contract == "binary":
        fits = width is not None and width >= 1
    else:
        fits = width is not None and width >= expected and shape != (4,)
    if fits:
        return None
    wanted = {"exact": "(4, %s)" % expected, "binary": "(4, 1), or (4, K) class scores"}.get(contract, "(4, %s or more)" % expected)
    if shape == (4,) and contract == "classes":
        wanted = "(4, %s)" % expected  # one flat output: the columns are what is missing
    return "a batch of 4 gave output shape %s, expected %s" % (shape, wanted)


def _time_limited(fn, seconds):
    """fn(), interrupted with TimeoutError after `seconds` (main thread, POSIX only)."""
    import signal

    if not hasattr(signal, "setitimer"):
        return fn()

    def expire(signum, frame):
        raise TimeoutError("took longer than %.0f s" % seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _misfit_function(value, spec):
    import torch

    if isinstance(value, (type, torch.nn.Module)) or not callable(value):
        return "not a function"
    return None


def _misfit_tensor(value, spec):
    import torch

    if not isinstance(value, torch.Tensor):
        return "not a tensor"
    if spec.get("shape") is not None and list(value.shape) != list(spec["shape"]):
        return "shape %s" % (tuple(value.shape),)
    return None


def _is_loss(value):
    import torch

    return isinstance(value, torch.nn.modules.loss._Loss) or type(value).__name__.endswith("Loss")


def _misfit_loss(value, spec):
    return None if _is_loss(value) or inspect.isfunction(value) else "not a loss function"


def _misfit_optimizer(value, spec):
    import torch

    return None if isinstance(value, torch.optim.Optimizer) else "not a torch optimizer"
