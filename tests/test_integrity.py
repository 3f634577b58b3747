"""The integrity stage: planted copies are found, independent work is not flagged, nothing reaches students.

Code similarity is measured grader-side on notebook files (no kernels): the real-world corpus
(tests/realworld/notebooks, 31 notebooks of the classification exercises) with disguised copies
planted among them (tests/plants.py). Behaviour fingerprints on synthetic predictions.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.core import digests as core_digests
from grader.integrity import behaviour
from grader.integrity import evidence as integrity
from grader.core.assignment import load_assignment
from grader.integrity.code_documents import (
    known_documents,
    notebook_document,
    reference_document,
    template_document,
)
from grader.core.feedback import for_audience
from grader.record.gradebook import gradescope_results
from grader.core.markers import clean_solution, release_notebook
from grader.report.html import render_index, render_submission
from grader.core.results import CellResult, ExecutionResult, SubmissionResult
from grader.integrity.similarity import CodeDocument
from grader.check.helpers import observing_predictions
from grader.spec import accuracy, assert_accuracy, record_accuracy
from tests.plants import disguise

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "realworld" / "notebooks"
ASSIGNMENT = load_assignment(ROOT / "solutions" / "classification-exercises")
TEMPLATES = [d for d in [template_document(ASSIGNMENT)] if d is not None]
PLANTED = ("colab-classic", "mac-mps", "functional-relu", "two-class-scores", "linear-moons", "tanh-typo", "spirals-linear")


def corpus() -> dict[str, nbformat.NotebookNode]:
    return {path.stem: nbformat.read(path, as_version=4) for path in sorted(CORPUS.glob("*.ipynb"))}


def flagged_pairs(documents: list[CodeDocument]) -> set[frozenset[str]]:
    matches, _ = integrity.code_matches(documents, [], TEMPLATES)
    return {frozenset((m.left, m.right)) for m in matches}


@pytest.fixture(scope="module")
def planted_class() -> tuple[list[CodeDocument], set[frozenset[str]]]:
    notebooks = corpus()
    documents = [notebook_document(name, nb, ASSIGNMENT) for name, nb in notebooks.items()]
    for seed, name in enumerate(PLANTED):
        documents.append(notebook_document(f"copy-of-{name}", disguise(notebooks[name], seed), ASSIGNMENT))
    return documents, flagged_pairs(documents)


def test_every_planted_copy_is_found(planted_class):
    _, flagged = planted_class
    missed = [name for name in PLANTED if frozenset((name, f"copy-of-{name}")) not in flagged]
    assert not missed, f"planted copies not flagged: {missed}"


def test_no_independent_pair_is_flagged(planted_class):
    """Pairs of corpus notebooks (and a copy with any notebook but its source) stay under the threshold."""
    documents, flagged = planted_class
    names = [d.name for d in documents]
    planted = {frozenset((n, f"copy-of-{n}")) for n in PLANTED}
    independent = {frozenset(p) for p in itertools.combinations(names, 2)} - planted
    # a copy of X and a copy-of-X's neighbour are as independent as X and that neighbour
    wrong = sorted(tuple(sorted(p)) for p in flagged & independent)
    assert len(independent) > 600
    assert not wrong, f"independent pairs flagged: {wrong}"


def test_the_template_is_no_evidence():
    """Two students who only filled the released template's blanks with different code are not flagged."""
    student = release_notebook(nbformat.read(ASSIGNMENT.notebook, as_version=4))
    one, two = nbformat.from_dict(student), nbformat.from_dict(student)
    for position, cell in enumerate(c for c in one.cells if "raise NotImplementedError" in c.get("source", "")):
        cell.source = f"answer_{position} = {position} * 2\nprint(answer_{position})"
    for position, cell in enumerate(c for c in two.cells if "raise NotImplementedError" in c.get("source", "")):
        cell.source = f"for i in range({position + 3}):\n    total = i ** 2 - {position}"
    documents = [notebook_document("one", one, ASSIGNMENT), notebook_document("two", two, ASSIGNMENT)]
    assert flagged_pairs(documents) == set()


def test_a_copy_of_a_known_solution_names_its_source(tmp_path):
    known_folder = tmp_path / "earlier-terms"
    known_folder.mkdir()
    nbformat.write(corpus()["colab-classic"], known_folder / "term-2024-anna.ipynb")
    copy = disguise(corpus()["colab-classic"], seed=3)
    documents = [notebook_document("student-x", copy, ASSIGNMENT), notebook_document("student-y", corpus()["mac-mps"], ASSIGNMENT)]
    known = known_documents(known_folder, [ASSIGNMENT])
    matches, _ = integrity.code_matches(documents, known, TEMPLATES)
    assert [(m.left, Path(m.right).name, m.right_known) for m in matches] == [("student-x", "term-2024-anna.ipynb", True)]
    assert matches[0].left_regions and matches[0].right_regions


def test_the_published_solution_is_a_known_solution():
    solved = clean_solution(nbformat.read(ASSIGNMENT.notebook, as_version=4))
    documents = [notebook_document("copier", disguise(solved, 5), ASSIGNMENT), *[
        notebook_document(name, nb, ASSIGNMENT) for name, nb in corpus().items()
    ]]
    matches, _ = integrity.code_matches(documents, [d for d in [reference_document(ASSIGNMENT)] if d], TEMPLATES)
    assert [(m.left, m.right) for m in matches] == [("copier", str(ASSIGNMENT.notebook))]


# ------------------------------------------------------------------ behaviour


def synthetic_class(rng: np.random.Generator, students: int = 40, points: int = 3000) -> tuple[np.ndarray, list[np.ndarray]]:
    """Labels and independent predictions whose errors concentrate on hard points, as real models' do."""
    labels = rng.integers(0, 3, points)
    hardness = rng.beta(0.3, 3.0, points)  # most points easy, a few near the boundary
    predictions = []
    for _ in range(students):
        skill = rng.uniform(0.3, 3.0)
        wrong = rng.random(points) < np.clip(hardness * skill, 0, 0.95)
        predicted = np.where(wrong, (labels + rng.integers(1, 3, points)) % 3, labels)
        predictions.append(predicted)
    return labels, predictions


def records(labels: np.ndarray, predictions: dict[str, np.ndarray]) -> dict[str, list]:
    out = {}
    for name, predicted in predictions.items():
        record = core_digests.prediction_record("test_spirals.py::test_accuracy", "ex7", predicted, labels)
        assert record is not None
        out[name] = [record]
    return out


def test_shared_errors_find_copies_and_spare_independent_models():
    rng = np.random.default_rng(7)
    labels, predictions = synthetic_class(rng)
    named = {f"s{i:02d}": p for i, p in enumerate(predictions)}
    named["copy-of-s03"] = predictions[3].copy()  # the same weights
    tweaked = predictions[11].copy()
    flip = rng.choice(len(labels), 40, replace=False)
    tweaked[flip] = labels[flip]  # trained a little further: some errors fixed
    named["copy-of-s11"] = tweaked
    overlaps = behaviour.error_overlaps(records(labels, named))
    flagged = {frozenset((o.left, o.right)) for o in overlaps if o.flagged}
    assert flagged == {frozenset(("s03", "copy-of-s03")), frozenset(("s11", "copy-of-s11"))}


def test_plain_independence_would_flag_independent_models():
    """Why the null model weighs each point's difficulty: errors on the boundary coincide for everyone."""
    rng = np.random.default_rng(7)
    labels, predictions = synthetic_class(rng)
    overlaps = behaviour.error_overlaps(records(labels, {f"s{i:02d}": p for i, p in enumerate(predictions)}))
    alpha = behaviour.FAMILY_ALPHA / len(overlaps)
    uniform = [o for o in overlaps if behaviour.poisson_tail(o.shared, o.left_errors * o.right_errors / o.points) < alpha]
    assert not any(o.flagged for o in overlaps)
    assert len(uniform) > len(overlaps) * 0.9  # 778 of the 780 pairs


def test_records_are_compact_and_only_compared_over_the_same_draw():
    labels = np.arange(5000) % 2
    predicted = labels.copy()
    predicted[::50] ^= 1
    record = core_digests.prediction_record("c", "e", predicted, labels)
    assert record is not None and len(record.wrong) < 900 and behaviour.wrong_points(record).sum() == 100
    other = core_digests.prediction_record("c", "e", predicted[:4000], labels[:4000])
    assert other is not None and other.draw != record.draw
    assert behaviour.error_overlaps({"a": [record], "b": [other]}) == []


def test_accuracy_tells_the_observer_what_it_compared():
    seen = []
    with observing_predictions(lambda predicted, labels: seen.append((predicted.tolist(), labels.tolist()))):
        assert accuracy(np.array([1, 0, 1]), np.array([1, 1, 1])) == pytest.approx(2 / 3)
    accuracy(np.array([0]), np.array([0]))  # not observed outside the block
    assert seen == [([1, 0, 1], [1, 1, 1])]

    def broken(predicted: np.ndarray, labels: np.ndarray) -> None:
        raise TypeError("a record that cannot be made")

    with observing_predictions(broken):  # never changes what the check measures
        assert accuracy(np.array([1, 1]), np.array([1, 0])) == 0.5


def test_only_judged_accuracies_on_hidden_draws_are_observed():
    """assert_accuracy (the hidden draw) is observed; record_accuracy (the notebook's public split,
    measured for calibration only) is not, so each check carries one record of hidden points."""
    measured, seen = [], []

    class Submission:
        def measure(self, measurement):
            measured.append(measurement)

    with observing_predictions(lambda predicted, labels: seen.append(len(labels))):
        assert_accuracy(Submission(), np.array([1, 0, 1, 1]), np.array([1, 1, 1, 1]), "hidden points", above=0.5)
        record_accuracy(Submission(), np.array([1, 0]), np.array([1, 1]), "notebook test split")
    assert seen == [4]
    assert [(m.data, m.value, m.judged) for m in measured] == [("hidden draw", 0.75, True), ("notebook test split", 0.5, False)]


def test_parameter_digest_sees_through_a_permutation_of_hidden_units():
    rng = np.random.default_rng(0)
    w1, b1, w2, b2 = rng.normal(size=(16, 2)), rng.normal(size=16), rng.normal(size=(1, 16)), rng.normal(size=1)
    order = rng.permutation(16)
    original = core_digests.parameter_digest("m", [w1, b1, w2, b2])
    permuted = core_digests.parameter_digest("m", [w1[order], b1[order], w2[:, order], b2])
    retrained = core_digests.parameter_digest("m", [w1 + 1e-3, b1, w2, b2])
    assert original.permuted == permuted.permuted and original.exact != permuted.exact
    assert retrained.permuted != original.permuted
    same = behaviour.same_objects({"a": [original], "b": [permuted], "c": [retrained]})
    assert [(s.how, s.submissions) for s in same] == [("parameters identical up to a permutation of hidden units", ("a", "b"))]


def test_one_seeded_recipe_explains_identical_models_and_a_copy_still_flags():
    """Two notebooks that follow the exercise's seeds to the letter train the very same model in their
    own kernels: not flagged, listed as explained. Parameters given from elsewhere, a different number
    of steps, or code alike keep a pair flagged."""
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(8, 2)), rng.normal(size=8)]
    digest = lambda steps=300, loaded=False: core_digests.parameter_digest("m", weights, steps, loaded)  # noqa: E731
    labels = rng.integers(0, 2, 400)
    wrong = np.where(rng.random(400) < 0.05, 1 - labels, labels)  # the one model's errors, shared by both
    other = np.where(rng.random(400) < 0.05, 1 - labels, labels)
    records = lambda predicted: [core_digests.prediction_record("t.py::test_acc", "ex1", predicted, labels)]  # noqa: E731

    def pairs(digests, predictions):
        same = behaviour.same_objects(digests)
        overlaps = [o for o in behaviour.error_overlaps(predictions) if o.flagged]
        return integrity._combine([], overlaps, same)

    flagged, explained = pairs({"a": [digest()], "b": [digest()]}, {"a": records(wrong), "b": records(wrong)})
    assert flagged == [] and [(p.left, p.right) for p in explained] == [("a", "b")]
    assert "same seeded recipe" in explained[0].reasons[-1]
    for digests in ({"a": [digest()], "b": [digest(loaded=True)]}, {"a": [digest()], "b": [digest(steps=301)]}):
        flagged, explained = pairs(digests, {})
        assert [(p.left, p.right) for p in flagged] == [("a", "b")] and explained == []
    # the same model, but errors of another record in common: still flagged
    flagged, _ = pairs({"a": [digest()], "b": [digest()]}, {
        "a": records(wrong) + [core_digests.prediction_record("t.py::test_other", "ex2", other, labels)],
        "b": records(wrong) + [core_digests.prediction_record("t.py::test_other", "ex2", np.where(np.arange(400) < 10, 1 - labels, other), labels)],
    })
    assert [(p.left, p.right) for p in flagged] == [("a", "b")]
    # code alike: the copy is flagged, with the identical model as corroboration
    code = integrity.CodeMatch("a", "b", False, 0.97, 40, (), (), ())
    flagged, explained = integrity._combine([code], [], behaviour.same_objects({"a": [digest()], "b": [digest()]}))
    assert [(p.left, p.right) for p in flagged] == [("a", "b")] and flagged[0].same and explained == []


def test_only_a_rare_formula_is_evidence():
    """Identical function outputs are common (the textbook formula); a rare variant shared by two is flagged."""
    common = core_digests.output_digest("tanh", np.tanh(core_digests.PROBE_POINTS))
    rare = core_digests.output_digest("tanh", np.tanh(core_digests.PROBE_POINTS) + np.float32(1e-7))
    digests = {f"s{i:02d}": [common] for i in range(38)} | {"x": [rare], "y": [rare]}
    assert [(s.how, s.submissions) for s in behaviour.same_objects(digests)] == [("identical outputs", ("x", "y"))]
    assert behaviour.same_objects({"x": [rare], "y": [rare]}) == []  # too small a class to call anything rare


def test_compare_with_in_assignment_toml_is_relative_to_its_folder(tmp_path):
    import shutil

    folder = tmp_path / "solutions" / "classification-exercises"
    shutil.copytree(ASSIGNMENT.folder, folder)
    config = folder / "assignment.toml"
    config.write_text(config.read_text().replace("[exercises]", 'compare_with = "../../earlier-terms"\n\n[exercises]', 1))
    assert load_assignment(folder).compare_with == folder / "../../earlier-terms"


def test_a_missing_known_solutions_folder_is_refused_where_it_enters(tmp_path):
    from grader.pipeline import BatchOptions

    with pytest.raises(ValueError, match="not a folder of known solutions"):
        BatchOptions(compare_with=tmp_path / "nowhere")


# ------------------------------------------------------------------ staff only


def stored(name: str, nb: nbformat.NotebookNode, labels: np.ndarray, predicted: np.ndarray) -> SubmissionResult:
    document = notebook_document(name, nb, ASSIGNMENT)
    record = core_digests.prediction_record("test_moons.py::test_moons_accuracy_on_hidden_data", "ex2", predicted, labels)
    return SubmissionResult(
        submission=name, student=name, path=f"{name}.ipynb", assignment=ASSIGNMENT.id, assignment_title=ASSIGNMENT.title,
        identified_by="test", status="graded", message="", score=3.0, max_score=10.0,
        execution=ExecutionResult(cells=[CellResult(index=c.cell, tags=[], source=c.source, status="ok") for c in document.cells]),
        sections={e: min(c.cell for c in document.cells if c.exercise == e) for e in {c.exercise for c in document.cells} if e},
        predictions=[record] if record else [],
    )


def test_integrity_is_for_the_staff_only(tmp_path):
    notebooks = corpus()
    labels = np.arange(1000) % 2
    wrong = np.zeros(1000, bool)
    wrong[np.random.default_rng(1).choice(1000, 60, replace=False)] = True
    predicted = np.where(wrong, 1 - labels, labels)
    results = [
        stored("anna", notebooks["colab-classic"], labels, predicted),
        stored("ben", disguise(notebooks["colab-classic"], 1), labels, predicted),
        stored("carl", notebooks["mac-mps"], labels, labels),
    ]
    report = integrity.check_integrity(results, [ASSIGNMENT])
    assert [(p.left, p.right) for p in report.pairs] == [("anna", "ben")]
    assert report.pairs[0].code is not None and report.pairs[0].errors
    index = render_index(results, "ta", report)
    assert 'id="integrity"' in index and "60 shared wrong points" in index
    staff = render_submission(results[1], "ta", report.pairs_of("ben"))
    assert 'id="integrity"' in staff and "anna" in staff
    student = render_submission(results[1], "student", report.pairs_of("ben"))
    assert 'id="integrity"' not in student and "Integrity" not in student
    view = for_audience(results[1], "student")
    assert view.predictions == [] and view.digests == []
    assert "wrong" not in json.dumps(gradescope_results(results[1]))
    assert dataclasses.asdict(report)["pairs"][0]["left"] == "anna"


# ------------------------------------------------------------------ end to end


@pytest.mark.slow
def test_the_demo_batch_records_behaviour_and_flags_its_copies(demo_batch):
    """`grade submissions/`: the demos are variants of the reference notebook, so they are flagged; the
    accuracy checks recorded which hidden points each model got wrong, and nothing of it is exported."""
    ada = demo_batch.results[("classification-exercises", "ada")]
    assert {r.check for r in ada.predictions} == {
        "test_moons.py::test_moons_accuracy_on_hidden_data", "test_spirals.py::test_spirals_accuracy_on_hidden_data"
    }
    assert {(d.role, d.kind) for d in ada.digests} == {
        ("moons_model", "parameters"), ("spirals_model", "parameters"), ("tanh", "outputs")
    }
    data = json.loads((demo_batch.out / "integrity.json").read_text())
    pairs = {frozenset((p["left"], p["right"])): p for p in data["pairs"]}
    renamed = pairs[frozenset(("ada__classification-exercises", "renamed-untagged__classification-exercises"))]
    assert renamed["code"]["similarity"] >= 0.95
    assert ("moons_model", "identical parameters") in {(s["role"], s["how"]) for s in renamed["same"]}
    assert frozenset(("ada__classification-exercises", str(ASSIGNMENT.notebook))) in pairs
    assert 'id="integrity"' in (demo_batch.out / "index.html").read_text()
    exported = (demo_batch.out / "ada__classification-exercises" / "gradescope" / "results.json").read_text()
    assert "predictions" not in exported and "digests" not in exported
    assert "integrity" not in (demo_batch.out / "grades.csv").read_text()


def image_class(rng: np.random.Generator, students: int = 8, items: int = 400, copies: int = 8):
    """Noisy copies of digits: every copy of an image is missed together, a few digits are hard for all."""
    hardness = rng.beta(0.2, 4.0, items)
    item_of = np.repeat(np.arange(items), copies)
    labels = rng.integers(0, 10, items)[item_of]
    predictions = []
    for _ in range(students):
        skill = rng.uniform(0.5, 2.0)
        missed_item = (rng.random(items) < np.clip(hardness * skill, 0, 0.97))[item_of]
        wrong = (missed_item & (rng.random(item_of.size) < 0.85)) | (rng.random(item_of.size) < 0.002)
        predictions.append(np.where(wrong, (labels + rng.integers(1, 10, labels.size)) % 10, labels))
    return labels, item_of, predictions


def item_records(labels, item_of, predictions, with_items=True):
    return {
        name: [core_digests.prediction_record("test_digits.py::test_accuracy", "ex3", p, labels, item_of if with_items else None)]
        for name, p in predictions.items()
    }


def test_repeated_items_no_longer_flag_independent_work_and_copies_still_flag(monkeypatch):
    rng = np.random.default_rng(0)
    labels, item_of, predictions = image_class(rng)
    named = {f"s{i}": p for i, p in enumerate(predictions)}
    named["copy-of-s1"] = predictions[1].copy()
    per_item = behaviour.error_overlaps(item_records(labels, item_of, named))
    planted = frozenset(("s1", "copy-of-s1"))
    assert {frozenset((o.left, o.right)) for o in per_item if o.flagged} == {planted}
    per_input = behaviour.error_overlaps(item_records(labels, item_of, named, with_items=False))
    assert {frozenset((o.left, o.right)) for o in per_input if o.flagged} == {planted}  # the class's dispersion absorbs it
    monkeypatch.setattr(behaviour, "DISPERSION_PAIRS", 10**9)  # the plain chance model, per input
    per_input = behaviour.error_overlaps(item_records(labels, item_of, named, with_items=False))
    assert {frozenset((o.left, o.right)) for o in per_input if o.flagged} - {planted}  # copies of one image multiply a coincidence
    assert {o.unit for o in per_item} == {"items"} and {o.points for o in per_item} == {400}


def test_items_are_stored_compactly_and_read_defensively():
    labels = np.arange(3000) % 10
    record = core_digests.prediction_record("c", "e", labels, labels, np.repeat(np.arange(70000, 70300), 10))
    assert record is not None and record.items.startswith("uint16:")
    assert core_digests.decode_items(record).tolist() == np.repeat(np.arange(300), 10).tolist()
    assert core_digests.prediction_record("c", "e", labels, labels, np.arange(5)).items == ""  # not one per input
    for bad in ("", "uint16:***", "int64:AAAA", "uint8:AAAA", 7):
        assert core_digests.decode_items(dataclasses.replace(record, items=bad)) is None
    loaded = SubmissionResult.from_dict({"predictions": [{k: v for k, v in dataclasses.asdict(record).items() if k != "items"}],
                                         **{k: "" for k in ("submission", "student", "path", "assignment", "assignment_title", "identified_by", "message")},
                                         "status": "graded", "score": 0, "max_score": 0})
    assert loaded.predictions[0].items == "" and core_digests.decode_items(loaded.predictions[0]) is None


@pytest.mark.parametrize("dispersion", [False, True])
def test_the_references_runs_say_which_items_are_hard_and_copies_still_flag(tmp_path, monkeypatch, dispersion):
    """A small class cannot tell which digits are hard; twenty reference runs can (calibration.json's difficulty).
    With the class's dispersion, even the class alone flags no independent pair, and every copy still flags."""
    if not dispersion:
        monkeypatch.setattr(behaviour, "DISPERSION_PAIRS", 10**9)
    check = "test_digits.py::test_accuracy"
    false = {"class only": 0, "with the reference": 0}
    found = {"class only": 0, "with the reference": 0}
    for seed in range(10):
        rng = np.random.default_rng(seed)
        labels, item_of, runs = image_class(rng, students=6 + 20)  # 6 students, then 20 reference runs
        students, reference = runs[:6], runs[6:]
        named = {f"s{i}": p for i, p in enumerate(students)} | {"copy-of-s0": students[0].copy()}
        records = item_records(labels, item_of, named)
        made = [core_digests.prediction_record(check, "ex3", p, labels) for p in reference]
        calibration = tmp_path / f"calibration-{seed}.json"
        calibration.write_text(json.dumps({"difficulty": [dataclasses.asdict(d) for d in core_digests.reference_difficulty(made)]}))
        rates = core_digests.reference_misses(calibration)
        assert list(rates) == [(check, made[0].draw)] and rates[(check, made[0].draw)].shape == (labels.size,)
        for how, prior in (("class only", None), ("with the reference", rates)):
            flagged = {frozenset((o.left, o.right)) for o in behaviour.error_overlaps(records, prior) if o.flagged}
            found[how] += frozenset(("s0", "copy-of-s0")) in flagged
            false[how] += len(flagged - {frozenset(("s0", "copy-of-s0"))})
    assert found == {"class only": 10, "with the reference": 10}
    if dispersion:
        assert false == {"class only": 0, "with the reference": 0}
    else:
        assert false["with the reference"] < false["class only"] and false["with the reference"] == 0, false
