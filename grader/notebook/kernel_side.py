"""The kernel side of the probe loaded into the student's own kernel, asked in-process.

The same source text the grader sends to a sandboxed kernel (grader/inside/: tracking, questions,
helper) runs here as the module `_grader_probe`, so bindings are recorded after every cell and the
questions are answered by the same code; requests and answers go through JSON as on the wire.
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path
from typing import Any

INSIDE = Path(__file__).resolve().parent.parent / "inside"
KERNEL_SIDE = ("tracking.py", "questions.py", "fitting.py", "helper.py")  # the order grader/execute/kernels.py runs them in
MODULE = "_grader_probe"


def kernel_side() -> types.ModuleType:
    """The `_grader_probe` module of this process, loaded (and its cell hooks installed) on first use."""
    module = sys.modules.get(MODULE)
    if module is None:
        module = types.ModuleType(MODULE)
        source = "\n\n".join((INSIDE / name).read_text(encoding="utf-8") for name in KERNEL_SIDE)
        exec(compile(source, "<grader probe>", "exec"), module.__dict__)
        sys.modules[MODULE] = module
        _install_hooks(module)
    return module


def _install_hooks(module: types.ModuleType) -> None:
    """Start recording bindings, calls and optimizer steps: tracking's own set-up without its device
    mapping, which would change what the student's `.to("cuda")` does in their own kernel."""
    if module._installed:
        return
    module._installed.append(True)
    shell = ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", module._before_cell)
        shell.events.register("post_run_cell", module._after_cell)
    from torch.optim.optimizer import register_optimizer_step_post_hook

    module.watch_calls()
    register_optimizer_step_post_hook(module._count_step)
    module.prepare_guards()


def ipython() -> Any:
    """The running IPython shell, or None outside IPython (a plain script records no cells)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def record_now(count: int) -> None:
    """Record what the running cell bound so far: a check sees the state at its call, not the cell before."""
    kernel_side()._record(count)


def ask(method: str, **arguments: Any) -> Any:
    """The kernel side's answer to one request, in the process state the grader pins for requests
    (float32 default, grad on); the student's working folder, environment and sys.path are left as they are."""
    module = kernel_side()
    module._START.update(cwd=os.getcwd(), environ=dict(os.environ), path=list(sys.path))
    running, module._running[0] = module._running[0], None  # the checks' own calls are not the student's
    try:
        with module._grader_state():
            answer = module._METHODS[method](**json.loads(json.dumps(arguments)))
    finally:
        module._running[0] = running
    return json.loads(json.dumps(answer))
