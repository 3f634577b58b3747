"""Code similarity of notebooks: normalised tokens, winnowed fingerprints, an inverted index.

The MOSS algorithm (Schleimer, Wilkerson, Aiken, "Winnowing", SIGMOD 2003) over Python tokens:

* each code cell is tokenised with the standard library's `tokenize` (IPython `!`/`%` lines
  dropped first); comments, blank lines and layout go, strings become `S` (a changed print is
  no evidence either way), identifiers the student chose become `V`, while keywords, attribute
  names (`.backward`, `nn.Linear`), builtins and the usual library names are kept: renaming
  variables changes nothing, calling another API does;
* every k consecutive tokens are hashed and, in each window of w hashes, the smallest is kept
  (winnowing): a shared run of at least k + w - 1 tokens is guaranteed to share a fingerprint;
* fingerprints of the released template (the starter code everyone received) and those found in
  more than a share of the class (course code pasted by everyone) are dropped before comparing;
* an inverted index (fingerprint → documents) finds the pairs that share anything, so a class of
  n costs the sum of the postings, not n² document comparisons.

Why `tokenize` rather than `copydetect`: copydetect works on files, not notebook cells, so a
match could not be traced back to an exercise and a cell; its comparison is all-pairs; and it
would be one more dependency for what is a hundred lines over the standard library.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import itertools
import keyword
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

K = 10  # tokens per k-gram: shorter runs than this are never evidence
WINDOW = 6  # winnowing window: every shared run of K + WINDOW - 1 tokens is found

# Names that mean the same thing in everyone's notebook: kept, not normalised to V.
KEPT_NAMES = frozenset(dir(builtins)) | frozenset(
    {"torch", "nn", "F", "np", "numpy", "plt", "optim", "sklearn", "pd", "torchmetrics", "self", "super", "cls"}
)
_MAGIC = re.compile(r"^\s*[!%?]")
_FALLBACK = re.compile(r"#[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|\d[\w.]*|\w+|\S")


@dataclass(frozen=True)
class CodeCell:
    """One code cell of a document, with the exercise whose section it lies in ("" before the first)."""

    cell: int  # 1-based position among all the notebook's cells
    exercise: str
    source: str


@dataclass(frozen=True)
class CodeDocument:
    """What is compared: a submission's code cells, or a known solution's."""

    name: str  # the submission id, or the known solution's path
    assignment: str  # "" for a known solution that matches any assignment
    cells: tuple[CodeCell, ...]
    known: bool = False


@dataclass(frozen=True)
class Token:
    text: str
    cell: int
    line: int  # 1-based within the cell


@dataclass
class Fingerprints:
    """A document's winnowed fingerprints: hash → the token positions where its k-gram starts."""

    document: CodeDocument
    tokens: list[Token]
    positions: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._exercise_of_cell = {c.cell: c.exercise for c in self.document.cells}

    def exercise_of(self, position: int) -> str:
        return self._exercise_of_cell.get(self.tokens[position].cell, "")

    def hashes(self, exercise: str | None = None) -> set[int]:
        if exercise is None:
            return set(self.positions)
        return {h for h, where in self.positions.items() if self.exercise_of(where[0]) == exercise}


def normalised_tokens(source: str) -> list[tuple[str, int]]:
    """(token, line) of one cell: comments and layout dropped, strings `S`, the student's names `V`."""
    lines = ["" if _MAGIC.match(line) else line for line in source.splitlines()]
    text = "\n".join(lines) + "\n"
    try:
        raw = [(t.type, t.string, t.start[0]) for t in tokenize.generate_tokens(io.StringIO(text).readline)]
    except (tokenize.TokenError, SyntaxError):  # a cell that does not parse is still compared
        raw = _fallback_tokens(text)
    return _normalise(raw)


def _fallback_tokens(text: str) -> list[tuple[int, str, int]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _FALLBACK.finditer(line):
            piece = match.group()
            kind = tokenize.COMMENT if piece.startswith("#") else tokenize.STRING if piece[0] in "\"'" else (
                tokenize.NUMBER if piece[0].isdigit() else tokenize.NAME if piece[0].isalnum() or piece[0] == "_" else tokenize.OP
            )
            found.append((kind, piece, number))
        found.append((tokenize.NEWLINE, "\n", number))
    return found


def _normalise(raw: Sequence[tuple[int, str, int]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    previous = ""
    for kind, text, line in raw:
        if kind in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
            continue
        if kind == tokenize.NEWLINE:
            token = ";"
        elif kind == tokenize.INDENT:
            token = "{"
        elif kind == tokenize.DEDENT:
            token = "}"
        elif kind == tokenize.STRING:
            token = "S"
        elif kind == tokenize.NAME:
            kept = keyword.iskeyword(text) or previous == "." or text in KEPT_NAMES
            token = text if kept else "V"
        else:
            token = text
        if token == "S" and out and out[-1][0] == "S":  # implicit concatenation: one string
            continue
        out.append((token, line))
        previous = text
    return out


def document_tokens(document: CodeDocument) -> list[Token]:
    """The normalised tokens of every code cell of `document`, in order."""
    return [
        Token(text, cell.cell, line)
        for cell in document.cells
        for text, line in normalised_tokens(cell.source)
    ]


def kgram_hashes(tokens: Sequence[Token], k: int = K) -> list[int]:
    """A stable 64-bit hash of every k consecutive tokens (the same in every process)."""
    texts = [t.text for t in tokens]
    return [
        int.from_bytes(hashlib.blake2b("\x1f".join(texts[i : i + k]).encode(), digest_size=8).digest(), "big")
        for i in range(len(texts) - k + 1)
    ]


def winnow(hashes: Sequence[int], window: int = WINDOW) -> list[tuple[int, int]]:
    """(hash, position) chosen by winnowing: the minimum of each window, the rightmost on ties, once each."""
    if len(hashes) <= window:
        return [(min(hashes), hashes.index(min(hashes)))] if hashes else []
    chosen: list[tuple[int, int]] = []
    last = -1
    for start in range(len(hashes) - window + 1):
        span = hashes[start : start + window]
        low = min(span)
        position = start + max(i for i, h in enumerate(span) if h == low)
        if position != last:
            chosen.append((low, position))
            last = position
    return chosen


def fingerprint(document: CodeDocument, ignored: AbstractSet[int] = frozenset()) -> Fingerprints:
    """`document`'s winnowed fingerprints, leaving out `ignored` ones (the template's)."""
    tokens = document_tokens(document)
    prints = Fingerprints(document, tokens)
    for value, position in winnow(kgram_hashes(tokens)):
        if value not in ignored:
            prints.positions.setdefault(value, []).append(position)
    return prints


def baseline_hashes(template: CodeDocument | None) -> set[int]:
    """Every k-gram of the released template's code: starter code is no evidence of copying."""
    return set(kgram_hashes(document_tokens(template))) if template is not None else set()


def common_hashes(documents: Iterable[Fingerprints], share: float, least: int) -> set[int]:
    """Fingerprints found in more than `share` of the documents (and more than `least` of them)."""
    documents = list(documents)
    counts: Counter[int] = Counter(h for d in documents for h in d.positions)
    cutoff = max(least, share * len(documents))
    return {h for h, count in counts.items() if count > cutoff}


def candidate_pairs(documents: Sequence[Fingerprints], ignored: AbstractSet[int], least_shared: int) -> dict[tuple[int, int], int]:
    """(i, j) → shared fingerprints, for every pair sharing at least `least_shared`, through an inverted index.

    Only documents of the same assignment are paired (the index is built per assignment), so a
    class costs the sum over fingerprints of its postings squared, not n² comparisons."""
    index: dict[tuple[str, int], list[int]] = {}
    for number, document in enumerate(documents):
        for value in document.positions:
            if value not in ignored:
                index.setdefault((document.document.assignment, value), []).append(number)
    shared: Counter[tuple[int, int]] = Counter()
    for postings in index.values():
        if len(postings) > 1:
            shared.update(itertools.combinations(postings, 2))
    return {pair: count for pair, count in shared.items() if count >= least_shared}


@dataclass(frozen=True)
class CodeRegion:
    """Lines of one cell covered by fingerprints a pair shares."""

    exercise: str
    cell: int
    first_line: int
    last_line: int
    source: str


@dataclass(frozen=True)
class ExerciseSimilarity:
    exercise: str
    similarity: float  # share of the smaller side's fingerprints of the exercise found in the other document
    shared: int


@dataclass(frozen=True)
class CodeMatch:
    """How much code two documents share, overall and per exercise, and where."""

    left: str  # a submission id
    right: str  # a submission id, or a known solution's path
    right_known: bool
    similarity: float  # shared / the smaller document's fingerprints (template and common code left out)
    shared: int
    exercises: tuple[ExerciseSimilarity, ...]
    left_regions: tuple[CodeRegion, ...]
    right_regions: tuple[CodeRegion, ...]


def compare(left: Fingerprints, right: Fingerprints, ignored: AbstractSet[int]) -> CodeMatch:
    """The code match of two fingerprinted documents, `ignored` fingerprints (common code) left out."""
    a, b = left.hashes() - ignored, right.hashes() - ignored
    shared = a & b
    return CodeMatch(
        left=left.document.name,
        right=right.document.name,
        right_known=right.document.known,
        similarity=round(len(shared) / max(1, min(len(a), len(b))), 3),
        shared=len(shared),
        exercises=_per_exercise(left, right, a, b),
        left_regions=regions(left, shared),
        right_regions=regions(right, shared),
    )


def _per_exercise(left: Fingerprints, right: Fingerprints, a: set[int], b: set[int]) -> tuple[ExerciseSimilarity, ...]:
    """Per exercise of either side: the larger of its containment in the other document, both ways."""
    found: dict[str, ExerciseSimilarity] = {}
    for mine, theirs, other in ((left, a, b), (right, b, a)):
        for exercise in sorted({mine.exercise_of(p[0]) for h, p in mine.positions.items() if h in theirs}):
            own = mine.hashes(exercise) & theirs
            shared = len(own & other)
            score = round(shared / max(1, len(own)), 3)
            if shared and (exercise not in found or found[exercise].similarity < score):
                found[exercise] = ExerciseSimilarity(exercise, score, shared)
    return tuple(found[e] for e in sorted(found))


def regions(prints: Fingerprints, shared: AbstractSet[int]) -> tuple[CodeRegion, ...]:
    """The runs of lines, per cell, covered by the k-grams of `shared` fingerprints."""
    covered: dict[int, set[int]] = {}
    for value in shared:
        for position in prints.positions.get(value, []):
            for token in prints.tokens[position : position + K]:
                covered.setdefault(token.cell, set()).add(token.line)
    cells = {c.cell: c for c in prints.document.cells}
    found = []
    for cell, lines in sorted(covered.items()):
        source = cells[cell].source.splitlines()
        for first, last in _runs(sorted(lines)):
            text = "\n".join(source[first - 1 : last])
            found.append(CodeRegion(cells[cell].exercise, cell, first, last, text))
    return tuple(found)


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for line in lines:
        if runs and line <= runs[-1][1] + 3:  # a gap of up to two lines is shown, not split
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs
