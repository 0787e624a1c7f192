"""Figures, widget and data of the notebook "Week 4 · 4. Transfer learning: pretrain, freeze, fine-tune".

Nothing here is an exercise's solution. :func:`place_digits` puts the 8x8 digits at random positions
on a larger canvas (the data of the notebook); the plots draw images and the results of
the transfer experiment that the notebook computed with the learner's functions;
:func:`transfer_explorer` browses those precomputed results (no training happens in the widget).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dlcourse.widgets import FigureWidget

#: The three strategies of the experiment, in the order the figures list them, and their colours.
STRATEGIES = ("scratch", "probe", "finetune")
COLORS = {"scratch": "#7f7f7f", "probe": "#1f77b4", "finetune": "#d62728"}
LABELS = {"scratch": "from scratch", "probe": "frozen backbone + new head (probe)", "finetune": "full fine-tuning"}


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# ----------------------------------------------------------------------------- data
def place_digits(images: Any, canvas: int = 10, seed: int = 0) -> np.ndarray:
    """Paste each 8x8 image at a random position of a blank ``canvas`` x ``canvas`` image.

    ``images`` has shape (n, 8, 8) (or (n, 64)); the result is float32 of shape (n, 1, canvas,
    canvas), zero outside the pasted digit. The top-left corner of digit i is drawn uniformly from
    the ``(canvas - 7) ** 2`` positions that keep the digit whole, with a private
    ``np.random.default_rng(seed)``: the same seed gives the same positions.
    """
    imgs = np.asarray(images, dtype=np.float32)
    if imgs.ndim == 2 and imgs.shape[1] == 64:
        imgs = imgs.reshape(-1, 8, 8)
    if imgs.ndim != 3 or imgs.shape[1:] != (8, 8):
        raise ValueError(f"images must have shape (n, 8, 8) or (n, 64), got {imgs.shape}")
    if canvas < 8:
        raise ValueError(f"canvas must be at least 8, got {canvas}")
    n = len(imgs)
    rng = np.random.default_rng(seed)
    top, left = rng.integers(0, canvas - 7, size=(2, n))
    out = np.zeros((n, canvas, canvas), dtype=np.float32)
    rows = (top[:, None] + np.arange(8))[:, :, None]
    cols = (left[:, None] + np.arange(8))[:, None, :]
    out[np.arange(n)[:, None, None], rows, cols] = imgs
    return out[:, None]


# ----------------------------------------------------------------------------- static figures
def show_images(images: Any, labels: Sequence[int] | np.ndarray, predictions: Sequence[int] | np.ndarray | None = None,
                ncols: int = 10, max_images: int = 30, title: str = "") -> Figure:
    """A grid of single-channel images of any size, titled by label (and "label→prediction", red when wrong)."""
    imgs = _np(images).astype(float)
    if imgs.ndim == 4:
        imgs = imgs[:, 0]
    if imgs.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W) or (n, 1, H, W), got {imgs.shape}")
    imgs = imgs[:max_images]
    n = len(imgs)
    if n == 0:
        raise ValueError("no images to show")
    labels = _np(labels)
    cols = min(n, ncols)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(1.05 * cols, 1.2 * rows + (0.3 if title else 0.0)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(imgs[i], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        if predictions is None:
            ax.set_title(str(int(labels[i])), fontsize=9)
        else:
            pred = int(_np(predictions)[i])
            wrong = pred != int(labels[i])
            ax.set_title(f"{int(labels[i])}→{pred}", fontsize=9, color="#c0392b" if wrong else "black")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_budget_curves(budgets: Sequence[int], results: Mapping[str, Any], title: str = "") -> Figure:
    """Test accuracy against labelled images per class: one line (mean over seeds) per strategy.

    ``results[strategy]`` is an array (len(budgets), n_seeds) of accuracies; each seed is a dot.
    """
    budgets = [int(b) for b in budgets]
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    for name, acc in results.items():
        a = _np(acc).astype(float)
        if a.ndim != 2 or a.shape[0] != len(budgets):
            raise ValueError(f"results[{name!r}] must have shape ({len(budgets)}, n_seeds), got {a.shape}")
        color = COLORS.get(name)
        ax.plot(budgets, a.mean(axis=1), "-o", color=color, lw=2, label=LABELS.get(name, name))
        for j, b in enumerate(budgets):
            ax.plot([b] * a.shape[1], a[j], ".", color=color, alpha=0.35, ms=5)
    ax.set_xscale("log")
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.minorticks_off()
    ax.set_xlabel("labelled training images per class (digits 5-9)")
    ax.set_ylabel("test accuracy on digits 5-9")
    ax.set_ylim(0.0, 1.0)
    ax.axhline(0.2, color="0.6", ls=":", lw=1)
    ax.text(budgets[0], 0.215, "guessing", fontsize=8, color="0.45")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title or "mean over seeds (line) and each seed (dots)", fontsize=10)
    return fig


# ----------------------------------------------------------------------------- the explorer
_GAP_X, _GAP_Y = 1, 4  # pixels between tiles; the vertical gap above each tile holds its label


def _mosaic(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Images (m, H, W), m <= rows * cols, tiled in a grid; the gaps are NaN (drawn as background)."""
    h, w = images.shape[1:]
    out = np.full((rows * (h + _GAP_Y), cols * (w + _GAP_X) - _GAP_X), np.nan)
    for i, img in enumerate(images[: rows * cols]):
        r, c = divmod(i, cols)
        top, left = r * (h + _GAP_Y) + _GAP_Y, c * (w + _GAP_X)
        out[top: top + h, left: left + w] = img
    return out


def _check_runs(curves: Mapping[tuple[str, int], Any], predictions: Mapping[tuple[str, int], Any],
                steps: Sequence[int], n_test: int) -> tuple[list[int], list[str]]:
    if not curves:
        raise ValueError("curves is empty")
    budgets = sorted({int(b) for _, b in curves})
    strategies = [s for s in STRATEGIES if any(k[0] == s for k in curves)]
    for s in strategies:
        for b in budgets:
            if (s, b) not in curves or (s, b) not in predictions:
                raise ValueError(f"no run for strategy {s!r} with {b} labels per class")
            c = _np(curves[(s, b)])
            if c.ndim != 2 or c.shape[1] != len(steps):
                raise ValueError(f"curves[{(s, b)}] must have shape (n_seeds, {len(steps)}), got {c.shape}")
            if _np(predictions[(s, b)]).shape != (n_test,):
                raise ValueError(f"predictions[{(s, b)}] must have shape ({n_test},)")
    return budgets, strategies


class _RunView:
    """A kept figure: learning curves (left) and the test digits one run gets wrong (right)."""

    def __init__(self, curves: Mapping[tuple[str, int], Any], predictions: Mapping[tuple[str, int], Any],
                 steps: Sequence[int], test_images: Any, test_labels: Any, label_offset: int = 0,
                 size: tuple[float, float] = (8.8, 3.6), max_wrong: int = 24) -> None:
        self.images = _np(test_images).astype(float)
        if self.images.ndim == 4:
            self.images = self.images[:, 0]
        self.labels = _np(test_labels).astype(int)
        self.steps = np.asarray(steps, dtype=float)
        self.budgets, self.strategies = _check_runs(curves, predictions, steps, len(self.labels))
        self.curves = {k: _np(v).astype(float) for k, v in curves.items()}
        self.predictions = {k: _np(v).astype(int) for k, v in predictions.items()}
        self.offset = int(label_offset)
        self.rows, self.cols = 4, max_wrong // 4
        n_seeds = max(c.shape[0] for c in self.curves.values())
        fig = Figure(figsize=size)  # a fixed layout: constrained layout costs tens of ms per draw
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.14, top=0.86, wspace=0.08)
        self.ax_curve, self.ax_img = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
        ax = self.ax_curve
        self.seed_lines = [ax.plot([], [], lw=0.8, alpha=0.35)[0] for _ in range(n_seeds)]
        self.mean_lines = {s: ax.plot([], [], lw=1.6, color=COLORS[s], label=LABELS[s])[0] for s in self.strategies}
        ax.set_xlim(0, self.steps.max())
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel("training step")
        ax.set_ylabel("test accuracy (digits 5-9)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        h, w = self.images.shape[1:]
        self.image = self.ax_img.imshow(_mosaic(np.zeros((0, h, w)), self.rows, self.cols), cmap="gray_r",
                                        vmin=0.0, vmax=1.0, interpolation="nearest")
        self.ax_img.set_facecolor("#f3e6c8")
        self.ax_img.set_xticks([])
        self.ax_img.set_yticks([])
        self.texts = [self.ax_img.text(c * (w + _GAP_X) + w / 2 - 0.5, r * (h + _GAP_Y) + _GAP_Y - 0.7, "",
                                       ha="center", va="bottom", fontsize=7, color="#c0392b")
                      for r in range(self.rows) for c in range(self.cols)]
        self.fig = fig

    def draw(self, budget: int, strategy: str) -> Figure:
        budget = int(budget)
        if (strategy, budget) not in self.curves:
            raise ValueError(f"no run for strategy {strategy!r} with {budget} labels per class")
        for s, line in self.mean_lines.items():
            line.set_data(self.steps, self.curves[(s, budget)].mean(axis=0))
            line.set_linewidth(2.6 if s == strategy else 1.2)
            line.set_alpha(1.0 if s == strategy else 0.55)
        chosen = self.curves[(strategy, budget)]
        for i, line in enumerate(self.seed_lines):
            if i < len(chosen):
                line.set_data(self.steps, chosen[i])
                line.set_color(COLORS[strategy])
            else:
                line.set_data([], [])
        final = chosen[:, -1]
        self.ax_curve.set_title(f"{budget} label{'s' if budget > 1 else ''} per class: test accuracy\n"
                                f"{strategy}: {final.mean():.3f} (mean of {len(final)} seeds; thin: each seed)",
                                fontsize=9)
        pred = self.predictions[(strategy, budget)]
        wrong = np.flatnonzero(pred != self.labels)
        shown = wrong[: self.rows * self.cols]
        self.image.set_data(_mosaic(self.images[shown], self.rows, self.cols))
        for i, text in enumerate(self.texts):
            text.set_text(f"{self.labels[shown[i]] + self.offset}→{pred[shown[i]] + self.offset}"
                          if i < len(shown) else "")
        more = f", first {len(shown)} shown" if len(wrong) > len(shown) else ""
        self.ax_img.set_title(f"seed 0 gets {len(wrong)} of {len(pred)} test digits wrong{more}\n"
                              "(true → predicted)", fontsize=9)
        return self.fig


def plot_transfer_run(curves: Mapping[tuple[str, int], Any], predictions: Mapping[tuple[str, int], Any],
                      steps: Sequence[int], test_images: Any, test_labels: Any, budget: int, strategy: str,
                      label_offset: int = 0) -> Figure:
    """The explorer's view as a static figure: learning curves at ``budget`` and ``strategy``'s mistakes.

    ``curves[(strategy, budget)]`` is an array (n_seeds, len(steps)) of test accuracies during
    training; ``predictions[(strategy, budget)]`` the (n_test,) predicted classes of the first seed;
    ``label_offset`` is added to classes when they are printed (5 for digits 5-9 stored as 0-4).
    """
    return _RunView(curves, predictions, steps, test_images, test_labels, label_offset).draw(budget, strategy)


def transfer_explorer(curves: Mapping[tuple[str, int], Any], predictions: Mapping[tuple[str, int], Any],
                      steps: Sequence[int], test_images: Any, test_labels: Any, label_offset: int = 0,
                      width: int = 800, height: int = 340) -> FigureWidget:
    """Choose a label budget and a strategy; see the learning curves and the test digits that run gets wrong.

    Takes the same precomputed results as :func:`plot_transfer_run`; a change of control only
    updates the kept figure's artists.
    """
    import ipywidgets as widgets

    view = _RunView(curves, predictions, steps, test_images, test_labels, label_offset,
                    size=(width / 90, (height - 10) / 90))
    style = {"description_width": "120px"}
    controls = {
        "budget": widgets.Dropdown(options=[(f"{b} per class", b) for b in view.budgets], value=view.budgets[0],
                                   description="labelled images", style=style),
        "strategy": widgets.Dropdown(options=[(LABELS[s], s) for s in view.strategies], value=view.strategies[0],
                                     description="strategy", style=style, layout=widgets.Layout(width="420px")),
    }
    explorer = FigureWidget(view.draw, controls, width=width, height=height)
    explorer.view = view
    return explorer
