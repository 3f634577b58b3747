"""Kernel-side tracking: what each cell bound, evidence of training, and devices the machine lacks.

Sent to the kernel with the probe helper (grader/inside/helper.py) and run in
the same module, `_grader_probe`, before any student code. Never imported by
the grader.

* **Section snapshots.** After every cell the student ran (IPython's
  `post_run_cell`, only for cells stored in the history: the grader's own
  requests are not), the names bound to objects a spec may ask for are
  compared with the previous cell's; every new binding is recorded with the
  cell's execution count, and the object is kept alive (tensors and arrays
  above `KEEP_ELEMENTS` only weakly), so that rebinding `model` in a later
  exercise does not lose the earlier model. The grader addresses a kept
  object as "@<number>".
* **Evidence of training.** A global optimizer step hook counts the steps of
  every optimizer that had gradients to apply (and keeps the optimizer, so one
  made inside a function is still found), and a cheap fingerprint of each
  module's parameters is taken when it first appears and again after each cell.
* **Which cell called which model.** A forward hook notes, per cell, the
  largest batch each module was called on and the largest that was a grid of
  2-D points (what drawing a decision boundary does). Each cell starts with a
  global hook; a global hook sends every module call through PyTorch's slow
  path (a small network trained for thousands of epochs ran 17 % slower), so
  once a cell has made `HOT_CALLS` calls the global hook gives way to hooks on
  the outermost modules that cell called and on the modules bound to names,
  and the layers inside them run at full speed again.
* **Device portability.** Where the notebook asks for a device this machine
  lacks (`cuda` without a GPU, `mps`), tensors and modules go to the device the
  grader assigned instead (`.to`, `.cuda`, and the `device=` of factory
  functions), and the first mapping is remembered for the report.
"""

import sys
import types
import weakref

KEEP_ELEMENTS = 5_000_000  # larger tensors and arrays are tracked by weak reference only
HOT_CALLS = 2_000  # module calls in one cell after which only the outermost modules keep a forward hook
_FINGERPRINT_ELEMENTS = 64  # values of each parameter summed into a module's fingerprint

_objects = {}  # handle number -> object (or weakref for large arrays)
_numbers = {}  # id(object) -> handle number; ids stay valid because the objects are kept
_bound = {}  # name -> handle number, as of the last recorded cell
_cells = []  # [execution count, [[name, handle number], ...]] per recorded cell, new bindings only
_modules = []  # handle numbers of the kept modules, whose fingerprints are followed after every cell
_first_fingerprint = {}  # handle number of a module -> fingerprint when first seen
_changed = {}  # handle number of a module -> execution count of the first cell after which it had changed
_optimizer_steps = {}  # id(optimizer) -> [optimizer, steps that had gradients to apply]
_loaded = weakref.WeakSet()  # modules whose parameters came from elsewhere: load_state_dict, or unpickled
_device_notes = []  # the first device requests that were mapped, in words
_running = [None]  # "running" while a student cell runs (its count is known after), None otherwise
_calls = {}  # (execution count, id(module)) -> [largest batch, largest grid batch, batch sizes looked at]
_installed = []
_global_hook = []  # the handle of the global forward hook, while it is registered
_instance_hooks = []  # handles of the per-module forward hooks of a hot cell
_cell_seen = {}  # id(module) -> module: the modules the running cell called while the global hook was on
_cell_calls = [0]  # calls the global hook saw in the running cell


def install_tracking():
    """Start recording (idempotent: the set-up runs twice, at warm-up and right before the student's code)."""
    if _installed:
        return
    _installed.append(True)
    try:
        events = get_ipython().events  # noqa: F821 - IPython's builtin
        events.register("pre_run_cell", _before_cell)
        events.register("post_run_cell", _after_cell)
    except NameError:  # pragma: no cover - not in IPython
        pass
    import torch

    watch_calls()
    try:
        from torch.optim.optimizer import register_optimizer_step_post_hook
    except ImportError:  # pragma: no cover - torch < 2.0
        register_optimizer_step_post_hook = None
    if register_optimizer_step_post_hook is not None:
        register_optimizer_step_post_hook(_count_step)
    _note_loading(torch.nn.Module)
    _map_missing_devices(torch)


def _note_loading(module_class):
    """Remember the modules whose parameters were loaded rather than trained here: `load_state_dict`,
    and unpickling (`torch.load` of a whole model calls each module's `__setstate__`)."""
    import functools

    load_state_dict, setstate = module_class.load_state_dict, module_class.__setstate__

    @functools.wraps(load_state_dict)
    def loading_state_dict(self, *args, **kwargs):
        _loaded.add(self)
        return load_state_dict(self, *args, **kwargs)

    @functools.wraps(setstate)
    def setting_state(self, state):
        setstate(self, state)
        try:
            _loaded.add(self)
        except TypeError:  # pragma: no cover - a module that cannot be weakly referenced
            pass

    module_class.load_state_dict = loading_state_dict
    module_class.__setstate__ = setting_state


def watch_calls():
    """(Re-)register the global forward hook, dropping a hot cell's per-module hooks."""
    import torch

    while _instance_hooks:
        _instance_hooks.pop().remove()
    _cell_seen.clear()
    _cell_calls[0] = 0
    if not _global_hook:
        _global_hook.append(torch.nn.modules.module.register_module_forward_hook(_count_global_call))


def _before_cell(info):
    if getattr(info, "store_history", True):
        _running[0] = "running"  # calls are filed under the cell's execution count once it is known
        if not _global_hook or _instance_hooks:
            watch_calls()


def _count_global_call(module, args, output):
    """The global hook: record the call, and past `HOT_CALLS` in this cell hand over to per-module hooks."""
    _count_call(module, args, output)
    if _running[0] is None:
        return
    _cell_seen[id(module)] = module
    _cell_calls[0] += 1
    if _cell_calls[0] >= HOT_CALLS and _global_hook:
        _cool_down()


def _cool_down():
    """Hook only the outermost modules this cell called and the kept ones; the layers inside run unhooked."""
    seen = list(_cell_seen.values())
    inner = {id(part) for outer in seen for part in outer.modules() if part is not outer}
    chosen = {id(m): m for m in seen if id(m) not in inner}
    for number in _modules:
        module = kept(number)
        if module is not None:
            chosen[id(module)] = module
    _global_hook.pop().remove()
    _cell_seen.clear()
    for module in chosen.values():
        _instance_hooks.append(module.register_forward_hook(_count_call))


def _count_call(module, args, output):
    """Remember, per running cell, the largest batch a module was called on and the largest that was a grid."""
    count = _running[0]
    if count is None or not args:
        return
    shape = getattr(args[0], "shape", None)
    if shape is None or len(shape) == 0:
        return
    entry = _calls.setdefault((count, id(module)), [0, 0, set()])
    rows = int(shape[0])
    entry[0] = max(entry[0], rows)
    if rows > entry[1] and rows >= 100 and len(shape) == 2 and shape[1] == 2 and rows not in entry[2]:
        entry[2].add(rows)  # each batch size is looked at once per cell: a training loop repeats its own
        if _is_grid(args[0]):
            entry[1] = rows


def _is_grid(points):
    """Whether 2-D points lie on a grid: as many as their distinct x values times their distinct y values."""
    try:
        values = points.detach().to("cpu") if hasattr(points, "detach") else points
        distinct = [len(set(values[:, column].tolist())) for column in (0, 1)]
    except Exception:
        return False
    return distinct[0] * distinct[1] <= 2 * len(values) and min(distinct) > 1


def calls_of(module):
    """[[execution count, the largest batch, the largest grid of 2-D points], ...] for the cells that called `module`."""
    own = id(module)
    return sorted([count, rows, grid] for (count, ident), (rows, grid, _) in _calls.items() if ident == own)


def _count_step(optimizer, args, kwargs):
    """Count a step that could change something: one where some parameter had a gradient."""
    if any(p.grad is not None for group in optimizer.param_groups for p in group["params"]):
        entry = _optimizer_steps.setdefault(id(optimizer), [optimizer, 0])
        entry[1] += 1


# ---------------------------------------------------------------- snapshots


def _kind(value):
    """The family of a value a spec may ask for, or None for anything else."""
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(value, torch.nn.Module):
            return "module"
        if isinstance(value, torch.optim.Optimizer):
            return "optimizer"
        if isinstance(value, torch.Tensor):
            return "tensor"
    if isinstance(value, types.FunctionType):
        return "function"
    if isinstance(value, (int, float, str, list, tuple, dict)) and not isinstance(value, bool):
        return "value"
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return "value"
    return None


def _keep(value):
    """The handle number of `value`, keeping it alive (large arrays weakly)."""
    number = _numbers.get(id(value))
    if number is not None:
        return number
    number = len(_objects) + 1
    size = getattr(value, "size", None)
    elements = value.numel() if hasattr(value, "numel") else size if isinstance(size, int) else 0
    kept = value
    if elements > KEEP_ELEMENTS:
        try:
            kept = weakref.ref(value)
        except TypeError:
            kept = value
    _objects[number] = kept
    _numbers[id(value)] = number
    if _is_module(value):
        _modules.append(number)
    return number


def _after_cell(result):
    info = getattr(result, "info", None)
    if info is not None and not getattr(info, "store_history", True):
        return  # one of the grader's own requests
    _running[0] = None
    _cell_seen.clear()  # no module outlives its cell because of this
    for key in [key for key in _calls if key[0] == "running"]:
        _calls[(result.execution_count, key[1])] = _calls.pop(key)
    try:
        _record(result.execution_count)
    except Exception:  # tracking must never break the student's notebook
        pass


def _record(count):
    main = sys.modules["__main__"].__dict__
    new = []
    for name, value in list(main.items()):
        if name.startswith("_") or name in ("In", "Out", "exit", "quit", "get_ipython"):
            continue
        if _kind(value) is None:
            continue
        number = _keep(value)
        if _bound.get(name) != number:
            _bound[name] = number
            new.append([name, number])
    # an optimizer that stepped but was never bound to a name (made and used inside a function)
    for optimizer, _ in list(_optimizer_steps.values()):
        if id(optimizer) not in _numbers:
            number = _keep(optimizer)
            new.append(["<unnamed optimizer %d>" % number, number])
    _cells.append([count, new])
    for number in _modules:  # only the kept modules, not every value the notebook ever bound
        _note_fingerprint(number, _objects[number], count)


def _is_module(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.nn.Module)


def fingerprint(module):
    """A cheap summary of a module's parameters: the sum of the first few values of each."""
    total = 0.0
    for parameter in module.parameters():
        total += float(parameter.detach().reshape(-1)[:_FINGERPRINT_ELEMENTS].double().sum())
    return total


def _note_fingerprint(number, module, count):
    if number in _changed:
        return
    value = fingerprint(module)
    first = _first_fingerprint.setdefault(number, value)
    if value != first:
        _changed[number] = count


def snapshots():
    """What each recorded cell bound: {"cells": [[execution count, [[name, handle], ...]], ...], "kinds": {...}}."""
    kinds = {}
    for number in _objects:
        value = kept(number)
        kinds[str(number)] = _kind(value) if value is not None else None
    return {
        "cells": [[count, [[name, "@%d" % number] for name, number in bound]] for count, bound in _cells],
        "kinds": {"@" + number: kind for number, kind in kinds.items()},
        "devices": list(_device_notes),
    }


def kept(number):
    """The object kept under a handle number, or None when it was only weakly kept and is gone."""
    value = _objects.get(number)
    if isinstance(value, weakref.ref):
        return value()
    return value


def training_evidence(module):
    """How the module was trained: optimizer steps over its parameters, whether they changed, and whether
    it (or a part of it) was loaded from saved parameters."""
    own = {id(p) for p in module.parameters()}
    steps = 0
    for optimizer, count in _optimizer_steps.values():
        covered = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if own & covered:
            steps += count
    number = _numbers.get(id(module))
    first = _first_fingerprint.get(number)
    changed = number in _changed or (first is not None and fingerprint(module) != first)
    loaded = any(part in _loaded for part in module.modules())
    return {"parameters": len(own), "optimizer_steps": steps, "changed": bool(changed), "loaded": loaded}


# ---------------------------------------------------------------- devices


def _map_missing_devices(torch):
    """Send requests for a device this machine lacks to the one the grader assigned."""
    assigned = "cuda" if torch.cuda.is_available() else "cpu"
    missing = set()
    if not torch.cuda.is_available():
        missing.add("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        missing.add("mps")
    if not missing:
        return

    def mapped(device):
        if device is None:
            return device
        try:
            kind = torch.device(device).type if isinstance(device, (str, torch.device)) else None
        except (RuntimeError, TypeError):
            return device
        if kind in missing:
            if len(_device_notes) < 1:
                _device_notes.append("the notebook asked for %r, which this machine lacks: %s was used" % (str(device), assigned))
            return torch.device(assigned)
        return device

    original_to = torch.Tensor.to

    def to(self, *args, **kwargs):
        if args and isinstance(args[0], (str, torch.device)):
            args = (mapped(args[0]),) + args[1:]
        if "device" in kwargs:
            kwargs["device"] = mapped(kwargs["device"])
        return original_to(self, *args, **kwargs)

    original_cuda = torch.Tensor.cuda

    def cuda(self, device=None, *args, **kwargs):
        if assigned == "cpu":
            mapped("cuda")
            return self
        return original_cuda(self, device, *args, **kwargs)

    torch.Tensor.to, torch.Tensor.cuda = to, cuda
    for name in _FACTORIES:
        factory = getattr(torch, name, None)
        if factory is not None:
            setattr(torch, name, _with_mapped_device(factory, mapped))


_FACTORIES = (
    "tensor", "as_tensor", "zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm", "arange",
    "linspace", "logspace", "eye", "zeros_like", "ones_like", "rand_like", "randn_like", "full_like", "empty_like",
)


def _with_mapped_device(factory, mapped):
    def call(*args, **kwargs):
        if "device" in kwargs:
            kwargs["device"] = mapped(kwargs["device"])
        return factory(*args, **kwargs)

    call.__name__ = getattr(factory, "__name__", "factory")
    call.__doc__ = getattr(factory, "__doc__", None)
    call.__wrapped__ = factory
    return call
