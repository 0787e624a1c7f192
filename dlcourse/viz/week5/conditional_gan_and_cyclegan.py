"""Figures, data and widget of the notebook "Week 5 · 4. Conditional GANs and CycleGAN".

Nothing here is an exercise's solution. :func:`make_digit_domains` builds the two unpaired domains
of the CycleGAN part (digits, and other digits with their colours inverted); the plots draw grids
of digits that the notebook generated with the learner's models; :func:`sample_explorer` shows
samples that a function of the notebook draws, and computes nothing but the drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from dlcourse.widgets import FigureWidget


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


# ----------------------------------------------------------------------------- the two domains
class DigitDomains(NamedTuple):
    """Two unpaired domains of 8×8 digits as rows of 64 pixels in [-1, 1] (float32).

    ``a``: digits as they are (ink +1, background -1); ``b``: *other* digits with inverted colours
    (ink -1, background +1). ``labels_a`` and ``labels_b`` are kept for measuring only: a
    CycleGAN never sees them, nor which digit of ``a`` would correspond to which of ``b``.
    """

    a: np.ndarray
    b: np.ndarray
    labels_a: np.ndarray
    labels_b: np.ndarray


def make_digit_domains(X: Any, y: Any, seed: int = 0) -> DigitDomains:
    """Split digits ``X`` (n, 64) with pixels in [0, 1] into two unpaired domains of about n / 2 each.

    A seeded random half becomes domain A (pixels mapped to [-1, 1] by ``2x - 1``); the other half,
    inverted (``1 - x``) and mapped the same way, becomes domain B. No digit is in both, so there
    are no pairs (a, b) of the same digit to learn from.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 64 or len(y) != len(X):
        raise ValueError(f"need X of shape (n, 64) and y of shape (n,), got {X.shape} and {y.shape}")
    if X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError("the pixels of X must lie in [0, 1]")
    order = np.random.default_rng(seed).permutation(len(X))
    first, second = order[: len(X) // 2], order[len(X) // 2:]
    a = (2 * X[first] - 1).astype(np.float32)
    b = (2 * (1 - X[second]) - 1).astype(np.float32)
    return DigitDomains(a, b, y[first].astype(np.int64), y[second].astype(np.int64))


# ----------------------------------------------------------------------------- grids of digits
def plot_digit_grid(images: Any, row_titles: Sequence[str] = (), col_titles: Sequence[str] = (),
                    title: str = "", size: float = 0.75) -> Figure:
    """A grid of digits: ``images`` (R, C, 64) or (R, C, 8, 8) with pixels in [0, 1], ink dark.

    ``row_titles`` (R of them, or none) label the rows on the left, ``col_titles`` (C, or none) the
    columns on top.
    """
    imgs = _np(images)
    if imgs.ndim == 3 and imgs.shape[-1] == 64:
        imgs = imgs.reshape(*imgs.shape[:2], 8, 8)
    if imgs.ndim != 4 or imgs.shape[-2:] != (8, 8) or 0 in imgs.shape[:2]:
        raise ValueError(f"need images of shape (R, C, 8, 8) or (R, C, 64), got {_np(images).shape}")
    nrows, ncols = imgs.shape[:2]
    if row_titles and len(row_titles) != nrows:
        raise ValueError(f"need {nrows} row titles, got {len(row_titles)}")
    if col_titles and len(col_titles) != ncols:
        raise ValueError(f"need {ncols} column titles, got {len(col_titles)}")
    left = 1.6 if row_titles else 0.0
    fig = Figure(figsize=(size * ncols + left, size * nrows + (0.45 if title else 0.1) + (0.2 if col_titles else 0)),
                 layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    for r in range(nrows):
        for c in range(ncols):
            ax = axes[r, c]
            ax.imshow(imgs[r, c], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and col_titles:
                ax.set_title(str(col_titles[c]), fontsize=8)
            if c == 0 and row_titles:
                ax.set_ylabel(str(row_titles[r]), fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_round_trips(rows: dict[str, Sequence[Any]], title: str = "") -> Figure:
    """A → B → A for several models: ``rows[name] = (a, G_ab(a), G_ba(G_ab(a)))``, each (n, 64) in [-1, 1].

    Three rows of digits per model (the input, its translation, the way back), rescaled to [0, 1]
    for display, so the reader compares the first and the third row of each model.
    """
    if not rows:
        raise ValueError("rows is empty")
    grids, titles = [], []
    for name, triple in rows.items():
        if len(triple) != 3:
            raise ValueError(f"rows[{name!r}] must hold (a, G_ab(a), G_ba(G_ab(a)))")
        parts = [_np(t).reshape(len(_np(t)), -1) for t in triple]
        if len({p.shape for p in parts}) != 1 or parts[0].shape[1] != 64:
            raise ValueError(f"rows[{name!r}]: need three arrays of the same shape (n, 64)")
        grids += [(p + 1) / 2 for p in parts]
        titles += [f"{name}: a", f"{name}: G_ab(a)", f"{name}: G_ba(G_ab(a))"]
    return plot_digit_grid(np.stack(grids), titles, title=title)


# ----------------------------------------------------------------------------- the sample explorer
def sample_explorer(sample: Callable[[int, int], Any], n_classes: int = 10, n: int = 16,
                    seeds: int = 50) -> FigureWidget:
    """Pick a class and a noise seed; see ``n`` samples ``sample(label, seed)`` ((n, 64) or (n, 8, 8) in [0, 1]).

    The samples are drawn as one mosaic, ``side`` per row; the figure is built once and each change only
    replaces its pixels.
    """
    import ipywidgets as widgets

    side = int(np.ceil(np.sqrt(n)))
    fig = Figure(figsize=(3.2, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xticks([])
    ax.set_yticks([])
    cmap = matplotlib.colormaps["gray_r"].with_extremes(bad="white")
    mosaic = np.full((9 * side - 1, 9 * side - 1), np.nan)  # the samples, one blank pixel apart
    shown = ax.imshow(mosaic, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")

    def draw(label: int, seed: int) -> Figure:
        imgs = _np(sample(int(label), int(seed))).reshape(-1, 8, 8)
        if len(imgs) < n:
            raise ValueError(f"sample({label}, {seed}) gave {len(imgs)} images, need {n}")
        grid = np.full_like(mosaic, np.nan)
        for k, img in enumerate(imgs[:n]):
            r, c = divmod(k, side)
            grid[9 * r:9 * r + 8, 9 * c:9 * c + 8] = img
        shown.set_data(grid)
        ax.set_title(f"class {label}, noise seed {seed}", fontsize=9)
        return fig

    controls = {
        "label": widgets.IntSlider(value=0, min=0, max=n_classes - 1, description="class"),
        "seed": widgets.IntSlider(value=0, min=0, max=seeds - 1, description="noise seed"),
    }
    return FigureWidget(draw, controls, width=340, height=360, dpi=72)
