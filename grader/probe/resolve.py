"""Resolution: which of the student's objects a spec's role ("the moons model") refers to.

Real notebooks reuse names (`model`, `loss_fn`, `optimizer` bound again in the
next exercise), train two models side by side, lose their tags. So a role is
resolved **as of its exercise's section**, not from the notebook's final state:

1. *Sections.* Each exercise starts at its first tagged cell; where tags are
   missing, at its numbered heading ("## 3. …", "Exercise 3", "Ex 3 ·") in the
   markdown. A role's *window* runs from its exercise's start to the start of
   the next exercise that declares a role of the same kind (so the moons loss
   of exercise 3 is looked for before the spirals loss of exercise 7 rebinds
   `loss_fn`), or to the end of the notebook.
2. *Candidates.* The kernel recorded, after each cell, every name bound to an
   object of a kind a spec may ask for and kept the object alive
   (grader/inside/tracking.py). The candidates are the objects the names hold
   when the window ends (an object the student overwrote within the window is
   not one), less those carried in from before the window that an earlier
   role of the same kind already is.
3. *Choice.* The kernel says which candidates fit the role (kind; a module
   run on a batch of zeros of its input, `in_features` or `input_shape` of
   any rank, must give outputs under the role's contract; shape) and, for modules, the
   evidence of training. Among those that fit: a module an optimizer stepped
   or whose parameters changed, then a type the role names, then a binding in
   the exercise's tagged cells, then the last one the window's cells use (by
   name, or for a model by calling it), then a name the assignment asks for,
   then the last one bound.
4. *Functions by meaning.* A function role's candidate fits only when a trial
   call on the role's input returns a tensor; one of no arguments over a single
   global tensor is called with that global bound to the input (in a copy of its
   globals); a plotting helper never wins over a function that fits. Where no
   function fits, an inline expression of the exercise's cells on one tensor
   (grader/probe/expressions.py) is re-evaluated as a function of that tensor;
   where nothing fits, the named function is still graded, so that the checks
   say why it fails.

The object is then graded in its final state (a model trained further later is
graded as trained): probes address it by handle ("@n"), not by name. Every
resolution records the name, the cell, why, and what was passed over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from grader.core.assignment import Assignment, ObjectSpec
from grader.core.results import CellResult, Resolution
from grader.probe.expressions import inline_expressions
from grader.probe.figure_requests import ObjectNotFound
from grader.probe.resolution_words import Binding, Candidate, chosen_detail, not_found, passed_over
from grader.probe.sections import exercise_starts

_WORD = re.compile(r"\w+")

# which families of tracked objects (grader/inside/tracking.py `_kind`) may play a role of each kind
_FAMILIES = {
    "module": {"module"},
    "loss": {"module", "function"},
    "optimizer": {"optimizer"},
    "function": {"function"},
    "tensor": {"tensor"},
    "value": {"value", "tensor", "module", "function", "optimizer"},  # only ever by name: any object
}

# names of functions that draw or show rather than compute: they never win over one that computes
_PLOTTING = re.compile(r"(plot|show|visuali|draw|display)", re.IGNORECASE)

Ask = Callable[..., Any]


class Resolver:
    """Resolves roles to kept objects of one executed submission (asks the kernel through `ask`)."""

    def __init__(
        self, ask: Ask, assignment: Assignment, cells: list[CellResult], starts: Mapping[str, int] | None = None
    ) -> None:
        self.ask = ask
        self.assignment = assignment
        self.cells = cells
        self.starts = dict(starts) if starts is not None else exercise_starts(None, assignment, cells)
        self.resolutions: dict[str, Resolution] = {}
        self._bindings: list[Binding] | None = None
        self._kinds: dict[str, str | None] = {}  # handle -> the family the kernel filed the object under
        self._rebound: dict[str, list[tuple[int, int]]] | None = None  # name -> (order, cell) of each binding
        self._words: dict[int, set[str]] = {}  # cell index -> the words of its source
        self.device_notes: list[str] = []

    def resolve(self, key: str) -> Resolution:
        """The resolution of role `key` (made once); raise ObjectNotFound when nothing fits."""
        if key not in self.resolutions:
            self.resolutions[key] = self._resolve(self._spec(key))
        resolution = self.resolutions[key]
        if not resolution.found:
            raise ObjectNotFound(resolution.detail)
        return resolution

    def _spec(self, key: str) -> ObjectSpec:
        try:
            return self.assignment.objects[key]
        except KeyError:
            raise KeyError(f"spec asks for object {key!r}, not declared in assignment.toml") from None

    # ------------------------------------------------------------ the recorded bindings

    def bindings(self) -> list[Binding]:
        """Every binding the kernel recorded, in execution order, placed at its cell."""
        if self._bindings is None:
            answer = self.ask("snapshots")
            self.device_notes = [str(note) for note in answer.get("devices", [])]
            cell_of = {cell.execution_count: cell.index for cell in self.cells if cell.execution_count is not None}
            self._kinds = dict(answer.get("kinds", {}))
            recorded = [
                (cell_of[count], name, handle)
                for count, names in answer.get("cells", [])
                if count in cell_of
                for name, handle in names
            ]
            self._bindings = [
                Binding(str(name), str(handle), cell, order) for order, (cell, name, handle) in enumerate(recorded)
            ]
        return self._bindings

    def window(self, spec: ObjectSpec) -> tuple[int, int]:
        """[first, end) cell indices where role `spec` is looked for."""
        order = [exercise.id for exercise in self.assignment.exercises]
        position = order.index(spec.exercise) if spec.exercise in order else -1
        first = 0
        for exercise in reversed(order[: position + 1]):  # a missing start: the previous exercise's
            if exercise in self.starts:
                first = self.starts[exercise]
                break
        later_same_kind = {o.exercise for o in self.assignment.objects.values() if o.kind == spec.kind}
        end = 1 << 30
        for exercise in order[position + 1 :]:
            if exercise in later_same_kind and exercise in self.starts:
                end = self.starts[exercise]
                break
        return first, end

    # ------------------------------------------------------------ choosing

    def _resolve(self, spec: ObjectSpec) -> Resolution:
        first, end = self.window(spec)
        candidates = self._candidates(spec, first, end)
        if not candidates and spec.kind != "function":  # a function role may still be an inline expression
            return not_found(self.assignment, self.starts, spec, [], first, end)
        model = self._model_handle(spec)
        handles = [c.binding.handle for c in candidates]
        answers = self.ask("assess", spec=spec.to_probe(), handles=handles, model=model) if handles else {}
        for candidate in candidates:
            candidate.answer = answers.get(candidate.binding.handle, {"misfit": "no answer"})
            candidate.last_use = max(candidate.last_use, self._last_call(candidate, first, end))
        usable = [c for c in candidates if c.answer.get("misfit") is None and self._acceptable(spec, c)]
        fitting = [c for c in usable if c.answer.get("trial") is None]
        if not fitting and spec.kind == "function":
            expression = self._inline_expression(spec, candidates)
            if expression is not None:
                return expression
            # nothing computes on the role's input: the function the name points to, so that the checks
            # say what goes wrong when it is called (it raised, it returned an array)
            fitting = usable
        if not fitting:
            return not_found(self.assignment, self.starts, spec, candidates, first, end)
        fitting.sort(key=lambda c: self._preference(spec, c), reverse=True)
        chosen = fitting[0]
        if spec.exercise not in self.starts and not chosen.tagged and chosen.binding.name not in spec.names:
            # no section to look in: of several same-shaped objects, the later ones go to the later exercises
            chosen = fitting[min(self._fallback_rank(spec), len(fitting) - 1)]
        return Resolution(
            object=spec.key,
            found=chosen.binding.name,
            how=self._how(spec, chosen),
            detail=chosen_detail(self.assignment, self.starts, spec, chosen, [c for c in candidates if c is not chosen]),
            handle=str((chosen.answer.get("adapted") or {}).get("handle") or chosen.binding.handle),
            cell=chosen.binding.cell,
        )

    # ------------------------------------------------------------ functions by meaning

    def _inline_expression(self, spec: ObjectSpec, functions: list[Candidate]) -> Resolution | None:
        """A statement of the exercise's own cells computing on one tensor that fits the role, as a
        function of that tensor (the last one, preferring one assigned to a name with the role's hint)."""
        found = inline_expressions(self._exercise_cells(spec), self._held_tensor)
        if not found:
            return None
        answers = self.ask(
            "assess_expressions", spec=spec.to_probe(), expressions=[[e.text, e.variable, e.statement] for e in found]
        )
        hint = spec.name_hint.lower()
        fitting = [
            (bool(hint) and hint in expression.target.lower(), position, expression, str(answer["handle"]))
            for position, (expression, answer) in enumerate(zip(found, answers))
            if answer.get("handle") and answer.get("trial") is None
        ]
        if not fitting:
            return None
        _, _, chosen, handle = max(fitting, key=lambda entry: entry[:2])
        tagged = any(cell.index == chosen.cell and spec.exercise in cell.tags for cell in self.cells)
        passed = [passed_over(c) for c in functions[:5]]
        title = self.assignment.exercise_title(spec.exercise)
        where = f"in the section of {title}" if spec.exercise in self.starts else f"in a cell tagged {spec.exercise}"
        detail = (
            f"the expression `{chosen.text}` in cell {chosen.cell} ({where}), re-evaluated with the tensor "
            f"`{chosen.variable}` bound to the input: no function there takes the input"
        )
        return Resolution(
            object=spec.key,
            found=chosen.target or chosen.text,
            how="tag" if tagged else "fallback",
            detail=detail + (f"; passed over {'; '.join(passed)}" if passed else ""),
            handle=handle,
            cell=chosen.cell,
        )

    def _exercise_cells(self, spec: ObjectSpec) -> list[CellResult]:
        """The exercise's own cells: its section up to the next exercise's start, or its tagged cells
        when its section was not found."""
        if spec.exercise not in self.starts:
            return [cell for cell in self.cells if spec.exercise in cell.tags]
        first = self.starts[spec.exercise]
        end = min((start for start in self.starts.values() if start > first), default=1 << 30)
        return [cell for cell in self.cells if first <= cell.index < end or spec.exercise in cell.tags]

    def _held_tensor(self, name: str, cell: int) -> bool:
        """Whether `name` held a tensor when cell `cell` had run (its latest binding up to that cell)."""
        latest = [b for b in self.bindings() if b.name == name and b.cell <= cell]
        return bool(latest) and self._kinds.get(latest[-1].handle) == "tensor"

    def _fallback_rank(self, spec: ObjectSpec) -> int:
        """How many roles of the same shape belong to later exercises (notebooks are written top to bottom)."""
        order = [exercise.id for exercise in self.assignment.exercises]

        def position(exercise: str) -> int:
            return order.index(exercise) if exercise in order else len(order)

        return sum(
            1
            for other in self.assignment.objects.values()
            if other.key != spec.key
            and other.fallback_signature() == spec.fallback_signature()
            and position(other.exercise) > position(spec.exercise)
        )

    def _candidates(self, spec: ObjectSpec, first: int, end: int) -> list[Candidate]:
        families = _FAMILIES[spec.kind]
        live_at_end: dict[str, Binding] = {}  # what each name is bound to when the window ends
        for binding in self.bindings():
            if binding.cell < end and self._kinds.get(binding.handle) in families:
                live_at_end[binding.name] = binding
            elif binding.cell < end:
                live_at_end.pop(binding.name, None)  # rebound to something of another kind
        claimed = self._claimed_before(spec)
        pool = [b for b in live_at_end.values() if b.cell >= first or b.handle not in claimed]
        pool.sort(key=lambda b: b.order)
        seen: set[str] = set()
        candidates = []
        for binding in reversed(pool):  # the latest binding of an object stands for it
            if binding.handle in seen:
                continue
            seen.add(binding.handle)
            if spec.kind in ("value", "function") and not self._may_name(spec, binding):
                continue
            candidates.append(Candidate(binding, self._last_use(binding, first, end), self._tagged(spec, binding), {}))
        return candidates

    def _claimed_before(self, spec: ObjectSpec) -> set[str]:
        """Models and optimizers that roles of the same kind in earlier exercises resolved to: one carried
        over into this role's window from before it is not a candidate when an earlier role is that object."""
        order = [exercise.id for exercise in self.assignment.exercises]
        if spec.exercise not in order or spec.kind not in ("module", "optimizer"):
            return set()  # a loss, function, tensor or value may well serve two exercises
        earlier = set(order[: order.index(spec.exercise)])
        claimed = set()
        for key, other in self.assignment.objects.items():
            if other.kind == spec.kind and other.exercise in earlier:
                try:
                    claimed.add(self.resolve(key).handle)
                except ObjectNotFound:
                    pass
        return claimed

    def _may_name(self, spec: ObjectSpec, binding: Binding) -> bool:
        """Plain values are only recognised by the names asked for or a declared type; functions also by tag or name hint."""
        if binding.name in spec.names:
            return True
        if spec.kind == "function":
            return self._tagged(spec, binding) or bool(spec.name_hint and spec.name_hint.lower() in binding.name.lower())
        return bool(spec.types)  # a value of a declared type (the kernel checks the type)

    def _tagged(self, spec: ObjectSpec, binding: Binding) -> bool:
        return any(cell.index == binding.cell and spec.exercise in cell.tags for cell in self.cells)

    def _last_use(self, binding: Binding, first: int, end: int) -> int:
        """The last cell of the window that mentions the name while it is bound to this object."""
        if self._rebound is None:  # every name's bindings, once: a notebook binds hundreds, each a candidate
            self._rebound = {}
            for b in self.bindings():
                self._rebound.setdefault(b.name, []).append((b.order, b.cell))
        until = min([cell for order, cell in self._rebound.get(binding.name, []) if order > binding.order] + [end])
        mentions = self._mentions(binding.name)
        uses = [cell.index for cell in self.cells if max(first, binding.cell + 1) <= cell.index < until and mentions(cell)]
        return max(uses, default=0)  # the binding itself is no use

    def _mentions(self, name: str) -> Callable[[CellResult], bool]:
        """Whether a cell's source has `name` as a whole word (a name of word characters is looked up in the
        cell's words, made once per cell; any other is searched for)."""
        if _WORD.fullmatch(name):
            def has_word(cell: CellResult) -> bool:
                if cell.index not in self._words:
                    self._words[cell.index] = set(_WORD.findall(cell.source))
                return name in self._words[cell.index]
            return has_word
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        return lambda cell: pattern.search(cell.source) is not None

    def _last_call(self, candidate: Candidate, first: int, end: int) -> int:
        """The last cell of the window that called the module (by object, whatever name the cell used)."""
        counts = set(candidate.answer.get("calls") or [])
        after = max(first, candidate.binding.cell + 1)
        return max((c.index for c in self.cells if c.execution_count in counts and after <= c.index < end), default=0)

    def _model_handle(self, spec: ObjectSpec) -> str:
        if spec.kind != "optimizer" or not spec.for_model:
            return ""
        try:
            return self.resolve(spec.for_model).handle
        except ObjectNotFound:
            return ""

    def _acceptable(self, spec: ObjectSpec, candidate: Candidate) -> bool:
        """Beyond fitting: an object found only by scanning (not tagged, not a name asked for) must be of a
        type the role names, and a function must carry the role's name hint."""
        if candidate.tagged or candidate.binding.name in spec.names:
            return True
        if spec.types and candidate.answer.get("type") not in spec.types:
            return False
        if spec.kind == "function" or (spec.kind == "loss" and self._kinds.get(candidate.binding.handle) == "function"):
            name = str(candidate.answer.get("name", candidate.binding.name))
            return bool(spec.name_hint) and spec.name_hint.lower() in name.lower()
        return True

    def _preference(self, spec: ObjectSpec, candidate: Candidate) -> tuple[Any, ...]:
        training = candidate.answer.get("training") or {}
        trained = bool(training.get("optimizer_steps") or training.get("changed"))
        covers = candidate.answer.get("covers") or [0, 0]
        full_cover = covers[1] > 0 and covers[0] == covers[1]
        type_ok = not spec.types or candidate.answer.get("type") in spec.types
        # a tensor or value bound in the section under a name the role asks for is the one the exercise
        # asked for, even where an older one (the labels it is compared with) is mentioned after it
        named_here = spec.kind in ("tensor", "value") and candidate.binding.name in spec.names and (
            candidate.binding.cell >= self.window(spec)[0]
        )
        name = str(candidate.answer.get("name") or candidate.binding.name)
        return (
            not (spec.kind == "function" and _PLOTTING.match(name)),  # drawing never beats computing
            "adapted" not in candidate.answer,  # a function of the input before one over a global
            trained,
            full_cover,
            type_ok,
            candidate.tagged,
            named_here,
            candidate.last_use,  # the object the section used last is the one the student reported
            candidate.binding.name in spec.names,
            candidate.binding.order,
        )

    def _how(self, spec: ObjectSpec, chosen: Candidate) -> Literal["tag", "name", "fallback"]:
        if chosen.tagged:
            return "tag"
        if chosen.binding.name in spec.names:
            return "name"
        return "fallback"
