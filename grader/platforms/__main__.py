"""The entry points a package's scripts run: `python -m grader.platforms gradescope|prairielearn [--root R]`
grades one upload; `python -m grader.platforms warm` does what a first run would build (setup.sh)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.execute.environments import CACHE_VARIABLE
from grader.platforms import gradescope, prairielearn
from grader.platforms.warm import warm_up


def main(argv: list[str] | None = None) -> int:
    """Run one entry point; 0 once a results.json is written (a failed grading is a result, not an exit code)."""
    parser = argparse.ArgumentParser(prog="python -m grader.platforms")
    parser.add_argument("entry", choices=("gradescope", "prairielearn", "warm"))
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    # the kernel environment beside the grader's virtualenv, which setup.sh leaves readable to the kernel's user
    os.environ.setdefault(CACHE_VARIABLE, str(Path(sys.prefix) / "kernel-envs"))
    if args.entry == "gradescope":
        gradescope.run_autograder(args.root or gradescope.default_root())
    elif args.entry == "prairielearn":
        prairielearn.run_grader(args.root or prairielearn.default_root())
    else:
        problem = warm_up(args.root)
        sys.stderr.write(f"bubblewrap here: {problem or 'works'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
