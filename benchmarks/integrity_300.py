"""How long the integrity stage takes over a class of 300 synthetic submissions (target: under 30 s on 2 cores).

Each synthetic submission takes every exercise's section from a random notebook of the real-world
corpus (tests/realworld/notebooks), renames its variables and shifts its numbers, so the class
shares a great deal of code section by section (many candidate pairs: the index's hard case).
Each also has two accuracy records over hidden draws of 5000 points and a model digest.
Run: PYTHONPATH=. python benchmarks/integrity_300.py [submissions]
"""

from __future__ import annotations

import random
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

from grader.core.assignment import load_assignment
from grader.core.digests import parameter_digest, prediction_record
from grader.integrity.code_documents import notebook_document
from grader.integrity.evidence import check_integrity
from grader.core.results import CellResult, ExecutionResult, SubmissionResult
from grader.integrity.similarity import CodeDocument
from tests.plants import _rename, bound_names

ROOT = Path(__file__).resolve().parent.parent
POINTS = 5000


def synthetic(number: int, sources: list[CodeDocument], names: list[str], rng: random.Random) -> SubmissionResult:
    mapping = {name: f"{name}_{rng.randint(0, 9)}" for name in names if rng.random() < 0.5}
    cells, sections = [], {}
    for exercise in ["", "ex1", "ex2", "ex3", "ex4", "ex5", "ex6", "ex7"]:
        source = rng.choice(sources)
        for cell in (c for c in source.cells if c.exercise == exercise):
            index = len(cells) + 1
            if exercise and exercise not in sections:
                sections[exercise] = index
            text = re.sub(r"\b(\d+)\b", lambda m: str(int(m.group(1)) + rng.choice([0, 0, 1, 2])), _rename(cell.source, mapping))
            cells.append(CellResult(index=index, tags=[], source=text, status="ok"))
    return SubmissionResult(
        submission=f"student-{number:03d}", student=f"student-{number:03d}", path="", assignment="classification-exercises",
        assignment_title="", identified_by="", status="graded", message="", score=0.0, max_score=0.0,
        execution=ExecutionResult(cells=cells), sections=sections,
    )


def main(count: int) -> None:
    assignment = load_assignment(ROOT / "solutions" / "classification-exercises")
    notebooks = [nbformat.read(p, as_version=4) for p in sorted((ROOT / "tests/realworld/notebooks").glob("*.ipynb"))]
    sources = [notebook_document(str(i), nb, assignment) for i, nb in enumerate(notebooks)]
    names = sorted(set().union(*(bound_names(nb) for nb in notebooks)))
    rng, generator = random.Random(0), np.random.default_rng(0)
    labels = generator.integers(0, 3, POINTS)
    hardness = generator.beta(0.3, 3.0, POINTS)
    results = []
    for number in range(count):
        result = synthetic(number, sources, names, rng)
        for check in ("test_moons.py::accuracy", "test_spirals.py::accuracy"):
            wrong = generator.random(POINTS) < np.clip(hardness * generator.uniform(0.3, 3.0), 0, 0.95)
            record = prediction_record(check, "ex", np.where(wrong, (labels + 1) % 3, labels), labels)
            result.predictions += [record] if record else []
        result.digests = [parameter_digest("moons_model", [generator.normal(size=(16, 2)), generator.normal(size=16)])]
        results.append(result)
    started = time.perf_counter()
    report = check_integrity(results, [assignment])
    seconds = time.perf_counter() - started
    print(
        f"{count} submissions: {seconds:.1f} s ({report.code_pairs} code pairs through the index, "
        f"{report.behaviour_pairs} model pairs compared, {len(report.pairs)} flagged)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
