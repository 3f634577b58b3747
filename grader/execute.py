"""Execute stage: run a notebook once, cell by cell, in a fresh kernel in a throw-away folder.

The kernel is started by nbclient in a temporary directory that holds only a
copy of the submission, with a scrubbed environment. Before the student's
first cell the grader installs its kernel-side probe helper and seeds every
random generator. Execution goes on past failing cells so later exercises are
still graded. The kernel stays alive after the last cell so the probe stage can
ask it questions; `run_notebook` is a context manager for that reason.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from grader import sandbox, template
from grader.results import CellResult, ExecutionResult

MIME = "application/x-grader+json"
STDOUT_BUDGET = 20_000  # characters of stdout kept per cell
TRACEBACK_BUDGET = 20_000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Shell escapes and magics that need the network or a GPU tool: skipped, with a note.
_NEUTRALISED = re.compile(
    r"^\s*(!|%pip\b|%conda\b|%%capture\b|%%shell\b|%%bash\b"
    r"|from\s+google\.colab\b|import\s+google\.colab\b|drive\.mount\(|files\.(upload|download)\().*$",
    re.M,
)


KERNEL_STARTS = ("fork", "launch")


@dataclass(frozen=True)
class ExecuteSettings:
    kernel_name: str = "python3"
    cell_timeout: int = 300  # seconds per cell
    probe_timeout: int = 60  # seconds per probe request
    seed: int = 0
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


OUTPUT_BUDGET = 2_000_000  # bytes of outputs kept per cell; the rest is dropped with a note


class KernelKilled(DeadKernelError):
    """The grader killed the kernel: a timed-out cell ignored the interrupt."""


class GradingClient(NotebookClient):
    """nbclient with two guards: a cell that ignores the interrupt gets its kernel killed,
    and a cell's outputs are capped so a flood cannot exhaust the grader's memory."""

    def __init__(self, *args: Any, interrupt_grace: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.interrupt_grace = interrupt_grace
        self._interrupted_at: float | None = None
        self._output_bytes: dict[int, int] = {}

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        self._interrupted_at = None
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> None | dict[str, Any]:
        now = time.monotonic()
        if self._interrupted_at is None:
            self._interrupted_at = now
            return await super()._async_handle_timeout(timeout, cell)
        if now - self._interrupted_at < self.interrupt_grace:
            await asyncio.sleep(0.2)  # nbclient polls again at once: wait for the interrupt to land
            return None
        assert isinstance(self.km, AsyncKernelManager)
        await self.km.shutdown_kernel(now=True)
        raise KernelKilled(f"the cell ran past {timeout} s and ignored the interrupt, so the kernel was killed")

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        content = msg.get("content", {})
        size = _content_size(content)
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        remaining = OUTPUT_BUDGET - used
        if size <= remaining:
            return super().output(outs, msg, display_id, cell_index)
        if remaining > 0 and msg.get("msg_type") == "stream":  # keep the start of the flood
            dropped = size - remaining
            text = content.get("text", "")[:remaining] + f"\n[grader: {dropped} more characters of output dropped]\n"
            return super().output(outs, {**msg, "content": {**content, "text": text}}, display_id, cell_index)
        if remaining > 0:
            note = f"\n[grader: an output of {size} bytes dropped, over the {OUTPUT_BUDGET} bytes kept per cell]\n"
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
        return None


def _content_size(content: dict[str, Any]) -> int:
    """Roughly how many bytes an output message carries (text and data values)."""
    data = content.get("data", {})
    values = data.values() if isinstance(data, dict) else []
    return len(str(content.get("text", ""))) + sum(len(str(v)) for v in values)


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


class ProbeError(RuntimeError):
    """The student's object raised while the probe used it."""

    def __init__(self, error: str, message: str, traceback: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error, self.message, self.traceback = error, message, traceback


class ProbeTimeout(RuntimeError):
    """A probe request did not answer within the probe timeout (the kernel was interrupted)."""


class KernelDied(RuntimeError):
    """The kernel is no longer running, so nothing more can be asked of it."""


@dataclass
class LiveKernel:
    """A kernel that has run a notebook and still holds the student's namespace."""

    client: NotebookClient
    channel: BlockingKernelClient
    settings: ExecuteSettings
    result: ExecutionResult
    requests: int = 0
    request_seconds: float = 0.0
    _dead: bool = field(default=False)

    def request(self, method: str, **arguments: Any) -> Any:
        """Ask the kernel-side helper `method(**arguments)`; return its plain-data answer."""
        if self._dead or self.result.kernel_died:
            raise KernelDied("the kernel died earlier: " + self.result.kernel_message)
        code = f"_grader_probe.respond({method!r}, {json.dumps(json.dumps(arguments))})"
        started = time.perf_counter()
        try:
            answer = self._execute(code)
        finally:
            self.requests += 1
            self.request_seconds += time.perf_counter() - started
        if not answer.get("ok"):
            raise ProbeError(
                str(answer.get("error", "Error")),
                str(answer.get("message", "")),
                str(answer.get("traceback", "")),
            )
        return answer.get("value")

    def _execute(self, code: str) -> dict[str, Any]:
        answers: list[dict[str, Any]] = []

        def collect(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "display_data":
                data = msg["content"].get("data", {})
                if isinstance(data.get(MIME), dict):
                    answers.append(data[MIME])

        timeout = self.settings.probe_timeout
        try:
            self.channel.execute_interactive(
                code, store_history=False, allow_stdin=False, timeout=timeout, output_hook=collect
            )
        except TimeoutError as exc:
            self._recover_from_timeout()
            raise ProbeTimeout(f"no answer within {timeout} s; the kernel was interrupted") from exc
        if not answers:
            if not self._alive():
                self._dead = True
                raise KernelDied("the kernel died while answering a probe")
            raise ProbeError("NoAnswer", "the kernel sent no answer to the probe", "")
        return answers[-1]

    def _recover_from_timeout(self) -> None:
        run_sync(self._manager().interrupt_kernel)()
        try:  # drain the interrupted request's reply so the next request starts clean
            while True:
                self.channel.get_shell_msg(timeout=5)
        except queue.Empty:
            pass
        if not self._alive():
            self._dead = True

    def _manager(self) -> AsyncKernelManager:
        assert isinstance(self.client.km, AsyncKernelManager), "nbclient starts an AsyncKernelManager"
        return self.client.km

    def _alive(self) -> bool:
        return bool(run_sync(self._manager().is_alive)())


def helper_source() -> str:
    return (Path(__file__).parent / "kernel_helper.py").read_text(encoding="utf-8")


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
    launched: float
    forked: bool = False  # forked from a kernel template rather than launched as a new process

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
    channel = BlockingKernelClient()
    channel.load_connection_info(manager.get_connection_info())
    channel.start_channels()
    warm_up = f"{_install_code()}\n_grader_probe.setup({settings.seed}, {settings.threads})"
    channel.execute(warm_up, silent=True, store_history=False)
    return channel


def _fork_kernel(settings: ExecuteSettings, source: template.KernelTemplate) -> PreparedKernel:
    """A kernel forked from the template, in a slot folder of its own (see `grader.template`)."""
    slot = source.new_slot()
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
    if settings.kernel_start != "fork" or not settings.isolate or not template.forking_works(settings.kernel_name):
        return None
    python = template.kernel_python(settings.kernel_name)
    assert python is not None, "forking_works checked the kernel spec"
    environment = {
        **kernel_environment(Path(template.HOME), settings.threads),
        # what ipykernel sets before any notebook imports matplotlib; the template imports it earlier
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    return template.KernelTemplate(python, environment, font_cache=prebuilt_font_cache())


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


@contextmanager
def run_notebook(
    nb: nbformat.NotebookNode, settings: ExecuteSettings, kernel: PreparedKernel | None = None
) -> Iterator[LiveKernel]:
    """Execute a (version 4) notebook and yield the live kernel; clean up after.

    `kernel` is a kernel prepared ahead for this notebook; by default one is launched now.
    """
    kernel = kernel or prepare_kernel(settings)
    try:
        nbformat.write(without_outputs(nb), kernel.workdir / "submission.ipynb")
        client = GradingClient(
            nb,
            km=kernel.manager,
            interrupt_grace=settings.interrupt_grace,
            timeout=settings.cell_timeout,
            allow_errors=True,
            interrupt_on_timeout=True,
            record_timing=False,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(kernel.workdir)}},
        )
        with client.setup_kernel(cleanup_kc=True):  # the kernel is running: this connects and waits for it
            live = _connect(client, kernel, settings)
            live.result.isolation = sandbox.describe(settings.limits, kernel.manager.use_bubblewrap, kernel.forked).summary
            if not kernel.manager.use_bubblewrap:
                off = "the sandbox was turned off (--sandbox off)"
                live.result.unsandboxed = (sandbox.bubblewrap_problem() if settings.isolate else off) or "bubblewrap did not start"
            _execute_cells(client, nb, live.result, settings)
            if live.result.kernel_died:
                live.result.kernel_message += _log_tail(kernel.log)
            yield live
    finally:
        kernel.close()


def without_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook with outputs dropped (the kernel gets the code, not megabytes of old output)."""
    copy = nbformat.from_dict(nb)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return copy


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
        # inside the sandbox there is no network: the grader talks to the kernel over Unix sockets
        transport="ipc" if use_bubblewrap else "tcp",
        ip=str(sockets / "kernel") if use_bubblewrap else "127.0.0.1",
        connection_file=str(sockets / "connection.json"),
    )
    # Interrupt by message: the kernel signals its own process group, inside its sandbox.
    assert manager.kernel_spec is not None, f"no kernel spec {settings.kernel_name!r}"
    manager.kernel_spec.interrupt_mode = "message"
    return manager


def _log_tail(log: Any, budget: int = 1500) -> str:
    """The end of the kernel's own output, which names the cause of a crash (a signal, MemoryError)."""
    log.seek(0)
    text = _ANSI.sub("", log.read().decode("utf-8", "replace"))
    # ipykernel's start-up banner ends with the "--existing <connection file>" line: not a cause
    text = text.rsplit("--existing", 1)[-1].split("\n", 1)[-1] if "--existing" in text else text
    text = text.strip()
    return f"; the kernel's last words: {text[-budget:]}" if text else ""


def _connect(client: NotebookClient, kernel: PreparedKernel, settings: ExecuteSettings) -> LiveKernel:
    kernel.channel.wait_for_ready(timeout=120)
    start_seconds = time.perf_counter() - kernel.launched
    result = ExecutionResult(cells=[], seed=settings.seed, kernel_start_seconds=start_seconds)
    live = LiveKernel(client=client, channel=kernel.channel, settings=settings, result=result)
    # seeds again right before the student's first cell; the imports are already done
    info = live.request("setup", seed=settings.seed, threads=settings.threads)
    result.device, result.versions = info["device"], info["versions"]
    return live


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


def _execute_cells(
    client: NotebookClient, nb: nbformat.NotebookNode, result: ExecutionResult, settings: ExecuteSettings
) -> None:
    started = time.perf_counter()
    deadline = started + settings.submission_timeout
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        remaining = deadline - time.perf_counter()
        if result.kernel_died or remaining <= 0:
            skipped = _cell_result(index + 1, cell, "not-run")
            if remaining <= 0 and not result.kernel_died:
                skipped.note = f"not run: the notebook used up its {settings.submission_timeout} s budget"
            result.cells.append(skipped)
            continue
        client.timeout = max(1, min(settings.cell_timeout, int(remaining) + 1))
        result.cells.append(_run_cell(client, index, cell, result, settings))
    result.execute_seconds = time.perf_counter() - started


def _run_cell(
    client: NotebookClient,
    index: int,
    cell: nbformat.NotebookNode,
    result: ExecutionResult,
    settings: ExecuteSettings,
) -> CellResult:
    original = cell.source
    cell.source, note = neutralise(original)
    started = time.perf_counter()
    try:
        client.execute_cell(cell, index, store_history=True)
    except DeadKernelError as exc:
        result.kernel_died = True
        cell.source = original
        if isinstance(exc, KernelKilled):
            result.kernel_message = f"cell {index + 1}: {exc}"
            return _cell_result(index + 1, cell, "timeout", time.perf_counter() - started, note)
        result.kernel_message = f"the kernel died while running cell {index + 1}: {death_cause(client, settings)}"
        return _cell_result(index + 1, cell, "crash", time.perf_counter() - started, note)
    duration = time.perf_counter() - started
    cell.source = original
    status = "ok"
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    if errors:
        timed_out = errors[-1].get("ename") == "KeyboardInterrupt" and duration >= (client.timeout or 0)
        status = "timeout" if timed_out else "error"
    return _cell_result(index + 1, cell, status, duration, note)


_SIGNAL_CAUSES = {
    signal.SIGKILL: "killed: most likely it ran out of memory (limit {memory} MiB)",
    signal.SIGSEGV: "segmentation fault (a crash inside native code)",
    signal.SIGABRT: "aborted (a native library gave up)",
    signal.SIGXCPU: "CPU time limit of {cpu} s exceeded",
    signal.SIGXFSZ: "tried to write a file larger than {fsize} MiB",
    signal.SIGBUS: "bus error (a crash inside native code)",
}


def death_cause(client: NotebookClient, settings: ExecuteSettings) -> str:
    """The likely cause of a dead kernel, from its exit status."""
    process = getattr(getattr(client.km, "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    if code is None:
        return "it stopped answering"
    # a killed process reports -signal; bubblewrap passes on 128 + signal
    number = -code if code < 0 else code - 128 if code > 128 else 0
    if number in _SIGNAL_CAUSES:
        limits = settings.limits
        return _SIGNAL_CAUSES[signal.Signals(number)].format(
            memory=limits.memory_mb, cpu=limits.cpu_seconds, fsize=limits.file_size_mb
        )
    if number:
        return f"killed by signal {signal.Signals(number).name}"
    return f"the kernel process exited with status {code} (os._exit, or a call that ends the process)"


def neutralise(source: str) -> tuple[str, str]:
    """Comment out shell escapes and install magics; say which lines were skipped."""
    skipped = [m.group(0).strip() for m in _NEUTRALISED.finditer(source)]
    if not skipped:
        return source, ""
    cleaned = _NEUTRALISED.sub(lambda m: "pass  # skipped by the grader: " + m.group(0).strip(), source)
    return cleaned, "skipped (no network or shell while grading): " + "; ".join(skipped)


def _cell_result(
    index: int, cell: nbformat.NotebookNode, status: str, duration: float = 0.0, note: str = ""
) -> CellResult:
    outputs = cell.get("outputs", []) if status != "not-run" else []
    stdout = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    error = next((o for o in reversed(outputs) if o.get("output_type") == "error"), None)
    images = sum(
        1
        for o in outputs
        if o.get("output_type") in ("display_data", "execute_result")
        and any(k.startswith("image/") for k in o.get("data", {}))
    )
    if error is not None and error.get("ename") in ("ModuleNotFoundError", "ImportError"):
        note = "; ".join(filter(None, [note, _missing_package_note(str(error.get("evalue", "")))]))
    return CellResult(
        index=index,
        tags=[t for t in cell.metadata.get("tags", []) if isinstance(t, str)],
        source=cell.source,
        status=status,  # type: ignore[arg-type]
        duration=round(duration, 3),
        ename=str(error.get("ename", "")) if error else "",
        evalue=str(error.get("evalue", ""))[:2000] if error else "",
        traceback=_truncate(_ANSI.sub("", "\n".join(error.get("traceback", []))), TRACEBACK_BUDGET) if error else "",
        stdout=_truncate(stdout, STDOUT_BUDGET),
        images=images,
        note=note,
    )


def _missing_package_note(evalue: str) -> str:
    """A sentence naming the package a failed import needs."""
    match = re.search(r"No module named '([^']+)'", evalue)
    package = match.group(1).split(".")[0] if match else ""
    if not package:
        return f"an import failed: {evalue[:200]}"
    return f"the package `{package}` is not installed in the grading environment; ask the instructor, or use what the course provides"


def _truncate(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    half = budget // 2
    return f"{text[:half]}\n... [{len(text) - budget} characters cut by the grader] ...\n{text[-half:]}"

