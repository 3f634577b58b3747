"""The student package of in-notebook checks: a wheel `grade release` writes when assignment.toml says `checker = true`.

`pip install nbgrade_check_<id>-<version>-py3-none-any.whl` (Colab, VS Code, JupyterLab, Notebook 7) gives
`from grader.notebook import Checker`: the modules of grader/ that the checks import (`STUDENT_MODULES`),
the kernel side they load as text (grader/inside/), and this assignment's released definition and public
checks as data under `grader/notebook/assignments/<id>/`. Only released files go in: never the hidden
specs, hidden sets, calibration or the course secret (the wheel is built from the `Release`'s own texts).
The same release gives the same bytes (fixed timestamps, sorted entries), so `out_of_date` can compare it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.core.assignment import Assignment
from grader.core.markers import LOCKED, locked_checksum
from grader.grade import grader_version

GRADER = Path(__file__).resolve().parent.parent
STUDENT_MODULES = (  # what `import grader.notebook` reaches, and nothing else (tests/test_notebook_checker.py)
    "__init__.py",
    "core/__init__.py", "core/legacy.py", "core/assignment.py", "core/schema.py", "core/settings.py",
    "core/results.py", "core/phases.py", "core/outputs.py",
    "probe/__init__.py", "probe/asking.py", "probe/resolve.py", "probe/resolution_words.py", "probe/expressions.py", "probe/sections.py",
    "probe/figure_requests.py",
    "inside/__init__.py", "inside/tracking.py", "inside/questions.py", "inside/fitting.py", "inside/helper.py",
    "spec.py",  # public checks import helpers from it; each name loads only its own module
    "notebook/__init__.py", "notebook/checker.py", "notebook/kernel_side.py", "notebook/runner.py", "notebook/table.py",
)
REQUIRES = ("numpy", "pytest", "nbformat", "packaging")  # torch is the notebook's own; pytest only for the checks' markers
CELL_ID = "nbgrade-checker"


def distribution(assignment: Assignment) -> str:
    """The wheel's distribution name, e.g. 'nbgrade_check_assignment_6'."""
    return "nbgrade_check_" + "".join(c if c.isalnum() else "_" for c in assignment.id.lower())


def wheel_name(assignment: Assignment) -> str:
    """The wheel's file name, as pip requires it: '<distribution>-<version>-py3-none-any.whl'."""
    return f"{distribution(assignment)}-{grader_version()}-py3-none-any.whl"


def pip_line(assignment: Assignment) -> str:
    """What the student runs: from the instructor's `checker_url`, else the wheel beside the notebook's folder."""
    where = f"{assignment.checker_url.rstrip('/')}/" if assignment.checker_url else f"{assignment.id}/"
    return f"%pip install {where}{wheel_name(assignment)}"


def checker_source(assignment: Assignment) -> str:
    """The released notebook's first code cell: the checks, or a message with the pip line, never an error."""
    return "\n".join([
        "# Checks while you work: check(\"ex1\") after an exercise, check.all() at the end. They run the public",
        "# checks only (the form of your answers); the hidden checks decide the grade.",
        "try:",
        "    from grader.notebook import Checker",
        "except ImportError:  # not installed: the notebook runs as usual, without the checks",
        f"    print(\"To check your work in this notebook, run  {pip_line(assignment)}  and restart the kernel.\")",
        "",
        "    class Checker:",
        "        def __init__(self, *args, **kwargs): pass",
        "        def __call__(self, *exercises): return None",
        "        def all(self): return None",
        f"check = Checker({assignment.id!r})",
    ])


def with_checker_cell(student: NotebookNode, assignment: Assignment) -> NotebookNode:
    """The released notebook with the checker cell (locked, checksummed) before its first code cell."""
    source = checker_source(assignment)
    cell = nbformat.v4.new_code_cell(source, id=CELL_ID)
    cell.metadata = nbformat.from_dict({"tags": [LOCKED], "grader": {"checksum": locked_checksum(source)}})
    first = next((i for i, c in enumerate(student.cells) if c.cell_type == "code"), len(student.cells))
    student.cells.insert(first, cell)
    return student


def build_wheel(assignment: Assignment, released: dict[str, str]) -> bytes:
    """The wheel's bytes; `released` maps paths under the assignment's data folder (assignment.toml,
    public_specs/x.py) to the texts the release writes."""
    data = f"grader/notebook/assignments/{assignment.id}/"
    files = {f"grader/{name}": (GRADER / name).read_bytes() for name in STUDENT_MODULES}
    files |= {data + name: text.encode() for name, text in released.items()}
    info = f"{distribution(assignment)}-{grader_version()}.dist-info/"
    files[info + "METADATA"] = _metadata(assignment).encode()
    files[info + "WHEEL"] = b"Wheel-Version: 1.0\nGenerator: grade release\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[info + "RECORD"] = _record(files, info + "RECORD").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name in sorted(files):
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, files[name])
    return buffer.getvalue()


def _metadata(assignment: Assignment) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {distribution(assignment)}",
        f"Version: {grader_version()}",
        f"Summary: In-notebook public checks of {assignment.title}",
        "Requires-Python: >=3.11",
        *(f"Requires-Dist: {package}" for package in REQUIRES),
    ]
    return "\n".join(lines) + "\n"


def _record(files: dict[str, bytes], record: str) -> str:
    """RECORD: every file's sha256 (urlsafe base64, unpadded) and size; the RECORD itself unhashed."""
    rows = []
    for name in sorted(files):
        digest = base64.urlsafe_b64encode(hashlib.sha256(files[name]).digest()).rstrip(b"=").decode()
        rows.append(f"{name},sha256={digest},{len(files[name])}")
    return "\n".join([*rows, f"{record},,"]) + "\n"
