"""How kernels run: the settings every command that executes notebooks shares (one place for each default)."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader import sandbox


KERNEL_STARTS = ("fork", "launch")


@dataclass(frozen=True)
class ExecuteSettings:
    kernel_name: str = "python3"
    cell_timeout: int = 300  # seconds per cell
    probe_timeout: int = 60  # seconds per probe request
    seed: int = 0
    # grade calibrate / grade validate: every seed the notebook sets (torch.manual_seed(42)) is mixed with this,
    # so that another training run is measured; None (grading) leaves the notebook's seeds as they are
    reseed: int | None = None
    threads: int = 1  # intra-op threads per kernel: deterministic and fair under load
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    # "auto": a bubblewrap sandbox where it works here; "required": refuse to grade without one; "off": none
    sandbox: str = "auto"
    interrupt_grace: int = 10  # seconds a timed-out cell gets to honour the interrupt before the kernel is killed
    submission_timeout: int = 1800  # seconds for all of a notebook's cells together
    # "fork": a batch's kernels are forked from a sandboxed template that has imported the libraries once;
    # "launch": every kernel is a new process that imports them itself (also the fallback where forking fails)
    kernel_start: str = "fork"

    @property
    def isolate(self) -> bool:
        """Whether kernels are to run in the bubblewrap sandbox (where it works)."""
        return self.sandbox != "off"

    def __post_init__(self) -> None:
        if self.sandbox not in sandbox.SANDBOX_MODES:
            raise ValueError(f"Invalid sandbox {self.sandbox!r}: use one of {', '.join(sandbox.SANDBOX_MODES)}")
        if self.kernel_start not in KERNEL_STARTS:
            raise ValueError(f"Invalid kernel start {self.kernel_start!r}: use one of {', '.join(KERNEL_STARTS)}")
        for name in ("cell_timeout", "probe_timeout", "threads", "interrupt_grace", "submission_timeout"):
            if getattr(self, name) < 1:
                raise ValueError(f"Invalid {name} {getattr(self, name)!r}: must be at least 1")
