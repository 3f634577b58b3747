"""The probe's channel: questions sent to the live kernel's helper, plain-data answers back.

A request is one line of code calling `_grader_probe.respond(method, arguments)`
in the kernel; the answer comes back as a display message of our own MIME type.
The failure taxonomy of a request: the student's object raised (`ProbeError`),
no answer in time (`ProbeTimeout`), the kernel is gone (`KernelDied`).
"""

from __future__ import annotations

import json
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from grader.core.results import ExecutionResult
from grader.core.settings import ExecuteSettings

MIME = "application/x-grader+json"


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
                self._mark_dead()
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
            self._mark_dead()

    def _mark_dead(self) -> None:
        """The kernel is gone: the submission's status becomes kernel-died, saying when."""
        self._dead = True
        if not self.result.kernel_died:
            self.result.kernel_died = True
            self.result.kernel_message = "the kernel died after its last cell, while the grader asked about its objects"

    def _manager(self) -> AsyncKernelManager:
        assert isinstance(self.client.km, AsyncKernelManager), "nbclient starts an AsyncKernelManager"
        return self.client.km

    def _alive(self) -> bool:
        return bool(run_sync(self._manager().is_alive)())
