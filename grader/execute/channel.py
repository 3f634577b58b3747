"""The probe's channel: questions sent to the live kernel's helper, plain-data answers back.

A request is a message of the grader's own type (`grader_request`: the method and its JSON
arguments) that the helper answers from ipykernel's shell loop, the answer in its reply's content;
no cell is run for it, so IPython neither transforms, compiles, echoes nor formats anything (half
the cost of an execute request). Where the helper could not install its handler (the set-up's answer
says), or the notebook took it away (the kernel goes idle on the request without a reply), a request is
one line of code calling `_grader_probe.respond(method, arguments)` in the kernel (arguments of more
than a few kilobytes, such as a batch of test images, travel beside the code in the request's content,
where IPython neither tokenizes nor echoes them: 2 000 images of 8x8 pixels cost 150 ms a request
inside the code); the answer comes back in the request's own reply on the shell channel (a user
expression, `_grader_probe.answer()`, formatted with our own MIME type). The kernel's output
messages (iopub) are not read for answers: a notebook can flood them (10**7 lines, a thread
printing after its cell, 10**5 warnings), and a flooded publisher drops messages. The channel
subscribes only to the kernel's own topics (`kernel.<id>.status`, …), never to streams or
displays, so a request's clock starts when the kernel says it began the request (its "busy"
status) and queued output never counts against it.

The failure taxonomy of a request: the student's object raised (`ProbeError`),
no answer in time (`ProbeTimeout`), the kernel is gone (`KernelDied`).
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from hmac import compare_digest
from typing import Any

import zmq
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from grader.core.results import ExecutionResult
from grader.core.settings import ExecuteSettings

MIME = "application/x-grader+json"
ANSWER = "_grader_probe.answer()"  # the user expression the reply carries the answer in
KERNEL_TOPICS = b"kernel."  # the kernel's own iopub topics (status, execute_input, error), not streams or displays
POLL_SECONDS = 0.5  # how often a waiting request looks whether the kernel is still alive
# The channels a grader's client opens: requests and their replies, and the kernel's messages. No stdin (a
# notebook's input() is refused), no control channel (interrupts go through the kernel manager), no heartbeat
# (whether the kernel lives is the manager's to say): two threads and three sockets fewer a client.
CHANNELS = {"shell": True, "iopub": True, "stdin": False, "hb": False, "control": False}
INLINE_ARGUMENTS = 4096  # characters of JSON arguments written into a request's code; longer ones travel beside it
BESIDE = "grader_arguments"  # the request content's key for them (kernel side: grader/inside/helper.py)
NOT_BESIDE = "ArgumentsNotReceived"  # the kernel's error when it cannot read them (an ipykernel before 6)
UNHANDLED_GRACE = 1.0  # seconds a direct request's reply may trail the kernel's idle status before it counts as unhandled


class _Unhandled(Exception):
    """The kernel went idle on a direct request without replying: it has no handler for it (any longer)."""


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
    _beside: bool = field(default=True)  # whether long arguments may travel beside the code
    direct: str | None = None  # the message type the kernel answers requests as directly (None: as execute requests)

    def request(self, method: str, **arguments: Any) -> Any:
        """Ask the kernel-side helper `method(**arguments)`; return its plain-data answer."""
        if self._dead or self.result.kernel_died:
            raise KernelDied("the kernel died earlier: " + self.result.kernel_message)
        arguments_json = json.dumps(arguments)
        started = time.perf_counter()
        try:
            answer = self._ask_directly(method, arguments_json) if self.direct else None
            if answer is None and self._beside and len(arguments_json) > INLINE_ARGUMENTS:
                answer = self._execute(f"_grader_probe.respond({method!r}, None)", arguments_json)
                if not answer.get("ok") and answer.get("error") == NOT_BESIDE:
                    self._beside, answer = False, None  # this kernel reads arguments from its code only, from now on
            if answer is None:
                answer = self._execute(f"_grader_probe.respond({method!r}, {json.dumps(arguments_json)})")
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

    def _ask_directly(self, method: str, arguments_json: str) -> dict[str, Any] | None:
        """The answer to a direct request; None when the kernel no longer answers them (then never again)."""
        assert self.direct is not None
        try:
            reply = self._send_and_wait(self.direct, {"method": method, "arguments": arguments_json}, direct=True)
        except _Unhandled:
            self.direct = None
            return None
        answer = reply.get("answer")
        if not isinstance(answer, dict):
            raise ProbeError("NoAnswer", "the kernel sent no answer to the probe", "")
        return answer

    def _execute(self, code: str, beside: str | None = None) -> dict[str, Any]:
        """The answer to `code` (with `beside`, the request's JSON arguments in its content): the clock starts
        when the kernel begins the request, not when it was sent."""
        content = {  # what BlockingKernelClient.execute sends, and the arguments
            "code": code, "silent": False, "store_history": False, "user_expressions": {"answer": ANSWER},
            "allow_stdin": False, "stop_on_error": True, **({BESIDE: beside} if beside is not None else {}),
        }
        reply = self._send_and_wait("execute_request", content)
        answer = reply.get("user_expressions", {}).get("answer", {}).get("data", {}).get(MIME)
        if not isinstance(answer, dict):
            if not self._alive():
                self._mark_dead()
                raise KernelDied("the kernel died while answering a probe")
            raise ProbeError("NoAnswer", "the kernel sent no answer to the probe", "")
        return answer

    def _send_and_wait(self, msg_type: str, content: dict[str, Any], direct: bool = False) -> dict[str, Any]:
        """Send a request; the content of its reply. The clock starts when the kernel begins the request,
        not when it was sent. `direct`: raise _Unhandled when the kernel goes idle on it without a reply."""
        timeout = self.settings.probe_timeout
        self.discard_output()
        message = self.channel.session.msg(msg_type, content)
        self.channel.shell_channel.send(message)
        reply = self._wait_for_reply(message["header"]["msg_id"], timeout, direct)
        if reply is None:
            self._recover_from_timeout()
            if self._dead:
                raise KernelDied("the kernel died while answering a probe")
            raise ProbeTimeout(f"no answer within {timeout} s; the kernel was interrupted")
        return reply

    def _wait_for_reply(self, msg_id: str, timeout: float, direct: bool = False) -> dict[str, Any] | None:
        """The content of the reply to `msg_id`; None when the kernel spent `timeout` s on it, did not
        begin it within `timeout` s of its sending (so a request waits at most twice that), or died.
        `direct`: raise _Unhandled when no reply follows the kernel's idle status on it within UNHANDLED_GRACE s."""
        sent = time.perf_counter()
        began: float | None = None
        idle: float | None = None
        poller = zmq.Poller()
        poller.register(self.channel.shell_channel.socket, zmq.POLLIN)
        poller.register(self.channel.iopub_channel.socket, zmq.POLLIN)
        while True:
            now = time.perf_counter()
            deadline = (began if began is not None else sent) + timeout
            if idle is not None:
                deadline = min(deadline, idle + UNHANDLED_GRACE)
            if now >= deadline:
                if idle is not None:
                    raise _Unhandled(msg_id)
                return None
            ready = dict(poller.poll(int(1000 * min(POLL_SECONDS, deadline - now)) + 1))
            # the pending iopub messages are read every time (not only until the request began): one left
            # queued keeps the socket readable, and the wait would spin a core until the reply
            if self.channel.iopub_channel.socket in ready:
                states = self._states(msg_id)
                if "busy" in states and began is None:
                    began = time.perf_counter()
                if direct and "idle" in states and idle is None:
                    idle = time.perf_counter()
            if self.channel.shell_channel.socket in ready:
                reply = self._shell_reply(msg_id)
                if reply is not None:
                    return reply
            if not ready and not self._alive():
                self._mark_dead()
                return None

    def _states(self, msg_id: str) -> set[str]:
        """The states (busy, idle) the kernel's pending status messages report for the request `msg_id`."""
        states = set()
        for frames in self._pending_iopub():
            if frames[0].endswith(b".status"):
                parent, content = self._parse(frames)
                if parent == msg_id:
                    states.add(str(content().get("execution_state")))
        return states

    def _shell_reply(self, msg_id: str) -> dict[str, Any] | None:
        """The content of the reply to `msg_id` if it is among the pending shell messages (others are stale)."""
        socket = self.channel.shell_channel.socket
        while True:
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return None
            parent, content = self._parse(frames)
            if parent == msg_id:
                return content()

    def discard_output(self) -> int:
        """Drop the kernel's pending iopub messages, unread (a flood's backlog); return how many there were."""
        return sum(1 for _ in self._pending_iopub())

    def _pending_iopub(self) -> Any:
        """The raw frames of each iopub message already received, without waiting."""
        socket = self.channel.iopub_channel.socket
        while True:
            try:
                yield socket.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return

    def _parse(self, frames: list[bytes]) -> tuple[str, Callable[[], dict[str, Any]]]:
        """The id of the request a message answers, and a function unpacking its content; a message that is
        malformed or wrongly signed answers none ("", {}). The signature is checked as Session.deserialize
        checks it, but no header is unpacked and no date parsed (a third of a request's time grader-side)."""
        session = self.channel.session
        try:
            _, parts = session.feed_identities(frames, copy=True)
            if len(parts) < 5 or (session.auth is not None and not compare_digest(parts[0], session.sign(parts[1:5]))):
                return "", dict
            parent = session.unpack(parts[2])
            msg_id = parent.get("msg_id") if isinstance(parent, dict) else None
        except Exception:
            return "", dict
        if not isinstance(msg_id, str):
            return "", dict

        def content() -> dict[str, Any]:
            unpacked = session.unpack(parts[4])
            return unpacked if isinstance(unpacked, dict) else {}

        return msg_id, content

    def _recover_from_timeout(self) -> None:
        if self._dead or not self._alive():
            self._mark_dead()
            return
        run_sync(self._manager().interrupt_kernel)()
        try:  # drain the interrupted request's reply so the next request starts clean
            while True:
                self.channel.get_shell_msg(timeout=5)
        except queue.Empty:
            pass
        if not self._alive():
            self._mark_dead()

    def listen_to_the_kernel_only(self) -> None:
        """Subscribe this channel to the kernel's own iopub topics only: streams and displays (a flood)
        are filtered out where the kernel publishes them, so they are never queued here."""
        socket = self.channel.iopub_channel.socket
        socket.setsockopt(zmq.UNSUBSCRIBE, b"")
        socket.setsockopt(zmq.SUBSCRIBE, KERNEL_TOPICS)
        self.discard_output()

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


async def until_ready(client: Any, timeout: float) -> None:
    """Return once the kernel answers `kernel_info` on the shell channel and its iopub reaches `client`.

    What jupyter_client's `wait_for_ready` checks, without its two 0.2 s waits on iopub: it waits
    for *a* message to prove iopub connected, then for silence to flush it. Here the proof is the
    idle status of this very request, and nothing is flushed (nbclient and the probe match every
    message to the request it answers). `client` is a blocking or an asynchronous kernel client.
    """
    deadline = time.monotonic() + timeout
    while True:
        asked = client.kernel_info()
        reply = await _message(client.shell_channel, asked, "kernel_info_reply", deadline, 1.0)
        if reply is not None and await _message(client.iopub_channel, asked, "status", deadline, 1.0, idle=True) is not None:
            client._handle_kernel_info_reply(reply)
            return
        if not await _maybe_await(client.is_alive()):
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


async def _message(
    channel: Any, parent: str, kind: str, deadline: float, patience: float, idle: bool = False
) -> dict[str, Any] | None:
    """The next message of type `kind` answering request `parent` on `channel` (others are skipped),
    or None after `patience` seconds without one."""
    give_up = min(deadline, time.monotonic() + patience)
    while (left := give_up - time.monotonic()) > 0:
        try:
            message: dict[str, Any] = await _maybe_await(channel.get_msg(timeout=left))
        except queue.Empty:
            return None
        if message.get("parent_header", {}).get("msg_id") != parent or message.get("msg_type") != kind:
            continue
        if not idle or message.get("content", {}).get("execution_state") == "idle":
            return message
    return None


async def _maybe_await(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value
