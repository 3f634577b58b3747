"""How kernels run: the settings every command that executes notebooks shares (one place for each default)."""

from __future__ import annotations

from dataclasses import dataclass, field

KERNEL_STARTS = ("fork", "launch")
SANDBOX_MODES = ("auto", "required", "off")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel; 0 leaves a limit unset."""

    memory_mb: int = 4096  # address space (not applied when a GPU is visible: CUDA maps huge ranges)
    cpu_seconds: int = 3600
    file_size_mb: int = 512
    processes: int = 256  # enforced by Linux only for a grader that does not run as root
    open_files: int = 1024

    def __post_init__(self) -> None:
        for name in ("memory_mb", "cpu_seconds", "file_size_mb", "processes", "open_files"):
            if getattr(self, name) < 0:
                raise ValueError(f"Invalid {name} {getattr(self, name)!r}: must be 0 (no limit) or more")

    def rlimits(self, gpu: bool) -> dict[str, int]:
        wanted = {
            "RLIMIT_AS": 0 if gpu else self.memory_mb * MIB,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_FSIZE": self.file_size_mb * MIB,
            "RLIMIT_NPROC": self.processes,
            "RLIMIT_NOFILE": self.open_files,
        }
        return {"RLIMIT_CORE": 0, **{name: value for name, value in wanted.items() if value}}


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
    limits: Limits = field(default_factory=Limits)
    # "auto": a bubblewrap sandbox where it works here; "required": refuse to grade without one; "off": none
    sandbox: str = "auto"
    interrupt_grace: int = 10  # seconds a timed-out cell gets to honour the interrupt before the kernel is killed
    submission_timeout: int = 1800  # seconds for all of a notebook's cells together
    # "fork": a batch's kernels are forked from a sandboxed template that has imported the libraries once;
    # "launch": every kernel is a new process that imports them itself (also the fallback where forking fails)
    kernel_start: str = "fork"
    # course data folders kernels may read ([data] in assignment.toml): bound read-only at their own absolute
    # path inside the sandbox, and linked by name into each kernel's working folder (`data/digits.npz`)
    data_folders: tuple[str, ...] = ()
    # ([environment] specifiers in assignment.toml) (package, specifier) pairs the kernel's packages must satisfy:
    # kernels run in an environment built for them (grader/execute/environments.py); () runs the grader's own
    kernel_pins: tuple[tuple[str, str], ...] = ()

    @property
    def isolate(self) -> bool:
        """Whether kernels are to run in the bubblewrap sandbox (where it works)."""
        return self.sandbox != "off"

    def __post_init__(self) -> None:
        if self.sandbox not in SANDBOX_MODES:
            raise ValueError(f"Invalid sandbox {self.sandbox!r}: use one of {', '.join(SANDBOX_MODES)}")
        if self.kernel_start not in KERNEL_STARTS:
            raise ValueError(f"Invalid kernel start {self.kernel_start!r}: use one of {', '.join(KERNEL_STARTS)}")
        for name in ("cell_timeout", "probe_timeout", "threads", "interrupt_grace", "submission_timeout"):
            if getattr(self, name) < 1:
                raise ValueError(f"Invalid {name} {getattr(self, name)!r}: must be at least 1")
