"""What a first grading run builds, done once by setup.sh so a submission's time is grading only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.core.assignment import load_assignment
from grader.core.kernel_needs import kernel_settings
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import prebuilt_font_cache, require_environment
from grader.platforms.bundle import ASSIGNMENT_FOLDER, read_config
from grader.execute.sandbox import bubblewrap_problem

# what the kernel template imports (grader/execute/template.py), so their bytecode and caches exist
KERNEL_IMPORTS = "import torch, numpy, sklearn, sklearn.datasets, matplotlib.pyplot, ipykernel.kernelapp, pandas"


def warm_up(package: Path | None = None) -> str:
    """Build matplotlib's font cache, the kernel environment of `package`'s assignment (its `[environment]`
    pins) and import the kernel's libraries once; return why bubblewrap will not run here ("" when it will),
    which setup.sh's log shows."""
    prebuilt_font_cache()
    if package is not None:
        config = read_config(package)
        assignment = load_assignment(package / ASSIGNMENT_FOLDER / config.assignment)
        require_environment(kernel_settings(ExecuteSettings(), [assignment]))
    subprocess.run([sys.executable, "-c", KERNEL_IMPORTS], check=True, capture_output=True, timeout=600)
    import grader.grade  # noqa: F401 - the grader's own first imports (pytest, nbclient, the stages)

    return bubblewrap_problem()
