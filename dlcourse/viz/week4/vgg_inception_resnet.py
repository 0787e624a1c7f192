"""Figures and the widget of the notebook "Week 4 · 3. Deeper networks: the ideas of VGG, Inception and ResNet".

Nothing here is an exercise's solution. :func:`plot_architecture_blocks` draws the three building
blocks as diagrams. :func:`receptive_field_explorer` and :func:`plot_receptive_fields` take the
learner's ``receptive_field_window`` for the sizes they draw and write; the shading under them counts
the paths from one output cell down to each input pixel (what a gradient of a stack of all-ones
kernels would show). :func:`plot_grad_norms` and :func:`plot_training_curves` draw numbers that the
notebook computed with the learner's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from dlcourse.plots import log_tick_label
from dlcourse.widgets import FigureWidget

#: ``window_fn(layers, index) -> (first, last)``: the input pixels that cell ``index`` of the last of
#: ``layers`` (tuples ``(kernel, stride, dilation, padding)``) reads, as the notebook's exercise defines it.
WindowFn = Callable[[list[tuple[int, int, int, int]], int], tuple[int, int]]

_COLORS = ["#c0392b", "#2e5fa3", "#27ae60", "#8e44ad", "#d35400", "#16a085"]


# ----------------------------------------------------------------------------- diagrams
def _box(ax: Axes, x: float, y: float, text: str, color: str, w: float = 0.62, h: float = 0.075,
         size: float = 8) -> None:
    ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor="0.25", lw=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], style: str = "-|>",
           connection: str = "arc3") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=9, lw=0.9, color="0.2",
                                 connectionstyle=connection, shrinkA=0, shrinkB=0))


def plot_architecture_blocks() -> Figure:
    """Three diagrams, data flowing upwards: a VGG stage, an Inception module and a residual block."""
    fig = Figure(figsize=(12.0, 4.6), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax in axes:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
    conv, pool, norm, join = "#d5e3f6", "#f6e3c8", "#dff0d8", "#f6d5d5"

    ax = axes[0]  # VGG: one stage = a few 3x3 convolutions, then a 2x2 max pool
    ys = [0.06, 0.21, 0.36, 0.51, 0.66, 0.81, 0.94]
    labels = [("input (C channels, H x W)", "white"), ("3x3 conv, 2C, ReLU", conv), ("3x3 conv, 2C, ReLU", conv),
              ("3x3 conv, 2C, ReLU", conv), ("2x2 max pool, stride 2", pool), ("next stage: 4C, H/4 x W/4", "white"),
              ("", "white")]
    for (text, color), y in zip(labels[:6], ys[:6]):
        _box(ax, 0.5, y, text, color)
    for a, b in zip(ys[:5], ys[1:6]):
        _arrow(ax, (0.5, a + 0.038), (0.5, b - 0.038))
    ax.set_title("VGG: stages of 3x3 convolutions\n(2 or 3 per stage, 5 stages in VGG-16)", fontsize=10)

    ax = axes[1]  # Inception: four parallel branches, concatenated along the channels
    xs = [0.13, 0.38, 0.63, 0.88]
    _box(ax, 0.5, 0.06, "input (C channels)", "white", w=0.5)
    branches = [[None, ("1x1 conv", conv)], [("1x1 conv", conv), ("3x3 conv", conv)],
                [("1x1 conv", conv), ("5x5 conv", conv)], [("3x3 max pool", pool), ("1x1 conv", conv)]]
    rows = (0.34, 0.58)
    for x, branch in zip(xs, branches):
        start = rows[0] if branch[0] is not None else rows[1]
        _arrow(ax, (0.5, 0.1), (x, start - 0.04), connection="arc3,rad=0")
        for y, part in zip(rows, branch):
            if part is not None:
                _box(ax, x, y, part[0], part[1], w=0.235, size=7.5)
        if branch[0] is not None:
            _arrow(ax, (x, rows[0] + 0.038), (x, rows[1] - 0.038))
        _arrow(ax, (x, rows[1] + 0.038), (0.5, 0.86 - 0.038), connection="arc3,rad=0")
    _box(ax, 0.5, 0.86, "concatenate along channels", join, w=0.62)
    ax.set_title("Inception module (GoogLeNet)\nparallel branches, 1x1 convs shrink the channels first", fontsize=10)

    ax = axes[2]  # residual block: two 3x3 conv + BN, plus the shortcut, then ReLU
    ys = [0.06, 0.22, 0.40, 0.56, 0.74, 0.9]
    _box(ax, 0.4, ys[0], "x", "white", w=0.3)
    _box(ax, 0.4, ys[1], "3x3 conv, BN, ReLU", conv, w=0.5)
    _box(ax, 0.4, ys[2], "3x3 conv, BN", conv, w=0.5)
    ax.add_patch(Rectangle((0.4 - 0.04, ys[3] - 0.04), 0.08, 0.08, facecolor=join, edgecolor="0.25", lw=0.8))
    ax.text(0.4, ys[3], "+", ha="center", va="center", fontsize=13)
    _box(ax, 0.4, ys[4], "ReLU", norm, w=0.3)
    _box(ax, 0.4, ys[5], "relu(F(x) + x)", "white", w=0.4)
    for a, b in [(0, 1), (1, 2), (4, 5)]:
        _arrow(ax, (0.4, ys[a] + 0.038), (0.4, ys[b] - 0.038))
    _arrow(ax, (0.4, ys[2] + 0.038), (0.4, ys[3] - 0.04))
    _arrow(ax, (0.4, ys[3] + 0.04), (0.4, ys[4] - 0.038))
    ax.plot([0.55, 0.86, 0.86], [ys[0], ys[0], ys[3]], color="0.2", lw=0.9)
    _arrow(ax, (0.86, ys[3]), (0.44, ys[3]))
    ax.text(0.88, 0.31, "shortcut: identity\n(or 1x1 conv,\nstride s, BN)", fontsize=7.5, va="center")
    ax.text(0.12, 0.31, "F(x)", fontsize=10, va="center", style="italic")
    ax.set_title("Residual block (ResNet)\nthe layers learn a correction F(x) to x", fontsize=10)
    return fig


# ----------------------------------------------------------------------------- receptive fields
def _path_profile(layers: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """Number of paths from one cell of the last layer down to each input pixel, along one axis.

    This is the gradient of that cell with respect to the input for a stack of all-ones kernels
    without padding (a cell's pixel 0 is the first pixel of its window).
    """
    profile = np.ones(1)
    for k, s, d in reversed(list(layers)):
        below = np.zeros((len(profile) - 1) * s + (k - 1) * d + 1)
        for t in range(k):  # one tap of the kernel at a time: the loop is over k, not over pixels
            below[t * d: t * d + (len(profile) - 1) * s + 1: s] += profile
        profile = below
    return profile


def _same_padding(k: int, d: int) -> int:
    return d * (k - 1) // 2


def _stack(n_layers: int, kernel: int, stride: int, dilation: int) -> list[tuple[int, int, int, int]]:
    """``n_layers`` identical layers; ``dilation = 0`` means 1, 2, 4, ... (doubling)."""
    out = []
    for i in range(n_layers):
        d = 2**i if dilation == 0 else dilation
        out.append((kernel, stride, d, _same_padding(kernel, d)))
    return out


def _sizes(window_fn: WindowFn, layers: Sequence[tuple[int, int, int, int]]) -> list[tuple[int, int]]:
    """(size, jump) after each layer, read from the learner's window function."""
    out = []
    for n in range(1, len(layers) + 1):
        first, last = window_fn(list(layers[:n]), 0)
        first_1, _ = window_fn(list(layers[:n]), 1)
        out.append((int(last) - int(first) + 1, int(first_1) - int(first)))
    return out


def _binned(profile: np.ndarray, max_cells: int) -> np.ndarray:
    if len(profile) <= max_cells:
        return profile
    factor = int(np.ceil(len(profile) / max_cells))
    padded = np.concatenate([profile, np.zeros(factor * int(np.ceil(len(profile) / factor)) - len(profile))])
    return padded.reshape(-1, factor).sum(axis=1)


class _FieldAxes:
    """One panel: path-count shading of the input around one output cell, and a square per layer."""

    def __init__(self, ax: Axes, max_layers: int) -> None:
        self.ax = ax
        self.image = ax.imshow(np.zeros((3, 3)), cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest",
                               extent=(-1.5, 1.5, -1.5, 1.5))
        self.grid = LineCollection([], colors="0.8", linewidths=0.4)
        ax.add_collection(self.grid)
        self.squares = [ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1.6, color=_COLORS[i % len(_COLORS)]))
                        for i in range(max_layers)]
        ax.set_xlabel("input pixel (relative to the centre)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))

    def show(self, layers: Sequence[tuple[int, int, int, int]], sizes: Sequence[tuple[int, int]]) -> None:
        profile = _path_profile([(k, s, d) for k, s, d, _ in layers])
        n = len(profile)
        shown = _binned(profile, 120)
        square = np.outer(shown, shown)
        half = n / 2
        largest = max([n, *[size for size, _ in sizes]])
        view = largest / 2 + max(1.5, 0.06 * largest)
        self.image.set_data(square / square.max())
        self.image.set_extent((-half, half, -half, half))
        if n <= 41:
            edges = np.arange(-half, half + 1)
            segs = [[(e, -half), (e, half)] for e in edges] + [[(-half, e), (half, e)] for e in edges]
        else:
            segs = []
        self.grid.set_segments(segs)
        for i, patch in enumerate(self.squares):
            if i < len(sizes):
                size = sizes[i][0]
                patch.set_bounds(-size / 2, -size / 2, size, size)
                patch.set_visible(True)
            else:
                patch.set_visible(False)
        self.ax.set_xlim(-view, view)
        self.ax.set_ylim(-view, view)


def _describe(layers: Sequence[tuple[int, int, int, int]], sizes: Sequence[tuple[int, int]]) -> str:
    """An HTML table of the field and the jump after each layer, and the weights it took."""
    k = layers[0][0]
    rows = "".join(f"<tr><td>{i + 1}</td><td>{d}</td><td>{size} x {size}</td><td>{jump}</td></tr>"
                   for i, ((_, _, d, _), (size, jump)) in enumerate(zip(layers, sizes)))
    size = sizes[-1][0]
    return (
        "<table style='font-family:monospace;font-size:12px;text-align:right'>"
        "<tr><th>layer</th><th>dilation</th><th>field</th><th>jump</th></tr>" + rows + "</table>"
        f"<p style='font-size:12px'>weights per (input, output) channel pair:<br>"
        f"{len(layers)} layer(s) of {k}x{k}: <b>{len(layers) * k * k}</b><br>"
        f"one {size}x{size} kernel: <b>{size * size}</b></p>"
    )


def receptive_field_explorer(window_fn: WindowFn, width: int = 430, height: int = 410) -> FigureWidget:
    """Stack identical layers and watch the receptive field grow.

    Controls: the number of layers, the kernel size, the stride of every layer and the dilation
    (fixed, or doubling 1, 2, 4, ... as in WaveNet). Layers use "same" padding. The squares are the
    receptive field after each layer, from ``window_fn`` (the learner's ``receptive_field_window``);
    the grey shading counts the paths from the output cell to each input pixel: the centre is reached
    by far more paths than the border (the *effective* receptive field). A table beside the figure
    (``explorer.table``, HTML) lists the field and the jump after each layer.
    """
    import ipywidgets as widgets

    style = {"description_width": "70px"}
    controls = {
        "n_layers": widgets.IntSlider(value=2, min=1, max=6, description="layers", style=style,
                                      continuous_update=False),
        "kernel": widgets.Dropdown(options=[1, 3, 5, 7], value=3, description="kernel", style=style,
                                   layout=widgets.Layout(width="180px")),
        "stride": widgets.Dropdown(options=[1, 2], value=1, description="stride", style=style,
                                   layout=widgets.Layout(width="180px")),
        "dilation": widgets.Dropdown(options=[("1", 1), ("2", 2), ("1, 2, 4, ...", 0)], value=1,
                                     description="dilation", style=style, layout=widgets.Layout(width="180px")),
    }
    fig = Figure(figsize=(width / 90, (height - 10) / 90))  # fixed layout: constrained layout costs 100+ ms
    ax = fig.add_axes((0.13, 0.11, 0.83, 0.8))
    panel = _FieldAxes(ax, max_layers=6)
    title = ax.set_title("", fontsize=9)
    table = widgets.HTML(value="", layout=widgets.Layout(width="260px"))

    def draw(n_layers: int, kernel: int, stride: int, dilation: int) -> Figure:
        layers = _stack(n_layers, kernel, stride, dilation)
        sizes = _sizes(window_fn, layers)
        panel.show(layers, sizes)
        table.value = _describe(layers, sizes)
        size = sizes[-1][0]
        dil = "1, 2, 4, ..." if dilation == 0 else str(dilation)
        title.set_text(f"{n_layers} x ({kernel}x{kernel}, stride {stride}, dilation {dil})\n"
                       f"receptive field {size}x{size}")
        return fig

    explorer = FigureWidget(draw, controls, width=width, height=height)
    parts = list(explorer.widget.children)
    at = parts.index(explorer.image)
    explorer.widget.children = (*parts[:at], widgets.HBox([explorer.image, table]), *parts[at + 1:])
    explorer.table = table
    return explorer


def plot_receptive_fields(window_fn: WindowFn, stacks: Mapping[str, Sequence[tuple[int, int, int, int]]]) -> Figure:
    """One panel per stack of layers ``(kernel, stride, dilation, padding)``: the field after each layer.

    Squares: the receptive field after layer 1, 2, ... (sizes from ``window_fn``); shading: the number
    of paths from one output cell to each input pixel (darker = more paths).
    """
    if not stacks:
        raise ValueError("give at least one stack")
    fig = Figure(figsize=(3.3 * len(stacks), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(stacks)))
    for ax, (name, layers) in zip(axes, stacks.items()):
        if not layers:
            raise ValueError(f"stack {name!r} has no layer")
        sizes = _sizes(window_fn, list(layers))
        panel = _FieldAxes(ax, max_layers=len(layers))
        panel.show(list(layers), sizes)
        ax.set_title(f"{name}\nfield {sizes[-1][0]}x{sizes[-1][0]}", fontsize=9)
        for i, patch in enumerate(panel.squares):
            patch.set_label(f"after layer {i + 1}: {sizes[i][0]}")
        ax.legend(fontsize=6.5, loc="upper left", framealpha=0.85)
    return fig


# ----------------------------------------------------------------------------- gradients and training
def plot_grad_norms(norms: Mapping[str, Sequence[float]], title: str = "") -> Figure:
    """Gradient norm of each conv layer's weight (layer 1 = next to the input), one line per network, log scale."""
    if not norms:
        raise ValueError("norms is empty")
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for (name, values), color in zip(norms.items(), _COLORS):
        v = np.asarray(values, dtype=float)
        if v.ndim != 1 or not len(v):
            raise ValueError(f"{name!r}: expected a non-empty list of numbers, got shape {v.shape}")
        ax.plot(np.arange(1, len(v) + 1), v, "o-", ms=3.5, lw=1.4, color=color, label=name)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(log_tick_label))
    ax.xaxis.set_major_locator(MaxNLocator(11, integer=True))
    ax.set_xlabel("conv layer (1 = next to the input)")
    ax.set_ylabel("‖gradient of the weights‖")
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_training_curves(losses: Mapping[str, Sequence[float]], window: int = 10, title: str = "") -> Figure:
    """Training loss per step (a moving average over ``window`` steps), one line per network, log scale."""
    if not losses:
        raise ValueError("losses is empty")
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for (name, values), color in zip(losses.items(), _COLORS):
        v = np.asarray(values, dtype=float)
        w = min(window, len(v))
        smooth = np.convolve(v, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(w, len(v) + 1), smooth, lw=1.6, color=color, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"training loss (mean of {window} steps)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
