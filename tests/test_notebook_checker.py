"""The checks inside the student's notebook: the wheel `grade release` builds, run in a real kernel.

The mini assignment (tests/fixtures/solutions/mini) with `checker = true` is released into a temporary
folder; its wheel is installed with pip into a target folder that the kernel's PYTHONPATH names, so the
kernel imports the artefact students install, not this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader.authoring.release import release_assignment
from grader.authoring.student_package import STUDENT_MODULES, wheel_name
from grader.core.assignment import AssignmentError, load_assignment
from grader.core.secret import write_secret
from grader.core.settings import ExecuteSettings
from grader.grade import grade_submission
from grader.intake.discover import submission_at
from tests.conftest import FIXTURE_SOLUTIONS

FAST = ExecuteSettings(cell_timeout=30, probe_timeout=15)
LAYER = "layer = nn.Linear(2, 1)"
SQUARE = "def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The mini assignment with `checker = true`, released, and its wheel pip-installed into a target folder."""
    root = tmp_path_factory.mktemp("checker")
    folder = root / "solutions" / "mini"
    shutil.copytree(FIXTURE_SOLUTIONS / "mini", folder)
    config = folder / "assignment.toml"
    config.write_text(config.read_text().replace('notebook = "mini.ipynb"\n', 'notebook = "mini.ipynb"\nchecker = true\n'))
    write_secret(root / "solutions")
    release_assignment(folder, root / "assignments")
    wheel = root / "assignments" / "mini" / wheel_name(load_assignment(folder))
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        check=True,
    )
    return {"root": root, "folder": folder, "wheel": wheel, "target": target, "notebook": root / "assignments" / "mini.ipynb"}


def _with_checks(released_nb: Path, ex1: str | None, ex2: str | None) -> nbformat.NotebookNode:
    """The released notebook with its exercises filled in (None: left as released) and a check after each."""
    nb = nbformat.read(released_nb, as_version=4)
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        answer = {"ex1": ex1, "ex2": ex2}.get(next((t for t in tags if t.startswith("ex")), ""), None)
        if answer is not None:
            cell.source = answer
        cells.append(cell)
        for exercise in ("ex1", "ex2"):
            if exercise in tags:
                cells.append(nbformat.v4.new_code_cell(f'check("{exercise}")'))
    cells.append(nbformat.v4.new_code_cell("check.all()"))
    nb.cells = cells
    return nb


def _run_in_kernel(nb: nbformat.NotebookNode, target: Path, cwd: Path) -> nbformat.NotebookNode:
    """Execute `nb` in a plain Jupyter kernel whose Python finds the installed student package first."""
    nb.cells.insert(0, nbformat.v4.new_code_cell("import grader\nprint('grader from', grader.__file__)"))
    env = {**os.environ, "PYTHONPATH": str(target)}
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(cwd)}}).execute(env=env)
    assert str(target) in nb.cells[0].outputs[0]["text"], "the kernel must import the installed wheel"
    return nb


def _shown(nb: nbformat.NotebookNode, source: str) -> tuple[str, str]:
    """(text, HTML) a check cell displayed."""
    cell = next(c for c in nb.cells if c.source == source)
    assert [o.output_type for o in cell.outputs] == ["execute_result"], cell.outputs
    return cell.outputs[0]["data"]["text/plain"], cell.outputs[0]["data"]["text/html"]


def test_the_wheel_carries_the_public_checks_and_nothing_hidden(released: dict[str, Path]) -> None:
    folder = released["folder"]
    with zipfile.ZipFile(released["wheel"]) as wheel:
        names = wheel.namelist()
        contents = b"\n".join(wheel.read(name) for name in names)
    data = "grader/notebook/assignments/mini/"
    assert sorted(n for n in names if n.startswith(data)) == [data + "assignment.toml", data + "public_specs/test_mini_public.py"]
    assert {n for n in names if n.startswith("grader/") and not n.startswith(data)} == {f"grader/{m}" for m in STUDENT_MODULES}
    hidden_spec = (folder / "specs" / "test_mini.py").read_text()
    assert b"test_mini.py" not in contents and b"test_square_values" not in contents and hidden_spec.encode() not in contents
    secret = (released["root"] / "solutions" / "course-secret").read_text().strip()
    assert secret.encode() not in contents and b"course-secret" not in contents
    assert b"calibration.json" not in contents and (folder / "calibration.json").read_bytes()[:200] not in contents
    assert not any("/hidden" in n or n.startswith("grader/check/") or n.startswith("grader/execute/") for n in names)


def test_importing_the_student_package_loads_no_server_parts_gradebook_or_secrets(released: dict[str, Path]) -> None:
    script = (
        "import sys, grader.notebook, grader\n"
        "heavy = ('nbclient', 'jupyter_client', 'jupyter_server', 'sqlite3', 'grader.core.hidden', 'grader.core.secret',\n"
        "         'grader.execute', 'grader.check', 'grader.intake')\n"
        "print(grader.__file__)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nbclient', 'jupyter_client', 'jupyter_server', 'sqlite3')\n"
        "      or any(m == h or m.startswith(h + '.') for h in heavy)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(released["target"])}
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=released["root"], capture_output=True, text=True, check=True)
    out = run.stdout.split("\n")
    assert out[0].startswith(str(released["target"]))
    assert out[1] == "[]"


def test_check_shows_a_table_for_a_correct_notebook(released: dict[str, Path]) -> None:
    nb = _run_in_kernel(_with_checks(released["notebook"], LAYER, SQUARE), released["target"], released["root"])
    text, html = _shown(nb, 'check("ex1")')
    assert text.splitlines()[0] == "mini ex1: 1 of 1 public checks passed"
    assert "ex1 layer accepts points with 2 features ok" in " ".join(text.split()) and "found: layer: `layer`" in text
    assert "<table>" in html and "<td>ok</td>" in html and "<td>layer accepts points with 2 features</td>" in html
    text, _ = _shown(nb, 'check("ex2")')
    assert text.splitlines()[0] == "mini ex2: 1 of 1 public checks passed" and "square returns a tensor" in text
    text, html = _shown(nb, "check.all()")
    assert text.splitlines()[0] == "mini ex1, ex2: 2 of 2 public checks passed"
    assert html.count('<tr class="passed">') == 2


def test_check_says_what_is_left_to_do_in_an_unfinished_notebook(released: dict[str, Path]) -> None:
    nb = _run_in_kernel(_with_checks(released["notebook"], LAYER, None), released["target"], released["root"])
    text, html = _shown(nb, 'check("ex2")')
    assert text.splitlines()[0] == "mini ex2: 0 of 1 public checks passed"
    assert "square returns a tensor to do no function found for square in the section of Ex 2" in " ".join(text.split())
    assert '<tr class="error">' in html and "<td>to do</td>" in html
    text, _ = _shown(nb, "check.all()")
    assert text.splitlines()[0] == "mini ex1, ex2: 1 of 2 public checks passed"


def test_check_prefers_what_was_bound_since_the_previous_check(released: dict[str, Path]) -> None:
    # a wrong layer, checked; then a right one under another name: the second check grades the new one
    nb = _with_checks(released["notebook"], "layer = nn.Linear(3, 1)", SQUARE)
    at = next(i for i, c in enumerate(nb.cells) if c.source == 'check("ex1")')
    nb.cells[at + 1 : at + 1] = [nbformat.v4.new_code_cell("fixed = nn.Linear(2, 1)"), nbformat.v4.new_code_cell('check("ex1")')]
    nb = _run_in_kernel(nb, released["target"], released["root"])
    first, second = [c.outputs[0]["data"]["text/plain"] for c in nb.cells if c.source == 'check("ex1")']
    assert first.splitlines()[0] == "mini ex1: 0 of 1 public checks passed"
    assert second.splitlines()[0] == "mini ex1: 1 of 1 public checks passed" and "found: layer: `fixed`" in second


def test_a_missing_package_prints_the_pip_line_and_the_notebook_runs_on(released: dict[str, Path]) -> None:
    nb = _with_checks(released["notebook"], LAYER, SQUARE)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys\nsys.modules['grader.notebook'] = None  # not installed"))
    nb = _run_in_kernel(nb, released["target"], released["root"])
    checker = next(c for c in nb.cells if c.metadata.get("tags") == ["locked"] and "Checker" in c.source)
    assert [o.get("text") for o in checker.outputs] == [
        f"To check your work in this notebook, run  %pip install mini/{released['wheel'].name}  and restart the kernel.\n"
    ]
    assert all(o.output_type != "error" for c in nb.cells for o in c.get("outputs", []))
    assert all(not c.outputs for c in nb.cells if c.source.startswith("check"))


def test_the_grader_answers_the_import_with_a_stand_in_and_the_score_is_unchanged(released: dict[str, Path], tmp_path: Path) -> None:
    assignment = load_assignment(released["folder"])
    with_checks = _with_checks(released["notebook"], LAYER, SQUARE)
    without = nbformat.read(released["notebook"], as_version=4)
    without.cells = [c for c in with_checks.cells if "Checker" not in c.source and not c.source.startswith("check")]
    which = "from grader.notebook import Checker as _which\nprint(_which.__name__)"  # the grader's kernel can import this checkout
    scores = {}
    for name, nb in (("with", with_checks), ("without", without)):
        nb.cells.append(nbformat.v4.new_code_cell(which))
        path = tmp_path / name / "mini.ipynb"
        path.parent.mkdir()
        nbformat.write(nb, path)
        result = grade_submission(submission_at(path.parent, path), [assignment], FAST)
        assert result.execution is not None
        cells = [c for c in result.execution.cells if c.status != "skipped"]
        assert [c.status for c in cells if c.status != "ok"] == [], cells
        assert cells[-1].stdout == "_CheckerStandIn\n"
        assert all(c.stdout == "" for c in cells if c.source.startswith("check") or "Checker(" in c.source)
        scores[name] = (result.score, result.max_score)
    assert scores["with"] == scores["without"] and scores["with"][0] == scores["with"][1]


def test_checker_must_be_true_or_false(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(FIXTURE_SOLUTIONS / "mini", folder)
    config = folder / "assignment.toml"
    config.write_text(config.read_text().replace('notebook = "mini.ipynb"\n', 'notebook = "mini.ipynb"\nchecker = "yes"\n'))
    with pytest.raises(AssignmentError, match=r"checker must be true or false, not 'yes' \(a string\)"):
        load_assignment(folder)


def test_public_checks_may_import_the_spec_api_in_the_student_package(released: dict[str, Path]) -> None:
    """`from grader.spec import output_kind` (the classification public checks do) loads only its own module."""
    script = (
        "import sys\n"
        "from grader.spec import loss_mismatch, output_kind, class_labels\n"
        "print(output_kind.__module__, sorted(m for m in sys.modules if m.startswith(('grader.check', 'grader.execute'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(released["target"])}
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=released["root"], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "grader.core.outputs []"
