"""Kernel-side questions: a student's objects run on the grader's inputs, answered with plain data.

Sent to the kernel after grader/inside/tracking.py and before grader/inside/helper.py,
in the same module `_grader_probe` (the helper dispatches to these functions and
defines `_lookup`). Never imported by the grader. Models run in eval mode without
gradients and are put back as they were; arrays travel as base64 of
little-endian bytes.
"""

# ruff: noqa: F821 - _lookup and _ADAPTED come from grader/inside/helper.py, run in the same module
import base64
import inspect

# ---------------------------------------------------------------- arrays


def _decode(packed):
    import numpy

    raw = base64.b64decode(packed["data"])
    return numpy.frombuffer(raw, dtype=numpy.dtype(packed["dtype"]).newbyteorder("<")).reshape(packed["shape"])


def _encode(array):
    import numpy

    array = numpy.ascontiguousarray(array)
    little = array.astype(array.dtype.newbyteorder("<"))
    return {"dtype": array.dtype.str.lstrip("<>|="), "shape": list(array.shape), "data": base64.b64encode(little.tobytes()).decode()}


def _to_numpy(tensor):
    return tensor.detach().to("cpu").numpy()


# ---------------------------------------------------------------- asking objects


def _model_device(model):
    for parameter in model.parameters():
        return parameter.device
    return None


def _forward(model, x):
    """Run `model` on `x` in eval mode without gradients, restoring its mode after."""
    import torch

    device = _model_device(model)
    if device is not None:
        x = x.to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    finally:
        model.train(was_training)


def forward(name, inputs):
    """The model's outputs on the grader's inputs (float32), as an array."""
    import torch

    model = _lookup(name)
    x = torch.from_numpy(_decode(inputs).astype("float32"))
    out = _forward(model, x)
    if not isinstance(out, torch.Tensor):
        raise TypeError("forward returned %s, not a tensor" % type(out).__name__)
    return _encode(_to_numpy(out.float()))


def depends_on_parameters(name, inputs):
    """Whether the model's outputs on the grader's inputs change when its parameters are perturbed
    (the parameters are restored afterwards). A model whose answer ignores its weights was not learnt."""
    import torch

    model = _lookup(name)
    x = torch.from_numpy(_decode(inputs).astype("float32"))
    before = _forward(model, x)
    saved = [p.detach().clone() for p in model.parameters()]
    if not saved:
        return False
    generator = torch.Generator().manual_seed(0)
    try:
        with torch.no_grad():
            for parameter in model.parameters():
                noise = torch.randn(parameter.shape, generator=generator).to(parameter.device, parameter.dtype)
                parameter.add_(noise * (parameter.abs().mean() + 0.1))
        after = _forward(model, x)
    finally:
        with torch.no_grad():
            for parameter, value in zip(model.parameters(), saved):
                parameter.copy_(value)
    return bool(not torch.equal(before, after))


_recorder_class = []  # made by prepare_guards() at set-up, before any student code


def prepare_guards():
    """Make the operator recorder now, from torch's own classes as they are before the notebook runs:
    a notebook that later makes Python-level dispatch modes inert does not reach this one's methods."""
    if _recorder_class:
        return
    from torch.utils._python_dispatch import TorchDispatchMode

    enter, exit_ = TorchDispatchMode.__enter__, TorchDispatchMode.__exit__

    class Recorder(TorchDispatchMode):
        @classmethod
        def _should_skip_dynamo(cls):
            return False  # keeps torch._dynamo (about 1 s of imports) out of the kernel

        def __init__(self):
            super().__init__()
            self.ops = []

        def __enter__(self):
            return enter(self)

        def __exit__(self, *exc):
            return exit_(self, *exc)

        def __torch_dispatch__(self, func, types_, args=(), kwargs=None):
            self.ops.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    _recorder_class.append(Recorder)


def _record_ops(fn):
    """Run fn() and return (result, the ATen operator names it dispatched)."""
    prepare_guards()
    recorder = _recorder_class[0]()
    with recorder:
        result = fn()
    return result, recorder.ops


def _guarded_ops(fn):
    """Run fn() with new threads and processes forbidden, recording its operators between two canary
    calls to the built-in tanh; return (result, its operators, whether both canaries were seen).

    A guard in the student's process proves it is armed: the canaries go through the same recorder in
    the same call, so a recorder made inert (or a call it cannot see) fails to see them."""
    import torch

    prepare_guards()
    canary = torch.linspace(-1.0, 1.0, 3)
    recorder = _recorder_class[0]()
    with _threads_forbidden(), recorder:
        torch.ops.aten.tanh.default(canary)
        start = len(recorder.ops)
        result = fn()
        end = len(recorder.ops)
        torch.ops.aten.tanh.default(canary)
    armed = "tanh" in recorder.ops[:start] and "tanh" in recorder.ops[end:]
    return result, recorder.ops[start:end], armed


class _threads_forbidden:
    """For the duration: starting a thread or a process raises (the recorder sees this thread only)."""

    def __enter__(self):
        import _thread
        import os
        import threading

        def refuse(*args, **kwargs):
            raise RuntimeError("the grader runs this call with new threads and processes forbidden")

        self.saved = [(threading.Thread, "start", threading.Thread.start), (_thread, "start_new_thread", _thread.start_new_thread)]
        self.saved += [(os, name, getattr(os, name)) for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp") if hasattr(os, name)]
        for owner, name, _ in self.saved:
            setattr(owner, name, refuse)
        return self

    def __exit__(self, *exc):
        for owner, name, original in self.saved:
            setattr(owner, name, original)
        return False


def forward_ops(name, inputs):
    """The ATen operators one forward pass of the model dispatches."""
    import torch

    model = _lookup(name)
    x = torch.from_numpy(_decode(inputs).astype("float32"))
    _, ops = _record_ops(lambda: _forward(model, x))
    return sorted(set(ops))


def structure(name):
    """The module tree: [qualified name, class name, class module] per sub-module."""
    model = _lookup(name)
    return [
        [qualified or "(root)", type(module).__name__, type(module).__module__]
        for qualified, module in model.named_modules()
    ]


def parameter_shapes(name):
    """[qualified name, shape] of every parameter of a model, in registration order."""
    return [[qualified, list(parameter.shape)] for qualified, parameter in _lookup(name).named_parameters()]


def parameter_values(name, limit):
    """Every parameter of a model as float32, in registration order; [] when it has more than `limit` values."""
    parameters = [parameter for _, parameter in _lookup(name).named_parameters()]
    if sum(parameter.numel() for parameter in parameters) > limit:
        return []
    return [_encode(parameter.detach().float().to("cpu").numpy()) for parameter in parameters]


def call(name, inputs):
    """Call a function on a float32 tensor with gradients on; report values, ops and gradient."""
    import torch

    function = _lookup(name)
    x = torch.from_numpy(_decode(inputs).astype("float32")).clone().requires_grad_(True)
    out, ops, armed = _guarded_ops(lambda: function(x))
    answer = {"type": type(out).__module__ + "." + type(out).__name__, "ops": sorted(set(ops)), "guarded": armed}
    if not isinstance(out, torch.Tensor):
        return answer
    answer.update(values=_encode(_to_numpy(out.float())), dtype=str(out.dtype), grad=None)
    if out.requires_grad and out.shape == x.shape:
        (gradient,) = torch.autograd.grad(out.sum(), x, allow_unused=True)
        answer["grad"] = None if gradient is None else _encode(_to_numpy(gradient))
    return answer


def source(name):
    """The source text of a user function, or '' when it has none (for a callable the grader made from a
    function over a global or from an inline expression: the student's function or statement)."""
    value = _lookup(name)
    adapted = _ADAPTED.get(id(value))
    if adapted is not None and adapted[0] is value:
        return adapted[1]
    try:
        return inspect.getsource(value)
    except (OSError, TypeError):
        return ""


def describe(name):
    """Type, and for tensors shape, dtype and device, of a variable."""
    import torch

    value = _lookup(name)
    answer = {"type": type(value).__name__, "module": type(value).__module__, "repr": repr(value)[:500]}
    if isinstance(value, torch.Tensor):
        answer.update(shape=list(value.shape), dtype=str(value.dtype), device=str(value.device))
    return answer


def as_array(name):
    """A tensor, array or (nested) list of numbers or 0-d tensors, as a float64 array."""
    import numpy
    import torch

    value = _lookup(name)
    if isinstance(value, torch.Tensor):
        return _encode(_to_numpy(value.double()))
    if isinstance(value, (list, tuple)):
        value = [float(v.item()) if isinstance(v, torch.Tensor) else v for v in value]
    return _encode(numpy.asarray(value, dtype="float64"))


def device_of(name):
    """The device of a tensor, or of a model's first parameter ('' when it has none)."""
    import torch

    value = _lookup(name)
    if isinstance(value, torch.Tensor):
        return str(value.device)
    device = _model_device(value) if isinstance(value, torch.nn.Module) else None
    return str(device) if device is not None else ""


def optimizer_info(name, model):
    """The optimizer's class and learning rates, and how many of the model's parameters it updates."""
    optimizer = _lookup(name)
    model_ids = {id(p) for p in _lookup(model).parameters()} if model else set()
    optimizer_ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
    return {
        "type": type(optimizer).__name__,
        "lrs": [float(group.get("lr", 0.0)) for group in optimizer.param_groups],
        "model_params": len(model_ids),
        "optimizer_params": len(optimizer_ids),
        "shared_params": len(model_ids & optimizer_ids),
    }


def loss_value(name, inputs, targets):
    """The loss function's value on the grader's inputs and targets."""
    import torch

    loss = _lookup(name)
    x = torch.from_numpy(_decode(inputs).copy())
    y = torch.from_numpy(_decode(targets).copy())
    with torch.no_grad():
        return float(loss(x, y))
