"""Figures of the notebook "Week 5 · 3. DCGAN on handwritten digits".

Nothing here is an exercise's solution. The plots draw what the notebook computed with the
learner's functions: generated digits (pixels in [0, 1]), losses recorded during training, the
judge's class histograms, Fréchet distances, latent interpolations and nearest training digits.
:func:`plot_transposed_conv` runs ``F.conv_transpose2d`` with a kernel of ones to show which output
pixels an input pixel reaches; it is an illustration, not the generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

_REAL, _FAKE, _BAR = "#2e5fa3", "#c0392b", "#1f7a3a"


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def _as_digits(images: Any) -> np.ndarray:
    """(N, 1, 8, 8), (N, 8, 8) or (N, 64) pixels -> (N, 8, 8) floats; raises on anything else."""
    x = _np(images)
    if x.ndim == 4 and x.shape[1:] == (1, 8, 8):
        return x[:, 0]
    if x.ndim == 3 and x.shape[1:] == (8, 8):
        return x
    if x.ndim == 2 and x.shape[1] == 64:
        return x.reshape(-1, 8, 8)
    raise ValueError(f"expected 8x8 digits as (N, 1, 8, 8), (N, 8, 8) or (N, 64), got shape {x.shape}")


def _digit(ax: Any, image: np.ndarray, title: str = "", color: str = "black") -> None:
    ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=8, color=color)


# ----------------------------------------------------------------------------- transposed convolution
def plot_transposed_conv(in_size: int = 4) -> Figure:
    """What ``nn.ConvTranspose2d(kernel_size=4, stride=2, padding=1)`` does to the size and to the coverage.

    Left: one lit pixel of an ``in_size`` x ``in_size`` input. Middle: the 4x4 patch of the
    ``2 in_size`` x ``2 in_size`` output it writes into (kernel of ones). Right two panels: how many input
    pixels write into each output pixel, for kernel 4 (even: the same count inside the image) and for
    kernel 3 with ``output_padding=1`` (uneven: a checkerboard of 1, 2 and 4).
    """
    if in_size < 3:
        raise ValueError(f"in_size must be at least 3, got {in_size}")
    one = torch.zeros(1, 1, in_size, in_size)
    r = in_size // 2 - 1
    one[0, 0, r, r] = 1.0
    footprint = F.conv_transpose2d(one, torch.ones(1, 1, 4, 4), stride=2, padding=1)[0, 0]
    ones = torch.ones(1, 1, in_size, in_size)
    even = F.conv_transpose2d(ones, torch.ones(1, 1, 4, 4), stride=2, padding=1)[0, 0]
    uneven = F.conv_transpose2d(ones, torch.ones(1, 1, 3, 3), stride=2, padding=1, output_padding=1)[0, 0]
    panels = [
        (one[0, 0], f"input {in_size}x{in_size}: one pixel", "gray_r", 1.0),
        (footprint, f"output {2 * in_size}x{2 * in_size}: its 4x4 footprint", "gray_r", 1.0),
        (even, "coverage, kernel 4 stride 2: even", "viridis", 4.0),
        (uneven, "coverage, kernel 3 stride 2: checkerboard", "viridis", 4.0),
    ]
    fig = Figure(figsize=(12.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, (m, title, cmap, vmax) in zip(axes, panels):
        m = _np(m)
        ax.imshow(m, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
        if cmap == "viridis":
            for (i, j), v in np.ndenumerate(m):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7, color="w" if v < 2.5 else "k")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.suptitle("ConvTranspose2d(kernel 4, stride 2, padding 1) doubles the size: out = (in - 1) * 2 - 2 + 4",
                 fontsize=10)
    return fig


# ----------------------------------------------------------------------------- digit grids
def plot_digit_grid(images: Any, titles: Sequence[str] | None = None, ncols: int = 10, title: str = "",
                    max_images: int = 100) -> Figure:
    """A grid of 8x8 digits with pixels in [0, 1] (convert a tanh generator's output with ``(x + 1) / 2``)."""
    digits = _as_digits(images)[:max_images]
    n = len(digits)
    if n == 0:
        raise ValueError("no images to show")
    if titles is not None and len(titles) < n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(0.75 * ncols + 0.2, 0.8 * nrows + (0.35 if title else 0.1)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            ax.axis("off")
            continue
        _digit(ax, digits[i], titles[i] if titles is not None else "")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_samples_over_training(snapshots: Mapping[int, Any], n_show: int = 10) -> Figure:
    """One row per recorded step: the samples of the same fixed latent vectors, pixels in [0, 1]."""
    if not snapshots:
        raise ValueError("no snapshots to show")
    steps = sorted(snapshots)
    rows = [_as_digits(snapshots[s])[:n_show] for s in steps]
    ncols = max(len(r) for r in rows)
    fig = Figure(figsize=(0.7 * ncols + 1.0, 0.75 * len(rows) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), ncols))
    for i, (step, row) in enumerate(zip(steps, rows)):
        for j in range(ncols):
            ax = axes[i, j]
            if j >= len(row):
                ax.axis("off")
                continue
            _digit(ax, row[j])
            if j == 0:
                ax.set_ylabel(f"step {step}", fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle("the same latent vectors z, decoded by the generator during training", fontsize=10)
    return fig


def plot_interpolation(rows: Any, left: Sequence[str] | None = None, right: Sequence[str] | None = None) -> Figure:
    """Latent walks: ``rows`` is ``(R, K, 1, 8, 8)`` (or ``(R, K, 8, 8)``), pixels in [0, 1]; row r goes from
    G(z_a) to G(z_b) in K steps. ``left`` / ``right`` label the two ends (e.g. the judge's classes)."""
    x = _np(rows)
    if x.ndim == 5 and x.shape[2] == 1:
        x = x[:, :, 0]
    if x.ndim != 4 or x.shape[2:] != (8, 8):
        raise ValueError(f"rows must have shape (R, K, 1, 8, 8) or (R, K, 8, 8), got {x.shape}")
    n_rows, k = x.shape[:2]
    fig = Figure(figsize=(0.7 * k + 0.6, 0.8 * n_rows + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(n_rows, k))
    for i in range(n_rows):
        for j in range(k):
            title = ""
            if j == 0 and left is not None:
                title = str(left[i])
            elif j == k - 1 and right is not None:
                title = str(right[i])
            _digit(axes[i, j], x[i, j], title)
    fig.suptitle("G((1 - t) z_a + t z_b) for t = 0 ... 1 (the ends titled by the judge's class)", fontsize=10)
    return fig


def plot_nearest_neighbours(samples: Any, neighbours: Any, distances: Sequence[float] | np.ndarray) -> Figure:
    """Top row: generated digits; bottom row: the closest training digit of each (pixels in [0, 1]),
    titled with the Euclidean distance between the two 64-pixel images."""
    s, nb = _as_digits(samples), _as_digits(neighbours)
    d = _np(distances).ravel()
    if not (len(s) == len(nb) == len(d)) or len(s) == 0:
        raise ValueError(f"need as many neighbours and distances as samples, got {len(s)}, {len(nb)}, {len(d)}")
    n = len(s)
    fig = Figure(figsize=(0.8 * n + 0.8, 2.1), layout="constrained")
    axes = np.atleast_2d(fig.subplots(2, n))
    if n == 1:
        axes = axes.reshape(2, 1)
    for j in range(n):
        _digit(axes[0, j], s[j], "sample" if j == 0 else "")
        _digit(axes[1, j], nb[j], f"d = {d[j]:.2f}")
    fig.suptitle("generated digits (top) and the nearest of the 1,347 training digits (bottom)", fontsize=10)
    return fig


# ----------------------------------------------------------------------------- numbers
def plot_gan_losses(history: Mapping[str, Sequence[float]], window: int = 25) -> Figure:
    """The discriminator's and the generator's loss per step (light) and their moving averages.

    Dashed lines: the values at the game's equilibrium, where D outputs 1/2 everywhere:
    ``2 ln 2`` for the discriminator's loss (real and fake terms), ``ln 2`` for the generator's.
    """
    if "d_loss" not in history or "g_loss" not in history:
        raise ValueError(f"history needs 'd_loss' and 'g_loss', got {sorted(history)}")
    fig = Figure(figsize=(7.5, 3.4), layout="constrained")
    ax = fig.subplots()
    for key, color, ref, name in [("d_loss", _REAL, 2 * math.log(2), "discriminator"),
                                  ("g_loss", _FAKE, math.log(2), "generator")]:
        v = _np(history[key]).ravel()
        if v.size == 0:
            raise ValueError(f"history[{key!r}] is empty")
        steps = np.arange(1, v.size + 1)
        ax.plot(steps, v, color=color, alpha=0.25, lw=0.8)
        w = max(1, min(window, v.size))
        smooth = np.convolve(v, np.ones(w) / w, mode="valid")
        ax.plot(steps[w - 1:], smooth, color=color, lw=1.8, label=f"{name} (mean of {w} steps)")
        ax.axhline(ref, color=color, ls="--", lw=1, label=f"{name} at equilibrium ({ref:.2f})")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    ax.set_title("GAN losses: neither goes to 0, they trade", fontsize=10)
    return fig


def plot_class_histogram(sample_classes: Any, real_classes: Any, title: str = "") -> Figure:
    """Fraction of each class 0-9 among generated digits (as the judge reads them) and among real ones."""
    s = np.asarray(_np(sample_classes), dtype=np.int64).ravel()
    r = np.asarray(_np(real_classes), dtype=np.int64).ravel()
    if s.size == 0 or r.size == 0:
        raise ValueError("need at least one sample and one real class")
    if s.min() < 0 or s.max() > 9 or r.min() < 0 or r.max() > 9:
        raise ValueError("classes must be integers 0..9")
    fs = np.bincount(s, minlength=10) / s.size
    fr = np.bincount(r, minlength=10) / r.size
    fig = Figure(figsize=(7.0, 3.0), layout="constrained")
    ax = fig.subplots()
    k = np.arange(10)
    ax.bar(k - 0.2, fs, width=0.4, color=_FAKE, label=f"generated ({s.size})")
    ax.bar(k + 0.2, fr, width=0.4, color=_REAL, label=f"real test digits ({r.size})")
    ax.axhline(0.1, color="gray", ls=":", lw=1, label="uniform (1/10)")
    ax.set_xticks(k)
    ax.set_xlabel("class the judge predicts")
    ax.set_ylabel("fraction")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title or "which digits does the generator make?", fontsize=10)
    return fig


def plot_fd_reference(values: Mapping[str, float], bar: float | None = None) -> Figure:
    """Fréchet distances in the judge's feature space as horizontal bars (log scale), with the graded bar."""
    if not values:
        raise ValueError("no values to show")
    names = list(values)
    v = np.array([float(values[n]) for n in names])
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"Fréchet distances must be positive and finite, got {v.tolist()}")
    fig = Figure(figsize=(7.0, 0.5 * len(names) + 1.0), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    ax.barh(y, v, color=_REAL)
    for yi, vi in zip(y, v):
        ax.text(vi * 1.08, yi, f"{vi:.2f}", va="center", fontsize=8)
    if bar is not None:
        ax.axvline(bar, color=_BAR, ls="--", lw=1.5, label=f"bar of the graded test: {bar:g}")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xscale("log")
    ax.set_xlim(min(v.min(), bar or v.min()) / 2, max(v.max(), bar or v.max()) * 3)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlabel("Fréchet distance to the real test digits (judge features; lower is better)")
    ax.grid(alpha=0.3, axis="x")
    return fig
