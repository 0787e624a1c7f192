"""Plots the notebooks share. Each returns a ``matplotlib.figure.Figure`` (no pyplot state)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] = (4.5, 3.6)) -> tuple[Figure, np.ndarray]:
    """A Figure with a grid of axes, each ``size`` inches, returned as (fig, flat array of axes)."""
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    return fig, axes


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_tick_label(value: float, _pos: object = None) -> str:
    """A log axis's tick label as plain text: "10⁻³" for a power of ten, "" for other ticks
    (``FuncFormatter(log_tick_label)``). matplotlib's default labels go through mathtext, whose
    parsing is most of the time of a widget's redraw.
    """
    if not value > 0 or not np.isfinite(value):
        return ""
    exponent = float(np.log10(value))
    if abs(exponent - round(exponent)) > 1e-6:
        return ""
    return "10" + str(round(exponent)).translate(_SUPERSCRIPT)


def finish_axes(ax: Axes, xlabel: str = "", ylabel: str = "", title: str = "", title_size: float = 10,
                legend: bool = True, legend_size: float = 7) -> None:
    """Labels, an optional title, a small legend and a light grid: how the course's line plots end."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=title_size)
    if legend:
        ax.legend(fontsize=legend_size)
    ax.grid(alpha=0.3)


def plot_decision_regions(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    title: str = "",
    resolution: int = 200,
    padding: float = 0.5,
) -> Figure:
    """Colour the plane by ``predict`` (a function of an (n, 2) array) and scatter the points."""
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if ax is None:
        fig, axes = new_figure()
        ax = axes[0]
    fig = ax.figure
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    z = np.asarray(predict(grid), dtype=float).reshape(g0.shape)
    ax.contourf(g0, g1, z, levels=[-np.inf, 0.5, np.inf], colors=["#f6d5d5", "#d5e3f6"], alpha=0.9)
    for label, marker, color in [(0, "o", "#c0392b"), (1, "s", "#2e5fa3")]:
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=60, c=color, edgecolors="k", label=f"y = {label}", zorder=3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def show_digits(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    predictions: Sequence[int] | np.ndarray | None = None,
    ncols: int = 10,
    max_images: int = 30,
) -> Figure:
    """A grid of 8x8 digits titled by label (and prediction, red when wrong)."""
    images = np.asarray(images)[:max_images]
    n = len(images)
    if n == 0:
        raise ValueError("no images to show")
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(1.1 * min(n, ncols), 1.25 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, min(n, ncols))).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].reshape(8, 8), cmap="gray_r", interpolation="nearest")
        if predictions is None:
            ax.set_title(str(labels[i]), fontsize=9)
        else:
            wrong = int(predictions[i]) != int(labels[i])
            ax.set_title(f"{labels[i]}→{predictions[i]}", fontsize=9, color="#c0392b" if wrong else "black")
    return fig


def plot_history(history: Mapping[str, Sequence[float]], xlabel: str = "epoch", title: str = "") -> Figure:
    """Learning curves: one panel for keys containing 'loss', one for the rest (accuracies)."""
    losses = {k: v for k, v in history.items() if "loss" in k}
    others = {k: v for k, v in history.items() if "loss" not in k}
    panels = [p for p in (losses, others) if p]
    if not panels:
        raise ValueError("history is empty")
    fig, axes = new_figure(ncols=len(panels))
    for ax, panel in zip(axes, panels):
        for name, values in panel.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
