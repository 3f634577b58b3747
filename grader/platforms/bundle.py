"""What every platform package carries: the grader's wheel, one assignment's folder and setup.sh.

A package holds exactly one assignment (its assignment.toml, reference notebook, specs,
calibration and hidden sets) and, instead of the course secret, that assignment's derived
secret (grader/core/secret.py: the entropy of its grading draws), so a leaked package reveals
no other assignment's hidden draws. Nothing in it is for students: on the platform it stays
root-only (grader/platforms/isolation.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from grader.core.assignment import Assignment, load_assignment
from grader.core.secret import DERIVED_FILE, SECRET_FILE, derive_assignment_secret, uses_secret

CONFIG_FILE = "platform.json"  # the package's settings, read by the grading entry point
ASSIGNMENT_FOLDER = "assignment"  # <package>/assignment/<id>/
DEFAULT_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
HIDDEN_VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_LEFT_OUT = ("demos.toml", SECRET_FILE, "__pycache__", ".pytest_cache", ".ipynb_checkpoints")


class PackageError(ValueError):
    """A package cannot be built as asked; the message names the fix."""


@dataclass(frozen=True)
class PlatformConfig:
    """The settings a package grades with (platform.json)."""

    assignment: str
    hidden_visibility: str = "after_published"  # Gradescope's visibility of the hidden checks' tests
    late_percent_per_unit: float = 0.0  # the late policy; the deadline comes from the platform
    late_unit: str = "day"
    late_max_percent: float = 100.0

    def __post_init__(self) -> None:
        if self.hidden_visibility not in HIDDEN_VISIBILITIES:
            raise PackageError(
                f"Invalid hidden visibility {self.hidden_visibility!r}: use one of {', '.join(HIDDEN_VISIBILITIES)}"
            )


def read_config(package: Path) -> PlatformConfig:
    """The settings of the unpacked package at `package`."""
    data = json.loads((package / CONFIG_FILE).read_text(encoding="utf-8"))
    return PlatformConfig(**data)


@dataclass(frozen=True)
class KernelPackages:
    """What the assignment's `[environment]` asks of the kernel: specifiers to install, versions to report."""

    torch: str  # the torch requirement setup.sh installs from the torch index
    install: tuple[str, ...]  # "pandas>=2.0": the kernel environment setup.sh builds (grader/execute/environments.py)
    reported: tuple[str, ...]  # "numpy 1.26": a bare version, only reported when the kernel differs


def kernel_packages(assignment: Assignment) -> KernelPackages:
    """The kernel's packages from the assignment's `[environment]`: its specifiers (`Assignment.kernel_pins`)
    make the kernel environment setup.sh builds; a bare version is only reported (as grading does)."""
    specified = dict(assignment.kernel_pins())
    reported = tuple(f"{name} {value}" for name, value in sorted(assignment.environment.items()) if name not in specified)
    torch = f"torch{specified.pop('torch')}" if "torch" in specified else f"torch=={grader_torch_version()}"
    return KernelPackages(torch, tuple(f"{name}{value}" for name, value in sorted(specified.items())), reported)


def grader_torch_version() -> str:
    """The torch version the grader runs here, without a local label (2.13.0, not 2.13.0+cpu)."""
    return metadata.version("torch").split("+")[0]


def checkout_root() -> Path:
    """The checkout the grader runs from (its pyproject.toml); PackageError where it runs from an install."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise PackageError(f"`grade package` builds the grader's wheel from a checkout; {root} has no pyproject.toml")
    return root


def build_wheel(dest: Path) -> Path:
    """The grader's wheel built from this checkout into `dest`; PackageError with pip's words when it fails."""
    with tempfile.TemporaryDirectory(prefix="grade-wheel-") as scratch:
        run = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", str(checkout_root()), "-w", scratch],
            capture_output=True, text=True, timeout=600, check=False,
        )
        wheels = sorted(Path(scratch).glob("nbgrade_torch-*.whl"))
        if run.returncode != 0 or not wheels:
            raise PackageError(f"building the grader's wheel failed: {run.stderr.strip()[-800:]}")
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheels[0], dest / wheels[0].name))


def find_assignment(solution: Path) -> Assignment:
    """The assignment of `solution` (its folder or its reference notebook); AssignmentError naming the fix."""
    return load_assignment(solution.parent if solution.suffix == ".ipynb" else solution)


def copy_assignment(assignment: Assignment, package: Path) -> Path:
    """`package/assignment/<id>/`: the assignment's folder without demos or the course secret, with its
    derived secret when its specs draw hidden data; return the copy's folder."""
    target = package / ASSIGNMENT_FOLDER / assignment.id
    shutil.copytree(assignment.folder, target, ignore=shutil.ignore_patterns(*_LEFT_OUT))
    if uses_secret(assignment.specs_dir):
        derived = derive_assignment_secret(assignment.folder, assignment.id, assignment.specs_dir)
        (target / DERIVED_FILE).write_text(json.dumps(derived, indent=1) + "\n", encoding="utf-8")
    return target


def write_config(config: PlatformConfig, package: Path) -> Path:
    path = package / CONFIG_FILE
    path.write_text(json.dumps(asdict(config), indent=1) + "\n", encoding="utf-8")
    return path


def setup_script(packages: KernelPackages, torch_index: str, venv: str, wheel_dir: str) -> str:
    """setup.sh: a virtualenv with Python >= 3.11, torch, the grader's wheel and the kernel's packages, the
    unprivileged kernel user, and the first-run builds (font cache, the kernel's imports) done ahead.

    `venv` and `wheel_dir` are shell words (they may use $ROOT and $HERE); `torch_index` "" lets pip use
    the machine's own configuration.
    """
    if re.search(r'["$`\\\s]', torch_index):
        raise PackageError(f"Invalid torch index {torch_index!r} from --torch-index: a URL without quotes, spaces or $")
    template = (Path(__file__).parent / "setup.sh.in").read_text(encoding="utf-8")
    extras = " ".join(_shell_quote(requirement) for requirement in packages.install) or "none"
    replacements = {
        "@TORCH@": _shell_quote(packages.torch), "@TORCH_INDEX@": torch_index, "@EXTRAS@": extras,
        "@VENV@": venv, "@WHEELS@": wheel_dir,
        "@REPORTED@": "; ".join(packages.reported) or "none",
    }
    for key, value in replacements.items():
        template = template.replace(key, value)
    return template


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
