"""Benchmark: what the grader-drawn figures cost per submission, and how big they make the reports.

Grades the demo submissions (or SUBMISSIONS_DIR) into a temporary folder and prints, per
submission, the figures drawn, `figure_seconds` (probing the grids and curves after the
checks, then drawing; the first submission also pays for importing matplotlib), the image
bytes and the report's size.

    python benchmarks/figures.py [SUBMISSIONS_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from statistics import median

from grader.pipeline import BatchOptions, grade_folder

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "submissions"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        summary = grade_folder(folder, BatchOptions(out, ROOT / "solutions", force=True))
        print(f"{'submission':44} figures  seconds  images kB  report kB")
        for result in summary.results:
            images = sum(len(figure.data) for figure in result.figures) / 1000
            report = (out / result.submission / "report.html").stat().st_size / 1000
            print(f"{result.submission:44} {len(result.figures):7} {result.figure_seconds:8.3f} {images:10.1f} {report:10.1f}")
        drawn = [r.figure_seconds for r in summary.results[1:] if r.figures]  # the first imports matplotlib
        print(f"median figure_seconds of the others: {median(drawn):.3f} s" if drawn else "no figures drawn")


if __name__ == "__main__":
    main()
