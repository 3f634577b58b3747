"""tanh answered by meaning, not by the name `tanh(x)`: a plotting helper beside the answer, a function
of no arguments over a global tensor, an inline expression on a tensor. Everything else is correct."""

from corpus import H1, H5, H6, PASTED_PLOT_HELPER, TITLE, Notebook, code, md
from nb_wrong_rest import IMPORTS, MOONS_DATA, ONE_AXES, TWO_PANELS, TWO_PLOTS, moons_adam, spirals_relu

# --------------------------------------------------------------------------- tanh-plot-helper
# plot_tanh() takes no argument and draws; tanh_func(x) is the answer. plot_tanh is the function the
# section used last (its own cell calls it), which is what a choice by name and recency graded.

TANH_PLOT_HELPER = Notebook("tanh-plot-helper", "colab", [
    md(TITLE),
    code(IMPORTS),
    md(H1),
    code(MOONS_DATA),
    *moons_adam("model_1", 16, 300),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code(TWO_PLOTS.format(model="model_1"), figure=TWO_PANELS),
    md(H6),
    code("""
    def tanh_func(x):
        # tanh(x) = (e^x - e^-x) / (e^x + e^-x)
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))
    """),
    code("""
    def plot_tanh():
        x = torch.arange(-10, 10, 0.1)
        plt.plot(x, tanh_func(x), label="my tanh")
        plt.plot(x, torch.tanh(x), "--", label="torch.tanh")
        plt.legend()
        plt.show()
    """),
    code("plot_tanh()", figure=ONE_AXES),
    *spirals_relu("model_2"),
])

# --------------------------------------------------------------------------- tanh-over-global
# The formula in a function of no arguments that reads the global tensor x.

TANH_OVER_GLOBAL = Notebook("tanh-over-global", "jupyter", [
    md(TITLE),
    code(IMPORTS),
    md(H1),
    code(MOONS_DATA),
    *moons_adam("model_1", 10, 500),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code(TWO_PLOTS.format(model="model_1"), figure=TWO_PANELS),
    md(H6),
    code("""
    x = torch.arange(-10, 10, 1.0)
    x
    """, result="tensor([-10.,  -9.,  -8.,  -7.,  -6.,  -5.,  -4.,  -3.,  -2.,  -1.,   0.,   1.,   2.,   3.,\n"
                 "          4.,   5.,   6.,   7.,   8.,   9.])"),
    code("""
    def tanh():
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

    plt.plot(x, tanh());
    """, figure=ONE_AXES),
    *spirals_relu("model_2", hidden=32, lr=0.02),
])

# --------------------------------------------------------------------------- tanh-inline
# No function at all: the formula written inline on the tensor A, then plotted.

TANH_INLINE = Notebook("tanh-inline", "vscode", [
    md(TITLE),
    code(IMPORTS),
    md(H1),
    code(MOONS_DATA),
    *moons_adam("model_0", 16, 300),
    md(H5),
    code(PASTED_PLOT_HELPER),
    code(TWO_PLOTS.format(model="model_0"), figure=TWO_PANELS),
    md(H6),
    code("""
    A = torch.arange(-10, 10, 1.)
    plt.plot(A);
    """, figure=ONE_AXES),
    code("""
    tanh_A = (torch.exp(A) - torch.exp(-A)) / (torch.exp(A) + torch.exp(-A))
    plt.plot(tanh_A);
    """, figure=ONE_AXES),
    *spirals_relu("model_1"),
])

NOTEBOOKS = [TANH_PLOT_HELPER, TANH_OVER_GLOBAL, TANH_INLINE]
