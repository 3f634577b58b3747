"""Build the "assignment-6" notebooks (circles and blobs): reference solution, student copy, demo submissions.

Run from anywhere:  python scripts/build_assignment6_notebooks.py

Everything is written from the cell list below with the shared helpers of
scripts/notebook_building.py (fixed cell ids, no outputs, byte-identical on every run):

* solutions/assignment-6/assignment-6.ipynb    the reference solution
* assignments/assignment-6.ipynb                the student notebook
* submissions/<student>/assignment-6.ipynb      demo submissions (see SUBMISSIONS)
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
    cell_by_id,
    clean_solution,
    code,
    md,
    replace_once,
)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "assignment-6"


# --------------------------------------------------------------------------- the notebook

INTRO = [
    md(
        "title",
        """
        # Assignment 6: classification with PyTorch, circles and blobs

        Two concentric circles of points cannot be told apart by a straight line. You will see it
        happen: first a model made of linear layers only, trained with mini-batches, stays at chance;
        then the same kind of model with non-linear activations separates the circles almost
        perfectly. Last, four Gaussian blobs show when a linear model is all you need.

        **How this notebook is graded**

        * Fill in every code cell tagged `ex1` ... `ex9` that contains `# YOUR CODE HERE`
          (delete the `raise NotImplementedError()` line when you do).
        * Cells tagged `locked` are given: run them, but do not change them.
        * Keep the variable names each exercise asks for (`baseline_model`, `loss_fn`, `circles_model`, ...),
          and give every model, loss function and optimizer its own name: the grader looks at the
          objects as they are at the end of the notebook, so reusing `optimizer` for a second model
          would hide the first one.
        * Send models and data to `device`, so the notebook runs with or without a GPU.
        * Before you submit, restart the kernel and run all cells from the top.
        """,
    ),
    code(
        "setup",
        """
        import matplotlib.pyplot as plt
        import torch
        from sklearn.datasets import make_blobs, make_circles
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

        Three functions everybody uses, so that accuracies and plots compare across the class:
        `accuracy_fn` (percentage of correct labels), `evaluate` (loss and accuracy of a binary
        model on a whole set) and `plot_decision_boundary` (the class a model predicts at every
        point of the plane, with the data on top).
        """,
    ),
    code(
        "helpers-accuracy",
        """
        def accuracy_fn(y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
            \"\"\"Percentage of predicted labels equal to the true labels.\"\"\"
            return torch.eq(y_true, y_pred).float().mean().item() * 100
        """,
        "locked",
    ),
    code(
        "helpers-evaluate",
        """
        def evaluate(model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
            \"\"\"The mean loss and the accuracy (%) of a one-logit binary model on the whole set (X, y).\"\"\"
            model.eval()
            with torch.inference_mode():
                logits = model(X).squeeze(1)
                loss = loss_fn(logits, y).item()
            # a logit above 0 means sigmoid(logit) > 0.5, i.e. class 1
            return loss, accuracy_fn(y, (logits > 0).float())
        """,
        "locked",
    ),
    code(
        "helpers-boundary",
        """
        def plot_decision_boundary(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> None:
            \"\"\"Shade a grid over the points by the model's predicted class and scatter the labelled points.\"\"\"
            X, y = X.cpu(), y.cpu()
            axis0 = torch.linspace(X[:, 0].min().item() - 0.5, X[:, 0].max().item() + 0.5, 200)
            axis1 = torch.linspace(X[:, 1].min().item() - 0.5, X[:, 1].max().item() + 0.5, 200)
            grid0, grid1 = torch.meshgrid(axis0, axis1, indexing="xy")
            grid = torch.stack([grid0.reshape(-1), grid1.reshape(-1)], dim=1)

            model.eval()
            with torch.inference_mode():
                logits = model(grid.to(next(model.parameters()).device)).cpu().reshape(len(grid), -1)

            # two classes: one logit, class 1 where it is positive; more classes: the largest logit wins
            if len(torch.unique(y)) == 2:
                if logits.shape[1] != 1:
                    raise ValueError(f"a binary model should give 1 logit per point, this one gives {logits.shape[1]}")
                predicted = (logits[:, 0] > 0).long()
            else:
                predicted = logits.argmax(dim=1)

            plt.contourf(grid0, grid1, predicted.reshape(grid0.shape), cmap=plt.cm.RdYlBu, alpha=0.6)
            plt.scatter(X[:, 0], X[:, 1], c=y, s=12, cmap=plt.cm.RdYlBu, edgecolors="k", linewidths=0.3)
        """,
        "locked",
    ),
]

EX1 = [
    md(
        "ex1-task",
        """
        ## Exercise 1: look at the circles

        The locked cell draws 2000 points from scikit-learn's `make_circles` (noise 0.05, seed 42):
        `X_circles` holds the coordinates of the points and `y_circles` their labels, 0 for the
        outer circle and 1 for the inner one.

        Record the shape of `X_circles` in `X_circles_shape`, the shape of `y_circles` in
        `y_circles_shape`, and the number of features of a point (the second dimension of `X`)
        in `n_features`. Print them, with the first five points and labels.
        """,
        "ex1",
    ),
    code(
        "ex1-data",
        """
        X_circles, y_circles = make_circles(n_samples=2000, noise=0.05, random_state=42)

        plt.scatter(X_circles[:, 0], X_circles[:, 1], c=y_circles, s=12, cmap=plt.cm.RdYlBu)
        plt.title("make_circles: 2000 points, noise 0.05")
        plt.show()
        """,
        "ex1",
        "locked",
    ),
    code(
        "ex1-analysis",
        """
        ### BEGIN SOLUTION
        X_circles_shape = X_circles.shape  # (samples, features)
        y_circles_shape = y_circles.shape  # one label per sample
        n_features = X_circles.shape[1]  # a point is given by its 2 coordinates

        print(f"X: {X_circles_shape}, y: {y_circles_shape}, features per point: {n_features}")
        print("first points:", X_circles[:5])
        print("first labels:", y_circles[:5])
        ### END SOLUTION
        """,
        "ex1",
    ),
]

EX2 = [
    md(
        "ex2-task",
        """
        ## Exercise 2: tensors and a train/test split

        Turn `X_circles` and `y_circles` into `float32` tensors (binary cross-entropy wants float
        labels), then keep 80 % of the points for training and 20 % for testing with
        `train_test_split(..., test_size=0.2, random_state=42)`: `X_train`, `X_test`, `y_train`,
        `y_test`. Move the four tensors to `device` and print their shapes.
        """,
        "ex2",
    ),
    code(
        "ex2-split",
        """
        ### BEGIN SOLUTION
        X_circles_all = torch.from_numpy(X_circles).type(torch.float32)
        y_circles_all = torch.from_numpy(y_circles).type(torch.float32)

        X_train, X_test, y_train, y_test = train_test_split(
            X_circles_all, y_circles_all, test_size=0.2, random_state=42
        )
        X_train, X_test = X_train.to(device), X_test.to(device)
        y_train, y_test = y_train.to(device), y_test.to(device)
        print(X_train.shape, X_test.shape, y_train.shape, y_test.shape)
        ### END SOLUTION
        """,
        "ex2",
    ),
]

EX3 = [
    md(
        "ex3-task",
        """
        ## Exercise 3: a baseline with linear layers only

        Write a subclass of `nn.Module` with two `nn.Linear` layers and **no activation function**:
        2 input features, a hidden layer of your choice, 1 output logit. Create one instance,
        `baseline_model`, on `device`. (Two linear layers in a row are still one linear map:
        keep that in mind for Exercise 5.)
        """,
        "ex3",
    ),
    code(
        "ex3-model",
        """
        torch.manual_seed(42)  # the same starting weights on every run

        ### BEGIN SOLUTION
        class BaselineModel(nn.Module):
            \"\"\"2 features -> 8 -> 1 logit, linear layers only.\"\"\"

            def __init__(self, hidden_units: int = 8):
                super().__init__()
                self.layer1 = nn.Linear(2, hidden_units)
                self.layer2 = nn.Linear(hidden_units, 1)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                # logit = W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2): a single affine map of x
                return self.layer2(self.layer1(x))


        baseline_model = BaselineModel().to(device)
        baseline_model
        ### END SOLUTION
        """,
        "ex3",
    ),
]

EX4 = [
    md(
        "ex4-task",
        """
        ## Exercise 4: loss function and optimizer

        Create `loss_fn`, the binary cross-entropy loss that takes raw logits
        (`nn.BCEWithLogitsLoss`), and `optimizer`, stochastic gradient descent (`torch.optim.SGD`)
        over the parameters of `baseline_model` with learning rate 0.1.
        """,
        "ex4",
    ),
    code(
        "ex4-loss-optimizer",
        """
        ### BEGIN SOLUTION
        # BCEWithLogitsLoss applies the sigmoid itself, in a numerically stable way:
        # loss = -mean(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))
        loss_fn = nn.BCEWithLogitsLoss()
        optimizer = torch.optim.SGD(baseline_model.parameters(), lr=0.1)
        ### END SOLUTION
        """,
        "ex4",
    ),
]

EX5 = [
    md(
        "ex5-task",
        """
        ## Exercise 5: mini-batch training and its curves

        Train `baseline_model` for 100 epochs. In each epoch, shuffle the training set and take
        one optimizer step per mini-batch of 32 points (a `DataLoader` with `shuffle=True`, or
        `torch.randperm` and slicing). After each epoch, use `evaluate` to append the loss and
        the accuracy on the whole training set and on the test set to four lists,
        `train_losses`, `test_losses`, `train_accs` and `test_accs`, and print them every 10 epochs.
        Then plot the four curves, losses on the left and accuracies on the right.

        What accuracy does the baseline reach? The locked cell after the plot shows why.
        """,
        "ex5",
    ),
    code(
        "ex5-train",
        """
        torch.manual_seed(42)  # the same shuffles on every run

        ### BEGIN SOLUTION
        EPOCHS, BATCH_SIZE = 100, 32
        train_losses, test_losses, train_accs, test_accs = [], [], [], []

        for epoch in range(1, EPOCHS + 1):
            # one pass over the training set in shuffled mini-batches
            baseline_model.train()
            order = torch.randperm(len(X_train), device=device)
            for start in range(0, len(X_train), BATCH_SIZE):
                batch = order[start : start + BATCH_SIZE]
                loss = loss_fn(baseline_model(X_train[batch]).squeeze(1), y_train[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

            train_loss, train_acc = evaluate(baseline_model, loss_fn, X_train, y_train)
            test_loss, test_acc = evaluate(baseline_model, loss_fn, X_test, y_test)
            train_losses.append(train_loss)
            test_losses.append(test_loss)
            train_accs.append(train_acc)
            test_accs.append(test_acc)
            if epoch % 10 == 0:
                print(
                    f"Epoch {epoch:3d} | train loss {train_loss:.4f}, acc {train_acc:.1f}% "
                    f"| test loss {test_loss:.4f}, acc {test_acc:.1f}%"
                )
        ### END SOLUTION
        """,
        "ex5",
    ),
    code(
        "ex5-curves",
        """
        ### BEGIN SOLUTION
        epochs = range(1, len(train_losses) + 1)
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.plot(epochs, train_losses, label="train")
        plt.plot(epochs, test_losses, label="test")
        plt.title("Baseline: loss")
        plt.xlabel("epoch")
        plt.legend()
        plt.subplot(1, 2, 2)
        plt.plot(epochs, train_accs, label="train")
        plt.plot(epochs, test_accs, label="test")
        plt.title("Baseline: accuracy (%)")
        plt.xlabel("epoch")
        plt.legend()
        plt.show()
        ### END SOLUTION
        """,
        "ex5",
    ),
    code(
        "ex5-boundary",
        """
        # A linear model can only cut the plane in two along a straight line, and any straight line
        # leaves about half of each circle on the wrong side: the baseline stays near 50 %.
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.title("Baseline: train")
        plot_decision_boundary(baseline_model, X_train, y_train)
        plt.subplot(1, 2, 2)
        plt.title("Baseline: test")
        plot_decision_boundary(baseline_model, X_test, y_test)
        plt.show()
        """,
        "ex5",
        "locked",
    ),
]

EX6 = [
    md(
        "ex6-task",
        """
        ## Exercise 6: a model with non-linear activations

        More linear layers, more hidden units or more epochs cannot help: the model would still be
        one linear map. What helps is a non-linear function between the layers, such as
        ReLU, `relu(x) = max(0, x)` (`nn.ReLU`): with it, the layers can bend the decision boundary
        into a closed curve.

        Write a second subclass of `nn.Module` from 2 input features to 1 output logit, with
        non-linear activations between its linear layers, and create one instance,
        `circles_model`, on `device`.
        """,
        "ex6",
    ),
    code(
        "ex6-model",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        class CirclesModel(nn.Module):
            \"\"\"2 features -> 16 -> 16 -> 1 logit, with ReLU between the layers.\"\"\"

            def __init__(self, hidden_units: int = 16):
                super().__init__()
                self.layer1 = nn.Linear(2, hidden_units)
                self.layer2 = nn.Linear(hidden_units, hidden_units)
                self.layer3 = nn.Linear(hidden_units, 1)
                self.relu = nn.ReLU()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                # logit = W3 relu(W2 relu(W1 x + b1) + b2) + b3
                return self.layer3(self.relu(self.layer2(self.relu(self.layer1(x)))))


        circles_model = CirclesModel().to(device)
        circles_model
        ### END SOLUTION
        """,
        "ex6",
    ),
]

EX7 = [
    md(
        "ex7-task",
        """
        ## Exercise 7: train the non-linear model

        Create `circles_optimizer`, an optimizer over the parameters of `circles_model` (SGD with
        learning rate 0.1 works; `loss_fn` from Exercise 4 can be used again). Train
        `circles_model` with shuffled mini-batches of 32 points for 100 epochs, as in Exercise 5,
        printing the train and test loss and accuracy every 10 epochs. The test accuracy should
        end well above 90 %.
        """,
        "ex7",
    ),
    code(
        "ex7-optimizer",
        """
        ### BEGIN SOLUTION
        circles_optimizer = torch.optim.SGD(circles_model.parameters(), lr=0.1)
        ### END SOLUTION
        """,
        "ex7",
    ),
    code(
        "ex7-train",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        EPOCHS, BATCH_SIZE = 100, 32
        for epoch in range(1, EPOCHS + 1):
            circles_model.train()
            order = torch.randperm(len(X_train), device=device)
            for start in range(0, len(X_train), BATCH_SIZE):
                batch = order[start : start + BATCH_SIZE]
                loss = loss_fn(circles_model(X_train[batch]).squeeze(1), y_train[batch])
                circles_optimizer.zero_grad()
                loss.backward()
                circles_optimizer.step()

            if epoch % 10 == 0:
                train_loss, train_acc = evaluate(circles_model, loss_fn, X_train, y_train)
                test_loss, test_acc = evaluate(circles_model, loss_fn, X_test, y_test)
                print(
                    f"Epoch {epoch:3d} | train loss {train_loss:.4f}, acc {train_acc:.1f}% "
                    f"| test loss {test_loss:.4f}, acc {test_acc:.1f}%"
                )
        ### END SOLUTION
        """,
        "ex7",
    ),
]

EX8 = [
    md(
        "ex8-task",
        """
        ## Exercise 8: look at the new decision boundary

        Plot the decision boundary of the trained `circles_model` on the training set and on the
        test set, side by side, with `plot_decision_boundary`.
        """,
        "ex8",
    ),
    code(
        "ex8-boundary",
        """
        ### BEGIN SOLUTION
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.title("Circles model: train")
        plot_decision_boundary(circles_model, X_train, y_train)
        plt.subplot(1, 2, 2)
        plt.title("Circles model: test")
        plot_decision_boundary(circles_model, X_test, y_test)
        plt.show()
        ### END SOLUTION
        """,
        "ex8",
    ),
]

EX9 = [
    md(
        "ex9-task",
        """
        ## Exercise 9: four blobs, a multi-class problem

        The locked cell draws 1000 points around 4 centres with `make_blobs` (2 features, spread
        1.5, seed 42). The groups can be separated by straight lines, so this time a model
        **without** activations is the right tool.

        * Turn the data into tensors (`float32` features, `int64` labels) and split them 80 / 20
          with `random_state=42` into `X_blobs_train`, `X_blobs_test`, `y_blobs_train`, `y_blobs_test`, on `device`.
        * Build `blobs_model`, from 2 features to 4 logits (one per class), with `nn.Linear` layers
          and no activation function.
        * Use `blobs_loss_fn = nn.CrossEntropyLoss()` and an SGD optimizer, `blobs_optimizer`.
        * Train it, printing the test accuracy every 10 epochs, and plot its decision boundaries
          on the training and test sets.
        """,
        "ex9",
    ),
    code(
        "ex9-data",
        """
        X_blobs, y_blobs = make_blobs(n_samples=1000, n_features=2, centers=4, cluster_std=1.5, random_state=42)

        plt.scatter(X_blobs[:, 0], X_blobs[:, 1], c=y_blobs, s=12, cmap=plt.cm.RdYlBu)
        plt.title("make_blobs: 4 classes")
        plt.show()
        """,
        "ex9",
        "locked",
    ),
    code(
        "ex9-split",
        """
        ### BEGIN SOLUTION
        X_blobs_all = torch.from_numpy(X_blobs).type(torch.float32)
        y_blobs_all = torch.from_numpy(y_blobs).type(torch.int64)  # CrossEntropyLoss wants integer class labels

        X_blobs_train, X_blobs_test, y_blobs_train, y_blobs_test = train_test_split(
            X_blobs_all, y_blobs_all, test_size=0.2, random_state=42
        )
        X_blobs_train, X_blobs_test = X_blobs_train.to(device), X_blobs_test.to(device)
        y_blobs_train, y_blobs_test = y_blobs_train.to(device), y_blobs_test.to(device)
        print(X_blobs_train.shape, X_blobs_test.shape, y_blobs_train.shape, y_blobs_test.shape)
        ### END SOLUTION
        """,
        "ex9",
    ),
    code(
        "ex9-model",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        class BlobsModel(nn.Module):
            \"\"\"2 features -> 8 -> 4 logits, one per class, linear layers only.\"\"\"

            def __init__(self, hidden_units: int = 8):
                super().__init__()
                self.hidden = nn.Linear(2, hidden_units)
                self.output = nn.Linear(hidden_units, 4)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                # logits = W2 (W1 x + b1) + b2: an affine map, enough for groups a straight line can split
                return self.output(self.hidden(x))


        blobs_model = BlobsModel().to(device)
        blobs_model
        ### END SOLUTION
        """,
        "ex9",
    ),
    code(
        "ex9-loss-optimizer",
        """
        ### BEGIN SOLUTION
        # CrossEntropyLoss takes raw logits and integer labels: loss = -mean(log softmax(z)[true class])
        blobs_loss_fn = nn.CrossEntropyLoss()
        blobs_optimizer = torch.optim.SGD(blobs_model.parameters(), lr=0.1)
        ### END SOLUTION
        """,
        "ex9",
    ),
    code(
        "ex9-train",
        """
        torch.manual_seed(42)

        ### BEGIN SOLUTION
        # 800 points: one full-batch gradient step per epoch is enough here
        for epoch in range(1, 101):
            blobs_model.train()
            loss = blobs_loss_fn(blobs_model(X_blobs_train), y_blobs_train)
            blobs_optimizer.zero_grad()
            loss.backward()
            blobs_optimizer.step()

            if epoch % 10 == 0:
                blobs_model.eval()
                with torch.inference_mode():
                    test_logits = blobs_model(X_blobs_test)
                # the predicted class is the index of the largest logit
                test_acc = accuracy_fn(y_blobs_test, test_logits.argmax(dim=1))
                print(f"Epoch {epoch:3d} | train loss {loss.item():.4f} | test acc {test_acc:.1f}%")
        ### END SOLUTION
        """,
        "ex9",
    ),
    code(
        "ex9-boundary",
        """
        ### BEGIN SOLUTION
        plt.figure(figsize=(10, 4))
        plt.subplot(1, 2, 1)
        plt.title("Blobs: train")
        plot_decision_boundary(blobs_model, X_blobs_train, y_blobs_train)
        plt.subplot(1, 2, 2)
        plt.title("Blobs: test")
        plot_decision_boundary(blobs_model, X_blobs_test, y_blobs_test)
        plt.show()
        ### END SOLUTION
        """,
        "ex9",
    ),
]

CELLS: list[CellSpec] = [*INTRO, *HELPERS, *EX1, *EX2, *EX3, *EX4, *EX5, *EX6, *EX7, *EX8, *EX9]


# --------------------------------------------------------------------------- submission edits


def relu_in_blobs(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 9 with `torch.relu` called between the layers inside forward (no activation module)."""
    nb = clean_solution(solution)
    replace_once(
        nb,
        "ex9-model",
        "# logits = W2 (W1 x + b1) + b2: an affine map, enough for groups a straight line can split\n"
        "        return self.output(self.hidden(x))",
        "return self.output(torch.relu(self.hidden(x)))",
    )
    return nb


def wrong_split(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 2 split with random_state=0 instead of 42: right shapes and dtypes, other points."""
    nb = clean_solution(solution)
    replace_once(nb, "ex2-split", "random_state=42", "random_state=0")
    return nb


def no_curves(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 5 trains and prints, but records no curves, and the plot cell is left unanswered."""
    nb = clean_solution(solution)
    replace_once(nb, "ex5-train", "train_losses, test_losses, train_accs, test_accs = [], [], [], []\n", "")
    replace_once(
        nb,
        "ex5-train",
        "    train_losses.append(train_loss)\n"
        "    test_losses.append(test_loss)\n"
        "    train_accs.append(train_acc)\n"
        "    test_accs.append(test_acc)\n",
        "",
    )
    cell_by_id(nb, "ex5-curves").source = cell_by_id(student, "ex5-curves").source
    return nb


def wrong_output_size(solution: NotebookNode, student: NotebookNode) -> NotebookNode:
    """Ex 6 model with 2 outputs ("two classes, two outputs"); its training and plot cells then raise."""
    nb = clean_solution(solution)
    replace_once(nb, "ex6-model", "nn.Linear(hidden_units, 1)", "nn.Linear(hidden_units, 2)")
    replace_once(nb, "ex6-model", "16 -> 16 -> 1 logit,", "16 -> 16 -> 2 logits, one per class,")
    return nb


# The checks each variant must lose are asserted in tests/test_assignment6.py (EXPECTED_LOSSES).
SUBMISSIONS: dict[str, MakeSubmission] = {
    "ada": lambda solution, student: clean_solution(solution),
    "blank": lambda solution, student: copy.deepcopy(student),
    "relu-in-blobs": relu_in_blobs,
    "wrong-split": wrong_split,
    "no-curves": no_curves,
    "wrong-output-size": wrong_output_size,
}


# --------------------------------------------------------------------------- writing


def build_solution() -> NotebookNode:
    """The reference notebook, solution markers included."""
    return build_notebook(CELLS, ASSIGNMENT)


def build_all(root: Path = ROOT) -> list[Path]:
    """Write the solution, the student notebook and every demo submission under root; return the paths."""
    return build_assignment(root, ASSIGNMENT, build_solution(), SUBMISSIONS)


def main() -> None:
    for path in build_all():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
