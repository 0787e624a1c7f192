"""Figures and widget of the notebook "Week 4 · 2. A convolutional network on handwritten digits".

Nothing here is an exercise's solution. The plots draw what the notebook computed with the
learner's functions: pixel layouts, convolution outputs, learned filters, feature maps recorded by
forward hooks, shifted digits and accuracies. :func:`feature_map_explorer` shows feature maps
that the notebook recorded; it computes nothing but the drawing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcourse.widgets import FigureWidget

_OK, _BAD = "#1f7a3a", "#c0392b"


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _digit(ax: Any, image: np.ndarray, title: str = "", vmax: float = 1.0) -> Any:
    shown = ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return shown


# ----------------------------------------------------------------------------- pixels and images
def plot_pixel_order(row: Any) -> Figure:
    """One digit two ways: the 64 numbers of its row of ``X`` (top) and the 8x8 image they make.

    Each cell of the image is labelled with its index ``k`` in the row: pixel k sits at row
    ``k // 8``, column ``k % 8`` (row-major order, the order of ``reshape``).
    """
    x = _np(row).astype(float).ravel()
    if x.size != 64:
        raise ValueError(f"need one row of 64 pixels, got {x.size} values")
    fig = Figure(figsize=(9.0, 4.4), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[1, 7])
    ax_row = fig.add_subplot(grid[0])
    ax_row.imshow(x[None, :], cmap="gray_r", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax_row.set_yticks([])
    ax_row.set_xticks(np.arange(0, 64, 8))
    ax_row.set_xticks(np.arange(-0.5, 64, 8), minor=True)
    ax_row.grid(which="minor", color=_BAD, lw=1.2)
    ax_row.tick_params(which="minor", length=0)
    ax_row.set_title("a row of X: 64 pixel values (index k = 0 ... 63); red lines every 8 pixels", fontsize=9)
    ax_img = fig.add_subplot(grid[1])
    image = x.reshape(8, 8)
    ax_img.imshow(image, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    for (r, c), v in np.ndenumerate(image):
        ax_img.text(c, r, f"{8 * r + c}", ha="center", va="center", fontsize=7, color="w" if v > 0.5 else "k")
    ax_img.set_xticks(range(8))
    ax_img.set_yticks(range(8))
    ax_img.set_xlabel("column = k % 8")
    ax_img.set_ylabel("row = k // 8")
    ax_img.set_title("the same pixels as an 8×8 image (number in a cell: its index k)", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- equivariance
def plot_equivariance(panels: Sequence[Sequence[Any]], row_titles: Sequence[str],
                      col_titles: Sequence[str]) -> Figure:
    """A grid of 2-D arrays: ``panels[i][j]`` is drawn in row i, column j, each with its own colour scale.

    Used for "input, convolution output, pooled output" of a digit and of its shifted copy.
    """
    mats = [[_np(p).astype(float) for p in row] for row in panels]
    if not mats or any(len(r) != len(mats[0]) for r in mats) or any(m.ndim != 2 for r in mats for m in r):
        raise ValueError("panels must be a rectangular list of lists of 2-D arrays")
    if len(row_titles) != len(mats) or len(col_titles) != len(mats[0]):
        raise ValueError("need one title per row and one per column")
    nrows, ncols = len(mats), len(mats[0])
    fig = Figure(figsize=(2.7 * ncols, 2.6 * nrows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    for i in range(nrows):
        for j in range(ncols):
            m = mats[i][j]
            top = float(max(np.abs(m).max() for m in (mats[r][j] for r in range(nrows)))) or 1.0
            ax = axes[i, j]
            if m.min() >= 0:
                ax.imshow(m, cmap="gray_r", vmin=0, vmax=top, interpolation="nearest")
            else:
                ax.imshow(m, cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
            ax.set_xticks(range(m.shape[1]))
            ax.set_yticks(range(m.shape[0]))
            ax.tick_params(labelsize=6, length=0)
            ax.set_title(f"{row_titles[i]}: {col_titles[j]}", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- filters and feature maps
def plot_filters(weight: Any, ncols: int = 8, title: str = "") -> Figure:
    """The kernels of a first convolution layer, weight of shape (C_out, 1, k, k), one panel each.

    Red = positive weight (the filter answers to ink there), blue = negative; every panel has
    its own symmetric colour scale.
    """
    w = _np(weight).astype(float)
    if w.ndim != 4 or w.shape[1] != 1:
        raise ValueError(f"need a weight of shape (C_out, 1, k, k), got {w.shape}")
    n = w.shape[0]
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(0.95 * ncols, 0.95 * nrows + 0.35), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k >= n:
            continue
        m = float(np.abs(w[k, 0]).max()) or 1.0
        ax.imshow(w[k, 0], cmap="RdBu_r", vmin=-m, vmax=m, interpolation="nearest")
        ax.set_title(f"{k}", fontsize=7)
    fig.suptitle(title or f"the {n} learned 3×3 filters of conv1 (red +, blue −)", fontsize=10)
    return fig


def plot_feature_maps(image: Any, maps: Mapping[str, Any], n_channels: int = 8, title: str = "") -> Figure:
    """One digit and the first ``n_channels`` feature maps of each recorded layer (one row per layer).

    ``maps[name]`` has shape (C, H, W) (the activations of one image); each row has one colour
    scale, so the channels of a layer can be compared.
    """
    img = _np(image).astype(float).reshape(8, 8)
    layers = {name: _np(m).astype(float) for name, m in maps.items()}
    if not layers or any(m.ndim != 3 for m in layers.values()):
        raise ValueError("maps must map layer names to (C, H, W) arrays")
    fig = Figure(figsize=(1.15 * (n_channels + 1), 1.25 * len(layers) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(layers), n_channels + 1, squeeze=False))
    for row, (name, m) in enumerate(layers.items()):
        first = axes[row, 0]
        if row == 0:
            _digit(first, img, "input")
        else:
            first.axis("off")
        top = float(m.max()) if m.max() > 0 else 1.0
        for ch in range(n_channels):
            ax = axes[row, ch + 1]
            ax.set_xticks([])
            ax.set_yticks([])
            if ch >= m.shape[0]:
                ax.axis("off")
                continue
            ax.imshow(m[ch], cmap="magma", vmin=0, vmax=top, interpolation="nearest")
            if row == 0:
                ax.set_title(f"ch {ch}", fontsize=7)
        axes[row, 1].set_ylabel(f"{name}\n{tuple(m.shape)}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _mosaic(maps: np.ndarray, ncols: int) -> np.ndarray:
    """(N, C, H, W) -> (N, rows*(H+1)-1, ncols*(W+1)-1): the C maps of each image tiled, NaN between them."""
    n, c, h, w = maps.shape
    rows = int(np.ceil(c / ncols))
    out = np.full((n, rows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for ch in range(c):  # a loop over channels (at most 64), once, when the explorer is built
        r, q = divmod(ch, ncols)
        out[:, r * (h + 1): r * (h + 1) + h, q * (w + 1): q * (w + 1) + w] = maps[:, ch]
    return out


def feature_map_explorer(
    images: Any,
    labels: Sequence[int] | np.ndarray,
    predictions: Sequence[int] | np.ndarray,
    maps: Mapping[str, Any],
    width: int = 760,
    height: int = 330,
) -> FigureWidget:
    """Pick a digit, a layer and a channel; see the digit, that channel's map and all maps of the layer.

    ``images`` (N, 8, 8) or (N, 64); ``maps[name]`` (N, C, H, W): the activations that forward hooks
    recorded for the same N images. Colour scales are fixed per layer (the largest activation over
    all N images), so that two digits can be compared. Everything is computed when the widget is
    built; a change of control only updates the kept figure's artists.
    """
    import ipywidgets as widgets

    imgs = _np(images).astype(float).reshape(-1, 8, 8)
    labels, predictions = np.asarray(labels).astype(int), np.asarray(predictions).astype(int)
    layers = {name: _np(m).astype(float) for name, m in maps.items()}
    n = len(imgs)
    if not layers or any(m.ndim != 4 or len(m) != n for m in layers.values()):
        raise ValueError(f"maps must map layer names to (N, C, H, W) arrays with N = {n} images")
    if labels.shape != (n,) or predictions.shape != (n,):
        raise ValueError(f"need {n} labels and {n} predictions")
    ncols = {name: 8 for name in layers}
    mosaics = {name: _mosaic(m, ncols[name]) for name, m in layers.items()}
    tops = {name: float(m.max()) if m.max() > 0 else 1.0 for name, m in layers.items()}
    names = list(layers)
    n_channels = {name: layers[name].shape[1] for name in names}

    style = {"description_width": "60px"}
    digit = widgets.IntSlider(value=0, min=0, max=n - 1, description="digit", style=style,
                              continuous_update=False, layout=widgets.Layout(width="420px"))
    layer = widgets.Dropdown(options=names, value=names[0], description="layer", style=style,
                             layout=widgets.Layout(width="220px"))
    channel = widgets.IntSlider(value=0, min=0, max=n_channels[names[0]] - 1, description="channel", style=style,
                                continuous_update=False, layout=widgets.Layout(width="420px"))
    holder: dict[str, FigureWidget] = {}

    def on_layer(change: Any) -> None:  # runs before the redraw: keep `channel` in range without a second draw
        explorer = holder.get("w")
        if explorer is not None:
            channel.unobserve(explorer._on_change, names="value")
        channel.max = n_channels[change["new"]] - 1
        if explorer is not None:
            channel.observe(explorer._on_change, names="value")

    layer.observe(on_layer, names="value")

    fig = Figure(figsize=(width / 90, (height - 10) / 90))  # a fixed layout: constrained layout costs 100+ ms
    ax_in, ax_one, ax_all = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.0, 1.9]})
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.04, top=0.84, wspace=0.12)
    art_in = _digit(ax_in, imgs[0], " ")
    first = layers[names[0]]
    art_one = ax_one.imshow(first[0, 0], cmap="magma", vmin=0, vmax=tops[names[0]], interpolation="nearest")
    art_all = ax_all.imshow(mosaics[names[0]][0], cmap="magma", vmin=0, vmax=tops[names[0]],
                            interpolation="nearest")
    for ax in (ax_one, ax_all):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#d8d8d8")  # the gaps between tiled maps (NaN)
    box = Rectangle((0, 0), 1, 1, fill=False, edgecolor="#35c4ff", lw=2.0)
    ax_all.add_patch(box)
    t_in = ax_in.set_title(" ", fontsize=10)
    t_one = ax_one.set_title(" ", fontsize=10)
    t_all = ax_all.set_title(" ", fontsize=10)

    def draw(digit: int, layer: str, channel: int) -> Figure:
        m = layers[layer]
        ch = min(channel, m.shape[1] - 1)
        h, w = m.shape[2:]
        art_in.set_data(imgs[digit])
        ok = labels[digit] == predictions[digit]
        t_in.set_text(f"test digit {digit}: label {labels[digit]}\npredicted {predictions[digit]}")
        t_in.set_color(_OK if ok else _BAD)
        art_one.set_data(m[digit, ch])
        art_one.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
        art_one.set_clim(0, tops[layer])
        ax_one.set_xlim(-0.5, w - 0.5)
        ax_one.set_ylim(h - 0.5, -0.5)
        t_one.set_text(f"{layer}, channel {ch}\n{h}×{w}, max {m[digit, ch].max():.2f}")
        mosaic = mosaics[layer][digit]
        art_all.set_data(mosaic)
        art_all.set_extent((-0.5, mosaic.shape[1] - 0.5, mosaic.shape[0] - 0.5, -0.5))
        art_all.set_clim(0, tops[layer])
        ax_all.set_xlim(-0.5, mosaic.shape[1] - 0.5)
        ax_all.set_ylim(mosaic.shape[0] - 0.5, -0.5)
        r, q = divmod(ch, ncols[layer])
        box.set_xy((q * (w + 1) - 0.5, r * (h + 1) - 0.5))
        box.set_width(w)
        box.set_height(h)
        t_all.set_text(f"all {m.shape[1]} channels of {layer} (blue box: channel {ch})")
        return fig

    explorer = FigureWidget(draw, {"digit": digit, "layer": layer, "channel": channel}, width=width, height=height)
    holder["w"] = explorer
    return explorer


# ----------------------------------------------------------------------------- augmentation and robustness
def plot_shifted_digits(images: Any, shifted: Sequence[Any], labels: Sequence[int] | np.ndarray,
                        row_titles: Sequence[str] | None = None) -> Figure:
    """Digits (first row) and one or more shifted versions of them (the rows under it)."""
    rows = [_np(images).astype(float).reshape(-1, 8, 8)] + [_np(s).astype(float).reshape(-1, 8, 8) for s in shifted]
    n = len(rows[0])
    if any(len(r) != n for r in rows) or n == 0:
        raise ValueError("every row needs the same (non-zero) number of images")
    titles = ["original"] + [f"shifted {i + 1}" for i in range(len(shifted))]
    if row_titles is not None:
        titles = list(row_titles)
    if len(titles) != len(rows):
        raise ValueError(f"need {len(rows)} row titles, got {len(titles)}")
    fig = Figure(figsize=(1.0 * n + 0.9, 1.05 * len(rows) + 0.2), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), n, squeeze=False))
    for i, row in enumerate(rows):
        for j in range(n):
            _digit(axes[i, j], row[j], str(int(labels[j])) if i == 0 else "")
        axes[i, 0].set_ylabel(titles[i], fontsize=8)
    return fig


def plot_shift_robustness(results: Mapping[str, tuple[float, float]], title: str = "") -> Figure:
    """Grouped bars: for each model, its test accuracy on the digits as they are and shifted."""
    if not results:
        raise ValueError("results is empty")
    names = list(results)
    clean = np.array([results[k][0] for k in names], dtype=float)
    moved = np.array([results[k][1] for k in names], dtype=float)
    x = np.arange(len(names))
    fig = Figure(figsize=(1.9 * len(names) + 2.0, 3.6), layout="constrained")
    ax = fig.subplots()
    for off, vals, label, color in [(-0.2, clean, "test digits as they are", "#2e5fa3"),
                                    (0.2, moved, "test digits shifted by up to 1 pixel", "#e08a2c")]:
        bars = ax.bar(x + off, 100 * vals, width=0.38, label=label, color=color)
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, 100 * v + 1, f"{100 * v:.1f}", ha="center", fontsize=8)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylim(0, 109)
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title or "accuracy on digits as they are and shifted", fontsize=10)
    return fig
