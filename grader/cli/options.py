"""The kernel options every `grade` subcommand that runs notebooks shares, parsed into ExecuteSettings."""

from __future__ import annotations

import argparse

from grader.core.settings import KERNEL_STARTS, SANDBOX_MODES, ExecuteSettings, Limits

DEFAULTS = ExecuteSettings()


def add_kernel_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs notebooks shares."""
    parser.add_argument("--kernel", default=DEFAULTS.kernel_name, help="Jupyter kernel name (default: python3, the grader's own Python)")
    parser.add_argument("--cell-timeout", type=int, default=DEFAULTS.cell_timeout, help="seconds a cell may run (default: %(default)s)")
    parser.add_argument("--probe-timeout", type=int, default=DEFAULTS.probe_timeout, help="seconds one probe of a student object may take (default: %(default)s)")
    parser.add_argument("--submission-timeout", type=int, default=DEFAULTS.submission_timeout, help="seconds all cells of one notebook may take together (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed for Python, NumPy and torch before the student's code (default: %(default)s)")
    parser.add_argument("--memory-mb", type=int, default=DEFAULTS.limits.memory_mb, help="address-space limit of a kernel in MiB, 0 for none (default: %(default)s)")
    parser.add_argument("--cpu-seconds", type=int, default=DEFAULTS.limits.cpu_seconds, help="CPU-time limit of a kernel, 0 for none (default: %(default)s)")
    parser.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        default=DEFAULTS.sandbox,
        help="auto: isolate kernels in a bubblewrap sandbox where it works, say so loudly where it does not; "
        "required: refuse to grade unisolated; off: no sandbox (limits still apply) (default: %(default)s)",
    )
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_const", const="off", help="the same as --sandbox off")
    parser.add_argument(
        "--kernel-start",
        choices=KERNEL_STARTS,
        default=DEFAULTS.kernel_start,
        help="fork: fork each kernel from a sandboxed template that imported torch and friends once; "
        "launch: start each kernel as a new process (default: %(default)s; fork needs bubblewrap, else launch)",
    )


def execute_settings(args: argparse.Namespace) -> ExecuteSettings:
    """ExecuteSettings from the kernel options; ValueError saying the value came from the command line."""
    try:
        return ExecuteSettings(
            kernel_name=args.kernel,
            cell_timeout=args.cell_timeout,
            probe_timeout=args.probe_timeout,
            submission_timeout=args.submission_timeout,
            seed=args.seed,
            limits=Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds),
            sandbox=args.sandbox,
            kernel_start=args.kernel_start,
        )
    except ValueError as exc:
        raise ValueError(f"{exc} (from the command line)") from None
