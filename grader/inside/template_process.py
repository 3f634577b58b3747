"""Kernel template: imports once, then forks one fresh, sandboxed kernel per submission.

This file is never imported by the grader. A copy of it is run as a script by a Python
process inside a bubblewrap sandbox (see grader/execute/template.py), which imports
ipykernel, PyTorch, NumPy, scikit-learn and matplotlib once and then waits for
requests on its standard input, one JSON object per line, answering each with
one JSON line on its standard output:

    {"op": "fork", ...}           -> {"pid": N}      a new kernel, see `_become_kernel`
    {"op": "signal", "pid", "signal"} -> {}
    {"op": "poll", "pid"}         -> {"status": None or exit status}

The template never runs student code. Each forked kernel isolates itself
before the first line of student code can run:

* new user, mount, PID, network, IPC and UTS namespaces, so it cannot see or
  signal the template or any other kernel (other kernels' process numbers are
  still listed in /proc, but their files and memory are not readable: every
  process here is non-dumpable);
* a private /tmp holding only its own working folder and home, and a view of
  the socket folder that shows only its own sockets;
* resource limits, no capabilities, and no way to regain any (no_new_privs).

A kernel's process tree is: the forked child (waits, reports the exit status
to the template), the PID namespace's init (reaps orphans; when it dies every
process of the kernel dies), and the kernel itself.
"""

import ctypes
import gc
import json
import os
import resource
import shutil
import signal
import sys
import time
import traceback

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

PRELOAD = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.optim",
    "torch.utils.data",
    "sklearn",
    "sklearn.datasets",
    "sklearn.model_selection",
    "matplotlib",
    "matplotlib.pyplot",  # not the inline backend: the kernel's shell must see it imported, to hook into it
    "ipykernel.kernelapp",
)

_libc = ctypes.CDLL(None, use_errno=True)


def _call(name, *arguments):
    if getattr(_libc, name)(*arguments) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{name}: {os.strerror(number)}")


def _mount(source, target, kind, flags, data=None):
    encode = lambda value: None if value is None else value.encode()  # noqa: E731
    _call("mount", encode(source), encode(target), encode(kind), ctypes.c_ulong(flags), encode(data))


def _drop_capabilities():
    """No capabilities in any set, none to regain by executing a program."""
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable, twice (64 bits), all zero
    _call("capset", header, data)
    _call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _preload(names):
    """Import what notebooks use. Nothing is run: a thread pool started here would not survive a fork."""
    loaded = []
    for name in names:
        try:
            __import__(name)
            loaded.append(name)
        except Exception:  # a library missing here is simply imported (and fails) in the notebook
            traceback.print_exc()
    return loaded


def _write_files(folder, files):
    os.makedirs(folder, exist_ok=True)
    for relative, content in files.items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)


def _read_tree(folder):
    """Every file under `folder`, as {relative path: bytes}."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, folder)] = handle.read()
    return files


def _isolate(request, home_files):
    """Run in the forked child, before any student code: namespaces, folders, limits, no privileges."""
    uid, gid = os.getuid(), os.getgid()
    own = request["slot"]  # this kernel's folder: sockets, connection file, log, working folder
    slots = os.path.dirname(own)
    _call("unshare", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{gid} {gid} 1")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    # opened in the new namespace, so they can be bound back once covered
    kept = os.open(own, os.O_PATH | os.O_DIRECTORY)
    readable = {path: os.open(path, os.O_PATH) for path in sorted(request["keep"], key=len) if _under("/tmp", path)}
    # a private /tmp (the template's, shared by every kernel it forks, disappears under it) ...
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    if os.path.isdir(slots):  # the slots folder lives outside /tmp: cover it too
        _mount("tmpfs", slots, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    # ... with what lived under it and must stay: the Python installation (read-only, as it was
    # bound into the template) and this kernel's own folder alone
    for path, fd in [*readable.items(), (own, kept)]:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    _write_files(request["home"], home_files)
    for name, value in request["limits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _drop_capabilities()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["workdir"])


def _under(folder, path):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _exit_status(status):
    """A child's wait status as an exit code, signals as 128 + number (as bubblewrap reports them)."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _init(kernel_pid):
    """PID 1 of the kernel's namespace: reap orphans; leave, with the kernel's status, when it ends."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == kernel_pid:
            os._exit(_exit_status(status))


def _run_kernel(request):
    sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance()
    os._exit(0)


def _become_kernel(request, home_files):
    """The forked child: isolate, then start the PID namespace's init and the kernel under it."""
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for fd in (log, null, *request["close"]):
        os.close(fd)
    os.setsid()
    _isolate(request, home_files)
    init = os.fork()
    if init == 0:  # PID 1 of the new namespace
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        kernel = os.fork()
        if kernel == 0:
            if request.get("command") == "exit":  # a trial fork: isolation works here
                os._exit(0)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _run_kernel(request)
        _init(kernel)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(init, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(init, 0)
            os._exit(_exit_status(status))
        except InterruptedError:
            continue


def _reap(exited):
    """Collect the exit status of every forked kernel that has ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = _exit_status(status)


def main():
    config = json.loads(sys.argv[1])
    control_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    control_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)  # stray prints go to the template's log, never into the answers
    os.close(null)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # a kernel cannot read or write the template's memory
    del sys.path[0]  # this script's folder: nothing to import from there
    home = config["home"]
    if config.get("font_cache"):
        shutil.copytree(config["font_cache"], os.path.join(home, ".matplotlib"), dirs_exist_ok=True)
    home_files = _read_tree(home)  # each kernel gets its own copy of the template's home
    started = time.perf_counter()
    loaded = _preload(config.get("preload", PRELOAD))
    # what was imported moves to the collector's permanent generation: a forked kernel's collections never
    # walk the template's objects, nor copy the memory pages they live on by writing to their headers
    gc.collect()
    gc.freeze()
    control_out.write(json.dumps({"ready": True, "imported": loaded, "seconds": time.perf_counter() - started}) + "\n")
    control_out.flush()
    exited = {}
    for line in control_in:
        request = json.loads(line)
        operation, answer = request.get("op"), {}
        _reap(exited)
        try:
            if operation == "fork":
                request["close"] = [control_in.fileno(), control_out.fileno()]
                request["keep"] = config.get("keep", [])
                pid = os.fork()
                if pid == 0:
                    try:
                        _become_kernel(request, home_files)
                    except BaseException:
                        traceback.print_exc()
                    finally:
                        os._exit(70)
                answer = {"pid": pid}
            elif operation == "signal":
                if request["pid"] not in exited:
                    os.kill(request["pid"], request["signal"])
            elif operation == "poll":
                answer = {"status": exited.get(request["pid"])}
            else:
                answer = {"error": f"unknown operation {operation!r}"}
        except OSError as error:
            answer = {"error": str(error)}
        control_out.write(json.dumps(answer) + "\n")
        control_out.flush()


if __name__ == "__main__":
    main()
