"""Data, figures and the GAN lab of the notebook "Week 5 · 2. Mode collapse on 2-D mixtures".

Nothing here is an exercise's solution. The data helpers give the two mixtures of the notebook: a
ring of 8 Gaussians (radius 2, std 0.02) and a 5×5 grid of Gaussians (spacing 2, std 0.05), with
their mode centres. :class:`GanRecorder` is called by the notebook's training loop after every step:
it keeps the losses and, every few steps, a snapshot of the generated points, of the discriminator
on a grid of the plane and of the generator's gradient at some generated points; it trains nothing.
:func:`gan_lab` steps through those snapshots; it computes nothing but the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dlcourse.plots import finish_axes
from dlcourse.widgets import FigureWidget

RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.02
GRID_SIDE, GRID_SPACING, GRID_STD = 5, 2.0, 0.05
_REAL, _FAKE, _MODE, _ARROW = "#1f77b4", "#d62728", "#111111", "#00a050"
_LAB_FAKE = "#ff8c00"  # generated points over the red / blue surface of the lab


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# ----------------------------------------------------------------------------- the data
def ring_modes(n_modes: int = RING_MODES, radius: float = RING_RADIUS) -> torch.Tensor:
    """The centres of the ring, float32 ``(n_modes, 2)``: mode k at angle 2πk / n_modes (mode 0 at (radius, 0))."""
    if n_modes < 1 or radius <= 0:
        raise ValueError(f"need n_modes >= 1 and radius > 0, got {n_modes} and {radius}")
    angle = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    return (radius * torch.stack([angle.cos(), angle.sin()], dim=1)).float()


def grid_modes(side: int = GRID_SIDE, spacing: float = GRID_SPACING) -> torch.Tensor:
    """The centres of the grid, float32 ``(side², 2)``, centred on 0, row by row from the bottom left.

    Mode ``r * side + c`` sits at ``x = (c - (side - 1) / 2) * spacing``, ``y = (r - (side - 1) / 2) * spacing``:
    for the 5×5 grid with spacing 2 the coordinates are -4, -2, 0, 2, 4.
    """
    if side < 1 or spacing <= 0:
        raise ValueError(f"need side >= 1 and spacing > 0, got {side} and {spacing}")
    v = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    yy, xx = torch.meshgrid(v, v, indexing="ij")
    return torch.stack([xx.flatten(), yy.flatten()], dim=1)


def sample_mixture(centers: Any, std: float, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of an equal-weight mixture of isotropic Gaussians: ``(points, modes)``.

    ``points`` float32 ``(n, 2)`` (CPU) and ``modes`` int64 ``(n,)``: each point draws its mode uniformly, then
    ``point = centers[mode] + std * N(0, I)``. Everything random comes from ``generator``: the same seed gives the
    same points.
    """
    c = torch.as_tensor(centers, dtype=torch.float32)
    if c.ndim != 2 or len(c) == 0:
        raise ValueError(f"centers must be a (K, d) array with K >= 1, got shape {tuple(c.shape)}")
    if n < 0 or std < 0:
        raise ValueError(f"need n >= 0 and std >= 0, got {n} and {std}")
    modes = torch.randint(0, len(c), (n,), generator=generator)
    return c[modes] + std * torch.randn(n, c.shape[1], generator=generator), modes


def _generator(seed: int | torch.Generator) -> torch.Generator:
    return seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(int(seed))


def sample_ring(n: int, seed: int | torch.Generator = 0, std: float = RING_STD) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of the ring of 8 Gaussians (radius 2, std 0.02): ``(points (n, 2) float32, modes (n,) int64)``.

    ``seed``: an int (a fresh ``torch.Generator`` seeded with it) or a ``torch.Generator`` to draw from.
    """
    return sample_mixture(ring_modes(), std, n, _generator(seed))


def sample_grid(n: int, seed: int | torch.Generator = 0, std: float = GRID_STD) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of the 5×5 grid of Gaussians (spacing 2, std 0.05): ``(points (n, 2), modes (n,))``."""
    return sample_mixture(grid_modes(), std, n, _generator(seed))


# ----------------------------------------------------------------------------- static figures
def _frame(ax: Any, lim: float, title: str = "") -> None:
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def _lim(centers: np.ndarray) -> float:
    return float(np.abs(centers).max()) + 1.0


def plot_mixtures(datasets: Mapping[str, tuple[Any, Any, float]], radius_std: float = 3.0) -> Figure:
    """One panel per data set: ``name -> (points (N, 2), centres (K, 2), std)``.

    The points in blue, the centres as black crosses and, around each centre, the circle of radius
    ``radius_std * std`` inside which a sample counts as high quality.
    """
    if not datasets:
        raise ValueError("give at least one data set")
    fig = Figure(figsize=(3.4 * len(datasets), 3.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(datasets)))
    for ax, (name, (points, centers, std)) in zip(axes, datasets.items()):
        p, c = _np(points), _np(centers)
        ax.scatter(p[:, 0], p[:, 1], s=2, color=_REAL, alpha=0.5, linewidths=0)
        ax.scatter(c[:, 0], c[:, 1], marker="x", s=18, color=_MODE, linewidths=0.8)
        theta = np.linspace(0, 2 * np.pi, 40)
        circle = np.stack([np.cos(theta), np.sin(theta)], 1) * radius_std * std
        ax.add_collection(LineCollection([ci + circle for ci in c], colors="#ff7f0e", linewidths=0.8))
        _frame(ax, _lim(c), f"{name}: {len(c)} modes, std {std:g}")
    return fig


def plot_samples(panels: Mapping[str, Any], centers: Any, real: Any | None = None, ncols: int | None = None) -> Figure:
    """Generated points, one panel per name (e.g. per seed or per model), over the real points and the centres."""
    if not panels:
        raise ValueError("give at least one panel")
    c = _np(centers)
    ncols = ncols or len(panels)
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(2.6 * ncols, 2.7 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, (name, points) in zip(axes, panels.items()):
        if real is not None:
            r = _np(real)
            ax.scatter(r[:, 0], r[:, 1], s=2, color=_REAL, alpha=0.25, linewidths=0)
        p = _np(points)
        ax.scatter(p[:, 0], p[:, 1], s=2, color=_FAKE, alpha=0.5, linewidths=0)
        ax.scatter(c[:, 0], c[:, 1], marker="x", s=14, color=_MODE, linewidths=0.7)
        _frame(ax, _lim(c), name)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig


def plot_mode_histograms(counts: Mapping[str, Any], title: str = "") -> Figure:
    """Bars of the number of high-quality samples per mode, one row per name, with the uniform share dashed."""
    if not counts:
        raise ValueError("give at least one histogram")
    fig = Figure(figsize=(6.4, 1.5 + 1.3 * len(counts)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(counts), 1, sharex=True))
    for ax, (name, cnt) in zip(axes, counts.items()):
        h = _np(cnt).astype(float)
        ax.bar(np.arange(len(h)), h, color=_FAKE if h.sum() else "#999999")
        if h.sum():
            ax.axhline(h.sum() / len(h), color="black", ls="--", lw=0.8, label="uniform share")
            ax.legend(fontsize=7, loc="upper right")
        ax.set_ylabel("samples", fontsize=8)
        ax.set_title(name, fontsize=9)
    axes[-1].set_xlabel("mode")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_seed_comparison(results: Mapping[str, Sequence[float]], n_modes: int, bar: float | None = None,
                         ylabel: str = "modes covered", title: str = "") -> Figure:
    """One group of bars per model name (one bar per seed) and a dashed line at each model's mean."""
    if not results:
        raise ValueError("give at least one model")
    fig = Figure(figsize=(6.0, 3.3), layout="constrained")
    ax = fig.subplots()
    colors = ["#7f7f7f", "#2ca02c", "#1f77b4", "#9467bd"]
    x0 = 0
    ticks, labels = [], []
    for i, (name, values) in enumerate(results.items()):
        v = np.asarray(values, dtype=float)
        xs = x0 + np.arange(len(v))
        ax.bar(xs, v, color=colors[i % len(colors)], width=0.8)
        ax.hlines(v.mean(), xs[0] - 0.4, xs[-1] + 0.4, colors="black", linestyles="--", lw=1)
        ax.text(xs.mean(), v.mean() + 0.25, f"mean {v.mean():.2f}", ha="center", fontsize=8)
        ticks += list(xs)
        labels += [f"{name}\nseed {k}" if k == 0 else f"{k}" for k in range(len(v))]
        x0 += len(v) + 1
    if bar is not None:
        ax.axhline(bar, color="#d62728", lw=1, label=f"bar: mean >= {bar:g}")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylim(0, n_modes + 1)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    return fig


def plot_gan_losses(histories: Mapping[str, Mapping[str, Sequence[float]]], window: int = 25) -> Figure:
    """The discriminator's and the generator's loss per step, as moving averages over ``window`` steps."""
    fig = Figure(figsize=(3.4 * len(histories), 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(histories), sharey=True))
    for ax, (name, h) in zip(axes, histories.items()):
        for key, color in (("d_loss", "#1f77b4"), ("g_loss", "#d62728")):
            v = np.asarray(h[key], dtype=float)
            w = max(1, min(window, len(v)))
            smooth = np.convolve(v, np.ones(w) / w, mode="valid")
            ax.plot(np.arange(w, len(v) + 1), smooth, color=color, lw=1.2, label=key)
        finish_axes(ax, "step", "loss", name)
    return fig


# ----------------------------------------------------------------------------- snapshots
def _contour_segments(xs: np.ndarray, z: np.ndarray, level: float = 0.5) -> list[np.ndarray]:
    import contourpy

    gen = contourpy.contour_generator(xs, xs, z, line_type=contourpy.LineType.Separate)
    return [seg for seg in gen.lines(level) if len(seg) > 1]


class GanRecorder:
    """Called by a training loop after every step; keeps the losses and, every ``every`` steps, a snapshot.

    ``recorder(step, G, D, d_loss, g_loss)``: ``step`` counts from 1; ``d_loss``, ``g_loss`` are the step's two
    losses (floats or 0-d tensors). A snapshot (taken when ``step % every == 0``, and by :meth:`snapshot` at
    any time) holds, for the run ``run`` of the models:

    - ``points`` ``(n, 2)``: ``G(z)`` for the fixed noise ``z`` given here;
    - ``surface`` ``(grid, grid)``: D's probability "real" on a grid of the square ``[-lim, lim]²`` and its 0.5
      contour (``contour``: a list of ``(k, 2)`` line pieces);
    - ``arrows`` ``(n_arrows, 2)`` at the first ``n_arrows`` points: minus the gradient of the generator's loss
      ``-log D(G(z))`` (summed over the batch) with respect to each generated point;
    - ``text``: what ``measure(points)`` returns (a caption), if ``measure`` is given.

    The models may be batched over independent runs: with ``n_runs`` set, G takes ``(n_runs, n, z_dim)`` and
    returns ``(n_runs, n, 2)``, and D takes ``(n_runs, b, 2 m)`` to ``(n_runs, b, 1)``; without it, the same
    shapes without the leading axis. ``to_d_input`` turns a set of points ``(..., n, 2)`` into D's input (the
    notebook passes its packing, ``lambda x: pack(x, m)``); for a packed D (input ``2 m``) the surface is D on
    packs of ``m`` copies of each grid point. Nothing is trained here: G and D are only evaluated.
    """

    def __init__(self, z: torch.Tensor, lim: float, every: int = 50, grid: int = 48, n_arrows: int = 64,
                 n_runs: int | None = None, run: int = 0, m: int = 1,
                 to_d_input: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 measure: Callable[[torch.Tensor], str] | None = None) -> None:
        if every < 1 or grid < 2 or m < 1 or lim <= 0:
            raise ValueError(f"need every >= 1, grid >= 2, m >= 1 and lim > 0, got {every}, {grid}, {m}, {lim}")
        if len(z) % m:
            raise ValueError(f"the fixed noise holds {len(z)} rows, not a multiple of m = {m}")
        self.z, self.lim, self.every, self.grid, self.m = z, float(lim), every, grid, m
        self.n_arrows, self.n_runs, self.run = min(n_arrows, len(z)), n_runs, run
        self.to_d_input = to_d_input or (lambda x: x)
        self.measure = measure
        self.xs = np.linspace(-lim, lim, grid)
        gx, gy = np.meshgrid(self.xs, self.xs)
        self._plane = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
        self.d_loss: list[float] = []
        self.g_loss: list[float] = []
        self.snapshots: list[dict[str, Any]] = []

    def __call__(self, step: int, G: Any, D: Any, d_loss: Any, g_loss: Any) -> None:
        self.d_loss.append(float(d_loss))
        self.g_loss.append(float(g_loss))
        if step % self.every == 0:
            self.snapshot(step, G, D)

    def _batched(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.n_runs is None else x.expand(self.n_runs, *x.shape)

    def _own(self, y: torch.Tensor) -> torch.Tensor:
        return y if self.n_runs is None else y[self.run]

    def snapshot(self, step: int, G: Any, D: Any) -> dict[str, Any]:
        """Take a snapshot now (see the class docstring) and keep it."""
        device = next(G.parameters()).device
        with torch.no_grad():
            plane = self._plane.to(device).repeat_interleave(self.m, dim=0)  # m copies of each grid point
            surface = torch.sigmoid(self._own(D(self.to_d_input(self._batched(plane))))).reshape(self.grid, self.grid)
            fake = G(self._batched(self.z.to(device)))
        x = fake.detach().clone().requires_grad_(True)
        g_loss = torch.nn.functional.softplus(-D(self.to_d_input(x))).sum()  # -log sigmoid(logit), summed
        (grad,) = torch.autograd.grad(g_loss, x)
        points = _np(self._own(x.detach()))
        surface_np = _np(surface).astype(np.float64)
        snap = {"step": int(step), "points": points, "surface": surface_np,
                "contour": _contour_segments(self.xs, surface_np),
                "arrow_at": points[: self.n_arrows], "arrows": -_np(self._own(grad))[: self.n_arrows],
                "loss_index": len(self.d_loss), "text": self.measure(self._own(x.detach())) if self.measure else ""}
        self.snapshots.append(snap)
        return snap

    def history(self) -> dict[str, list[float]]:
        """The losses of every recorded step: ``{"d_loss": [...], "g_loss": [...]}``."""
        return {"d_loss": list(self.d_loss), "g_loss": list(self.g_loss)}


def plot_gan_snapshots(runs: Mapping[str, GanRecorder], real: Any, centers: Any, picks: Sequence[int]) -> Figure:
    """A static view of the lab: for each run (row), the snapshots at the indices ``picks`` (columns)."""
    if not runs or not picks:
        raise ValueError("give at least one run and one snapshot index")
    r, c = _np(real), _np(centers)
    fig = Figure(figsize=(2.3 * len(picks), 2.45 * len(runs)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(runs), len(picks), squeeze=False))
    for row, (name, rec) in enumerate(runs.items()):
        for col, k in enumerate(picks):
            ax = axes[row, col]
            snap = rec.snapshots[min(k, len(rec.snapshots) - 1)]
            lim = rec.lim
            ax.imshow(snap["surface"], origin="lower", extent=(-lim, lim, -lim, lim), cmap="RdBu_r", vmin=0, vmax=1,
                      alpha=0.55, interpolation="bilinear")
            ax.add_collection(LineCollection(snap["contour"], colors="black", linewidths=0.6))
            ax.scatter(r[:, 0], r[:, 1], s=1, color="black", alpha=0.5, linewidths=0)
            p = snap["points"]
            ax.scatter(p[:, 0], p[:, 1], s=2, color=_LAB_FAKE, alpha=0.8, linewidths=0)
            ax.scatter(c[:, 0], c[:, 1], marker="x", s=10, color=_MODE, linewidths=0.6)
            _frame(ax, lim, f"{name}\nstep {snap['step']}" if col == 0 else f"step {snap['step']}")
    return fig


# ----------------------------------------------------------------------------- the lab
class GanLab(FigureWidget):
    """The GAN lab: a step slider over the recorded snapshots and a switch between the recorded runs.

    Left: D's probability "real" (red = real, blue = fake) with its 0.5 contour, the real points (black), the
    generated points (orange) and the generator's gradient as arrows (green). Right: both losses of the selected run per
    step (moving averages), with a marker at the selected snapshot. Everything was computed when the snapshots
    were taken: a control change only updates the kept figure's artists (about 30 ms).
    """

    def __init__(self, runs: Mapping[str, GanRecorder], real: Any, centers: Any, width: int = 760, height: int = 380,
                 dpi: int = 72, window: int = 25) -> None:
        import ipywidgets as widgets

        if not runs or any(not rec.snapshots for rec in runs.values()):
            raise ValueError("every run needs at least one snapshot")
        self.runs = dict(runs)
        names = list(self.runs)
        n_snap = max(len(rec.snapshots) for rec in self.runs.values())
        self.step_slider = widgets.IntSlider(value=n_snap - 1, min=0, max=n_snap - 1, description="snapshot",
                                             continuous_update=False, readout=True,
                                             layout=widgets.Layout(width="420px"))
        self.model_switch = widgets.ToggleButtons(options=names, value=names[0], description="model")
        self.step_slider.add_class("dlcourse-ganlab-step")
        self.model_switch.add_class("dlcourse-ganlab-model")
        self._smooth = {}
        for name, rec in self.runs.items():
            w = max(1, min(window, len(rec.d_loss)))
            k = np.ones(w) / w
            self._smooth[name] = (np.arange(w, len(rec.d_loss) + 1),
                                  np.convolve(rec.d_loss, k, mode="valid") if rec.d_loss else np.zeros(0),
                                  np.convolve(rec.g_loss, k, mode="valid") if rec.g_loss else np.zeros(0))
        self._build(real, centers, width, height, dpi)
        super().__init__(self._draw, {"step": self.step_slider, "model": self.model_switch}, width=width,
                         height=height, dpi=dpi)
        self.widget.add_class("dlcourse-ganlab")

    def _build(self, real: Any, centers: Any, width: int, height: int, dpi: int) -> None:
        # A fixed layout (constrained layout costs 100+ ms); artists are created once and updated on each change.
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        ax, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.25]})
        fig.subplots_adjust(left=0.01, right=0.98, bottom=0.13, top=0.9, wspace=0.12)
        first = next(iter(self.runs.values()))
        lim = first.lim
        snap = first.snapshots[-1]
        self._surface = ax.imshow(snap["surface"], origin="lower", extent=(-lim, lim, -lim, lim), cmap="RdBu_r",
                                  vmin=0, vmax=1, alpha=0.55, interpolation="bilinear")
        self._contour = LineCollection(snap["contour"], colors="black", linewidths=0.8)
        ax.add_collection(self._contour)
        r, c = _np(real), _np(centers)
        ax.scatter(r[:, 0], r[:, 1], s=2, color="black", alpha=0.5, linewidths=0)
        self._points = ax.scatter(snap["points"][:, 0], snap["points"][:, 1], s=4, color=_LAB_FAKE, alpha=0.9,
                                  linewidths=0)
        ax.scatter(c[:, 0], c[:, 1], marker="x", s=14, color=_MODE, linewidths=0.7)
        a, v = snap["arrow_at"], self._scaled(snap["arrows"])
        self._arrows = ax.quiver(a[:, 0], a[:, 1], v[:, 0], v[:, 1], color=_ARROW, angles="xy", scale_units="xy",
                                 scale=1.0, width=0.004)
        _frame(ax, lim)
        self._title = ax.set_title(" ", fontsize=9)
        self._lines = {}
        for key, color, label in (("d", "#1f77b4", "D loss"), ("g", "#d62728", "G loss (-log D(G(z)))")):
            (self._lines[key],) = ax_loss.plot([], [], color=color, lw=1.2, label=label)
        self._marker = ax_loss.axvline(0, color="black", lw=1, ls="--")
        ax_loss.legend(fontsize=7, loc="upper right")
        ax_loss.set_xlabel("step", fontsize=8)
        ax_loss.grid(alpha=0.3)
        ax_loss.tick_params(labelsize=7)
        ax_loss.locator_params(nbins=4)  # few tick labels: each costs about 1 ms to draw
        self._loss_title = ax_loss.set_title(" ", fontsize=9)
        self._ax_loss = ax_loss
        top = max(max(np.max(s[1], initial=0), np.max(s[2], initial=0)) for s in self._smooth.values())
        n_steps = max(len(rec.d_loss) for rec in self.runs.values())
        ax_loss.set_xlim(0, max(n_steps, 1))
        ax_loss.set_ylim(0, max(1.0, 1.1 * top))
        self._fig = fig

    def _scaled(self, arrows: np.ndarray) -> np.ndarray:
        """Arrows scaled so that the longest is 0.6 (in data units): their directions and relative sizes show."""
        longest = float(np.max(np.linalg.norm(arrows, axis=1), initial=0.0))
        return arrows * (0.6 / longest) if longest > 0 else arrows

    def _draw(self, step: int, model: str) -> Figure:
        rec = self.runs[model]
        snap = rec.snapshots[min(step, len(rec.snapshots) - 1)]
        self._surface.set_data(snap["surface"])
        self._contour.set_segments(snap["contour"])
        self._points.set_offsets(snap["points"])
        self._arrows.set_offsets(snap["arrow_at"])
        v = self._scaled(snap["arrows"])
        self._arrows.set_UVC(v[:, 0], v[:, 1])
        self._title.set_text(f"{model}, step {snap['step']}" + (f"\n{snap['text']}" if snap["text"] else ""))
        xs, d, g = self._smooth[model]
        self._lines["d"].set_data(xs, d)
        self._lines["g"].set_data(xs, g)
        self._marker.set_xdata([snap["step"], snap["step"]])
        self._loss_title.set_text(f"losses of {model} (moving mean); dashed: step {snap['step']}")
        return self._fig


def gan_lab(runs: Mapping[str, GanRecorder], real: Any, centers: Any, width: int = 760, height: int = 380) -> GanLab:
    """The GAN lab over the snapshots of one or more recorded runs (see :class:`GanLab`)."""
    return GanLab(runs, real, centers, width=width, height=height)
