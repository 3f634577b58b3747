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

from grader.integrity import evidence as integrity
from grader.core.assignment import load_assignment
from grader.integrity.code_documents import notebook_document, template_document
from grader.integrity.evidence import code_matches
from grader.integrity.similarity import baseline_hashes, common_hashes, compare, fingerprint
from tests.plants import disguise

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    assignment = load_assignment(ROOT / "solutions" / "classification-exercises")
    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in sorted((ROOT / "tests/realworld/notebooks").glob("*.ipynb"))}
    originals = [notebook_document(name, nb, assignment) for name, nb in notebooks.items()]
    templates = [d for d in [template_document(assignment)] if d is not None]
    started = time.perf_counter()
    found, false_positives, planted = 0, set(), []
    for seed, (name, nb) in enumerate(notebooks.items()):
        copy = notebook_document(f"copy-of-{name}", disguise(nb, seed), assignment)
        matches, _ = code_matches([*originals, copy], [], templates)
        pairs = {frozenset((m.left, m.right)) for m in matches}
        found += frozenset((name, copy.name)) in pairs
        false_positives |= {p for p in pairs if p != frozenset((name, copy.name))}  # the copy with another counts too
        planted.append(similarity_of([*originals, copy], templates, name, copy.name))
        print(f"{name:32} {'found' if frozenset((name, copy.name)) in pairs else 'MISSED'} {planted[-1]:.3f}")
    independent = len(list(itertools.combinations(originals, 2))) + len(notebooks) * (len(notebooks) - 1)
    print(f"planted copies found: {found}/{len(notebooks)}; lowest planted similarity {min(planted):.3f}")
    print(f"highest similarity of two originals: {highest_independent(originals, templates):.3f}")
    print(f"independent pairs flagged: {len(false_positives)}/{independent} {sorted(tuple(sorted(p)) for p in false_positives)}")
    print(f"{time.perf_counter() - started:.1f} s")


def _prints(documents, templates):  # type: ignore[no-untyped-def]
    baseline = set().union(*(baseline_hashes(t) for t in templates))
    prints = [fingerprint(d, baseline) for d in documents]
    return prints, common_hashes(prints, integrity.COMMON_SHARE, integrity.COMMON_LEAST)


def similarity_of(documents, templates, left: str, right: str) -> float:  # type: ignore[no-untyped-def]
    prints, common = _prints(documents, templates)
    by_name = {p.document.name: p for p in prints}
    return compare(by_name[left], by_name[right], common).similarity


def highest_independent(documents, templates) -> float:  # type: ignore[no-untyped-def]
    prints, common = _prints(documents, templates)
    return max(compare(a, b, common).similarity for a, b in itertools.combinations(prints, 2))


if __name__ == "__main__":
    main()
