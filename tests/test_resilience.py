"""A dying worker, template or kernel parent costs one verdict at most, never the batch."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.pipeline import BatchOptions, grade_folder
from grader.core.settings import ExecuteSettings
from tests.conftest import FIXTURE_SOLUTIONS, code, notebook, write

SOLVED = [
    code("import torch\nfrom torch import nn", "locked"),
    code("layer = nn.Linear(2, 1)", "ex1"),
    code("def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", "ex2"),
]


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(newline="") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["os.kill(os.getppid(), signal.SIGKILL)", "os.killpg(0, signal.SIGKILL)"])
def test_a_kernel_that_kills_its_parent_or_group_costs_only_its_own_verdict_unsandboxed(tmp_path, attack):
    folder = tmp_path / "s"
    write(notebook(code(f"import os, signal\n{attack}"), *SOLVED, assignment="mini"), folder / "killer.ipynb")
    for student in ("amy", "bob"):
        write(notebook(*SOLVED, assignment="mini"), folder / f"{student}.ipynb")
    settings = ExecuteSettings(cell_timeout=20, probe_timeout=10, sandbox="off", kernel_start="launch")
    summary = grade_folder(folder, BatchOptions(tmp_path / "out", FIXTURE_SOLUTIONS, settings, workers=2))
    results = {r.student: r for r in summary.results}
    assert (results["killer"].status, results["killer"].score) == ("kernel-died", 0)
    assert [(results[s].status, results[s].score) for s in ("amy", "bob")] == [("graded", 4), ("graded", 4)]
    assert set(_rows(tmp_path / "out")) == {"killer", "amy", "bob"}


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in found]


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["worker", "template"])
def test_killing_a_worker_or_its_template_mid_batch_leaves_a_row_for_every_submission(tmp_path, victim):
    folder, out = tmp_path / "s", tmp_path / "out"
    slow = code("import time\ntime.sleep(4)")
    for student in ("a", "b", "c", "d"):
        write(notebook(*SOLVED, slow, assignment="mini"), folder / f"{student}.ipynb")
    command = [sys.executable, "-m", "grader.cli", str(folder), "--out", str(out), "--quiet", "--workers", "2",
               "--solutions", str(FIXTURE_SOLUTIONS)]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    killed = False
    while time.monotonic() < deadline and not killed:
        time.sleep(0.5)
        workers = [pid for pid in _children(grader.pid) if "spawn_main" in _command_line(pid)]
        busy = [w for w in workers if len(_descendants(w)) > 2]  # a template and a kernel are up
        targets = busy[:1] if victim == "worker" else [
            pid for w in busy for pid in _descendants(w) if "kernel_template.py" in _command_line(pid)
        ][:1]
        for target in targets:
            try:
                os.kill(target, signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass
    assert killed, f"no {victim} to kill"
    _, err = grader.communicate(timeout=400)
    assert grader.returncode == 0, err[-2000:]
    rows = _rows(out)
    assert set(rows) == {"a", "b", "c", "d"}
    assert all(row["status"] in ("graded", "kernel-died", "grader-error") for row in rows.values())
    assert sum(row["score"] == "4" for row in rows.values()) >= 3  # at most the one held when it died is lost
