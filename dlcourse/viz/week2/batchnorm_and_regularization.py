"""Figures and widgets of the notebook "Week 2 · 5. Batch normalization, dropout, weight decay and early stopping".

Nothing here is an exercise's solution: the figures draw arrays that the notebook computes (with the
learner's functions once they are written), or closed forms (the minimizer of an L2-penalized
quadratic). The dropout picture only shows which units a mask keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse

from dlcourse.plots import new_figure
from dlcourse.widgets import FigureWidget

_BLUE = "#2e5fa3"
_RED = "#c0392b"
_GREEN = "#27ae60"
_GREY = "#b3b3b3"


# ----------------------------------------------------------------------------- batch normalization
def plot_normalization(stages: Mapping[str, np.ndarray], feature_names: Sequence[str] = ("feature 1", "feature 2"),
                       share_axes: bool = True) -> Figure:
    """One scatter panel per stage of a batch of 2 features (arrays of shape (N, 2)).

    Each panel marks the per-feature mean (a cross) and a ±1 standard deviation ellipse, and its title
    gives both features' mean and standard deviation over the batch, the quantities batch norm fixes.
    """
    if not stages:
        raise ValueError("stages is empty: nothing to draw")
    arrays = {}
    for name, x in stages.items():
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"stage {name!r}: expected an array of shape (N, 2), got {x.shape}")
        arrays[name] = x
    fig, axes = new_figure(ncols=len(arrays), size=(3.4, 3.4))
    everything = np.concatenate(list(arrays.values()))
    lim = float(np.abs(everything).max()) * 1.1 + 1e-9
    for ax, (name, x) in zip(axes, arrays.items()):
        mean, std = np.round(x.mean(axis=0), 2) + 0.0, x.std(axis=0)  # + 0.0 turns -0.0 into 0.0
        ax.scatter(x[:, 0], x[:, 1], s=14, color=_BLUE, alpha=0.6, edgecolors="none")
        ax.add_patch(Ellipse((mean[0], mean[1]), 2 * std[0], 2 * std[1], fill=False, ec=_RED, lw=1.5))
        ax.plot(mean[0], mean[1], "+", color=_RED, ms=14, mew=2)
        ax.axhline(0, color="0.75", lw=0.8, zorder=0)
        ax.axvline(0, color="0.75", lw=0.8, zorder=0)
        if share_axes:
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
        ax.set_aspect("equal", adjustable="box" if share_axes else "datalim")
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(feature_names[1])
        ax.set_title(f"{name}\nmean ({mean[0]:.2f}, {mean[1]:.2f}), std ({std[0]:.2f}, {std[1]:.2f})", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- dropout
def draw_dropout_masks(p: float = 0.5, seed: int = 0, layer_sizes: Sequence[int] = (4, 7, 7, 3),
                       n_masks: int = 3) -> Figure:
    """``n_masks`` thinned networks: the same network with the hidden units that dropout drops greyed out.

    Every hidden layer gets a fresh mask ``rng.random(n) >= p`` (True = kept) from
    ``np.random.default_rng(seed)``; inputs and outputs are never dropped. Kept units are labelled with
    the factor 1/(1 - p) by which inverted dropout scales them.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    if len(layer_sizes) < 3 or min(layer_sizes) < 1:
        raise ValueError(f"layer_sizes needs an input, at least one hidden and an output layer, got {layer_sizes}")
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(3.3 * n_masks, 3.0))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.84, wspace=0.05)
    axes = np.atleast_1d(fig.subplots(1, n_masks))
    n_layers = len(layer_sizes)
    top = max(layer_sizes)
    for k, ax in enumerate(axes):
        keep = [np.ones(layer_sizes[0], dtype=bool)]
        keep += [rng.random(n) >= p for n in layer_sizes[1:-1]]
        keep.append(np.ones(layer_sizes[-1], dtype=bool))

        def pos(layer: int, j: int) -> tuple[float, float]:
            return 1.6 * layer, (layer_sizes[layer] - 1) / 2.0 - j

        for layer in range(n_layers - 1):
            for i in range(layer_sizes[layer]):
                for j in range(layer_sizes[layer + 1]):
                    if keep[layer][i] and keep[layer + 1][j]:
                        (x0, y0), (x1, y1) = pos(layer, i), pos(layer + 1, j)
                        ax.plot([x0, x1], [y0, y1], color=_BLUE, lw=0.7, alpha=0.55, zorder=1)
        for layer, n in enumerate(layer_sizes):
            hidden = 0 < layer < n_layers - 1
            for j in range(n):
                x, y = pos(layer, j)
                kept = keep[layer][j]
                face = "white" if not kept else ("#fff3d6" if hidden else "#eef4fb")
                ax.add_patch(Circle((x, y), 0.28, facecolor=face, edgecolor=_BLUE if kept else _GREY, lw=1.2,
                                    zorder=2))
                if not kept:
                    ax.plot([x - 0.2, x + 0.2], [y - 0.2, y + 0.2], color=_RED, lw=1.5, zorder=3)
                    ax.plot([x - 0.2, x + 0.2], [y + 0.2, y - 0.2], color=_RED, lw=1.5, zorder=3)
        dropped = int(sum((~m).sum() for m in keep[1:-1]))
        total = int(sum(layer_sizes[1:-1]))
        ax.set_title(f"mini-batch {k + 1}: {dropped} of {total} hidden units dropped", fontsize=9)
        ax.set_xlim(-0.5, 1.6 * (n_layers - 1) + 0.5)
        ax.set_ylim(-(top - 1) / 2.0 - 0.6, (top - 1) / 2.0 + 0.6)
        ax.set_aspect("equal")
        ax.axis("off")
    scale = 1.0 / (1.0 - p)
    fig.suptitle(f"dropout with p = {p:.2f}: each step trains a different thinned network; "
                 f"kept units are scaled by 1/(1-p) = {scale:.2f}", fontsize=10)
    return fig


def dropout_explorer(width: int = 890, height: int = 290) -> FigureWidget:
    """Sliders for the drop probability p and the seed over :func:`draw_dropout_masks`."""
    import ipywidgets as widgets

    style = {"description_width": "120px"}
    controls = {
        "p": widgets.FloatSlider(value=0.5, min=0.0, max=0.9, step=0.05, description="drop probability p",
                                 continuous_update=False, style=style),
        "seed": widgets.IntSlider(value=0, min=0, max=20, description="seed (new masks)", continuous_update=False,
                                  style=style),
    }
    return FigureWidget(draw_dropout_masks, controls, width=width, height=height)


# ----------------------------------------------------------------------------- weight decay
def l2_minimizer(lam: float, curvatures: Sequence[float], w_star: Sequence[float]) -> np.ndarray:
    """The minimizer of ``0.5 * sum_i h_i (w_i - w*_i)^2 + 0.5 * lam * |w|^2``: ``h_i / (h_i + lam) * w*_i``."""
    h = np.asarray(curvatures, dtype=np.float64)
    return h / (h + lam) * np.asarray(w_star, dtype=np.float64)


def draw_weight_decay(lam: float = 0.3, curvatures: Sequence[float] = (0.2, 2.0),
                      w_star: Sequence[float] = (2.0, 1.5)) -> Figure:
    """Left: the contours of a quadratic loss, circles of equal |w|, and where the penalized minimum sits.

    The loss is ``0.5 * sum_i h_i (w_i - w*_i)^2`` with curvatures ``h`` along the two axes. Adding
    ``0.5 * lam * |w|^2`` moves the minimum from ``w*`` towards 0 along the drawn path (lam from 0 to
    infinity). Right: each coordinate's shrink factor ``h_i / (h_i + lam)``: the flat direction (small
    ``h_i``), along which the data say little, is shrunk first.
    """
    if lam < 0:
        raise ValueError(f"lam must be non-negative, got {lam}")
    h = np.asarray(curvatures, dtype=np.float64)
    ws = np.asarray(w_star, dtype=np.float64)
    if h.shape != (2,) or ws.shape != (2,) or (h <= 0).any():
        raise ValueError("curvatures (positive) and w_star must both have two entries")
    w_lam = l2_minimizer(lam, h, ws)
    fig = Figure(figsize=(9.6, 3.9))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.88, wspace=0.28)
    ax, ax2 = fig.subplots(1, 2)
    lo, hi = -1.0, max(float(ws.max()) + 1.0, 3.0)
    g = np.linspace(lo, hi, 200)
    W0, W1 = np.meshgrid(g, g)
    loss = 0.5 * (h[0] * (W0 - ws[0]) ** 2 + h[1] * (W1 - ws[1]) ** 2)
    ax.contour(W0, W1, loss, levels=np.geomspace(0.02, float(loss.max()), 12), colors=_BLUE, linewidths=0.8,
               alpha=0.7)
    for r in (0.5, 1.0, 1.5, 2.0, 2.5):
        ax.add_patch(Circle((0, 0), r, fill=False, ec="0.6", ls="--", lw=0.8))
    path = np.array([l2_minimizer(t, h, ws) for t in np.concatenate([[0.0], np.geomspace(1e-3, 1e3, 200)])])
    ax.plot(path[:, 0], path[:, 1], color=_GREEN, lw=2, label="minimum as λ grows")
    ax.plot(*ws, "*", color=_BLUE, ms=14, label="w* (no penalty)")
    ax.plot(*w_lam, "o", color=_RED, ms=9, label=f"minimum with λ = {lam:.3g}")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(f"$w_1$ (curvature {h[0]:g}: flat)")
    ax.set_ylabel(f"$w_2$ (curvature {h[1]:g}: steep)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"loss + λ/2·|w|²: minimum at ({w_lam[0]:.2f}, {w_lam[1]:.2f})", fontsize=10)

    lams = np.geomspace(1e-3, 1e3, 300)
    for i, (color, name) in enumerate([(_RED, "$w_1$ (flat)"), (_BLUE, "$w_2$ (steep)")]):
        ax2.semilogx(lams, h[i] / (h[i] + lams), color=color, lw=2, label=f"{name}: $h_{i + 1}/(h_{i + 1}+λ)$")
    ax2.axvline(max(lam, 1e-3), color="0.3", ls=":", lw=1.2)
    ax2.set_ylim(-0.03, 1.03)
    ax2.set_xlabel("λ")
    ax2.set_ylabel("shrink factor of the coordinate")
    ax2.legend(fontsize=8, loc="lower left")
    ax2.grid(alpha=0.3)
    ax2.set_title("flat directions are shrunk first", fontsize=10)
    return fig


def weight_decay_explorer(width: int = 864, height: int = 351) -> FigureWidget:
    """A log-scale λ slider over :func:`draw_weight_decay`."""
    import ipywidgets as widgets

    slider = widgets.FloatLogSlider(value=0.3, base=10, min=-3, max=2, step=0.05, description="λ",
                                    continuous_update=False)
    return FigureWidget(draw_weight_decay, {"lam": slider}, width=width, height=height)


# ----------------------------------------------------------------------------- training curves
def plot_runs(runs: Mapping[str, Mapping[str, Sequence[float]]], title: str = "") -> Figure:
    """Compare training runs: one column per run, losses on top, accuracies below.

    Each run is a history dict with lists ``train_loss``, ``val_loss`` and optionally ``train_acc``,
    ``val_acc`` (one entry per epoch, epochs counted from 0). Every panel shares its row's y axis, so the
    runs compare at a glance; the final values are in the titles.
    """
    if not runs:
        raise ValueError("runs is empty: nothing to draw")
    has_acc = all("train_acc" in h and "val_acc" in h for h in runs.values())
    nrows = 2 if has_acc else 1
    fig = Figure(figsize=(3.3 * len(runs), 2.7 * nrows), layout="constrained")
    axes = np.asarray(fig.subplots(nrows, len(runs), sharey="row", squeeze=False))
    for col, (name, hist) in enumerate(runs.items()):
        for key in ("train_loss", "val_loss"):
            if key not in hist:
                raise ValueError(f"run {name!r} has no {key!r}")
        ax = axes[0, col]
        ax.plot(np.arange(len(hist["train_loss"])), hist["train_loss"], color=_BLUE, label="train")
        ax.plot(np.arange(len(hist["val_loss"])), hist["val_loss"], color=_RED, label="validation")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.set_title(f"{name}\nloss: train {hist['train_loss'][-1]:.3f}, val {hist['val_loss'][-1]:.3f}",
                     fontsize=9)
        if has_acc:
            ax = axes[1, col]
            ax.plot(np.arange(len(hist["train_acc"])), hist["train_acc"], color=_BLUE, label="train")
            ax.plot(np.arange(len(hist["val_acc"])), hist["val_acc"], color=_RED, label="validation")
            ax.set_ylim(0.5, 1.01)
            ax.grid(alpha=0.3)
            ax.set_title(f"accuracy: train {hist['train_acc'][-1]:.3f}, val {hist['val_acc'][-1]:.3f}", fontsize=9)
        axes[-1, col].set_xlabel("epoch")
    axes[0, 0].set_ylabel("cross-entropy (log scale)")
    axes[0, 0].legend(fontsize=8)
    if has_acc:
        axes[1, 0].set_ylabel("accuracy")
    if title:
        fig.suptitle(title)
    return fig


def plot_early_stopping(val_losses: Sequence[float], best_epoch: int, stop_epoch: int, patience: int,
                        train_losses: Sequence[float] | None = None, title: str = "") -> Figure:
    """A validation curve with early stopping drawn on it (epochs counted from 0, as in the exercise).

    The best epoch gets a star (its weights are the ones restored), the ``patience`` epochs after it are
    shaded, and the epochs never trained (after ``stop_epoch``) are drawn faint.
    """
    val = np.asarray(val_losses, dtype=np.float64)
    if val.ndim != 1 or val.size == 0:
        raise ValueError("val_losses must be a non-empty 1-D sequence")
    if not 0 <= best_epoch <= stop_epoch < val.size:
        raise ValueError(f"need 0 <= best_epoch <= stop_epoch < {val.size}, got {best_epoch}, {stop_epoch}")
    fig, (ax,) = new_figure(size=(6.4, 3.4))
    epochs = np.arange(val.size)
    seen = epochs <= stop_epoch
    if train_losses is not None:
        tr = np.asarray(train_losses, dtype=np.float64)
        ax.plot(epochs[: tr.size][seen[: tr.size]], tr[seen[: tr.size]], color=_BLUE, label="train loss")
    ax.plot(epochs[seen], val[seen], color=_RED, label="validation loss")
    if (~seen).any():
        ax.plot(epochs[~seen], val[~seen], color=_RED, alpha=0.25, label="(never trained: stopped)")
    ax.axvspan(best_epoch, min(best_epoch + patience, stop_epoch), color="#f1c40f", alpha=0.2,
               label=f"patience window ({patience} epochs)")
    ax.plot(best_epoch, val[best_epoch], "*", color=_GREEN, ms=16, zorder=5,
            label=f"best epoch {best_epoch} (weights restored)")
    ax.axvline(stop_epoch, color="0.3", ls="--", lw=1.2, label=f"stop after epoch {stop_epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "early stopping on the validation loss", fontsize=10)
    return fig
