"""Kernel-side half of the probe: answers the grader's questions with plain data.

This file is never imported by the grader. Its source text is sent to the
submission's kernel before the student's code runs and executed there as the
module `_grader_probe`. Each request names a method and carries JSON arguments;
each answer is a JSON object the grader reads back with the request's own reply
(a user expression calling `answer()`, whose display bundle has MIME type
`application/x-grader+json`), not from the kernel's output messages, which a
notebook can flood. Arrays travel as base64 of little-endian bytes.
Nothing here knows hidden labels or expected values: it only runs the student's
objects on inputs the grader sends and reports what came out.
"""

# ruff: noqa: F821 - install_tracking, kept, snapshots and training_evidence come from
# grader/inside/tracking.py, which runs first in the same module (see grader/execute/kernels.py)
import inspect
import json
import random
import re
import sys
import time
import traceback
import types

MIME = "application/x-grader+json"
FIT_SECONDS = 2.0  # a candidate whose forward pass takes longer is skipped, not waited for
_IGNORED_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "_", "__", "___"}

_ANSWER = {}  # the last request's answer, until `answer()` hands it over


def respond(method, arguments_json):
    """Run one request, in the process state the grader sets, and keep its answer for `answer()`; never raises."""
    try:
        arguments = json.loads(arguments_json)
        with _grader_state():
            answer = {"ok": True, "value": _METHODS[method](**arguments)}
    except BaseException as exc:  # the student's code may raise anything
        answer = {
            "ok": False,
            "error": type(exc).__name__,
            "message": str(exc)[:2000],
            "traceback": "".join(traceback.format_exception(exc))[-6000:],
        }
    _ANSWER["last"] = answer


class _Bundle:
    """An answer as IPython formats it for a user expression: the grader's MIME type, raw JSON."""

    def __init__(self, answer):
        self.answer = answer

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {MIME: self.answer, "text/plain": "<grader answer>"}


def answer():
    """The last request's answer, once (None when there is none), for the request's reply."""
    return _Bundle(_ANSWER.pop("last", None))


class _grader_state:
    """Process-wide state a notebook may have changed, pinned for the request and given back after:
    torch's default dtype and device, grad and anomaly modes, NumPy's print and error settings,
    the working folder, the environment and sys.path (a request never depends on what the
    notebook left there; the student's state is restored for any later request)."""

    def __enter__(self):
        import os

        import numpy
        import torch

        self.saved = {
            "dtype": torch.get_default_dtype(),
            "grad": torch.is_grad_enabled(),
            "anomaly": torch.is_anomaly_enabled(),
            "numpy": numpy.geterr(),
            "cwd": _cwd(),
            "environ": dict(os.environ),
            "path": list(sys.path),
        }
        getter = getattr(torch, "get_default_device", None)
        self.saved["device"] = getter() if getter is not None else None
        torch.set_default_dtype(torch.float32)
        if self.saved["device"] is not None:
            torch.set_default_device("cpu")
        torch.set_grad_enabled(True)
        torch.autograd.set_detect_anomaly(False)
        numpy.seterr(all="ignore")
        if _START["cwd"]:
            try:
                os.chdir(_START["cwd"])
            except OSError:
                pass
        os.environ.clear()
        os.environ.update(_START["environ"])
        sys.path[:] = _START["path"]
        return self

    def __exit__(self, *exc):
        import os

        import numpy
        import torch

        saved = self.saved
        torch.set_default_dtype(saved["dtype"])
        if saved["device"] is not None:
            torch.set_default_device(saved["device"])
        torch.set_grad_enabled(saved["grad"])
        torch.autograd.set_detect_anomaly(saved["anomaly"])
        numpy.seterr(**saved["numpy"])
        try:
            if saved["cwd"]:
                os.chdir(saved["cwd"])
        except OSError:
            pass
        os.environ.clear()
        os.environ.update(saved["environ"])
        sys.path[:] = saved["path"]
        return False


def _cwd():
    import os

    try:
        return os.getcwd()
    except OSError:
        return ""


_START = {"cwd": "", "environ": {}, "path": []}  # as the grader set them, recorded by setup()
_READY = {}  # "at": time.perf_counter() when the first set-up ended


# ---------------------------------------------------------------- set-up


def setup(seed, threads, reseed=None):
    """Seed every generator the student may use; report the device and versions. With `reseed`
    (grade calibrate, grade validate), every seed the notebook itself sets is mixed with it."""
    import os

    import numpy
    import torch

    install_tracking()
    prepare_guards()
    install_checker_stand_in()
    _START.update(cwd=_cwd(), environ=dict(os.environ), path=list(sys.path))
    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)
    if reseed is not None:
        _vary_seeds(reseed)
    if threads:
        torch.set_num_threads(threads)
    versions = {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": numpy.__version__}
    from importlib import metadata

    for name, distribution in (("sklearn", "scikit-learn"), ("matplotlib", "matplotlib"), ("torchmetrics", "torchmetrics"),
                               ("pandas", "pandas"), ("tqdm", "tqdm")):
        try:  # the installed version, without importing the package into the kernel
            versions[name] = metadata.version(distribution)
        except Exception:
            pass
    cuda = torch.cuda.is_available()
    if cuda:  # deterministic kernels where PyTorch has them; a warning (not an error) elsewhere
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)
    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    # when the kernel was first ready: the end of the set-up queued at launch (the clock is the host's
    # monotonic one, as the grader's time.perf_counter, so the grader can tell the boot from its wait)
    _READY.setdefault("at", time.perf_counter())
    return {"device": ("cuda: " + device) if cuda else "cpu", "versions": versions, "ready_at": _READY["at"]}


class _CheckerStandIn:
    """The in-notebook checks under the grader: made and called as in the student's kernel, doing nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return None

    def all(self):
        return None


def install_checker_stand_in():
    """Answer the released notebook's `from grader.notebook import Checker` with the stand-in: the grader
    runs the checks itself, and a student package in the kernel's Python must not hook the notebook again
    (a module in sys.modules is found before any file, so its parent package is never imported)."""
    module = types.ModuleType("grader.notebook", "The in-notebook checks' stand-in while the grader grades.")
    module.Checker = _CheckerStandIn
    module.STAND_IN = True
    sys.modules["grader.notebook"] = module
    parent = sys.modules.get("grader")
    if parent is not None:
        parent.notebook = module


def _vary_seeds(reseed):
    """Make `torch.manual_seed(s)`, `np.random.seed(s)`, `random.seed(s)` (and torch.cuda's) seed with a
    mix of s and `reseed`: another training run of the same notebook, as another student's machine
    would give. Explicit generators (`random_state=42`, `torch.Generator`) keep their seeds: the data
    the notebook is given stays the same."""
    import hashlib

    import numpy
    import torch

    def mixed(value, bits):
        text = f"{value!r}:{reseed}".encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") % (1 << bits)

    def varied(original, bits):
        def seed_with_mix(value=None, *args, **kwargs):
            return original(value if value is None else mixed(value, bits), *args, **kwargs)

        seed_with_mix.__name__ = getattr(original, "__name__", "seed")
        seed_with_mix.__doc__ = getattr(original, "__doc__", None)
        return seed_with_mix

    torch.manual_seed = torch.random.manual_seed = varied(torch.manual_seed, 63)
    torch.cuda.manual_seed = varied(torch.cuda.manual_seed, 63)
    torch.cuda.manual_seed_all = varied(torch.cuda.manual_seed_all, 63)
    numpy.random.seed = varied(numpy.random.seed, 32)
    random.seed = varied(random.seed, 32)


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


def namespace_names():
    """User-visible variable names in the kernel, in definition order."""
    return list(_user_namespace())


def _user_namespace():
    main = sys.modules["__main__"].__dict__
    return {
        name: value
        for name, value in main.items()
        if not name.startswith("_") and name not in _IGNORED_NAMES and not isinstance(value, types.ModuleType)
    }


def _lookup(name):
    """The object a variable name or a kept handle ("@n", see grader/inside/tracking.py) refers to."""
    if name.startswith("@"):
        value = kept(int(name[1:]))
        if value is None:
            raise LookupError("the object %s is no longer available" % name)
        return value
    namespace = _user_namespace()
    if name not in namespace:
        raise LookupError("no variable named %r in the notebook" % name)
    return namespace[name]


_METHODS = {
    "setup": setup,
    "assess": assess,
    "assess_expressions": assess_expressions,
    "snapshots": snapshots,
    "training": lambda name: training_evidence(_lookup(name)),
    "calls": lambda name: calls_of(_lookup(name)),
    "depends_on_parameters": lambda name, inputs: depends_on_parameters(name, inputs),
    "namespace_names": namespace_names,
    "forward": forward,
    "forward_ops": forward_ops,
    "structure": structure,
    "parameter_shapes": parameter_shapes,
    "parameter_values": parameter_values,
    "call": call,
    "source": source,
    "describe": describe,
    "optimizer_info": optimizer_info,
    "as_array": as_array,
    "device_of": device_of,
    "loss_value": loss_value,
}
