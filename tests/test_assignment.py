
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

    from grader.core.kernel_needs import environment_differences

    course = dataclasses.replace(mini, environment={"torchmetrics": "0.11", "torch": "2", "pandas": "2.0"})
    notes = environment_differences(course, {"torchmetrics": "1.9.0", "torch": "2.13.0", "pandas": "2.0.3"})
    assert notes == [
        "the course uses torchmetrics 0.11; the grading kernel has 1.9.0: a notebook written for the course's "
        "version may fail here for that reason alone"
    ]
    assert "not installed" in environment_differences(course, {})[0]
    pinned = dataclasses.replace(mini, environment={"torchmetrics": "<0.11", "pandas": ">=1.5,<2"})
    assert pinned.kernel_pins() == (("pandas", ">=1.5,<2"), ("torchmetrics", "<0.11"))
    assert environment_differences(pinned, {"torchmetrics": "0.10.3", "pandas": "2.2.0"}) == [
        "the course needs pandas >=1.5,<2; the grading kernel has 2.2.0"
    ]


# ------------------------------------------------------------------ assignment.toml checked when loaded

MINI_TOML = (ROOT / "tests" / "fixtures" / "solutions" / "mini" / "assignment.toml").read_text(encoding="utf-8")


def mini_with(tmp_path, old: str, new: str):
    """A copy of the mini assignment whose assignment.toml has `old` replaced by `new`; its toml's path."""
    import shutil

    folder = tmp_path / "mini"
    shutil.copytree(ROOT / "tests" / "fixtures" / "solutions" / "mini", folder)
    assert old in MINI_TOML
    (folder / "assignment.toml").write_text(MINI_TOML.replace(old, new, 1), encoding="utf-8")
    return folder / "assignment.toml"


OBJECT_KEYS = "kind, exercise, names, in_features, input_shape, out_features, outputs, shape, name_hint, types, for_model"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("in_features = 2", "in_shape = [2]",
         f"[objects.layer] has an unknown key 'in_shape'; did you mean 'input_shape'? (keys: {OBJECT_KEYS})"),
        ('title = "Mini', 'titel = "Mini',
         ("unknown top-level key 'titel'; did you mean 'title'? "
          "(keys: id, title, notebook, compare_with, checker, checker_url, exercises, objects, alignment, environment, data, wrong_answers)")),
        ("[exercises]", '[alignment]\nexo1 = ["a linear layer"]\n\n[exercises]',
         "[alignment] has an unknown key 'exo1'; did you mean 'ex1'? (keys of [exercises]: ex1, ex2)"),
        ("[exercises]", '[enviroment]\ntorch = "2.1"\n\n[exercises]', "unknown top-level key 'enviroment'; did you mean 'environment'?"),
        ('name_hint = "square"', 'name_hint = "square"\nfor_modle = "layer"', "[objects.square] has an unknown key 'for_modle'; did you mean 'for_model'?"),
    ],
)
def test_an_unknown_key_is_refused_naming_the_file_the_table_and_the_nearest_key(tmp_path, old, new, message):
    toml = mini_with(tmp_path, old, new)
    with pytest.raises(AssignmentError) as raised:
        load_assignment(toml.parent)
    assert str(raised.value).startswith(f"{toml}: {message}")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("in_features = 2", 'in_features = "2"', "in_features in [objects.layer] must be a positive integer, not '2' (a string)"),
        ("in_features = 2", "input_shape = []", "input_shape in [objects.layer] must be a non-empty list of positive integers"),
        ("in_features = 2", "input_shape = [1, 8.0, 8]", "input_shape in [objects.layer] must be a non-empty list of positive integers"),
        ('names = ["layer"]', 'names = "layer"', "names in [objects.layer] must be a list of strings, not 'layer' (a string)"),
        ('ex2 = "Ex 2 · a square function"', "ex2 = 2", "ex2 in [exercises] must be a string (the exercise's title), not 2 (an integer)"),
        ("[exercises]", "[environment]\ntorch = 2.1\n\n[exercises]",
         'torch in [environment] must be a quoted version (torch = "2.1": the course used it) or version specifier '
         '(torchmetrics = "<0.11", pandas = ">=1.5,<2": the kernel must have it), not 2.1 (a number)'),
        ("[exercises]", '[environment]\ntorchmetrics = "<<0.11"\n\n[exercises]',
         "torchmetrics in [environment] must be a quoted version (torch = \"2.1\": the course used it) or version specifier "
         "(torchmetrics = \"<0.11\", pandas = \">=1.5,<2\": the kernel must have it), not '<<0.11' (a string)"),
        ("[exercises]", '[environment]\npandas = "two"\n\n[exercises]', "pandas in [environment] must be a quoted version"),
        ('title = "Mini assignment (tests)"', "title = true", "title must be a string, not True (a boolean)"),
        ('kind = "module"', 'kind = ["module"]', "kind in [objects.layer] must be a string, not ['module'] (a list)"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_type_it_must_be(tmp_path, old, new, message):
    toml = mini_with(tmp_path, old, new)
    with pytest.raises(AssignmentError) as raised:
        load_assignment(toml.parent)
    assert str(raised.value).startswith(f"{toml}: {message}")


def test_a_role_of_an_undeclared_exercise_or_with_two_inputs_is_refused(tmp_path):
    toml = mini_with(tmp_path, 'exercise = "ex1"', 'exercise = "ex3"')
    with pytest.raises(AssignmentError, match=r"\[objects.layer\] names exercise 'ex3', not in \[exercises\] \(use one of ex1, ex2\)"):
        load_assignment(toml.parent)
    toml = mini_with(tmp_path / "both", "in_features = 2", "in_features = 2\ninput_shape = [2]")
    with pytest.raises(AssignmentError, match=r"declares both in_features and input_shape; keep one"):
        load_assignment(toml.parent)


def every_assignment_toml() -> list:
    return sorted(
        path
        for pattern in ("solutions/*/assignment.toml", "assignments/*/assignment.toml", "tests/fixtures/*/*/assignment.toml")
        for path in ROOT.glob(pattern)
    )


@pytest.mark.parametrize("toml", every_assignment_toml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_released_and_fixture_assignment_toml_loads(toml):
    from grader.core.assignment import load_public_assignment

    released = toml.parent.parent.name in ("assignments",)
    assignment = (load_public_assignment if released else load_assignment)(toml.parent)
    assert assignment.exercises and assignment.id == toml.parent.name


def test_the_assignment_tomls_the_tests_write_load(tmp_path):
    from tests.test_calibrate import TOML

    folder = tmp_path / "tiny-moons"
    (folder / "specs").mkdir(parents=True)
    (folder / "tiny-moons.ipynb").write_text("{}", encoding="utf-8")
    (folder / "assignment.toml").write_text(TOML, encoding="utf-8")
    assert load_assignment(folder).objects["model"].outputs == "binary"
    compare = mini_with(tmp_path, "[exercises]", 'compare_with = "../../earlier-terms"\n\n[exercises]')
    assert load_assignment(compare.parent).compare_with == compare.parent / "../../earlier-terms"


def test_input_shape_is_sent_to_the_kernel_and_tells_roles_apart(tmp_path):
    toml = mini_with(tmp_path, "in_features = 2", "input_shape = [1, 8, 8]")
    layer = load_assignment(toml.parent).objects["layer"]
    assert layer.input_shape == (1, 8, 8) and layer.in_features is None
    assert layer.to_probe()["input_shape"] == [1, 8, 8]
    flat = load_assignment(mini_with(tmp_path / "flat", "in_features = 2", "input_shape = [64]").parent).objects["layer"]
    assert layer.fallback_signature() != flat.fallback_signature()


def test_release_keeps_every_key_it_understood(tmp_path):
    from grader.authoring.release import public_definition
    from grader.core.assignment import load_public_assignment

    toml = mini_with(
        tmp_path,
        "in_features = 2\nout_features = 1",
        'input_shape = [1, 8, 8]\nout_features = 10\noutputs = "classes"\ntypes = ["Net"]',
    )
    text = toml.read_text(encoding="utf-8").replace(
        "[exercises]", '[alignment]\nex1 = ["linear layer"]\n\n[environment]\ntorch = "2.1"\n\n[exercises]'
    )
    text += '\n[objects.xs]\nkind = "tensor"\nexercise = "ex2"\nshape = [3, 2]\n\n[objects.opt]\nkind = "optimizer"\nexercise = "ex1"\nfor_model = "layer"\n'
    toml.write_text(text, encoding="utf-8")
    source = load_assignment(toml.parent)
    released = tmp_path / "assignments" / "mini"
    (released / "public_specs").mkdir(parents=True)
    (released / "assignment.toml").write_text(public_definition(source), encoding="utf-8")
    public = load_public_assignment(released)
    assert "input_shape = [1, 8, 8]" in public_definition(source)
    assert public.objects == source.objects
    assert (public.exercises, public.alignment, public.environment) == (source.exercises, source.alignment, source.environment)


def test_a_new_section_is_one_line_of_the_schema(tmp_path):
    from grader.core import schema

    extended = schema.Table({
        **schema.ASSIGNMENT.keys,
        "data": schema.Table({"points": schema.POSITIVE}),
        "hidden": schema.table_of(schema.STRING, keys_from="exercises"),
        "wrong_answers": schema.array_of(schema.Table({"cell": schema.STRING})),
    })
    where = tmp_path / "assignment.toml"
    good = {"id": "x", "exercises": {"ex1": "E"}, "data": {"points": 3}, "hidden": {"ex1": "h"}, "wrong_answers": [{"cell": "a"}]}
    schema.check(good, where, extended)
    for broken, message in [
        ({**good, "data": {"point": 3}}, "[data] has an unknown key 'point'; did you mean 'points'? (keys: points)"),
        ({**good, "hidden": {"ex2": "h"}}, "[hidden] has an unknown key 'ex2'; did you mean 'ex1'? (keys of [exercises]: ex1)"),
        ({**good, "wrong_answers": [{"cell": "a"}, {"cel": "b"}]},
         "[[wrong_answers]] (the second) has an unknown key 'cel'; did you mean 'cell'? (keys: cell)"),
        ({**good, "wrong_answers": {"cell": "a"}}, "[[wrong_answers]] must be an array of tables, not {'cell': 'a'} (a table)"),
    ]:
        with pytest.raises(schema.SchemaError) as raised:
            schema.check(broken, where, extended)
        assert str(raised.value) == f"{where}: {message}"
