"""Benchmark: grading overhead against the floor of executing each notebook once.

Measures in one run, on the same machine:
  floor   each demo notebook executed once by plain nbclient, serially
  grade   `grade` on the same notebooks (execute + probe + check + record + report)
and prints both, per notebook and in total, and the ratio grade ÷ floor.

    python benchmarks/floor_vs_grade.py [SUBMISSIONS_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.execute import ExecuteSettings
from grader.pipeline import grade_folder

ROOT = Path(__file__).resolve().parent.parent


def floor_seconds(notebooks: list[Path]) -> float:
    """Plain nbclient, one notebook after the other, one intra-op thread like the grader."""
    os.environ["OMP_NUM_THREADS"] = "1"
    started = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as workdir:
            NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": workdir}}).execute()
    return time.perf_counter() - started


def grade_seconds(folder: Path) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        grade_folder(folder, Path(out), ROOT / "solutions", ExecuteSettings(), force=True)
        return time.perf_counter() - started


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "submissions"
    notebooks = sorted(folder.rglob("*.ipynb"))
    floor = floor_seconds(notebooks)
    grade = grade_seconds(folder)
    count = len(notebooks)
    print(f"notebooks          {count}")
    print(f"floor (nbclient)   {floor:7.1f} s   {floor / count:5.2f} s per notebook")
    print(f"grade              {grade:7.1f} s   {grade / count:5.2f} s per notebook")
    print(f"grade / floor      {grade / floor:7.2f}")


if __name__ == "__main__":
    main()
