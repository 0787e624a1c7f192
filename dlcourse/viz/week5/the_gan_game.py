"""Figures, widget and data of the notebook "Week 5 · 1. The GAN game: two networks, one minimax objective".

Nothing here is an exercise's solution. The data helpers give the notebook's 1-D example (real
data N(2, 0.5²), noise N(0, 1)): Gaussian densities on a grid, seeded samples and a kernel density
estimate of generated samples. The plots draw what the notebook computed with the learner's
functions: densities and discriminators, the generator's gradients, the trajectories of the
bilinear game and the snapshots of a 1-D GAN. :func:`gan_snapshot_explorer` steps through those
snapshots; it computes nothing but the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dlcourse.plots import finish_axes, log_tick_label
from dlcourse.widgets import FigureWidget

REAL_MEAN, REAL_STD = 2.0, 0.5  # the real data of the notebook: N(2, 0.5²)
_REAL, _FAKE, _D, _DSTAR = "#1f77b4", "#d62728", "#2ca02c", "#333333"


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


# ----------------------------------------------------------------------------- data
def normal_pdf(x: torch.Tensor, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    """The density of N(mean, std²) at every entry of ``x`` (same shape, dtype and device)."""
    if not std > 0:
        raise ValueError(f"std must be positive, got {std}")
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def sample_normal(n: int, mean: float, std: float, generator: torch.Generator) -> torch.Tensor:
    """``n`` float32 samples of N(mean, std²), shape (n,), on the CPU, drawn with ``generator``."""
    if n < 0 or not std > 0:
        raise ValueError(f"need n >= 0 and std > 0, got n={n}, std={std}")
    return mean + std * torch.randn(n, generator=generator)


def density_estimate(samples: Any, x: Any, bandwidth: float | None = None) -> np.ndarray:
    """A Gaussian kernel density estimate of 1-D ``samples`` at the points ``x`` (float64 array).

    The default bandwidth is Silverman's rule, 0.9 · min(std, IQR / 1.34) · n^(-1/5), kept above
    1e-3 so that samples that all sit at one point still give a (very narrow) density.
    """
    s = _np(samples).ravel()
    grid = _np(x)
    if s.size == 0:
        raise ValueError("need at least one sample")
    if bandwidth is None:
        q75, q25 = np.percentile(s, [75, 25])
        spread = min(s.std(), (q75 - q25) / 1.34) if q75 > q25 else s.std()
        bandwidth = max(0.9 * spread * s.size ** -0.2, 1e-3)
    z = (grid[..., None] - s) / bandwidth
    return np.exp(-0.5 * z**2).sum(-1) / (s.size * bandwidth * math.sqrt(2 * math.pi))


# ----------------------------------------------------------------------------- the game
def plot_two_players(x: Any, p: Any, q: Any, d: Any | None = None, real: Any | None = None,
                     fake: Any | None = None, d_label: str = "D(x)", title: str = "") -> Figure:
    """The real density ``p`` and the generator's density ``q`` on the grid ``x`` (left axis), the
    histograms of ``real`` and ``fake`` samples if given, and a discriminator's output ``d`` in
    [0, 1] on the right axis."""
    xs, ps, qs = _np(x), _np(p), _np(q)
    if not (xs.ndim == 1 and ps.shape == xs.shape and qs.shape == xs.shape):
        raise ValueError(f"x, p and q must be 1-D of one length, got {xs.shape}, {ps.shape}, {qs.shape}")
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = fig.add_subplot()
    bins = np.linspace(xs[0], xs[-1], 61)
    if real is not None:
        ax.hist(_np(real).ravel(), bins=bins, density=True, color=_REAL, alpha=0.25, label="real samples")
    if fake is not None:
        ax.hist(_np(fake).ravel(), bins=bins, density=True, color=_FAKE, alpha=0.25, label="generated samples")
    ax.plot(xs, ps, color=_REAL, lw=2, label="p: real data")
    ax.plot(xs, qs, color=_FAKE, lw=2, label="q: generator")
    finish_axes(ax, "x", "density", title, legend=False)
    handles, labels = ax.get_legend_handles_labels()
    if d is not None:
        ds = _np(d)
        if ds.shape != xs.shape:
            raise ValueError(f"d must have the shape of x {xs.shape}, got {ds.shape}")
        twin = ax.twinx()
        twin.plot(xs, ds, color=_D, lw=2, ls="--", label=d_label)
        twin.set_ylim(-0.02, 1.02)
        twin.set_ylabel("discriminator output", color=_D)
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize=7, loc="upper left")
    return fig


def plot_generator_gradients(d_fake: Any, grad_minimax: Any, grad_nonsaturating: Any,
                             marks: Sequence[float] = (0.01, 0.5, 0.99)) -> Figure:
    """|d loss / d logit| of one fake sample for both generator losses, against D(G(z)) on a log axis.

    ``d_fake`` are the discriminator's probabilities σ(f) of the logits the gradients were computed
    at (increasing); ``marks`` are values of D(G(z)) where both gradients are labelled.
    """
    dv, gm, gn = _np(d_fake), np.abs(_np(grad_minimax)), np.abs(_np(grad_nonsaturating))
    if not (dv.ndim == 1 and gm.shape == dv.shape and gn.shape == dv.shape):
        raise ValueError(f"need three 1-D arrays of one length, got {dv.shape}, {gm.shape}, {gn.shape}")
    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(dv, gm, color=_FAKE, lw=2, label="minimax: log(1 − D(G(z)))")
    ax.plot(dv, gn, color=_REAL, lw=2, label="non-saturating: −log D(G(z))")
    for m in marks:
        for g, c, dy in ((gm, _FAKE, -11), (gn, _REAL, 5)):
            at = float(np.interp(np.log(m), np.log(dv), g))  # the curve's value at D(G(z)) = m
            ax.plot(m, at, "o", color=c, ms=5)
            ax.annotate(f"{at:.2f}", (m, at), textcoords="offset points", xytext=(4, dy), fontsize=7, color=c)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(log_tick_label))
    ax.axvspan(dv.min(), 0.1, color="#888888", alpha=0.12, lw=0)
    ax.text(dv.min() * 1.3, 0.55, "D wins:\nit rejects the fakes", fontsize=8, color="#555555")
    finish_axes(ax, "D(G(z)): the discriminator's probability that a fake is real",
                "|d loss / d logit|", "the generator's gradient for one fake sample")
    return fig


def plot_discriminator_fit(x: Any, d_star: Any, d_learned: Any, inside: Any, p: Any, q: Any,
                           title: str = "") -> Figure:
    """A trained discriminator's σ(D(x)) against the optimal D*(x) (top) and their gap (bottom).

    ``inside`` is a boolean mask of the grid where the densities are not tiny (where the notebook's
    tolerance applies); the rest of the grid is shaded.
    """
    xs, ds, dl, msk = _np(x), _np(d_star), _np(d_learned), np.asarray(_np(inside), dtype=bool)
    if not all(a.shape == xs.shape for a in (ds, dl, msk)):
        raise ValueError("x, d_star, d_learned and inside must have one shape")
    fig = Figure(figsize=(7.5, 4.6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.4])
    scale = max(float(_np(p).max()), float(_np(q).max()))
    top.fill_between(xs, 0, _np(p) / scale, color=_REAL, alpha=0.15, label="p (scaled)")
    top.fill_between(xs, 0, _np(q) / scale, color=_FAKE, alpha=0.15, label="q (scaled)")
    top.plot(xs, ds, color=_DSTAR, lw=2, label="D*(x) = p / (p + q)")
    top.plot(xs, dl, color=_D, lw=2, ls="--", label="trained σ(D(x))")
    bottom.plot(xs, dl - ds, color=_D, lw=1.5)
    bottom.axhline(0, color=_DSTAR, lw=0.8)
    for ax in (top, bottom):
        edges = np.flatnonzero(np.diff(np.r_[False, ~msk, False].astype(int)))
        for a, b in zip(edges[::2], edges[1::2]):
            ax.axvspan(xs[a], xs[b - 1], color="#888888", alpha=0.15, lw=0)
    finish_axes(top, "", "probability", title or "the trained discriminator against the optimal one")
    finish_axes(bottom, "x (grey: where the tolerance does not apply)", "σ(D) − D*", legend=False)
    return fig


def plot_bilinear_game(trajectories: Mapping[str, Any], lr: float) -> Figure:
    """Trajectories (T+1, 2) of gradient descent-ascent on min_x max_y x·y: the plane (left) and
    the distance to the equilibrium (0, 0) per step (right)."""
    if not trajectories:
        raise ValueError("need at least one trajectory")
    fig = Figure(figsize=(9.0, 4.0), layout="constrained")
    ax_plane, ax_r = fig.subplots(1, 2, width_ratios=[1, 1.2])
    colours = [_FAKE, _REAL, _D, "#9467bd"]
    for (name, traj), c in zip(trajectories.items(), colours):
        t = _np(traj)
        if t.ndim != 2 or t.shape[1] != 2:
            raise ValueError(f"trajectory {name!r} must have shape (T + 1, 2), got {t.shape}")
        ax_plane.plot(t[:, 0], t[:, 1], "-", color=c, lw=1.2, marker=".", ms=3, label=name)
        ax_r.plot(np.hypot(t[:, 0], t[:, 1]), color=c, lw=1.8, label=name)
    first = _np(next(iter(trajectories.values())))[0]
    ax_plane.plot(*first, "ko", ms=6, label="start")
    ax_plane.plot(0, 0, "k*", ms=10, label="equilibrium (0, 0)")
    ax_plane.set_aspect("equal", adjustable="datalim")
    finish_axes(ax_plane, "x (minimizes x·y)", "y (maximizes x·y)", f"the plane, lr = {lr:g}")
    finish_axes(ax_r, "step", "distance to (0, 0)", "how far from the equilibrium")
    return fig


# ----------------------------------------------------------------------------- the 1-D GAN
def _check_snapshots(snapshots: Sequence[Mapping[str, Any]], x: np.ndarray) -> None:
    if not snapshots:
        raise ValueError("need at least one snapshot")
    for s in snapshots:
        missing = {"step", "samples", "d", "d_star"} - set(s)
        if missing:
            raise ValueError(f"a snapshot misses {sorted(missing)}")
        if _np(s["d"]).shape != x.shape or _np(s["d_star"]).shape != x.shape:
            raise ValueError(f"d and d_star of a snapshot must have the shape of x {x.shape}")


def _shown_d_star(snap: Mapping[str, Any], p: np.ndarray) -> np.ndarray:
    """D* of a snapshot, blanked (NaN) where p + q_hat < 0.02 if the snapshot has the estimate ``q_hat``:
    there neither distribution has data, and D* = p / (p + q) is a ratio of two tiny numbers."""
    d_star = _np(snap["d_star"]).copy()
    if "q_hat" in snap:
        d_star[p + _np(snap["q_hat"]) < 0.02] = np.nan
    return d_star


def _snapshot_axes(ax: Any, twin: Any, x: np.ndarray, p: np.ndarray, snap: Mapping[str, Any], bins: np.ndarray,
                   top: float) -> None:
    ax.hist(_np(snap["samples"]).ravel(), bins=bins, density=True, color=_FAKE, alpha=0.35, label="G(z)")
    ax.plot(x, p, color=_REAL, lw=1.8, label="p")
    ax.set_ylim(0, top)
    twin.plot(x, _np(snap["d"]), color=_D, lw=1.5, ls="--", label="σ(D(x))")
    twin.plot(x, _shown_d_star(snap, p), color=_DSTAR, lw=1, ls=":", label="D*")
    twin.set_ylim(-0.02, 1.02)
    ax.set_title(f"step {snap['step']}", fontsize=9)


def plot_gan_snapshots(snapshots: Sequence[Mapping[str, Any]], x: Any, p: Any, ncols: int = 4,
                       title: str = "") -> Figure:
    """One panel per snapshot: the histogram of generated samples against the real density ``p``,
    the discriminator σ(D(x)) and the optimal D* for that generator (right axis, [0, 1]).

    Each snapshot is a mapping with ``step`` (int), ``samples`` (1-D), ``d`` and ``d_star`` (on ``x``),
    and optionally ``q_hat``, the estimated generator density on ``x``: D* is then drawn only where
    p + q_hat >= 0.02.
    """
    xs, ps = _np(x), _np(p)
    _check_snapshots(snapshots, xs)
    n = len(snapshots)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(2.6 * min(n, ncols), 2.3 * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, min(n, ncols), squeeze=False)).ravel()
    bins = np.linspace(xs[0], xs[-1], 61)
    top = 1.6 * float(ps.max())
    for k, ax in enumerate(axes):
        if k >= n:
            ax.axis("off")
            continue
        twin = ax.twinx()
        _snapshot_axes(ax, twin, xs, ps, snapshots[k], bins, top)
        ax.tick_params(labelsize=7)
        twin.tick_params(labelsize=7)
        if k == 0:
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = twin.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, fontsize=6, loc="upper left")
    fig.suptitle(title or "a 1-D GAN: generated histogram (red), p (blue), σ(D) (green), D* (black)", fontsize=10)
    return fig


def gan_snapshot_explorer(snapshots: Sequence[Mapping[str, Any]], x: Any, p: Any, width: int = 620,
                          height: int = 330) -> FigureWidget:
    """A slider over the snapshots of :func:`plot_gan_snapshots`, drawn large in one panel.

    The figure is built once; a change of the slider only updates the bar heights and the lines.
    """
    import ipywidgets as widgets

    xs, ps = _np(x), _np(p)
    _check_snapshots(snapshots, xs)
    bins = np.linspace(xs[0], xs[-1], 61)
    hists = [np.histogram(_np(s["samples"]).ravel(), bins=bins, density=True)[0] for s in snapshots]
    curves = [(_np(s["d"]), _shown_d_star(s, ps)) for s in snapshots]
    fig = Figure(figsize=(width / 90, height / 90), dpi=90, layout="constrained")
    ax = fig.add_subplot()
    twin = ax.twinx()
    bars = ax.stairs(hists[0], bins, fill=True, color=_FAKE, alpha=0.35, label="G(z)")
    ax.plot(xs, ps, color=_REAL, lw=2, label="p: real data")
    ax.set_ylim(0, 1.6 * float(ps.max()))
    (line_d,) = twin.plot(xs, curves[0][0], color=_D, lw=2, ls="--", label="σ(D(x))")
    (line_star,) = twin.plot(xs, curves[0][1], color=_DSTAR, lw=1.2, ls=":", label="D* for this G")
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("discriminator")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    finish_axes(ax, "x", "density", legend=False)
    title = ax.set_title("after 0000 training steps (snapshot 00 of 00)", fontsize=10)
    FigureCanvasAgg(fig).draw()  # lay the figure out once, then freeze it: a redraw only moves artists
    fig.set_layout_engine("none")
    steps = [int(s["step"]) for s in snapshots]
    slider = widgets.IntSlider(value=0, min=0, max=len(snapshots) - 1, description="snapshot",
                               continuous_update=False)

    def draw(snapshot: int) -> Figure:
        bars.set_data(hists[snapshot])
        line_d.set_ydata(curves[snapshot][0])
        line_star.set_ydata(curves[snapshot][1])
        title.set_text(f"after {steps[snapshot]} training steps (snapshot {snapshot} of {len(snapshots) - 1})")
        return fig

    return FigureWidget(draw, {"snapshot": slider}, width=width, height=height)


def plot_gan_history(history: Mapping[str, Sequence[float]], every: int = 1, title: str = "") -> Figure:
    """Curves recorded during GAN training (losses, D's mean outputs, the generated mean and std),
    one panel per key, x axis in training steps (one value every ``every`` steps)."""
    if not history:
        raise ValueError("need at least one curve")
    n = len(history)
    fig = Figure(figsize=(3.0 * n, 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n)).ravel()
    for ax, (name, values) in zip(axes, history.items()):
        v = _np(values)
        ax.plot(np.arange(v.shape[0]) * every, v, lw=1.2)
        finish_axes(ax, "step", "", name, title_size=9, legend=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
