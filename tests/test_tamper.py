"""Tamper detection of locked cells, against the reference notebook only."""

import nbformat

from grader.intake.tamper import locked_cell_changes
from tests.conftest import ROOT

REFERENCE = ROOT / "solutions" / "classification-exercises" / "classification-exercises.ipynb"


def _student():
    return nbformat.read(ROOT / "submissions" / "ada" / "classification-exercises.ipynb", as_version=4)


def test_untouched_locked_cells_raise_no_flag():
    assert locked_cell_changes(_student(), REFERENCE) == []


def test_a_changed_seed_in_a_locked_cell_is_flagged():
    nb = _student()
    cell = next(c for c in nb.cells if "locked" in c.metadata.get("tags", []))
    cell.source = cell.source.replace("random_state=42", "random_state=7", 1)
    flags = locked_cell_changes(nb, REFERENCE)
    assert len(flags) == 1 and flags[0].startswith("locked cell 1 (") and "random_state=7" in flags[0]


def test_flag_survives_lost_tags_and_ids():
    nb = _student()
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
        cell["id"] = f"x{id(cell)}"
    spirals = [c for c in nb.cells if "np.random.seed(42)" in c.source][0]
    spirals.source = spirals.source.replace("np.random.seed(42)", "np.random.seed(0)")
    flags = locked_cell_changes(nb, REFERENCE)
    assert len(flags) == 1 and flags[0].startswith("locked cell 2") and "np.random.seed(0)" in flags[0]


def test_a_deleted_locked_cell_is_flagged_missing():
    nb = _student()
    nb.cells = [c for c in nb.cells if "locked" not in c.metadata.get("tags", [])]
    flags = locked_cell_changes(nb, REFERENCE)
    assert [f.split(" (")[0] for f in flags] == ["locked cell 1", "locked cell 2"]
    assert all(f.endswith("is missing") for f in flags)


def test_comments_and_layout_in_a_locked_cell_do_not_count():
    nb = _student()
    cell = next(c for c in nb.cells if "locked" in c.metadata.get("tags", []))
    cell.source = "# my notes\n" + cell.source.replace(", ", ",  ") + "  # done"
    assert locked_cell_changes(nb, REFERENCE) == []
