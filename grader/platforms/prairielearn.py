"""A PrairieLearn external grader: `grade package prairielearn SOLUTION --out DIR`, and its entry point.

DIR gets `questions/<id>/` (info.json with externalGradingOptions, question.html with the notebook
upload, `tests/`: the package PrairieLearn mounts at /grade/tests) and `serverFilesCourse/nbgrade/`
(the grader's wheel, setup.sh and a Dockerfile that build the image, and the entry point). The
entry point grades /grade/student/*.ipynb and writes /grade/results/results.json; `PL_GRADE_ROOT`
moves /grade.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

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
from grader.platforms.uploaded import Upload, grade_upload
from grader.record.gradebook import prairielearn_results

ROOT_VARIABLE = "PL_GRADE_ROOT"
DEFAULT_ROOT = "/grade"
SERVER_FOLDER = "nbgrade"  # serverFilesCourse/nbgrade/, mounted at /grade/serverFilesCourse/nbgrade/
DEFAULT_IMAGE = "nbgrade-torch-grader"  # built from serverFilesCourse/nbgrade/Dockerfile
DEFAULT_TIMEOUT = 600
VENV = "/opt/nbgrade-venv"
RUN_GRADER = f"""#!/usr/bin/env bash
# Written by `grade package prairielearn`: grades /grade/student/*.ipynb into /grade/results/results.json.
ROOT="${{PL_GRADE_ROOT:-/grade}}"
PYTHON="${{NBGRADE_VENV:-{VENV}}}/bin/python"
if [ ! -x "$PYTHON" ]; then
  mkdir -p "$ROOT/results"
  echo '{{"gradable": false, "score": 0, "message": "the grading image has no grader at '"$PYTHON"': build it from serverFilesCourse/{SERVER_FOLDER}/Dockerfile", "tests": []}}' > "$ROOT/results/results.json"
  exit 0
fi
exec "$PYTHON" -m grader.platforms prairielearn --root "$ROOT"
"""
DOCKERFILE = f"""# The grading image for the nbgrade-torch external grader (its name goes in info.json's "image").
# Build it beside setup.sh and the wheel:  docker build -t {DEFAULT_IMAGE} .
FROM python:3.11-slim
COPY setup.sh nbgrade_torch-*.whl /opt/nbgrade-setup/
RUN NBGRADE_VENV={VENV} bash /opt/nbgrade-setup/setup.sh && rm -rf /root/.cache/pip
"""


def package_prairielearn(
    solution: Path, out: Path, image: str = DEFAULT_IMAGE, timeout: int = DEFAULT_TIMEOUT,
    torch_index: str = DEFAULT_TORCH_INDEX,
) -> Path:
    """Write the question folder and serverFilesCourse files for `solution` under `out`; return the question folder."""
    assignment = find_assignment(solution)
    question = out / "questions" / assignment.id
    server = out / "serverFilesCourse" / SERVER_FOLDER
    for folder in (question, server):
        if folder.exists():
            shutil.rmtree(folder)
    copy_assignment(assignment, question / "tests")
    write_config(PlatformConfig(assignment.id), question / "tests")
    notebook = f"{assignment.id}.ipynb"
    (question / "info.json").write_text(json.dumps(info_json(assignment.id, assignment.title, image, timeout), indent=2) + "\n", encoding="utf-8")
    (question / "question.html").write_text(question_html(assignment.title, notebook), encoding="utf-8")
    build_wheel(server)
    packages = kernel_packages(assignment)
    (server / "setup.sh").write_text(setup_script(packages, torch_index, VENV, "$HERE"), encoding="utf-8")
    (server / "run_grader").write_text(RUN_GRADER, encoding="utf-8")
    (server / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    for script in ("setup.sh", "run_grader"):
        (server / script).chmod(0o755)
    return question


def info_json(assignment: str, title: str, image: str, timeout: int) -> dict[str, object]:
    """The question's info.json: an external-graded, manually-uploaded notebook question."""
    return {
        "uuid": _uuid(assignment),
        "title": title or assignment,
        "topic": "Notebooks",
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "serverFilesCourse": [f"{SERVER_FOLDER}/"],
            "entrypoint": f"/grade/serverFilesCourse/{SERVER_FOLDER}/run_grader",
            "timeout": timeout,
        },
    }


def _uuid(assignment: str) -> str:
    """A stable id per assignment: re-packaging keeps PrairieLearn's question."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nbgrade-torch:{assignment}"))


def question_html(title: str, notebook: str) -> str:
    """question.html: the upload element for the notebook and where the grader's feedback shows."""
    return (
        "<pl-question-panel>\n"
        f"  <p>Upload your notebook <code>{_escape(notebook)}</code> ({_escape(title)}): the .ipynb file saved by Jupyter.</p>\n"
        "</pl-question-panel>\n"
        f'<pl-file-upload file-names="{_escape(notebook)}"></pl-file-upload>\n'
        "<pl-submission-panel>\n  <pl-external-grader-results></pl-external-grader-results>\n"
        "  <pl-file-preview></pl-file-preview>\n</pl-submission-panel>\n"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def run_grader(root: Path) -> Path:
    """Grade `root`/student/*.ipynb as PrairieLearn's external grader and write `root`/results/results.json."""
    started = time.perf_counter()
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    upload = Upload(
        package=root / "tests", notebooks=root / "student", student="student",
        locked=(root / "tests", root / "serverFilesCourse", root / "student", results, root / "data"),
    )
    graded = grade_upload(upload)
    data = prairielearn_results(graded.result, graded.isolation)
    data["output"] = f"graded in {time.perf_counter() - started:.1f} s"
    path = results / "results.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def default_root() -> Path:
    """/grade, or where PL_GRADE_ROOT moves it."""
    return Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)
