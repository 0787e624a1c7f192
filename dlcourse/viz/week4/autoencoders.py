"""Figures and widget of the notebook "Week 4 · 6. Autoencoders: compression, denoising, anomaly
detection and the latent space".

Nothing here is an exercise's solution. The figures draw images, codes and scores that the notebook
computed with the learner's functions; :func:`plot_latent_space` and :func:`latent_explorer` take the
trained decoder as a callable; :func:`plot_anomaly_detection` draws the ROC curve with
``sklearn.metrics.roc_curve`` (the notebook computes the area itself, by ranks).

Images are 8x8 digits with pixels in [0, 1], given flat ``(n, 64)`` or as ``(n, 8, 8)``.
"""

from __future__ import annotations

import io
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from dlcourse.widgets import FigureWidget

#: A decoder as the figures call it: a float32 CPU tensor of codes (n, latent_dim) -> n images of 64 pixels
#: (a tensor on any device, or an array).
Decoder = Callable[[Any], Any]

_CLASS_COLORS = np.array([
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
])


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _images(x: Any, name: str = "images") -> np.ndarray:
    """(n, 64) or (n, 8, 8) (or (n, 1, 8, 8)) -> (n, 8, 8) floats."""
    arr = _np(x).astype(float)
    if arr.ndim < 2 or arr[0].size != 64:
        raise ValueError(f"{name}: expected 8x8 images, (n, 64) or (n, 8, 8), got shape {arr.shape}")
    return arr.reshape(-1, 8, 8)


def _decode(decode: Decoder, z: np.ndarray) -> np.ndarray:
    """Call the decoder on codes (n, d) as a float32 CPU tensor, without autograd; (n, 8, 8) images."""
    import torch

    with torch.no_grad():
        out = decode(torch.as_tensor(np.asarray(z, dtype=np.float32)))
    images = _np(out).astype(float)
    if images.size != 64 * len(z):
        raise ValueError(f"decode(z) for {len(z)} codes must give {len(z)} images of 64 pixels, got shape "
                         f"{images.shape}")
    return images.reshape(len(z), 8, 8)


# ----------------------------------------------------------------------------- images and curves
def plot_image_rows(rows: Mapping[str, Any], title: str = "", max_images: int = 10) -> Figure:
    """One row of digits per entry of ``rows`` (name -> images), pixels on the fixed scale [0, 1].

    Typical use: originals, then reconstructions by several models, column by column the same digit.
    """
    if not rows:
        raise ValueError("rows is empty")
    arrays = {name: _images(images, name)[:max_images] for name, images in rows.items()}
    n = max(len(a) for a in arrays.values())
    fig = Figure(figsize=(0.9 * n + 1.6, 0.95 * len(arrays) + (0.35 if title else 0.1)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(arrays), n, squeeze=False))
    for r, (name, images) in enumerate(arrays.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(images):
                ax.imshow(images[c], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_mse_vs_latent(latent_dims: Sequence[int], curves: Mapping[str, Sequence[float]], title: str = "") -> Figure:
    """Test reconstruction MSE (log scale) against the size of the code, one line per method."""
    dims = [int(d) for d in latent_dims]
    if not curves or any(len(v) != len(dims) for v in curves.values()):
        raise ValueError(f"every curve needs one value per latent size ({len(dims)})")
    fig = Figure(figsize=(6.0, 3.8), layout="constrained")
    ax = fig.subplots()
    for (name, values), marker in zip(curves.items(), "osD^v"):
        ax.plot(dims, [float(v) for v in values], marker=marker, lw=1.6, label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.set_xlabel("size of the code (latent_dim = number of PCA components)")
    ax.set_ylabel("test reconstruction MSE")
    ax.set_title(title or "reconstruction error against code size", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


# ----------------------------------------------------------------------------- the latent space
def _scatter_codes(ax: Any, codes: np.ndarray, labels: np.ndarray, size: float = 9.0) -> None:
    for digit in range(10):
        pts = codes[labels == digit]
        if len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], s=size, color=_CLASS_COLORS[digit], label=str(digit), alpha=0.8,
                       linewidths=0)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")


def _codes_and_labels(codes: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    z, y = _np(codes).astype(float), _np(labels).astype(int).ravel()
    if z.ndim != 2 or z.shape[1] != 2 or len(z) != len(y) or len(z) == 0:
        raise ValueError(f"need codes (n, 2) and labels (n,), got {z.shape} and {y.shape}")
    return z, y


def _box(z: np.ndarray, margin: float = 0.1) -> tuple[float, float, float, float]:
    lo, hi = z.min(axis=0), z.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-6)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def decode_grid(decode: Decoder, box: tuple[float, float, float, float], n_grid: int = 12) -> np.ndarray:
    """Decode an ``n_grid`` x ``n_grid`` grid of codes over ``box`` = (x0, x1, y0, y1): one mosaic image.

    Row 0 of the mosaic is the top of the box (largest z2), so ``imshow(mosaic, extent=box)`` puts
    every decoded digit where its code lies.
    """
    x0, x1, y0, y1 = box
    gx, gy = np.linspace(x0, x1, n_grid), np.linspace(y1, y0, n_grid)
    z = np.array([[x, y] for y in gy for x in gx])
    tiles = _decode(decode, z).reshape(n_grid, n_grid, 8, 8)
    return tiles.transpose(0, 2, 1, 3).reshape(8 * n_grid, 8 * n_grid)


def plot_latent_space(codes: Any, labels: Any, decode: Decoder | None = None, n_grid: int = 12,
                      title: str = "") -> Figure:
    """Left: the 2-D codes coloured by class. Right (with ``decode``): what the decoder draws at each
    point of a grid over the same box, so that a region of the left panel is drawn at the same place."""
    z, y = _codes_and_labels(codes, labels)
    box = _box(z)
    fig = Figure(figsize=(11.0 if decode is not None else 5.6, 5.0), layout="constrained")
    axes = fig.subplots(1, 2 if decode is not None else 1, squeeze=False)[0]
    _scatter_codes(axes[0], z, y)
    axes[0].set_xlim(box[0], box[1])
    axes[0].set_ylim(box[2], box[3])
    axes[0].legend(title="digit", fontsize=7, title_fontsize=8, markerscale=2, loc="best", ncol=2)
    axes[0].set_title("codes of the test digits", fontsize=10)
    if decode is not None:
        mosaic = decode_grid(decode, box, n_grid)
        axes[1].imshow(mosaic, cmap="gray_r", vmin=0.0, vmax=1.0, extent=box, aspect="auto", interpolation="nearest")
        axes[1].set_xlabel("$z_1$")
        axes[1].set_ylabel("$z_2$")
        axes[1].set_title(f"decoder output on a {n_grid} x {n_grid} grid of codes", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


class BlitFigureWidget(FigureWidget):
    """A :class:`~dlcourse.widgets.FigureWidget` whose figure is rendered in full once.

    ``fig`` is drawn once without its ``artists`` (marked animated) and that picture is kept; a change
    of control calls ``update(**values)``, which moves the artists, and only they are drawn again on
    the kept picture, so a change costs a few artists and a PNG encoding instead of every tick label
    and legend entry. Errors are shown under the image, as in FigureWidget.
    """

    def __init__(self, update: Callable[..., Any], fig: Figure, artists: Sequence[Any], controls: Mapping[str, Any],
                 width: int = 640, height: int = 400, dpi: int = 72) -> None:
        self.fig, self.artists = fig, list(artists)
        for artist in self.artists:
            artist.set_animated(True)
        fig.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(fig)
        self._background: Any = None
        super().__init__(update, controls, width=width, height=height, dpi=dpi)

    def render(self) -> bytes:
        """PNG bytes of the figure as it is now (the kept background plus the artists)."""
        from PIL import Image

        if self._background is None:
            self.canvas.draw()  # everything but the animated artists
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.artists:
            self.fig.draw_artist(artist)
        out = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(out, format="png", compress_level=1)
        return out.getvalue()

    def redraw(self) -> None:
        """Update the artists for the current control values and show the new image (or the error)."""
        try:
            self.draw(**self.values())
            self.image.value = self.render()
        except Exception:  # shown to the learner, never swallowed
            self.last_error = traceback.format_exc()
            self.error.value = ("<pre style='color:#b00020;white-space:pre-wrap'>"
                                + self.last_error.replace("&", "&amp;").replace("<", "&lt;") + "</pre>")
            return
        self.draw_count += 1
        self.last_error = None
        self.error.value = ""


def latent_explorer(decode: Decoder, codes: Any, labels: Any, width: int = 700, height: int = 330,
                    dpi: int = 72) -> BlitFigureWidget:
    """Two sliders ``z1``, ``z2`` over the range of the codes; the decoded digit and a marker on the codes.

    ``decode`` maps a float32 CPU tensor of codes (n, 2) to n images of 64 pixels (wrap a model on a GPU
    as ``lambda z: model.decode(z.to(device))``). The title gives the nearest code's digit and its
    distance: far from every code, the decoder has never been trained and draws what it likes.
    The figure is built once; a change of slider decodes one code and moves two artists.
    """
    import ipywidgets as widgets

    z, y = _codes_and_labels(codes, labels)
    box = _box(z)
    spread = float(np.hypot(box[1] - box[0], box[3] - box[2]))
    fig = Figure(figsize=(width / dpi, (height - 10) / dpi))  # a fixed layout: constrained layout costs ~100 ms
    ax_z = fig.add_axes((0.07, 0.14, 0.5, 0.76))
    ax_img = fig.add_axes((0.64, 0.14, 0.33, 0.7))
    _scatter_codes(ax_z, z, y, size=6.0)
    ax_z.set_xlim(box[0], box[1])
    ax_z.set_ylim(box[2], box[3])
    ax_z.legend(fontsize=6, markerscale=2, loc="upper left", ncol=5, handletextpad=0.1, columnspacing=0.5)
    ax_z.set_title("codes of the test digits", fontsize=9)
    (marker,) = ax_z.plot([0.0], [0.0], marker="X", ms=13, color="k", mec="w", mew=1.5, zorder=5)
    image = ax_img.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    caption = ax_img.text(0.5, 1.04, "", transform=ax_img.transAxes, ha="center", va="bottom", fontsize=9)

    def slider(i: int, name: str) -> Any:
        lo, hi = box[2 * i], box[2 * i + 1]
        return widgets.FloatSlider(value=round(float(np.median(z[:, i])), 3), min=round(lo, 3), max=round(hi, 3),
                                   step=round((hi - lo) / 200, 4), description=name, readout_format=".2f",
                                   layout=widgets.Layout(width="420px"))

    def update(z1: float, z2: float) -> None:
        point = np.array([[z1, z2]])
        picture = _decode(decode, point)[0]
        image.set_data(picture)
        marker.set_data([z1], [z2])
        dist = np.hypot(z[:, 0] - z1, z[:, 1] - z2)
        near = int(np.argmin(dist))
        where = "among the codes" if dist[near] < 0.05 * spread else "in a hole: no code near"
        caption.set_text(f"decode({z1:.2f}, {z2:.2f})\nnearest code: a {y[near]} at {dist[near]:.2f}\n({where})")
        shown["image"], shown["nearest"] = picture, int(y[near])

    shown: dict[str, Any] = {}
    explorer = BlitFigureWidget(update, fig, [marker, image, caption], {"z1": slider(0, "z₁"), "z2": slider(1, "z₂")},
                                width=width, height=height, dpi=dpi)
    explorer.shown = shown  # the last decoded image (8, 8) and the nearest code's digit
    explorer.codes = z
    explorer.box = box
    return explorer


# ----------------------------------------------------------------------------- anomaly detection
def plot_anomaly_detection(scores: Any, is_anomaly: Any, auc: float | None = None,
                           names: tuple[str, str] = ("normal", "anomaly")) -> Figure:
    """Left: histograms of the anomaly scores of both groups (log scale). Right: the ROC curve.

    The curve's points come from ``sklearn.metrics.roc_curve``; ``auc`` (computed by the notebook)
    is written in the legend.
    """
    from sklearn.metrics import roc_curve

    s = _np(scores).astype(float).ravel()
    a = _np(is_anomaly).astype(bool).ravel()
    if len(s) != len(a) or a.all() or not a.any():
        raise ValueError("need one score per label, and both normal and anomalous examples")
    fig = Figure(figsize=(10.5, 3.8), layout="constrained")
    ax_h, ax_r = fig.subplots(1, 2)
    positive = s[s > 0]
    lo = positive.min() if len(positive) else 1e-6
    bins = np.geomspace(lo, max(s.max(), lo * 1.01), 40)
    ax_h.hist(np.clip(s[~a], lo, None), bins=bins, alpha=0.6, color="#1f77b4", density=True,
              label=f"{names[0]} ({int((~a).sum())})")
    ax_h.hist(np.clip(s[a], lo, None), bins=bins, alpha=0.6, color="#d62728", density=True,
              label=f"{names[1]} ({int(a.sum())})")
    ax_h.set_xscale("log")
    ax_h.xaxis.set_minor_formatter(NullFormatter())  # the decades only: minor labels overlap
    ax_h.set_xlabel("anomaly score: reconstruction MSE (log scale)")
    ax_h.set_ylabel("density")
    ax_h.set_title("score histograms", fontsize=10)
    ax_h.legend(fontsize=8)
    fpr, tpr, _ = roc_curve(a, s)
    ax_r.plot(fpr, tpr, lw=2, color="#d62728", label="ROC curve" + (f", AUC = {auc:.3f}" if auc is not None else ""))
    ax_r.plot([0, 1], [0, 1], ls="--", color="0.5", lw=1, label="chance, AUC = 0.5")
    ax_r.set_xlabel(f"false positive rate ({names[0]} flagged)")
    ax_r.set_ylabel(f"true positive rate ({names[1]} caught)")
    ax_r.set_xlim(0, 1)
    ax_r.set_ylim(0, 1.01)
    ax_r.set_aspect("equal")
    ax_r.set_title("ROC curve: every threshold at once", fontsize=10)
    ax_r.legend(fontsize=8, loc="lower right")
    ax_r.grid(alpha=0.3)
    return fig


def plot_auc_by_class(aucs: Sequence[float], title: str = "") -> Figure:
    """One bar per held-out digit: the AUC of an autoencoder trained on the nine other digits."""
    values = [float(v) for v in aucs]
    if len(values) != 10:
        raise ValueError(f"need one AUC per digit 0-9, got {len(values)}")
    fig = Figure(figsize=(6.5, 3.4), layout="constrained")
    ax = fig.subplots()
    bars = ax.bar(range(10), values, color=_CLASS_COLORS)
    for bar, v in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(0.5, ls="--", color="0.5", lw=1, label="chance")
    ax.set_xticks(range(10))
    ax.set_xlabel("held-out digit (the anomaly)")
    ax.set_ylabel("ROC AUC")
    ax.set_ylim(0.4, 1.06)
    ax.set_title(title or "how well each digit is detected when the model never saw it", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig
