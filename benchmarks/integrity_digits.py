"""Measure the integrity stage's false flags on a class of independently written digits-cnn notebooks.

The class is benchmarks/digits_class/*.ipynb (written by benchmarks/digits_class/build.py, each
student's own solution of assignments/digits-cnn.ipynb) and one planted copy: a student's notebook
with the names it chose renamed and its comments and printed text changed, its seeds left as they
are (the copy trains the very same model). The batch is graded with the real pipeline; then, from
OUT/integrity.json, every pair flagged and on what evidence: is the planted copy found, and how many
independent pairs (two students, or a student and the reference solution) are flagged? Last, the
same shared-error comparison counted per input, each of the 1800 noisy copies on its own (the
records' `items` stripped), to show what counting per test image changes.
Run: PYTHONPATH=. python benchmarks/integrity_digits.py [--out OUT]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import re
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import nbformat

from grader.core.assignment import load_assignment
from grader.core.digests import decode_items
from grader.core.results import PredictionRecord, SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.integrity.behaviour import ErrorOverlap, by_item, error_overlaps, wrong_points
from grader.pipeline import BatchOptions, grade_folder
from tests.plants import _rename, bound_names, change_comments_and_prints

ROOT = Path(__file__).resolve().parent.parent
CLASS = ROOT / "benchmarks" / "digits_class"
COPIED = "chen"  # the student the planted copy is made from: seeded, so the copy trains the same model
PLANTED = "zoe"  # who hands the copy in


def planted_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb` disguised without touching its seeds: the names its exercise cells bind renamed (not the
    ones the assignment asks for or the locked cells define), comments dropped, printed text changed."""
    assignment = load_assignment(ROOT / "solutions" / "digits-cnn")
    asked = {name for spec in assignment.objects.values() for name in spec.names}
    out = copy.deepcopy(nb)
    code = [cell for cell in out.cells if cell.cell_type == "code"]
    own = [cell for cell in code if "locked" not in cell.metadata.get("tags", [])]
    locked = nbformat.v4.new_notebook(cells=[cell for cell in code if "locked" in cell.metadata.get("tags", [])])
    exercise = nbformat.v4.new_notebook(cells=own)
    keep = asked | bound_names(locked) | {"forward"} | formatted_names(own)
    mapping = {name: f"my_{name}" for name in sorted(bound_names(exercise) - keep) if not name.startswith("__")}
    for cell in own:
        cell.source = _rename(cell.source, mapping)
    for cell, disguised in zip(own, change_comments_and_prints(exercise).cells, strict=True):
        cell.source = disguised.source
    return out


def formatted_names(cells: list[nbformat.NotebookNode]) -> set[str]:
    """Names used inside f-strings, which the renaming (by tokens) cannot reach on Python < 3.12."""
    found: set[str] = set()
    for cell in cells:
        for literal in re.findall(r"\bf(\"[^\"]*\"|'[^']*')", cell.source):
            for field in re.findall(r"\{([^{}]*)\}", literal):
                found |= set(re.findall(r"[A-Za-z_]\w*", field))
    return found


def write_batch(folder: Path) -> list[str]:
    """The class and the planted copy as one submissions folder; the students' names."""
    folder.mkdir(parents=True)
    students = []
    for path in sorted(CLASS.glob("*.ipynb")):
        nbformat.write(nbformat.read(path, as_version=4), folder / path.name)
        students.append(path.stem)
    nbformat.write(planted_copy(nbformat.read(CLASS / f"{COPIED}.ipynb", as_version=4)), folder / f"{PLANTED}.ipynb")
    return students


def describe(record: PredictionRecord) -> str:
    """A record's wrong inputs, and for a record with items its wrong test images (any copy missed)."""
    wrong = wrong_points(record)
    text = f"{record.check.split('::')[-1]} {int(wrong.sum())}/{record.points}"
    items = decode_items(record)
    if items is not None:
        images = by_item(wrong[None, :].astype(float), items)
        text += f" inputs, {int(images.sum())}/{images.shape[1]} images"
    return text


def print_scores(results: list[SubmissionResult]) -> None:
    print("score per student, and the wrong points of each accuracy record")
    for result in results:
        wrong = "; ".join(describe(record) for record in result.predictions) or "no record"
        print(f"  {result.submission:7} {result.score:4.1f}/{result.max_score:4.1f} {result.status} {result.message} {wrong}")


def evidence_of(pair: dict) -> str:  # type: ignore[type-arg]
    """The kinds of evidence that flagged a pair of integrity.json, in words."""
    kinds = []
    if pair["code"]:
        kinds.append(f"code (similarity {pair['code']['similarity']:.2f})")
    for overlap in pair["errors"]:
        check = overlap["check"].split("::")[-1]
        kinds.append(f"shared errors in {check} ({overlap['shared']} {overlap['unit']}, {overlap['expected']} expected)")
    for same in pair["same"]:
        kinds.append(f"same object ({same['role']}: {same['how']})")
    return "; ".join(kinds)


def print_flags(report: dict, students: list[str]) -> None:  # type: ignore[type-arg]
    independent = {frozenset(p) for p in itertools.combinations(students, 2)}
    independent |= {frozenset((PLANTED, s)) for s in students if s != COPIED}
    class_size = len(students) + 1
    print(f"\nintegrity.json: {report['submissions']} submissions; behaviour_pairs {report['behaviour_pairs']} (a pair on one "
          f"accuracy record, with a shared wrong point); code_pairs {report['code_pairs']}; known {list(report['known'])}")
    planted_found, false_flags, known_flags = False, [], []
    for pair in report["pairs"]:
        key = frozenset((pair["left"], pair["right"]))
        line = f"  {pair['left']} ~ {pair['right']}: {evidence_of(pair)}"
        if key == frozenset((COPIED, PLANTED)):
            planted_found = True
            print("planted copy FOUND:" + line[1:])
        elif pair["known"]:
            known_flags.append(line)
        elif key in independent:
            false_flags.append(line)
    if not planted_found:
        print(f"planted copy MISSED: {PLANTED} ~ {COPIED} not flagged")
    print(f"independent pairs of students: {len(independent)} (of {class_size * (class_size - 1) // 2} pairs in the "
          f"class of {class_size}); flagged: {len(false_flags)}; false-flag rate {len(false_flags) / len(independent):.1%}")
    print("\n".join(false_flags))
    for kind in ("code", "shared errors", "same object"):
        print(f"  flagged independent pairs with {kind} evidence: {sum(kind in line for line in false_flags)}")
    explained = report.get("explained", [])
    print(f"not flagged, explained by one seeded recipe (identical models, each trained in its own kernel): {len(explained)}")
    for pair in explained:
        print(f"  {pair['left']} ~ {pair['right']}: {'; '.join(pair['reasons'])}")
    print(f"pairs of a student and the reference solution: {class_size}; flagged: {len(known_flags)}")
    print("\n".join(known_flags))


def print_units(results: list[SubmissionResult]) -> None:
    """Every pair's shared errors on the records with items (the hidden noisy copies), counted per test image
    (as graded) and per input (items stripped)."""
    predictions = {r.submission: r.predictions for r in results if r.predictions}
    checks = sorted({p.check for records in predictions.values() for p in records if p.items})
    stripped = {s: [replace(record, items="") for record in records] for s, records in predictions.items()}
    # every record compared, as the integrity stage does (its threshold is divided by all the pairs measured)
    per_item = {frozenset((o.left, o.right)): o for o in error_overlaps(predictions) if o.check in checks}
    per_input = {frozenset((o.left, o.right)): o for o in error_overlaps(stripped) if o.check in checks}
    print(f"\nshared errors on {', '.join(checks)}, per pair: per test image (as graded) | per input (items stripped)")
    print(f"  {'pair':15} {'shared':>6} {'expect':>6} {'p':>9} flag | {'shared':>6} {'expect':>6} {'p':>9} flag")
    for pair in sorted(set(per_item) | set(per_input), key=lambda p: sorted(p)):
        left, right = sorted(pair)
        print(f"  {left + ' ~ ' + right:15} {_columns(per_item.get(pair))} | {_columns(per_input.get(pair))}")
    planted = frozenset((COPIED, PLANTED))
    for label, overlaps in (("per test image", per_item), ("per input", per_input)):
        flagged = sorted(tuple(sorted(p)) for p, o in overlaps.items() if o.flagged and p != planted)
        found = planted in overlaps and overlaps[planted].flagged
        print(f"{label}: {len(flagged)} independent pair(s) flagged on these shared errors {flagged}; "
              f"planted copy {'flagged' if found else 'not flagged'}")


def _columns(overlap: ErrorOverlap | None) -> str:
    if overlap is None:
        return f"{0:6d} {'':>6} {'':>9}     "
    return f"{overlap.shared:6d} {overlap.expected:6.2f} {overlap.probability:9.2e} {'FLAG' if overlap.flagged else '    '}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the grading output here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "out"
        students = write_batch(Path(scratch) / "batch")
        started = time.perf_counter()
        summary = grade_folder(Path(scratch) / "batch", BatchOptions(out, ROOT / "solutions", ExecuteSettings(), force=True, workers=2))
        print(f"graded {len(summary.results)} notebooks in {time.perf_counter() - started:.0f} s (2 workers)\n")
        print_scores(summary.results)
        report = json.loads((out / "integrity.json").read_text(encoding="utf-8"))
        print_flags(report, students)
        print_units(summary.results)


if __name__ == "__main__":
    main()
