"""What resolution tells the report: the candidates it weighed, and its sentences about them.

grader/probe/resolve.py chooses; this module holds the data it chooses among (`Binding`,
`Candidate`) and turns a choice, or its absence, into the words a TA reads in the report's
"how each object was found": which object, where, why, and what was passed over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.core.assignment import Assignment, ObjectSpec
from grader.core.results import Resolution

_KIND_WORDS = {
    "module": "nn.Module",
    "function": "function",
    "tensor": "tensor",
    "loss": "loss function",
    "optimizer": "optimizer",
    "value": "value",
}


@dataclass(frozen=True)
class Binding:
    """A name bound to a kept object by one executed cell."""

    name: str
    handle: str  # "@n": the kernel keeps the object under this handle
    cell: int  # 1-based index of the cell among all cells
    order: int  # position in the notebook's sequence of bindings


@dataclass
class Candidate:
    binding: Binding
    last_use: int  # the last cell of the window after the binding that uses the object (0: none)
    tagged: bool  # bound in a cell tagged with the role's exercise
    answer: dict[str, Any]  # the kernel's assessment


def chosen_detail(
    assignment: Assignment, starts: Mapping[str, int], spec: ObjectSpec, chosen: Candidate, others: list[Candidate]
) -> str:
    """Which object was chosen for the role, where, why, and what was passed over."""
    where = (
        f"an optimizer with no name (made inside a function), first stepped in cell {chosen.binding.cell},"
        if chosen.binding.name.startswith("<")
        else f"`{chosen.binding.name}` as bound in cell {chosen.binding.cell}"
    )
    title = assignment.exercise_title(spec.exercise)
    section = f"in the section of {title}" if spec.exercise in starts else "(its section was not found: searched the whole notebook)"
    why = []
    training = chosen.answer.get("training")
    if training is not None:
        steps = int(training.get("optimizer_steps", 0))
        why.append(
            f"trained ({steps} optimizer steps)" if steps else "its parameters changed" if training.get("changed")
            else "no evidence of training"
        )
    adapted = chosen.answer.get("adapted")
    if adapted:
        why.append(f"takes no argument: called with its global tensor `{adapted['global']}` bound to the input")
    if chosen.answer.get("trial"):
        why.append(f"it does not fit the role's input ({chosen.answer['trial']})")
    if chosen.tagged:
        why.append(f"bound in a cell tagged {spec.exercise}")
    elif chosen.binding.name in spec.names:
        why.append("a name the assignment asks for")
    passed = [passed_over(c) for c in others[:5]]
    text = f"{where} {section}" + (f": {', '.join(why)}" if why else "")
    return text + (f"; passed over {'; '.join(passed)}" if passed else "")


def passed_over(candidate: Candidate) -> str:
    """Why a candidate lost, in a few words."""
    misfit = candidate.answer.get("misfit") or candidate.answer.get("trial")
    training = candidate.answer.get("training")
    if misfit:
        reason = str(misfit)
    elif training is not None and not (training.get("optimizer_steps") or training.get("changed")):
        reason = "never trained"
    else:
        reason = "ranked lower"
    return f"`{candidate.binding.name}` (cell {candidate.binding.cell}): {reason}"


def not_found(
    assignment: Assignment, starts: Mapping[str, int], spec: ObjectSpec, candidates: list[Candidate], first: int, end: int
) -> Resolution:
    """The resolution of a role nothing plays: what was looked for, where, and what was rejected."""
    what = _KIND_WORDS[spec.kind]
    if spec.kind == "module" and spec.input_shape is not None:
        what += f" taking inputs of shape ({', '.join(map(str, spec.input_shape))})"
    elif spec.kind == "module" and spec.in_features is not None:
        what += f" with {spec.in_features} inputs"
    if spec.kind == "module" and (spec.input_shape or spec.in_features) and spec.out_features is not None:
        what += f" and {spec.out_features} outputs"
    where = (
        f"in the section of {assignment.exercise_title(spec.exercise)} (cells {first}–{end - 1 if end < 1 << 30 else 'end'})"
        if spec.exercise in starts
        else "in the notebook"
    )
    looked = ", ".join(f"`{n}`" for n in spec.names) or "none"
    message = f"no {what} found for {spec.key} {where} (names asked for: {looked})"
    rejected = "; ".join(passed_over(c) for c in candidates[:5])
    return Resolution(object=spec.key, found="", how="not-found", detail=message + (f"; rejected {rejected}" if rejected else ""))
