"""Build the "blobs-mini-project" notebooks (eight blobs, a six-layer ReLU network): reference, release, demos.

Run from anywhere:  python scripts/build_blobs_mini_project_notebooks.py

Written with the shared helpers of scripts/notebook_building.py, following docs/authoring.md:

* solutions/blobs-mini-project/blobs-mini-project.ipynb   the reference solution
* assignments/blobs-mini-project.ipynb and assignments/blobs-mini-project/   what `grade release` writes
* submissions/<student>/blobs-mini-project.ipynb          demo submissions (see SUBMISSIONS)
"""

from __future__ import annotations

import copy
from pathlib import Path

from nbformat import NotebookNode

from notebook_building import (
    CellSpec,
    MakeSubmission,
    build_assignment,
    build_notebook,
    clean_solution,
    code,
    md,
    replace_once,
)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "blobs-mini-project"


# --------------------------------------------------------------------------- the notebook

INTRO = [
    md(
        "title",
        """
        # Mini-project: eight blobs and a six-layer network

        Ten thousand points lie in the plane, grouped around eight centres. Your network has to say
        which centre each point belongs to. It is a stack of six linear layers with a ReLU after
        each of the first five, trained with cross-entropy and stochastic gradient descent. Where
        two groups overlap, a point could belong to either, so even a perfect model gets a few
        points wrong: expect a little over 90 % on points it has never seen.

        **How this notebook is graded**

        * Fill in every code cell tagged `ex1` ... `ex5` that contains `# YOUR CODE HERE`
          (delete the `raise NotImplementedError()` line when you do).
        * Cells tagged `locked` are given: run them, but do not change them.
        * Keep the names each exercise asks for (`X_train`, `blobs_model`, `loss_fn`, `optimizer`,
          `train_losses`, `test_accs`, `test_pred`): the grader looks for them.
        * Send the model and the data to `device`, so the notebook runs with or without a GPU.
        * Before you submit, restart the kernel and run all cells from the top.
        """,
    ),
    code(
        "setup",
        """
        import matplotlib.pyplot as plt
        import torch
        from sklearn.datasets import make_blobs
        from sklearn.model_selection import train_test_split
        from torch import nn

        device = "cuda" if torch.cuda.is_available() else "cpu"
        print(f"Using device: {device}")
        """,
    ),
]

HELPERS = [
    md(
        "helpers-intro",
        """
        ## Given helpers

        `accuracy_fn` turns predicted labels into a percentage of correct answers, and
        `plot_decision_boundary` colours the plane by the class a model predicts, with the
        labelled points on top.
        """,
    ),
    code(
        "helpers-accuracy",
        """
        def accuracy_fn(y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
            \"\"\"The percentage of positions where the predicted label equals the true one.\"\"\"
            return (y_true == y_pred).float().mean().item() * 100
        """,
        "locked",
    ),
    code(
        "helpers-boundary",
        """
        def plot_decision_boundary(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> None:
            \"\"\"Colour a 300 x 300 grid over the points by the model's class, then scatter the points.\"\"\"
            X, y = X.cpu(), y.cpu()
            low, high = X.min(dim=0).values - 1, X.max(dim=0).values + 1
            across = torch.linspace(low[0].item(), high[0].item(), 300)
            down = torch.linspace(low[1].item(), high[1].item(), 300)
            grid_x, grid_y = torch.meshgrid(across, down, indexing="xy")
            grid = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1)

            model.eval()
            with torch.inference_mode():
                classes = model(grid.to(device)).argmax(dim=1).cpu()  # the largest score wins

            edges = [c - 0.5 for c in range(9)]  # one colour band per class 0 .. 7
            plt.contourf(grid_x, grid_y, classes.reshape(grid_x.shape), levels=edges, cmap="tab10", vmin=0, vmax=9, alpha=0.35)
            plt.scatter(X[:, 0], X[:, 1], c=y, s=4, cmap="tab10", vmin=0, vmax=9)
        """,
        "locked",
    ),
]

EX1 = [
    md(
        "ex1-task",
        """
        ## Exercise 1: the data as tensors, split for training and testing

        The locked cell below draws 10,000 points around 8 centres with `make_blobs` (2 features,
        spread 1.0, seed 13): `X_blobs` holds the coordinates and `y_blobs` the number of the
        centre each point was drawn around, from 0 to 7.

        Turn `X_blobs` into a `float32` tensor and `y_blobs` into an `int64` tensor
        (`CrossEntropyLoss` wants whole-number class labels), then keep 80 % of the points for
        training and 20 % for testing with `train_test_split(..., test_size=0.2, random_state=42)`:
        `X_train`, `X_test`, `y_train`, `y_test`. Move all four to `device` and print their shapes.
        """,
        "ex1",
    ),
    code(
        "ex1-data",
        """
        X_blobs, y_blobs = make_blobs(n_samples=10_000, n_features=2, centers=8, cluster_std=1.0, random_state=13)

        plt.figure(figsize=(6, 5))
        plt.scatter(X_blobs[:, 0], X_blobs[:, 1], c=y_blobs, s=4, cmap="tab10", vmin=0, vmax=9)
        plt.title("make_blobs: 10,000 points around 8 centres")
        plt.show()
        """,
        "ex1",
        "locked",
    ),
    code(
        "ex1-split",
        """
        ### BEGIN SOLUTION
        X_all = torch.from_numpy(X_blobs).type(torch.float32)
        y_all = torch.from_numpy(y_blobs).type(torch.int64)  # class numbers, as CrossEntropyLoss expects

        X_train, X_test, y_train, y_test = train_test_split(X_all, y_all, test_size=0.2, random_state=42)
        X_train, X_test = X_train.to(device), X_test.to(device)
        y_train, y_test = y_train.to(device), y_test.to(device)
        print(X_train.shape, X_test.shape, y_train.shape, y_test.shape)
        ### END SOLUTION
        """,
        "ex1",
    ),
]

EX2 = [
    md(
        "ex2-task",
        """
        ## Exercise 2: a network of six layers

        Write a subclass of `nn.Module`, `BlobClassifier`, whose forward pass sends a batch of
        points through six `nn.Linear` layers of widths 2 → 16 → 32 → 64 → 32 → 16 → 8, with a
        ReLU after each of the first five. The last layer gives 8 numbers per point, one score per
        class (no activation after it: `CrossEntropyLoss` takes raw scores). Create one instance,
        `blobs_model`, on `device`, and print it.
        """,
        "ex2",
    ),
    code(
        "ex2-model",
        """
        torch.manual_seed(42)  # the same starting weights on every run

        ### BEGIN SOLUTION
        class BlobClassifier(nn.Module):
            \"\"\"2 features -> 16 -> 32 -> 64 -> 32 -> 16 -> 8 class scores, ReLU between the layers.\"\"\"

            def __init__(self) -> None:
                super().__init__()
                widths = [2, 16, 32, 64, 32, 16, 8]
                layers: list[nn.Module] = []
                for width_in, width_out in zip(widths[:-1], widths[1:]):
                    layers += [nn.Linear(width_in, width_out), nn.ReLU()]
                self.layers = nn.Sequential(*layers[:-1])  # no ReLU after the scores

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                # h1 = relu(W1 x + b1), ..., h5 = relu(W5 h4 + b5), scores = W6 h5 + b6
                return self.layers(x)


        blobs_model = BlobClassifier().to(device)
        print(blobs_model)
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

        Create `loss_fn`, the cross-entropy loss (`nn.CrossEntropyLoss`), and `optimizer`,
        stochastic gradient descent (`torch.optim.SGD`) over the parameters of `blobs_model` with
        learning rate 0.02 and momentum 0.9. (Momentum keeps a running direction. A larger step
        trains faster on most starting weights but leaves this deep, narrow network stuck on some:
        at 0.05, about 1 seed in 10 ends below 90 %.)
        """,
        "ex3",
    ),
    code(
        "ex3-loss-optimizer",
        """
        ### BEGIN SOLUTION
        # loss = -mean(log softmax(scores)[true class]); it applies the softmax itself
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(blobs_model.parameters(), lr=0.02, momentum=0.9)
        ### END SOLUTION
        """,
        "ex3",
    ),
]

EX4 = [
    md(
        "ex4-task",
        """
        ## Exercise 4: train the network

        Train `blobs_model` for 600 epochs on the whole training set at once (one optimizer step
        per epoch: 8,000 points fit in one batch). After each step, evaluate the model on the test
        set without gradients and append the training loss to `train_losses` and the test accuracy
        (in %, with `accuracy_fn`) to `test_accs`. Every 20 epochs, print the epoch, the training
        loss and accuracy, and the test loss and accuracy. Then plot both curves.
        """,
        "ex4",
    ),
    code(
        "ex4-train",
        """
        torch.manual_seed(42)  # the same run every time

        ### BEGIN SOLUTION
        EPOCHS = 600
        train_losses, test_accs = [], []

        for epoch in range(1, EPOCHS + 1):
            blobs_model.train()
            train_scores = blobs_model(X_train)
            train_loss = loss_fn(train_scores, y_train)
            optimizer.zero_grad()
            train_loss.backward()
            optimizer.step()

            blobs_model.eval()
            with torch.inference_mode():
                test_scores = blobs_model(X_test)
                test_loss = loss_fn(test_scores, y_test)
            # the predicted class is the one with the largest score
            train_acc = accuracy_fn(y_train, train_scores.argmax(dim=1))
            test_acc = accuracy_fn(y_test, test_scores.argmax(dim=1))
            train_losses.append(train_loss.item())
            test_accs.append(test_acc)
            if epoch % 20 == 0:
                print(
                    f"Epoch {epoch:3d} | train loss {train_loss.item():.4f}, acc {train_acc:.2f}% "
                    f"| test loss {test_loss.item():.4f}, acc {test_acc:.2f}%"
                )
        ### END SOLUTION
        """,
        "ex4",
    ),
    code(
        "ex4-curves",
        """
        ### BEGIN SOLUTION
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.plot(train_losses)
        plt.title("Training loss")
        plt.xlabel("epoch")
        plt.subplot(1, 2, 2)
        plt.plot(test_accs)
        plt.title("Test accuracy (%)")
        plt.xlabel("epoch")
        plt.show()
        ### END SOLUTION
        """,
        "ex4",
    ),
]

EX5 = [
    md(
        "ex5-task",
        """
        ## Exercise 5: predictions and decision boundaries

        Put the trained model in evaluation mode and predict a class for every test point:
        `test_pred`, a tensor of 2,000 class numbers (softmax turns the scores into probabilities;
        the class with the highest one is the prediction). Print the test accuracy. Then draw the
        model's decision boundaries over the training set and over the test set, side by side,
        with `plot_decision_boundary`.
        """,
        "ex5",
    ),
    code(
        "ex5-predict",
        """
        ### BEGIN SOLUTION
        blobs_model.eval()
        with torch.inference_mode():
            test_probabilities = torch.softmax(blobs_model(X_test), dim=1)  # each row sums to 1
        test_pred = test_probabilities.argmax(dim=1)
        print(f"Test accuracy: {accuracy_fn(y_test, test_pred):.2f}%")
        ### END SOLUTION
        """,
        "ex5",
    ),
    code(
        "ex5-boundary",
        """
        ### BEGIN SOLUTION
        plt.figure(figsize=(12, 5))
        plt.subplot(1, 2, 1)
        plt.title("Train")
        plot_decision_boundary(blobs_model, X_train, y_train)
        plt.subplot(1, 2, 2)
        plt.title("Test")
        plot_decision_boundary(blobs_model, X_test, y_test)
        plt.show()
        ### END SOLUTION
        """,
        "ex5",
    ),
]

CELLS: list[CellSpec] = [*INTRO, *HELPERS, *EX1, *EX2, *EX3, *EX4, *EX5]


# --------------------------------------------------------------------------- submission edits

WIDTHS = "widths = [2, 16, 32, 64, 32, 16, 8]"


def shallow_network(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 2 with two layers, 2 -> 16 -> 8: the blobs are easy enough that it still scores well."""
    nb = clean_solution(solution)
    replace_once(nb, "ex2-model", WIDTHS, "widths = [2, 16, 8]")
    return nb


def no_relu(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 2's six layers with no ReLU between them: one affine map in disguise."""
    nb = clean_solution(solution)
    replace_once(nb, "ex2-model", "layers += [nn.Linear(width_in, width_out), nn.ReLU()]", "layers += [nn.Linear(width_in, width_out)]")
    replace_once(nb, "ex2-model", "self.layers = nn.Sequential(*layers[:-1])  # no ReLU after the scores", "self.layers = nn.Sequential(*layers)")
    return nb


def undertrained(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 4 stopped after 5 epochs: the curves exist, the network has not learnt the blobs."""
    nb = clean_solution(solution)
    replace_once(nb, "ex4-train", "EPOCHS = 600", "EPOCHS = 5")
    replace_once(nb, "ex4-train", "if epoch % 20 == 0:", "if epoch % 1 == 0:")
    return nb


def predicts_the_training_set(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 5 predicts X_train instead of X_test (and then compares it with y_train)."""
    nb = clean_solution(solution)
    replace_once(nb, "ex5-predict", "torch.softmax(blobs_model(X_test), dim=1)", "torch.softmax(blobs_model(X_train), dim=1)")
    replace_once(nb, "ex5-predict", "accuracy_fn(y_test, test_pred)", "accuracy_fn(y_train, test_pred)")
    return nb


# The checks each variant must lose are asserted in tests/test_blobs_mini_project.py (EXPECTED_LOSSES).
SUBMISSIONS: dict[str, MakeSubmission] = {
    "ada": lambda solution, student: clean_solution(solution),
    "blank": lambda solution, student: copy.deepcopy(student),
    "shallow-network": shallow_network,
    "no-relu": no_relu,
    "undertrained": undertrained,
    "predicts-the-training-set": predicts_the_training_set,
}


# --------------------------------------------------------------------------- writing


def build_solution() -> NotebookNode:
    """The reference notebook, solution markers included."""
    return build_notebook(CELLS, ASSIGNMENT)


def build_all(root: Path = ROOT) -> list[Path]:
    """Write the solution, release it, and write every demo submission under root; return the paths."""
    return build_assignment(root, ASSIGNMENT, build_solution(), SUBMISSIONS)


def main() -> None:
    for path in build_all():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
