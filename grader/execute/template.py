"""Kernels forked from a pre-imported template: the imports are paid once per worker, not per submission.

`KernelTemplate` starts one sandboxed Python process (bubblewrap, as for any
kernel) that imports ipykernel, PyTorch, NumPy, scikit-learn and matplotlib
once. Each submission then gets a kernel forked from it, which isolates itself
in its own namespaces before any student code runs (see `kernel_template.py`,
the source that runs inside). A forked kernel is still used for exactly one
submission.

`ForkedProvisioner` is the jupyter_client seam: a kernel provisioner whose
"launch" asks the template for a fork, so nbclient and the kernel manager
drive a forked kernel like any other.
"""

from __future__ import annotations

import functools
import itertools
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from grader.execute import sandbox

HOME = "/tmp/home"  # inside the sandbox: the template's home, and every forked kernel's own copy of it


class TemplateError(RuntimeError):
    """The template process failed or answered with an error."""


# The kernel-side sources (grader/inside/): read as text and run in a kernel or the template, never imported.
INSIDE = Path(__file__).resolve().parent.parent / "inside"


def template_source() -> str:
    return (INSIDE / "template_process.py").read_text(encoding="utf-8")


def kernel_python(kernel_name: str) -> str | None:
    """The Python of a kernel spec that runs ipykernel, or None for any other kind of kernel."""
    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except Exception:
        return None
    if len(argv) < 3 or argv[1:3] != ["-m", "ipykernel_launcher"] or "{" in argv[0]:
        return None
    if argv[0] in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        return sys.executable  # as jupyter_client does: the kernel runs in the grader's Python
    return shutil.which(argv[0]) or argv[0]


def forking_works(kernel_name: str) -> bool:
    """Whether kernels of the kernel spec `kernel_name` can be forked here (see `python_forks`)."""
    python = kernel_python(kernel_name)
    return python is not None and python_forks(python)


@functools.lru_cache(maxsize=4)
def python_forks(python: str) -> bool:
    """Whether kernels on `python` can be forked here: bubblewrap works and allows nested namespaces."""
    if not sandbox.bubblewrap_works():
        return False
    template = None
    try:
        template = KernelTemplate(python, environment={}, preload=[], font_cache=None)
        slot = template.new_slot()
        pid = template.fork(slot, env={}, limits={}, command="exit")
        status = template.wait(pid, timeout=30)
        return status == 0
    except (OSError, TemplateError, TimeoutError):
        return False
    finally:
        if template is not None:
            template.close()


class KernelTemplate:
    """One sandboxed, pre-imported Python process that forks kernels on request.

    Thread-safe: requests are answered one at a time.
    """

    def __init__(
        self,
        python: str,
        environment: dict[str, str],
        preload: list[str] | None = None,
        font_cache: Path | None = None,
        data_folders: tuple[str, ...] = (),
    ) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="grade-template-"))
        self.slots = self.scratch / "slots"
        self.slots.mkdir()
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._ready: dict[str, Any] | None = None
        code = self.scratch / "code"  # the template's source, read-only inside
        code.mkdir()
        script = code / "kernel_template.py"
        script.write_text(template_source(), encoding="utf-8")
        readable = [p for p in sandbox.kernel_roots(python) if not (p == self.scratch or self.scratch in p.parents)]
        readable += [Path(folder) for folder in data_folders]  # course data, read-only (bound at its own path)
        # what each forked kernel keeps visible when it covers /tmp with its own
        config: dict[str, Any] = {"home": HOME, "keep": [str(p) for p in readable]}
        if preload is not None:
            config["preload"] = preload
        if font_cache is not None:  # read-only inside; the template copies it into its home
            config["font_cache"] = str(font_cache)
            readable.append(font_cache)
        command = sandbox.bubblewrap_arguments([python, str(script), json.dumps(config)], [self.slots], [*readable, code])
        self.log = open(self.scratch / "template.log", "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**environment, "HOME": HOME},
            text=True,
        )

    def ready(self) -> dict[str, Any]:
        """Wait until the template has imported everything; return what it reported."""
        with self._lock:
            if self._ready is None:
                self._ready = self._read()
            return self._ready

    def new_slot(self) -> Path:
        """A fresh folder for one kernel: its sockets, connection file, log and working folder."""
        slot = self.slots / str(next(self._names))
        (slot / "work").mkdir(parents=True)
        return slot

    def fork(self, slot: Path, env: dict[str, str], limits: dict[str, int], command: str = "kernel") -> int:
        """Fork a kernel into `slot`; return its process number (as the template knows it)."""
        request = {
            "op": "fork",
            "slot": str(slot),
            "workdir": str(slot / "work"),
            "home": HOME,
            "log": str(slot / "kernel.log"),
            "connection_file": str(slot / "connection.json"),
            "env": env,
            "limits": limits,
            "command": command,
        }
        return int(self._ask(request)["pid"])

    def signal(self, pid: int, number: int) -> None:
        self._ask({"op": "signal", "pid": pid, "signal": int(number)})

    def poll(self, pid: int) -> int | None:
        status = self._ask({"op": "poll", "pid": pid})["status"]
        return None if status is None else int(status)

    def wait(self, pid: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while (status := self.poll(pid)) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"forked process {pid} still running after {timeout} s")
            time.sleep(0.05)
        return status

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Stop the template (its kernels die with their own namespaces) and remove its folders."""
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:  # a request still buffered for a template that died: closing flushed it into nothing
                    pass
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self.ready()
        with self._lock:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
            except OSError as exc:
                raise TemplateError(f"the kernel template is gone: {exc}{self._log_tail()}") from exc
            answer = self._read()
        if "error" in answer:
            raise TemplateError(str(answer["error"]))
        return answer

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise TemplateError(f"the kernel template exited with status {self.process.wait()}{self._log_tail()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _log_tail(self) -> str:
        self.log.flush()
        text = (self.scratch / "template.log").read_text(encoding="utf-8", errors="replace").strip()
        return f"; its last words: {text[-1500:]}" if text else ""


class ForkedProcess:
    """What jupyter_client expects of a kernel's Popen, for a kernel forked by the template."""

    stdin = stdout = stderr = None

    def __init__(self, template: KernelTemplate, pid: int) -> None:
        self.template, self.pid = template, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.template.poll(self.pid)
            except TemplateError:
                self.returncode = 128 + signal.SIGKILL  # the template died, and its kernels with it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        return self.template.wait(self.pid, timeout or 3600) if self.poll() is None else self.returncode  # type: ignore[return-value]  # set by poll() above

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            try:
                self.template.signal(self.pid, number)
            except TemplateError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkedProvisioner(LocalProvisioner):
    """A provisioner whose kernels are forked from a `KernelTemplate` instead of started as new processes."""

    template: KernelTemplate | None = None
    slot: Path | None = None
    limits: dict[str, int] = {}

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        assert self.template is not None and self.slot is not None
        env = {name: value for name, value in kwargs.get("env", {}).items() if name != "JPY_PARENT_PID"}
        pid = self.template.fork(self.slot, env=env, limits=self.limits)
        self.process = ForkedProcess(self.template, pid)  # type: ignore[assignment]  # Popen's face, see ForkedProcess
        self.pid, self.pgid = pid, None  # not a process of this machine's namespace: never signalled directly
        self.cwd = str(self.slot / "work")
        return self.connection_info
