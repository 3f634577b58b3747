"""What a classifier's outputs mean: the one rule that turns them into class labels.

Specs (through `grader.spec`), the figures and the integrity records all read outputs this way, so an
accuracy, a confusion matrix and a decision boundary always agree on which class a point got.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


def class_labels(outputs: np.ndarray, probabilities: bool = False) -> np.ndarray:
    """Class labels from a classifier's outputs, the one rule every accuracy check uses.

    One column (or a 1-D output): a binary classifier's logit cut at 0, or its probability at 0.5
    (`probabilities`). Several columns: class scores (logits or probabilities), so the argmax;
    this covers a binary classifier with two class scores and a model with spare outputs.
    """
    flat = outputs.reshape(len(outputs), -1)
    labels: np.ndarray
    if flat.shape[1] == 1:
        labels = (flat[:, 0] > (0.5 if probabilities else 0.0)).astype(np.int64)
    else:
        labels = flat.argmax(axis=1).astype(np.int64)
    return labels


def class_scores(outputs: np.ndarray) -> int:
    """How many columns of scores a model's outputs (N, C) or (N,) carry."""
    return 1 if outputs.ndim == 1 else int(np.prod(outputs.shape[1:]))


# What a model's outputs are, judged on probe inputs: each kind pairs with the losses that train it.
LOGITS = "logits"  # one raw logit per point (a binary classifier without a final sigmoid)
PROBABILITIES = "probabilities"  # a sigmoid's one probability per point, or a softmax's rows summing to 1
LOG_PROBABILITIES = "log-probabilities"  # a log_softmax's rows, whose logsumexp is 0
SCORES = "scores"  # K >= 2 raw class scores (the logits of a softmax the loss applies)
# A row sums to 1 (softmax) or logsumexps to 0 (log_softmax) within float32 rounding over a few classes.
ROW_TOLERANCE = 1e-3
# ATen operators that end a classifier in probabilities or log-probabilities (named in the messages).
SQUASHING_OPS = frozenset({"sigmoid", "sigmoid_", "softmax", "_softmax", "log_softmax", "_log_softmax"})
# (kind, one column?) -> the losses that train it. CrossEntropyLoss applies log_softmax, which leaves
# log-probabilities unchanged (log_softmax is idempotent), so it fits them as well as raw scores.
PAIRED_LOSSES = {
    (LOGITS, True): frozenset({"BCEWithLogitsLoss"}),
    (PROBABILITIES, True): frozenset({"BCELoss"}),
    (SCORES, False): frozenset({"CrossEntropyLoss"}),
    (LOG_PROBABILITIES, False): frozenset({"NLLLoss", "CrossEntropyLoss"}),
    (PROBABILITIES, False): frozenset(),
}
CLASSIFICATION_LOSSES = frozenset({"BCEWithLogitsLoss", "BCELoss", "CrossEntropyLoss", "NLLLoss"})


@dataclass(frozen=True)
class OutputKind:
    """What a classifier's outputs on probe inputs are: `kind` (LOGITS, PROBABILITIES, LOG_PROBABILITIES or
    SCORES), how many columns, the evidence in words, and the squashing operators its forward dispatched."""

    kind: str
    columns: int
    evidence: str
    squashing: tuple[str, ...] = ()

    @property
    def sigmoid(self) -> bool:
        """Whether the forward pass dispatched a sigmoid (the usual way to one probability)."""
        return bool({"sigmoid", "sigmoid_"} & set(self.squashing))


def output_kind(outputs: np.ndarray, ops: Iterable[str] = ()) -> OutputKind:
    """The kind of a classifier's `outputs` (N, C) or (N,) on wide-range probe inputs.

    The values decide: one column all in [0, 1] is a probability (a sigmoid saturates to exactly 0 or 1
    in float32), else a logit; rows of K >= 2 columns in [0, 1] that sum to 1 are probabilities (a
    softmax), rows that logsumexp to 0 log-probabilities (a log_softmax), anything else raw class scores.
    `ops`, the ATen operators the forward pass dispatched (`Probe.forward_ops`), only name the layer that
    made them: an operator set has no order, and a sigmoid between hidden layers still leaves raw logits.
    Probe with inputs well beyond the training data's range, so that raw logits leave [0, 1].
    """
    flat = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
    columns = int(flat.shape[1])
    squashing = tuple(sorted(set(ops) & SQUASHING_OPS))
    if columns == 1:
        if flat.min() >= 0.0 and flat.max() <= 1.0:
            return OutputKind(PROBABILITIES, 1, f"all {len(flat)} outputs lie in [0, 1]", squashing)
        return OutputKind(LOGITS, 1, f"outputs from {flat.min():.3g} to {flat.max():.3g}", squashing)
    if flat.min() >= 0.0 and np.abs(flat.sum(axis=1) - 1.0).max() < ROW_TOLERANCE:
        return OutputKind(PROBABILITIES, columns, f"every row of {columns} outputs sums to 1", squashing)
    peak = flat.max(axis=1, keepdims=True)
    logsumexp = peak[:, 0] + np.log(np.exp(flat - peak).sum(axis=1))
    if np.abs(logsumexp).max() < ROW_TOLERANCE:
        return OutputKind(LOG_PROBABILITIES, columns, f"every row of {columns} outputs logsumexps to 0", squashing)
    return OutputKind(SCORES, columns, "rows neither sum to 1 nor logsumexp to 0", squashing)


def loss_mismatch(loss: str, output: OutputKind) -> str | None:
    """Why the loss class `loss` cannot train a model with these outputs, naming the fix; None when they pair.

    Logits pair with BCEWithLogitsLoss and probabilities with BCELoss (one output per point), class
    scores with CrossEntropyLoss, log-probabilities with NLLLoss (or CrossEntropyLoss). A loss outside
    these four (MSELoss) is left to the check that asks for a cross-entropy.
    """
    if loss not in CLASSIFICATION_LOSSES or loss in PAIRED_LOSSES[(output.kind, output.columns == 1)]:
        return None
    if output.columns == 1:
        return _one_column_mismatch(loss, output)
    return _class_scores_mismatch(loss, output)


def _one_column_mismatch(loss: str, output: OutputKind) -> str:
    """The fix for `loss` on a model with one output per point (a logit or a probability)."""
    if output.kind == PROBABILITIES:
        made = "already applies a sigmoid" if output.sigmoid else f"already outputs probabilities ({output.evidence})"
        if loss == "BCEWithLogitsLoss":
            return (f"your model {made}; use nn.BCELoss or remove the Sigmoid "
                    "(nn.BCEWithLogitsLoss applies a sigmoid of its own, and the two keep the model at chance)")
        return f"your model {made} and gives one output per point; use nn.BCELoss, not nn.{loss}"
    if loss == "BCELoss":
        return (f"your model outputs raw logits ({output.evidence}) but nn.BCELoss needs probabilities; "
                "use nn.BCEWithLogitsLoss or end the model in a Sigmoid")
    return (f"your model gives one output per point, but nn.{loss} needs one score per class; "
            "use nn.BCEWithLogitsLoss, or give the model one output per class")


def _class_scores_mismatch(loss: str, output: OutputKind) -> str:
    """The fix for `loss` on a model with K >= 2 outputs per point (class scores of some kind)."""
    if loss in {"BCEWithLogitsLoss", "BCELoss"}:
        return (f"your model gives {output.columns} class scores per point, but nn.{loss} takes one output "
                "per point; use nn.CrossEntropyLoss, or give the model one output")
    if output.kind == PROBABILITIES and loss == "CrossEntropyLoss":
        return (f"your model already applies a softmax ({output.evidence}) and nn.CrossEntropyLoss applies "
                "its own log_softmax; remove the Softmax (or end the model in log_softmax)")
    if output.kind == PROBABILITIES:
        return (f"your model applies a softmax ({output.evidence}) but nn.NLLLoss needs log-probabilities; "
                "use log_softmax instead, or remove the Softmax and use nn.CrossEntropyLoss")
    return (f"your model outputs raw class scores ({output.evidence}) but nn.NLLLoss needs log-probabilities; "
            "use nn.CrossEntropyLoss or end the model in log_softmax")
