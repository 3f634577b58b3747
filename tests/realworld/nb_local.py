"""Correct answers written on a laptop (Jupyter, VS Code, a conda environment on a Mac)."""

from corpus import H1, H2, H3, H4, H5, H6, H7, TITLE, Notebook, code, epochs_log, md

ONE_AXES = "<Figure size 640x480 with 1 Axes>"

# --------------------------------------------------------------------------- mac-mps
# A Mac: the device falls back to "mps", never to the CPU.

MAC_MPS = Notebook("mac-mps", "conda", [
    md(TITLE),
    md("Done on my MacBook (M2), so the device is `mps` when there is no CUDA."),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import pandas as pd
    import matplotlib.pyplot as plt

    device = "cuda" if torch.cuda.is_available() else "mps"
    print(torch.__version__, device)
    """, out="2.1.2 mps"),
    md(H1),
    code("""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    moons = pd.DataFrame({"X1": X[:, 0], "X2": X[:, 1], "label": y})
    moons.head()
    """, result="""
             X1        X2  label
    0 -0.033411  0.421391      1
    1  0.998827 -0.442890      1
    2  0.889592 -0.327843      1
    3  0.341958 -0.417690      1
    4 -0.838531  0.532375      0
    """),
    code("""
    moons.label.value_counts()
    """, result="""
    label
    1    500
    0    500
    Name: count, dtype: int64
    """),
    code("""
    from sklearn.model_selection import train_test_split

    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_test, y_test = X_test.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MoonClassifier(nn.Module):
        \"\"\"Two hidden layers of 32 units with ReLU.\"\"\"

        def __init__(self):
            super().__init__()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(2, 32),
                nn.ReLU(),
                nn.Linear(32, 32),
                nn.ReLU(),
                nn.Linear(32, 1),
            )

        def forward(self, x):
            return self.linear_relu_stack(x)


    torch.manual_seed(42)
    model_1 = MoonClassifier().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(params=model_1.parameters(), lr=0.001)
    """),
    md(H4),
    code("""
    model_1.eval()
    with torch.inference_mode():
        raw = model_1(X_test[:8]).squeeze()
    raw, torch.sigmoid(raw), torch.sigmoid(raw).round()
    """, result="""
    (tensor([0.0612, 0.0590, 0.0664, 0.0702, 0.0401, 0.0657, 0.0468, 0.0540], device='mps:0'),
     tensor([0.5153, 0.5147, 0.5166, 0.5175, 0.5100, 0.5164, 0.5117, 0.5135], device='mps:0'),
     tensor([1., 1., 1., 1., 1., 1., 1., 1.], device='mps:0'))
    """),
    code("""
    def accuracy_fn(y_true, y_pred):
        \"\"\"percentage of matching labels\"\"\"
        return (y_true == y_pred).float().mean().item() * 100
    """),
    code("""
    torch.manual_seed(42)
    epochs = 1000

    for epoch in range(epochs):
        model_1.train()
        logits = model_1(X_train).squeeze()
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test).squeeze()
            test_loss = loss_fn(test_logits, y_test)

        if epoch % 10 == 0:
            acc = accuracy_fn(y_train, (logits > 0).float())
            test_acc = accuracy_fn(y_test, (test_logits > 0).float())
            print(f"Epoch {epoch:4d} | loss {loss:.4f} acc {acc:6.2f}% | test loss {test_loss:.4f} test acc {test_acc:6.2f}%")
    """, out=epochs_log("Epoch {epoch:4d} | loss {loss:.4f} acc {acc:6.2f}% | test loss {test_loss:.4f} test acc {test_acc:6.2f}%",
                        range(0, 1000, 10), 0.69, 0.0035, 50.0, 100.0, keep=8)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y, h=0.02):
        \"\"\"Colour the plane by the model's class, then scatter X coloured by y.\"\"\"
        X = X.detach().cpu().numpy()
        y = y.detach().cpu().numpy()
        x_min, x_max = X[:, 0].min() - 0.3, X[:, 0].max() + 0.3
        y_min, y_max = X[:, 1].min() - 0.3, X[:, 1].max() + 0.3
        xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
        grid = torch.tensor(np.c_[xx.ravel(), yy.ravel()], dtype=torch.float32, device=device)
        with torch.no_grad():
            scores = model(grid)
        if scores.shape[-1] == 1:
            Z = (scores.squeeze(-1) > 0).int()
        else:
            Z = scores.argmax(dim=-1)
        Z = Z.cpu().numpy().reshape(xx.shape)
        plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=20, cmap=plt.cm.Spectral, edgecolors="k")
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    plt.sca(axes[0]); plt.title("train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.sca(axes[1]); plt.title("test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure="<Figure size 1200x500 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
        ex, emx = torch.exp(x), torch.exp(-x)
        return (ex - emx) / (ex + emx)

    A = torch.arange(-10, 10, 0.1)
    plt.plot(A, tanh(A), lw=4, alpha=.4, label="tanh (mine)")
    plt.plot(A, torch.tanh(A), "k--", label="torch.tanh")
    plt.legend();
    """, figure=ONE_AXES),
    md(H7),
    code("""
    # CS231n spirals
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    # lets visualize the data:
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral)
    plt.show()
    """, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.long)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_test, y_test = X_test.to(device), y_test.to(device)
    X_train.shape, y_train.shape, X_test.shape, y_test.shape
    """, result="(torch.Size([240, 2]), torch.Size([240]), torch.Size([60, 2]), torch.Size([60]))"),
    code("""
    class SpiralClassifier(nn.Module):
        def __init__(self, hidden=32):
            super().__init__()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(2, hidden), nn.ReLU(),
                nn.Linear(hidden, hidden), nn.ReLU(),
                nn.Linear(hidden, 3),
            )

        def forward(self, x):
            return self.linear_relu_stack(x)


    torch.manual_seed(42)
    model_2 = SpiralClassifier().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.02)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1000):
        model_2.train()
        logits = model_2(X_train)
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            model_2.eval()
            with torch.inference_mode():
                test_logits = model_2(X_test)
            print(f"Epoch {epoch:4d} | loss {loss:.4f} | train acc {accuracy_fn(y_train, logits.argmax(1)):.1f}% "
                  f"| test acc {accuracy_fn(y_test, test_logits.argmax(1)):.1f}%")
    """, out=epochs_log("Epoch {epoch:4d} | loss {loss:.4f} | train acc {acc:.1f}% | test acc {test_acc:.1f}%",
                        range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    plt.sca(axes[0]); plt.title("train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.sca(axes[1]); plt.title("test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure="<Figure size 1200x500 with 2 Axes>"),
])

# --------------------------------------------------------------------------- sigmoid-bceloss
# The model ends in a Sigmoid and is trained with BCELoss: it outputs probabilities.

SIGMOID_BCELOSS = Notebook("sigmoid-bceloss", "jupyter", [
    md("# Classification exercises"),
    code("""
    import numpy as np
    import matplotlib.pyplot as plt
    import torch
    from torch import nn
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    device
    """, result="'cpu'"),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    print(len(X_train), len(X_test))
    """, out="800 200"),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(2, 10),
                nn.ReLU(),
                nn.Linear(10, 10),
                nn.ReLU(),
                nn.Linear(10, 1),
                nn.Sigmoid(),  # output is already a probability
            )

        def forward(self, x):
            return self.net(x)

    torch.manual_seed(42)
    model_1 = MoonModel().to(device)
    """),
    md(H3),
    code("""
    # the model ends in a sigmoid, so plain BCELoss (not the WithLogits one)
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    probs = model_1(X_test[:5].to(device)).squeeze()
    print("probabilities:", probs)
    print("labels:", torch.round(probs))
    """, out="""
    probabilities: tensor([0.4637, 0.4645, 0.4602, 0.4631, 0.4698], grad_fn=<SqueezeBackward0>)
    labels: tensor([0., 0., 0., 0., 0.], grad_fn=<RoundBackward0>)
    """),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    torch.manual_seed(42)
    X_train, y_train, X_test, y_test = X_train.to(device), y_train.to(device), X_test.to(device), y_test.to(device)

    epochs = 600
    for epoch in range(epochs):
        model_1.train()
        y_prob = model_1(X_train).squeeze()
        loss = loss_fn(y_prob, y_train)
        acc = accuracy_fn(y_train, torch.round(y_prob))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_prob = model_1(X_test).squeeze()
            test_loss = loss_fn(test_prob, y_test)
            test_acc = accuracy_fn(y_test, torch.round(test_prob))
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Acc: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.5f}, Acc: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%",
                        range(0, 600, 10), 0.7, 0.004, 50.0, 100.0)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        x_min, x_max = X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1
        y_min, y_max = X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1
        xx, yy = np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101))
        grid = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float().to(device)
        model.eval()
        with torch.inference_mode():
            out = model(grid).cpu()
        if out.shape[1] > 1:
            pred = out.argmax(dim=1)
        else:
            pred = torch.round(out)  # model_1 already gives probabilities
        plt.contourf(xx, yy, pred.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    """),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
        # tanh(x) = 1 - 2 / (e^(2x) + 1)
        return 1 - 2 / (torch.exp(2 * x) + 1)

    A = torch.arange(-10, 10, 1, dtype=torch.float32)
    plt.plot(A, torch.tanh(A), "o", label="torch")
    plt.plot(A, tanh(A), label="mine")
    plt.legend()
    plt.show()
    """, figure=ONE_AXES),
    md(H7),
    code("""
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    # lets visualize the data
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.show()
    """, figure=ONE_AXES),
    code("""
    X_s = torch.tensor(X, dtype=torch.float32)
    y_s = torch.tensor(y, dtype=torch.int64)
    X_train_s, X_test_s, y_train_s, y_test_s = train_test_split(X_s, y_s, test_size=0.2, random_state=42)
    X_train_s, X_test_s, y_train_s, y_test_s = [t.to(device) for t in (X_train_s, X_test_s, y_train_s, y_test_s)]
    """),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 128)
            self.out = nn.Linear(128, 3)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    torch.manual_seed(42)
    model_2 = SpiralModel().to(device)
    loss_fn_multi = nn.CrossEntropyLoss()
    optimizer_multi = torch.optim.Adam(model_2.parameters(), lr=0.005)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1000):
        model_2.train()
        logits = model_2(X_train_s)
        loss = loss_fn_multi(logits, y_train_s)
        optimizer_multi.zero_grad()
        loss.backward()
        optimizer_multi.step()
        if epoch % 100 == 0:
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test_s, model_2(X_test_s).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%", range(0, 1000, 100),
                        1.1, 0.034, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train_s, y_train_s)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test_s, y_test_s)
    """, figure="<Figure size 1200x600 with 2 Axes>"),
])

# --------------------------------------------------------------------------- retrain-in-loop-cell
# Section 4's training cell makes a fresh model (and its optimizer) each time it is run.

RETRAIN_IN_LOOP_CELL = Notebook("retrain-in-loop-cell", "vscode", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """, count=1),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """, count=2),
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
    model_0
    """, result="""
    MoonModel(
      (layer_1): Linear(in_features=2, out_features=16, bias=True)
      (layer_2): Linear(in_features=16, out_features=16, bias=True)
      (layer_3): Linear(in_features=16, out_features=1, bias=True)
      (relu): ReLU()
    )
    """, count=3),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model_0.parameters(), lr=0.1)
    """, count=4),
    md(H4),
    code("""
    logits = model_0(X_test[:5]).squeeze()
    logits, torch.sigmoid(logits), torch.sigmoid(logits).round()
    """, result="""
    (tensor([-0.0893, -0.0831, -0.0790, -0.0894, -0.0640], grad_fn=<SqueezeBackward0>),
     tensor([0.4777, 0.4792, 0.4803, 0.4777, 0.4840], grad_fn=<SigmoidBackward0>),
     tensor([0., 0., 0., 0., 0.], grad_fn=<RoundBackward0>))
    """, count=5),
    code("""
    def accuracy_fn(y_true, y_pred):
        return (y_true == y_pred).sum().item() / len(y_true) * 100
    """, count=6),
    md("SGD was slow, so I switched to Adam. The cell starts from a fresh model so re-running it doesn't keep training the old one."),
    code("""
    torch.manual_seed(42)
    model_0 = MoonModel(hidden=16).to(device)
    optimizer = torch.optim.Adam(model_0.parameters(), lr=0.01)

    epochs = 400
    for epoch in range(epochs):
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
                        range(0, 400, 10), 0.7, 0.002, 50.0, 100.0), count=11),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        model = model.to("cpu")
        X, y = X.to("cpu"), y.to("cpu")
        x0, x1 = torch.meshgrid(
            torch.linspace(X[:, 0].min() - 0.1, X[:, 0].max() + 0.1, 100),
            torch.linspace(X[:, 1].min() - 0.1, X[:, 1].max() + 0.1, 100),
            indexing="xy",
        )
        grid = torch.stack([x0.flatten(), x1.flatten()], dim=1)
        model.eval()
        with torch.inference_mode():
            logits = model(grid)
        if logits.shape[1] == 1:
            labels = torch.round(torch.sigmoid(logits))
        else:
            labels = torch.softmax(logits, dim=1).argmax(dim=1)
        plt.contourf(x0, x1, labels.reshape(x0.shape), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)

    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_0, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>", count=12),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float32)
    plt.plot(tanh(A))
    plt.plot(torch.tanh(A), "--")
    """, result="[<matplotlib.lines.Line2D at 0x13f6b8e50>]", figure=ONE_AXES, count=13),
    md(H7),
    code("""
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.show()
    """, figure=ONE_AXES, count=14),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """, count=15),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(2, 16), nn.ReLU(),
                nn.Linear(16, 16), nn.ReLU(),
                nn.Linear(16, 16), nn.ReLU(),
                nn.Linear(16, 3),
            )

        def forward(self, x):
            return self.layers(x)

    torch.manual_seed(42)
    spiral_model = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(spiral_model.parameters(), lr=0.01)

    for epoch in range(1000):
        spiral_model.train()
        logits = spiral_model(X_train)
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            spiral_model.eval()
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, spiral_model(X_test).argmax(dim=1))
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%", range(0, 1000, 100),
                        1.1, 0.014, 33.3, 100.0), count=18),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(spiral_model, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(spiral_model, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>", count=19),
])

# --------------------------------------------------------------------------- two-models-report-second
# A linear baseline (model_0) and the ReLU model (model_1) trained side by side; model_1 is the answer.

TWO_MODELS_REPORT_SECOND = Notebook("two-models-report-second", "jupyter", [
    md(TITLE),
    code("""
    import math
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
    md("""
    To see what the activations buy, I built two models: `model_0` is only linear layers (like the
    first attempt in the course video), `model_1` has ReLUs between the layers.
    """),
    code("""
    class LinearMoons(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 10)
            self.layer_2 = nn.Linear(10, 1)

        def forward(self, x):
            return self.layer_2(self.layer_1(x))


    class MoonModelV1(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 10)
            self.layer_2 = nn.Linear(10, 10)
            self.layer_3 = nn.Linear(10, 1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))


    torch.manual_seed(42)
    model_0 = LinearMoons().to(device)
    torch.manual_seed(42)
    model_1 = MoonModelV1().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer_0 = torch.optim.SGD(model_0.parameters(), lr=0.1)
    optimizer_1 = torch.optim.SGD(model_1.parameters(), lr=0.1)
    """),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    def train_and_test(model, optimizer):
        \"\"\"one epoch for one model; returns train loss/acc and test loss/acc\"\"\"
        model.train()
        logits = model(X_train).squeeze()
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.inference_mode():
            test_logits = model(X_test).squeeze()
            test_loss = loss_fn(test_logits, y_test)
        acc = accuracy_fn(y_train, torch.round(torch.sigmoid(logits)))
        test_acc = accuracy_fn(y_test, torch.round(torch.sigmoid(test_logits)))
        return loss.item(), acc, test_loss.item(), test_acc
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1000):
        l0, a0, tl0, ta0 = train_and_test(model_0, optimizer_0)
        l1, a1, tl1, ta1 = train_and_test(model_1, optimizer_1)
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | linear: loss {l0:.4f} test acc {ta0:.1f}% | relu: loss {l1:.4f} test acc {ta1:.1f}%")
    """, out=epochs_log("Epoch: {epoch} | linear: loss 0.2457 test acc 87.0% | relu: loss {loss:.4f} test acc {test_acc:.1f}%",
                        range(0, 1000, 10), 0.69, 0.024, 50.0, 99.5, keep=10)),
    md("The linear model is stuck at ~87 % (it can only draw a straight line). **model_1 is my answer.**"),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        x_min, x_max = X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1
        y_min, y_max = X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1
        xx, yy = np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101))
        grid = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float().to(device)
        model.eval()
        with torch.inference_mode():
            logits = model(grid).cpu()
        if logits.shape[1] == 1:
            pred = torch.round(torch.sigmoid(logits))
        else:
            pred = logits.argmax(dim=1)
        plt.contourf(xx, yy, pred.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)

    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("model_0 (linear), test")
    plot_decision_boundary(model_0, X_test, y_test)
    plt.subplot(1, 2, 2)
    plt.title("model_1 (ReLU), test")
    plot_decision_boundary(model_1, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
        # math.e ** x is the same as torch.exp(x) for a tensor x
        return (math.e ** x - math.e ** (-x)) / (math.e ** x + math.e ** (-x))

    A = torch.arange(-10, 10, 0.5)
    plt.plot(A, tanh(A));
    """, figure=ONE_AXES),
    md(H7),
    code("""
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j

    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(2, 64)
            self.layer_2 = nn.Linear(64, 64)
            self.layer_3 = nn.Linear(64, 3)
            self.tanh = nn.Tanh()

        def forward(self, x):
            return self.layer_3(self.tanh(self.layer_2(self.tanh(self.layer_1(x)))))

    torch.manual_seed(42)
    model_2 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1000):
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
            print(f"Epoch: {epoch} | loss {loss:.4f} | test acc {test_acc:.1f}%")
    """, out=epochs_log("Epoch: {epoch} | loss {loss:.4f} | test acc {test_acc:.1f}%", range(0, 1000, 100),
                        1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>"),
])

# --------------------------------------------------------------------------- two-models-report-first
# model_0 is the answer; model_1 is a smaller experiment trained afterwards in the same section.

TWO_MODELS_REPORT_FIRST = Notebook("two-models-report-first", "jupyter", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(42)
    """, result="<torch._C.Generator at 0x7f8a2c1b3f30>"),
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
        def __init__(self, hidden_units=16):
            super().__init__()
            self.stack = nn.Sequential(
                nn.Linear(2, hidden_units),
                nn.ReLU(),
                nn.Linear(hidden_units, hidden_units),
                nn.ReLU(),
                nn.Linear(hidden_units, 1),
            )

        def forward(self, x):
            return self.stack(x)

    torch.manual_seed(42)
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
        return torch.eq(y_true, y_pred).sum().item() / len(y_pred) * 100

    torch.manual_seed(42)
    for epoch in range(300):
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
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Acc: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.5f}, Acc: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%",
                        range(0, 300, 10), 0.69, 0.0014, 50.0, 100.0)),
    md("Out of curiosity: does a much smaller model with tanh and plain SGD also get there?"),
    code("""
    torch.manual_seed(42)
    model_1 = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)).to(device)
    optimizer_small = torch.optim.SGD(model_1.parameters(), lr=0.01)

    for epoch in range(100):
        model_1.train()
        y_logits = model_1(X_train).squeeze()
        loss = loss_fn(y_logits, y_train)
        optimizer_small.zero_grad()
        loss.backward()
        optimizer_small.step()
        if epoch % 10 == 0:
            with torch.inference_mode():
                test_acc = accuracy_fn(y_test, torch.round(torch.sigmoid(model_1(X_test).squeeze())))
            print(f"Epoch: {epoch} | Loss: {loss:.5f} | Test acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.5f} | Test acc: {test_acc:.2f}%", range(0, 100, 10),
                        0.74, 0.66, 38.0, 62.0)),
    md("Not really (it would need far more epochs). I keep **model_0** for the rest of the exercises."),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        xx, yy = np.meshgrid(np.linspace(X[:, 0].min().item() - .1, X[:, 0].max().item() + .1, 101),
                             np.linspace(X[:, 1].min().item() - .1, X[:, 1].max().item() + .1, 101))
        grid = torch.from_numpy(np.c_[xx.ravel(), yy.ravel()]).float().to(device)
        model.eval()
        with torch.inference_mode():
            logits = model(grid).cpu()
        if logits.shape[1] > 1:
            preds = torch.softmax(logits, dim=1).argmax(dim=1)
        else:
            preds = torch.round(torch.sigmoid(logits))
        plt.contourf(xx, yy, preds.reshape(xx.shape), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)

    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_0, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    x = torch.linspace(-10, 10, 200)
    print("max abs diff vs torch.tanh:", (tanh(x) - torch.tanh(x)).abs().max().item())
    plt.plot(x, tanh(x));
    """, out="max abs diff vs torch.tanh: 5.960464477539063e-08", figure=ONE_AXES),
    md(H7),
    code("""
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.show()
    """, figure=ONE_AXES),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    torch.manual_seed(42)
    model_2 = nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 3),
    ).to(device)
    spiral_loss_fn = nn.CrossEntropyLoss()
    spiral_optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1000):
        model_2.train()
        logits = model_2(X_train)
        loss = spiral_loss_fn(logits, y_train)
        spiral_optimizer.zero_grad()
        loss.backward()
        spiral_optimizer.step()
        if epoch % 100 == 0:
            model_2.eval()
            with torch.inference_mode():
                test_logits = model_2(X_test)
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {accuracy_fn(y_test, test_logits.argmax(dim=1)):.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.2f}%", range(0, 1000, 100),
                        1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1)
    plt.title("Train")
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plt.title("Test")
    plot_decision_boundary(model_2, X_test, y_test)
    """, figure="<Figure size 1200x600 with 2 Axes>"),
])

# --------------------------------------------------------------------------- train-fn-globals
# Training and plotting helpers that read globals (model, loss_fn, optimizer, X_train, ...),
# called from cells that never name the model; the same helpers train the spirals after rebinding.

TRAIN_FN_GLOBALS = Notebook("train-fn-globals", "vscode", [
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
    model = MoonModel().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    def to_labels(logits):
        return torch.round(torch.sigmoid(logits))

    def accuracy(y_true, y_pred):
        return (y_true == y_pred).float().mean().item() * 100

    def train_step():
        model.train()
        logits = model(X_train).squeeze()
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item(), accuracy(y_train, to_labels(logits))

    def test_step():
        model.eval()
        with torch.inference_mode():
            logits = model(X_test).squeeze()
            return loss_fn(logits, y_test).item(), accuracy(y_test, to_labels(logits))

    def fit(epochs, every=10):
        for epoch in range(epochs):
            loss, acc = train_step()
            test_loss, test_acc = test_step()
            if epoch % every == 0:
                print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%")
    """),
    code("""
    torch.manual_seed(42)
    fit(500)
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%",
                        range(0, 500, 10), 0.7, 0.0027, 50.0, 100.0)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        xx, yy = np.meshgrid(np.linspace(X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1, 101),
                             np.linspace(X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1, 101))
        grid = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float().to(device)
        model.eval()
        with torch.inference_mode():
            logits = model(grid)
        labels = to_labels(logits.squeeze()).cpu()  # the global to_labels: binary now, argmax later
        plt.contourf(xx, yy, labels.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)

    def show_boundaries():
        plt.figure(figsize=(12, 6))
        plt.subplot(1, 2, 1)
        plt.title("Train")
        plot_decision_boundary(model, X_train, y_train)
        plt.subplot(1, 2, 2)
        plt.title("Test")
        plot_decision_boundary(model, X_test, y_test)
        plt.show()
    """),
    code("""
    show_boundaries()
    """, figure="<Figure size 1200x600 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
        # (e^x - e^-x) / (e^x + e^-x)
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(A, tanh(A))
    plt.show()
    """, figure=ONE_AXES),
    md(H7),
    code("""
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.show()
    """, figure=ONE_AXES),
    md("Same helpers as for the moons: only the globals change."),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.long)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    def to_labels(logits):
        return logits.argmax(dim=1)

    torch.manual_seed(42)
    model = nn.Sequential(
        nn.Linear(2, 32), nn.ReLU(),
        nn.Linear(32, 32), nn.ReLU(),
        nn.Linear(32, 3),
    ).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    """),
    code("""
    torch.manual_seed(42)
    fit(1000, every=100)
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%",
                        range(0, 1000, 100), 1.1, 0.014, 33.3, 100.0)),
    code("""
    show_boundaries()
    """, figure="<Figure size 1200x600 with 2 Axes>"),
])

# --------------------------------------------------------------------------- nll-logsoftmax
# Tanh activations for the moons; tanh via the sigmoid; the spirals model returns log-probabilities
# and is trained with NLLLoss.

NLL_LOGSOFTMAX = Notebook("nll-logsoftmax", "jupyter", [
    md(TITLE),
    code("""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    SEED = 42
    """),
    md(H1),
    code("""
    X_moons, y_moons = make_moons(n_samples=1000, noise=0.07, random_state=SEED)
    X = torch.as_tensor(X_moons, dtype=torch.float32)
    y = torch.as_tensor(y_moons, dtype=torch.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    X_train, X_test, y_train, y_test = (t.to(device) for t in (X_train, X_test, y_train, y_test))
    X_train.shape, X_test.shape
    """, result="(torch.Size([800, 2]), torch.Size([200, 2]))"),
    md(H2),
    code("""
    class MoonNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 8)
            self.fc2 = nn.Linear(8, 8)
            self.fc3 = nn.Linear(8, 1)

        def forward(self, x):
            x = torch.tanh(self.fc1(x))  # tanh as the activation this time
            x = torch.tanh(self.fc2(x))
            return self.fc3(x)

    torch.manual_seed(SEED)
    model_1 = MoonNet().to(device)
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.02)
    """),
    md(H4),
    code("""
    with torch.no_grad():
        z = model_1(X_test[:4]).squeeze()
    print(z, torch.sigmoid(z), (torch.sigmoid(z) > 0.5).float(), sep="\\n")
    """, out="""
    tensor([-0.3160, -0.3085, -0.3294, -0.3193])
    tensor([0.4217, 0.4235, 0.4184, 0.4208])
    tensor([0., 0., 0., 0.])
    """),
    code("""
    def accuracy_fn(y_true, y_pred):
        return (y_true == y_pred).sum().item() / len(y_true) * 100

    torch.manual_seed(SEED)
    for epoch in range(500):
        model_1.train()
        logits = model_1(X_train).squeeze(1)
        loss = loss_fn(logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if epoch % 10 == 0:
            model_1.eval()
            with torch.no_grad():
                test_logits = model_1(X_test).squeeze(1)
                test_loss = loss_fn(test_logits, y_test)
            print(f"Epoch: {epoch:>3} | loss {loss.item():.4f} | acc {accuracy_fn(y_train, (logits > 0).float()):.1f}% "
                  f"| test loss {test_loss.item():.4f} | test acc {accuracy_fn(y_test, (test_logits > 0).float()):.1f}%")
    """, out=epochs_log("Epoch: {epoch:>3} | loss {loss:.4f} | acc {acc:.1f}% | test loss {test_loss:.4f} | test acc {test_acc:.1f}%",
                        range(0, 500, 10), 0.71, 0.0004, 50.0, 100.0)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y, n=101):
        X, y = X.cpu(), y.cpu()
        g0, g1 = np.mgrid[X[:, 0].min().item() - 0.1:X[:, 0].max().item() + 0.1:complex(n),
                          X[:, 1].min().item() - 0.1:X[:, 1].max().item() + 0.1:complex(n)]
        grid = torch.tensor(np.c_[g0.ravel(), g1.ravel()], dtype=torch.float32, device=device)
        model.eval()
        with torch.no_grad():
            out = model(grid).cpu()
        z = (out[:, 0] > 0).int() if out.shape[1] == 1 else out.argmax(1)
        plt.contourf(g0, g1, z.reshape(g0.shape).numpy(), cmap="RdYlBu", alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, cmap="RdYlBu", s=25)

    plt.figure(figsize=(12, 5))
    for i, (name, Xs, ys) in enumerate([("train", X_train, y_train), ("test", X_test, y_test)], start=1):
        plt.subplot(1, 2, i)
        plt.title(name)
        plot_decision_boundary(model_1, Xs, ys)
    plt.show()
    """, figure="<Figure size 1200x500 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
        # tanh(x) = 2 * sigmoid(2x) - 1
        return 2 * torch.sigmoid(2 * x) - 1

    A = torch.arange(-10, 10, 0.1)
    print(torch.allclose(tanh(A), torch.tanh(A), atol=1e-6))
    plt.plot(A, tanh(A));
    """, out="True", figure=ONE_AXES),
    md(H7),
    code("""
    np.random.seed(SEED)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D)) # data matrix (each row = single example)
    y = np.zeros(N*K, dtype='uint8') # class labels
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N) # radius
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral)
    plt.show()
    """, figure=ONE_AXES),
    code("""
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    X_train, X_test, y_train, y_test = (t.to(device) for t in (X_train, X_test, y_train, y_test))
    """),
    code("""
    class SpiralNet(nn.Module):
        def __init__(self, hidden=64):
            super().__init__()
            self.fc1 = nn.Linear(2, hidden)
            self.fc2 = nn.Linear(hidden, hidden)
            self.fc3 = nn.Linear(hidden, 3)

        def forward(self, x):
            x = torch.tanh(self.fc1(x))
            x = torch.tanh(self.fc2(x))
            return F.log_softmax(self.fc3(x), dim=1)  # log-probabilities -> NLLLoss

    torch.manual_seed(SEED)
    model_2 = SpiralNet().to(device)
    loss_fn = nn.NLLLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)

    for epoch in range(1000):
        model_2.train()
        log_probs = model_2(X_train)
        loss = loss_fn(log_probs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            model_2.eval()
            with torch.no_grad():
                test_acc = accuracy_fn(y_test, model_2(X_test).argmax(1))
            print(f"Epoch: {epoch:>4} | loss {loss.item():.4f} | test acc {test_acc:.1f}%")
    """, out=epochs_log("Epoch: {epoch:>4} | loss {loss:.4f} | test acc {test_acc:.1f}%", range(0, 1000, 100),
                        1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(12, 5))
    for i, (name, Xs, ys) in enumerate([("train", X_train, y_train), ("test", X_test, y_test)], start=1):
        plt.subplot(1, 2, i)
        plt.title(name)
        plot_decision_boundary(model_2, Xs, ys)
    plt.show()
    """, figure="<Figure size 1200x500 with 2 Axes>"),
])

# --------------------------------------------------------------------------- functional-relu
# A conda environment; functional activations; names of the student's own (my_tanh, spiral_model...).

FUNCTIONAL_RELU = Notebook("functional-relu", "conda", [
    md("# Exercises — 02 classification"),
    code("""
    import torch
    from torch import nn
    import torch.nn.functional as F
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn import datasets, model_selection

    if torch.cuda.is_available():
        device = "cuda"
    elif torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu"
    print("device:", device)
    """, out="device: mps"),
    md(H1),
    code("""
    features, labels = datasets.make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.tensor(features, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.float32)
    X_train, X_test, y_train, y_test = model_selection.train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    md(H2),
    code("""
    class MLP(nn.Module):
        def __init__(self, sizes=(2, 20, 20, 1)):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

        def forward(self, x):
            for layer in self.layers[:-1]:
                x = F.leaky_relu(layer(x), 0.01)
            return self.layers[-1](x)

    torch.manual_seed(42)
    model_1 = MLP().to(device)
    sum(p.numel() for p in model_1.parameters())
    """, result="501"),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.005)
    """),
    md(H4),
    code("""
    def accuracy(y_true, y_pred):
        return 100.0 * (y_true == y_pred).float().mean().item()

    torch.manual_seed(42)
    EPOCHS = 800
    for epoch in range(EPOCHS):
        model_1.train()
        out = model_1(X_train).squeeze(1)
        loss = loss_fn(out, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_out = model_1(X_test).squeeze(1)
            test_loss = loss_fn(test_out, y_test)
        if epoch % 10 == 0:
            print(f"epoch {epoch}/{EPOCHS}  loss={loss.item():.4f}  acc={accuracy(y_train, (out > 0).float()):.1f}  "
                  f"test_loss={test_loss.item():.4f}  test_acc={accuracy(y_test, (test_out > 0).float()):.1f}")
    """, out=epochs_log("epoch {epoch}/800  loss={loss:.4f}  acc={acc:.1f}  test_loss={test_loss:.4f}  test_acc={test_acc:.1f}",
                        range(0, 800, 10), 0.69, 0.001, 50.0, 100.0, keep=6)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        lo, hi = X.min(dim=0).values - 0.2, X.max(dim=0).values + 0.2
        gx, gy = torch.meshgrid(torch.linspace(lo[0], hi[0], 150), torch.linspace(lo[1], hi[1], 150), indexing="xy")
        pts = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1).to(device)
        model.eval()
        with torch.inference_mode():
            scores = model(pts).cpu()
        z = scores.argmax(1) if scores.shape[1] > 1 else (scores[:, 0] > 0).long()
        plt.contourf(gx, gy, z.reshape(gx.shape), alpha=0.4, cmap="viridis")
        plt.scatter(X[:, 0], X[:, 1], c=y, s=15, cmap="viridis")

    plt.figure(figsize=(11, 4.5))
    plt.subplot(1, 2, 1); plt.title("train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2); plt.title("test")
    plot_decision_boundary(model_1, X_test, y_test)
    plt.tight_layout()
    """, figure="<Figure size 1100x450 with 2 Axes>"),
    md(H6),
    code("""
    def my_tanh(x):
        \"\"\"tanh = sinh / cosh\"\"\"
        return torch.sinh(x) / torch.cosh(x)

    xs = torch.linspace(-10, 10, 400)
    plt.plot(xs, my_tanh(xs), label="my_tanh")
    plt.plot(xs, torch.tanh(xs), "--", label="torch.tanh")
    plt.legend();
    """, figure=ONE_AXES),
    md(H7),
    code("""
    def make_spirals(N=100, D=2, K=3, seed=42):
        # CS231n spirals
        np.random.seed(seed)
        X = np.zeros((N * K, D))
        y = np.zeros(N * K, dtype="uint8")
        for j in range(K):
            ix = range(N * j, N * (j + 1))
            r = np.linspace(0.0, 1, N)
            t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            y[ix] = j
        return X, y

    X_spiral, y_spiral = make_spirals()
    plt.scatter(X_spiral[:, 0], X_spiral[:, 1], c=y_spiral, s=40, cmap="viridis");
    """, figure=ONE_AXES),
    code("""
    X_spiral_train, X_spiral_test, y_spiral_train, y_spiral_test = model_selection.train_test_split(
        torch.tensor(X_spiral, dtype=torch.float32), torch.tensor(y_spiral, dtype=torch.long),
        test_size=0.2, random_state=42)
    X_spiral_train, X_spiral_test = X_spiral_train.to(device), X_spiral_test.to(device)
    y_spiral_train, y_spiral_test = y_spiral_train.to(device), y_spiral_test.to(device)
    """),
    code("""
    class SpiralMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 64)
            self.fc2 = nn.Linear(64, 64)
            self.fc3 = nn.Linear(64, 3)

        def forward(self, x):
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    torch.manual_seed(42)
    spiral_model = SpiralMLP().to(device)
    spiral_loss_fn = nn.CrossEntropyLoss()
    spiral_optimizer = torch.optim.Adam(spiral_model.parameters(), lr=0.01)

    for epoch in range(1000):
        spiral_model.train()
        out = spiral_model(X_spiral_train)
        loss = spiral_loss_fn(out, y_spiral_train)
        spiral_optimizer.zero_grad()
        loss.backward()
        spiral_optimizer.step()
        if epoch % 100 == 0:
            with torch.inference_mode():
                test_acc = accuracy(y_spiral_test, spiral_model(X_spiral_test).argmax(1))
            print(f"epoch {epoch}/1000  loss={loss.item():.4f}  test_acc={test_acc:.1f}")
    """, out=epochs_log("epoch {epoch}/1000  loss={loss:.4f}  test_acc={test_acc:.1f}", range(0, 1000, 100),
                        1.1, 0.014, 33.3, 100.0)),
    code("""
    plt.figure(figsize=(11, 4.5))
    plt.subplot(1, 2, 1); plt.title("train")
    plot_decision_boundary(spiral_model, X_spiral_train, y_spiral_train)
    plt.subplot(1, 2, 2); plt.title("test")
    plot_decision_boundary(spiral_model, X_spiral_test, y_spiral_test)
    plt.tight_layout()
    """, figure="<Figure size 1100x450 with 2 Axes>"),
])

NOTEBOOKS = [MAC_MPS, SIGMOID_BCELOSS, RETRAIN_IN_LOOP_CELL, TWO_MODELS_REPORT_SECOND, TWO_MODELS_REPORT_FIRST,
             TRAIN_FN_GLOBALS, NLL_LOGSOFTMAX, FUNCTIONAL_RELU]
