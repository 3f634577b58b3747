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
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import nbformat
import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_hook
from nbclient.util import run_sync as nbclient_run_sync

from grader.core.results import CellResult, ExecutionResult
from grader.core.settings import ExecuteSettings
from grader.execute import sandbox
from grader.execute.channel import CHANNELS, LiveKernel, until_ready
from grader.execute.floods import KEEP_LINES, OUTPUT_BUDGET, Overflow, StderrTally, truncate
from grader.execute.kernels import PreparedKernel, prepare_kernel

STDOUT_BUDGET = 20_000  # characters of stdout kept per cell
TRACEBACK_BUDGET = 20_000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Shell escapes and magics that need the network or a GPU tool: skipped, with a note.
_NEUTRALISED = re.compile(
    r"^(?P<indent>[ \t]*)(!|%pip\b|%conda\b|%%capture\b|%%shell\b|%%bash\b"
    r"|from\s+google\.colab\b|import\s+google\.colab\b|drive\.mount\(|files\.(upload|download)\().*$",
    re.M,
)


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
        self._overflow: dict[int, Overflow] = {}
        self._stderr: dict[int, StderrTally] = {}

    async def async_start_new_kernel_client(self) -> Any:
        """nbclient's, with a readiness check that does not sleep (grader/execute/channel.py, until_ready)."""
        assert self.km is not None
        try:
            self.kc = self.km.client()
            self.kc.start_channels(**CHANNELS)
            await until_ready(self.kc, self.startup_timeout)
        except Exception:
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = nbclient_run_sync(async_start_new_kernel_client)

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

    def overflow_output(self, cell_index: int) -> nbformat.NotebookNode | None:
        """A stdout output saying what a flood lost, with its progress lines and its end; None without a flood."""
        overflow = self._overflow.pop(cell_index, None)
        if overflow is None:
            return None
        output: nbformat.NotebookNode = nbformat.v4.new_output("stream", name="stdout", text=overflow.summary())
        return output

    def stderr_tally(self, cell_index: int) -> StderrTally:
        """What the cell wrote to stderr, counted (empty when it wrote nothing)."""
        return self._stderr.pop(cell_index, None) or StderrTally()

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        content = msg.get("content", {})
        if msg.get("msg_type") == "stream" and content.get("name") == "stderr":  # counted, outside the budget
            shown = self._stderr.setdefault(cell_index, StderrTally()).take(str(content.get("text", "")))
            if not shown:
                return None
            return super().output(outs, {**msg, "content": {**content, "text": shown}}, display_id, cell_index)
        size = _content_size(content)
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        remaining = OUTPUT_BUDGET - used
        if size <= remaining:
            return super().output(outs, msg, display_id, cell_index)
        if msg.get("msg_type") == "stream" and content.get("name") == "stdout":
            text = str(content.get("text", ""))
            cut = text.rfind("\n", 0, max(remaining, 0)) + 1  # the budget ends between lines: none is kept half
            head, rest = text[:cut], text[cut:]
            self._overflow.setdefault(cell_index, Overflow()).take(rest)
            if head:  # the start of the flood, up to the budget
                return super().output(outs, {**msg, "content": {**content, "text": head}}, display_id, cell_index)
            return None
        if remaining > 0:
            note = f"\n[grader: an output of {size} bytes dropped, over the {OUTPUT_BUDGET} bytes kept per cell]\n"
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
        return None


def _content_size(content: dict[str, Any]) -> int:
    """Roughly how many bytes an output message carries (text and data values)."""
    data = content.get("data", {})
    values = data.values() if isinstance(data, dict) else []
    return len(str(content.get("text", ""))) + sum(len(str(v)) for v in values)


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
            _stop_reading_cells(client)
            if live.result.kernel_died:
                live.result.kernel_message += _log_tail(kernel.log)
            yield live
    finally:
        kernel.close()


def without_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook with outputs dropped (the kernel gets the code, not megabytes of old output)."""
    copy: nbformat.NotebookNode = nbformat.from_dict(nb)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return copy


def _log_tail(log: Any, budget: int = 1500) -> str:
    """The end of the kernel's own output, which names the cause of a crash (a signal, MemoryError)."""
    log.seek(0)
    text = _ANSI.sub("", log.read().decode("utf-8", "replace"))
    # ipykernel's start-up banner ends with the "--existing <connection file>" line: not a cause
    text = text.rsplit("--existing", 1)[-1].split("\n", 1)[-1] if "--existing" in text else text
    text = text.strip()
    return f"; the kernel's last words: {text[-budget:]}" if text else ""


def _connect(client: NotebookClient, kernel: PreparedKernel, settings: ExecuteSettings) -> LiveKernel:
    taken = kernel.taken if kernel.taken is not None else kernel.launched  # made for this submission: it waits for all of it
    run_sync(until_ready)(kernel.channel, 120)
    if client.kc is not None:  # nbclient queues what the kernel sends rather than the kernel dropping it at its
        client.kc.iopub_channel.socket.setsockopt(zmq.RCVHWM, 0)  # high-water mark: no line of a flood is lost
    result = ExecutionResult(cells=[], seed=settings.seed)
    live = LiveKernel(client=client, channel=kernel.channel, settings=settings, result=result)
    live.listen_to_the_kernel_only()  # the notebook's output reaches nbclient, never the probe's channel
    # seeds again right before the student's first cell; the imports are already done
    info = live.request("setup", seed=settings.seed, threads=settings.threads, reseed=settings.reseed)
    result.device, result.versions = info["device"], info["versions"]
    direct = info.get("direct")
    live.direct = direct if isinstance(direct, str) and direct else None  # later requests skip IPython's cell machinery
    ready = info.get("ready_at")  # the kernel's monotonic clock is this machine's: comparable with ours
    ready = ready if isinstance(ready, float) and kernel.launched <= ready <= time.perf_counter() else time.perf_counter()
    result.kernel_boot_seconds = ready - kernel.launched
    result.kernel_wait_seconds = max(0.0, ready - taken)
    return live


def _stop_reading_cells(client: NotebookClient) -> None:
    """Unsubscribe nbclient from the kernel's output once the cells are done: a thread the notebook left
    printing then fills no queue of the grader's (its messages are dropped where the kernel publishes them)."""
    socket = client.kc.iopub_channel.socket if client.kc is not None else None
    if socket is not None:
        socket.setsockopt(zmq.UNSUBSCRIBE, b"")


def _execute_cells(
    client: GradingClient, nb: nbformat.NotebookNode, result: ExecutionResult, settings: ExecuteSettings
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
    client: GradingClient,
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
    tally = client.stderr_tally(index)
    flood = client.overflow_output(index)
    if flood is not None:
        cell.outputs.append(flood)
    status = "ok"
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    if errors:
        timed_out = errors[-1].get("ename") == "KeyboardInterrupt" and duration >= (client.timeout or 0)
        status = "timeout" if timed_out else "error"
    result_of_cell = _cell_result(index + 1, cell, status, duration, note)
    result_of_cell.warnings, result_of_cell.stderr_summary = sum(tally.warnings.values()), tally.summary()
    return result_of_cell


_SIGNAL_CAUSES = {
    signal.SIGKILL: "killed (SIGKILL): it most likely ran out of memory (limit {memory} MiB), or it killed itself or its parent",
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
    cleaned = _NEUTRALISED.sub(lambda m: m.group("indent") + "pass  # skipped by the grader: " + m.group(0).strip(), source)
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
    missing = library = ""
    if error is not None and error.get("ename") in ("ModuleNotFoundError", "ImportError"):
        missing, package_note = _missing_package(str(error.get("evalue", "")))
        note = "; ".join(filter(None, [note, package_note]))
    elif error is not None:
        library = library_raising(_ANSI.sub("", "\n".join(error.get("traceback", []))))
        if library:
            note = "; ".join(filter(None, [note, library_note(library, str(error.get("ename", "")))]))
    return CellResult(
        index=index,
        tags=[t for t in cell.metadata.get("tags", []) if isinstance(t, str)],
        source=cell.source,
        status=status,  # type: ignore[arg-type]  # one of CellStatus: "ok", "error", "timeout", "crash", "not-run"
        duration=round(duration, 3),
        ename=str(error.get("ename", "")) if error else "",
        evalue=str(error.get("evalue", ""))[:2000] if error else "",
        traceback=truncate(_ANSI.sub("", "\n".join(error.get("traceback", []))), TRACEBACK_BUDGET) if error else "",
        stdout=truncate(stdout, STDOUT_BUDGET, keep=KEEP_LINES),
        images=images,
        note=note,
        execution_count=cell.get("execution_count") if status != "not-run" else None,
        missing_package=missing,
        library_error=library,
    )


def _missing_package(evalue: str) -> tuple[str, str]:
    """The package a failed import needs, and a sentence naming it."""
    match = re.search(r"No module named '([^']+)'", evalue)
    package = match.group(1).split(".")[0] if match else ""
    if not package:
        return "", f"an import failed: {evalue[:200]}"
    return package, (
        f"the package `{package}` is not installed in the grading environment; ask the instructor, or use what the course provides"
    )


_SITE_FRAME = re.compile(r"(?:site|dist)-packages[/\\]([A-Za-z_][A-Za-z0-9_]*)")
_NOT_LIBRARIES = {"IPython", "ipykernel", "torch", "numpy"}  # their errors are usually the caller's wrong values


def library_raising(traceback: str) -> str:
    """"name version" of the third-party package the error was raised in (its deepest frame), or ""."""
    frames = _SITE_FRAME.findall(traceback)
    if not frames or frames[-1] in _NOT_LIBRARIES:
        return ""
    package = frames[-1]
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return str(package)


def library_note(library: str, ename: str) -> str:
    """A sentence telling a TA that the error came from a library, maybe of another version than the course's."""
    return (
        f"the {ename} was raised inside {library}, called from the notebook: the notebook may have been written "
        f"for another version of {library.split()[0]} than the grading environment's ({library})"
    )
