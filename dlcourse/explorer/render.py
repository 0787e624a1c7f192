"""Figures of optimizer races: contours with trajectories, loss curves, learning rates.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so the widget can
render it to PNG and tests can inspect it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from dlcourse.explorer.run import Trajectory
from dlcourse.explorer.surfaces import Surface

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_FLOOR = 1e-16  # losses are drawn as f - f_min on a log axis: keep exact zeros visible


_GRID_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def contour_grid(surface: Surface, resolution: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, Y and ``f - f_min`` (floored at 1e-16) on a grid over the surface's plotting window.

    Cached per surface and parameters: moving an optimizer's slider does not recompute the
    contours (the logistic surface needs a pass over its data set per grid point).
    """
    key = (surface.name, repr(sorted(surface.params.items())), surface.bounds, resolution)
    if key not in _GRID_CACHE:
        if len(_GRID_CACHE) > 32:
            _GRID_CACHE.clear()
        _GRID_CACHE[key] = _contour_grid(surface, resolution)
    return _GRID_CACHE[key]


def _contour_grid(surface: Surface, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    Z = surface.f(np.stack([X, Y], axis=-1)) - surface.f_min
    return X, Y, np.maximum(Z, _FLOOR)


def draw_contours(ax: Axes, surface: Surface, resolution: int = 160, n_levels: int = 25) -> None:
    """Contours with log-spaced levels (a valley and a plateau both stay readable), minima as stars."""
    X, Y, Z = contour_grid(surface, resolution)
    lo, hi = np.log10(max(float(Z.min()), 1e-6)), np.log10(float(Z.max()))
    ax.contour(X, Y, Z, levels=np.logspace(lo, hi, n_levels), cmap="viridis", linewidths=0.7, alpha=0.8)
    ax.plot(surface.minima[:, 0], surface.minima[:, 1], "*", color="gold", mec="k", ms=12, zorder=5)
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")


def _arrow(ax: Axes, origin: np.ndarray, vec: np.ndarray, color: str, style: str) -> None:
    if np.all(np.isfinite(vec)) and np.any(vec != 0):
        ax.annotate("", xy=origin + vec, xytext=origin,
                    arrowprops=dict(arrowstyle="->", color=color, lw=1.6, linestyle=style), zorder=6)


def plot_race(
    surface: Surface,
    trajectories: Sequence[Trajectory],
    step: int | None = None,
    labels: Sequence[str] | None = None,
    resolution: int = 160,
) -> Figure:
    """Three panels: trajectories on the contours; loss minus optimum (log); lr and step size (log).

    With ``step``, each trajectory shows at that step its negative gradient scaled by the lr
    (solid), its velocity scaled by the lr (dashed) and the actual step (dotted) as arrows. A
    divergent run ends with a red ×, where it left the finite world.
    """
    labels = list(labels) if labels is not None else [t.optimizer for t in trajectories]
    fig = Figure(figsize=(13.5, 4.2))
    ax_c, ax_l, ax_r = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
    # A fixed layout: matplotlib's constrained layout would double the time of every redraw.
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.12, top=0.92, wspace=0.22)
    draw_contours(ax_c, surface, resolution)
    for k, (traj, label) in enumerate(zip(trajectories, labels)):
        color = COLORS[k % len(COLORS)]
        pts = traj.points
        ax_c.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=1.4, label=label, zorder=4)
        ax_c.plot(pts[0, 0], pts[0, 1], "o", color=color, mec="k", ms=6, zorder=5)
        if traj.diverged:
            ax_c.plot(pts[-1, 0], pts[-1, 1], "x", color="red", ms=12, mew=3, zorder=7)
        steps_axis = np.arange(len(traj.losses))
        ax_l.semilogy(steps_axis, np.maximum(traj.losses - surface.f_min, _FLOOR), color=color,
                      label=label + (f" (diverged at step {traj.diverged_at})" if traj.diverged else ""))
        if traj.n_taken:
            t = np.arange(traj.n_taken)
            ax_r.semilogy(t, traj.lrs, "--", color=color, lw=1.0)
            ax_r.semilogy(t, np.maximum(np.linalg.norm(traj.steps, axis=1), _FLOOR), "-", color=color, lw=1.2)
        if step is not None and 0 <= step < traj.n_taken:
            origin = traj.points[step]
            _arrow(ax_c, origin, -traj.lrs[step] * traj.grads[step], color, "solid")
            _arrow(ax_c, origin, -traj.lrs[step] * traj.velocity[step], color, "dashed")
            _arrow(ax_c, origin, traj.steps[step], color, "dotted")
    if step is not None:
        for ax in (ax_l, ax_r):
            ax.axvline(step, color="0.5", lw=0.8)
    # Titles as plain text and no minor ticks: matplotlib's title placement and minor log ticks
    # were most of the time of every redraw.
    for ax, title in ((ax_c, surface.name), (ax_l, "loss − optimum"),
                      (ax_r, "learning rate (dashed) and |actual step| (solid)")):
        ax.text(0.5, 1.02, title, transform=ax.transAxes, ha="center", va="bottom", fontsize=10)
    ax_c.legend(fontsize=8, loc="upper right")
    ax_l.legend(fontsize=7)
    for ax in (ax_l, ax_r):
        ax.set_xlabel("step")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
    return fig
