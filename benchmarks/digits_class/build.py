"""Write the digits-cnn class of benchmarks/integrity_digits.py: seven students' notebooks, each filled in
independently from the released notebook (assignments/digits-cnn.ipynb).

Each student keeps the released markdown and locked cells and writes the six exercise cells their own
way: architecture, optimizer, learning rate, epochs, batch size, batching, seeds and names differ.
Five depart from the exercise text (their own networks and training); amara and bilal follow it to
the letter (the network, Adam at 0.001, 30 epochs of 64, torch.manual_seed(42) where the released cells
put it) in code of their own, as many students of a class do. Some lose their tags the way a copy
through another editor does. Run: PYTHONPATH=. python benchmarks/digits_class/build.py
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
RELEASED = HERE.parent.parent / "assignments" / "digits-cnn.ipynb"
EXERCISE_CELLS = 6  # the cells holding "# YOUR CODE HERE": ex1, ex2, ex3, ex4 (training, plot), ex5


@dataclass(frozen=True)
class Student:
    name: str
    cells: tuple[str, str, str, str, str, str]  # the exercise cells' sources, in notebook order
    tags: str = "kept"  # "kept"; "exercise cells": their tags dropped; "none": every cell's metadata dropped


AMARA = Student("amara", (
    """\
X_digits = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(dim=1) / 16.0
y_digits = torch.tensor(digits.target, dtype=torch.int64)

X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
X_train = X_train.to(device)
X_test = X_test.to(device)
y_train = y_train.to(device)
y_test = y_test.to(device)
print("train:", X_train.shape, y_train.shape)
print("test: ", X_test.shape, y_test.shape)""",
    """\
torch.manual_seed(42)  # the same starting weights on every run

class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.pool(x)
        x = self.relu(self.fc1(self.flatten(x)))
        return self.fc2(x)


digits_model = DigitsCNN().to(device)
print(digits_model)""",
    """\
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(params=digits_model.parameters(), lr=0.001)""",
    """\
torch.manual_seed(42)  # the same shuffles every run

epochs = 30
batch_size = 64
train_losses = []
test_accs = []

for epoch in range(epochs):
    digits_model.train()
    perm = torch.randperm(len(X_train))
    running_loss = 0.0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        y_logits = digits_model(X_train[idx])
        loss = loss_fn(y_logits, y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * len(idx)
    train_losses.append(running_loss / len(X_train))

    digits_model.eval()
    with torch.no_grad():
        test_logits = digits_model(X_test)
        test_accs.append(accuracy_fn(y_test, test_logits.argmax(dim=1)))

    if (epoch + 1) % 5 == 0:
        print(f"Epoch {epoch + 1}: loss {train_losses[-1]:.4f}, test acc {test_accs[-1]:.2f}%")""",
    """\
plt.figure(figsize=(10, 4))
plt.subplot(1, 2, 1)
plt.plot(train_losses, label="train loss")
plt.xlabel("Epoch")
plt.legend()
plt.subplot(1, 2, 2)
plt.plot(test_accs, label="test accuracy", color="orange")
plt.xlabel("Epoch")
plt.legend()
plt.show()""",
    """\
digits_model.eval()
with torch.no_grad():
    test_pred = torch.argmax(digits_model(X_test), dim=1)

print(f"Test accuracy: {accuracy_fn(y_test, test_pred):.2f}%")

wrong_idx = torch.where(test_pred != y_test)[0][:8]
plt.figure(figsize=(12, 2))
for n, i in enumerate(wrong_idx):
    plt.subplot(1, 8, n + 1)
    plt.imshow(X_test[i].squeeze().cpu(), cmap="gray_r")
    plt.title(f"{y_test[i].item()} → {test_pred[i].item()}")
    plt.axis(False)
plt.show()""",
))

BILAL = Student("bilal", (
    """\
import numpy as np

images = np.expand_dims(digits.images / 16, axis=1).astype("float32")
X_digits = torch.from_numpy(images)
y_digits = torch.from_numpy(digits.target).long()
X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
X_train, y_train = X_train.to(device), y_train.to(device)
X_test, y_test = X_test.to(device), y_test.to(device)
for name, t in [("X_train", X_train), ("X_test", X_test), ("y_train", y_train), ("y_test", y_test)]:
    print(name, tuple(t.shape), t.dtype)""",
    """\
torch.manual_seed(42)  # the same starting weights on every run

class DigitsCNN(nn.Module):
    \"\"\"conv-relu, conv-relu, pool, then two linear layers\"\"\"

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2),
            nn.Flatten(),
            nn.Linear(in_features=512, out_features=64),
            nn.ReLU(),
            nn.Linear(in_features=64, out_features=10),
        )

    def forward(self, x):
        return self.layers(x)

digits_model = DigitsCNN()
digits_model.to(device)
print(digits_model)""",
    """\
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(digits_model.parameters(), lr=1e-3)
print(optimizer)""",
    """\
torch.manual_seed(42)  # the same shuffles every run

n_epochs, bs = 30, 64
n = X_train.shape[0]
train_losses, test_accs = [], []
for ep in range(1, n_epochs + 1):
    digits_model.train()
    shuffled = torch.randperm(n)
    losses = []
    start = 0
    while start < n:
        batch = shuffled[start:start + bs]
        start += bs
        optimizer.zero_grad()
        out = digits_model(X_train[batch])
        l = loss_fn(out, y_train[batch])
        l.backward()
        optimizer.step()
        losses.append(l.item())
    train_losses.append(np.mean(losses))
    digits_model.eval()
    with torch.inference_mode():
        acc = accuracy_fn(y_test, digits_model(X_test).argmax(1))
    test_accs.append(acc)
    if ep % 5 == 0:
        print("epoch", ep, "loss", round(train_losses[-1], 4), "acc", round(acc, 2))""",
    """\
fig, ax = plt.subplots(1, 2, figsize=(11, 3))
ax[0].plot(range(1, len(train_losses) + 1), train_losses)
ax[0].set_title("train loss")
ax[1].plot(range(1, len(test_accs) + 1), test_accs, "g")
ax[1].set_title("test accuracy (%)")
plt.show()""",
    """\
digits_model.eval()
with torch.inference_mode():
    scores = digits_model(X_test)
test_pred = scores.argmax(dim=1)
print("accuracy on the test images:", accuracy_fn(y_test, test_pred))

mistakes = [i for i in range(len(y_test)) if test_pred[i] != y_test[i]][:8]
fig, axs = plt.subplots(1, 8, figsize=(10, 1.6))
for ax in axs:
    ax.axis("off")
for ax, i in zip(axs, mistakes):
    ax.imshow(X_test[i, 0].cpu().numpy(), cmap="gray_r")
    ax.set_title(f"{int(y_test[i])} → {int(test_pred[i])}")
plt.show()""",
))

CHEN = Student("chen", (
    """\
from torch.utils.data import DataLoader, TensorDataset

X_digits = torch.as_tensor(digits.images.reshape(-1, 1, 8, 8) / 16, dtype=torch.float32)
y_digits = torch.as_tensor(digits.target, dtype=torch.int64)
X_train, X_test, y_train, y_test = [
    t.to(device) for t in train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
]
print(X_train.shape, X_test.shape, y_train.shape, y_test.shape)""",
    """\
torch.manual_seed(7)

class DigitsCNN(nn.Module):
    # two conv blocks with batch norm, then global average pooling instead of a big linear layer
    def __init__(self, width=32):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(2 * width, 10)

    def forward(self, x):
        x = self.block2(self.block1(x))
        return self.head(self.pool(x).flatten(1))

digits_model = DigitsCNN().to(device)
print(digits_model)
print(sum(p.numel() for p in digits_model.parameters()), "parameters")""",
    """\
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(digits_model.parameters(), lr=3e-3)""",
    """\
torch.manual_seed(7)

train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=128, shuffle=True)
train_losses, test_accs = [], []

def evaluate(model, X, y):
    model.eval()
    with torch.no_grad():
        return accuracy_fn(y, model(X).argmax(dim=1))

for epoch in range(15):
    digits_model.train()
    total, count = 0.0, 0
    for xb, yb in train_loader:
        loss = loss_fn(digits_model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
        count += xb.size(0)
    train_losses.append(total / count)
    test_accs.append(evaluate(digits_model, X_test, y_test))
    if epoch % 5 == 4:
        print(f"[{epoch + 1:02d}] loss={train_losses[-1]:.3f} acc={test_accs[-1]:.1f}")""",
    """\
fig, ax1 = plt.subplots(figsize=(6, 4))
ax1.plot(train_losses, "b-")
ax1.set_xlabel("epoch")
ax1.set_ylabel("training loss", color="b")
ax2 = ax1.twinx()
ax2.plot(test_accs, "r-")
ax2.set_ylabel("test accuracy %", color="r")
plt.show()""",
    """\
digits_model.eval()
with torch.no_grad():
    test_pred = digits_model(X_test).argmax(dim=1)
print(f"test accuracy {accuracy_fn(y_test, test_pred):.2f} %")

bad = (test_pred != y_test).nonzero(as_tuple=True)[0][:8].tolist()
if bad:
    fig, axes = plt.subplots(1, len(bad), figsize=(1.5 * len(bad), 1.8), squeeze=False)
    for ax, i in zip(axes[0], bad):
        ax.imshow(X_test[i][0].cpu(), cmap="gray_r")
        ax.set_title(f"{y_test[i]} → {test_pred[i]}")
        ax.set_xticks([])
        ax.set_yticks([])
    plt.show()""",
))

DANA = Student("dana", (
    """\
# scale 0-16 to 0-1 and add the channel dimension
X_digits = (torch.from_numpy(digits.images).float() / 16)[:, None, :, :]
y_digits = torch.from_numpy(digits.target).to(torch.int64)
X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
print(f"{X_train.shape=} {X_test.shape=} {y_train.shape=} {y_test.shape=}")""",
    """\
# no pooling: the second convolution has stride 2 and halves the image (8x8 -> 4x4)
class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 24, kernel_size=3, padding=1)
        self.c2 = nn.Conv2d(24, 48, kernel_size=3, stride=2, padding=1)
        self.drop = nn.Dropout(0.25)
        self.out = nn.Linear(48 * 4 * 4, 10)

    def forward(self, images):
        h = torch.relu(self.c1(images))
        h = torch.relu(self.c2(h))
        return self.out(self.drop(torch.flatten(h, start_dim=1)))

digits_model = DigitsCNN().to(device)
digits_model""",
    """\
loss_fn = nn.CrossEntropyLoss()
# AdamW: Adam with decoupled weight decay
optimizer = torch.optim.AdamW(digits_model.parameters(), lr=2e-3, weight_decay=0.01)""",
    """\
EPOCHS = 20
BATCH = 48
train_losses, test_accs = [], []

for epoch in range(EPOCHS):
    digits_model.train()
    order = torch.randperm(X_train.shape[0], device=X_train.device)
    batch_losses = []
    for b in range(0, X_train.shape[0], BATCH):
        sel = order[b:b + BATCH]
        optimizer.zero_grad()
        loss = loss_fn(digits_model(X_train[sel]), y_train[sel])
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.detach())
    train_losses.append(torch.stack(batch_losses).mean().item())

    digits_model.eval()
    with torch.no_grad():
        test_accs.append(accuracy_fn(y_test, digits_model(X_test).argmax(dim=1)))
    if epoch % 5 == 0 or epoch == EPOCHS - 1:
        print(f"epoch {epoch:2d}  train loss {train_losses[-1]:.4f}  test acc {test_accs[-1]:.1f}%")""",
    """\
plt.plot(train_losses, label="training loss")
plt.plot([a / 100 for a in test_accs], label="test accuracy (fraction)")
plt.xlabel("epoch")
plt.legend()
plt.show()""",
    """\
digits_model.eval()
with torch.no_grad():
    test_pred = digits_model(X_test).argmax(1)
print("Test accuracy:", accuracy_fn(y_test, test_pred), "%")

wrong = torch.nonzero(test_pred != y_test).squeeze(1)[:8]
plt.figure(figsize=(10, 1.8))
for k, i in enumerate(wrong.tolist()):
    plt.subplot(1, 8, k + 1)
    plt.imshow(X_test[i, 0].cpu(), cmap="gray_r")
    plt.title(f"{y_test[i].item()} → {test_pred[i].item()}", fontsize=9)
    plt.axis("off")
plt.tight_layout()
plt.show()""",
), tags="none")

EMIL = Student("emil", (
    """\
X_digits = torch.tensor(digits.data.reshape(-1, 1, 8, 8), dtype=torch.float32) / 16
y_digits = torch.tensor(digits.target, dtype=torch.long)

X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
X_train = X_train.to(device); y_train = y_train.to(device)
X_test = X_test.to(device); y_test = y_test.to(device)
print(X_train.shape, y_train.shape)
print(X_test.shape, y_test.shape)""",
    """\
import torch.nn.functional as F

torch.manual_seed(2024)


class DigitsCNN(nn.Module):
    def __init__(self):
        super(DigitsCNN, self).__init__()
        self.conv_a = nn.Conv2d(1, 20, kernel_size=5, padding=2)  # 8x8 -> 8x8
        self.conv_b = nn.Conv2d(20, 40, kernel_size=3, padding=1)
        self.fc_a = nn.Linear(40 * 2 * 2, 80)
        self.fc_b = nn.Linear(80, 10)
        self.dropout = nn.Dropout(p=0.3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv_a(x)), 2)  # -> 4x4
        x = F.max_pool2d(F.relu(self.conv_b(x)), 2)  # -> 2x2
        x = x.view(x.size(0), -1)
        x = self.dropout(F.relu(self.fc_a(x)))
        return self.fc_b(x)


digits_model = DigitsCNN().to(device)
print(digits_model)""",
    """\
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(digits_model.parameters(), lr=0.05, momentum=0.9)""",
    """\
torch.manual_seed(2024)

num_epochs = 40
batch_size = 50
train_losses = []
test_accs = []
num_batches = (len(X_train) + batch_size - 1) // batch_size

for epoch in range(num_epochs):
    digits_model.train()
    permutation = torch.randperm(len(X_train))
    epoch_loss = 0
    for b in range(num_batches):
        indices = permutation[b * batch_size:(b + 1) * batch_size]
        inputs, targets = X_train[indices], y_train[indices]
        outputs = digits_model(inputs)
        loss = loss_fn(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
    train_losses.append(epoch_loss / num_batches)

    digits_model.eval()
    with torch.no_grad():
        predictions = digits_model(X_test).argmax(dim=1)
    test_accs.append(accuracy_fn(y_test, predictions))

    if (epoch + 1) % 5 == 0:
        print("Epoch %d | loss %.4f | test acc %.2f%%" % (epoch + 1, train_losses[-1], test_accs[-1]))""",
    """\
fig, axes = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
axes[0].plot(train_losses)
axes[0].set_ylabel("loss")
axes[1].plot(test_accs)
axes[1].set_ylabel("test accuracy (%)")
axes[1].set_xlabel("epoch")
plt.show()""",
    """\
digits_model.eval()
with torch.no_grad():
    logits = digits_model(X_test)
    test_pred = logits.argmax(dim=1)
print("Final test accuracy: %.2f%%" % accuracy_fn(y_test, test_pred))

misclassified = (test_pred != y_test).nonzero().view(-1)
fig, axes = plt.subplots(1, 8, figsize=(12, 2))
for j, ax in enumerate(axes):
    ax.axis("off")
    if j < len(misclassified):
        k = misclassified[j].item()
        ax.imshow(X_test[k].cpu().view(8, 8), cmap="gray_r")
        ax.set_title("%d → %d" % (y_test[k].item(), test_pred[k].item()))
plt.show()""",
), tags="exercise cells")

FATIMA = Student("fatima", (
    """\
X_digits = torch.Tensor(digits.images).reshape(len(digits.images), 1, 8, 8) / 16
y_digits = torch.LongTensor(digits.target)
X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
X_train, X_test = X_train.to(device), X_test.to(device)
y_train, y_test = y_train.to(device), y_test.to(device)
print(X_train.shape, X_test.shape, y_train.shape, y_test.shape)""",
    """\
torch.manual_seed(0)

# unpadded convolutions: 8x8 -> 6x6 -> 4x4
model = nn.Sequential(
    nn.Conv2d(1, 12, 3),
    nn.ReLU(),
    nn.Conv2d(12, 24, 3),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(24 * 4 * 4, 10),
).to(device)
print(model)""",
    """\
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.005)""",
    """\
torch.manual_seed(0)
train_losses, test_accs = [], []

for epoch in range(12):
    model.train()
    idx = torch.randperm(len(X_train))
    batch_losses = []
    for chunk in idx.split(16):
        loss = criterion(model(X_train[chunk]), y_train[chunk])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    train_losses.append(sum(batch_losses) / len(batch_losses))
    model.eval()
    with torch.no_grad():
        test_accs.append(accuracy_fn(y_test, model(X_test).argmax(1)))
    if epoch % 5 == 0:
        print(epoch, train_losses[-1], test_accs[-1])""",
    """\
plt.subplot(121); plt.plot(train_losses); plt.title("loss")
plt.subplot(122); plt.plot(test_accs); plt.title("test acc")
plt.show()""",
    """\
model.eval()
with torch.no_grad():
    test_pred = model(X_test).argmax(1)
print(accuracy_fn(y_test, test_pred))

errors = (test_pred != y_test).nonzero()[:8, 0]
for n, i in enumerate(errors):
    plt.subplot(1, 8, n + 1)
    plt.imshow(X_test[i, 0].cpu(), cmap="gray_r")
    plt.title(f"{y_test[i]} → {test_pred[i]}")
    plt.axis("off")
plt.show()""",
))

GUS = Student("gus", (
    """\
import numpy as np
from torch.utils.data import TensorDataset, DataLoader

pixels = digits.images.astype(np.float32) / 16.0
X_digits = torch.from_numpy(pixels).view(-1, 1, 8, 8)
y_digits = torch.from_numpy(digits.target.astype(np.int64))
X_train, X_test, Y_train, Y_test = train_test_split(X_digits, y_digits, test_size=0.2, random_state=42)
X_train, X_test, Y_train, Y_test = (t.to(device) for t in (X_train, X_test, Y_train, Y_test))
print("X_train", X_train.shape, "| X_test", X_test.shape, "| Y_train", Y_train.shape, "| Y_test", Y_test.shape)""",
    """\
torch.manual_seed(123)

class DigitsCNN(nn.Module):
    \"\"\"A LeNet-style network: tanh activations and average pooling.\"\"\"

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, kernel_size=3, padding=1), nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))

digits_model = DigitsCNN().to(device)
print(digits_model)""",
    """\
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
optimizer = torch.optim.Adam(digits_model.parameters(), lr=0.002)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)""",
    """\
torch.manual_seed(123)
loader = DataLoader(TensorDataset(X_train, Y_train), batch_size=32, shuffle=True)
train_losses, test_accs = [], []

for epoch in range(1, 26):
    digits_model.train()
    epoch_losses = []
    for X_batch, y_batch in loader:
        optimizer.zero_grad()
        batch_loss = loss_fn(digits_model(X_batch), y_batch)
        batch_loss.backward()
        optimizer.step()
        epoch_losses.append(batch_loss.item())
    scheduler.step()
    train_losses.append(float(np.mean(epoch_losses)))
    digits_model.eval()
    with torch.inference_mode():
        test_accs.append(accuracy_fn(Y_test, digits_model(X_test).argmax(dim=-1)))
    if epoch % 5 == 0:
        print(f"epoch {epoch} lr {scheduler.get_last_lr()[0]:.4f} loss {train_losses[-1]:.3f} test {test_accs[-1]:.1f}%")""",
    """\
epochs_seen = np.arange(1, len(train_losses) + 1)
fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3))
a.plot(epochs_seen, train_losses, marker="o")
a.set(xlabel="epoch", ylabel="loss", title="Training loss")
b.plot(epochs_seen, test_accs, marker="o", color="tab:green")
b.set(xlabel="epoch", ylabel="accuracy (%)", title="Test accuracy")
fig.tight_layout()
plt.show()""",
    """\
digits_model.eval()
with torch.inference_mode():
    y_pred = digits_model(X_test).argmax(dim=-1)
print(f"Accuracy on the test set: {accuracy_fn(Y_test, y_pred):.1f}%")

wrong = np.flatnonzero((y_pred != Y_test).cpu().numpy())[:8]
fig, axes = plt.subplots(1, 8, figsize=(9, 1.5))
for ax in axes:
    ax.set_axis_off()
for ax, i in zip(axes, wrong):
    ax.imshow(X_test[i].cpu().squeeze(0), cmap="gray_r")
    ax.set_title(f"{Y_test[i].item()} → {y_pred[i].item()}")
plt.show()""",
))

STUDENTS = (AMARA, BILAL, CHEN, DANA, EMIL, FATIMA, GUS)


def exercise_cell_indices(released: nbformat.NotebookNode) -> list[int]:
    """The indices of the released notebook's cells a student fills in."""
    found = [i for i, cell in enumerate(released.cells) if cell.cell_type == "code" and "# YOUR CODE HERE" in cell.source]
    assert len(found) == EXERCISE_CELLS, f"{RELEASED} has {len(found)} exercise cells, expected {EXERCISE_CELLS}"
    return found


def student_notebook(released: nbformat.NotebookNode, student: Student) -> nbformat.NotebookNode:
    """The released notebook with `student`'s exercise cells, its tags kept or dropped as they say."""
    nb = copy.deepcopy(released)
    indices = exercise_cell_indices(nb)
    for index, source in zip(indices, student.cells, strict=True):
        nb.cells[index].source = source
    if student.tags == "exercise cells":
        for index in indices:
            nb.cells[index].metadata.pop("tags", None)
    elif student.tags == "none":  # a copy through an editor that keeps no cell or notebook metadata
        for cell in nb.cells:
            cell.metadata = nbformat.NotebookNode()
        nb.metadata.pop("grader", None)
    return nb


def main() -> None:
    released = nbformat.read(RELEASED, as_version=4)
    for student in STUDENTS:
        path = HERE / f"{student.name}.ipynb"
        nbformat.write(student_notebook(released, student), path)
        print(f"wrote {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
