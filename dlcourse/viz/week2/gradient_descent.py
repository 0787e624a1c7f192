"""Figures of the notebook "Week 2 · 1. Gradient descent: batch, mini-batch and stochastic".

Everything here draws; nothing computes a gradient of a model, runs an optimizer or samples a
mini-batch, so no exercise's solution lives here. The loss landscapes take the loss to draw as a
vectorized function, the other plots take the numbers the notebook computed with the learner's
own functions. Each plot returns a ``matplotlib.figure.Figure`` (no pyplot state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dlcourse.plots import finish_axes, new_figure

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_FLOOR = 1e-16

Bounds = tuple[tuple[float, float], tuple[float, float]]


def _axes(ax: Axes | None, size: tuple[float, float] = (4.8, 4.0)) -> tuple[Figure, Axes]:
    if ax is None:
        fig, axes = new_figure(size=size)
        return fig, axes[0]
    return ax.figure, ax


def _check_bounds(bounds: Bounds) -> tuple[float, float, float, float]:
    try:
        (x0, x1), (y0, y1) = bounds
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((xmin, xmax), (ymin, ymax)), got {bounds!r}") from None
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be increasing, got {bounds!r}")
    return float(x0), float(x1), float(y0), float(y1)


def plot_landscape(
    loss_fn: Callable[[np.ndarray], np.ndarray],
    bounds: Bounds,
    paths: Mapping[str, np.ndarray] | None = None,
    arrows: bool = True,
    title: str = "",
    axis_labels: tuple[str, str] = ("$w$", "$b$"),
    ax: Axes | None = None,
    resolution: int = 120,
    n_levels: int = 20,
) -> Figure:
    """Contours of a loss of two parameters, optionally with downhill arrows and optimizer paths.

    ``loss_fn`` maps points ``P`` of shape ``(..., 2)`` to losses of shape ``(...)`` (vectorized).
    The contour levels are spaced evenly in log(loss − min) so the bottom of a valley stays visible.
    ``arrows`` draws the negative gradient on a coarse grid, estimated from the grid of losses by
    finite differences (``np.gradient``), each arrow scaled to the same length: the direction is
    what gradient descent follows. ``paths`` maps a label to an ``(n, 2)`` array of visited points.
    """
    x0, x1, y0, y1 = _check_bounds(bounds)
    fig, ax = _axes(ax)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(loss_fn(np.stack([X, Y], axis=-1)), dtype=np.float64)
    if Z.shape != X.shape:
        raise ValueError(f"loss_fn must map points of shape (..., 2) to shape (...); "
                         f"got {Z.shape} for {X.shape + (2,)}")
    gap = np.maximum(Z - Z.min(), _FLOOR)
    lo, hi = np.log10(max(float(np.quantile(gap, 0.002)), 1e-8)), np.log10(float(gap.max()))
    ax.contour(X, Y, gap, levels=np.logspace(lo, hi, n_levels), cmap="viridis", linewidths=0.8, alpha=0.85)
    k = np.unravel_index(int(np.argmin(Z)), Z.shape)
    ax.plot(X[k], Y[k], "*", color="gold", mec="k", ms=13, zorder=5, label="lowest loss on the grid")
    if arrows:
        gy, gx = np.gradient(Z, ys, xs)
        step = max(1, resolution // 9)
        sl = (slice(step // 2, None, step), slice(step // 2, None, step))
        u, v = -gx[sl], -gy[sl]
        # Equal arrow lengths on screen (6 % of the axes): scale each data-space vector by its length in
        # axis fractions, then draw it in data units (angles and scale_units "xy"), so directions stay true.
        norm = np.hypot(u / (x1 - x0), v / (y1 - y0))
        norm = np.where(norm > 0, norm, np.inf) / 0.06
        ax.quiver(X[sl], Y[sl], u / norm, v / norm, color="0.45", angles="xy", scale_units="xy", scale=1.0,
                  width=0.004, zorder=3)
    for i, (label, path) in enumerate((paths or {}).items()):
        pts = np.asarray(path, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(f"path {label!r} must have shape (n, 2), got {pts.shape}")
        color = COLORS[i % len(COLORS)]
        ax.plot(pts[:, 0], pts[:, 1], ".-", color=color, lw=1.2, ms=3, label=label, zorder=4)
        ax.plot(pts[0, 0], pts[0, 1], "o", color=color, mec="k", ms=6, zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    return fig


def plot_contraction(
    eigenvalues: Sequence[float] | np.ndarray,
    marks: Mapping[str, float] | None = None,
    lr_max: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """How much gradient descent shrinks each eigen-direction per step: ``|1 − η λ|`` against ``η``.

    One thin line per eigenvalue; the thick line is their maximum, the contraction factor of the
    slowest direction. Above the horizontal line at 1 GD diverges. ``marks`` labels learning rates
    with vertical lines (e.g. ``{"2/λmax": ..., "optimal": ...}``). The η axis runs to ``lr_max``
    (default ``2.4 / min(λ)`` capped at ``3 / max(λ)``).
    """
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64).ravel())
    if lam.size == 0 or not np.all(np.isfinite(lam)) or lam[0] <= 0:
        raise ValueError(f"eigenvalues must be positive and finite, got {lam}")
    fig, ax = _axes(ax, size=(6.0, 3.6))
    top = lr_max if lr_max is not None else min(2.4 / lam[0], 3.0 / lam[-1])
    eta = np.linspace(0.0, top, 600)
    factors = np.abs(1.0 - eta[:, None] * lam[None, :])
    for j, value in enumerate(lam):
        name = "λmin" if j == 0 else "λmax" if j == lam.size - 1 else None
        color = "#2e5fa3" if j == 0 else "#c0392b" if name else "0.6"
        ax.plot(eta, factors[:, j], lw=1.6 if name else 0.7, color=color,
                label=f"|1 − η·{name}|, {name} = {value:.3g}" if name else None)
    ax.plot(eta, factors.max(axis=1), color="k", lw=2.6, alpha=0.35, label="max over directions (the rate)")
    ax.axhline(1.0, color="0.3", lw=0.8, ls=":")
    for i, (label, lr) in enumerate((marks or {}).items()):
        ax.axvline(lr, color=COLORS[(i + 2) % len(COLORS)], lw=1.2, ls="--", label=f"{label}: η = {lr:.3g}")
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.9)
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("contraction factor per step")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def plot_convergence(
    curves: Mapping[str, Sequence[float] | np.ndarray],
    predicted_rates: Mapping[str, float] | None = None,
    xlabel: str = "step t",
    ylabel: str = "distance to the minimum",
    title: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Error curves on a log axis; ``predicted_rates[label] = r`` adds the dashed line ``curve[0]·rᵗ``."""
    if not curves:
        raise ValueError("nothing to plot")
    fig, ax = _axes(ax, size=(5.5, 3.6))
    for i, (label, values) in enumerate(curves.items()):
        v = np.asarray(values, dtype=np.float64)
        color = COLORS[i % len(COLORS)]
        t = np.arange(len(v))
        ax.semilogy(t, np.maximum(v, _FLOOR), color=color, lw=1.6, label=label)
        if predicted_rates and label in predicted_rates:
            r = float(predicted_rates[label])
            ax.semilogy(t, np.maximum(v[0] * r ** t, _FLOOR), "--", color=color, lw=1.0,
                        label=f"predicted {r:.3g}ᵗ")
    finish_axes(ax, xlabel, ylabel, title, title_size=10)
    return fig


def plot_batch_comparison(
    runs: Mapping[str, Sequence[float] | np.ndarray],
    updates_per_epoch: Mapping[str, int],
    n_examples: int,
    ylabel: str = "training loss − best possible",
) -> Figure:
    """The same runs twice: against epochs (= examples seen / N) and against parameter updates (log axis).

    ``runs[label]`` holds the full-data loss (gap) before training and after every epoch;
    ``updates_per_epoch[label]`` is ⌈N / B⌉ for that run's batch size B.
    """
    if not runs:
        raise ValueError("nothing to plot")
    fig, (ax_e, ax_u) = new_figure(ncols=2, size=(5.0, 3.6))
    for i, (label, values) in enumerate(runs.items()):
        v = np.maximum(np.asarray(values, dtype=np.float64), _FLOOR)
        color = COLORS[i % len(COLORS)]
        epochs = np.arange(len(v))
        ax_e.semilogy(epochs, v, ".-", color=color, label=label)
        ax_u.loglog(np.maximum(epochs * updates_per_epoch[label], 0.8), v, ".-", color=color, label=label)
    ax_e.set_xlabel(f"epochs  (= examples seen / {n_examples})")
    ax_u.set_xlabel("parameter updates (log scale; 0 drawn at 0.8)")
    ax_e.set_title("same number of examples seen", fontsize=10)
    ax_u.set_title("same number of steps", fontsize=10)
    for ax in (ax_e, ax_u):
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def plot_gradient_clouds(
    samples: Mapping[str, np.ndarray],
    full_gradient: Sequence[float] | np.ndarray,
    axis_labels: tuple[str, str] = ("∂L/∂w", "∂L/∂b"),
) -> Figure:
    """One panel per batch size: a scatter of mini-batch gradients (n, 2) around the full gradient (a star).

    All panels share their axes, so the clouds' sizes compare directly.
    """
    if not samples:
        raise ValueError("nothing to plot")
    g = np.asarray(full_gradient, dtype=np.float64)
    if g.shape != (2,):
        raise ValueError(f"full_gradient must have shape (2,), got {g.shape}")
    clouds = {k: np.asarray(v, dtype=np.float64) for k, v in samples.items()}
    for label, c in clouds.items():
        if c.ndim != 2 or c.shape[1] != 2:
            raise ValueError(f"samples[{label!r}] must have shape (n, 2), got {c.shape}")
    allpts = np.concatenate([*clouds.values(), g[None]])
    lo, hi = np.quantile(allpts, 0.01, axis=0), np.quantile(allpts, 0.99, axis=0)
    pad = 0.1 * (hi - lo) + 1e-12
    fig, axes = new_figure(ncols=len(clouds), size=(3.4, 3.2))
    for i, (ax, (label, c)) in enumerate(zip(axes, clouds.items())):
        ax.scatter(c[:, 0], c[:, 1], s=6, alpha=0.4, color=COLORS[i % len(COLORS)], label="mini-batch gradients")
        ax.plot(*g, "*", color="gold", mec="k", ms=14, zorder=5, label="full-batch gradient")
        spread = np.sqrt(np.mean(np.sum((c - g) ** 2, axis=1)))
        ax.set_title(f"{label}\nrms distance to the star {spread:.3g}", fontsize=9)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        ax.set_xlabel(axis_labels[0])
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(axis_labels[1])
    axes[0].legend(fontsize=7, loc="lower left")
    return fig


def plot_variance_vs_batch(
    batch_sizes: Sequence[int] | np.ndarray,
    measured: Mapping[str, Sequence[float] | np.ndarray],
    sigma2: Mapping[str, float],
    n_examples: int,
) -> Figure:
    """Mini-batch gradient variance against batch size B (log-log), measured and predicted.

    For each label: the measured points, the closed form ``σ² (N − B) / (B (N − 1))`` for sampling
    without replacement (solid) and ``σ² / B`` for sampling with replacement (dotted), where
    ``sigma2[label]`` is the variance of single-example gradients and N = ``n_examples``.
    """
    B = np.asarray(batch_sizes, dtype=np.float64)
    N = int(n_examples)
    if B.ndim != 1 or np.any(B < 1) or np.any(B > N):
        raise ValueError(f"batch sizes must lie in 1..{N}, got {B}")
    fig, axes = new_figure(size=(6.0, 3.8))
    ax = axes[0]
    b = np.unique(np.concatenate([np.geomspace(1, N, 200), B]))
    for i, (label, values) in enumerate(measured.items()):
        v = np.asarray(values, dtype=np.float64)
        if v.shape != B.shape:
            raise ValueError(f"measured[{label!r}] must have one value per batch size, got {v.shape}")
        color = COLORS[i % len(COLORS)]
        s2 = float(sigma2[label])
        ax.loglog(b, np.maximum(s2 * (N - b) / (b * (N - 1)), _FLOOR), "-", color=color, lw=1.2,
                  label=f"{label}: σ²(N−B)/(B(N−1))")
        ax.loglog(b, s2 / b, ":", color=color, lw=1.0, label=f"{label}: σ²/B (with replacement)")
        ax.loglog(B, np.maximum(v, _FLOOR), "o", color=color, mec="k", ms=6, label=f"{label}: Monte Carlo")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("E‖mini-batch gradient − full gradient‖²")
    ax.set_ylim(bottom=max(_FLOOR, 1e-4 * min(float(s) for s in sigma2.values()) / N))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower left")
    return fig


__all__ = [
    "plot_batch_comparison",
    "plot_contraction",
    "plot_convergence",
    "plot_gradient_clouds",
    "plot_landscape",
    "plot_variance_vs_batch",
]
