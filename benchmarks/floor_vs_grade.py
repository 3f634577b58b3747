"""Benchmark: grading against the floor of executing each notebook once, in one run.

On --count notebooks (the demo submissions, replicated as needed), measures:
  floor        each notebook executed once by plain nbclient, serially
  grade -w 1   `grade` with one worker (execute + probe + check + record + report)
  grade -w N   `grade` with one worker per core
  regrade      `grade` again on the unchanged batch (nothing is executed)
once per way of starting kernels (--starts: forked from a pre-imported
template, or launched as new processes), and prints each figure and the
ratios. Timings are printed, never asserted.

--check (what CI runs, on a small batch): also fail unless every run gave the
same grades.csv and the re-grade executed nothing.

    python benchmarks/floor_vs_grade.py [--count 20] [--starts fork,launch] [--check] [SUBMISSIONS_DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import nbformat
from nbclient import NotebookClient

from grader.core.phases import PHASES
from grader.core.settings import KERNEL_STARTS, ExecuteSettings
from grader.pipeline import BatchOptions, BatchSummary, grade_folder

ROOT = Path(__file__).resolve().parent.parent


def replicate(source: Path, target: Path, count: int) -> list[Path]:
    """Copy the notebooks under `source` into `target`, round after round, until there are `count`
    (the first `count` of them when there are more)."""
    originals = sorted(source.rglob("*.ipynb"))
    copies = []
    for index in range(count):
        original = originals[index % len(originals)]
        copy = target / f"{original.parent.name}-{index // len(originals)}" / original.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(original, copy)
        copies.append(copy)
    return copies


def floor_seconds(notebooks: list[Path], threads: int | None = 1) -> float:
    """Plain nbclient, one notebook after the other: one intra-op thread like the grader, or (None) torch's
    default, as a user runs it."""
    previous = os.environ.pop("OMP_NUM_THREADS", None)
    if threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        return _executed_serially(notebooks)
    finally:
        os.environ.pop("OMP_NUM_THREADS", None)
        if previous is not None:
            os.environ["OMP_NUM_THREADS"] = previous


def _executed_serially(notebooks: list[Path]) -> float:
    started = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as workdir:
            NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": workdir}}).execute()
    return time.perf_counter() - started


def grade(folder: Path, out: Path, workers: int, force: bool, start: str) -> tuple[float, BatchSummary]:
    began = time.perf_counter()
    summary = grade_folder(folder, BatchOptions(out, ROOT / "solutions", ExecuteSettings(kernel_start=start), force=force, workers=workers))
    return time.perf_counter() - began, summary


def kernel_medians(summary: BatchSummary) -> tuple[float, float]:
    """The medians of the kernels' boot (launch or fork to ready) and of the submissions' wait for them."""
    executions = [r.execution for r in summary.results if r.execution is not None]
    if not executions:
        return 0.0, 0.0
    return median(e.kernel_boot_seconds for e in executions), median(e.kernel_wait_seconds for e in executions)


def phase_medians(summary: BatchSummary) -> str:
    """The per-submission median of each phase (result.json's `phases`) over the submissions executed."""
    graded = [r.phases for r in summary.results if r.execution is not None]
    if not graded:
        return "no submission executed"
    medians = {name: median(getattr(p, name) for p in graded) for name in PHASES}
    execution = medians["execution"]
    beyond = median(p.worker_total() - p.execution for p in graded)
    share = f", beyond execution {beyond:.2f} s ({100 * beyond / execution:.0f} % of it)" if execution else ""
    return ", ".join(f"{name} {value:.2f}" for name, value in medians.items()) + share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "submissions")
    parser.add_argument("--count", type=int, default=20, help="notebooks in the batch (default: %(default)s)")
    parser.add_argument("--starts", default=",".join(KERNEL_STARTS), help="kernel starts to measure (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the parallel run's workers (default: the cores)")
    parser.add_argument("--default-threads-floor", action="store_true",
                        help="also measure the floor with torch's default intra-op threads, as a user runs it")
    parser.add_argument("--check", action="store_true", help="fail unless all runs agree and the re-grade executed nothing")
    args = parser.parse_args()
    starts = [start.strip() for start in args.starts.split(",") if start.strip()]
    cores, problems = args.workers, []
    with tempfile.TemporaryDirectory() as scratch:
        batch = Path(scratch) / "batch"
        notebooks = replicate(args.folder, batch, args.count)
        n = len(notebooks)
        floor = floor_seconds(notebooks)
        print(f"notebooks               {n}   (workers in the parallel runs: {cores}, cores: {os.cpu_count()})")
        print(f"floor (plain nbclient)  {floor:7.1f} s   {floor / n:5.2f} s per notebook   (one intra-op thread, as the grader)")
        if args.default_threads_floor:
            default = floor_seconds(notebooks, None)
            print(f"floor, torch's threads  {default:7.1f} s   {default / n:5.2f} s per notebook   ({default / floor:.2f} x the one-thread floor)")
        grades: dict[str, str] = {}
        for start in starts:
            out1, outn = Path(scratch) / f"{start}-1", Path(scratch) / f"{start}-n"
            serial, one = grade(batch, out1, 1, True, start)
            parallel, many = grade(batch, outn, cores, True, start)
            regrade, again = grade(batch, outn, cores, False, start)
            print(f"kernels: {start}")
            print(f"  grade --workers 1     {serial:7.1f} s   {serial / n:5.2f} s per notebook   {serial / floor:5.2f} x floor")
            print(f"  grade --workers {cores:<2}    {parallel:7.1f} s   {parallel / n:5.2f} s per notebook   {parallel / floor:5.2f} x floor")
            print(f"  speed-up from workers {serial / parallel:7.2f} x")
            for label, summary in (("--workers 1", one), (f"--workers {cores}", many)):
                boot, wait = kernel_medians(summary)
                print(f"  {label:<21} kernel_boot_seconds median {boot:.2f} s, kernel_wait_seconds median {wait:.2f} s")
                print(f"  {label:<21} phase medians (s): {phase_medians(summary)}")
            print(f"  re-grade, unchanged   {regrade:7.1f} s   ({again.regraded} executed again)")
            grades[f"{start} --workers 1"] = (out1 / "grades.csv").read_text(encoding="utf-8")
            grades[f"{start} --workers {cores}"] = (outn / "grades.csv").read_text(encoding="utf-8")
            if again.regraded:
                problems.append(f"{start}: the unchanged re-grade executed {again.regraded} notebook(s)")
    reference_name, reference = next(iter(grades.items()))
    for name, text in grades.items():
        if text != reference:
            problems.append(f"grades.csv of {name} differs from {reference_name}")
    print("grades.csv: " + ("identical in every run" if not any("differs" in p for p in problems) else "DIFFERENT"))
    if args.check and problems:
        sys.exit("benchmark check failed: " + "; ".join(problems))


if __name__ == "__main__":
    main()
