"""The kernel supply: sandboxed kernels launched or forked ahead of need, their environment and clean-up.

Every kernel gets a throw-away scratch folder (its working folder holds only
the submission), a scrubbed environment and the grader's probe helper,
installed before any student code. `KernelSupply` hands out one kernel per
submission and prepares the next while the current one is graded.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from grader.core.settings import ExecuteSettings
from grader.execute import environments, sandbox, template
from grader.execute.channel import CHANNELS


class KernelNotFound(ValueError):
    """The configured kernel name is not installed."""


def require_kernel(name: str) -> None:
    """Raise KernelNotFound, naming the installed kernels, unless kernel `name` exists."""
    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        installed = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise KernelNotFound(f"Invalid kernel {name!r} from --kernel: installed kernels are {installed}") from None


def require_environment(settings: ExecuteSettings) -> environments.KernelEnvironment | None:
    """The kernel environment `settings` pin, built now if it is not cached (None without pins).

    Raise EnvironmentProblem before grading when it cannot be built, or when the kernel is not a Python one.
    """
    if not settings.kernel_pins:
        return None
    if template.kernel_python(settings.kernel_name) is None:
        raise environments.EnvironmentProblem(
            f"[environment] pins packages for the kernel, but kernel {settings.kernel_name!r} is not an ipykernel "
            "Python kernel: use --kernel python3"
        )
    return environments.ensure_environment(settings.kernel_pins)


def kernel_python(settings: ExecuteSettings) -> str | None:
    """The Python kernels run on: the kernel environment's when `settings` pin packages, else the kernel spec's."""
    built = require_environment(settings)
    return built.python if built is not None else template.kernel_python(settings.kernel_name)


KERNEL_SIDE = ("tracking.py", "questions.py", "fitting.py", "helper.py")  # of grader/inside/, run in this order as one module, `_grader_probe`


def helper_source() -> str:
    """The kernel side of the probe: the tracking first (its hooks go in before any student code), then the helper."""
    return "\n\n".join((template.INSIDE / name).read_text(encoding="utf-8") for name in KERNEL_SIDE)


def kernel_environment(home: Path, threads: int) -> dict[str, str]:
    """A scrubbed environment: only what Python and Jupyter need, no grader secrets.

    HOME (where IPython keeps its profile) is a throw-away folder beside the
    working directory, so the working directory holds only the submission.
    """
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV", "CUDA_VISIBLE_DEVICES", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        HOME=str(home),
        TMPDIR=str(home),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        PYTHONHASHSEED="0",
        CUBLAS_WORKSPACE_CONFIG=":4096:8",  # lets cuBLAS be deterministic
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONNOUSERSITE="1",
    )
    return env


@functools.lru_cache(maxsize=1)
def prebuilt_font_cache() -> Path:
    """Matplotlib's font cache, built once per machine and version (building it takes seconds).

    Kernels get a copy (see `_copy_font_cache`), so no kernel ever writes here.
    """
    version = metadata.version("matplotlib")
    path = Path(tempfile.gettempdir()) / f"grader-mplcache-{os.getuid()}-{version}"
    if not path.is_dir():
        building = Path(tempfile.mkdtemp(prefix="grader-mplcache-building-"))
        environment = {**os.environ, "MPLCONFIGDIR": str(building)}
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=environment, capture_output=True, timeout=120)
        try:
            os.replace(building, path)  # atomic: a concurrent grader either sees all of it or builds its own
        except OSError:
            shutil.rmtree(building, ignore_errors=True)
    return path


def _copy_font_cache(home: Path) -> None:
    """Each kernel gets its own copy: a student cannot poison the cache another kernel reads."""
    shutil.copytree(prebuilt_font_cache(), home / ".matplotlib", dirs_exist_ok=True)


@dataclass
class PreparedKernel:
    """A sandboxed kernel launched ahead of need, already importing what notebooks use.

    Launching returns at once; the kernel process starts Python and runs the
    grader's set-up (installing the probe helper, importing torch and NumPy)
    on its own, while the grader is busy with the previous submission. It is
    still used for exactly one submission.
    """

    scratch: Path
    manager: sandbox.SandboxedKernelManager
    channel: BlockingKernelClient
    log: Any  # the kernel's stdout and stderr, a file outside its folders
    token: str  # in the kernel's environment: finds every process it started
    launched: float  # time.perf_counter() when it was launched or forked
    forked: bool = False  # forked from a kernel template rather than launched as a new process
    taken: float | None = None  # time.perf_counter() when a submission took it (KernelSupply.take)

    @property
    def workdir(self) -> Path:
        return self.scratch / "work"

    def close(self) -> None:
        """Kill the kernel and everything it started, and remove its folders; never raises."""
        self.channel.stop_channels()
        _stop(self.manager)
        sandbox.kill_leftovers(self.token)
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def prepare_kernel(settings: ExecuteSettings, source: template.KernelTemplate | None = None) -> PreparedKernel:
    """Launch a sandboxed kernel (forked from `source` when given) and queue its set-up; return without waiting."""
    if source is not None:
        return _fork_kernel(settings, source)
    scratch = Path(tempfile.mkdtemp(prefix="grade-"))
    workdir, home, sockets = scratch / "work", scratch / "home", scratch / "ipc"
    for folder in (workdir, home, sockets):
        folder.mkdir()
    sandbox.link_data_folders(workdir, settings.data_folders)
    _copy_font_cache(home)
    log = tempfile.TemporaryFile()
    token = secrets.token_hex(16)
    manager = _kernel_manager(settings, workdir, home, sockets)
    environment = {**kernel_environment(home, settings.threads), sandbox.TOKEN_VARIABLE: token}
    launched = time.perf_counter()
    run_sync(manager.start_kernel)(env=environment, stdout=log, stderr=log, cwd=str(workdir))
    return PreparedKernel(scratch, manager, _warm_up(manager, settings), log, token, launched)


def _warm_up(manager: sandbox.SandboxedKernelManager, settings: ExecuteSettings) -> BlockingKernelClient:
    """Connect to a starting kernel and queue the grader's set-up (probe helper, imports, seeds).

    The request waits until the kernel is up; its answer is not awaited (the set-up is repeated, cheaply, later).
    """
    channel = BlockingKernelClient(parent=manager)  # whether the kernel lives is the manager's to say, not a heartbeat's
    channel.load_connection_info(manager.get_connection_info())
    channel.start_channels(**CHANNELS)
    warm_up = f"{_install_code()}\n_grader_probe.setup({settings.seed}, {settings.threads})"
    channel.execute(warm_up, silent=True, store_history=False)
    return channel


def _fork_kernel(settings: ExecuteSettings, source: template.KernelTemplate) -> PreparedKernel:
    """A kernel forked from the template, in a slot folder of its own (see grader/execute/template.py)."""
    slot = source.new_slot()
    sandbox.link_data_folders(slot / "work", settings.data_folders)
    log = open(slot / "kernel.log", "w+b")  # noqa: SIM115 - the kernel appends here; closed by PreparedKernel.close
    token = secrets.token_hex(16)
    manager = _kernel_manager(settings, slot / "work", slot, slot)
    provisioner = template.ForkedProvisioner(kernel_id=secrets.token_hex(8), kernel_spec=manager.kernel_spec, parent=manager)
    provisioner.template, provisioner.slot = source, slot
    provisioner.limits = settings.limits.rlimits(gpu=sandbox.gpu_visible())
    manager.provisioner = provisioner
    environment = {**kernel_environment(Path(template.HOME), settings.threads), sandbox.TOKEN_VARIABLE: token}
    launched = time.perf_counter()
    run_sync(manager.start_kernel)(env=environment)
    return PreparedKernel(slot, manager, _warm_up(manager, settings), log, token, launched, forked=True)


def start_template(settings: ExecuteSettings) -> template.KernelTemplate | None:
    """A kernel template for these settings, starting its imports now; None where kernels cannot be forked."""
    python = kernel_python(settings)
    if settings.kernel_start != "fork" or not settings.isolate or python is None or not template.python_forks(python):
        return None
    environment = {
        **kernel_environment(Path(template.HOME), settings.threads),
        # what ipykernel sets before any notebook imports matplotlib; the template imports it earlier
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    return template.KernelTemplate(python, environment, font_cache=prebuilt_font_cache(), data_folders=settings.data_folders)


class KernelSupply:
    """Kernels for consecutive submissions: taking one launches the next, so start-ups overlap grading.

    With `kernel_start="fork"` the kernels are forked from one template started
    here (its imports run while the grader sets up); a template that dies is
    replaced, and where forking fails the kernels are launched as new processes.
    """

    def __init__(self, settings: ExecuteSettings, expected: int | None = None) -> None:
        self.settings = settings
        self.expected = expected  # how many kernels will be taken, when known (None: launch ahead always)
        self.taken = 0
        self._next: PreparedKernel | None = None
        self.template = start_template(settings)

    def take(self) -> PreparedKernel:
        if self._next is not None and self._next.forked and not (self.template and self.template.alive()):
            self._next.close()  # forked ahead by a template that has died since: it died with it
            self._next = None
        kernel = self._next or self._prepare()
        kernel.taken = time.perf_counter()
        self.taken += 1
        more = self.expected is None or self.taken < self.expected
        self._next = self._prepare() if more else None
        return kernel

    def _prepare(self) -> PreparedKernel:
        if self.template is not None and not self.template.alive():
            self.template.close()
            self.template = start_template(self.settings)
        if self.template is not None:
            try:
                return prepare_kernel(self.settings, self.template)
            except template.TemplateError:
                self.template.close()
                self.template = None  # this batch's remaining kernels are launched as new processes
        return prepare_kernel(self.settings)

    def close(self) -> None:
        if self._next is not None:
            self._next.close()
            self._next = None
        if self.template is not None:
            self.template.close()
            self.template = None


def _stop(manager: AsyncKernelManager) -> None:
    """Kill the kernel and everything it started; never raises."""
    try:
        if run_sync(manager.is_alive)():
            run_sync(manager.shutdown_kernel)(now=True)
        else:
            run_sync(manager.cleanup_resources)()
    except Exception:  # a half-started kernel: make sure the process is gone
        process = getattr(manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()


def _kernel_manager(settings: ExecuteSettings, workdir: Path, home: Path, sockets: Path) -> sandbox.SandboxedKernelManager:
    use_bubblewrap = settings.isolate and sandbox.bubblewrap_works()
    manager = sandbox.SandboxedKernelManager(
        kernel_name=settings.kernel_name,
        limits=settings.limits,
        writable=[workdir, home, sockets],
        use_bubblewrap=use_bubblewrap,
        data_folders=settings.data_folders,
        # inside the sandbox there is no network: the grader talks to the kernel over Unix sockets
        transport="ipc" if use_bubblewrap else "tcp",
        ip=str(sockets / "kernel") if use_bubblewrap else "127.0.0.1",
        connection_file=str(sockets / "connection.json"),
    )
    # Interrupt by message: the kernel signals its own process group, inside its sandbox.
    assert manager.kernel_spec is not None, f"no kernel spec {settings.kernel_name!r}"
    manager.kernel_spec.interrupt_mode = "message"
    built = require_environment(settings)
    if built is not None:  # the spec's own interpreter replaced by the environment's (ipykernel comes from the base)
        manager.kernel_spec.argv[0] = built.python
    return manager


def _install_code() -> str:
    """Code that loads the helper as module `_grader_probe` and answers with a first 'ok'."""
    return (
        "import sys as _s, types as _t\n"
        "_grader_probe = _t.ModuleType('_grader_probe')\n"
        f"exec(compile({helper_source()!r}, '<grader probe>', 'exec'), _grader_probe.__dict__)\n"
        "_s.modules['_grader_probe'] = _grader_probe\n"
        "_grader_probe.respond('namespace_names', '{}')\n"
        "del _s, _t\n"
    )
