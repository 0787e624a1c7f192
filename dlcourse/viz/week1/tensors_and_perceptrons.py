"""Pictures and widgets of week 1, notebook 1 (tensors, shapes, the perceptron).

- :func:`draw_broadcast` and :func:`broadcast_widget`: how two arrays of shapes like (3, 1) and
  (1, 4) are stretched to a common shape, cell by cell, or why they cannot be.
- :func:`draw_reductions`: what ``sum(axis=0)`` and ``sum(axis=1)`` collapse, with ``keepdims``.
- :func:`perceptron_figure` and :func:`perceptron_playground`: the decision regions of a
  perceptron with weights set by sliders, over the four inputs of a logic gate.
- :func:`add_decision_line`: the line ``w·x + b = 0`` and the normal vector ``w`` on an axes.
- :func:`draw_network`: a small layered network with its weights on the edges and biases on nodes.

Every function that needs a perceptron takes the learner's prediction function as an argument;
nothing here solves an exercise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from dlcourse.data import make_logic_gate_data
from dlcourse.plots import new_figure, plot_decision_regions
from dlcourse.widgets import FigureWidget

PredictFn = Callable[[np.ndarray, np.ndarray, float], Any]

_SOLID = "#9cc3e6"
_STRETCHED = "#e8f1fa"
_RESULT = "#b9e0b0"
_MAX_SIDE = 6


# ----------------------------------------------------------------------------- arrays as grids
def _as_2d_shape(shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) > 2:
        raise ValueError(f"only arrays with at most 2 axes can be drawn, got shape {shape}")
    return (1,) * (2 - len(shape)) + shape  # type: ignore[return-value]


def _fmt_value(v: Any) -> str:
    v = float(v)
    return str(int(v)) if v == int(v) and abs(v) < 1e6 else f"{v:.3g}"


def _draw_grid(
    ax: Axes,
    values: np.ndarray,
    target: tuple[int, int],
    colour: str = _SOLID,
    title: str = "",
) -> None:
    """Draw ``values`` (at most 2-D) stretched to ``target``: stored cells solid, copies faded."""
    src = np.asarray(values).reshape(_as_2d_shape(np.shape(values)))
    rows, cols = target
    for i in range(rows):
        for j in range(cols):
            si, sj = (i if src.shape[0] > 1 else 0), (j if src.shape[1] > 1 else 0)
            stored = i < src.shape[0] and j < src.shape[1]
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5), 1, 1,
                    facecolor=colour if stored else _STRETCHED,
                    edgecolor="#33557a" if stored else "#9aaabb",
                    linestyle="-" if stored else "--",
                    linewidth=1.3 if stored else 0.9,
                )
            )
            ax.text(j, i, _fmt_value(src[si, sj]), ha="center", va="center", fontsize=10,
                    color="black" if stored else "#7a8794")
    ax.set_xlim(-0.6, max(cols, 1) - 0.4)
    ax.set_ylim(max(rows, 1) - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)


def _shape_str(shape: Sequence[int]) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def broadcast_rule_lines(a_shape: Sequence[int], b_shape: Sequence[int]) -> tuple[list[str], bool]:
    """The broadcasting rule applied axis by axis, from the last axis, as text lines.

    Returns (lines, compatible). Each line compares one axis: equal sizes, or one of them 1 (it is
    stretched), or a mismatch. A missing axis (the shorter shape) counts as size 1.
    """
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    n = max(len(a_shape), len(b_shape))
    pa = (None,) * (n - len(a_shape)) + a_shape
    pb = (None,) * (n - len(b_shape)) + b_shape
    lines, ok = [], True
    for k in range(n - 1, -1, -1):
        sa, sb = pa[k], pb[k]
        ta = "–" if sa is None else str(sa)
        tb = "–" if sb is None else str(sb)
        ea, eb = (1 if sa is None else sa), (1 if sb is None else sb)
        if ea == eb:
            verdict = f"equal → {ea}"
        elif ea == 1 or eb == 1:
            verdict = f"a 1 stretches → {max(ea, eb)}"
        else:
            verdict = "✗ differ, neither is 1"
            ok = False
        lines.append(f"axis {k - n:>2}: {ta:>2} vs {tb:>2}  {verdict}")
    return lines, ok


def draw_broadcast(a: np.ndarray, b: np.ndarray, op: str = "+") -> Figure:
    """How ``a op b`` broadcasts: the rule axis by axis, both operands stretched, and the result.

    ``a`` and ``b`` have at most 2 axes with at most 6 entries along each. Stored entries are
    solid; the virtual copies that broadcasting pretends are there are dashed and grey (numpy
    never copies them in memory). Incompatible shapes get the rule panel only, with the mismatch.
    """
    a, b = np.asarray(a), np.asarray(b)
    for name, arr in (("a", a), ("b", b)):
        if arr.ndim > 2 or any(s > _MAX_SIDE for s in arr.shape):
            raise ValueError(f"{name} must have at most 2 axes of at most {_MAX_SIDE} entries, got {arr.shape}")
    lines, ok = broadcast_rule_lines(a.shape, b.shape)
    fig = Figure(figsize=(11.0, 3.3), layout="constrained")
    axes = fig.subplots(1, 4, width_ratios=[1.25, 1, 1, 1])
    text_ax = axes[0]
    text_ax.axis("off")
    header = [f"a {_shape_str(a.shape)}   b {_shape_str(b.shape)}", "compare from the LAST axis:", ""]
    if ok:
        out_shape = np.broadcast_shapes(a.shape, b.shape)
        footer = ["", f"result shape {_shape_str(out_shape)}"]
    else:
        footer = ["", "ValueError: operands could not", "be broadcast together"]
    text_ax.text(0.0, 0.95, "\n".join(header + lines + footer), family="monospace", fontsize=9.5,
                 va="top", ha="left", transform=text_ax.transAxes, color="black" if ok else "#b00020")
    if not ok:
        for ax in axes[1:]:
            ax.axis("off")
        axes[2].text(0.5, 0.5, f"a {op} b is not defined\nfor these shapes", ha="center", va="center",
                     fontsize=12, color="#b00020", transform=axes[2].transAxes)
        return fig
    result = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](a, b)
    target = _as_2d_shape(result.shape)
    _draw_grid(axes[1], a, target, title=f"a {_shape_str(a.shape)} → {_shape_str(result.shape)}")
    _draw_grid(axes[2], b, target, title=f"b {_shape_str(b.shape)} → {_shape_str(result.shape)}")
    _draw_grid(axes[3], result, target, colour=_RESULT, title=f"a {op} b {_shape_str(result.shape)}")
    return fig


BROADCAST_SHAPES: dict[str, tuple[int, ...]] = {
    "(3, 1)": (3, 1),
    "(1, 4)": (1, 4),
    "(3, 4)": (3, 4),
    "(4,)": (4,),
    "(3,)": (3,),
    "(1,)": (1,),
    "(4, 1)": (4, 1),
    "(2, 3)": (2, 3),
}


def _example_array(shape: tuple[int, ...], scale: int) -> np.ndarray:
    size = int(np.prod(shape)) if shape else 1
    return (np.arange(size) * scale).reshape(shape)


def broadcast_widget(a_shape: str = "(3, 1)", b_shape: str = "(1, 4)") -> FigureWidget:
    """Two dropdowns (shapes of ``a`` and ``b``) above :func:`draw_broadcast` of ``a + b``.

    ``a`` holds 0, 10, 20, ... and ``b`` holds 0, 1, 2, ..., so each result entry shows where its
    two parts came from.
    """
    import ipywidgets as widgets

    options = list(BROADCAST_SHAPES)

    def draw(a_shape: str, b_shape: str) -> Figure:
        a = _example_array(BROADCAST_SHAPES[a_shape], 10)
        return draw_broadcast(a, _example_array(BROADCAST_SHAPES[b_shape], 1))

    controls = {
        "a_shape": widgets.Dropdown(options=options, value=a_shape, description="a.shape"),
        "b_shape": widgets.Dropdown(options=options, value=b_shape, description="b.shape"),
    }
    return FigureWidget(draw, controls, width=880, height=270)


def draw_reductions(x: np.ndarray) -> Figure:
    """``x`` and its sums along axis 0 and axis 1 (with ``keepdims=True``), as grids."""
    x = np.asarray(x)
    if x.ndim != 2 or any(s > _MAX_SIDE for s in x.shape):
        raise ValueError(f"x must be 2-D with at most {_MAX_SIDE} entries per axis, got {x.shape}")
    s0 = x.sum(axis=0, keepdims=True)
    s1 = x.sum(axis=1, keepdims=True)
    fig = Figure(figsize=(10.0, 2.9), layout="constrained")
    axes = fig.subplots(1, 3)
    _draw_grid(axes[0], x, x.shape, title=f"x {_shape_str(x.shape)}")
    axes[0].annotate("", xy=(-0.9, x.shape[0] - 0.6), xytext=(-0.9, -0.4),
                     arrowprops=dict(arrowstyle="->", color="#c0392b", lw=2), annotation_clip=False)
    axes[0].text(-1.05, (x.shape[0] - 1) / 2, "axis 0", rotation=90, ha="right", va="center",
                 color="#c0392b", fontsize=9)
    axes[0].annotate("", xy=(x.shape[1] - 0.6, -0.9), xytext=(-0.4, -0.9),
                     arrowprops=dict(arrowstyle="->", color="#2e7d32", lw=2), annotation_clip=False)
    axes[0].text((x.shape[1] - 1) / 2, -1.05, "axis 1", ha="center", va="bottom", color="#2e7d32", fontsize=9)
    axes[0].set_xlim(-1.4, x.shape[1] - 0.4)
    axes[0].set_ylim(x.shape[0] - 0.4, -1.5)
    _draw_grid(axes[1], s0, s0.shape, colour=_RESULT,
               title=f"x.sum(axis=0, keepdims=True)\n{_shape_str(s0.shape)}: axis 0 collapsed")
    _draw_grid(axes[2], s1, s1.shape, colour=_RESULT,
               title=f"x.sum(axis=1, keepdims=True)\n{_shape_str(s1.shape)}: axis 1 collapsed")
    for ax in axes[1:]:  # same scale as x, so a cell is the same size in every panel
        ax.set_xlim(axes[0].get_xlim())
        ax.set_ylim(axes[0].get_ylim())
    return fig


# ----------------------------------------------------------------------------- perceptrons
def add_decision_line(ax: Axes, w: Sequence[float] | np.ndarray, b: float, color: str = "k") -> None:
    """Draw the line ``w[0]*x1 + w[1]*x2 + b = 0`` across ``ax`` and the vector ``w`` from it.

    ``w`` points to the side where ``w·x + b > 0`` (class 1). Nothing is drawn when ``w = 0``.
    """
    w = np.asarray(w, dtype=float).ravel()
    if w.shape != (2,):
        raise ValueError(f"w must have 2 entries to draw a line in the plane, got shape {w.shape}")
    b = float(b)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    norm2 = float(w @ w)
    if norm2 == 0.0:
        return
    if abs(w[1]) >= abs(w[0]):
        xs = np.array(xlim)
        ys = -(w[0] * xs + b) / w[1]
    else:
        ys = np.array(ylim)
        xs = -(w[1] * ys + b) / w[0]
    ax.plot(xs, ys, color=color, lw=1.8, zorder=2)
    p0 = -b * w / norm2  # the point of the line closest to the origin
    p0 = np.clip(p0, [xlim[0] + 0.15, ylim[0] + 0.15], [xlim[1] - 0.15, ylim[1] - 0.15])
    p0 = p0 - (w @ p0 + b) / norm2 * w  # project back onto the line after clipping
    tip = p0 + 0.35 * w / np.sqrt(norm2)
    ax.annotate("", xy=tip, xytext=p0, arrowprops=dict(arrowstyle="->", color=color, lw=1.6), zorder=4)
    ax.text(*tip, " w", color=color, fontsize=9, va="center")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)


def perceptron_figure(predict: PredictFn, gate: str, w1: float, w2: float, b: float, ax: Axes | None = None) -> Figure:
    """Decision regions of ``predict(X, w, b)`` over the four inputs of ``gate``.

    Each point is annotated with its weighted sum ``z = w·x + b``; the title says how many of
    the four points are right (and turns green at 4/4).
    """
    X, y = make_logic_gate_data(gate)
    w = np.array([w1, w2], dtype=np.float64)
    if ax is None:
        fig, axes = new_figure(size=(4.6, 4.2))
        ax = axes[0]
    fig = ax.figure
    plot_decision_regions(lambda G: predict(G, w, b), X, y, ax=ax)
    add_decision_line(ax, w, b)
    z = X @ w + b
    for (x1, x2), zi in zip(X, z, strict=True):
        ax.text(x1 + 0.07, x2 - 0.16, f"z={zi:+.2f}", fontsize=8, color="#333333", zorder=5,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
    pred = np.asarray(predict(X, w, b)).reshape(-1)
    correct = int((pred == y).sum())
    ax.set_title(f"{gate}: {correct}/4 correct   (w = [{w1:.2f}, {w2:.2f}], b = {b:.2f})",
                 fontsize=10, color="#2e7d32" if correct == 4 else "black")
    return fig


def perceptron_playground(
    predict: PredictFn,
    gates: Sequence[str] = ("AND", "OR", "NAND", "XOR"),
    w1: float = 1.0,
    w2: float = -0.5,
    b: float = 0.2,
) -> FigureWidget:
    """A gate dropdown and sliders for ``w1``, ``w2`` and ``b`` above :func:`perceptron_figure`."""
    import ipywidgets as widgets

    def slider(value: float, description: str) -> Any:
        return widgets.FloatSlider(value=value, min=-2.0, max=2.0, step=0.05, description=description,
                                   readout_format=".2f")

    controls = {
        "gate": widgets.Dropdown(options=list(gates), value=gates[0], description="gate"),
        "w1": slider(w1, "w1"),
        "w2": slider(w2, "w2"),
        "b": slider(b, "b"),
    }

    def draw(gate: str, w1: float, w2: float, b: float) -> Figure:
        return perceptron_figure(predict, gate, w1, w2, b)

    return FigureWidget(draw, controls, width=430, height=390)


# ----------------------------------------------------------------------------- networks
def draw_network(
    layers: Sequence[tuple[Any, Any]],
    input_names: Sequence[str] | None = None,
    layer_names: Sequence[Sequence[str]] | None = None,
    activation: str = "",
    title: str = "",
) -> Figure:
    """Draw a small fully connected network: one column per layer, weights on the edges.

    ``layers`` is a list of ``(W, b)`` with ``W`` of shape (n_in, n_out) and ``b`` of shape
    (n_out,), the convention ``h = f(x @ W + b)``. Each neuron shows its bias; each edge its
    weight (positive blue, negative red, width by magnitude). Layers wider than 8 neurons are
    drawn without numbers.
    """
    if not layers:
        raise ValueError("layers is empty: nothing to draw")
    mats = []
    for k, (W, b) in enumerate(layers):
        W = np.asarray(W, dtype=float)
        b = np.asarray(b, dtype=float).reshape(-1)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"layer {k}: W must be (n_in, n_out) and b (n_out,), got {W.shape} and {b.shape}")
        if k and W.shape[0] != mats[-1][0].shape[1]:
            n_prev = mats[-1][0].shape[1]
            raise ValueError(f"layer {k}: W has {W.shape[0]} inputs but layer {k - 1} has {n_prev} outputs")
        mats.append((W, b))
    sizes = [mats[0][0].shape[0]] + [W.shape[1] for W, _ in mats]
    show_numbers = max(sizes) <= 8
    inputs = list(input_names) if input_names else [f"$x_{i + 1}$" for i in range(sizes[0])]
    names = [inputs]
    for k, n in enumerate(sizes[1:]):
        if layer_names and k < len(layer_names):
            names.append(list(layer_names[k]))
        elif k == len(sizes) - 2:
            names.append(["$\\hat y$"] if n == 1 else [f"$\\hat y_{j + 1}$" for j in range(n)])
        else:
            names.append([f"$h^{{({k + 1})}}_{j + 1}$" for j in range(n)])

    def pos(layer: int, j: int) -> tuple[float, float]:
        return 3.2 * layer, (sizes[layer] - 1) / 2.0 - j * 1.6

    fig = Figure(figsize=(2.9 * len(sizes) + 0.6, 1.35 * max(sizes) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    wmax = max(float(np.abs(W).max()) for W, _ in mats) or 1.0
    radius = 0.42
    for k, (W, _b) in enumerate(mats):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                (x0, y0), (x1, y1) = pos(k, i), pos(k + 1, j)
                wij = W[i, j]
                colour = "#2e5fa3" if wij >= 0 else "#c0392b"
                ax.plot([x0 + radius, x1 - radius], [y0, y1], color=colour, alpha=0.85,
                        lw=0.6 + 2.4 * abs(wij) / wmax, zorder=1)
                if show_numbers:
                    t = 0.3
                    lx, ly = x0 + radius + t * (x1 - x0 - 2 * radius), y0 + t * (y1 - y0)
                    ax.text(lx, ly, f"{wij:.3g}", fontsize=8.5, ha="center", va="center", color=colour,
                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9), zorder=3)
    for layer, n in enumerate(sizes):
        for j in range(n):
            x, y = pos(layer, j)
            face = "#eef4fb" if layer == 0 else ("#fff3d6" if layer < len(sizes) - 1 else "#e4f3e0")
            ax.add_patch(Circle((x, y), radius, facecolor=face, edgecolor="#33557a", lw=1.3, zorder=2))
            ax.text(x, y, names[layer][j], ha="center", va="center", fontsize=11, zorder=4)
            if layer > 0 and show_numbers:
                ax.text(x, y - radius - 0.08, f"b={mats[layer - 1][1][j]:.3g}", ha="center", va="top",
                        fontsize=8, color="#555555", zorder=4)
    top = max(pos(layer, 0)[1] for layer in range(len(sizes)))
    for layer in range(len(sizes)):
        label = "input" if layer == 0 else ("output" if layer == len(sizes) - 1 else f"hidden {layer}")
        if layer > 0 and activation:
            label += f"\n{activation}(· W + b)"
        ax.text(3.2 * layer, top + 0.75, label, ha="center", va="bottom", fontsize=9, color="#33557a")
    ys = [pos(layer, j)[1] for layer, n in enumerate(sizes) for j in range(n)]
    ax.set_xlim(-0.8, 3.2 * (len(sizes) - 1) + 0.8)
    ax.set_ylim(min(ys) - 1.0, top + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
