"""The Gradescope autograder and the PrairieLearn external grader, run as the platforms run them.

`grade package` builds the package; it is unpacked into a fresh root, setup.sh builds its virtualenv
once for the module (pip from this machine's own configuration: /opt/wheels has torch), and each
submission runs the platform's entry script with bash, as the platform does. Every results.json is
validated against the platform's schema and scored as `grade` scores the same notebook; hostile
notebooks look for the grader's files in both isolation paths (bubblewrap, unprivileged user).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest

from grader.cli.commands import main
from grader.core.assignment import load_assignment
from grader.core.secret import DERIVED_FILE, SECRET_FILE, hidden_generator, hidden_rng_of, read_secret
from grader.core.settings import ExecuteSettings
from grader.execute.sandbox import bubblewrap_works
from grader.grade import grade_submission
from grader.intake.discover import submission_at
from grader.intake.lateness import LatePolicy, settle
from tests.conftest import ROOT, code, notebook

pytestmark = pytest.mark.slow
SOLUTION = ROOT / "solutions" / "classification-exercises"
DEMOS = ROOT / "submissions"
DUE = "2026-03-01T23:59:00+00:00"
LATE = "2026-03-03T11:59:00+00:00"  # 1.5 days late: 2 started days at 10 %/day
VISIBILITIES = ["hidden", "after_due_date", "after_published", "visible"]
GRADESCOPE_SCHEMA: dict[str, Any] = {  # what Gradescope reads from results.json
    "type": "object",
    "required": ["score", "execution_time", "output", "tests", "stdout_visibility"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "stdout_visibility": {"enum": VISIBILITIES},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "status", "output", "visibility"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "output": {"type": "string"},
                    "visibility": {"enum": VISIBILITIES},
                },
            },
        },
    },
}
PRAIRIELEARN_SCHEMA: dict[str, Any] = {  # what PrairieLearn reads from /grade/results/results.json
    "type": "object",
    "required": ["gradable", "score", "message", "output", "tests"],
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string"},
        "output": {"type": "string"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "points", "max_points", "message", "output"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "points": {"type": "number"},
                    "max_points": {"type": "number"},
                    "message": {"type": "string"},
                    "output": {"type": "string"},
                },
            },
        },
    },
}


def system_python() -> str | None:
    """A Python >= 3.11 every user can run (the unprivileged kernel runs the virtualenv built from it)."""
    for candidate in ("/usr/bin/python3.13", "/usr/bin/python3.12", "/usr/bin/python3.11", sys.executable):
        path = Path(candidate)
        if path.exists() and all(os.stat(p).st_mode & stat.S_IXOTH for p in [path.resolve(), *path.resolve().parents]):
            return candidate
    return None


@dataclass
class Platform:
    """An unpacked package in a fresh root, with its virtualenv built by setup.sh."""

    base: Path  # world-passable, so the unprivileged kernel reaches the virtualenv
    root: Path
    setup_seconds: float
    env: dict[str, str] = field(default_factory=dict)


def platform_env(**extra: str) -> dict[str, str]:
    """The environment a platform gives its scripts: this machine's, without the checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "NBGRADE_STUDENT_USER": "nobody", **extra}


def run_setup(source: Path, env: dict[str, str]) -> float:
    """Run setup.sh as the platform does (bash, in its folder); return its wall time."""
    started = time.perf_counter()
    run = subprocess.run(["bash", "setup.sh"], cwd=source, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "grading environment ready" in run.stdout
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def gradescope() -> Iterator[Platform]:
    python = system_python()
    if python is None:
        pytest.skip("no Python >= 3.11 that every user may run, for the virtualenv setup.sh builds")
    base = Path(tempfile.mkdtemp(prefix="nbgrade-gradescope-"))
    base.chmod(0o755)
    (base / "private").mkdir(mode=0o700)  # what the platform keeps to itself: the zip, the staff's copies
    root = base / "autograder"
    archive = base / "private" / "autograder.zip"
    assert main(["package", "gradescope", str(SOLUTION), "--out", str(archive), "--torch-index", "", "--late-penalty", "10%/day"]) == 0
    (root / "source").mkdir(parents=True)
    root.chmod(0o755)
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # what Gradescope does with it
    env = platform_env(AUTOGRADER_ROOT=str(root), NBGRADE_PYTHON=python)
    try:
        yield Platform(base, root, run_setup(root / "source", env), env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def metadata(submitted: str = "2026-03-01T12:00:00+00:00") -> dict[str, Any]:
    """Gradescope's submission_metadata.json, the parts the autograder reads."""
    return {
        "id": 123456, "created_at": submitted, "submission_method": "upload",
        "users": [{"email": "ada@example.edu", "id": 42, "name": "Ada", "sid": "s1234"}],
        "assignment": {"due_date": DUE, "id": 777, "title": "Classification exercises", "total_points": "22.0"},
    }


def submit_gradescope(
    platform: Platform, files: dict[str, bytes], isolation: str = "auto", submitted: str = "2026-03-01T12:00:00+00:00"
) -> tuple[dict[str, Any], dict[str, Any], float]:
    """Upload `files`, run run_autograder as Gradescope does; return results.json, the staff result, the seconds."""
    root = platform.root
    for folder in (root / "submission", root / "results"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    (root / "submission_metadata.json").write_text(json.dumps(metadata(submitted)))
    staff = platform.base / "private" / "staff.json"
    staff.unlink(missing_ok=True)
    env = {**platform.env, "NBGRADE_ISOLATION": isolation, "NBGRADE_STAFF_RESULT": str(staff)}
    started = time.perf_counter()
    run = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    return results, json.loads(staff.read_text()) if staff.exists() else {}, seconds


def grade_score(path: Path, late: LatePolicy | None = None, submitted: str = "") -> float:
    """What `grade` gives the notebook at `path` (the course secret, the assignment's own folder)."""
    submission = submission_at(path.parent, path)
    result = grade_submission(submission, [load_assignment(SOLUTION)], ExecuteSettings(), assume=True)
    times = {submission.student: datetime.fromisoformat(submitted)} if submitted else {}
    settle(result, submission, [], late, times)
    return result.score


def test_the_zip_carries_this_assignment_only_and_a_derived_secret(gradescope):
    source = gradescope.root / "source"
    names = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()}
    assert {"setup.sh", "run_autograder", "platform.json"} <= names
    assert any(n.startswith("nbgrade_torch-") and n.endswith(".whl") for n in names)
    assert not any(SECRET_FILE in n or "demos.toml" in n for n in names)
    assert {n.split("/")[1] for n in names if n.startswith("assignment/")} == {SOLUTION.name}
    copied = source / "assignment" / SOLUTION.name
    derived = (copied / DERIVED_FILE).read_text()
    assert read_secret(SOLUTION).hex() not in derived
    for name in ("moons", "spirals"):  # the same hidden draws as the course secret gives
        expected = hidden_generator(read_secret(SOLUTION), SOLUTION.name, name).rand(8)
        assert (hidden_rng_of(copied, SOLUTION.name)(name).rand(8) == expected).all()
    assert load_assignment(copied).spec_hash() == load_assignment(SOLUTION).spec_hash()
    venv_python = gradescope.root / "nbgrade-venv" / "bin" / "python"
    where = subprocess.run(
        [str(venv_python), "-c", "import grader, torch; print(grader.__file__); print(torch.__version__)"],
        capture_output=True, text=True, env=platform_env(), check=True, cwd=gradescope.base,
    ).stdout.split()
    assert where[0].startswith(str(gradescope.root / "nbgrade-venv")) and where[1].startswith("2.13.0")


@pytest.mark.parametrize(
    ("demo", "submitted"), [("ada", LATE), ("blank", "2026-03-01T12:00:00+00:00")], ids=["ada-late", "blank"]
)
def test_a_demo_gets_the_score_grade_gives(gradescope, demo, submitted):
    path = DEMOS / demo / f"{SOLUTION.name}.ipynb"
    results, staff, seconds = submit_gradescope(gradescope, {path.name: path.read_bytes()}, submitted=submitted)
    late = LatePolicy(datetime.fromisoformat(DUE), 10.0, "day")
    assert results["score"] == pytest.approx(grade_score(path, late, submitted))
    assert staff["status"] == "graded" and "bubblewrap" in results["output"]
    hidden = [t for t in results["tests"] if t["visibility"] != "visible"]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    assert sum(t["max_score"] for t in results["tests"]) == 22
    print(f"\n{demo}: graded on Gradescope's path in {seconds:.1f} s (setup.sh took {gradescope.setup_seconds:.1f} s)")


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"notes.txt": b"my answers"}, "no notebook (.ipynb) in the submission (the upload holds notes.txt)"),
        ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "2 notebooks in the submission (a.ipynb, b.ipynb): upload exactly one"),
        ({"mine.ipynb": b"\x00not json"}, "upload the .ipynb file again"),
    ],
    ids=["no-notebook", "two-notebooks", "unreadable"],
)
def test_a_wrong_upload_scores_zero_with_the_fix(gradescope, files, words):
    results, _, _ = submit_gradescope(gradescope, files)
    assert results["score"] == 0 and results["tests"] == []
    assert words in results["output"]


HOSTILE = '''
import json, os, pathlib
root = pathlib.Path({root!r})
found = []
for name in ("source", "submission", "results", "submission_metadata.json", "tests", "student", "serverFilesCourse"):
    for path in [root / name, *(root / name).rglob("*")] if (root / name).is_dir() else [root / name]:
        try:
            found.append(f"{{path}}: {{path.read_bytes()[:40]!r}}" if path.is_file() else f"{{path}}: listed {{os.listdir(path)}}")
        except OSError:
            pass
scratch = [p for p in pathlib.Path("/tmp").glob("grade*")]  # the grader's own temporary folders
for top in (root, *scratch):
    for path in top.rglob("*"):
        if path.name in ("assignment-secret.json", "course-secret", "calibration.json", "test_moons.py", "platform.json"):
            try:
                found.append(f"{{path}}: {{path.read_bytes()[:40]!r}}")
            except OSError:
                pass
found += [f"env {{k}}" for k in os.environ if k.startswith(("NBGRADE", "AUTOGRADER", "PL_"))]
for proc in pathlib.Path("/proc").glob("[0-9]*"):
    try:
        environ = (proc / "environ").read_bytes()
    except OSError:
        continue
    if b"NBGRADE_ISOLATION" in environ or b"AUTOGRADER_ROOT" in environ or b"PL_GRADE_ROOT" in environ:
        found.append(f"environ of {{proc.name}}")
    try:
        found.append(f"cwd of {{proc.name}}: {{os.listdir(proc / 'cwd')[:5]}}") if str(root) in os.readlink(proc / "cwd") else None
    except OSError:
        pass
print("HOSTILE-FOUND " + json.dumps(found))
'''


def hostile_notebook(root: Path) -> bytes:
    nb = notebook(code(HOSTILE.format(root=str(root)), "ex1"))
    return nbformat.writes(nb).encode()


def hostile_findings(staff: dict[str, Any]) -> list[str]:
    """What the hostile cell found, from its output in the staff result (the cell must have run)."""
    lines = [line for cell in staff["execution"]["cells"] for line in cell["stdout"].splitlines() if line.startswith("HOSTILE-FOUND ")]
    assert lines, [cell["traceback"] for cell in staff["execution"]["cells"]]
    return json.loads(lines[-1].removeprefix("HOSTILE-FOUND "))


@pytest.mark.parametrize("isolation", ["bubblewrap", "user"])
def test_a_hostile_notebook_finds_no_grader_file(gradescope, isolation):
    if isolation == "bubblewrap" and not bubblewrap_works():
        pytest.skip("bubblewrap cannot create namespaces on this machine")
    results, staff, _ = submit_gradescope(gradescope, {"hostile.ipynb": hostile_notebook(gradescope.root)}, isolation)
    assert hostile_findings(staff) == []
    assert ("bubblewrap sandbox" if isolation == "bubblewrap" else "unprivileged user uid 65534") in results["output"]
    if isolation == "user":
        assert "runs as the unprivileged uid 65534" in staff["execution"]["isolation"]


# PrairieLearn: the package's own folders in a /grade tree; the virtualenv is the one setup.sh built above
# (building a second takes as long and installs the same: the two setup.sh differ only in the default path).


@pytest.fixture(scope="module")
def prairielearn(gradescope) -> Iterator[Platform]:
    base = gradescope.base
    out = base / "private" / "pl-package"
    assert main(["package", "prairielearn", str(SOLUTION), "--out", str(out), "--torch-index", "", "--image", "course/nbgrade:1"]) == 0
    root = base / "grade"
    root.mkdir()
    shutil.copytree(out / "questions" / SOLUTION.name / "tests", root / "tests")
    shutil.copytree(out / "serverFilesCourse", root / "serverFilesCourse")
    env = platform_env(PL_GRADE_ROOT=str(root), NBGRADE_VENV=str(gradescope.root / "nbgrade-venv"))
    yield Platform(base, root, gradescope.setup_seconds, env)
    shutil.rmtree(root, ignore_errors=True)


def submit_prairielearn(platform: Platform, files: dict[str, bytes], isolation: str = "auto") -> tuple[dict[str, Any], dict[str, Any], float]:
    root = platform.root
    for folder in (root / "student", root / "results"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    for name, data in files.items():
        (root / "student" / name).write_bytes(data)
    staff = platform.base / "private" / "staff.json"
    staff.unlink(missing_ok=True)
    entry = root / "serverFilesCourse" / "nbgrade" / "run_grader"
    env = {**platform.env, "NBGRADE_ISOLATION": isolation, "NBGRADE_STAFF_RESULT": str(staff)}
    started = time.perf_counter()
    run = subprocess.run(["bash", str(entry)], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, PRAIRIELEARN_SCHEMA)
    return results, json.loads(staff.read_text()) if staff.exists() else {}, seconds


def test_the_question_folder_asks_for_the_notebook_and_the_external_grader(gradescope, prairielearn):
    question = prairielearn.base / "private" / "pl-package" / "questions" / SOLUTION.name
    options = json.loads((question / "info.json").read_text())["externalGradingOptions"]
    assert options["enabled"] is True and options["image"] == "course/nbgrade:1" and options["timeout"] > 0
    assert options["entrypoint"] == "/grade/serverFilesCourse/nbgrade/run_grader"
    assert f'<pl-file-upload file-names="{SOLUTION.name}.ipynb">' in (question / "question.html").read_text()
    server = prairielearn.base / "private" / "pl-package" / "serverFilesCourse" / "nbgrade"
    setup = (server / "setup.sh").read_text().replace("/opt/nbgrade-venv", "$ROOT/nbgrade-venv")
    assert setup == (gradescope.root / "source" / "setup.sh").read_text()


def test_prairielearn_grades_a_demo_as_grade_does(prairielearn):
    path = DEMOS / "ada" / f"{SOLUTION.name}.ipynb"
    results, staff, seconds = submit_prairielearn(prairielearn, {path.name: path.read_bytes()})
    assert results["gradable"] and results["score"] == pytest.approx(grade_score(path) / 22)
    assert sum(t["max_points"] for t in results["tests"]) == 22 and "bubblewrap" in results["message"]
    print(f"\nada: graded on PrairieLearn's path in {seconds:.1f} s")


@pytest.mark.parametrize(
    ("files", "words"),
    [({}, "no notebook (.ipynb) in the submission"), ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "upload exactly one")],
    ids=["no-notebook", "two-notebooks"],
)
def test_prairielearn_wrong_upload_scores_zero_with_the_fix(prairielearn, files, words):
    results, _, _ = submit_prairielearn(prairielearn, files)
    assert results["score"] == 0 and not results["gradable"] and words in results["message"]


@pytest.mark.parametrize("isolation", ["bubblewrap", "user"])
def test_prairielearn_hostile_notebook_finds_no_grader_file(prairielearn, isolation):
    if isolation == "bubblewrap" and not bubblewrap_works():
        pytest.skip("bubblewrap cannot create namespaces on this machine")
    _, staff, _ = submit_prairielearn(prairielearn, {"hostile.ipynb": hostile_notebook(prairielearn.root)}, isolation)
    assert hostile_findings(staff) == []


def test_another_assignments_zip_grades_its_demo_as_grade_does(gradescope):
    """A second assignment's package, unpacked beside the first, on the virtualenv setup.sh built (the same wheel)."""
    solution = ROOT / "solutions" / "blobs-mini-project"
    archive = gradescope.base / "private" / "blobs.zip"
    assert main(["package", "gradescope", str(solution), "--out", str(archive), "--torch-index", ""]) == 0
    root = gradescope.base / "blobs-root"
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(root / "source")
    assert not (root / "source" / "assignment" / SOLUTION.name).exists()
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    env = {**gradescope.env, "AUTOGRADER_ROOT": str(root), "NBGRADE_VENV": str(gradescope.root / "nbgrade-venv")}
    path = DEMOS / "ada" / f"{solution.name}.ipynb"
    results, _, _ = submit_gradescope(Platform(gradescope.base, root, 0.0, env), {path.name: path.read_bytes()})
    submission = submission_at(path.parent, path)
    expected = grade_submission(submission, [load_assignment(solution)], ExecuteSettings(), assume=True).score
    assert results["score"] == pytest.approx(expected) and expected > 0
