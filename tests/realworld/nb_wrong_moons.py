"""Wrong answers in the moons part (ex2–ex5): each notebook gets one thing wrong, the rest right."""

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

# --------------------------------------------------------------------------- linear-moons
# More Linear layers, no activation between them: still a straight line.

LINEAR_MOONS = Notebook("linear-moons", "colab", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    device
    """, result="'cuda'"),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    """),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            # three layers so it can learn the curve
            self.layer_1 = nn.Linear(in_features=2, out_features=10)
            self.layer_2 = nn.Linear(in_features=10, out_features=10)
            self.layer_3 = nn.Linear(in_features=10, out_features=1)

        def forward(self, x):
            return self.layer_3(self.layer_2(self.layer_1(x)))

    torch.manual_seed(42)
    model_1 = MoonModel().to(device)
    model_1
    """, result="""
    MoonModel(
      (layer_1): Linear(in_features=2, out_features=10, bias=True)
      (layer_2): Linear(in_features=10, out_features=10, bias=True)
      (layer_3): Linear(in_features=10, out_features=1, bias=True)
    )
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(params=model_1.parameters(), lr=0.1)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        correct = torch.eq(y_true, y_pred).sum().item()
        return (correct / len(y_pred)) * 100

    torch.manual_seed(42)
    epochs = 1000
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_test, y_test = X_test.to(device), y_test.to(device)

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
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 10), 0.7, 0.2457, 50.0, 88.6)),
    md("Stuck around 88 %. Maybe it needs more epochs, but I ran out of time."),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md("The linear trick doesn't work here at all, so this one has ReLUs."),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_stack = nn.Sequential(
                nn.Linear(2, 64),
                nn.ReLU(),
                nn.Linear(64, 64),
                nn.ReLU(),
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
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- relu-not-used
# The ReLU is created in __init__ but forward never calls it.

RELU_NOT_USED = Notebook("relu-not-used", "jupyter", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    n_samples = 1000
    X, y = make_moons(n_samples, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    len(X_train), len(X_test)
    """, result="(800, 200)"),
    md(H2),
    code("""
    class MoonModelV2(nn.Module):
        def __init__(self, hidden_units=10):
            super().__init__()
            self.layer_1 = nn.Linear(2, hidden_units)
            self.layer_2 = nn.Linear(hidden_units, hidden_units)
            self.layer_3 = nn.Linear(hidden_units, 1)
            self.relu = nn.ReLU()  # non-linear activation

        def forward(self, x):
            return self.layer_3(self.layer_2(self.layer_1(x)))

    torch.manual_seed(42)
    model_1 = MoonModelV2().to(device)
    model_1
    """, result="""
    MoonModelV2(
      (layer_1): Linear(in_features=2, out_features=10, bias=True)
      (layer_2): Linear(in_features=10, out_features=10, bias=True)
      (layer_3): Linear(in_features=10, out_features=1, bias=True)
      (relu): ReLU()
    )
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    torch.manual_seed(42)
    epochs = 1000
    for epoch in range(epochs):
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
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 10), 0.7, 0.2455, 50.0, 88.5, keep=12)),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        # from the ML cheatsheet: (e^z - e^-z) / (e^z + e^-z)
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(A, tanh(A), label="tanh")
    plt.plot(A, torch.tanh(A), "r:", label="torch.tanh")
    plt.legend();
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    torch.manual_seed(42)
    model_2 = nn.Sequential(
        nn.Linear(2, 32), nn.Tanh(),
        nn.Linear(32, 32), nn.Tanh(),
        nn.Linear(32, 3),
    ).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.02)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(800):
        model_2.train()
        logits = model_2(X_train)
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            model_2.eval()
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 800, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- sigmoid-only-output
# The only non-linearity is the sigmoid at the output (with BCELoss): the boundary is a straight line.

SIGMOID_ONLY_OUTPUT = Notebook("sigmoid-only-output", "vscode", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).float()
    y = torch.from_numpy(y).float()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 16)
            self.layer_2 = nn.Linear(16, 16)
            self.layer_3 = nn.Linear(16, 1)

        def forward(self, x):
            # sigmoid is the non-linear activation
            return torch.sigmoid(self.layer_3(self.layer_2(self.layer_1(x))))

    torch.manual_seed(42)
    model_0 = MoonModel().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCELoss()  # model already outputs probabilities
    optimizer = torch.optim.Adam(model_0.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return (y_true == y_pred).sum().item() / len(y_true) * 100

    torch.manual_seed(42)
    for epoch in range(1000):
        model_0.train()
        probs = model_0(X_train).squeeze()
        loss = loss_fn(probs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_0.eval()
        with torch.inference_mode():
            test_probs = model_0(X_test).squeeze()
            test_loss = loss_fn(test_probs, y_test)
        if epoch % 10 == 0:
            acc = accuracy_fn(y_train, torch.round(probs))
            test_acc = accuracy_fn(y_test, torch.round(test_probs))
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 10), 0.69, 0.245, 50.0, 88.0, keep=10)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        xx, yy = np.meshgrid(np.linspace(X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1, 101),
                             np.linspace(X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1, 101))
        grid = torch.from_numpy(np.c_[xx.ravel(), yy.ravel()]).float().to(device)
        model.eval()
        with torch.inference_mode():
            out = model(grid).cpu()
        if out.shape[1] == 1:
            z = torch.round(out)  # probabilities
        else:
            z = out.argmax(dim=1)
        plt.contourf(xx, yy, z.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)

    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_0, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1)

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(A, tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).float()
    y = torch.from_numpy(y).long()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))

        def forward(self, x):
            return self.net(x)

    torch.manual_seed(42)
    model_1 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    for epoch in range(1000):
        model_1.train()
        loss = loss_fn(model_1(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_1(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- too-few-epochs
# The right model, stopped after 100 epochs of SGD: about 80 % accurate.

TOO_FEW_EPOCHS = Notebook("too-few-epochs", "colab", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt

    device = "cuda" if torch.cuda.is_available() else "cpu"
    RANDOM_SEED = 42
    """),
    md(H1),
    code("""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(1000, noise=0.07, random_state=RANDOM_SEED)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=RANDOM_SEED)
    """),
    md(H2),
    code("""
    class MoonModelV0(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(in_features=2, out_features=10)
            self.layer2 = nn.Linear(in_features=10, out_features=10)
            self.layer3 = nn.Linear(in_features=10, out_features=1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer3(self.relu(self.layer2(self.relu(self.layer1(x)))))

    torch.manual_seed(RANDOM_SEED)
    model_1 = MoonModelV0().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(params=model_1.parameters(), lr=0.1)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        correct = torch.eq(y_true, y_pred).sum().item()
        return (correct / len(y_pred)) * 100

    torch.manual_seed(RANDOM_SEED)
    epochs = 100
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_test, y_test = X_test.to(device), y_test.to(device)

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
    """, out=epochs_log(EPOCH_LINE, range(0, 100, 10), 0.7, 0.39, 50.0, 80.5)),
    md("80% on the test set after 100 epochs, good enough I think."),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=RANDOM_SEED)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear_layer_stack = nn.Sequential(
                nn.Linear(2, 128),
                nn.ReLU(),
                nn.Linear(128, 3),
            )

        def forward(self, x):
            return self.linear_layer_stack(x)

    torch.manual_seed(RANDOM_SEED)
    model_2 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.005)

    for epoch in range(1000):
        model_2.train()
        y_logits = model_2(X_train)
        loss = loss_fn(y_logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            model_2.eval()
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.034, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- every-100-epochs
# A good model, but the training loop reports every 100 epochs instead of every 10.

EVERY_100_EPOCHS = Notebook("every-100-epochs", "jupyter", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 10)
            self.layer_2 = nn.Linear(10, 10)
            self.layer_3 = nn.Linear(10, 1)
            self.relu = nn.ReLU()

        def forward(self, x):
            x = self.relu(self.layer_1(x))
            x = self.relu(self.layer_2(x))
            return self.layer_3(x)

    torch.manual_seed(42)
    model_1 = MoonModel().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model_1.parameters(), lr=0.1)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    torch.manual_seed(42)
    epochs = 1000
    for epoch in range(epochs):
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
        # print out what's happening
        if epoch % 100 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 100), 0.7, 0.024, 50.0, 99.75)),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 0.1)
    plt.plot(A, tanh(A))
    plt.plot(A, torch.tanh(A), "--");
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 64)
            self.layer_2 = nn.Linear(64, 64)
            self.layer_3 = nn.Linear(64, 3)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))

    torch.manual_seed(42)
    model_2 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1000):
        model_2.train()
        y_logits = model_2(X_train)
        loss = loss_fn(y_logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            model_2.eval()
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- mse-loss
# MSELoss between sigmoid(logits) and the labels: it trains, but it is not binary cross-entropy.

MSE_LOSS = Notebook("mse-loss", "colab", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(2, 10), nn.ReLU(),
                nn.Linear(10, 10), nn.ReLU(),
                nn.Linear(10, 1),
            )

        def forward(self, x):
            return self.layers(x)

    torch.manual_seed(42)
    model_1 = MoonModel().to(device)
    """),
    md(H3),
    code("""
    # squared error between the predicted probability and the 0/1 label
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    torch.manual_seed(42)
    for epoch in range(800):
        model_1.train()
        y_logits = model_1(X_train).squeeze()
        y_probs = torch.sigmoid(y_logits)
        loss = loss_fn(y_probs, y_train)
        acc = accuracy_fn(y_train, torch.round(y_probs))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_probs = torch.sigmoid(model_1(X_test).squeeze())
            test_loss = loss_fn(test_probs, y_test)
            test_acc = accuracy_fn(y_test, torch.round(test_probs))
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 800, 10), 0.25, 0.0005, 50.0, 100.0)),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    torch.manual_seed(42)
    model_2 = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    for epoch in range(1000):
        model_2.train()
        loss = loss_fn(model_2(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- ce-one-logit
# CrossEntropyLoss on a one-logit model (squeezed): it runs, and even separates the moons, but the
# loss is a softmax over the whole batch, not a binary cross-entropy.

CE_ONE_LOGIT = Notebook("ce-one-logit", "jupyter", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 10)
            self.layer_2 = nn.Linear(10, 10)
            self.layer_3 = nn.Linear(10, 1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))

    torch.manual_seed(42)
    model_1 = MoonModel().to(device)
    """),
    md(H3),
    code("""
    # cross entropy is the classification loss
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    torch.manual_seed(42)
    for epoch in range(1000):
        model_1.train()
        y_logits = model_1(X_train).squeeze()
        loss = loss_fn(y_logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test).squeeze()
            test_loss = loss_fn(test_logits, y_test)
        if epoch % 10 == 0:
            acc = accuracy_fn(y_train, torch.round(torch.sigmoid(y_logits)))
            test_acc = accuracy_fn(y_test, torch.round(torch.sigmoid(test_logits)))
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 10), 2700.0, 2396.7, 50.0, 100.0, keep=10)),
    md("The loss numbers are huge but the accuracy is 100 % so I guess it's fine?"),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return 1 - 2 / (torch.exp(2 * x) + 1)

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 64)
            self.layer_2 = nn.Linear(64, 64)
            self.layer_3 = nn.Linear(64, 3)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))

    torch.manual_seed(42)
    model_2 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    for epoch in range(1000):
        model_2.train()
        loss = loss_fn(model_2(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_2(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- stale-optimizer
# The training cell makes a fresh model but keeps the optimizer of the old one: nothing is trained.

STALE_OPTIMIZER = Notebook("stale-optimizer", "vscode", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self, hidden=16):
            super().__init__()
            self.layer_1 = nn.Linear(2, hidden)
            self.layer_2 = nn.Linear(hidden, hidden)
            self.layer_3 = nn.Linear(hidden, 1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))

    model_0 = MoonModel().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_0.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return (y_true == y_pred).sum().item() / len(y_true) * 100
    """),
    code("""
    # start from the same weights every time the cell is run
    torch.manual_seed(42)
    model_0 = MoonModel().to(device)

    for epoch in range(400):
        model_0.train()
        y_logits = model_0(X_train).squeeze()
        loss = loss_fn(y_logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_0.eval()
        with torch.inference_mode():
            test_logits = model_0(X_test).squeeze()
            test_loss = loss_fn(test_logits, y_test)
        if epoch % 10 == 0:
            acc = accuracy_fn(y_train, torch.round(torch.sigmoid(y_logits)))
            test_acc = accuracy_fn(y_test, torch.round(torch.sigmoid(test_logits)))
            print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test loss: {test_loss:.4f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test loss: {test_loss:.4f}, Test acc: {test_acc:.2f}%",
                        range(0, 400, 10), 0.6944, 0.6944, 50.0, 50.0)),
    md("The loss doesn't move... I'll come back to this."),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_0, X_test, y_test)
    """, figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    torch.manual_seed(42)
    model_1 = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3)).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    for epoch in range(1000):
        model_1.train()
        loss = loss_fn(model_1(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, model_1(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log(SPIRALS_LOG, range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS),
])

# --------------------------------------------------------------------------- old-torchmetrics
# Written against torchmetrics 0.x: Accuracy() without `task` raises in torchmetrics 1.x, so both
# training loops stop at their first step (the saved outputs are from the student's older setup).

OLD_TORCHMETRICS = Notebook("old-torchmetrics", "colab", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt

    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(device)
    RANDOM_SEED = 42
    """, out="cuda", count=1),
    md(H1),
    code("""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(n_samples=1000, noise=0.07, random_state=RANDOM_SEED)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=RANDOM_SEED)
    len(X_train), len(X_test)
    """, result="(800, 200)", count=2),
    md(H2),
    code("""
    class MoonModelV0(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(in_features=2, out_features=10)
            self.layer2 = nn.Linear(in_features=10, out_features=10)
            self.layer3 = nn.Linear(in_features=10, out_features=1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer3(self.relu(self.layer2(self.relu(self.layer1(x)))))

    torch.manual_seed(RANDOM_SEED)
    model_1 = MoonModelV0().to(device)
    """, count=3),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(params=model_1.parameters(), lr=0.2)
    """, count=4),
    md(H4),
    code("""
    !pip -q install torchmetrics
    from torchmetrics import Accuracy

    acc_fn = Accuracy().to(device)
    acc_fn
    """, result="Accuracy()", count=5),
    code("""
    torch.manual_seed(RANDOM_SEED)
    epochs = 800
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_test, y_test = X_test.to(device), y_test.to(device)

    for epoch in range(epochs):
        model_1.train()
        y_logits = model_1(X_train).squeeze()
        y_pred = torch.round(torch.sigmoid(y_logits))
        loss = loss_fn(y_logits, y_train)
        acc = acc_fn(y_pred, y_train.int())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test).squeeze()
            test_pred = torch.round(torch.sigmoid(test_logits))
            test_loss = loss_fn(test_logits, y_test)
            test_acc = acc_fn(test_pred, y_test.int())
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f} | Test loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f} | Test loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}",
                        range(0, 800, 10), 0.7, 0.0073, 0.5, 1.0), count=6),
    md(H5),
    code(PASTED_PLOT_HELPER, count=7),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure=TWO_PANELS, count=8),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(tanh(A));
    """, figure=ONE_AXES, count=9),
    md(H7),
    code(CS231N_SPIRALS, figure=ONE_AXES, count=10),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=RANDOM_SEED)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """, count=11),
    code("""
    class SpiralModelV0(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_stack = nn.Sequential(
                nn.Linear(2, 64), nn.ReLU(),
                nn.Linear(64, 64), nn.ReLU(),
                nn.Linear(64, 3),
            )

        def forward(self, x):
            return self.layer_stack(x)

    torch.manual_seed(RANDOM_SEED)
    model_2 = SpiralModelV0().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    """, count=12),
    code("""
    acc_fn = Accuracy(num_classes=3).to(device)
    """, count=13),
    code("""
    for epoch in range(1000):
        model_2.train()
        y_logits = model_2(X_train)
        y_pred = torch.softmax(y_logits, dim=1).argmax(dim=1)
        loss = loss_fn(y_logits, y_train)
        acc = acc_fn(y_pred, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}", range(0, 1000, 100), 1.1, 0.014, 0.33, 1.0),
         count=14),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure=TWO_PANELS, count=15),
])

NOTEBOOKS = [LINEAR_MOONS, RELU_NOT_USED, SIGMOID_ONLY_OUTPUT, TOO_FEW_EPOCHS, EVERY_100_EPOCHS, MSE_LOSS,
             CE_ONE_LOGIT, STALE_OPTIMIZER, OLD_TORCHMETRICS]
