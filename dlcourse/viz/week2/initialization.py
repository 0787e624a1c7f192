"""Figures and the widget of the notebook "Week 2 · 4. Weight initialization".

Nothing here is an exercise's solution. :func:`plot_layer_histograms` draws activations that were
computed elsewhere (by the learner's ``forward_activations``, once it is written). The widget
:func:`init_explorer` draws its weights with ``torch.nn.init`` and runs the network with torch in
float64, with ``torch.autograd`` for the gradients; a learner's own initializer can be added to it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from dlcourse.plots import log_tick_label
from dlcourse.widgets import FigureWidget

#: The activations the explorer offers, as torch functions of a tensor.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "ReLU": torch.relu,
    "sigmoid": torch.sigmoid,
}

#: The initialization schemes of the explorer, each ``(out, in) float64 tensor -> None`` (in place, seeded outside).
SCHEMES: dict[str, Callable[[torch.Tensor], object]] = {
    "too small: N(0, 0.01²)": lambda w: torch.nn.init.normal_(w, 0.0, 0.01),
    "Xavier (Glorot) normal": lambda w: torch.nn.init.xavier_normal_(w),
    "He (Kaiming) normal, ReLU gain": lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "too large: N(0, 1)": lambda w: torch.nn.init.normal_(w, 0.0, 1.0),
}

#: A learner's initializer: ``fn(layer_sizes, activation, rng) -> list of (out, in) arrays``.
Initializer = Callable[[list[int], str, np.random.Generator], Sequence[np.ndarray]]

_COLOR = "#2e5fa3"
_GRAD_COLOR = "#c0392b"
_FIXED_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


@dataclass
class LayerStats:
    """What a forward and a backward pass of a deep bias-free MLP leave behind, layer by layer.

    ``activations[l]`` has shape (n_samples, width of layer l+1) and ``stds[l]`` is its standard
    deviation; ``grad_norms[l]`` is the Frobenius norm of the gradient of the loss with respect to
    the weights of layer l+1, and ``backprop_norms[l]`` that with respect to the activations of
    layer l+1 (the signal the backward pass carries down).
    """

    activations: list[np.ndarray]
    stds: np.ndarray
    grad_norms: np.ndarray
    backprop_norms: np.ndarray


def torch_init_weights(scheme: str, layer_sizes: Sequence[int], seed: int = 0) -> list[torch.Tensor]:
    """float64 weight matrices of shape (layer_sizes[l+1], layer_sizes[l]) drawn by ``SCHEMES[scheme]``."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {list(SCHEMES)}")
    if len(layer_sizes) < 2:
        raise ValueError("layer_sizes needs at least an input and an output size")
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        weights = []
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            w = torch.empty(int(n_out), int(n_in), dtype=torch.float64)
            SCHEMES[scheme](w)
            weights.append(w)
    finally:
        torch.random.set_rng_state(gen_state)  # the caller's torch random stream is left as it was
    return weights


def layer_statistics(
    weights: Sequence[np.ndarray | torch.Tensor],
    X: np.ndarray | torch.Tensor,
    activation: str | Callable[[torch.Tensor], torch.Tensor],
    seed: int = 0,
) -> LayerStats:
    """Run ``h = activation(h @ W.T)`` through every layer in float64, then backpropagate.

    The loss is ``sum(h_L * G)`` with a fixed random ``G`` of standard deviation ``1 / sqrt(n_samples)``:
    a stand-in for whatever loss sits on top, so the gradients show how the network itself
    carries them back (their size does not depend on the size of the last activations).
    """
    act = ACTIVATIONS[activation] if isinstance(activation, str) else activation
    ws = [torch.as_tensor(np.asarray(w, dtype=np.float64) if not torch.is_tensor(w) else w, dtype=torch.float64)
          .detach().clone().requires_grad_(True) for w in weights]
    h = torch.as_tensor(X, dtype=torch.float64)
    acts = []
    for w in ws:
        h = act(h @ w.T)
        h.retain_grad()
        acts.append(h)
    g = torch.Generator().manual_seed(seed)
    upstream = torch.randn(h.shape, generator=g, dtype=torch.float64) / math.sqrt(h.shape[0])
    (h * upstream).sum().backward()
    activations = [a.detach().numpy().copy() for a in acts]
    stds = np.array([a.std() for a in activations])
    grad_norms = np.array([float(w.grad.norm()) for w in ws])
    backprop_norms = np.array([float(a.grad.norm()) for a in acts])
    return LayerStats(activations, stds, grad_norms, backprop_norms)


def _layer_range(activations: Sequence[np.ndarray]) -> tuple[float, float]:
    """A histogram window set by the first layer: what stays, shrinks or leaves it is then visible."""
    first = np.asarray(activations[0], dtype=np.float64).ravel()
    first = first[np.isfinite(first)]
    if first.size == 0:
        return -1.0, 1.0
    lo, hi = np.quantile(first, [0.002, 0.998])
    if lo < 0:  # symmetric window for activations that take both signs
        m = max(abs(lo), abs(hi)) * 1.15 or 1.0
        return -m, m
    return 0.0, (hi * 1.15) or 1.0


def _log_axes(ax: Axes, title: str) -> None:
    """A log-scale panel of values per layer, set up once: few ticks, no minor ticks, plain-text labels.

    The widget redraws it on every change, so everything that makes matplotlib slow is left out
    (mathtext tick labels, minor ticks, ``loc="best"`` legends).
    """
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(log_tick_label))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.tick_params(labelsize=7)
    ax.set_xlabel("layer", fontsize=8, labelpad=1)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)


def _set_log_series(ax: Axes, lines: Sequence[Line2D], values: Sequence[np.ndarray]) -> None:
    """Put one value per layer on each line; x ticks and a y window that fits (a flat set gets a ±4x window)."""
    finite_all = []
    for line, vals in zip(lines, values):
        v = np.asarray(vals, dtype=np.float64)
        v = np.where(np.isfinite(v) & (v > 0), v, np.nan)
        line.set_data(np.arange(1, v.size + 1), v)
        finite_all.append(v[np.isfinite(v)])
    n = max(len(np.asarray(vals)) for vals in values)
    ax.set_xticks(np.arange(1, n + 1) if n <= 10 else [1, *range(5, n + 1, 5)])
    ax.set_xlim(0.5, n + 0.5)
    finite = np.concatenate(finite_all)
    if finite.size == 0:
        ax.set_ylim(0.1, 10.0)
    elif finite.max() / finite.min() < 10:
        mid = float(np.sqrt(finite.max() * finite.min()))
        ax.set_ylim(mid / 4, mid * 4)
    else:
        ax.set_ylim(finite.min() / 2, finite.max() * 2)


@dataclass
class _HistogramFigure:
    """The figure of :func:`plot_layer_histograms`, kept so that the widget can redraw it in place."""

    fig: Figure
    ax: Axes
    ax_std: Axes
    std_line: Line2D
    grad_labels: tuple[str, ...]
    ax_grad: Axes | None
    grad_lines: list[Line2D]

    @classmethod
    def new(cls, grad_labels: tuple[str, ...], size: tuple[float, float]) -> _HistogramFigure:
        fig = Figure(figsize=size)
        ax = fig.add_axes((0.01, 0.49, 0.98, 0.40))
        ax.set_axis_off()
        ax_std = fig.add_axes((0.07, 0.08, 0.9 if not grad_labels else 0.40, 0.30))
        _log_axes(ax_std, "std of the activations per layer")
        (std_line,) = ax_std.plot([], [], "o-", color=_COLOR, ms=3.5, lw=1.5, label="std")
        ax_grad, grad_lines = None, []
        if grad_labels:
            ax_grad = fig.add_axes((0.57, 0.08, 0.41, 0.30))
            _log_axes(ax_grad, "" if len(grad_labels) > 1 else f"{grad_labels[0]} per layer")
            colors = [_GRAD_COLOR, "#e67e22", "#7f8c8d", "#8e44ad"]
            grad_lines = [ax_grad.plot([], [], "o-", color=colors[i % len(colors)], ms=3.5, lw=1.5, label=label)[0]
                          for i, label in enumerate(grad_labels)]
            if len(grad_labels) > 1:  # above the panel, where it hides no line: it is the panel's title
                ax_grad.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(grad_labels),
                               frameon=False, borderaxespad=0.2, handlelength=1.5, columnspacing=1.0)
        return cls(fig, ax, ax_std, std_line, grad_labels, ax_grad, grad_lines)

    def fill_histograms(self, acts: Sequence[np.ndarray], stds: np.ndarray, lo: float, hi: float,
                        drop_zeros: bool, bins: int) -> None:
        """(Re)draw every layer's histogram: all of them in ONE axes, a grid of small panels in data coordinates.

        One collection for all bars and one for all frames: far faster to draw than an axes or an artist per layer.
        """
        ax = self.ax
        for artist in [*ax.collections, *ax.texts]:
            artist.remove()
        n_layers = len(acts)
        ncols = min(n_layers, 10)
        nrows = 2 if n_layers > 10 else 1
        ax.set_xlim(0, ncols)
        ax.set_ylim(0, nrows)
        unit = np.linspace(0.0, 1.0, bins + 1)  # bin edges mapped to [0, 1] inside a panel
        edges = lo + (hi - lo) * unit
        frames, zero_lines, bars = [], [], []
        for k, a in enumerate(acts):
            r, c = divmod(k, ncols)
            x0, y0, w, h = c + 0.06, nrows - 1 - r + 0.08, 0.88, 0.62
            frames.append([(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h), (x0, y0)])
            if lo < 0 < hi:
                zx = x0 + w * (-lo) / (hi - lo)
                zero_lines.append([(zx, y0), (zx, y0 + h)])
            finite = a[np.isfinite(a)]
            shown = finite[finite != 0] if drop_zeros else finite
            counts, _ = np.histogram(shown, bins=edges)
            inside = counts.sum() / shown.size if shown.size else 0.0
            if counts.max() > 0:  # tallest bar: the share of the values inside the window
                tops = y0 + 0.97 * h * inside * counts / counts.max()
                xs = x0 + w * unit
                bars.append(np.column_stack([np.repeat(xs, 2), np.concatenate([[y0], np.repeat(tops, 2), [y0]])]))
            if finite.size < a.size or inside < 0.99:
                note = "overflow" if finite.size < a.size else f"{1 - inside:.0%} outside"
                ax.text(x0 + w / 2, y0 + h - 0.04, note, ha="center", va="top", fontsize=7, color=_GRAD_COLOR)
            ax.text(x0 + w / 2, y0 + h + 0.03, f"layer {k + 1}\nstd {stds[k]:.2g}", ha="center", va="bottom",
                    fontsize=7)
        ax.add_collection(PolyCollection(bars, facecolors=_COLOR, edgecolors="none", alpha=0.85), autolim=False)
        ax.add_collection(LineCollection(frames, colors="0.35", linewidths=0.6), autolim=False)
        if zero_lines:
            ax.add_collection(LineCollection(zero_lines, colors="0.6", linewidths=0.5, linestyles=":"), autolim=False)


def plot_layer_histograms(
    activations: Sequence[np.ndarray],
    grad_norms: Mapping[str, Sequence[float] | np.ndarray] | Sequence[float] | np.ndarray | None = None,
    title: str = "",
    x_range: tuple[float, float] | None = None,
    drop_zeros: bool | None = None,
    bins: int = 40,
    size: tuple[float, float] = (10.5, 4.6),
    keep: dict | None = None,
) -> Figure:
    """One histogram per layer (CS231n's figure), the std per layer and optionally gradient norms per layer.

    ``activations[l]`` are the activations of layer l+1 (any shape). All histograms share one window,
    ``x_range``, by default set by the first layer, so a layer whose activations shrink becomes a
    spike at 0 and one whose activations grow leaves the window (the share outside it is printed).
    ``drop_zeros`` leaves exact zeros (ReLU units that are off) out of the histograms; by default it
    does so when more than 20 % of the first layer's values are exactly 0. ``grad_norms`` is one
    sequence (a value per layer) or a dict of them, drawn in a second panel. Up to 20 layers.
    ``keep``: a dict in which the figure is kept and redrawn in place by later calls with the same
    panels (what the widget does: much faster than building a new figure every time).
    """
    acts = [np.asarray(a, dtype=np.float64).ravel() for a in activations]
    if not acts:
        raise ValueError("no activations to plot")
    if len(acts) > 20:
        raise ValueError(f"at most 20 layers can be drawn, got {len(acts)}")
    lo, hi = x_range if x_range is not None else _layer_range(acts)
    if not hi > lo:
        raise ValueError(f"x_range must be increasing, got {(lo, hi)}")
    if drop_zeros is None:
        drop_zeros = bool(np.mean(acts[0] == 0) > 0.2)
    stds = np.array([a.std() if np.isfinite(a).all() else np.nan for a in acts])
    if grad_norms is None:
        series: dict[str, np.ndarray] = {}
    elif isinstance(grad_norms, Mapping):
        series = {k: np.asarray(v, dtype=np.float64) for k, v in grad_norms.items()}
    else:
        series = {"‖∂L/∂W‖": np.asarray(grad_norms, dtype=np.float64)}
    labels = tuple(series)
    key = (labels, tuple(size))
    kept = keep.get(key) if keep is not None else None
    if kept is None:
        kept = _HistogramFigure.new(labels, size)
        if keep is not None:
            keep[key] = kept
    kept.fill_histograms(acts, stds, lo, hi, drop_zeros, bins)
    _set_log_series(kept.ax_std, [kept.std_line], [stds])
    if kept.ax_grad is not None:
        _set_log_series(kept.ax_grad, kept.grad_lines, list(series.values()))
    zeros = ", exact zeros (ReLU units that are off) not drawn" if drop_zeros else ""
    window = f"histograms of the activations per layer, one shared window [{lo:.3g}, {hi:.3g}]{zeros}"
    kept.fig.suptitle((title + "\n" if title else "") + window, fontsize=9)
    return kept.fig


@functools.lru_cache(maxsize=4)
def _scheme_weights(scheme: str, width: int, seed: int) -> tuple[torch.Tensor, ...]:
    """The 20 weight matrices of the explorer's deepest network; a shallower one uses the first of them
    (exactly what ``torch_init_weights`` would draw for it: the matrices are drawn one after the other)."""
    return tuple(torch_init_weights(scheme, [width] * 21, seed))


@functools.lru_cache(maxsize=8)
def _builtin_stats(activation: str, scheme: str, depth: int, width: int, n_samples: int, seed: int) -> LayerStats:
    weights = _scheme_weights(scheme, width, seed)[:depth]
    X = torch.randn(n_samples, width, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    return layer_statistics(weights, X, activation, seed=seed)


def draw_init(
    activation: str = "tanh",
    scheme: str = "Xavier (Glorot) normal",
    depth: int = 10,
    show_gradients: bool = True,
    width: int = 256,
    n_samples: int = 100,
    seed: int = 0,
    extra_schemes: Mapping[str, Initializer] | None = None,
    keep: dict | None = None,
) -> Figure:
    """The explorer's figure: a ``depth``-layer bias-free MLP of ``width`` units, standard-normal inputs.

    ``scheme`` is a key of ``SCHEMES`` or of ``extra_schemes`` (a learner's initializer, called as
    ``fn([width] * (depth + 1), activation.lower(), np.random.default_rng(seed))``). ``keep``: see
    :func:`plot_layer_histograms`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {list(ACTIVATIONS)}")
    if not 1 <= depth <= 20:
        raise ValueError(f"depth must be between 1 and 20, got {depth}")
    extra = dict(extra_schemes or {})
    if scheme in extra:
        sizes = [width] * (depth + 1)
        weights = list(extra[scheme](sizes, activation.lower(), np.random.default_rng(seed)))
        if len(weights) != depth:
            raise ValueError(f"{scheme}: expected {depth} weight matrices, got {len(weights)}")
        X = torch.randn(n_samples, width, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
        stats = layer_statistics(weights, X, activation, seed=seed)
    elif scheme in SCHEMES:
        stats = _builtin_stats(activation, scheme, int(depth), int(width), int(n_samples), int(seed))
    else:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {[*SCHEMES, *extra]}")
    grads = {"‖∂L/∂W‖, weights": stats.grad_norms, "‖∂L/∂h‖, back-propagated": stats.backprop_norms}
    return plot_layer_histograms(
        stats.activations,
        grads if show_gradients else None,
        title=f"{activation}, {scheme}, {depth} layers of {width} units",
        x_range=_FIXED_RANGES.get(activation),
        keep=keep,
    )


def init_explorer(
    extra_schemes: Mapping[str, Initializer] | None = None,
    width: int = 945,
    height: int = 414,
) -> FigureWidget:
    """Pick the activation, the initialization and the depth; see every layer's histogram and the std per layer."""
    import ipywidgets as widgets

    style = {"description_width": "90px"}
    extra = dict(extra_schemes or {})
    controls = {
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value="tanh", description="activation", style=style),
        "scheme": widgets.Dropdown(
            options=[*SCHEMES, *extra],
            value="Xavier (Glorot) normal",
            description="init",
            style=style,
            layout=widgets.Layout(width="420px"),
        ),
        "depth": widgets.IntSlider(
            value=10, min=1, max=20, step=1, description="layers", continuous_update=False, style=style
        ),
        "show_gradients": widgets.Checkbox(value=True, description="gradient norms", indent=False),
    }

    keep: dict = {}  # the figures, redrawn in place on every change

    def draw(activation: str, scheme: str, depth: int, show_gradients: bool) -> Figure:
        return draw_init(activation, scheme, depth, show_gradients, extra_schemes=extra, keep=keep)

    return FigureWidget(draw, controls, width=width, height=height)
