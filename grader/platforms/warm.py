"""What a first grading run builds, done once by setup.sh so a submission's time is grading only."""

from __future__ import annotations

import subprocess
import sys

from grader.execute.kernels import prebuilt_font_cache
from grader.execute.sandbox import bubblewrap_problem

# what the kernel template imports (grader/execute/template.py), so their bytecode and caches exist
KERNEL_IMPORTS = "import torch, numpy, sklearn, sklearn.datasets, matplotlib.pyplot, ipykernel.kernelapp, pandas"


def warm_up() -> str:
    """Build matplotlib's font cache and import the kernel's libraries once; return why bubblewrap
    will not run here ("" when it will), which setup.sh's log shows."""
    prebuilt_font_cache()
    subprocess.run([sys.executable, "-c", KERNEL_IMPORTS], check=True, capture_output=True, timeout=600)
    import grader.grade  # noqa: F401 - the grader's own first imports (pytest, nbclient, the stages)

    return bubblewrap_problem()
