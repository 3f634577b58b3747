"""A Gradescope autograder: `grade package gradescope SOLUTION --out autograder.zip`, and what runs in it.

Gradescope unpacks the zip into /autograder/source, runs setup.sh there once when it builds the
image, then for each submission runs /autograder/run_autograder, which grades the notebook in
/autograder/submission/ and writes /autograder/results/results.json (Gradescope's schema, through
the same writer as `grade`'s Gradescope export). `AUTOGRADER_ROOT` moves /autograder.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

from grader.intake.lateness import parse_time
from grader.platforms.bundle import (
    DEFAULT_TORCH_INDEX,
    PlatformConfig,
    build_wheel,
    copy_assignment,
    find_assignment,
    kernel_packages,
    setup_script,
    write_config,
)
from grader.platforms.uploaded import Upload, grade_upload, read_json
from grader.record.gradebook import gradescope_results

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Written by `grade package gradescope`: grades /autograder/submission/ into /autograder/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec "${NBGRADE_VENV:-$ROOT/nbgrade-venv}/bin/python" -m grader.platforms gradescope --root "$ROOT"
"""


def package_gradescope(
    solution: Path, out: Path, torch_index: str = DEFAULT_TORCH_INDEX, hidden_visibility: str = "after_published",
    late_percent_per_unit: float = 0.0, late_unit: str = "day", late_max_percent: float = 100.0,
) -> Path:
    """Write Gradescope's autograder.zip for the assignment `solution` to `out`; return `out`."""
    assignment = find_assignment(solution)
    config = PlatformConfig(assignment.id, hidden_visibility, late_percent_per_unit, late_unit, late_max_percent)
    packages = kernel_packages(assignment)
    with tempfile.TemporaryDirectory(prefix="grade-package-") as scratch:
        staging = Path(scratch)
        build_wheel(staging)
        copy_assignment(assignment, staging)
        write_config(config, staging)
        (staging / "setup.sh").write_text(setup_script(packages, torch_index, "$ROOT/nbgrade-venv", "$HERE"), encoding="utf-8")
        (staging / "run_autograder").write_text(RUN_AUTOGRADER, encoding="utf-8")
        _zip(staging, out)
    return out


def _zip(folder: Path, out: Path) -> None:
    """`folder`'s files into the zip `out`, the scripts executable (Gradescope keeps the zip's modes)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo.from_file(path, name)
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def run_autograder(root: Path) -> Path:
    """Grade `root`/submission/ as Gradescope does and write `root`/results/results.json; return its path."""
    started = time.perf_counter()
    student, submitted_at, deadline = submission_metadata(root / "submission_metadata.json")
    results = root / "results"
    upload = Upload(
        package=root / "source", notebooks=root / "submission", student=student, submitted_at=submitted_at,
        deadline=deadline, locked=(root / "source", root / "submission", results, root / "submission_metadata.json"),
    )
    results.mkdir(parents=True, exist_ok=True)
    graded = grade_upload(upload)
    visibility = graded.config.hidden_visibility if graded.config else "after_published"
    data = gradescope_results(graded.result, visibility, graded.isolation)
    data["execution_time"] = round(time.perf_counter() - started)
    path = results / "results.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def submission_metadata(path: Path) -> tuple[str, datetime | None, datetime | None]:
    """The student id (`users[0].sid`, else its email), the submission time (`created_at`) and the deadline
    (`assignment.due_date`) from Gradescope's submission_metadata.json; unknown parts empty."""
    data = read_json(path)
    users = data.get("users")
    user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    student = str(user.get("sid") or user.get("email") or "student")
    assignment = data.get("assignment")
    due = assignment.get("due_date") if isinstance(assignment, dict) else None
    return student, _time(data.get("created_at"), "created_at"), _time(due, "assignment.due_date")


def _time(value: object, where: str) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value, f"{where} of submission_metadata.json")
    except ValueError:
        return None


def default_root() -> Path:
    """/autograder, or where AUTOGRADER_ROOT moves it."""
    return Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)
