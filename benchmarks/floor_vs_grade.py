"""Benchmark: grading against the floor of executing each notebook once, in one run.

On the demo submissions replicated to at least --count notebooks, measures:
  floor        each notebook executed once by plain nbclient, serially
  grade -w 1   `grade` with one worker (execute + probe + check + record + report)
  grade -w N   `grade` with one worker per core
  regrade      `grade` again on the unchanged batch (nothing is executed)
and prints each figure and the ratios. Timings only: no assertion, no test.

    python benchmarks/floor_vs_grade.py [--count 20] [SUBMISSIONS_DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.execute import ExecuteSettings
from grader.pipeline import grade_folder

ROOT = Path(__file__).resolve().parent.parent


def replicate(source: Path, target: Path, count: int) -> list[Path]:
    """Copy the notebooks under `source` into `target`, round after round, until there are `count`."""
    originals = sorted(source.rglob("*.ipynb"))
    copies = []
    for index in range(max(count, len(originals))):
        original = originals[index % len(originals)]
        copy = target / f"{original.parent.name}-{index // len(originals)}" / original.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(original, copy)
        copies.append(copy)
    return copies


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


def grade_seconds(folder: Path, out: Path, workers: int, force: bool) -> float:
    started = time.perf_counter()
    grade_folder(folder, out, ROOT / "solutions", ExecuteSettings(), force=force, workers=workers)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "submissions")
    parser.add_argument("--count", type=int, default=20, help="notebooks in the batch (default: %(default)s)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        batch = Path(scratch) / "batch"
        notebooks = replicate(args.folder, batch, args.count)
        floor = floor_seconds(notebooks)
        serial = grade_seconds(batch, Path(scratch) / "out1", 1, force=True)
        parallel = grade_seconds(batch, Path(scratch) / "outN", cores, force=True)
        regrade = grade_seconds(batch, Path(scratch) / "outN", cores, force=False)
    n = len(notebooks)
    print(f"notebooks               {n}   (cores: {cores})")
    print(f"floor (plain nbclient)  {floor:7.1f} s   {floor / n:5.2f} s per notebook")
    print(f"grade --workers 1       {serial:7.1f} s   {serial / n:5.2f} s per notebook   {serial / floor:5.2f} x floor")
    print(f"grade --workers {cores:<2}      {parallel:7.1f} s   {parallel / n:5.2f} s per notebook   {parallel / floor:5.2f} x floor")
    print(f"speed-up from workers   {serial / parallel:7.2f} x")
    print(f"re-grade, unchanged     {regrade:7.1f} s")


if __name__ == "__main__":
    main()
