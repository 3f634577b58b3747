"""Build the "classification-exercises" notebooks: reference solution, student copy, demo submissions.

Run from anywhere:  python scripts/build_classification_notebooks.py

Everything is written from the cell list below, with fixed cell ids, no outputs and
no execution counts, so running the script twice gives byte-identical files.

* solutions/classification-exercises/classification-exercises.ipynb  the reference solution
* assignments/classification-exercises.ipynb                          the student notebook
* submissions/<student>/classification-exercises.ipynb                demo submissions

The student notebook is the solution with every `### BEGIN SOLUTION` ... `### END SOLUTION`
region replaced by a placeholder. Each demo submission is the solution (or the student
notebook) with a few explicit source edits; an edit whose target text is missing fails.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path

from nbformat import NotebookNode

from notebook_building import (
    CellSpec,
    MakeSubmission,
    build_assignment,
    build_notebook,
    cell_by_id,
    clean_solution,
    code,
    exercise_tags,
    md,
    rename_identifier,
    replace_once,
)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "classification-exercises"


# --------------------------------------------------------------------------- the notebook

INTRO = [
    md(
        "title",
        """
        # Classification exercises: two moons and three spirals

        You will train two small PyTorch classifiers: a binary one on the two-moons data and a
        three-class one on the CS231n spirals, then look at where each draws its decision boundary.
        On the way you will write the hyperbolic tangent yourself.

        **How this notebook is graded**

        * Fill in every code cell tagged `ex1` ... `ex7` that contains `# YOUR CODE HERE`
          (delete the `raise NotImplementedError()` line when you do).
        * Cells tagged `locked` are given: run them, but do not change them.
        * Keep the variable names each exercise asks for (`moons_model`, `loss_fn`, `tanh`, ...).
          The grader can usually find renamed objects, but the given names make it certain.
        * Send models and data to `device`, so the notebook runs with or without a GPU.
        * Before you submit, restart the kernel and run all cells from the top.
        """,
    ),
    code(
        "setup",
        """
        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        from sklearn.datasets import make_moons
        from sklearn.model_selection import train_test_split
        from torch import nn

        device = "cuda" if torch.cuda.is_available() else "cpu"
        print(f"Using device: {device}")
        """,
    ),
]

EX1 = [
    md(
        "ex1-task",
        """
        ## Exercise 1: the two-moons data (given)

        The cell below draws 1000 points from scikit-learn's `make_moons` (noise 0.07, seed 42),
        turns them into `float32` tensors and keeps 80 % for training and 20 % for testing:
        `X_train`, `X_test`, `y_train`, `y_test`. Run it and read it; it is locked.
        """,
        "ex1",
    ),
    code(
        "ex1-data",
        """
        X_moons, y_moons = make_moons(n_samples=1000, noise=0.07, random_state=42)
        X = torch.from_numpy(X_moons).type(torch.float32)
        y = torch.from_numpy(y_moons).type(torch.float32)

        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
        X_train, X_test = X_train.to(device), X_test.to(device)
        y_train, y_test = y_train.to(device), y_test.to(device)
        print(X_train.shape, X_test.shape, y_train.shape, y_test.shape)
        """,
        "ex1",
        "locked",
    ),
]

EX2 = [
    md(
        "ex2-task",
        """
        ## Exercise 2: a model for the moons

        Write a subclass of `nn.Module` that maps the 2 input features of a point to a single
        logit, with non-linear activations between its layers (a straight line cannot separate
        the moons). Create one instance, named `moons_model`, on `device`.
        """,
        "ex2",
    ),
    code(
        "ex2-model",
        """
        torch.manual_seed(42)  # the same starting weights on every run

        ### BEGIN SOLUTION
        class MoonsModel(nn.Module):
            \"\"\"2 features -> 32 -> 32 -> 1 logit, with ReLU between the layers.\"\"\"

            # 32 units, not 16: with 16, about 1 training seed in 30 leaves ReLUs dead and the
            # model stuck near 90 % (measured with grade calibrate)
            def __init__(self, hidden_units: int = 32):
                super().__init__()
                self.hidden1 = nn.Linear(2, hidden_units)
                self.hidden2 = nn.Linear(hidden_units, hidden_units)
                self.output = nn.Linear(hidden_units, 1)
                self.relu = nn.ReLU()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                # logit = W3 relu(W2 relu(W1 x + b1) + b2) + b3
                x = self.relu(self.hidden1(x))
                x = self.relu(self.hidden2(x))
                return self.output(x)


        moons_model = MoonsModel().to(device)
        moons_model
        ### END SOLUTION
        """,
        "ex2",
    ),
]

EX3 = [
    md(
        "ex3-task",
        """
        ## Exercise 3: loss function and optimizer

        Pick a loss function for binary classification that takes raw logits, and name it
        `loss_fn`. Create an optimizer for the parameters of `moons_model`, named `optimizer`.
        """,
        "ex3",
    ),
    code(
        "ex3-loss-optimizer",
        """
        ### BEGIN SOLUTION
        # BCEWithLogitsLoss applies the sigmoid itself, in a numerically stable way:
        # loss = -mean(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))
        loss_fn = nn.BCEWithLogitsLoss()
        optimizer = torch.optim.Adam(moons_model.parameters(), lr=0.01)
        ### END SOLUTION
        """,
        "ex3",
    ),
]

EX4 = [
    md(
        "ex4-task",
        """
        ## Exercise 4: train and test

        * First look at what the untrained model returns for a few test points: logits, then
          probabilities (sigmoid), then labels (rounding).
        * Write an accuracy function that returns the percentage of correct predictions.
        * Write a full-batch training loop that also evaluates on the test set, and print the
          epoch, the train loss and accuracy and the test loss and accuracy every 10 epochs.
        * Train until the test accuracy is well above 96 %.
        """,
        "ex4",
    ),
    code(
        "ex4-peek",
        """
        ### BEGIN SOLUTION
        # logits --sigmoid--> probabilities --round--> labels
        with torch.inference_mode():
            peek_logits = moons_model(X_test[:5]).squeeze(1)
        print("logits:       ", peek_logits)
        print("probabilities:", torch.sigmoid(peek_logits))
        print("labels:       ", torch.round(torch.sigmoid(peek_logits)))
        ### END SOLUTION
        """,
        "ex4",
    ),
    code(
        "ex4-accuracy",
        """
        def accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
            \"\"\"Percentage of predicted labels equal to the true labels.\"\"\"
            ### BEGIN SOLUTION
            # accuracy = 100 * (number correct) / (number of examples)
            return (y_true == y_pred).float().mean().item() * 100
            ### END SOLUTION
        """,
        "ex4",
    ),
    code(
        "ex4-train",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        epochs = 300
        for epoch in range(1, epochs + 1):
            # one gradient step on the whole training set
            moons_model.train()
            train_logits = moons_model(X_train).squeeze(1)
            loss = loss_fn(train_logits, y_train)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            # evaluate without tracking gradients
            moons_model.eval()
            with torch.inference_mode():
                test_logits = moons_model(X_test).squeeze(1)
                test_loss = loss_fn(test_logits, y_test)

            # a logit above 0 means sigmoid(logit) > 0.5, i.e. class 1
            if epoch % 10 == 0:
                acc = accuracy(y_train, (train_logits > 0).float())
                test_acc = accuracy(y_test, (test_logits > 0).float())
                print(
                    f"Epoch: {epoch} | loss {loss.item():.4f}, acc {acc:.2f}% "
                    f"| test loss {test_loss.item():.4f}, test acc {test_acc:.2f}%"
                )
        ### END SOLUTION
        """,
        "ex4",
    ),
]

EX5 = [
    md(
        "ex5-task",
        """
        ## Exercise 5: decision boundaries

        Complete `plot_decision_boundary(model, X, y)`: colour a grid covering the points by the
        class the model predicts there, then scatter the points on top, coloured by their label.
        It should handle a single logit (binary) and several logits (multi-class).
        Then plot the boundary of `moons_model` on the training set and on the test set, side by side.
        """,
        "ex5",
    ),
    code(
        "ex5-plot-helper",
        """
        def plot_decision_boundary(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> None:
            \"\"\"Shade the plane by the model's predicted class and scatter the labelled points.\"\"\"
            ### BEGIN SOLUTION
            X, y = X.cpu(), y.cpu()
            x0 = np.linspace(X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1, 201)
            x1 = np.linspace(X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1, 201)
            grid0, grid1 = np.meshgrid(x0, x1)
            grid = torch.from_numpy(np.column_stack([grid0.ravel(), grid1.ravel()])).float()

            model.eval()
            with torch.inference_mode():
                logits = model(grid.to(next(model.parameters()).device)).cpu()

            # one logit: class 1 where it is positive; several logits: the largest one wins
            if logits.shape[1] == 1:
                predicted = (logits[:, 0] > 0).long()
            else:
                predicted = logits.argmax(dim=1)

            plt.contourf(grid0, grid1, predicted.reshape(grid0.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.6)
            plt.scatter(X[:, 0], X[:, 1], c=y, s=15, cmap=plt.cm.RdYlBu, edgecolors="k", linewidths=0.3)
            ### END SOLUTION
        """,
        "ex5",
    ),
    code(
        "ex5-plot",
        """
        ### BEGIN SOLUTION
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.title("Moons: train")
        plot_decision_boundary(moons_model, X_train, y_train)
        plt.subplot(1, 2, 2)
        plt.title("Moons: test")
        plot_decision_boundary(moons_model, X_test, y_test)
        plt.show()
        ### END SOLUTION
        """,
        "ex5",
    ),
]

EX6 = [
    md(
        "ex6-task",
        """
        ## Exercise 6: the hyperbolic tangent by hand

        Write `tanh(x)` using only `torch.exp` and arithmetic; calling `torch.tanh`, `x.tanh()`
        or `nn.Tanh` inside it does not count. Then plot your `tanh` and `torch.tanh` on
        `torch.arange(-10, 10, 0.1)`: the two curves should coincide.
        """,
        "ex6",
    ),
    code(
        "ex6-tanh",
        """
        def tanh(x: torch.Tensor) -> torch.Tensor:
            \"\"\"The hyperbolic tangent of every element of x.\"\"\"
            ### BEGIN SOLUTION
            # tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 1 - 2 / (e^(2x) + 1)
            # The second form never computes inf / inf, so large |x| gives +-1, not nan.
            return 1 - 2 / (torch.exp(2 * x) + 1)
            ### END SOLUTION
        """,
        "ex6",
    ),
    code(
        "ex6-plot",
        """
        ### BEGIN SOLUTION
        x_line = torch.arange(-10, 10, 0.1)
        plt.plot(x_line, torch.tanh(x_line), linewidth=5, alpha=0.4, label="torch.tanh")
        plt.plot(x_line, tanh(x_line), "k--", label="our tanh")
        plt.legend()
        plt.show()
        print("largest difference:", (tanh(x_line) - torch.tanh(x_line)).abs().max().item())
        ### END SOLUTION
        """,
        "ex6",
    ),
]

EX7 = [
    md(
        "ex7-task",
        """
        ## Exercise 7: three spirals

        The locked cell below draws the spirals dataset from the CS231n notes on neural networks:
        3 classes of 100 points in the plane, `X_spirals` (300 x 2) and `y_spirals` (300 labels).

        * Turn them into tensors (`float32` features, `int64` labels) and split them 80 / 20 with
          `random_state=42` into `X_spirals_train`, `X_spirals_test`, `y_spirals_train`, `y_spirals_test`.
        * Build `spirals_model`, a non-linear model from 2 features to 3 logits.
        * Use `spirals_loss_fn = nn.CrossEntropyLoss()` and an Adam optimizer, `spirals_optimizer`.
        * Train it, printing progress every 100 epochs, until the test accuracy is above 95 %.
        * Plot its decision boundaries on the training and test sets.
        """,
        "ex7",
    ),
    code(
        "ex7-data",
        """
        # Each class j is an arm: radius r from 0 to 1, angle t from 4j to 4(j + 1) plus noise,
        # and the point (r sin t, r cos t).
        np.random.seed(42)
        N, D, K = 100, 2, 3  # points per class, dimensions, classes
        X_spirals = np.zeros((N * K, D))
        y_spirals = np.zeros(N * K, dtype="uint8")
        for j in range(K):
            rows = slice(N * j, N * (j + 1))
            r = np.linspace(0.0, 1.0, N)
            t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2
            X_spirals[rows] = np.column_stack([r * np.sin(t), r * np.cos(t)])
            y_spirals[rows] = j

        plt.scatter(X_spirals[:, 0], X_spirals[:, 1], c=y_spirals, s=15, cmap=plt.cm.RdYlBu)
        plt.show()
        """,
        "ex7",
        "locked",
    ),
    code(
        "ex7-split",
        """
        ### BEGIN SOLUTION
        X_spirals_all = torch.from_numpy(X_spirals).type(torch.float32)
        y_spirals_all = torch.from_numpy(y_spirals).type(torch.int64)  # CrossEntropyLoss wants int64 labels

        X_spirals_train, X_spirals_test, y_spirals_train, y_spirals_test = train_test_split(
            X_spirals_all, y_spirals_all, test_size=0.2, random_state=42
        )
        X_spirals_train, X_spirals_test = X_spirals_train.to(device), X_spirals_test.to(device)
        y_spirals_train, y_spirals_test = y_spirals_train.to(device), y_spirals_test.to(device)
        print(X_spirals_train.shape, X_spirals_test.shape, y_spirals_train.shape, y_spirals_test.shape)
        ### END SOLUTION
        """,
        "ex7",
    ),
    code(
        "ex7-model",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        class SpiralsModel(nn.Module):
            \"\"\"2 features -> 64 -> 64 -> 3 logits, with Tanh between the layers.\"\"\"

            def __init__(self, hidden_units: int = 64):
                super().__init__()
                # a smooth activation bends the boundary along the arms and generalises
                # better here than ReLU's piecewise-straight one
                self.layers = nn.Sequential(
                    nn.Linear(2, hidden_units),
                    nn.Tanh(),
                    nn.Linear(hidden_units, hidden_units),
                    nn.Tanh(),
                    nn.Linear(hidden_units, 3),
                )

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.layers(x)


        spirals_model = SpiralsModel().to(device)
        spirals_model
        ### END SOLUTION
        """,
        "ex7",
    ),
    code(
        "ex7-loss-optimizer",
        """
        ### BEGIN SOLUTION
        # CrossEntropyLoss takes raw logits: loss = -mean(log softmax(z)[true class])
        spirals_loss_fn = nn.CrossEntropyLoss()
        spirals_optimizer = torch.optim.Adam(spirals_model.parameters(), lr=0.01)
        ### END SOLUTION
        """,
        "ex7",
    ),
    code(
        "ex7-train",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        epochs = 1000
        for epoch in range(1, epochs + 1):
            spirals_model.train()
            train_logits = spirals_model(X_spirals_train)
            loss = spirals_loss_fn(train_logits, y_spirals_train)
            spirals_optimizer.zero_grad()
            loss.backward()
            spirals_optimizer.step()

            spirals_model.eval()
            with torch.inference_mode():
                test_logits = spirals_model(X_spirals_test)
                test_loss = spirals_loss_fn(test_logits, y_spirals_test)

            # the predicted class is the index of the largest logit
            if epoch % 100 == 0:
                acc = accuracy(y_spirals_train, train_logits.argmax(dim=1))
                test_acc = accuracy(y_spirals_test, test_logits.argmax(dim=1))
                print(
                    f"Epoch: {epoch} | loss {loss.item():.4f}, acc {acc:.2f}% "
                    f"| test loss {test_loss.item():.4f}, test acc {test_acc:.2f}%"
                )
        ### END SOLUTION
        """,
        "ex7",
    ),
    code(
        "ex7-plot",
        """
        ### BEGIN SOLUTION
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.title("Spirals: train")
        plot_decision_boundary(spirals_model, X_spirals_train, y_spirals_train)
        plt.subplot(1, 2, 2)
        plt.title("Spirals: test")
        plot_decision_boundary(spirals_model, X_spirals_test, y_spirals_test)
        plt.show()
        ### END SOLUTION
        """,
        "ex7",
    ),
]

CELLS: list[CellSpec] = [*INTRO, *EX1, *EX2, *EX3, *EX4, *EX5, *EX6, *EX7]


# --------------------------------------------------------------------------- notebook building


def build_solution(cells: Iterable[CellSpec] = CELLS) -> NotebookNode:
    """The reference notebook, solution markers included."""
    return build_notebook(cells, ASSIGNMENT)


# --------------------------------------------------------------------------- submission edits


def wrong_tanh(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 6 with a sign slip in the denominator: the result is -tanh(x)."""
    nb = clean_solution(solution)
    replace_once(nb, "ex6-tanh", "torch.exp(2 * x) + 1", "torch.exp(-2 * x) + 1")
    return nb


def builtin_tanh(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 6 "replicated" by calling the built-in through a method alias."""
    nb = clean_solution(solution)
    replace_once(nb, "ex6-tanh", "return 1 - 2 / (torch.exp(2 * x) + 1)", "return x.tanh()")
    return nb


def linear_moons(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 2 with nn.Linear layers only: a linear classifier, whatever the training."""
    nb = clean_solution(solution)
    replace_once(nb, "ex2-model", "        self.relu = nn.ReLU()\n", "")
    replace_once(nb, "ex2-model", "x = self.relu(self.hidden1(x))", "x = self.hidden1(x)")
    replace_once(nb, "ex2-model", "x = self.relu(self.hidden2(x))", "x = self.hidden2(x)")
    replace_once(nb, "ex2-model", "with ReLU between the layers", "all linear")
    replace_once(nb, "ex2-model", "W3 relu(W2 relu(W1 x + b1) + b2) + b3", "W3 (W2 (W1 x + b1) + b2) + b3")
    return nb


def broken_cell(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 6's cell dies on a typo before `def tanh`, so `tanh` is never defined."""
    nb = clean_solution(solution)
    replace_once(
        nb,
        "ex6-tanh",
        "def tanh(",
        "e = troch.exp(torch.tensor(1.0))  # Euler's number, to check the formula by hand\n\n\ndef tanh(",
    )
    return nb


def unfinished(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Exercises 1-4 solved; the unlocked code cells of 5, 6 and 7 still hold the placeholders."""
    nb = clean_solution(solution)
    todo = {"ex5", "ex6", "ex7"}
    replaced = 0
    for cell in nb.cells:
        locked = "locked" in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and exercise_tags(cell) & todo and not locked:
            cell.source = cell_by_id(student, cell.id).source
            replaced += 1
    assert replaced == 9, f"expected to reset 9 code cells of ex5-ex7, reset {replaced}"
    return nb


STUDENT_RENAMES = {
    "moons_model": "clf",
    "MoonsModel": "MoonNet",
    "loss_fn": "criterion",
    "optimizer": "opt",
    "tanh": "my_tanh",
    "spirals_model": "net",
    "SpiralsModel": "SpiralNet",
    "spirals_loss_fn": "ce",
    "spirals_optimizer": "adam",
    "X_spirals_train": "Xs_tr",
    "X_spirals_test": "Xs_te",
    "y_spirals_train": "ys_tr",
    "y_spirals_test": "ys_te",
    "X_spirals_all": "Xs",
    "y_spirals_all": "ys",
}


def renamed_untagged(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Correct work pasted into a fresh notebook: own names, no tags, no grader metadata, new cell ids."""
    nb = clean_solution(solution)
    for old, new in STUDENT_RENAMES.items():
        rename_identifier(nb, old, new)
    del nb.metadata["grader"]
    for number, cell in enumerate(nb.cells, start=1):
        cell.metadata.pop("tags", None)
        cell.metadata.pop("grader", None)
        cell.id = f"cell-{number:02d}"
    return nb


SUBMISSIONS: dict[str, MakeSubmission] = {
    "ada": lambda solution, student: clean_solution(solution),
    "blank": lambda solution, student: copy.deepcopy(student),
    "wrong-tanh": wrong_tanh,
    "builtin-tanh": builtin_tanh,
    "linear-moons": linear_moons,
    "broken-cell": broken_cell,
    "unfinished": unfinished,
    "renamed-untagged": renamed_untagged,
}


# --------------------------------------------------------------------------- writing


def build_all(root: Path = ROOT) -> list[Path]:
    """Write the solution, the student notebook and every demo submission under root; return the paths."""
    return build_assignment(root, ASSIGNMENT, build_solution(), SUBMISSIONS)


def main() -> None:
    for path in build_all():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
