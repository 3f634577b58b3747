"""Measure the code comparison's detection and false-positive rates on the real-world corpus.

Each of the 31 notebooks of tests/realworld/notebooks is copied once, disguised (tests/plants.py:
names renamed, comments and prints changed, cells swapped and merged, seeds changed), into a
class of the 31 originals: is the planted pair flagged? And over the 465 pairs of originals,
how many are flagged? Run: PYTHONPATH=. python benchmarks/integrity_precision.py
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import nbformat

from grader.assignment import load_assignment
from grader.code_documents import notebook_document, template_document
from grader.integrity import code_matches
from tests.plants import disguise

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    assignment = load_assignment(ROOT / "solutions" / "classification-exercises")
    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in sorted((ROOT / "tests/realworld/notebooks").glob("*.ipynb"))}
    originals = [notebook_document(name, nb, assignment) for name, nb in notebooks.items()]
    templates = [d for d in [template_document(assignment)] if d is not None]
    started = time.perf_counter()
    found, false_positives = 0, set()
    for seed, (name, nb) in enumerate(notebooks.items()):
        copy = notebook_document(f"copy-of-{name}", disguise(nb, seed), assignment)
        matches, _ = code_matches([*originals, copy], [], templates)
        pairs = {frozenset((m.left, m.right)) for m in matches}
        found += frozenset((name, copy.name)) in pairs
        false_positives |= {p for p in pairs if p != frozenset((name, copy.name))}  # the copy with another counts too
        print(f"{name:32} {'found' if frozenset((name, copy.name)) in pairs else 'MISSED'}")
    independent = len(list(itertools.combinations(originals, 2))) + len(notebooks) * (len(notebooks) - 1)
    print(f"planted copies found: {found}/{len(notebooks)}")
    print(f"independent pairs flagged: {len(false_positives)}/{independent} {sorted(tuple(sorted(p)) for p in false_positives)}")
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
