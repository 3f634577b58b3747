"""How the kernel is isolated inside a platform's container, where student code would otherwise run as root.

Bubblewrap where user namespaces work (grader/execute/sandbox.py). Where they do not, the kernel runs
as an unprivileged user (`NBGRADE_STUDENT_USER`, made by setup.sh, else nobody) and every grader
file (the package with specs, secret and calibration, the submission, the results) is made
root-only (mode 700) before any kernel starts; the usual limits apply either way.
`NBGRADE_ISOLATION=bubblewrap|user` forces a path (tests run both); the default, `auto`, chooses.
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.execute.sandbox import KERNEL_USER_VARIABLE, bubblewrap_problem

ISOLATION_VARIABLE = "NBGRADE_ISOLATION"
USER_VARIABLE = "NBGRADE_STUDENT_USER"
DEFAULT_USER = "nbgrade-student"
NOBODY = 65534
CHOICES = ("auto", "bubblewrap", "user")


@dataclass(frozen=True)
class IsolationChoice:
    """Which isolation grades here, and the sentence the results say it with."""

    path: str  # "bubblewrap" or "user"
    sandbox: str  # ExecuteSettings.sandbox for it
    summary: str


def choose_isolation(environ: dict[str, str] | None = None) -> IsolationChoice:
    """The isolation for this container: NBGRADE_ISOLATION's, else bubblewrap where it works, else the user."""
    environ = dict(os.environ) if environ is None else environ
    wanted = environ.get(ISOLATION_VARIABLE, "auto") or "auto"
    if wanted not in CHOICES:
        raise ValueError(f"Invalid {ISOLATION_VARIABLE} {wanted!r} from the environment: use one of {', '.join(CHOICES)}")
    problem = bubblewrap_problem()
    if wanted == "bubblewrap" or (wanted == "auto" and not problem):
        return IsolationChoice("bubblewrap", "required", "Isolation: bubblewrap sandbox (no network, only its own folder, uid nobody).")
    uid = student_ids(environ)[0]
    why = problem[:200] if problem and wanted == "auto" else f"{ISOLATION_VARIABLE}=user"
    return IsolationChoice("user", "off", f"Isolation: unprivileged user uid {uid}, the grader's files root-only (no bubblewrap: {why}).")


def student_ids(environ: dict[str, str]) -> tuple[int, int]:
    """The (uid, gid) of the unprivileged kernel user: NBGRADE_STUDENT_USER's, else nobody's."""
    try:
        entry = pwd.getpwnam(environ.get(USER_VARIABLE, DEFAULT_USER) or DEFAULT_USER)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return NOBODY, NOBODY


def apply_isolation(choice: IsolationChoice, grader_files: list[Path]) -> None:
    """For the user path: make `grader_files` root-only and tell the kernel launcher which user to become."""
    if choice.path != "user":
        os.environ.pop(KERNEL_USER_VARIABLE, None)
        return
    if os.geteuid() != 0:
        raise PermissionError("the unprivileged-user isolation needs the grader to run as root (as on Gradescope)")
    for path in grader_files:
        lock(path)
    uid, gid = student_ids(dict(os.environ))
    os.environ[KERNEL_USER_VARIABLE] = f"{uid}:{gid}"


def lock(path: Path) -> None:
    """Make `path` (a folder: it and everything under it) root-owned and unreadable to anyone else."""
    if not path.exists():
        return
    targets = [path, *path.rglob("*")] if path.is_dir() else [path]
    for target in targets:
        if target.is_symlink():
            continue
        os.chown(target, 0, 0)
        mode = target.stat().st_mode
        os.chmod(target, stat.S_IMODE(mode) & 0o700)
