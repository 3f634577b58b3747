"""What is kept of a cell's output when it floods: progress lines and the ends of stdout, a tally of stderr.

stdout past the per-cell budget keeps the lines specs read (training progress, "Epoch: 10 | …")
and its end; stderr never uses that budget: it is counted (warnings by category and message,
logged records, characters) and summarised in one sentence, with only its start kept. Every cut
falls on a line boundary, so a kept line is never half a line ("Epoch: 4" from "Epoch: 40").
"""

from __future__ import annotations

import re
from collections import Counter

OUTPUT_BUDGET = 2_000_000  # bytes of outputs kept per cell; past it, streams keep their tail and KEEP_LINES
TAIL_BUDGET = 100_000  # characters of a flooded stdout's end kept
# Lines a flood must not swallow: what specs read from the output (training progress, "Epoch: 10 | …").
KEEP_LINES = re.compile(r"epoch", re.I)
_KEPT_LINE = re.compile(r"^[^\n]*epoch[^\n]*\n", re.I | re.M)  # a whole line matching KEEP_LINES
KEPT_LINES_BUDGET = 200_000  # characters of such lines kept from a flood
STDERR_KEPT = 20_000  # characters of a cell's stderr kept as output; the rest is only counted
DISTINCT_SHOWN = 5  # distinct warnings the summary names
# Python's warning format ("file:12: UserWarning: text") and logging's default ("WARNING:root:text")
_WARNING = re.compile(r"^.{0,500}?:\d+: (?P<category>[A-Za-z_][\w.]{0,100}Warning): (?P<message>.*)$")
_LOGGED = re.compile(r"^(?P<level>WARNING|ERROR|CRITICAL):(?P<logger>[\w.]{0,100}):(?P<message>.*)$")
_LONGEST_PARSED = 2_000  # longer stderr lines are counted as characters, not parsed


def line_head(text: str, budget: int) -> str:
    """The start of `text` within `budget` characters, ending at a line's end when there is one."""
    if len(text) <= budget:
        return text
    cut = text.rfind("\n", 0, budget) + 1
    return text[: cut or budget]


def line_tail(text: str, budget: int) -> str:
    """The end of `text` within `budget` characters, starting at a line's start when there is one."""
    if len(text) <= budget:
        return text
    start = len(text) - budget
    cut = text.find("\n", start - 1, len(text) - 1)
    return text[cut + 1 :] if cut >= 0 else text[start:]


def whole_lines(lines: list[str], budget: int) -> str:
    """The first of `lines` that fit in `budget` characters together, none of them cut."""
    kept, size = [], 0
    for line in lines:
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
    return "".join(kept)


def truncate(text: str, budget: int, keep: re.Pattern[str] | None = None) -> str:
    """`text` within about `budget` characters: its head and tail, and between them the lines of the
    cut middle that match `keep` (within the same budget again); cuts fall between lines."""
    if len(text) <= budget:
        return text
    head = line_head(text, budget // 2)
    tail = line_tail(text[len(head) :], budget // 2)
    middle = text[len(head) : len(text) - len(tail)]
    kept = ""
    if keep is not None:
        kept = whole_lines([line for line in middle.splitlines(keepends=True) if keep.search(line)], budget)
    note = f"\n... [{len(middle) - len(kept)} characters cut by the grader{', matching lines kept' if kept else ''}] ...\n"
    return f"{head}{note}{kept}{tail}"


class Overflow:
    """What is kept of a cell's stdout past the output budget: the lines specs read and the end."""

    def __init__(self) -> None:
        self.cut = 0
        self.kept: list[str] = []
        self.kept_size = 0
        self.tail = ""
        self._partial = ""  # a line the last message left unfinished

    def take(self, text: str) -> None:
        """Count `text` as cut, keeping its progress lines (whole) and the end of the stream."""
        self.cut += len(text)
        text_with_start = self._partial + text
        end = text_with_start.rfind("\n") + 1
        self._partial = text_with_start[end:]
        if self.kept_size < KEPT_LINES_BUDGET:  # one scan for the whole message: floods come fast
            for line in _KEPT_LINE.findall(text_with_start, 0, end):
                self.kept.append(line)
                self.kept_size += len(line)
        self.tail = (self.tail + text)[-2 * TAIL_BUDGET :]

    def summary(self) -> str:
        """A stdout text saying what was cut, then the progress lines kept, then the end."""
        if self._partial and KEEP_LINES.search(self._partial) and self.kept_size < KEPT_LINES_BUDGET:
            self.kept.append(self._partial + "\n")
        kept, tail = "".join(self.kept), line_tail(self.tail, TAIL_BUDGET)
        return (
            f"\n[grader: {self.cut} characters of output past the {OUTPUT_BUDGET}-byte budget were cut; "
            f"kept from them: {len(self.kept)} progress lines, then the last {len(tail)} characters]\n"
            f"{kept}[grader: the end of the output]\n{tail}"
        )


class StderrTally:
    """A cell's stderr counted rather than stored: warnings by (category, message), logged records, characters."""

    def __init__(self) -> None:
        self.characters = 0
        self.warnings: Counter[str] = Counter()
        self.logged: Counter[str] = Counter()
        self.kept = ""  # the start of the stream, kept as the cell's output
        self._partial = ""

    def take(self, text: str) -> str:
        """Count `text`; return the part of it still kept as output (the stream's first STDERR_KEPT characters)."""
        self.characters += len(text)
        lines = (self._partial + text).splitlines()
        self._partial = "" if text.endswith("\n") or not lines else lines.pop()
        for line in lines:
            self._count(line)
        room = STDERR_KEPT - len(self.kept)
        shown = text if len(text) <= room else text[: text.rfind("\n", 0, max(room, 0)) + 1]  # whole lines
        self.kept += shown
        return shown

    def _count(self, line: str) -> None:
        if len(line) > _LONGEST_PARSED:
            return
        warning = _WARNING.match(line)
        if warning:
            self.warnings[f"{warning['category']}: {warning['message'].strip()}"] += 1
            return
        logged = _LOGGED.match(line)
        if logged:
            self.logged[f"{logged['level']}:{logged['logger']}: {logged['message'].strip()}"] += 1

    def finish(self) -> None:
        """Count the last line when the stream did not end with a newline."""
        if self._partial:
            self._count(self._partial)
            self._partial = ""

    def summary(self) -> str:
        """"12,345 warnings, 3 distinct: UserWarning: … (×4,115); …", then logged records and the size."""
        self.finish()
        parts = []
        if self.warnings:
            parts.append(_counted("warning", self.warnings))
        if self.logged:
            parts.append(_counted("logged record", self.logged))
        if self.characters > STDERR_KEPT:
            parts.append(f"{self.characters:,} characters on stderr (the first {len(self.kept):,} kept)")
        return "; ".join(parts)


def _counted(what: str, counts: Counter[str]) -> str:
    """"N whats, K distinct: the most common, each with its count"."""
    total = sum(counts.values())
    shown = ", ".join(f"{text[:200]} (×{n:,})" for text, n in counts.most_common(DISTINCT_SHOWN))
    more = f", and {len(counts) - DISTINCT_SHOWN:,} more" if len(counts) > DISTINCT_SHOWN else ""
    plural = "s" if total != 1 else ""
    return f"{total:,} {what}{plural}, {len(counts):,} distinct: {shown}{more}"
