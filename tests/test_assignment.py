
import pytest

from grader.core.assignment import AssignmentError, load_assignment, load_assignments
from tests.conftest import ROOT


def test_loads_exercises_and_objects(mini):
    assert [e.id for e in mini.exercises] == ["ex1", "ex2"]
    layer = mini.objects["layer"]
    assert (layer.kind, layer.in_features, layer.out_features, layer.names) == ("module", 2, 1, ("layer",))


def test_spec_hash_changes_with_a_spec_file(tmp_path, mini):
    import shutil

    copy = tmp_path / "mini"
    shutil.copytree(mini.folder, copy)
    before = load_assignment(copy).spec_hash()
    (copy / "specs" / "test_mini.py").write_text("# changed\n", encoding="utf-8")
    assert load_assignment(copy).spec_hash() != before


def test_bad_kind_names_file_and_setting(tmp_path, mini):
    import shutil

    copy = tmp_path / "mini"
    shutil.copytree(mini.folder, copy)
    toml = copy / "assignment.toml"
    toml.write_text(toml.read_text().replace('kind = "module"', 'kind = "modul"'))
    with pytest.raises(AssignmentError, match=r"Invalid kind 'modul' for objects.layer in .*assignment.toml"):
        load_assignment(copy)


def test_missing_solutions_folder_says_what_to_pass(tmp_path):
    with pytest.raises(AssignmentError, match="pass --solutions DIR"):
        load_assignments(tmp_path / "nowhere")


def test_bundled_assignments_load():
    ids = [a.id for a in load_assignments(ROOT / "solutions")]
    assert "classification-exercises" in ids


def test_environment_differences_name_each_package_the_kernel_has_in_another_version(mini):
    import dataclasses

    from grader.core.assignment import environment_differences

    course = dataclasses.replace(mini, environment={"torchmetrics": "0.11", "torch": "2", "pandas": "2.0"})
    notes = environment_differences(course, {"torchmetrics": "1.9.0", "torch": "2.13.0", "pandas": "2.0.3"})
    assert notes == [
        "the course uses torchmetrics 0.11; the grading kernel has 1.9.0: a notebook written for the course's "
        "version may fail here for that reason alone"
    ]
    assert "not installed" in environment_differences(course, {})[0]
