"""Plots and the digit browser of week 1, notebook 4 (training a 2-layer network on digits).

Everything here draws or counts; nothing trains a model or computes a loss or a gradient, so no
exercise's solution lives here. Each plot returns a ``matplotlib.figure.Figure`` (no pyplot state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dlcourse.plots import new_figure
from dlcourse.widgets import FigureWidget

_OK = "#2e7d32"
_WRONG = "#c0392b"
_NEUTRAL = "#9aa5b1"


def _labels(y: Any, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
    return arr


def class_counts(y: Sequence[int] | np.ndarray, n_classes: int = 10) -> np.ndarray:
    """How many samples of each class: an (n_classes,) int array."""
    labels = _labels(y, "y")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    return np.bincount(labels, minlength=n_classes).astype(np.int64)


def plot_class_balance(
    y_train: Sequence[int] | np.ndarray, y_test: Sequence[int] | np.ndarray, n_classes: int = 10
) -> Figure:
    """Side-by-side bars: the number of training and test samples of each class."""
    train, test = class_counts(y_train, n_classes), class_counts(y_test, n_classes)
    fig, axes = new_figure(size=(6.5, 2.8))
    ax = axes[0]
    x = np.arange(n_classes)
    ax.bar(x - 0.2, train, width=0.4, label=f"train ({train.sum()})", color="#2e5fa3")
    ax.bar(x + 0.2, test, width=0.4, label=f"test ({test.sum()})", color="#e08e0b")
    ax.set_xticks(x)
    ax.set_xlabel("class (digit)")
    ax.set_ylabel("samples")
    ax.set_title("class balance")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def confusion_matrix(
    y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, n_classes: int = 10
) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class i predicted as class j: an (n_classes, n_classes) int array."""
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    for name, arr in (("y_true", t), ("y_pred", p)):
        if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
            raise ValueError(f"{name} must lie in 0..{n_classes - 1}, got {arr.min()}..{arr.max()}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def plot_confusion_matrix(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    n_classes: int = 10,
    title: str = "",
) -> Figure:
    """The confusion matrix as an annotated heat map (rows: true class, columns: predicted class).

    The diagonal holds the correct predictions; every number off the diagonal is a kind of mistake.
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    fig, axes = new_figure(size=(4.8, 4.2))
    ax = axes[0]
    # Colour the off-diagonal mistakes on their own scale so that a single error stays visible.
    off = cm.astype(float)
    np.fill_diagonal(off, np.nan)
    top = max(2.0, 1.25 * float(np.nanmax(off))) if n_classes > 1 else 2.0
    ax.imshow(off, cmap="Reds", vmin=0, vmax=top)
    for i in range(n_classes):
        for j in range(n_classes):
            if cm[i, j] or i == j:
                color = _OK if i == j else ("white" if cm[i, j] >= 0.6 * top else "black")
                weight = "bold" if i == j else "normal"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8, color=color, fontweight=weight)
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    acc = np.trace(cm) / max(1, cm.sum())
    ax.set_title(title or f"confusion matrix (accuracy {acc:.1%})", fontsize=10)
    return fig


def plot_first_layer(W1: np.ndarray, n: int = 32, ncols: int = 8, image_shape: tuple[int, int] = (8, 8)) -> Figure:
    """The first ``n`` columns of W1 (shape (pixels, hidden)) drawn as images: what each hidden unit looks for.

    Blue pixels push the unit's input up, red ones push it down; each image has its own symmetric scale.
    """
    W = np.asarray(W1, dtype=float)
    if W.ndim != 2 or W.shape[0] != image_shape[0] * image_shape[1]:
        raise ValueError(f"W1 must have shape ({image_shape[0] * image_shape[1]}, n_hidden), got {W.shape}")
    n = min(n, W.shape[1])
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(1.0 * ncols, 1.0 * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k >= n:
            continue
        w = W[:, k].reshape(image_shape)
        m = float(np.abs(w).max()) or 1.0
        ax.imshow(w, cmap="RdBu", vmin=-m, vmax=m, interpolation="nearest")
        ax.set_title(f"unit {k}", fontsize=7)
    fig.suptitle("first-layer weights: one 8×8 template per hidden unit", fontsize=10)
    return fig


def plot_histograms(
    samples: Mapping[str, np.ndarray],
    bins: int = 60,
    xlabel: str = "value",
    title: str = "",
    stat_label: str = "std",
) -> Figure:
    """One histogram panel per named array (e.g. hidden pre-activations under different initializations).

    Each panel is titled by its name and, on a second line, ``stat_label`` and the array's standard deviation.
    """
    if not samples:
        raise ValueError("nothing to plot")
    fig, axes = new_figure(ncols=len(samples), size=(3.2, 2.6))
    for ax, (name, values) in zip(axes, samples.items()):
        v = np.asarray(values, dtype=float).ravel()
        ax.hist(v, bins=bins, color="#2e5fa3", alpha=0.85)
        ax.set_title(f"{name}\n{stat_label} {v.std():.3g}", fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


class DigitBrowserView:
    """A kept two-panel figure (a digit and the bar chart of its predicted probabilities) updated in place.

    ``draw(index, show)`` updates the image, the bars and the titles and returns the same Figure, which is
    cheaper than building a new one on every slider move. ``show`` is "all" or "mistakes"; with "mistakes"
    ``index`` counts through the misclassified digits only.
    """

    def __init__(self, images: np.ndarray, probs: np.ndarray, labels: Sequence[int] | np.ndarray) -> None:
        self.images = np.asarray(images, dtype=float).reshape(len(images), 8, 8)
        self.probs = np.asarray(probs, dtype=float)
        self.labels = _labels(labels, "labels")
        if self.probs.ndim != 2 or len(self.probs) != len(self.images) or len(self.labels) != len(self.images):
            raise ValueError(
                f"need one row of probabilities and one label per image: got {len(self.images)} images, "
                f"probs of shape {self.probs.shape}, {len(self.labels)} labels"
            )
        if len(self.images) == 0:
            raise ValueError("no images to browse")
        self.predictions = self.probs.argmax(axis=1)
        self.mistakes = np.flatnonzero(self.predictions != self.labels)
        n_classes = self.probs.shape[1]
        self.fig, axes = new_figure(ncols=2, size=(3.4, 2.8))
        self.ax_img, self.ax_bar = axes
        self.ax_img.axis("off")
        self.im = self.ax_img.imshow(self.images[0], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.bars = self.ax_bar.bar(np.arange(n_classes), np.zeros(n_classes), color=_NEUTRAL)
        self.ax_bar.set_ylim(0, 1.05)
        self.ax_bar.set_xticks(np.arange(n_classes))
        self.ax_bar.set_xlabel("class")
        self.ax_bar.set_ylabel("predicted probability")
        self.ax_bar.grid(axis="y", alpha=0.3)
        self.current = 0

    def test_index(self, index: int, show: str = "all") -> int:
        """Which test sample the controls point at (``show="mistakes"`` walks the misclassified ones)."""
        if show == "mistakes":
            if len(self.mistakes) == 0:
                return -1
            return int(self.mistakes[min(max(index, 0), len(self.mistakes) - 1)])
        return int(min(max(index, 0), len(self.images) - 1))

    def draw(self, index: int = 0, show: str = "all") -> Figure:
        i = self.test_index(index, show)
        if i < 0:
            self.ax_img.set_title("no misclassified digits", fontsize=9)
            return self.fig
        self.current = i
        p, y, pred = self.probs[i], int(self.labels[i]), int(self.predictions[i])
        img = self.images[i]
        self.im.set_data(img)
        self.im.set_clim(0, max(1.0, float(img.max())))
        for k, bar in enumerate(self.bars):
            bar.set_height(p[k])
            bar.set_color(_OK if k == y else (_WRONG if k == pred else _NEUTRAL))
        wrong = pred != y
        self.ax_img.set_title(f"test #{i}: label {y}", fontsize=10)
        self.ax_bar.set_title(
            f"predicted {pred} (p = {p[pred]:.2f})" + ("  ✗" if wrong else "  ✓"),
            fontsize=10,
            color=_WRONG if wrong else "black",
        )
        return self.fig


def digit_browser(
    images: np.ndarray,
    probs: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    width: int = 620,
    height: int = 260,
) -> FigureWidget:
    """A slider over test digits showing each image and the model's predicted probabilities.

    ``probs`` is an (n, n_classes) array computed once by the caller (no model runs in the callback).
    A dropdown switches between all digits and the misclassified ones only; the slider's range follows.
    The returned FigureWidget exposes ``.view`` (the :class:`DigitBrowserView`) and its controls.
    """
    import ipywidgets as widgets

    view = DigitBrowserView(images, probs, labels)
    n = len(view.images)
    slider = widgets.IntSlider(
        value=0, min=0, max=n - 1, step=1, description="index", continuous_update=False,
        layout=widgets.Layout(width="420px"),
    )
    show = widgets.Dropdown(
        options=[("all test digits", "all"), (f"misclassified only ({len(view.mistakes)})", "mistakes")],
        value="all",
        description="show",
    )
    fw = FigureWidget(view.draw, {"index": slider, "show": show}, width=width, height=height)

    def _on_show(change: Any) -> None:
        slider.value = 0
        slider.max = max(0, (len(view.mistakes) if change["new"] == "mistakes" else n) - 1)

    show.observe(_on_show, names="value")
    fw.view = view  # type: ignore[attr-defined]
    return fw
