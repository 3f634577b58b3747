"""Losses paired with the model's outputs, and a binary task answered with class scores (issue 22, items 3 and 4).

Each notebook is correct except where its loss and its model's last layer do not fit: a Sigmoid under
BCEWithLogitsLoss, a Softmax under CrossEntropyLoss. One is correct in an unusual way: three class
scores for the two moons (argmax; only the shape the exercise asks for is wrong). A LogSoftmax under
CrossEntropyLoss (correct: log_softmax of log-probabilities changes nothing) is covered by
tests/test_loss_pairing.py, not here: written as a twin of spirals-softmax-ce it would be a copy of it.
"""

from corpus import (
    CS231N_SPIRALS,
    EPOCH_LINE,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    H7,
    PASTED_PLOT_HELPER,
    TITLE,
    Notebook,
    code,
    epochs_log,
    md,
)

ONE_AXES = "<Figure size 640x480 with 1 Axes>"
TWO_PANELS = "<Figure size 1200x600 with 2 Axes>"
SPIRALS_LOG = "Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%"

IMPORTS = """
import torch
from torch import nn
import numpy as np
import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

device = "cuda" if torch.cuda.is_available() else "cpu"
"""
MOONS_FLOAT = """
X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
X = torch.from_numpy(X).type(torch.float)
y = torch.from_numpy(y).type(torch.float)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
"""
ACCURACY_FN = """
def accuracy_fn(y_true, y_pred):
    correct = torch.eq(y_true, y_pred).sum().item()
    return (correct / len(y_pred)) * 100
"""
TANH = """
def tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

A = torch.arange(-10, 10, 1, dtype=torch.float)
plt.plot(A, tanh(A));
"""
SPIRALS_SPLIT = """
X = torch.from_numpy(X).type(torch.float)
y = torch.from_numpy(y).type(torch.LongTensor)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
"""


def two_panels(model: str) -> str:
    return f"""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary({model}, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary({model}, X_test, y_test)
    """


# The spirals as most of the course solves them: raw scores and CrossEntropyLoss (for the moons notebooks).
SPIRALS_RAW = """
class SpiralModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer_stack = nn.Sequential(
            nn.Linear(2, 64), nn.ReLU(),
            nn.Linear(64, 64), nn.ReLU(),
            nn.Linear(64, 3),
        )

    def forward(self, x):
        return self.layer_stack(x)

torch.manual_seed(42)
model_2 = SpiralModel().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)

for epoch in range(1000):
    model_2.train()
    y_logits = model_2(X_train)
    loss = loss_fn(y_logits, y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model_2.eval()
    with torch.inference_mode():
        test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
    if epoch % 100 == 0:
        print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
"""


def spirals_part(model_cell: str, log: str) -> list:
    """Sections 7: the CS231n data, the split, a model trained in one cell, its decision boundary."""
    return [
        md(H7),
        code(CS231N_SPIRALS, figure=ONE_AXES),
        code(SPIRALS_SPLIT),
        code(model_cell, out=log),
        code(two_panels("model_2"), figure=TWO_PANELS),
    ]


# --------------------------------------------------------------------------- sigmoid-bcewithlogits
# nn.Sigmoid() at the end of the moons model and BCEWithLogitsLoss: the loss applies a second sigmoid,
# and the student's own predictions (round(sigmoid(output))) are all 1: stuck at chance.

SIGMOID_BCEWITHLOGITS = Notebook("sigmoid-bcewithlogits", "jupyter", [
    md(TITLE),
    code(IMPORTS),
    md(H1),
    code(MOONS_FLOAT),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(in_features=2, out_features=16)
            self.layer_2 = nn.Linear(in_features=16, out_features=16)
            self.layer_3 = nn.Linear(in_features=16, out_features=1)
            self.relu = nn.ReLU()
            self.sigmoid = nn.Sigmoid()  # squash to a probability

        def forward(self, x):
            return self.sigmoid(self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x))))))

    torch.manual_seed(42)
    model_1 = MoonModel().to(device)
    model_1
    """, result="""
    MoonModel(
      (layer_1): Linear(in_features=2, out_features=16, bias=True)
      (layer_2): Linear(in_features=16, out_features=16, bias=True)
      (layer_3): Linear(in_features=16, out_features=1, bias=True)
      (relu): ReLU()
      (sigmoid): Sigmoid()
    )
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()  # numerically stable, as the course says
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code(ACCURACY_FN),
    code("""
    torch.manual_seed(42)
    epochs = 1000
    for epoch in range(epochs):
        model_1.train()
        y_logits = model_1(X_train).squeeze()
        y_pred = torch.round(torch.sigmoid(y_logits))
        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_train, y_pred)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test).squeeze()
            test_pred = torch.round(torch.sigmoid(test_logits))
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_test, test_pred)
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 10), 0.69, 0.5, 50.0, 50.0, keep=10)),
    md("The loss goes down but the accuracy stays at 50 %. I don't know why, the model looks fine."),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code(two_panels("model_1"), figure=TWO_PANELS),
    md(H6),
    code(TANH, figure=ONE_AXES),
    *spirals_part(SPIRALS_RAW, epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
])

# --------------------------------------------------------------------------- moons-three-scores
# Three class scores for the two moons, CrossEntropyLoss and argmax: it learns the moons perfectly, but
# the exercise asks for one logit (or one score per class, two).

MOONS_THREE_SCORES = Notebook("moons-three-scores", "colab", [
    md(TITLE),
    code(IMPORTS),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.long)  # class indices, for CrossEntropyLoss
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    # I reuse the multi-class recipe: one output per class, here 3 so it is the same model as for the spirals
    class MoonClassifier(nn.Module):
        def __init__(self, hidden=32, classes=3):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(2, hidden), nn.ReLU(),
                nn.Linear(hidden, hidden), nn.ReLU(),
                nn.Linear(hidden, classes),
            )

        def forward(self, x):
            return self.net(x)

    torch.manual_seed(42)
    model_1 = MoonClassifier().to(device)
    model_1
    """, result="""
    MoonClassifier(
      (net): Sequential(
        (0): Linear(in_features=2, out_features=32, bias=True)
        (1): ReLU()
        (2): Linear(in_features=32, out_features=32, bias=True)
        (3): ReLU()
        (4): Linear(in_features=32, out_features=3, bias=True)
      )
    )
    """),
    md(H3),
    code("""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code(ACCURACY_FN),
    code("""
    torch.manual_seed(42)
    for epoch in range(500):
        model_1.train()
        y_logits = model_1(X_train)
        y_pred = y_logits.argmax(dim=1)
        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_train, y_pred)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test)
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_test, test_logits.argmax(dim=1))
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 500, 10), 1.1, 0.003, 45.0, 100.0, keep=8)),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code(two_panels("model_1"), figure=TWO_PANELS),
    md(H6),
    code(TANH, figure=ONE_AXES),
    *spirals_part(SPIRALS_RAW, epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
])

# --------------------------------------------------------------------------- the moons, correct (for the spirals cases)

MOONS_CORRECT = [
    md(TITLE),
    code(IMPORTS),
    md(H1),
    code(MOONS_FLOAT),
    md(H2),
    code("""
    class MoonModelV1(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 32)
            self.layer_2 = nn.Linear(32, 32)
            self.layer_3 = nn.Linear(32, 1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))

    torch.manual_seed(42)
    model_1 = MoonModelV1().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code(ACCURACY_FN),
    code("""
    torch.manual_seed(42)
    for epoch in range(600):
        model_1.train()
        y_logits = model_1(X_train).squeeze()
        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_train, torch.round(torch.sigmoid(y_logits)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test).squeeze()
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_test, torch.round(torch.sigmoid(test_logits)))
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 600, 10), 0.7, 0.004, 50.0, 100.0, keep=8)),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code(two_panels("model_1"), figure=TWO_PANELS),
    md(H6),
    code(TANH, figure=ONE_AXES),
]


def spirals_with_last_layer(last: str, comment: str) -> str:
    """A spirals model whose forward ends in `last`, trained with CrossEntropyLoss."""
    return f"""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_stack = nn.Sequential(
                nn.Linear(2, 64), nn.ReLU(),
                nn.Linear(64, 64), nn.ReLU(),
                nn.Linear(64, 3),
                {last},  # {comment}
            )

        def forward(self, x):
            return self.layer_stack(x)

    torch.manual_seed(42)
    model_2 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)

    for epoch in range(1000):
        model_2.train()
        y_probs = model_2(X_train)
        loss = loss_fn(y_probs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model_2.eval()
        with torch.inference_mode():
            test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
        if epoch % 100 == 0:
            print(f"Epoch: {{epoch}} | Loss: {{loss:.4f}} | Test acc: {{test_acc:.2f}}%")
    """


# --------------------------------------------------------------------------- spirals-softmax-ce
# nn.Softmax at the end of the spirals model under CrossEntropyLoss, which applies its own log_softmax:
# the loss cannot fall below ~0.55 and its gradients are squashed.

SPIRALS_SOFTMAX_CE = Notebook("spirals-softmax-ce", "conda", [
    *MOONS_CORRECT,
    *spirals_part(spirals_with_last_layer("nn.Softmax(dim=1)", "probabilities for the 3 classes"),
                  epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.6, 33.3, 98.3)),
])

NOTEBOOKS = [SIGMOID_BCEWITHLOGITS, MOONS_THREE_SCORES, SPIRALS_SOFTMAX_CE]
