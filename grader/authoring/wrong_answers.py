"""Wrong answers made from the reference notebook's source, for `grade calibrate` to run beside it.

Each transform rewrites the code cells of the reference (its solution regions kept) and returns the
notebook, or None when the reference has nothing it applies to:

* `linear`: every activation layer and function becomes the identity (`nn.ReLU(` -> `nn.Identity(`,
  `F.relu(` -> `torch.nn.Identity()(`); output layers that make probabilities (Sigmoid, Softmax) stay.
* `no_training`: every call `<name>.step(...)` (optimizers, and schedulers with them) becomes `None`,
  so no parameter is ever updated.
* `replace_layer` (with `layer`, a class name such as "Conv2d"): every construction of that layer
  (`nn.Conv2d(…)`, `torch.nn.Conv2d(…)`, a bare `Conv2d(…)`) is wrapped in a stand-in that calls the
  layer on zeros shaped like its input: the output has the layer's shape (so the rest of the network
  runs unchanged) and holds its bias only, nothing of the input.
* `train_on_test` (with `train` and `test`, the variables of each split in the same order): right after
  the first code cell after which every one of those names has been assigned (a `name = …`, a tuple
  unpacking such as `X_train, X_test, y_train, y_test = train_test_split(…)`, a `for` target or an
  augmented assignment), a cell `X_train, y_train = X_test, y_test` is inserted: whatever trains
  afterwards trains on the notebook's own test split.

Without `[[wrong_answers]]` in assignment.toml calibrate runs `linear` (when it applies) and the blank.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable

import nbformat
from nbformat import NotebookNode

from grader.core.assignment import WrongAnswer

# Activation layers and functions the "linear" wrong answer replaces by the identity. Output layers
# that turn scores into probabilities (Sigmoid, Softmax) stay: the loss the notebook pairs them with needs them.
_ACTIVATION_LAYER = re.compile(r"\bnn\.(ReLU6?|LeakyReLU|Tanh|GELU|ELU|SELU|SiLU|Mish|Softplus|PReLU|Hardtanh)\(")
_ACTIVATION_CALL = re.compile(r"\b(?:torch\.(?:nn\.functional\.)?|F\.)(relu6?|leaky_relu|tanh|gelu|elu|selu|silu|mish|softplus)\(")
_STEP_CALL = re.compile(r"\b[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?\.step\([^()\n]*\)")
_STAND_IN = '''class _GraderStandIn(__import__("torch").nn.Module):
    """grade calibrate's stand-in for a replaced layer: the layer on zeros, so its shape and bias only."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *args, **kwargs):
        return self.layer(__import__("torch").zeros_like(x), *args, **kwargs)


def _grader_stand_in(layer_class, *args, **kwargs):
    return _GraderStandIn(layer_class(*args, **kwargs))
'''


class WrongAnswerError(ValueError):
    """A declared wrong answer cannot be made from this reference notebook."""


def make_wrong_answer(nb: NotebookNode, answer: WrongAnswer) -> NotebookNode | None:
    """The reference `nb` transformed as `answer` declares; None when the transform finds nothing to change."""
    if answer.transform == "linear":
        return linear_variant(nb)
    if answer.transform == "no_training":
        return _rewrite(nb, lambda source: _STEP_CALL.sub("None", source))
    if answer.transform == "replace_layer":
        return replace_layer(nb, answer.layer)
    if answer.transform == "train_on_test":
        return train_on_test(nb, answer.train, answer.test)
    raise WrongAnswerError(f"unknown transform {answer.transform!r} for the wrong answer {answer.name!r}")


def linear_variant(nb: NotebookNode) -> NotebookNode | None:
    """`nb` with every activation layer and function replaced by the identity; None when it has none."""
    return _rewrite(nb, lambda source: _ACTIVATION_CALL.sub("torch.nn.Identity()(", _ACTIVATION_LAYER.sub("nn.Identity(", source)))


def replace_layer(nb: NotebookNode, layer: str) -> NotebookNode | None:
    """`nb` with every `layer` it constructs replaced by the stand-in (the layer on zeros); None when it makes none."""
    construction = re.compile(rf"(?<![\w.])((?:torch\.)?(?:nn\.)?{re.escape(layer)})\(")
    variant = _rewrite(nb, lambda source: construction.sub(r"_grader_stand_in(\1, ", source))
    if variant is None:
        return None
    first = next(cell for cell in variant.cells if cell.cell_type == "code" and "_grader_stand_in(" in cell.source)
    first.source = _STAND_IN + "\n\n" + first.source
    return variant


def train_on_test(nb: NotebookNode, train: tuple[str, ...], test: tuple[str, ...]) -> NotebookNode:
    """`nb` with the training split's variables rebound to the test split's, right after both are made."""
    variant = _copy(nb)
    wanted, bound = set(train) | set(test), set()
    for position, cell in enumerate(variant.cells):
        if cell.cell_type != "code":
            continue
        bound |= _assigned_names(cell.source) & wanted
        if bound == wanted:
            swap = f"{', '.join(train)}{',' if len(train) == 1 else ''} = {', '.join(test)}{',' if len(test) == 1 else ''}"
            variant.cells.insert(position + 1, nbformat.v4.new_code_cell(swap))
            return variant
    missing = ", ".join(sorted(wanted - bound))
    raise WrongAnswerError(f"train_on_test: the reference notebook never assigns {missing}; name the variables of its splits")


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    targets: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets += node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.NamedExpr):
            targets.append(node.target)
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _rewrite(nb: NotebookNode, change: Callable[[str], str]) -> NotebookNode | None:
    """A copy of `nb` with `change` applied to every code cell's source; None when no cell changed."""
    variant = _copy(nb)
    changed = False
    for cell in variant.cells:
        if cell.cell_type == "code":
            source = change(cell.source)
            changed |= source != cell.source
            cell.source = source
    return variant if changed else None


def _copy(nb: NotebookNode) -> NotebookNode:
    copied: NotebookNode = nbformat.from_dict(json.loads(json.dumps(nb)))
    return copied
