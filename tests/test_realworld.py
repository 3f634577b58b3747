"""The real-world corpus (tests/realworld/): student-style notebooks graded as one batch, check by check.

tests/realworld/expected.toml holds, for every notebook and every check of the classification
exercises, whether the check passes under the verdict policy (tests/realworld/README.md); the
verdicts were established with scripts/measure_realworld.py, which runs the notebooks without the
grader. The slow test grades the whole corpus with the grader and lists every disagreement at
once; the fast tests keep expected.toml, the spec files and the committed notebooks in step.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

REALWORLD = ROOT / "tests" / "realworld"
NOTEBOOKS = REALWORLD / "notebooks"
SPECS = ROOT / "solutions" / "classification-exercises" / "specs"
ROLES = {
    "moons_model", "moons_loss", "moons_optimizer", "tanh", "spirals_X_train", "spirals_X_test", "spirals_y_train",
    "spirals_y_test", "spirals_model", "spirals_loss", "spirals_optimizer",
}


def expected() -> dict:
    return tomllib.loads((REALWORLD / "expected.toml").read_text(encoding="utf-8"))


def spec_check_ids() -> set[str]:
    """Every check the assignment defines: `<spec file>::<test function>` for each top-level `def test_...`."""
    ids = set()
    for path in sorted(SPECS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        ids |= {f"{path.name}::{node.name}" for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return ids


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- fast: the corpus is consistent


def test_expected_covers_every_notebook_and_every_check():
    truth = expected()
    names = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert set(truth) == names, f"notebooks without an entry: {sorted(names - set(truth))}; " \
                                f"entries without a notebook: {sorted(set(truth) - names)}"
    checks = spec_check_ids()
    assert len(checks) == 17, sorted(checks)
    assert len(names) >= 27 and sum(entry["kind"] == "wrong" for entry in truth.values()) >= 9
    for name, entry in truth.items():
        assert entry["description"].strip() and "\n" not in entry["description"], name
        assert set(entry["checks"]) == checks, f"{name}: checks {sorted(set(entry['checks']) ^ checks)}"
        assert all(isinstance(v, bool) for v in entry["checks"].values()), name
        failing = {check for check, passes in entry["checks"].items() if not passes}
        assert entry["kind"] == ("wrong" if failing else "correct"), name
        assert set(entry.get("reasons", {})) == failing, f"{name}: a reason for each failing check, and only those"
        assert all(r.strip() and "\n" not in r for r in entry.get("reasons", {}).values()), name
        cells = len(json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"])
        assert set(entry["roles"]) == ROLES, f"{name}: roles {sorted(set(entry['roles']) ^ ROLES)}"
        for role, where in entry["roles"].items():
            assert where["name"].isidentifier() and 0 <= where["after_cell"] < cells, f"{name}: {role} {where}"


def _without_cell_ids(text: str) -> dict:
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        cell.pop("id", None)
    return notebook


def test_build_corpus_reproduces_the_committed_notebooks():
    spec = importlib.util.spec_from_file_location("build_corpus", REALWORLD / "build_corpus.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = {nb.name: builder.render(nb) for nb in builder.all_notebooks()}
    committed = {path.stem: path.read_text(encoding="utf-8") for path in NOTEBOOKS.glob("*.ipynb")}
    assert set(built) == set(committed), "run python tests/realworld/build_corpus.py"
    stale = [name for name in built if _without_cell_ids(built[name]) != _without_cell_ids(committed[name])]
    assert not stale, f"out of date (run python tests/realworld/build_corpus.py): {stale}"


def test_no_notebook_carries_grader_metadata_or_tags():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        assert "grader" not in notebook["metadata"], path.name
        assert not any(cell.get("metadata", {}).get("tags") for cell in notebook["cells"]), path.name


# --------------------------------------------------------------------------- slow: the grader meets the ground truth


@pytest.mark.slow
def test_grader_verdicts_match_the_ground_truth(tmp_path):
    from grader.pipeline import BatchOptions, grade_folder  # imported late: the fast tests above need no grader

    batch = tmp_path / "submissions"
    batch.mkdir()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy(path, batch / path.name)  # one notebook per student, named after the file
    summary = grade_folder(batch, BatchOptions(tmp_path / "reports", ROOT / "solutions"))
    results = {Path(result.path).stem: result for result in summary.results}

    disagreements = []
    for name, entry in sorted(expected().items()):
        result = results.get(name)
        if result is None:
            disagreements.append(f"{name}: not graded at all")
            continue
        checks = {check.id: check for exercise in result.exercises for check in exercise.checks}
        for check_id, passes in entry["checks"].items():
            want = "pass" if passes else "fail"
            check = checks.get(check_id)
            if check is None:
                disagreements.append(
                    f"{name} · {check_id}: expected {want}, got no result "
                    f"(status {result.status}, assignment {result.assignment or '?'}: {_one_line(result.message)})")
            elif (check.outcome == "passed") != passes:
                disagreements.append(
                    f"{name} · {check_id}: expected {want}, got {check.outcome}: {_one_line(check.message)}")
    total = sum(len(entry["checks"]) for entry in expected().values())
    assert not disagreements, (
        f"{len(disagreements)} of {total} verdicts differ from tests/realworld/expected.toml:\n" + "\n".join(disagreements))
