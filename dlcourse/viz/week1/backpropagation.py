"""Plots for the week-1 notebook on computational graphs and backpropagation.

Only drawing lives here; every number these functions show is computed in the notebook (by the
learner's code where there is an exercise):

- :func:`plot_difference_errors`: error of finite-difference derivatives against the step ``h``
  on log-log axes, with the O(h) and O(h²) guide lines and the round-off floor ε/h;
- :func:`tile_figures`: several finished figures (e.g. graphs from :func:`dlcourse.graphs.draw_graph`)
  side by side in one figure;
- :func:`plot_relative_errors`: the relative errors of a gradient check as bars on a log scale,
  over bands that say what is good, suspicious and wrong in float64.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread

from dlcourse.widgets import figure_to_png

GOOD_BELOW = 1e-7  # a float64 gradient check below this agrees to round-off
WRONG_ABOVE = 1e-4  # above this the analytic gradient almost surely has a bug


def plot_difference_errors(
    h: np.ndarray,
    errors: Mapping[str, np.ndarray],
    eps: float = float(np.finfo(np.float64).eps),
    title: str = "",
) -> Figure:
    """Log-log plot of |numerical − exact derivative| against the step ``h``, one curve per method.

    Adds dashed guide lines of slope 1 (error ∝ h) and 2 (error ∝ h²) anchored on the curves'
    right ends (slope 1 above the largest, slope 2 above the smallest), the round-off level ε/h,
    and a ring at each curve's best ``h``.
    Zero errors (exact by luck) are drawn at ``eps * 1e-2`` so the log scale keeps them.
    """
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 1 or h.size < 2 or np.any(h <= 0):
        raise ValueError("h must be a 1-D array of at least two positive steps")
    if not errors:
        raise ValueError("no error curves to plot")
    fig = Figure(figsize=(7.0, 4.4), layout="constrained")
    ax = fig.add_subplot()
    floor = eps * 1e-2
    colors = ["#2e5fa3", "#c0392b", "#27864a", "#8e44ad"]
    right_ends = []
    lowest = np.inf
    for i, (name, err) in enumerate(errors.items()):
        color = colors[i % len(colors)]
        err = np.maximum(np.abs(np.asarray(err, dtype=np.float64)), floor)
        if err.shape != h.shape:
            raise ValueError(f"errors[{name!r}] has shape {err.shape}, h has shape {h.shape}")
        ax.loglog(h, err, "o-", ms=3, lw=1.5, color=color, label=name)
        best = int(np.argmin(err))
        lowest = min(lowest, float(err[best]))
        ax.loglog(h[best], err[best], "o", ms=9, mfc="none", mec=color, mew=2)
        ax.annotate(f"best h ≈ {h[best]:.0e}", (h[best], err[best]), textcoords="offset points",
                    xytext=(8, -12), ha="left", fontsize=8, color=color)
        right_ends.append(float(err[int(np.argmax(h))]))
    hb = h[h >= np.sqrt(h.min() * h.max())]
    top = h.max()
    ax.loglog(hb, 4 * max(right_ends) * (hb / top), "--", color="#888888", lw=1, label="slope 1: error ∝ h")
    ax.loglog(hb, 4 * min(right_ends) * (hb / top) ** 2, ":", color="#555555", lw=1.5, label="slope 2: error ∝ h²")
    ax.loglog(h, eps / h, "-.", color="#b7950b", lw=1, label="round-off ≈ ε / h")
    ax.set_ylim(lowest / 30, None)
    ax.set_xlabel("step h")
    ax.set_ylabel("|numerical − exact|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper center")
    ax.set_title(title or "Truncation error (right) vs round-off error (left)")
    return fig


def tile_figures(
    figures: Sequence[Figure],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    dpi: int = 90,
    width: float = 14.0,
) -> Figure:
    """Show finished figures side by side: each is rendered to an image and placed in a grid cell.

    ``width`` is the width of the result in inches; the height follows from the tallest row.
    """
    if not figures:
        raise ValueError("no figures to tile")
    if titles is not None and len(titles) != len(figures):
        raise ValueError(f"{len(titles)} titles for {len(figures)} figures")
    images = [imread(io.BytesIO(figure_to_png(f, dpi=dpi)), format="png") for f in figures]
    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    aspect = max(im.shape[0] / im.shape[1] for im in images)
    fig = Figure(figsize=(width, width / ncols * aspect * nrows + 0.4 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], interpolation="antialiased")
            if titles is not None:
                ax.set_title(titles[i], fontsize=11)
    return fig


def plot_relative_errors(errors: Mapping[str, float], title: str = "Gradient check (float64)") -> Figure:
    """Horizontal bars of relative errors on a log axis, over green / orange / red bands.

    Green (< 1e-7): the analytic gradient matches; orange: look closer (kinks such as ReLU at 0,
    float32, a too large ``h``); red (> 1e-4): almost surely a bug.
    """
    if not errors:
        raise ValueError("no errors to plot")
    names = list(errors)
    vals = np.array([float(errors[k]) for k in names], dtype=np.float64)
    shown = np.clip(np.where(np.isfinite(vals), vals, 1.0), 1e-16, 1.0)
    fig = Figure(figsize=(7.0, 0.45 * len(names) + 1.3), layout="constrained")
    ax = fig.add_subplot()
    ax.axvspan(1e-17, GOOD_BELOW, color="#d5f0dc", zorder=0)
    ax.axvspan(GOOD_BELOW, WRONG_ABOVE, color="#fbe8c8", zorder=0)
    ax.axvspan(WRONG_ABOVE, 10.0, color="#f6d5d5", zorder=0)
    colors = ["#27864a" if v < GOOD_BELOW else "#b9770e" if v < WRONG_ABOVE else "#c0392b" for v in shown]
    y = np.arange(len(names))[::-1]
    ax.barh(y, shown, left=1e-17, color=colors, height=0.6, zorder=2)
    for yi, v, s in zip(y, vals, shown):
        ax.text(s * 1.6, yi, f"{v:.1e}", va="center", fontsize=8, zorder=3)
    ax.set_yticks(y, names, fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(1e-17, 10.0)
    ax.set_xlabel("relative error  max|a − n| / max(|a| + |n|)")
    ax.set_title(title)
    return fig
