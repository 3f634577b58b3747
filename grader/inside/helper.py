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
import gc
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
    """Run one request, in the process state the grader sets, and keep its answer for `answer()`; never raises.
    `arguments_json` None: the arguments came beside the code, in the request's content (grader/execute/channel.py)."""
    try:
        if arguments_json is None:
            arguments_json = _arguments_beside()
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


class ArgumentsNotReceived(Exception):
    """The request's arguments were sent beside its code, and this kernel cannot read them there."""


def _arguments_beside():
    try:  # the current request, as ipykernel (6 and later) keeps it
        return get_ipython().kernel.get_parent("shell")["content"]["grader_arguments"]
    except Exception as exc:
        raise ArgumentsNotReceived(f"{type(exc).__name__}: {exc}") from None


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
        # Only a default device other than the CPU is lifted for the request, and lifted with None: setting
        # "cpu" installs a device mode that sends every torch call of the notebook through Python
        # (measured: a small network's training loop ran twice as slow) and would outlive the request.
        getter = getattr(torch, "get_default_device", None)
        device = getter() if getter is not None else None
        self.saved["device"] = device if device is not None and device.type != "cpu" else None
        torch.set_default_dtype(torch.float32)
        if self.saved["device"] is not None:
            torch.set_default_device(None)
        torch.set_grad_enabled(True)
        torch.autograd.set_detect_anomaly(False)
        numpy.seterr(all="ignore")
        if _START["cwd"]:
            try:
                os.chdir(_START["cwd"])
            except OSError:
                pass
        _set_environ(_START["environ"])
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
        _set_environ(saved["environ"])
        sys.path[:] = saved["path"]
        return False


def _set_environ(target):
    """Make the environment `target`, changing only the variables that differ (each change is a system call;
    clearing and refilling it cost 0.4 ms a request)."""
    import os

    for name in [name for name in os.environ if name not in target]:
        del os.environ[name]
    for name, value in target.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _quicker_round_trips():
    """Take out the waits ipykernel adds to every request that has nothing to wait for (2-3 ms of a 5 ms probe
    request, and as much per cell): four flushes of stdout and stderr, each a round trip to the output thread
    even when nothing was written, and a 0.5 ms sleep before the reply. A flush with output to send is done as
    before, so the output still reaches the client ahead of the request's idle status (nbclient waits for
    that). An ipykernel whose streams look otherwise is left as it is."""
    try:
        kernel = get_ipython().kernel
    except Exception:
        return
    if isinstance(getattr(kernel, "_execute_sleep", None), float):
        kernel._execute_sleep = 0.0
    for stream in (sys.stdout, sys.stderr):
        flush = getattr(type(stream), "flush", None)
        if flush is None or not all(hasattr(stream, name) for name in ("_buffers", "_flush_pending", "echo")):
            continue
        stream.flush = _quick_flush(stream, flush)


def _quick_flush(stream, flush):
    def quick_flush():
        if stream._buffers or stream._flush_pending or stream.echo is not None:
            flush(stream)

    return quick_flush


def _keep_every_message():
    """No output message is dropped while the grader reads behind the kernel: the output socket's high-water
    mark (1,000 queued messages, past which ZeroMQ silently drops) lifted, on the output thread that owns the
    socket. A thousand flushed `logging` lines after a 15 MB warning flood, on a busy machine, lost 19 of them
    (and a dropped idle status would leave the cell waiting out its timeout)."""
    try:
        thread = get_ipython().kernel.iopub_thread
        socket = thread.socket
    except Exception:
        return
    thread.schedule(lambda: socket.set_hwm(0))


REQUEST, REPLY = "grader_request", "grader_reply"  # the message types of a request answered directly


def _answer_requests_directly():
    """Answer the grader's own request messages (`grader_request`, its method and JSON arguments in the
    content) from ipykernel's shell loop, the answer in the reply's content: no cell for IPython to
    transform, compile, echo, hook and format (an execute request cost twice as much). `respond` is looked
    up in this module per request, as the code of an execute request looks it up, so a notebook that
    replaces it is answered as before. Whether it could be installed goes back with the set-up's answer."""
    try:
        kernel = get_ipython().kernel
        handlers = kernel.shell_handlers
        session = kernel.session
    except Exception:
        return False
    if not isinstance(handlers, dict):
        return False

    def handle(stream, idents, parent):
        content = parent.get("content") or {}
        respond(content.get("method"), content.get("arguments") or "{}")
        answer = _ANSWER.pop("last", None)
        try:
            session.send(stream, REPLY, {"status": "ok", "answer": answer}, parent, ident=idents)
        except Exception as exc:  # an answer the session cannot pack: say so, rather than leave the grader waiting
            failure = {"ok": False, "error": type(exc).__name__, "message": str(exc)[:2000], "traceback": ""}
            session.send(stream, REPLY, {"status": "ok", "answer": failure}, parent, ident=idents)

    handlers[REQUEST] = handle
    return True


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
    # what the kernel holds before the notebook (the libraries it imported, the kernel's own objects)
    # leaves the garbage collector's generations: a full collection then walks only what the notebook
    # made (3.6 ms instead of 180 ms in a kernel that has imported torch, several times a notebook)
    gc.freeze()
    _quicker_round_trips()
    _keep_every_message()
    direct = _answer_requests_directly()
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
    return {"device": ("cuda: " + device) if cuda else "cpu", "versions": versions, "ready_at": _READY["at"],
            "direct": REQUEST if direct else None}


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
