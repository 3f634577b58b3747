"""Benchmark: what the kernel-side tracking costs the student's code, as the kernel's CPU time.

The same notebook runs in plain nbclient (no grader code in the kernel) and in the grader's kernel
(section snapshots after every cell, the forward and optimizer-step hooks, fingerprints, devices),
each `--runs` times, one intra-op thread both. A cell put first imports what the notebook imports
and reads the kernel's CPU clock (`time.process_time()`); a cell put last reads it again: the
difference is the CPU the student's cells took, without kernel start-up or imports, which wall time
on a shared machine is too noisy to show. Prints the medians and the ratio (grader ÷ plain).
The grader's kernels are forked from the template, as a batch's are; the template's imports are
frozen out of the garbage collector there, so the ratio can come out below 1.

    python benchmarks/tracking_cost.py [--runs 5] [NOTEBOOK]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path
from statistics import median

import nbformat
from nbclient import NotebookClient

from grader.core.assignment import load_assignment
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply
from grader.execute.notebook import run_notebook

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "solutions" / "classification-exercises" / "classification-exercises.ipynb"
FIRST = "import time as _clock, torch, numpy, sklearn, matplotlib.pyplot\n_cpu_start = _clock.process_time()"
LAST = "print('CPU', _clock.process_time() - _cpu_start)"
PARTS = ("import os as _os\n_times_start = _os.times()", "print('USER', _os.times().user - _times_start.user, 'SYS', _os.times().system - _times_start.system)")


def timed(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(FIRST + "\n" + PARTS[0]), *nb.cells, nbformat.v4.new_code_cell(PARTS[1] + "\n" + LAST)]
    return nb


def cpu_of(text: str) -> float:
    found = re.findall(r"CPU (\d+\.\d+)", text)
    if not found:
        raise RuntimeError("the last cell printed no CPU time")
    parts = re.findall(r"USER (\S+) SYS (\S+)", text)
    if parts and os.environ.get("SHOW_PARTS"):
        print("   user %.2f sys %.2f" % tuple(float(x) for x in parts[-1]))
    return float(found[-1])


def plain(nb: nbformat.NotebookNode) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": workdir}})
        client.execute()
    outputs = nb.cells[-1].outputs
    return cpu_of("".join(o.get("text", "") for o in outputs))


def graded(nb: nbformat.NotebookNode, settings: ExecuteSettings, supply: KernelSupply) -> float:
    """The grader's kernel as a batch gets it: forked from the template (launched where forking is off)."""
    with run_notebook(nb, settings, supply.take()) as live:
        return cpu_of(live.result.cells[-1].stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"  # the plain kernel's torch, as the grader's (settings.threads)
    assignment_folder = args.notebook.parent
    settings = ExecuteSettings()
    if (assignment_folder / "assignment.toml").is_file():
        from grader.core.kernel_needs import kernel_settings

        settings = kernel_settings(settings, [load_assignment(assignment_folder)])
    plain_cpu, graded_cpu = [], []
    supply = KernelSupply(settings, expected=args.runs)
    try:
        for _ in range(args.runs):  # interleaved: a slow spell of the machine hits both
            plain_cpu.append(plain(timed(args.notebook)))
            graded_cpu.append(graded(timed(args.notebook), settings, supply))
    finally:
        supply.close()
    print(f"notebook {args.notebook.name}, {args.runs} runs each, kernel CPU of the student's cells (s)")
    print("  plain nbclient  " + " ".join(f"{c:.2f}" for c in plain_cpu) + f"   median {median(plain_cpu):.2f}")
    print("  grader's kernel " + " ".join(f"{c:.2f}" for c in graded_cpu) + f"   median {median(graded_cpu):.2f}")
    print(f"  ratio (grader / plain) {median(graded_cpu) / median(plain_cpu):.3f}")


if __name__ == "__main__":
    main()
