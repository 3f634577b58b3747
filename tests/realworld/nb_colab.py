"""Correct answers written in Google Colab (GPU runtime): the device lines and habits that come with it."""

from corpus import EPOCH_LINE, H1, H2, H3, H4, H5, H6, H7, TITLE, Notebook, code, epochs_log, md

NVIDIA_SMI = """
Tue Mar 12 09:41:07 2024
+---------------------------------------------------------------------------------------+
| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.2     |
|-----------------------------------------+----------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |
|   0  Tesla T4                       Off | 00000000:00:04.0 Off |                    0 |
| N/A   44C    P8              10W /  70W |      0MiB / 15360MiB |      0%      Default |
+---------------------------------------------------------------------------------------+
"""

SPIRALS_FIGURE = "<Figure size 640x480 with 1 Axes>"
TWO_PANELS = "<Figure size 1200x600 with 2 Axes>"

# --------------------------------------------------------------------------- colab-classic
# The template followed closely: model_1 / model_2, a hand-written accuracy_fn, a pasted plotting helper.

COLAB_CLASSIC = Notebook("colab-classic", "colab", [
    md(f"""
    {TITLE}

    My answers for the classification exercises. Runtime: GPU (T4).
    """),
    code("!nvidia-smi", out=NVIDIA_SMI, count=1),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt

    # device agnostic code
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(device)

    RANDOM_SEED = 42
    """, out="cuda"),
    md(H1),
    code("""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=1000, noise=0.07, random_state=RANDOM_SEED)
    print(X[:5])
    print(y[:5])
    """, out="""
    [[-0.03341062  0.4213911 ]
     [ 0.99882703 -0.4428903 ]
     [ 0.88959204 -0.32784256]
     [ 0.34195829 -0.41768975]
     [-0.83853099  0.53237483]]
    [1 1 1 1 0]
    """),
    code("""
    plt.scatter(X[:, 0], X[:, 1], c=y, cmap=plt.cm.RdYlBu);
    """, figure=SPIRALS_FIGURE),
    code("""
    from sklearn.model_selection import train_test_split

    # numpy -> float tensors
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.float)

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=RANDOM_SEED)
    len(X_train), len(X_test), len(y_train), len(y_test)
    """, result="(800, 200, 800, 200)"),
    md(H2),
    code("""
    class MoonModelV0(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_1 = nn.Linear(in_features=2, out_features=10)
            self.layer_2 = nn.Linear(in_features=10, out_features=10)
            self.layer_3 = nn.Linear(in_features=10, out_features=1)
            self.relu = nn.ReLU()

        def forward(self, x):
            # linear -> relu -> linear -> relu -> linear
            z = self.relu(self.layer_1(x))
            z = self.relu(self.layer_2(z))
            return self.layer_3(z)

    torch.manual_seed(RANDOM_SEED)
    model_1 = MoonModelV0().to(device)
    model_1
    """, result="""
    MoonModelV0(
      (layer_1): Linear(in_features=2, out_features=10, bias=True)
      (layer_2): Linear(in_features=10, out_features=10, bias=True)
      (layer_3): Linear(in_features=10, out_features=1, bias=True)
      (relu): ReLU()
    )
    """),
    md(H3),
    code("""
    # BCEWithLogitsLoss = sigmoid + BCELoss in one (works on raw logits)
    loss_fn = nn.BCEWithLogitsLoss()

    optimizer = torch.optim.SGD(params=model_1.parameters(), lr=0.1)
    """),
    md(H4),
    code("""
    # untrained model: logits -> pred probs -> pred labels
    with torch.inference_mode():
        logits = model_1(X_test.to(device))[:5]
    print(logits)
    print(torch.sigmoid(logits))
    print(torch.round(torch.sigmoid(logits)))
    """, out="""
    tensor([[0.1923],
            [0.1776],
            [0.1641],
            [0.1873],
            [0.1630]], device='cuda:0')
    tensor([[0.5479],
            [0.5443],
            [0.5409],
            [0.5467],
            [0.5407]], device='cuda:0')
    tensor([[1.],
            [1.],
            [1.],
            [1.],
            [1.]], device='cuda:0')
    """),
    code("""
    def accuracy_fn(y_true, y_pred):
        correct = torch.eq(y_true, y_pred).sum().item()
        return (correct / len(y_pred)) * 100
    """),
    code("""
    torch.manual_seed(RANDOM_SEED)

    epochs = 1000

    X_train, y_train = X_train.to(device), y_train.to(device)
    X_test, y_test = X_test.to(device), y_test.to(device)

    for epoch in range(epochs):
        model_1.train()

        y_logits = model_1(X_train).squeeze()
        y_pred = torch.round(torch.sigmoid(y_logits))

        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_true=y_train, y_pred=y_pred)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test).squeeze()
            test_pred = torch.round(torch.sigmoid(test_logits))
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_true=y_test, y_pred=test_pred)

        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%")
    """, out=epochs_log(EPOCH_LINE, range(0, 1000, 10), 0.69, 0.024, 50.0, 99.75)),
    md(H5),
    code("""
    # plot_decision_boundary, copied over from the course notebook (helper_functions.py) and tidied a bit
    def plot_decision_boundary(model, X, y):
        model.to("cpu")
        X, y = X.to("cpu"), y.to("cpu")

        # a 101 x 101 grid slightly larger than the data
        x_min, x_max = X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1
        y_min, y_max = X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1
        xx, yy = np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101))
        grid = torch.from_numpy(np.c_[xx.ravel(), yy.ravel()]).float()

        model.eval()
        with torch.inference_mode():
            logits = model(grid)

        if len(torch.unique(y)) > 2:  # multi-class
            labels = torch.softmax(logits, dim=1).argmax(dim=1)
        else:  # binary
            labels = torch.round(torch.sigmoid(logits))

        plt.contourf(xx, yy, labels.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
        plt.xlim(xx.min(), xx.max())
        plt.ylim(yy.min(), yy.max())
    """),
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
    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(torch.tanh(A));
    """, figure=SPIRALS_FIGURE),
    code("""
    # tanh(x) = (e^x - e^-x) / (e^x + e^-x)
    def tanh(x):
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    plt.plot(tanh(A));
    """, figure=SPIRALS_FIGURE),
    md(H7),
    code("""
    # Code for creating a spiral dataset from CS231n
    np.random.seed(RANDOM_SEED)
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
    """, figure=SPIRALS_FIGURE),
    code("""
    # features float32, labels int64 (CrossEntropyLoss wants long)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=RANDOM_SEED)
    X_train, X_test = X_train.to(device), X_test.to(device)
    y_train, y_test = y_train.to(device), y_test.to(device)
    X_train.shape, X_test.shape, y_train.dtype
    """, result="(torch.Size([240, 2]), torch.Size([60, 2]), torch.int64)"),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self, in_features=2, out_features=3, hidden=64):
            super().__init__()
            self.stack = nn.Sequential(
                nn.Linear(in_features, hidden),
                nn.ReLU(),
                nn.Linear(hidden, hidden),
                nn.ReLU(),
                nn.Linear(hidden, out_features),
            )

        def forward(self, x):
            return self.stack(x)

    torch.manual_seed(RANDOM_SEED)
    model_2 = SpiralModel().to(device)
    model_2
    """, result="""
    SpiralModel(
      (stack): Sequential(
        (0): Linear(in_features=2, out_features=64, bias=True)
        (1): ReLU()
        (2): Linear(in_features=64, out_features=64, bias=True)
        (3): ReLU()
        (4): Linear(in_features=64, out_features=3, bias=True)
      )
    )
    """),
    code("""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    """),
    code("""
    torch.manual_seed(RANDOM_SEED)
    epochs = 1000

    for epoch in range(epochs):
        model_2.train()
        y_logits = model_2(X_train)
        y_pred = torch.softmax(y_logits, dim=1).argmax(dim=1)
        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_train, y_pred)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_2.eval()
        with torch.inference_mode():
            test_logits = model_2(X_test)
            test_pred = torch.softmax(test_logits, dim=1).argmax(dim=1)
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_test, test_pred)

        if epoch % 100 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%",
                        range(0, 1000, 100), 1.1, 0.015, 33.0, 100.0)),
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

# --------------------------------------------------------------------------- cuda-no-call
# `torch.cuda.is_available` without the call is always truthy: the device is "cuda" everywhere.
# torchmetrics with the 1.x API, installed with !pip.

CUDA_NO_CALL = Notebook("cuda-no-call", "colab", [
    md("""
    # PyTorch classification exercises (02)
    """),
    code("""
    import torch
    from torch import nn
    import matplotlib.pyplot as plt
    import numpy as np

    device = "cuda" if torch.cuda.is_available else "cpu"
    device
    """, result="'cuda'"),
    code("""
    !pip install torchmetrics -q
    """, stderr="""
    [2K     [90m━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━[0m [32m868.8/868.8 kB[0m [31m12.1 MB/s[0m eta [36m0:00:00[0m
    """),
    md(H1),
    code("""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X_np, y_np = make_moons(n_samples=1000, noise=0.07, random_state=42)

    X = torch.tensor(X_np, dtype=torch.float32)
    y = torch.tensor(y_np, dtype=torch.float32)

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

    X_train = X_train.to(device)
    X_test = X_test.to(device)
    y_train = y_train.to(device)
    y_test = y_test.to(device)
    print(X_train.shape, y_train.shape)
    """, out="torch.Size([800, 2]) torch.Size([800])"),
    md(H2),
    code("""
    class MoonsModel(nn.Module):
      def __init__(self, hidden_units=16):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(2, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, 1)
        )

      def forward(self, x):
        return self.layers(x)

    torch.manual_seed(42)
    model_0 = MoonsModel().to(device)
    model_0
    """, result="""
    MoonsModel(
      (layers): Sequential(
        (0): Linear(in_features=2, out_features=16, bias=True)
        (1): ReLU()
        (2): Linear(in_features=16, out_features=16, bias=True)
        (3): ReLU()
        (4): Linear(in_features=16, out_features=1, bias=True)
      )
    )
    """),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_0.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    y_logits = model_0(X_test[:5])
    print("logits", y_logits.squeeze())
    print("probs", torch.sigmoid(y_logits).squeeze())
    print("labels", torch.round(torch.sigmoid(y_logits)).squeeze())
    """, out="""
    logits tensor([-0.1416, -0.1379, -0.1590, -0.1474, -0.1187], device='cuda:0',
           grad_fn=<SqueezeBackward0>)
    probs tensor([0.4647, 0.4656, 0.4603, 0.4632, 0.4704], device='cuda:0',
           grad_fn=<SqueezeBackward0>)
    labels tensor([0., 0., 0., 0., 0.], device='cuda:0', grad_fn=<SqueezeBackward0>)
    """),
    code("""
    from torchmetrics import Accuracy

    acc_fn = Accuracy(task="binary").to(device)
    """),
    code("""
    torch.manual_seed(42)

    epochs = 500
    for epoch in range(1, epochs + 1):
      model_0.train()
      logits = model_0(X_train).squeeze()
      loss = loss_fn(logits, y_train)
      acc = acc_fn(torch.sigmoid(logits), y_train.int())

      optimizer.zero_grad()
      loss.backward()
      optimizer.step()

      model_0.eval()
      with torch.inference_mode():
        test_logits = model_0(X_test).squeeze()
        test_loss = loss_fn(test_logits, y_test)
        test_acc = acc_fn(torch.sigmoid(test_logits), y_test.int())

      if epoch % 10 == 0:
        print(f"Epoch: {epoch} | loss: {loss:.4f} acc: {acc*100:.1f}% | test loss: {test_loss:.4f} test acc: {test_acc*100:.1f}%")
    """, out=epochs_log("Epoch: {epoch} | loss: {loss:.4f} acc: {acc:.1f}% | test loss: {test_loss:.4f} test acc: {test_acc:.1f}%",
                        range(10, 501, 10), 0.45, 0.003, 80.0, 100.0)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y, resolution=120):
      X = X.cpu().numpy()
      y = y.cpu().numpy()
      x0 = np.linspace(X[:, 0].min() - 0.2, X[:, 0].max() + 0.2, resolution)
      x1 = np.linspace(X[:, 1].min() - 0.2, X[:, 1].max() + 0.2, resolution)
      g0, g1 = np.meshgrid(x0, x1)
      points = torch.tensor(np.stack([g0.ravel(), g1.ravel()], axis=1), dtype=torch.float32).to(device)

      model.eval()
      with torch.inference_mode():
        out = model(points)
      if out.shape[1] == 1:
        pred = (torch.sigmoid(out) > 0.5).int().squeeze(1)
      else:
        pred = out.argmax(dim=1)

      plt.contourf(g0, g1, pred.cpu().numpy().reshape(g0.shape), alpha=0.6, cmap="coolwarm")
      plt.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=20)
    """),
    code("""
    fig = plt.figure(figsize=(12, 5))
    plt.subplot(121); plt.title("train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(122); plt.title("test")
    plot_decision_boundary(model_0, X_test, y_test)
    plt.show()
    """, figure="<Figure size 1200x500 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x):
      # same as (e^x - e^-x)/(e^x + e^-x) after multiplying top and bottom by e^x
      return (torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1)

    x = torch.arange(-10, 10, 0.1)
    plt.plot(x, torch.tanh(x), label="torch.tanh")
    plt.plot(x, tanh(x), "--", label="mine")
    plt.legend()
    """, result="<matplotlib.legend.Legend at 0x7f3b1c2e5f90>", figure=SPIRALS_FIGURE),
    md(H7),
    code("""
    np.random.seed(42)
    N = 100 # number of points per class
    D = 2 # dimensionality
    K = 3 # number of classes
    X = np.zeros((N*K,D))
    y = np.zeros(N*K, dtype='uint8')
    for j in range(K):
      ix = range(N*j,N*(j+1))
      r = np.linspace(0.0,1,N)
      t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2
      X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
      y[ix] = j
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.show()
    """, figure=SPIRALS_FIGURE),
    code("""
    X = torch.from_numpy(X).float()
    y = torch.from_numpy(y).long()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """),
    code("""
    class SpiralsModel(nn.Module):
      def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, 32), nn.Tanh(),
            nn.Linear(32, 32), nn.Tanh(),
            nn.Linear(32, 3)
        )
      def forward(self, x):
        return self.net(x)

    torch.manual_seed(42)
    model_1 = SpiralsModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.02)
    acc_fn = Accuracy(task="multiclass", num_classes=3).to(device)
    """),
    code("""
    torch.manual_seed(42)
    for epoch in range(1, 801):
      model_1.train()
      logits = model_1(X_train)
      loss = loss_fn(logits, y_train)
      acc = acc_fn(logits.argmax(dim=1), y_train)
      optimizer.zero_grad()
      loss.backward()
      optimizer.step()

      model_1.eval()
      with torch.inference_mode():
        test_logits = model_1(X_test)
        test_loss = loss_fn(test_logits, y_test)
        test_acc = acc_fn(test_logits.argmax(dim=1), y_test)
      if epoch % 100 == 0:
        print(f"Epoch: {epoch} | loss: {loss:.4f} acc: {acc*100:.1f}% | test loss: {test_loss:.4f} test acc: {test_acc*100:.1f}%")
    """, out=epochs_log("Epoch: {epoch} | loss: {loss:.4f} acc: {acc:.1f}% | test loss: {test_loss:.4f} test acc: {test_acc:.1f}%",
                        range(100, 801, 100), 0.4, 0.014, 85.0, 100.0)),
    code("""
    fig = plt.figure(figsize=(12, 5))
    plt.subplot(121); plt.title("train")
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(122); plt.title("test")
    plot_decision_boundary(model_1, X_test, y_test)
    plt.show()
    """, figure="<Figure size 1200x500 with 2 Axes>"),
])

# --------------------------------------------------------------------------- model0-everywhere
# One set of names for the whole notebook: model_0, loss_fn, optimizer, X_train... are bound for the
# moons, then bound again for the spirals.

MODEL0_EVERYWHERE = Notebook("model0-everywhere", "colab", [
    md(TITLE),
    code("""
    import torch
    from torch import nn
    import numpy as np
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"Using {device}")
    """, out="Using cuda", count=2),
    md(H1),
    code("""
    X, y = make_moons(1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).type(torch.float32)
    y = torch.from_numpy(y).type(torch.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train[:3], y_train[:3]
    """, result="""
    (tensor([[ 0.6566, -0.4001],
             [ 0.8632,  0.4908],
             [-0.8862,  0.3717]]),
     tensor([1., 0., 0.]))
    """, count=3),
    md(H2),
    code("""
    class MoonModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 10)
            self.fc2 = nn.Linear(10, 10)
            self.fc3 = nn.Linear(10, 1)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))

    torch.manual_seed(42)
    model_0 = MoonModel().to(device)
    """, count=4),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model_0.parameters(), lr=0.2)
    """, count=5),
    md(H4),
    code("""
    def accuracy_fn(y_true, y_pred):
        return (y_true == y_pred).sum().item() / len(y_true) * 100

    torch.manual_seed(42)
    epochs = 800
    X_train, y_train, X_test, y_test = X_train.to(device), y_train.to(device), X_test.to(device), y_test.to(device)

    for epoch in range(epochs):
        model_0.train()
        y_logits = model_0(X_train).squeeze()
        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_train, torch.round(torch.sigmoid(y_logits)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_0.eval()
        with torch.inference_mode():
            test_logits = model_0(X_test).squeeze()
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_test, torch.round(torch.sigmoid(test_logits)))
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%",
                        range(0, 800, 10), 0.7, 0.0098, 50.0, 100.0), count=8),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        model.to("cpu")
        X, y = X.to("cpu"), y.to("cpu")
        xx, yy = np.meshgrid(np.linspace(X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1, 101),
                             np.linspace(X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1, 101))
        X_grid = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float()
        model.eval()
        with torch.inference_mode():
            y_logits = model(X_grid)
        if len(torch.unique(y)) > 2:
            y_pred = torch.softmax(y_logits, dim=1).argmax(dim=1)
        else:
            y_pred = torch.round(torch.sigmoid(y_logits))
        plt.contourf(xx, yy, y_pred.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)

    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1); plt.title("Train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(1, 2, 2); plt.title("Test")
    plot_decision_boundary(model_0, X_test, y_test)
    """, figure=TWO_PANELS, count=9),
    md(H6),
    code("""
    def tanh(z):
        return (torch.exp(z) - torch.exp(-z)) / (torch.exp(z) + torch.exp(-z))

    z = torch.linspace(-5, 5, 100)
    print(torch.allclose(tanh(z), torch.tanh(z), atol=1e-6))
    plt.plot(z, tanh(z));
    """, out="True", figure=SPIRALS_FIGURE, count=11),
    md(H7),
    code("""
    np.random.seed(42)
    N, D, K = 100, 2, 3
    X = np.zeros((N * K, D))
    y = np.zeros(N * K, dtype="uint8")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.show()

    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.long)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    len(X_train), len(X_test)
    """, result="(240, 60)", figure=SPIRALS_FIGURE, count=12),
    code("""
    class SpiralModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))

        def forward(self, x):
            return self.layers(x)

    torch.manual_seed(42)
    model_0 = SpiralModel().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_0.parameters(), lr=0.01)
    """, count=13),
    code("""
    X_train, y_train, X_test, y_test = X_train.to(device), y_train.to(device), X_test.to(device), y_test.to(device)
    torch.manual_seed(42)
    for epoch in range(1000):
        model_0.train()
        y_logits = model_0(X_train)
        loss = loss_fn(y_logits, y_train)
        acc = accuracy_fn(y_train, y_logits.argmax(dim=1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model_0.eval()
        with torch.inference_mode():
            test_logits = model_0(X_test)
            test_acc = accuracy_fn(y_test, test_logits.argmax(dim=1))
        if epoch % 100 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Acc: {test_acc:.2f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Acc: {test_acc:.2f}%",
                        range(0, 1000, 100), 1.1, 0.014, 33.0, 100.0), count=14),
    code("""
    plt.figure(figsize=(12, 6))
    plt.subplot(1, 2, 1); plt.title("Train")
    plot_decision_boundary(model_0, X_train, y_train)
    plt.subplot(1, 2, 2); plt.title("Test")
    plot_decision_boundary(model_0, X_test, y_test)
    """, figure=TWO_PANELS, count=15),
])

# --------------------------------------------------------------------------- two-class-scores
# The binary model gives two class scores: CrossEntropyLoss, labels by argmax.

TWO_CLASS_SCORES = Notebook("two-class-scores", "colab", [
    md("""
    # 02 - classification exercises

    I used two outputs (one score per class) for the moons too, so the same code works for the spirals later.
    """),
    code("""
    import torch
    from torch import nn
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    device = "cuda" if torch.cuda.is_available() else "cpu"
    """),
    md(H1),
    code("""
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    plt.scatter(X[:, 0], X[:, 1], c=y)
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)  # class indices for CrossEntropyLoss
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)
    """, figure=SPIRALS_FIGURE),
    md(H2),
    code("""
    class MoonClassifier(nn.Module):
        def __init__(self, hidden=16, classes=2):
            super().__init__()
            self.l1 = nn.Linear(2, hidden)
            self.l2 = nn.Linear(hidden, hidden)
            self.l3 = nn.Linear(hidden, classes)
            self.relu = nn.ReLU()

        def forward(self, x):
            x = self.relu(self.l1(x))
            x = self.relu(self.l2(x))
            return self.l3(x)  # one score per class

    torch.manual_seed(42)
    model_1 = MoonClassifier().to(device)
    model_1
    """, result="""
    MoonClassifier(
      (l1): Linear(in_features=2, out_features=16, bias=True)
      (l2): Linear(in_features=16, out_features=16, bias=True)
      (l3): Linear(in_features=16, out_features=2, bias=True)
      (relu): ReLU()
    )
    """),
    md(H3),
    code("""
    # two class scores -> softmax cross entropy (same thing as BCE for two classes)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    """),
    md(H4),
    code("""
    with torch.inference_mode():
        out = model_1(X_test[:5])
    print("logits:", out)
    print("probs:", torch.softmax(out, dim=1))
    print("labels:", torch.softmax(out, dim=1).argmax(dim=1))
    """, out="""
    logits: tensor([[-0.1394,  0.2165],
            [-0.1445,  0.2223],
            [-0.1502,  0.2087],
            [-0.1473,  0.2216],
            [-0.1281,  0.2164]], device='cuda:0')
    probs: tensor([[0.4120, 0.5880],
            [0.4093, 0.5907],
            [0.4112, 0.5888],
            [0.4088, 0.5912],
            [0.4147, 0.5853]], device='cuda:0')
    labels: tensor([1, 1, 1, 1, 1], device='cuda:0')
    """),
    code("""
    def accuracy_fn(y_true, y_pred):
        return torch.eq(y_true, y_pred).sum().item() / len(y_true) * 100

    torch.manual_seed(42)
    epochs = 300
    for epoch in range(epochs):
        model_1.train()
        logits = model_1(X_train)
        preds = torch.softmax(logits, dim=1).argmax(dim=1)
        loss = loss_fn(logits, y_train)
        acc = accuracy_fn(y_train, preds)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        model_1.eval()
        with torch.inference_mode():
            test_logits = model_1(X_test)
            test_preds = torch.softmax(test_logits, dim=1).argmax(dim=1)
            test_loss = loss_fn(test_logits, y_test)
            test_acc = accuracy_fn(y_test, test_preds)
        if epoch % 10 == 0:
            print(f"Epoch: {epoch} | Loss: {loss:.4f} Acc: {acc:.1f}% | Test loss: {test_loss:.4f} Test acc: {test_acc:.1f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f} Acc: {acc:.1f}% | Test loss: {test_loss:.4f} Test acc: {test_acc:.1f}%",
                        range(0, 300, 10), 0.71, 0.002, 50.0, 100.0)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        x_min, x_max = X[:, 0].min() - 0.1, X[:, 0].max() + 0.1
        y_min, y_max = X[:, 1].min() - 0.1, X[:, 1].max() + 0.1
        xx, yy = np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101))
        grid = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float().to(device)
        model.eval()
        with torch.inference_mode():
            logits = model(grid)
        # every model in this notebook outputs one score per class
        y_pred = torch.softmax(logits, dim=1).argmax(dim=1).cpu()
        plt.contourf(xx, yy, y_pred.reshape(xx.shape).numpy(), cmap=plt.cm.RdYlBu, alpha=0.7)
        plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
        plt.xlim(xx.min(), xx.max())
        plt.ylim(yy.min(), yy.max())

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
        e_pos = torch.exp(x)
        e_neg = torch.exp(-x)
        return (e_pos - e_neg) / (e_pos + e_neg)

    A = torch.arange(-10, 10, 1, dtype=torch.float)
    plt.plot(A, tanh(A), label="mine")
    plt.plot(A, torch.tanh(A), ":", label="torch")
    plt.legend();
    """, figure=SPIRALS_FIGURE),
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
    """, figure=SPIRALS_FIGURE),
    code("""
    X = torch.from_numpy(X).type(torch.float)
    y = torch.from_numpy(y).type(torch.LongTensor)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.to(device), X_test.to(device), y_train.to(device), y_test.to(device)

    class SpiralClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(2, 64), nn.Tanh(),
                nn.Linear(64, 64), nn.Tanh(),
                nn.Linear(64, 3),
            )

        def forward(self, x):
            return self.layers(x)

    torch.manual_seed(42)
    model_2 = SpiralClassifier().to(device)
    # loss_fn is already CrossEntropyLoss, only the optimizer is new
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
            print(f"Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.1f}%")
    """, out=epochs_log("Epoch: {epoch} | Loss: {loss:.4f} | Test acc: {test_acc:.1f}%", range(0, 1000, 100),
                        1.1, 0.014, 35.0, 100.0)),
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

# --------------------------------------------------------------------------- cuda-calls
# .cuda() instead of .to(device); a Colab check in a try block; torchmetrics with `task`.

CUDA_CALLS = Notebook("cuda-calls", "colab", [
    md("""
    # Classification exercises

    Run on Colab with a GPU runtime!
    """),
    code("""
    try:
        from google.colab import drive  # noqa
        IN_COLAB = True
    except ImportError:
        IN_COLAB = False

    if IN_COLAB:
        !pip install -q torchmetrics
    print("colab:", IN_COLAB)
    """, out="colab: True"),
    code("""
    import torch
    import torch.nn as nn
    import numpy as np
    import matplotlib.pyplot as plt
    from torchmetrics import Accuracy
    torch.__version__
    """, result="'2.2.1+cu121'"),
    md(H1),
    code("""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)
    X = torch.from_numpy(X).float()
    y = torch.from_numpy(y).float()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.cuda(), X_test.cuda(), y_train.cuda(), y_test.cuda()
    """),
    md(H2),
    code("""
    class MoonNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 10)
            self.hidden2 = nn.Linear(10, 10)
            self.out = nn.Linear(10, 1)

        def forward(self, x):
            x = torch.relu(self.hidden(x))
            x = torch.relu(self.hidden2(x))
            return self.out(x)

    torch.manual_seed(42)
    model_1 = MoonNet().cuda()
    next(model_1.parameters()).device
    """, result="device(type='cuda', index=0)"),
    md(H3),
    code("""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)
    accuracy = Accuracy(task="binary").cuda()
    """),
    md(H4),
    code("""
    print(model_1(X_test[:5]).squeeze())
    print(torch.sigmoid(model_1(X_test[:5]).squeeze()))
    print(torch.round(torch.sigmoid(model_1(X_test[:5]).squeeze())))
    """, out="""
    tensor([0.2403, 0.2350, 0.2230, 0.2365, 0.2296], device='cuda:0',
           grad_fn=<SqueezeBackward0>)
    tensor([0.5598, 0.5585, 0.5555, 0.5589, 0.5571], device='cuda:0',
           grad_fn=<SigmoidBackward0>)
    tensor([1., 1., 1., 1., 1.], device='cuda:0', grad_fn=<RoundBackward0>)
    """),
    code("""
    torch.manual_seed(42)
    torch.cuda.manual_seed(42)

    for epoch in range(500):
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
            acc = accuracy(torch.round(torch.sigmoid(logits)), y_train.int())
            test_acc = accuracy(torch.round(torch.sigmoid(test_logits)), y_test.int())
        if epoch % 10 == 0:
            print(f"Epoch {epoch}: train loss {loss.item():.4f}, train acc {acc.item():.3f}, test loss {test_loss.item():.4f}, test acc {test_acc.item():.3f}")
    """, out=epochs_log("Epoch {epoch}: train loss {loss:.4f}, train acc {acc:.3f}, test loss {test_loss:.4f}, test acc {test_acc:.3f}",
                        range(0, 500, 10), 0.7, 0.003, 0.5, 1.0)),
    md(H5),
    code("""
    def plot_decision_boundary(model, X, y):
        X, y = X.cpu(), y.cpu()
        xs = np.linspace(X[:, 0].min() - .25, X[:, 0].max() + .25, 200)
        ys = np.linspace(X[:, 1].min() - .25, X[:, 1].max() + .25, 200)
        gx, gy = np.meshgrid(xs, ys)
        pts = torch.tensor(np.c_[gx.ravel(), gy.ravel()], dtype=torch.float32).cuda()
        with torch.no_grad():
            out = model(pts).cpu()
        if out.shape[1] > 1:
            z = out.argmax(1)
        else:
            z = (out[:, 0] > 0).long()
        plt.contourf(gx, gy, z.reshape(gx.shape), alpha=0.5, cmap="RdYlBu")
        plt.scatter(X[:, 0], X[:, 1], c=y, cmap="RdYlBu", s=12)

    plt.figure(figsize=(10, 4))
    plt.subplot(1, 2, 1)
    plot_decision_boundary(model_1, X_train, y_train)
    plt.subplot(1, 2, 2)
    plot_decision_boundary(model_1, X_test, y_test)
    plt.show()
    """, figure="<Figure size 1000x400 with 2 Axes>"),
    md(H6),
    code("""
    def tanh(x: torch.Tensor) -> torch.Tensor:
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    t = torch.arange(-10, 10, 0.5)
    print((tanh(t) - torch.tanh(t)).abs().max())
    plt.plot(t, tanh(t))
    plt.show()
    """, out="tensor(5.9605e-08)", figure=SPIRALS_FIGURE),
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
    """),
    code("""
    X = torch.from_numpy(X).float()
    y = torch.from_numpy(y).long()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_test, y_train, y_test = X_train.cuda(), X_test.cuda(), y_train.cuda(), y_test.cuda()
    """),
    code("""
    class SpiralNet(nn.Module):
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
    model_2 = SpiralNet().cuda()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model_2.parameters(), lr=0.01)
    accuracy = Accuracy(task="multiclass", num_classes=3).cuda()

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
                test_acc = accuracy(model_2(X_test).argmax(1), y_test)
            print(f"Epoch {epoch}: loss {loss.item():.4f}, test acc {test_acc.item():.3f}")
    """, out=epochs_log("Epoch {epoch}: loss {loss:.4f}, test acc {test_acc:.3f}", range(0, 1000, 100), 1.1, 0.014, 0.33, 1.0)),
    code("""
    plt.figure(figsize=(10, 4))
    plt.subplot(1, 2, 1)
    plot_decision_boundary(model_2, X_train, y_train)
    plt.subplot(1, 2, 2)
    plot_decision_boundary(model_2, X_test, y_test)
    plt.show()
    """, figure="<Figure size 1000x400 with 2 Axes>"),
])

NOTEBOOKS = [COLAB_CLASSIC, CUDA_NO_CALL, MODEL0_EVERYWHERE, TWO_CLASS_SCORES, CUDA_CALLS]
