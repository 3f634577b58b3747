"""Same notebook, same specs, same score: seeding, and crash-safe resumable batches."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from grader.pipeline import BatchOptions, grade_folder
from tests.conftest import FAST, FIXTURE_SOLUTIONS, code, live_kernel, notebook, write

RANDOM_CELLS = [
    code("import random\nimport numpy as np\nimport torch\nfrom torch import nn"),
    code("layer = nn.Linear(2, 1)\nnoise = [random.random(), float(np.random.rand()), float(torch.rand(1))]\nprint(noise)", "ex1"),
]
# The kill tests stop a batch after its first row: each notebook must take long enough that the signal lands before
# the last one is graded, however fast the grader gets (a batch of four bare notebooks once finished in the 0.2 s the
# test waited between two looks at the gradebook).
SLOW_CELLS = [*RANDOM_CELLS, code("import time\ntime.sleep(1.5)")]


def test_the_graders_seed_makes_unseeded_student_code_repeatable(tmp_path):
    runs = []
    for attempt in range(3):
        for live in live_kernel(notebook(*RANDOM_CELLS), tmp_path / str(attempt)):
            from grader.probe.probe import Probe

            probe = Probe(live, _mini(), live.result.cells)
            weights = probe.forward("layer", np.eye(2, dtype=np.float32))
            runs.append((live.result.cells[1].stdout, weights.tolist()))
    assert runs[0] == runs[1] == runs[2]


def _mini():
    from grader.core.assignment import load_assignment

    return load_assignment(FIXTURE_SOLUTIONS / "mini")


def test_grading_three_times_gives_identical_scores_and_messages(tmp_path):
    write(notebook(*RANDOM_CELLS, assignment="mini"), tmp_path / "s" / "amy.ipynb")
    outcomes = []
    for attempt in range(3):
        result = grade_folder(tmp_path / "s", BatchOptions(tmp_path / f"out{attempt}", FIXTURE_SOLUTIONS, FAST)).results[0]
        checks = [(c.id, c.outcome, c.points, c.message) for e in result.exercises for c in e.checks]
        outcomes.append((result.score, result.message, checks, result.execution.cells[1].stdout))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_kill_minus_9_mid_batch_then_rerun_loses_and_duplicates_nothing(tmp_path):
    folder, out = tmp_path / "s", tmp_path / "out"
    for student in ("a", "b", "c", "d"):
        write(notebook(*SLOW_CELLS, assignment="mini"), folder / f"{student}.ipynb")
    command = [sys.executable, "-m", "grader.cli", str(folder), "--out", str(out), "--quiet",
               "--solutions", str(FIXTURE_SOLUTIONS)]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = out / "gradebook.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _rows(database) < 1:
        time.sleep(0.2)
    helpers = _children(grader.pid)  # its workers and its figure drawer
    os.kill(grader.pid, signal.SIGKILL)
    grader.wait()
    done_before = _rows(database)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in helpers):
        time.sleep(0.1)
    assert helpers and not [pid for pid in helpers if _running(pid)], "a helper process outlived the killed grader"
    assert 1 <= done_before < 4
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0
    assert f"4 submission(s): {4 - done_before} graded, {done_before} unchanged" in rerun.stderr.replace("\n", " ")
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT submission) FROM submissions").fetchone() == (4, 4)
        assert db.execute("SELECT COUNT(*) FROM checks").fetchone() == (12,)


def _children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat[stat.rfind(")") + 2:].split()[1]) == pid:
            children.append(int(entry))
    return children


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _rows(database) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigterm_mid_batch_still_writes_grades_csv_and_the_index_for_what_finished(tmp_path):
    folder, out = tmp_path / "s", tmp_path / "out"
    for student in ("a", "b", "c", "d"):
        write(notebook(*SLOW_CELLS, assignment="mini"), folder / f"{student}.ipynb")
    command = [sys.executable, "-m", "grader.cli", str(folder), "--out", str(out), "--quiet", "--workers", "1",
               "--solutions", str(FIXTURE_SOLUTIONS)]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _rows(out / "gradebook.sqlite") < 1:
        time.sleep(0.2)
    os.kill(grader.pid, signal.SIGTERM)
    grader.communicate(timeout=60)
    assert grader.returncode != 0
    done = _rows(out / "gradebook.sqlite")
    rows = (out / "grades.csv").read_text().splitlines()
    assert 1 <= done < 4 and len(rows) == 1 + done
    assert (out / "index.html").is_file()
