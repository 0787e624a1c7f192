"""Figures of optimizer races: contours with trajectories, loss curves, learning rates.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so the widget can
render it to PNG and tests can inspect it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from dlcourse.explorer.run import Trajectory
from dlcourse.explorer.surfaces import Surface
from dlcourse.plots import log_tick_label

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
RACE_FIGSIZE = (13.5, 4.2)  # inches; the widget draws at 80 dpi
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


def draw_contours(ax: Axes, surface: Surface, resolution: int = 160, n_levels: int = 25) -> list[Any]:
    """Contours with log-spaced levels (a valley and a plateau both stay readable), minima as stars.

    Returns the artists it added (the contour set and the stars), so that a kept figure can remove them.
    """
    X, Y, Z = contour_grid(surface, resolution)
    lo, hi = np.log10(max(float(Z.min()), 1e-6)), np.log10(float(Z.max()))
    contours = ax.contour(X, Y, Z, levels=np.logspace(lo, hi, n_levels), cmap="viridis", linewidths=0.7, alpha=0.8)
    stars = ax.plot(surface.minima[:, 0], surface.minima[:, 1], "*", color="gold", mec="k", ms=12, zorder=5)
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    return [contours, *stars]


_TITLES = ("loss − optimum", "learning rate (dashed) and |actual step| (solid)")


def _race_layout(fig: Figure) -> tuple[Axes, Axes, Axes]:
    """The parts of a race figure that depend on nothing: axes, titles and scales of the step panels."""
    ax_c, ax_l, ax_r = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
    # A fixed layout: matplotlib's constrained layout would double the time of every redraw.
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.12, top=0.92, wspace=0.22)
    # Titles and axis labels as plain text, no minor ticks: matplotlib's title and label placement
    # and minor log ticks were most of the time of every redraw.
    for ax, title in ((ax_l, _TITLES[0]), (ax_r, _TITLES[1])):
        ax.text(0.5, 1.02, title, transform=ax.transAxes, ha="center", va="bottom", fontsize=10)
    for ax in (ax_l, ax_r):
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(log_tick_label))
        ax.text(0.5, -0.1, "step", transform=ax.transAxes, ha="center", va="top", fontsize=10)
        ax.grid(alpha=0.3)
    return ax_c, ax_l, ax_r


def _surface_artists(ax: Axes, surface: Surface, resolution: int) -> list[Any]:
    """What the contour panel shows of the surface: contours, minima and its name."""
    title = ax.text(0.5, 1.02, surface.name, transform=ax.transAxes, ha="center", va="bottom", fontsize=10)
    return [*draw_contours(ax, surface, resolution), title]


def _remove(artist: Any) -> None:
    try:
        artist.remove()
    except (AttributeError, NotImplementedError, ValueError):  # a ContourSet before matplotlib 3.8
        for collection in getattr(artist, "collections", []):
            collection.remove()


class _RaceArtists:
    """The artists that show the runs, kept between frames: lines are updated with ``set_data``
    (creating them is the slow part of a redraw); arrows, step markers and the legend are remade."""

    def __init__(self, axes: tuple[Axes, Axes, Axes], legend: bool = True) -> None:
        self.axes, self.legend = axes, legend
        self.slots: list[dict[str, Any]] = []
        self.extra: list[Any] = []

    def _slot(self, k: int) -> dict[str, Any]:
        while len(self.slots) <= k:
            ax_c, ax_l, ax_r = self.axes
            color = COLORS[len(self.slots) % len(COLORS)]
            self.slots.append({
                "path": ax_c.plot([], [], "-", color=color, lw=1.4, zorder=4)[0],
                "start": ax_c.plot([], [], "o", color=color, mec="k", ms=6, zorder=5)[0],
                "cross": ax_c.plot([], [], "x", color="red", ms=12, mew=3, zorder=7)[0],
                "loss": ax_l.plot([], [], color=color)[0],
                "lr": ax_r.plot([], [], "--", color=color, lw=1.0)[0],
                "step": ax_r.plot([], [], "-", color=color, lw=1.2)[0],
            })
        return self.slots[k]

    def hide(self) -> None:
        """Show no run (while a kept figure draws its background)."""
        for artist in self.extra:
            artist.remove()
        self.extra = []
        for slot in self.slots:
            for line in slot.values():
                line.set_visible(False)

    def update(self, surface: Surface, trajectories: Sequence[Trajectory], step: int | None,
               labels: Sequence[str]) -> list[Any]:
        """Show these runs; returns the artists of the contour panel (drawn over its background)."""
        ax_c, ax_l, ax_r = self.axes
        for artist in self.extra:
            artist.remove()
        self.extra = []
        for k in range(max(len(trajectories), len(self.slots))):
            slot = self._slot(k)
            if k >= len(trajectories):
                for line in slot.values():
                    line.set_visible(False)
                continue
            traj, pts = trajectories[k], trajectories[k].points
            t = np.arange(traj.n_taken)
            label = labels[k] + (f" (diverged at step {traj.diverged_at})" if traj.diverged else "")
            slot["path"].set_data(pts[:, 0], pts[:, 1])
            slot["path"].set_label(label)
            slot["start"].set_data(pts[:1, 0], pts[:1, 1])
            slot["cross"].set_data(pts[-1:, 0], pts[-1:, 1])
            slot["loss"].set_data(np.arange(len(traj.losses)), np.maximum(traj.losses - surface.f_min, _FLOOR))
            slot["lr"].set_data(t, traj.lrs)
            slot["step"].set_data(t, np.maximum(np.linalg.norm(traj.steps, axis=1), _FLOOR))
            for name, line in slot.items():
                line.set_visible(name != "cross" or traj.diverged)
            if step is not None and 0 <= step < traj.n_taken:
                origin = traj.points[step]
                for vec, style in ((-traj.lrs[step] * traj.grads[step], "solid"),
                                   (-traj.lrs[step] * traj.velocity[step], "dashed"), (traj.steps[step], "dotted")):
                    if np.all(np.isfinite(vec)) and np.any(vec != 0):
                        self.extra.append(ax_c.annotate("", xy=origin + vec, xytext=origin, zorder=6, arrowprops=dict(
                            arrowstyle="->", color=slot["path"].get_color(), lw=1.6, linestyle=style)))
        if step is not None:
            self.extra += [ax.axvline(step, color="0.5", lw=0.8) for ax in (ax_l, ax_r)]
        if trajectories and self.legend:
            # One legend (on the contours): the step panels use the same colours.
            self.extra.append(ax_c.legend(handles=[s["path"] for s in self.slots[:len(trajectories)]],
                                          fontsize=8, loc="upper right"))
        for ax in (ax_l, ax_r):
            ax.relim(visible_only=True)
            ax.autoscale_view()
        on_c = [line for s in self.slots for key, line in s.items() if key in ("path", "start", "cross")]
        return on_c + [a for a in self.extra if a.axes is ax_c]


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
    divergent run ends with a red ×, where it left the finite world, and its legend entry says
    at which step.
    """
    labels = list(labels) if labels is not None else [t.optimizer for t in trajectories]
    fig = Figure(figsize=RACE_FIGSIZE)
    axes = _race_layout(fig)
    _surface_artists(axes[0], surface, resolution)
    _RaceArtists(axes).update(surface, trajectories, step, labels)
    return fig


class RaceRenderer:
    """Draws race figures to PNG fast enough for a slider: one kept figure per surface.

    The contour panel (contours, ticks, titles) is drawn once per surface and kept as a pixel
    background; each frame restores it, draws the runs on top, redraws the two step panels (their
    axes rescale) and encodes the pixels. The picture is the one :func:`plot_race` makes; with
    ``legend=False`` it has no legend (the widget shows its legend as HTML, which costs no drawing).
    """

    def __init__(self, dpi: int = 80, resolution: int = 160, compress_level: int = 1, legend: bool = True) -> None:
        self.dpi, self.resolution, self.compress_level, self.legend = dpi, resolution, compress_level, legend
        self._key: tuple | None = None
        self.builds = 0

    def _build(self, surface: Surface, key: tuple) -> None:
        """Draw a new surface's panel into the kept figure (made on first use) and keep its pixels."""
        if self._key is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            self.fig = Figure(figsize=RACE_FIGSIZE, dpi=self.dpi)
            self.canvas = FigureCanvasAgg(self.fig)
            self.axes = _race_layout(self.fig)
            self._artists = _RaceArtists(self.axes, legend=self.legend)
            self._surface: list[Any] = []
        for artist in self._surface:
            _remove(artist)
        self._artists.hide()
        self._surface = _surface_artists(self.axes[0], surface, self.resolution)
        for ax in self.axes[1:]:
            ax.set_visible(False)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        for ax in self.axes[1:]:
            ax.set_visible(True)
        self._key = key
        self.builds += 1

    def figure(self, surface: Surface, trajectories: Sequence[Trajectory], step: int | None = None,
               labels: Sequence[str] | None = None) -> Figure:
        """Update the kept figure for these runs and return it (drawn: its pixels are current)."""
        key = (surface.name, repr(sorted(surface.params.items())), surface.bounds)
        if key != self._key:
            self._build(surface, key)
        labels = list(labels) if labels is not None else [t.optimizer for t in trajectories]
        on_c = self._artists.update(surface, trajectories, step, labels)
        renderer = self.canvas.get_renderer()
        self.canvas.restore_region(self._background)
        for ax in self.axes[1:]:
            ax.draw(renderer)
        for artist in sorted(on_c, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)
        return self.fig

    def png(self, surface: Surface, trajectories: Sequence[Trajectory], step: int | None = None,
            labels: Sequence[str] | None = None) -> bytes:
        """The race as PNG bytes."""
        import io

        from PIL import Image

        self.figure(surface, trajectories, step, labels)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", compress_level=self.compress_level)
        return buf.getvalue()


def legend_html(trajectories: Sequence[Trajectory], labels: Sequence[str]) -> str:
    """The race's legend as one line of HTML, in the colours of the figure's lines."""
    import html

    items = []
    for k, (traj, label) in enumerate(zip(trajectories, labels)):
        diverged = (f" <span style='color:#b00020'>✗ diverged at step {traj.diverged_at}</span>"
                    if traj.diverged else "")
        color = COLORS[k % len(COLORS)]
        items.append(f"<span style='white-space:nowrap;margin-right:1.2em'><span style='color:{color};"
                     f"font-weight:bold'>━━</span> {html.escape(label)}{diverged}</span>")
    return "<div style='font-size:12px;line-height:1.6'>" + ("".join(items) or "no optimizer in the race") + "</div>"
