"""What a check call shows: one row per public check, as HTML in Jupyter and as text elsewhere.

The HTML is built with `xml.etree.ElementTree`, which escapes every text it is given: a message
quoting the student's code or an exception stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from xml.etree import ElementTree

Outcome = Literal["passed", "failed", "error", "skipped"]
SHOWN = {"passed": "ok", "failed": "to do", "error": "to do", "skipped": "skipped"}
MESSAGE_SHOWN = 300  # characters of a message in the table


@dataclass(frozen=True)
class CheckRow:
    """One public check as it ended at the call."""

    exercise: str
    check: str  # the test function's name
    description: str  # its docstring's first line
    outcome: Outcome
    message: str = ""


@dataclass(frozen=True)
class CheckTable:
    """The result of `check("ex3")` or `check.all()`: the rows, and what the table says above them."""

    assignment: str
    exercises: tuple[str, ...]
    rows: tuple[CheckRow, ...]
    notes: tuple[str, ...] = field(default=())  # e.g. an exercise with no public checks
    found: tuple[str, ...] = field(default=())  # which object each role the checks asked for is, e.g. "layer: `fixed` (In [5])"

    @property
    def passed(self) -> bool:
        """Whether every check ran and passed (an exercise with none passes)."""
        return all(row.outcome == "passed" for row in self.rows)

    def headline(self) -> str:
        """A line such as 'mini ex1: 1 of 1 public checks passed'."""
        done = sum(row.outcome == "passed" for row in self.rows)
        return f"{self.assignment} {', '.join(self.exercises)}: {done} of {len(self.rows)} public checks passed"

    def found_line(self) -> str:
        """The objects the checks looked at: how the grader would find them too."""
        return "found: " + "; ".join(self.found)

    def __str__(self) -> str:
        """The table as aligned text."""
        cells = [("exercise", "check", "result", "message")]
        cells += [(r.exercise, r.description or r.check, SHOWN[r.outcome], _short(r.message)) for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(3)]
        lines = [self.headline(), *self.notes]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3] for row in cells]
        lines += [self.found_line()] if self.found else []
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """The table as an HTML fragment (Jupyter, VS Code and Colab show it in place of the text)."""
        root = ElementTree.Element("div", {"class": "nbgrade-checks"})
        ElementTree.SubElement(root, "p").text = self.headline()
        for note in self.notes:
            ElementTree.SubElement(root, "p").text = note
        table = ElementTree.SubElement(root, "table")
        head = ElementTree.SubElement(table, "tr")
        for title in ("exercise", "check", "result", "message"):
            ElementTree.SubElement(head, "th").text = title
        for row in self.rows:
            line = ElementTree.SubElement(table, "tr", {"class": row.outcome})
            for text in (row.exercise, row.description or row.check, SHOWN[row.outcome], _short(row.message)):
                ElementTree.SubElement(line, "td").text = text
        if self.found:
            ElementTree.SubElement(root, "p").text = self.found_line()
        return ElementTree.tostring(root, encoding="unicode", method="html")


def _short(message: str) -> str:
    """The message on one line, clipped for the table."""
    flat = " ".join(message.split())
    return flat if len(flat) <= MESSAGE_SHOWN else flat[: MESSAGE_SHOWN - 1] + "…"
