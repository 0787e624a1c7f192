"""Figures of optimizer races: contours with trajectories, loss curves, learning rates.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so the widget can
render it to PNG and tests can inspect it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FuncFormatter, NullLocator
from matplotlib.transforms import Bbox

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


def _snap_to_decades(ax: Axes, keep: tuple[float, float] | None = None) -> None:
    """Widen a log axis's autoscaled y limits to whole decades.

    The figure shows the same curves, and small changes of the runs seldom move the axis. With
    ``keep`` (decade limits shown before), those stay while they are at most one decade wider than
    needed at either end: while a slider moves, the axis does not flip between two decades, so the
    viewer can compare frames (and a kept figure can keep the axis's pixels).
    """
    lo, hi = ax.get_ylim()
    if not (lo > 0 and np.isfinite(hi) and hi > lo):
        return
    e_lo, e_hi = float(np.floor(np.log10(lo))), float(np.ceil(np.log10(hi)))
    if keep is not None and keep[0] > 0 and np.isfinite(keep[1]):
        k_lo, k_hi = (float(np.log10(v)) for v in keep)
        if (abs(k_lo - round(k_lo)) < 1e-9 and abs(k_hi - round(k_hi)) < 1e-9
                and e_lo - 1 <= round(k_lo) <= e_lo and e_hi <= round(k_hi) <= e_hi + 1):
            e_lo, e_hi = round(k_lo), round(k_hi)
    ax.set_ylim(10.0 ** e_lo, 10.0 ** e_hi, auto=None)


class _RaceArtists:
    """The artists that show the runs, kept between frames: lines are updated with ``set_data``
    (creating them is the slow part of a redraw), arrows and step markers are moved, the legend is remade.
    With ``sticky``, the step panels keep their decades while the runs still fit them (see
    :func:`_snap_to_decades`)."""

    def __init__(self, axes: tuple[Axes, Axes, Axes], legend: bool = True, sticky: bool = False) -> None:
        self.axes, self.legend, self.sticky = axes, legend, sticky
        self.slots: list[dict[str, Any]] = []
        self.extra: list[Any] = []
        self.arrows: list[FancyArrowPatch] = []  # kept too, and moved: making them is slow
        self.markers: list[Any] = []  # the step marker of each step panel

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

    def update(self, surface: Surface, trajectories: Sequence[Trajectory], step: int | None,
               labels: Sequence[str]) -> None:
        """Show these runs (and scale the step panels to them)."""
        ax_c, ax_l, ax_r = self.axes
        for artist in self.extra:
            artist.remove()
        self.extra = []
        n_arrows = 0
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
                    if np.all(np.isfinite(vec)) and np.any(vec != 0) and _inside(ax_c, origin + vec):
                        self._arrow(n_arrows, origin, origin + vec, slot["path"].get_color(), style)
                        n_arrows += 1
        for arrow in self.arrows[n_arrows:]:
            arrow.set_visible(False)
        if not self.markers:
            self.markers = [ax.axvline(0, color="0.5", lw=0.8) for ax in (ax_l, ax_r)]
        for marker in self.markers:
            marker.set_xdata([step, step] if step is not None else [0, 0])
            marker.set_visible(step is not None)
        if trajectories and self.legend:
            # One legend (on the contours): the step panels use the same colours.
            self.extra.append(ax_c.legend(handles=[s["path"] for s in self.slots[:len(trajectories)]],
                                          fontsize=8, loc="upper right"))
        for ax in (ax_l, ax_r):
            shown = ax.get_ylim() if self.sticky else None
            ax.relim(visible_only=True)
            ax.autoscale_view()
            _snap_to_decades(ax, keep=shown)

    def _arrow(self, k: int, tail: np.ndarray, head: np.ndarray, color: str, style: str) -> None:
        """Show the ``k``-th arrow from ``tail`` to ``head`` (data coordinates) as an annotation's arrow
        would look (``arrowstyle="->"``, 2 points shy of both ends, scaled to a 10-point font), unclipped."""
        while len(self.arrows) <= k:
            arrow = FancyArrowPatch((0, 0), (1, 1), arrowstyle="->", lw=1.6, mutation_scale=10, zorder=6,
                                    transform=self.axes[0].transData, clip_on=False)
            self.arrows.append(self.axes[0].add_artist(arrow))
        arrow = self.arrows[k]
        arrow.set_positions(tuple(tail), tuple(head))
        arrow.set_color(color)
        arrow.set_linestyle(style)
        arrow.set_visible(True)


def _inside(ax: Axes, xy: np.ndarray) -> bool:
    """Whether the point ``xy`` (data coordinates) is inside the axes' limits (where an annotation
    whose arrow ends there is drawn)."""
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    return bool(x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1)


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
    at which step. The log axes of the step panels end at whole decades.
    """
    labels = list(labels) if labels is not None else [t.optimizer for t in trajectories]
    fig = Figure(figsize=RACE_FIGSIZE)
    axes = _race_layout(fig)
    _surface_artists(axes[0], surface, resolution)
    _RaceArtists(axes).update(surface, trajectories, step, labels)
    return fig


class RaceRenderer:
    """Draws race figures to PNG fast enough for a slider: one kept figure, drawn in layers.

    Most of a redraw's time is text and ticks, which change far less often than the runs. So each
    panel keeps the pixels of its lower layers: its background, x axis and titles (redrawn when its
    size, x limits or titles change), then its y axis (when its y limits change), and in the
    contour panel the contours and the frame (when the surface changes). A frame restores these
    pixels and draws only the runs on top, in the order ``Axes.draw`` would: the picture is the one
    :func:`plot_race` makes. The step panels' y axes end at whole decades and keep them while the
    runs still fit (see :func:`_snap_to_decades`), so moving a slider seldom redraws an axis. With
    ``legend=False`` there is no legend (the widget shows its legend as HTML, which costs no
    drawing). The PNG is encoded by :func:`rgba_to_png`.

    ``builds`` counts the surfaces drawn (new contours) and ``layer_draws`` the kept layers drawn.
    """

    def __init__(self, dpi: int = 80, resolution: int = 160, compress_level: int = 1, legend: bool = True) -> None:
        self.dpi, self.resolution, self.compress_level, self.legend = dpi, resolution, compress_level, legend
        self._key: tuple | None = None
        self.builds = 0
        self.layer_draws = 0

    def _setup(self) -> None:
        """The kept figure, its three empty panels and the pixels of the empty figure."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = Figure(figsize=RACE_FIGSIZE, dpi=self.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.axes = _race_layout(self.fig)
        self._artists = _RaceArtists(self.axes, legend=self.legend, sticky=True)
        self._surface: list[Any] = []
        for ax in self.axes:
            ax.set_visible(False)
        self.canvas.draw()
        self._blank = self.canvas.copy_from_bbox(self.fig.bbox)
        self._blank_pixels = _pixels32(self.canvas).copy()
        for ax in self.axes:
            ax.set_visible(True)
        # Per panel, per kept layer from the bottom: (key of this layer and those below, pixel box, pixels).
        self._kept: list[list[tuple[tuple, tuple[int, int, int, int], Any]]] = [[] for _ in self.axes]

    def _build(self, surface: Surface, key: tuple) -> None:
        """Put a new surface's contours, minima and name into the contour panel."""
        if self._key is None:
            self._setup()
        for artist in self._surface:
            _remove(artist)
        self._surface = _surface_artists(self.axes[0], surface, self.resolution)
        self._key = key
        self.builds += 1

    def figure(self, surface: Surface, trajectories: Sequence[Trajectory], step: int | None = None,
               labels: Sequence[str] | None = None) -> Figure:
        """Update the kept figure for these runs and return it (drawn: its pixels are current)."""
        key = (surface.name, repr(sorted(surface.params.items())), surface.bounds)
        if key != self._key:
            self._build(surface, key)
        labels = list(labels) if labels is not None else [t.optimizer for t in trajectories]
        self._artists.update(surface, trajectories, step, labels)
        self._draw()
        return self.fig

    # ------------------------------------------------------------------ layers
    def _layers(self, ax: Axes) -> list[tuple[Any, list[Any] | None]]:
        """A panel's kept layers from the bottom: (key, artists), where None stands for the base
        layer (the background, the x axis and the plain texts, drawn by ``Axes.draw``)."""
        texts = tuple((t.get_text(), t.get_position()) for t in ax.texts if not isinstance(t, Annotation))
        # Limits to 10 digits: autoscaling around the step marker wobbles in the last bits, far below a pixel.
        xlim, ylim = (tuple(f"{v:.10g}" for v in lim) for lim in (ax.get_xlim(), ax.get_ylim()))
        layers: list[tuple[Any, list[Any] | None]] = [((tuple(ax.bbox.bounds), xlim, texts), None),
                                                      (ylim, [ax.yaxis])]
        if ax is self.axes[0]:  # the contours and, over them, the frame
            layers.append((self._key, [a for a in self._surface if isinstance(a, ContourSet)]
                           + list(ax.spines.values())))
        return layers

    def _draw(self) -> None:
        renderer = self.canvas.get_renderer()
        for ax in self.axes:
            ax.apply_aspect()  # the contour panel's box follows its limits (equal aspect)
        layers = [self._layers(ax) for ax in self.axes]
        for ax, panel, kept in zip(self.axes, layers, self._kept):
            keys = [tuple(key for key, _ in panel[:j + 1]) for j in range(len(panel))]
            done = 0  # the layers whose pixels are still right
            while done < min(len(kept), len(panel)) and kept[done][0] == keys[done]:
                done += 1
            if done == len(panel) == len(kept):
                continue
            del kept[done:]
            self.canvas.restore_region(self._blank)  # on the empty figure, so its pixels hold nothing else
            if kept:
                self.canvas.restore_region(kept[-1][2])
            for j in range(done, len(panel)):
                box = self._draw_layer(ax, panel[j][1], renderer)
                kept.append((keys[j], box, self.canvas.copy_from_bbox(Bbox.from_extents(*box))))
        if not _disjoint([kept[-1][1] for kept in self._kept]):
            self.canvas.draw()  # panels whose layers overlap cannot be kept apart: draw everything
            return
        self.canvas.restore_region(self._blank)
        for kept in self._kept:
            self.canvas.restore_region(kept[-1][2])
        for ax, panel in zip(self.axes, layers):  # what Axes.draw draws after the kept layers, in its order
            in_layers = [a for _, artists in panel for a in artists or ()]
            for artist in sorted((a for a in ax.get_children() if a.get_visible() and not _is_base(ax, a)
                                  and not any(a is k for k in in_layers)), key=lambda a: a.get_zorder()):
                artist.draw(renderer)

    def _draw_layer(self, ax: Axes, artists: list[Any] | None, renderer: Any) -> tuple[int, int, int, int]:
        """Draw one layer of ``ax`` (``None``: the base layer) over those below it, which are on the
        otherwise empty figure; returns the pixel box ``(x0, y0, x1, y1)`` (from the bottom left,
        ends excluded) that holds all of them and the panel's frame."""
        if artists is None:
            hidden = [a for a in ax.get_children() if a.get_visible() and not _is_base(ax, a)]
            for artist in hidden:
                artist.set_visible(False)
            try:
                ax.draw(renderer)
            finally:
                for artist in hidden:
                    artist.set_visible(True)
        else:
            for artist in sorted(artists, key=lambda a: a.get_zorder()):
                if artist.get_visible():
                    artist.draw(renderer)
        self.layer_draws += 1
        width, height = self.canvas.get_width_height()
        pad = 3  # the frame's line width and its anti-aliasing
        x0, x1 = int(np.floor(ax.bbox.x0)) - pad, int(np.ceil(ax.bbox.x1)) + pad
        y0, y1 = int(np.floor(ax.bbox.y0)) - pad, int(np.ceil(ax.bbox.y1)) + pad
        # Where the pixels differ from the empty figure: exact, and cheaper than asking matplotlib
        # for the extents of the texts.
        changed = _pixels32(self.canvas) != self._blank_pixels
        cols, rows = np.flatnonzero(changed.any(axis=0)), np.flatnonzero(changed.any(axis=1))
        if len(cols):
            x0, x1 = min(x0, int(cols[0])), max(x1, int(cols[-1]) + 1)
            y0, y1 = min(y0, height - 1 - int(rows[-1])), max(y1, height - int(rows[0]))
        return max(0, x0), max(0, y0), min(width, x1), min(height, y1)

    def png(self, surface: Surface, trajectories: Sequence[Trajectory], step: int | None = None,
            labels: Sequence[str] | None = None) -> bytes:
        """The race as PNG bytes."""
        self.figure(surface, trajectories, step, labels)
        width, height = self.canvas.get_width_height()
        return rgba_to_png(np.asarray(self.canvas.buffer_rgba()).reshape(height, width, 4), self.compress_level)


def _is_base(ax: Axes, artist: Any) -> bool:
    """In a panel's base layer: its background, its x axis (ticks, labels, grid) and its plain texts."""
    return artist is ax.patch or artist is ax.xaxis or (isinstance(artist, Text) and not isinstance(artist, Annotation))


def _pixels32(canvas: Any) -> np.ndarray:
    """The canvas's pixels, one uint32 per RGBA pixel, top row first (a view, not a copy)."""
    width, height = canvas.get_width_height()
    return np.asarray(canvas.buffer_rgba()).reshape(height, width, 4).view(np.uint32)[:, :, 0]


def _disjoint(boxes: Sequence[tuple[int, int, int, int]]) -> bool:
    """Whether no two pixel boxes ``(x0, y0, x1, y1)`` (ends excluded) share a pixel."""
    return all(a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
               for i, a in enumerate(boxes) for b in boxes[i + 1:])


def rgba_to_png(rgba: np.ndarray, compress_level: int = 1) -> bytes:
    """An opaque image's ``(height, width, 4)`` uint8 pixels as an RGB PNG: no row filter, one zlib stream.

    Pillow tries every row filter of PNG to pick the best; on a plot's flat colours unfiltered rows
    compress as well, and skipping the search halves the encoding time.
    """
    import struct
    import zlib

    height, width = rgba.shape[:2]
    raw = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row: filter type 0, then R G B ...
    raw[:, 1:] = rgba[:, :, :3].reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level)) + chunk(b"IEND", b""))


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
