"""Figures, widget and data of the notebook "Week 4 · 1. Convolution: from loops to im2col, padding, stride and
pooling".

Nothing here is an exercise's solution. Where a figure or the explorer needs a convolution of its own, it calls
PyTorch (``F.conv2d``), never the learner's code; figures of the learner's results (:func:`plot_im2col`,
:func:`plot_feature_maps`) draw arrays that the notebook computed. :func:`load_gray_photo` gives the small
grayscale photo of the notebook; :data:`KERNELS` the classic 3×3 filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcourse.widgets import FigureWidget

#: Classic 3×3 filters (cross-correlation convention: the kernel is applied as written, not flipped).
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
    "box blur": np.full((3, 3), 1.0 / 9.0),
    "Gaussian blur": np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0,
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "Sobel x": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "Sobel y": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "edge (Laplacian)": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
}

_PAD_RGB = (0.85, 0.85, 0.85)
_INPUT_RGB = (1.0, 1.0, 1.0)
_TAP_RGB = (0.96, 0.55, 0.16)
_TAP_ON_PAD_RGB = (0.99, 0.80, 0.62)
_OUTPUT_RGB = (0.80, 0.89, 1.0)


# ----------------------------------------------------------------------------- data
def load_gray_photo(name: str = "china.jpg", size: tuple[int, int] = (96, 144)) -> np.ndarray:
    """One of scikit-learn's sample photos in grayscale, shrunk to ``size`` = (height, width) pixels.

    Returns a float64 array of shape ``size`` with values in [0, 1]: luma 0.299 R + 0.587 G + 0.114 B of the
    8-bit photo (427 × 640 pixels for both sample photos), then area-averaged down (each output pixel is the
    mean of the input pixels it covers). The same call gives the same array.
    """
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_sample_image

    h, w = (int(s) for s in size)
    if h < 1 or w < 1:
        raise ValueError(f"size must be two positive ints, got {size}")
    rgb = load_sample_image(name).astype(np.float64) / 255.0
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    small = F.interpolate(torch.from_numpy(gray)[None, None], size=(h, w), mode="area")[0, 0]
    return np.clip(small.numpy(), 0.0, 1.0)


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _output_size(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    # The figures' own geometry (the notebook's exercise is conv_output_size).
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def _correlate(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0,
               dilation: int = 1) -> np.ndarray:
    """A 2-D image (H, W) cross-correlated with a 2-D kernel, by scipy (float64; zero padding).

    A dilated kernel is the kernel with ``dilation - 1`` zeros between its taps; a stride keeps every
    ``stride``-th output. (scipy runs single-threaded, so a widget's redraw never waits for a thread pool.)
    """
    from scipy.signal import correlate2d

    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw = kernel.shape
    spread = np.zeros((dilation * (kh - 1) + 1, dilation * (kw - 1) + 1))
    spread[::dilation, ::dilation] = kernel
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    return correlate2d(padded, spread, mode="valid")[::stride, ::stride]


def _num(v: float) -> str:
    """A number as a short text, negative numbers in parentheses (for products written out: 3·(-1))."""
    text = f"{v:g}"
    return f"({text})" if v < 0 else text


def _kernel_text(kernel: np.ndarray) -> str:
    """A kernel as one line, rows separated by ";", with a common denominator pulled out: [1 2 1; ...] / 16."""
    kernel = np.asarray(kernel, dtype=float)
    for denominator in (1, 9, 16, 4, 2, 8):
        scaled = kernel * denominator
        if np.allclose(scaled, np.round(scaled), atol=1e-9):
            body = "; ".join(" ".join(f"{round(v):d}" for v in row) for row in scaled)
            return f"[{body}]" + (f" / {denominator}" if denominator > 1 else "")
    return "[" + "; ".join(" ".join(f"{v:.2f}" for v in row) for row in kernel) + "]"


def _cells(ax: Any, values: np.ndarray, fmt: str = "{:g}", cmap: str = "Blues", vmin: float | None = None,
           vmax: float | None = None, fontsize: float = 9) -> None:
    """A grid of cells coloured by value, each with its number written in it."""
    values = np.ma.atleast_2d(values)
    lo = float(values.min()) if vmin is None else vmin
    hi = float(values.max()) if vmax is None else vmax
    ax.imshow(values, cmap=cmap, vmin=lo - 0.15 * (hi - lo + 1e-9), vmax=hi + 0.6 * (hi - lo + 1e-9),
              interpolation="nearest")
    for (i, j), v in np.ndenumerate(np.ma.filled(values, np.nan)):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize)
    ax.set_xticks(np.arange(-0.5, values.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0]), minor=True)
    ax.grid(which="minor", color="0.55", lw=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)


# ----------------------------------------------------------------------------- sliding windows
def plot_sliding_window_1d(signal: Any, kernel: Any, position: int) -> Figure:
    """A 1-D cross-correlation: the signal, the kernel at ``position`` and every output ("valid", stride 1).

    ``out[i] = sum_u signal[i + u] * kernel[u]``; the output computed at ``position`` is outlined and its sum
    is written out in the title.
    """
    x, w = _np(signal).astype(float).ravel(), _np(kernel).astype(float).ravel()
    n, k = x.size, w.size
    if not 1 <= k <= n:
        raise ValueError(f"need a kernel of 1 to {n} taps, got {k}")
    out = np.correlate(x, w, mode="valid")
    if not 0 <= position < out.size:
        raise ValueError(f"position must be in 0..{out.size - 1}, got {position}")
    fig = Figure(figsize=(0.62 * n + 1.6, 2.9), layout="constrained")
    ax_x, ax_w, ax_o = fig.subplots(3, 1, sharex=True)
    _cells(ax_x, x[None, :], cmap="Greys")
    ax_x.add_patch(Rectangle((position - 0.5, -0.5), k, 1, fill=False, ec="#c0392b", lw=2.5))
    ax_x.set_ylabel("input", rotation=0, ha="right", va="center")
    row = np.full(n, np.nan)
    row[position:position + k] = w
    ax_w.imshow(np.where(np.isnan(row), 0.0, 1.0)[None, :], cmap="Oranges", vmin=0, vmax=2.5)
    for u in range(k):
        ax_w.text(position + u, 0, f"×{w[u]:g}", ha="center", va="center", fontsize=9)
    ax_w.set_yticks([])
    ax_w.tick_params(length=0, labelbottom=False)
    ax_w.set_ylabel("kernel", rotation=0, ha="right", va="center")
    lim = float(np.abs(out).max()) or 1.0
    _cells(ax_o, np.ma.masked_invalid(np.r_[out, np.full(n - out.size, np.nan)])[None, :], cmap="RdBu_r",
           vmin=-lim, vmax=lim)
    ax_o.add_patch(Rectangle((position - 0.5, -0.5), 1, 1, fill=False, ec="#c0392b", lw=2.5))
    ax_o.set_ylabel("output", rotation=0, ha="right", va="center")
    terms = " + ".join(f"{a:g}·{_num(b)}" for a, b in zip(x[position:position + k], w))
    ax_x.set_title(f"out[{position}] = {terms} = {out[position]:g}", fontsize=10)
    return fig


def plot_sliding_window_2d(image: Any, kernel: Any, position: tuple[int, int]) -> Figure:
    """A 2-D cross-correlation by hand: input, kernel, output ("valid", stride 1), window at ``position``."""
    x, w = _np(image).astype(float), _np(kernel).astype(float)
    if x.ndim != 2 or w.ndim != 2 or w.shape[0] > x.shape[0] or w.shape[1] > x.shape[1]:
        raise ValueError(f"need a 2-D image and a smaller 2-D kernel, got {x.shape} and {w.shape}")
    out = _correlate(x, w)
    i, j = position
    if not (0 <= i < out.shape[0] and 0 <= j < out.shape[1]):
        raise ValueError(f"position must index the {out.shape} output, got {position}")
    kh, kw = w.shape
    fig = Figure(figsize=(9.5, 3.3), layout="constrained")
    ax_x, ax_w, ax_o = fig.subplots(1, 3, gridspec_kw={"width_ratios": [x.shape[1], kw + 1, out.shape[1] + 1]})
    _cells(ax_x, x, cmap="Greys")
    ax_x.add_patch(Rectangle((j - 0.5, i - 0.5), kw, kh, fill=False, ec="#c0392b", lw=2.5))
    ax_x.set_title(f"input {x.shape[0]}×{x.shape[1]}", fontsize=10)
    _cells(ax_w, w, cmap="Oranges")
    ax_w.set_title(f"kernel {kh}×{kw}", fontsize=10)
    _cells(ax_o, out, cmap="Blues")
    ax_o.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="#c0392b", lw=2.5))
    ax_o.set_title(f"output {out.shape[0]}×{out.shape[1]}", fontsize=10)
    window = x[i:i + kh, j:j + kw]
    terms = " + ".join(f"{a:g}·{_num(b)}" for a, b in zip(window.ravel(), w.ravel()) if b != 0)
    fig.suptitle(f"out[{i}, {j}] = {terms} = {out[i, j]:g}   (terms with a 0 weight left out)", fontsize=10)
    return fig


# ----------------------------------------------------------------------------- photos
def _show_map(ax: Any, img: np.ndarray, title: str, signed: bool | None = None, vmax: float | None = None) -> Any:
    """One image: signed responses red (positive), white (0), blue (negative); others gray from 0 to ``vmax``.

    ``signed=None`` decides from the values (any negative value: signed). ``vmax=None``: 1, or the largest
    value when it is above 1.5 (feature maps).
    """
    if signed is None:
        signed = bool(img.min() < -1e-9)
    if signed:
        lim = float(np.percentile(np.abs(img), 99.5)) or 1.0
        art = ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    else:
        if vmax is None:
            vmax = float(img.max()) if img.max() > 1.5 else 1.0
        art = ax.imshow(img, cmap="gray", vmin=0.0, vmax=vmax, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return art


def plot_kernel_gallery(image: Any, names: Sequence[str] | None = None, ncols: int = 4) -> Figure:
    """The photo filtered by each kernel of :data:`KERNELS` named in ``names`` (default: all), "same" padding.

    Signed results (edges) are drawn red (positive), white (zero) and blue (negative).
    """
    img = _np(image).astype(float)
    if img.ndim != 2:
        raise ValueError(f"need a 2-D grayscale image, got shape {img.shape}")
    names = list(KERNELS) if names is None else list(names)
    unknown = [n for n in names if n not in KERNELS]
    if unknown:
        raise ValueError(f"unknown kernels {unknown}; known: {list(KERNELS)}")
    panels = [("photo (input)", img, False)] + [
        (f"{n}\n{_kernel_text(KERNELS[n])}", _correlate(img, KERNELS[n], padding=1), abs(KERNELS[n].sum()) < 1e-9)
        for n in names]
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(2.9 * ncols, 2.3 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, (title, panel, signed) in zip(axes, panels):
        _show_map(ax, panel, title, signed, vmax=1.0)  # blurred or sharpened photos: clipped to the photo's range
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    return fig


def plot_images(images: Mapping[str, Any], ncols: int | None = None, title: str = "") -> Figure:
    """2-D arrays side by side, each with its title (signed arrays red/white/blue, others gray)."""
    items = [(t, _np(a).astype(float)) for t, a in images.items()]
    if not items or any(a.ndim != 2 for _, a in items):
        raise ValueError("images must map titles to 2-D arrays")
    ncols = ncols or len(items)
    nrows = -(-len(items) // ncols)
    fig = Figure(figsize=(3.0 * ncols, 2.4 * nrows + (0.3 if title else 0)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, (t, a) in zip(axes, items):
        _show_map(ax, a, t)
    for ax in axes[len(items):]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_feature_maps(images: Any, columns: Mapping[str, Any], title: str = "") -> Figure:
    """One row per image: the image, then each column's map of it. ``columns`` maps a title to (n, h, w) maps."""
    imgs = _np(images).astype(float)
    cols = {t: _np(m).astype(float) for t, m in columns.items()}
    if imgs.ndim != 3 or any(m.ndim != 3 or m.shape[0] != imgs.shape[0] for m in cols.values()):
        raise ValueError("images must be (n, h, w) and every column (n, h', w')")
    n, ncols = imgs.shape[0], 1 + len(cols)
    fig = Figure(figsize=(1.75 * ncols, 1.75 * n + (0.35 if title else 0.15)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(n, ncols, squeeze=False))
    for r in range(n):
        _show_map(axes[r, 0], imgs[r], "image" if r == 0 else "")
        for c, (t, maps) in enumerate(cols.items(), start=1):
            _show_map(axes[r, c], maps[r], t if r == 0 else "")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ----------------------------------------------------------------------------- geometry of one convolution
class _Geometry:
    """The artists of two panels: the padded input with the window of one output, and the output grid."""

    def __init__(self, ax_in: Any, ax_out: Any, max_cells: int = 15) -> None:
        self.ax_in, self.ax_out = ax_in, ax_out
        blank = np.ones((1, 1, 3))
        self.im_in = ax_in.imshow(blank, interpolation="nearest", extent=(-0.5, 0.5, 0.5, -0.5))
        self.im_out = ax_out.imshow(blank, interpolation="nearest", extent=(-0.5, 0.5, 0.5, -0.5))
        self.grid_in = LineCollection([], colors="0.55", linewidths=0.6)
        self.grid_out = LineCollection([], colors="0.55", linewidths=0.6)
        ax_in.add_collection(self.grid_in)
        ax_out.add_collection(self.grid_out)
        self.border = Rectangle((0, 0), 1, 1, fill=False, ec="k", lw=1.8)
        self.window = Rectangle((0, 0), 1, 1, fill=False, ec="#c0392b", lw=2.2)
        self.cell = Rectangle((0, 0), 1, 1, fill=False, ec="#c0392b", lw=2.2)
        ax_in.add_patch(self.border)
        ax_in.add_patch(self.window)
        ax_out.add_patch(self.cell)
        self.note = ax_out.text(0.5, 0.5, "", transform=ax_out.transAxes, ha="center", va="center", fontsize=9,
                                wrap=True)
        for ax in (ax_in, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            for spine in ax.spines.values():
                spine.set_visible(False)
        self.max_cells = max_cells

    @staticmethod
    def _lines(h: int, w: int) -> list[list[tuple[float, float]]]:
        rows = [[(-0.5, r - 0.5), (w - 0.5, r - 0.5)] for r in range(h + 1)]
        cols = [[(c - 0.5, -0.5), (c - 0.5, h - 0.5)] for c in range(w + 1)]
        return rows + cols

    def update(self, n: int, k: int, padding: int, stride: int, dilation: int, position: int,
               long_titles: bool = True) -> dict[str, Any]:
        """Draw one configuration; return its numbers (and the texts that the titles would show)."""
        m = n + 2 * padding
        out = _output_size(n, k, padding, stride, dilation)
        span = dilation * (k - 1) + 1
        rgb = np.empty((m, m, 3))
        rgb[:] = _PAD_RGB
        rgb[padding:padding + n, padding:padding + n] = _INPUT_RGB
        size = max(m, out, 1)
        self.im_in.set_extent((-0.5, m - 0.5, m - 0.5, -0.5))
        self.grid_in.set_segments(self._lines(m, m))
        self.border.set_bounds(padding - 0.5, padding - 0.5, n, n)
        for ax in (self.ax_in, self.ax_out):
            ax.set_xlim(-0.5, size - 0.5)
            ax.set_ylim(size - 0.5, -0.5)
        info: dict[str, Any] = {
            "out": out, "row": None, "col": None, "padded": m, "window": span,
            "input": f"input {n}×{n}, padding {padding}: padded {m}×{m}; kernel {k}×{k}, dilation {dilation}: "
                     f"window {span}×{span}",
            "formula": f"⌊({n} + 2·{padding} − {dilation}·({k} − 1) − 1) / {stride}⌋ + 1 = {out}",
        }
        in_title = (f"input {n}×{n}, padding {padding}: padded {m}×{m}\nkernel {k}×{k}, dilation {dilation}: "
                    f"window {span}×{span}") if long_titles else f"padded input {m}×{m}"
        self.ax_in.set_title(in_title, fontsize=9)
        if out < 1:
            self.im_in.set_data(rgb)
            self.window.set_visible(False)
            self.cell.set_visible(False)
            self.im_out.set_visible(False)
            self.grid_out.set_segments([])
            self.note.set_text(f"no output: the window ({span}×{span})\nis larger than the padded input ({m}×{m})")
            self.ax_out.set_title(f"output size {info['formula']}" if long_titles else "no output", fontsize=9)
            return info
        position = min(max(int(position), 0), out * out - 1)
        i, j = divmod(position, out)
        r, c = np.meshgrid(i * stride + dilation * np.arange(k), j * stride + dilation * np.arange(k), indexing="ij")
        on_pad = (r < padding) | (r >= padding + n) | (c < padding) | (c >= padding + n)
        rgb[r[~on_pad], c[~on_pad]] = _TAP_RGB
        rgb[r[on_pad], c[on_pad]] = _TAP_ON_PAD_RGB
        self.im_in.set_data(rgb)
        self.window.set_visible(True)
        self.window.set_bounds(j * stride - 0.5, i * stride - 0.5, span, span)
        grid = np.empty((out, out, 3))
        grid[:] = _OUTPUT_RGB
        grid[i, j] = _TAP_RGB
        self.im_out.set_visible(True)
        self.im_out.set_data(grid)
        self.im_out.set_extent((-0.5, out - 0.5, out - 0.5, -0.5))
        self.grid_out.set_segments(self._lines(out, out))
        self.cell.set_visible(True)
        self.cell.set_bounds(j - 0.5, i - 0.5, 1, 1)
        self.note.set_text("")
        out_title = (f"output {out}×{out}, cell ({i}, {j}), stride {stride}\n{info['formula']}" if long_titles
                     else f"output {out}×{out}, cell ({i}, {j})")
        self.ax_out.set_title(out_title, fontsize=9)
        info.update(row=i, col=j, taps=int(k * k), taps_on_padding=int(on_pad.sum()))
        return info


def plot_conv_geometry(configs: Sequence[Mapping[str, int]]) -> Figure:
    """For each config (keys n, k, padding, stride, dilation, position), the padded input and the output grid.

    Light gray cells are padding (zeros), the black square is the input, orange cells are what the output cell
    outlined in red reads (pale orange: a tap that reads padding).
    """
    if not configs:
        raise ValueError("give at least one configuration")
    fig = Figure(figsize=(2.7 * len(configs), 5.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(2, len(configs), squeeze=False))
    for col, cfg in enumerate(configs):
        unknown = set(cfg) - {"n", "k", "padding", "stride", "dilation", "position", "label"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in {cfg}")
        geo = _Geometry(axes[0, col], axes[1, col])
        geo.update(int(cfg.get("n", 5)), int(cfg.get("k", 3)), int(cfg.get("padding", 0)),
                   int(cfg.get("stride", 1)), int(cfg.get("dilation", 1)), int(cfg.get("position", 0)))
        if "label" in cfg:
            axes[0, col].set_title(f"{cfg['label']}\n" + axes[0, col].get_title(), fontsize=9)
    return fig


# ----------------------------------------------------------------------------- the explorer
class ConvolutionExplorer(FigureWidget):
    """The convolution explorer: the geometry of one convolution and a 3×3 kernel applied to a photo.

    Controls (``controls``, by name): ``n`` input size, ``k`` kernel size, ``padding``, ``stride``,
    ``dilation``, ``position`` (the output cell whose window is drawn, row-major), ``preset`` (a kernel of
    :data:`KERNELS` or "custom") and ``k0`` ... ``k8`` (the 3×3 kernel, row-major, editable). The photo panel
    applies the 3×3 kernel with the padding, stride and dilation above (PyTorch's ``F.conv2d``). A control
    change draws exactly once: the position slider's range follows the geometry, a preset fills the nine
    fields, and an edited field switches the preset to "custom", all without extra redraws.
    """

    def __init__(self, image: Any, width: int = 760, height: int = 560, dpi: int = 72) -> None:
        import ipywidgets as widgets

        self.photo = _np(image).astype(np.float64)
        if self.photo.ndim != 2:
            raise ValueError(f"need a 2-D grayscale image, got shape {self.photo.shape}")
        self._held = False
        style = {"description_width": "82px"}
        lay = widgets.Layout(width="300px")

        def slider(description: str, value: int, lo: int, hi: int) -> Any:
            return widgets.IntSlider(value=value, min=lo, max=hi, step=1, description=description, style=style,
                                     layout=lay, continuous_update=False)

        controls: dict[str, Any] = {
            "n": slider("input size", 5, 3, 9),
            "k": slider("kernel size", 3, 1, 5),
            "padding": slider("padding", 0, 0, 3),
            "stride": slider("stride", 1, 1, 3),
            "dilation": slider("dilation", 1, 1, 3),
            "position": slider("output cell", 0, 0, 8),
            "preset": widgets.Dropdown(options=[*KERNELS, "custom"], value="Sobel x", description="3×3 kernel",
                                       style=style, layout=lay),
        }
        for idx, v in enumerate(KERNELS["Sobel x"].ravel()):
            controls[f"k{idx}"] = widgets.FloatText(value=float(v), step=0.5, layout=widgets.Layout(width="64px"))
        self.info = widgets.HTML()
        self._fig, self._geo, self._photo_art = self._build_figure(width, height, dpi)
        super().__init__(self._draw, controls, width=width, height=height, dpi=dpi)
        grid = widgets.GridBox([controls[f"k{i}"] for i in range(9)],
                               layout=widgets.Layout(grid_template_columns="repeat(3, 68px)", grid_gap="2px"))
        grid.add_class("dlcourse-conv-kernel")
        controls["preset"].add_class("dlcourse-conv-preset")
        left = widgets.VBox([controls[name] for name in ("n", "k", "padding", "stride", "dilation", "position")])
        right = widgets.VBox([controls["preset"], widgets.HTML("<small>edit the kernel (row by row):</small>"), grid])
        self.widget = widgets.VBox([widgets.HBox([left, right]), self.info, self.image, self.error])
        self.widget.add_class("dlcourse-figure-widget")

    # -- figure
    def _build_figure(self, width: int, height: int, dpi: int) -> tuple[Figure, _Geometry, dict[str, Any]]:
        # A fixed layout (constrained layout costs 100+ ms) and one short line of text per panel: each line of
        # text costs about 2 ms to draw; the numbers go to the HTML line above the image instead.
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        axes = fig.subplots(2, 2)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.95, wspace=0.06, hspace=0.12)
        geo = _Geometry(axes[0, 0], axes[0, 1])
        ax_p, ax_q = axes[1]
        art_in = ax_p.imshow(self.photo, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax_p.set_title("photo (input)", fontsize=9)
        art_out = ax_q.imshow(self.photo, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        for ax in (ax_p, ax_q):
            ax.set_xticks([])
            ax.set_yticks([])
        return fig, geo, {"in": art_in, "out": art_out, "ax": ax_q}

    def _on_change(self, change: Any) -> None:
        if self._held:
            return
        self._held = True
        try:
            self._sync(change)
        finally:
            self._held = False
        self.redraw()

    def _sync(self, change: Any) -> None:
        """Keep the controls consistent (no redraw happens while this runs)."""
        c = self.controls
        owner = change.get("owner") if isinstance(change, Mapping) else None
        if owner is c["preset"] and c["preset"].value in KERNELS:
            for idx, v in enumerate(KERNELS[c["preset"].value].ravel()):
                c[f"k{idx}"].value = float(v)
        elif any(owner is c[f"k{i}"] for i in range(9)):
            name = c["preset"].value
            if name in KERNELS and not np.allclose(self.kernel(), KERNELS[name]):
                c["preset"].value = "custom"
        out = _output_size(c["n"].value, c["k"].value, c["padding"].value, c["stride"].value, c["dilation"].value)
        c["position"].max = max(max(out, 0) ** 2 - 1, 0)

    def kernel(self) -> np.ndarray:
        """The 3×3 kernel in the nine fields."""
        return np.array([float(self.controls[f"k{i}"].value) for i in range(9)]).reshape(3, 3)

    def _draw(self, n: int, k: int, padding: int, stride: int, dilation: int, position: int, preset: str,
              **_kernel_fields: float) -> Figure:
        info = self._geo.update(n, k, padding, stride, dilation, position, long_titles=False)
        kernel = self.kernel()
        art, ax = self._photo_art["out"], self._photo_art["ax"]
        result = _correlate(self.photo, kernel, stride=stride, padding=padding, dilation=dilation)
        art.set_data(result)
        oh, ow = result.shape
        art.set_extent((-0.5, ow - 0.5, oh - 0.5, -0.5))
        ax.set_xlim(-0.5, ow - 0.5)
        ax.set_ylim(oh - 0.5, -0.5)
        if kernel.sum() < 1e-9:  # an edge detector (sum 0) or a kernel of negative sum: signed output
            lim = float(np.percentile(np.abs(result), 99)) or 1.0
            art.set_cmap("RdBu_r")
            art.set_clim(-lim, lim)
            shade = "red = positive, white = 0, blue = negative"
        else:
            art.set_cmap("gray")
            art.set_clim(0.0, max(1.0, float(kernel.sum())))
            shade = "gray"
        ax.set_title(f"photo filtered: {oh}×{ow}", fontsize=9)
        h, w = self.photo.shape
        if info["row"] is None:
            cell = "the window does not fit: no output"
        else:
            cell = (f"output cell ({info['row']}, {info['col']}) reads {info['taps']} cells, "
                    f"{info['taps_on_padding']} of them padding (zeros)")
        self.info.value = (
            f"<div style='font-size:13px;line-height:1.45'>{info['input']}<br>"
            f"output size: {info['formula']}, so {max(info['out'], 0)}×{max(info['out'], 0)}; {cell}<br>"
            f"photo {h}×{w} ⋆ {preset} {_kernel_text(kernel)} with the same padding, stride and dilation: "
            f"{oh}×{ow} ({shade})</div>")
        return self._fig


def conv_explorer(image: Any, width: int = 760, height: int = 560) -> ConvolutionExplorer:
    """The convolution explorer on a 2-D grayscale ``image`` (see :class:`ConvolutionExplorer`)."""
    return ConvolutionExplorer(image, width=width, height=height)


# ----------------------------------------------------------------------------- im2col
def plot_im2col(x: Any, cols: Any, kh: int, kw: int) -> Figure:
    """The input of one example (C, H, W), channel by channel, and the columns (C·kh·kw, L) made from it.

    Best with ``x = np.arange(...)``: every number is then a pixel's address, and the columns show where each
    pixel went. Rows of the columns are labelled (c, u, v): channel, kernel row, kernel column.
    """
    xa, ca = _np(x).astype(float), _np(cols).astype(float)
    if xa.ndim != 3 or ca.ndim != 2 or ca.shape[0] != xa.shape[0] * kh * kw:
        raise ValueError(f"need x (C, H, W) and cols (C*kh*kw, L), got {xa.shape} and {ca.shape}")
    c_in = xa.shape[0]
    fig = Figure(figsize=(2.0 * c_in + 0.55 * ca.shape[1] + 1.6, max(3.0, 0.36 * ca.shape[0] + 1.0)),
                 layout="constrained")
    widths = [xa.shape[2]] * c_in + [ca.shape[1] * 1.2]
    axes = fig.subplots(1, c_in + 1, gridspec_kw={"width_ratios": widths})
    lo, hi = float(xa.min()), float(xa.max())
    for c in range(c_in):
        _cells(axes[c], xa[c], fmt="{:g}", cmap="Greys", vmin=lo, vmax=hi, fontsize=8)
        axes[c].set_title(f"x, channel {c}", fontsize=9)
    ax = axes[-1]
    _cells(ax, ca, fmt="{:g}", cmap="Greys", vmin=lo, vmax=hi, fontsize=7)
    labels = [f"({c},{u},{v})" for c in range(c_in) for u in range(kh) for v in range(kw)]
    ax.set_yticks(range(ca.shape[0]), labels, fontsize=7)
    ax.set_xticks(range(ca.shape[1]), [str(i) for i in range(ca.shape[1])], fontsize=7)
    ax.tick_params(labelleft=True, labelbottom=True)
    ax.set_xlabel("column = output position i·W_out + j", fontsize=8)
    ax.set_title(f"cols: ({ca.shape[0]}, {ca.shape[1]}), one column per window", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- timings
def plot_timings(times_ms: Mapping[str, Mapping[str, float]], title: str = "") -> Figure:
    """Run times in milliseconds as horizontal bars (log scale), one panel per group: ``{group: {name: ms}}``."""
    if not times_ms or any(not group for group in times_ms.values()):
        raise ValueError("give at least one group with at least one timing")
    values_all = np.array([float(v) for group in times_ms.values() for v in group.values()])
    if (values_all <= 0).any():
        raise ValueError("times must be positive")
    rows = [len(group) for group in times_ms.values()]
    fig = Figure(figsize=(7.5, 0.42 * sum(rows) + 0.9 * len(rows) + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(rows), 1, sharex=True, gridspec_kw={"height_ratios": rows}))
    for ax, (group, timings) in zip(axes, times_ms.items()):
        names, values = list(timings), np.array([float(v) for v in timings.values()])
        y = np.arange(len(names))[::-1]
        ax.barh(y, values, color="#2e5fa3", alpha=0.85)
        ax.set_xscale("log")
        ax.set_yticks(y, names, fontsize=9)
        for yi, v in zip(y, values):
            ax.text(v * 1.08, yi, f"{v:.3g} ms", va="center", fontsize=8)
        ax.set_title(group, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_xlim(values_all.min() / 2, values_all.max() * 8)
    axes[-1].set_xlabel("milliseconds per call (log scale, best of several runs)")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ----------------------------------------------------------------------------- receptive fields
def _tower(layers: Sequence[tuple[int, int, int]]) -> tuple[list[np.ndarray], list[set[int]]]:
    """x coordinates (in input pixels) of every cell of every level, and the cells the top-middle cell reads."""
    sizes = [1]
    for k, s, d in reversed(layers):  # the smallest input that gives one output cell, then a margin
        sizes.append((sizes[-1] - 1) * s + d * (k - 1) + 1)
    n_in = sizes[-1] + 2 * int(np.prod([s for _, s, _ in layers]))
    counts = [n_in]
    for k, s, d in layers:
        counts.append(_output_size(counts[-1], k, 0, s, d))
    xs = [np.arange(n_in, dtype=float)]
    for (k, s, d), count in zip(layers, counts[1:]):
        xs.append(xs[-1][np.arange(count) * s + d * (k - 1) // 2] if d * (k - 1) % 2 == 0
                  else 0.5 * (xs[-1][np.arange(count) * s] + xs[-1][np.arange(count) * s + d * (k - 1)]))
    reached = [{counts[-1] // 2}]
    for k, s, d in reversed(layers):
        reached.append({q * s + u * d for q in reached[-1] for u in range(k)})
    return xs, reached[::-1]


def plot_receptive_field_towers(stacks: Mapping[str, Sequence[tuple[int, int, int]]]) -> Figure:
    """For each stack of layers (kernel, stride, dilation), bottom = input: the cells one top cell depends on.

    Every level is drawn in input-pixel coordinates (a cell sits at the centre of its window), so a stride
    spreads the cells of the next level apart. Orange cells and lines are what the middle top cell reads,
    directly or indirectly; the title gives the span of input pixels it reads (its receptive field).
    """
    if not stacks:
        raise ValueError("give at least one stack")
    fig = Figure(figsize=(4.0 * len(stacks), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(stacks)))
    for ax, (name, layers) in zip(axes, stacks.items()):
        layers = [(int(k), int(s), int(d)) for k, s, d in layers]
        if not layers or any(k < 1 or s < 1 or d < 1 for k, s, d in layers):
            raise ValueError(f"{name}: need layers (kernel >= 1, stride >= 1, dilation >= 1), got {layers}")
        xs, reached = _tower(layers)
        segments, hot = [], []
        for level, (k, s, d) in enumerate(layers, start=1):
            for q in range(len(xs[level])):
                for u in range(k):
                    seg = [(xs[level - 1][q * s + u * d], level - 1), (xs[level][q], level)]
                    (hot if q in reached[level] else segments).append(seg)
        ax.add_collection(LineCollection(segments, colors="0.85", linewidths=0.5))
        ax.add_collection(LineCollection(hot, colors="#e67e22", linewidths=1.2))
        for level, x in enumerate(xs):
            on = np.array([q in reached[level] for q in range(len(x))])
            ax.scatter(x[~on], np.full((~on).sum(), level), s=22, c="white", edgecolors="0.5", zorder=3)
            ax.scatter(x[on], np.full(on.sum(), level), s=26, c="#e67e22", edgecolors="k", zorder=4)
        span = max(reached[0]) - min(reached[0]) + 1
        ax.set_yticks(range(len(layers) + 1), ["input"] + [f"layer {i} (k{k} s{s} d{d})"
                                                          for i, (k, s, d) in enumerate(layers, 1)], fontsize=8)
        ax.set_xticks([])
        ax.set_xlim(-1, len(xs[0]))
        ax.set_ylim(-0.5, len(layers) + 0.5)
        ax.set_title(f"{name}\nreceptive field: {span} input pixels", fontsize=9)
        for spine in ("top", "right", "bottom"):
            ax.spines[spine].set_visible(False)
    return fig
