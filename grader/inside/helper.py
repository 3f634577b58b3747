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
            answer["name"] = getattr(value, "__name__", "")
        answers[handle] = answer
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
    probability, or two class scores; classes: at least `expected` class scores.
    """
    if expected is None:
        return None
    widths = {"exact": {expected}, "binary": {1, 2}}.get(contract)
    width = 1 if shape == (4,) else shape[1] if len(shape) == 2 and shape[0] == 4 else None
    if width is not None and (width in widths if widths is not None else width >= expected):
        if shape == (4,) and 1 not in (widths or ()):
            return "a batch of 4 gave output shape (4,), expected (4, %s)" % expected
        return None
    wanted = {"exact": "(4, %s)" % expected, "binary": "(4, 1) or (4, 2)"}.get(contract, "(4, %s or more)" % expected)
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
