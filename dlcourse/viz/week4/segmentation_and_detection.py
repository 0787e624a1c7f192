"""Figures, widget and data of the notebook "Week 4 · 5. Segmentation and detection: U-Net, IoU, NMS and anchors".

Nothing here is an exercise's solution. :func:`make_shape_scenes` generates the scenes of shapes
with their pixel masks and boxes; the plots draw what the notebook computed with the learner's
functions (predicted masks, anchors and their matches, detections, the boxes NMS kept); and
:func:`nms_explorer` takes the learner's ``nms`` as an argument and calls it on every change.

Box convention (as in the notebook): ``(x1, y1, x2, y2)`` in pixels, x to the right (columns), y
down (rows); pixel (row r, column c) covers the square [c, c + 1) × [r, r + 1), so a box that
holds columns 3 to 7 has x1 = 3, x2 = 8, and its width is x2 − x1. Images are drawn with
``extent=(0, W, H, 0)`` so that boxes and pixels line up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcourse.widgets import FigureWidget

#: Class names of the masks and labels: 0 is the background, 1-3 are the shapes.
SHAPE_CLASSES = ("background", "circle", "square", "triangle")
#: One colour per class (background dark), used by every figure of the notebook.
CLASS_COLORS = ("#1d1d2b", "#e4572e", "#29a3d6", "#f2c14e")
_CLASS_CMAP = ListedColormap(list(CLASS_COLORS))
_SLOTS = 2  # objects sit in a 2 x 2 layout of slots


class ShapeScenes(NamedTuple):
    """A batch of scenes (torch tensors); see :func:`make_shape_scenes` for the contract."""

    images: Any  # (n, 1, size, size) float32 in [0, 1]
    masks: Any  # (n, size, size) int64, 0 = background, 1-3 = SHAPE_CLASSES
    boxes: Any  # (n, 4, 4) float32 (x1, y1, x2, y2); zeros in empty slots
    labels: Any  # (n, 4) int64 class 1-3, -1 in empty slots

    def objects(self, i: int) -> tuple[Any, Any]:
        """The real objects of scene ``i``: boxes (k, 4) float32 and labels (k,) int64, empty slots dropped."""
        real = self.labels[i] >= 0
        return self.boxes[i][real], self.labels[i][real]


def make_shape_scenes(n: int, size: int = 32, seed: int = 0, p_object: float = 0.6, noise: float = 0.08) -> ShapeScenes:
    """``n`` grayscale scenes of circles, squares and triangles, with per-pixel masks and boxes.

    Each scene has 4 slots in a 2 × 2 layout; each slot holds an object with probability
    ``p_object`` (a scene with none gets one in a random slot), so 1 to 4 objects. An object has a
    class 1-3 (circle, square, triangle pointing up), a side drawn in [size/4, 7·size/16] (a square
    and the triangle's base and height are the side; a circle's diameter is the side), a centre at
    its slot's centre ± size/8 (so neighbours sometimes overlap) and a brightness in [0.55, 1].
    Objects are painted in slot order, the later one on top. A pixel belongs to a shape when its
    centre (c + 0.5, r + 0.5) lies inside it.

    Returns a :class:`ShapeScenes` of torch tensors:
    - ``images`` (n, 1, size, size) float32 in [0, 1]: a smooth background gradient in [0, 0.35],
      the objects' brightness, plus Gaussian noise of std ``noise``, clipped to [0, 1];
    - ``masks`` (n, size, size) int64: the class of the object on top at each pixel, 0 elsewhere;
    - ``boxes`` (n, 4, 4) float32: per slot, the tight box (x1, y1, x2, y2) of all the pixels of the
      object's own shape (the parts hidden by a later object included), zeros in an empty slot;
    - ``labels`` (n, 4) int64: per slot, the class 1-3, or -1 for an empty slot.
    Same arguments, same scenes (a private ``torch.Generator``).
    """
    import torch

    if n < 0 or size < 16:
        raise ValueError(f"need n >= 0 and size >= 16, got n={n}, size={size}")
    gen = torch.Generator().manual_seed(seed)
    k = _SLOTS * _SLOTS
    present = torch.rand(n, k, generator=gen) < p_object
    forced = torch.randint(0, k, (n,), generator=gen)
    present |= ~present.any(dim=1, keepdim=True) & (torch.arange(k) == forced[:, None])
    cls = torch.randint(1, 4, (n, k), generator=gen)
    side = size * (0.25 + 0.1875 * torch.rand(n, k, generator=gen))
    slot = torch.arange(k)
    cell = size / _SLOTS
    cx = (slot % _SLOTS + 0.5) * cell + size / 8 * (2 * torch.rand(n, k, generator=gen) - 1)
    cy = (slot // _SLOTS + 0.5) * cell + size / 8 * (2 * torch.rand(n, k, generator=gen) - 1)
    brightness = 0.55 + 0.45 * torch.rand(n, k, generator=gen)
    centres = torch.arange(size, dtype=torch.float32) + 0.5
    dx = centres[None, None, None, :] - cx[..., None, None]  # (n, k, 1, size)
    dy = centres[None, None, :, None] - cy[..., None, None]  # (n, k, size, 1)
    half = side[..., None, None] / 2
    inside_y = dy.abs() <= half
    circle = dx**2 + dy**2 <= half**2
    square = (dx.abs() <= half) & inside_y
    triangle = inside_y & (dx.abs() <= (dy + half) / 2)  # half-width grows from 0 (apex) to half (base)
    c = cls[..., None, None]
    shapes = torch.where(c == 1, circle, torch.where(c == 2, square, triangle)) & present[..., None, None]
    # the object on top at each pixel: the highest slot that covers it (0 = none)
    top = (shapes * torch.arange(1, k + 1)[None, :, None, None]).amax(dim=1)
    on_top = (top - 1).clamp(min=0).reshape(n, size * size)
    masks = torch.where(top > 0, torch.gather(cls, 1, on_top).reshape(n, size, size), 0)
    level = torch.gather(brightness, 1, on_top).reshape(n, size, size)
    a = torch.rand(n, 3, generator=gen)
    u = centres / size
    background = (0.3 * a[:, :1, None] + 0.3 * (a[:, 1:2, None] - 0.5) * u[None, None, :]
                  + 0.3 * (a[:, 2:3, None] - 0.5) * u[None, :, None]).clamp(0.0, 0.35)
    images = torch.where(top > 0, level, background) + noise * torch.randn(n, size, size, generator=gen)
    images = images.clamp(0.0, 1.0)[:, None]
    cols, rows = shapes.any(dim=2), shapes.any(dim=3)  # (n, k, size): columns / rows the shape covers
    pos = torch.arange(size)
    x1 = torch.where(cols, pos, size).amin(dim=-1)
    x2 = torch.where(cols, pos + 1, 0).amax(dim=-1)
    y1 = torch.where(rows, pos, size).amin(dim=-1)
    y2 = torch.where(rows, pos + 1, 0).amax(dim=-1)
    boxes = torch.where(present[..., None], torch.stack([x1, y1, x2, y2], dim=-1), 0).float()
    return ShapeScenes(images.float(), masks, boxes, torch.where(present, cls, -1))


# ----------------------------------------------------------------------------- helpers
def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _image(ax: Any, image: Any, cmap: str = "gray") -> Any:
    img = _np(image).astype(float)
    if img.ndim == 3:
        img = img[0]
    h, w = img.shape
    art = ax.imshow(img, cmap=cmap, vmin=0.0, vmax=1.0, extent=(0, w, h, 0), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return art


def _mask(ax: Any, mask: Any) -> Any:
    m = _np(mask)
    h, w = m.shape
    art = ax.imshow(m, cmap=_CLASS_CMAP, vmin=-0.5, vmax=len(SHAPE_CLASSES) - 0.5, extent=(0, w, h, 0),
                    interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return art


def _box(ax: Any, box: Sequence[float], color: str, lw: float = 1.5, ls: str = "-", alpha: float = 1.0) -> Rectangle:
    x1, y1, x2, y2 = (float(v) for v in box)
    patch = Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=color, lw=lw, ls=ls, alpha=alpha)
    ax.add_patch(patch)
    return patch


def _boxes(value: Any, name: str) -> np.ndarray:
    b = _np(value).astype(float)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (k, 4), got {b.shape}")
    return b


# ----------------------------------------------------------------------------- scenes
def plot_scenes(scenes: ShapeScenes, n: int = 6, title: str = "") -> Figure:
    """The first ``n`` scenes: the image with its boxes (top row) and the class mask (bottom row)."""
    n = min(n, len(scenes.images))
    if n == 0:
        raise ValueError("no scenes to show")
    fig = Figure(figsize=(1.9 * n, 4.1), layout="constrained")
    axes = np.atleast_2d(fig.subplots(2, n, squeeze=False))
    for i in range(n):
        _image(axes[0, i], scenes.images[i])
        boxes, labels = scenes.objects(i)
        for box, label in zip(_np(boxes), _np(labels)):
            _box(axes[0, i], box, CLASS_COLORS[int(label)], lw=1.3)
        axes[0, i].set_title(f"{len(labels)} object{'s' if len(labels) != 1 else ''}", fontsize=9)
        _mask(axes[1, i], scenes.masks[i])
    axes[0, 0].set_ylabel("image + boxes", fontsize=9)
    axes[1, 0].set_ylabel("class mask", fontsize=9)
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in CLASS_COLORS]
    fig.legend(handles, SHAPE_CLASSES, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# ----------------------------------------------------------------------------- upsampling
def plot_upsampling_overlap(outputs: Mapping[str, Any], title: str = "") -> Figure:
    """Heatmaps of 2-D outputs (one per entry), e.g. transposed convolutions of a constant image.

    Equal colours mean equal values; each panel's title gives the values it holds, so that a
    checkerboard (several distinct values in the interior) is visible at a glance.
    """
    if not outputs:
        raise ValueError("outputs is empty")
    arrays = {k: _np(v).astype(float).squeeze() for k, v in outputs.items()}
    if any(a.ndim != 2 for a in arrays.values()):
        raise ValueError("every output must be a 2-D array (after dropping axes of size 1)")
    fig = Figure(figsize=(3.0 * len(arrays), 3.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(arrays)))
    for ax, (name, a) in zip(axes, arrays.items()):
        image = ax.imshow(a, cmap="magma", interpolation="nearest")
        values = np.unique(np.round(a, 6))
        shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
        ax.set_title(f"{name}\n{a.shape[0]}×{a.shape[1]}, values {shown}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, shrink=0.7)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# ----------------------------------------------------------------------------- segmentation
def plot_overlap(pred: Any, target: Any, iou: float, dice: float, title: str = "") -> Figure:
    """Two binary masks and their overlap, with their IoU and Dice (computed by the notebook).

    Left: the overlap map (green = both, red = predicted only, blue = true only) and the pixel
    counts of the three. Right: Dice against IoU, ``Dice = 2 IoU / (1 + IoU)``, with the given
    pair (iou, dice) marked: a right pair lies on the curve.
    """
    p, t = _np(pred).astype(bool), _np(target).astype(bool)
    if p.shape != t.shape or p.ndim != 2:
        raise ValueError(f"pred and target must be 2-D masks of the same shape, got {p.shape} and {t.shape}")
    tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
    rgb = np.ones((*p.shape, 3)) * 0.12
    rgb[p & t] = (0.30, 0.75, 0.35)
    rgb[p & ~t] = (0.90, 0.30, 0.25)
    rgb[~p & t] = (0.25, 0.50, 0.95)
    fig = Figure(figsize=(8.4, 3.6), layout="constrained")
    ax_m, ax_c = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
    h, w = p.shape
    ax_m.imshow(rgb, extent=(0, w, h, 0), interpolation="nearest")
    ax_m.set_xticks([])
    ax_m.set_yticks([])
    ax_m.set_title(f"TP {tp} (green), FP {fp} (red), FN {fn} (blue)\nIoU {iou:.3f}, Dice {dice:.3f}", fontsize=9)
    x = np.linspace(0, 1, 101)
    ax_c.plot(x, x, color="0.6", ls=":", label="Dice = IoU")
    ax_c.plot(x, 2 * x / (1 + x), lw=2, label="Dice = 2 IoU / (1 + IoU)")
    ax_c.plot([iou], [dice], "o", color="#e4572e", label=f"this pair ({iou:.2f}, {dice:.2f})")
    ax_c.set(xlabel="IoU", ylabel="Dice", xlim=(0, 1), ylim=(0, 1.02))
    ax_c.legend(fontsize=8, loc="lower right")
    ax_c.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_segmentations(images: Any, masks: Any, predictions: Mapping[str, Any], n: int = 4, title: str = "") -> Figure:
    """Rows of scenes: the image, the true mask, then each model's predicted mask.

    ``predictions`` maps a model's name to its predicted masks (B, H, W) of the first scenes. Wrong
    pixels are marked by a white dot, and each panel's title counts them.
    """
    if not predictions:
        raise ValueError("predictions is empty")
    imgs, truth = _np(images), _np(masks)
    preds = {k: _np(v) for k, v in predictions.items()}
    for name, p in preds.items():
        if p.ndim != 3 or p.shape[1:] != truth.shape[1:]:
            raise ValueError(f"predictions[{name!r}] has shape {p.shape}, the masks {truth.shape}")
    n = min(n, len(truth), *(len(p) for p in preds.values()))
    cols = 2 + len(preds)
    fig = Figure(figsize=(2.0 * cols, 2.05 * n + 0.5), layout="constrained")
    axes = np.atleast_2d(fig.subplots(n, cols, squeeze=False))
    for i in range(n):
        _image(axes[i, 0], imgs[i])
        _mask(axes[i, 1], truth[i])
        for j, (name, p) in enumerate(preds.items()):
            ax = axes[i, 2 + j]
            _mask(ax, p[i])
            rows, colz = np.nonzero(p[i] != truth[i])
            ax.plot(colz + 0.5, rows + 0.5, ".", color="white", ms=2.5)
            ax.set_title(f"{name}: {len(rows)} wrong" if i == 0 else f"{len(rows)} wrong", fontsize=9)
    axes[0, 0].set_title("image", fontsize=9)
    axes[0, 1].set_title("true mask", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# ----------------------------------------------------------------------------- boxes and anchors
def plot_box_pairs(pairs: Sequence[tuple[Any, Any, str]], size: float = 10.0, title: str = "") -> Figure:
    """Small panels, each with two boxes (blue and orange) and a caption, e.g. their IoU."""
    if not pairs:
        raise ValueError("pairs is empty")
    fig = Figure(figsize=(2.3 * len(pairs), 2.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(pairs)))
    for ax, (a, b, caption) in zip(axes, pairs):
        _box(ax, _np(a).astype(float), "#29a3d6", lw=2)
        _box(ax, _np(b).astype(float), "#e4572e", lw=2, ls="--")
        ax.set_xlim(0, size)
        ax.set_ylim(size, 0)
        ax.set_aspect("equal")
        ax.set_xticks(range(0, int(size) + 1, 2))
        ax.set_yticks(range(0, int(size) + 1, 2))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.set_title(caption, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_anchors(image: Any, anchors: Any, match: Any, gt_boxes: Any, stride: int, anchors_per_cell: int,
                 cell: tuple[int, int] = (0, 0), title: str = "") -> Figure:
    """Anchors on a scene. Left: the grid of cell centres and the anchors of one ``cell`` (row, col).
    Right: the ground-truth boxes (white) and the anchors that ``match`` labels positive (in the
    colour of their box) or ignored (grey, dashed); negatives are not drawn.

    ``anchors`` (A, 4) in the order of ``make_anchors`` (cell by cell, row-major, then
    ``anchors_per_cell`` per cell); ``match`` (A,) with the index of the matched box, -1 or -2.
    """
    a, m = _boxes(anchors, "anchors"), _np(match).astype(int)
    gt = _boxes(gt_boxes, "gt_boxes") if len(_np(gt_boxes)) else np.zeros((0, 4))
    if m.shape != (len(a),) or len(a) % anchors_per_cell:
        raise ValueError(f"match must have shape ({len(a)},) and anchors a multiple of {anchors_per_cell} rows")
    img = _np(image)
    h, w = img.shape[-2:]
    grid_w = w // stride
    fig = Figure(figsize=(7.6, 3.9), layout="constrained")
    ax_l, ax_r = fig.subplots(1, 2)
    palette = ("#e4572e", "#29a3d6", "#f2c14e", "#7bd389", "#c77dff", "#ff9f1c")
    for ax in (ax_l, ax_r):
        _image(ax, img)
        ax.set_xlim(-0.05 * w, 1.05 * w)
        ax.set_ylim(1.05 * h, -0.05 * h)
    centres = (a[:, :2] + a[:, 2:]) / 2
    ax_l.plot(centres[::anchors_per_cell, 0], centres[::anchors_per_cell, 1], ".", color="#7bd389", ms=3)
    first = (cell[0] * grid_w + cell[1]) * anchors_per_cell
    for j, box in enumerate(a[first:first + anchors_per_cell]):
        _box(ax_l, box, palette[j % len(palette)], lw=1.4)
    ax_l.set_title(f"cell centres (stride {stride}); the {anchors_per_cell} anchors of cell {tuple(cell)}", fontsize=9)
    for box in gt:
        _box(ax_r, box, "white", lw=2.0)
    for i in np.nonzero(m == -2)[0]:
        _box(ax_r, a[i], "0.6", lw=0.8, ls="--")
    for i in np.nonzero(m >= 0)[0]:
        _box(ax_r, a[i], palette[m[i] % len(palette)], lw=1.3)
    ax_r.set_title(f"{int((m >= 0).sum())} positive, {int((m == -2).sum())} ignored, "
                   f"{int((m == -1).sum())} negative anchors", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_detections(images: Any, detections: Sequence[tuple[Any, Any, Any]], scenes_boxes: Sequence[tuple[Any, Any]],
                    n: int = 8, title: str = "") -> Figure:
    """Scenes with their detections (class colour, score) and the true boxes (white, dashed).

    ``detections[i]`` = (boxes (k, 4), scores (k,), labels (k,)) of scene i; ``scenes_boxes[i]`` =
    (true boxes (g, 4), true labels (g,)).
    """
    imgs = _np(images)
    n = min(n, len(detections), len(imgs))
    if n == 0:
        raise ValueError("no scenes to show")
    ncols = min(n, 4)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(2.5 * ncols, 2.6 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax in axes[n:]:
        ax.axis("off")
    for i in range(n):
        ax = axes[i]
        _image(ax, imgs[i])
        boxes, scores, labels = (_np(v) for v in detections[i])
        gt, gt_labels = (_np(v) for v in scenes_boxes[i])
        for box in gt:
            _box(ax, box, "white", lw=1.0, ls="--")
        for box, s, lab in zip(boxes.reshape(-1, 4), scores.reshape(-1), labels.reshape(-1)):
            _box(ax, box, CLASS_COLORS[int(lab)], lw=1.6)
            ax.text(float(box[0]), float(box[1]) - 0.4, f"{s:.2f}", color=CLASS_COLORS[int(lab)], fontsize=7,
                    va="bottom")
        ax.set_title(f"{len(scores.reshape(-1))} detections, {len(gt)} objects", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# ----------------------------------------------------------------------------- NMS
def _kept_indices(nms_fn: Callable[..., Any], boxes: Any, scores: Any, iou_threshold: float) -> np.ndarray:
    kept = _np(nms_fn(boxes, scores, float(iou_threshold))).astype(int).reshape(-1)
    if kept.size and (kept.min() < 0 or kept.max() >= len(scores)):
        raise ValueError(f"nms_fn returned indices outside 0..{len(scores) - 1}: {kept.tolist()}")
    return kept


def plot_nms_stages(image: Any, boxes: Any, scores: Any, gt_boxes: Any, stages: Sequence[tuple[str, Any, Any]],
                    title: str = "") -> Figure:
    """One panel per stage of a scene's detection: ``stages`` = [(caption, kept, candidates), ...].

    ``kept`` are the indices (into ``boxes``) drawn as kept (green); ``candidates`` the indices of
    the boxes that went into an NMS stage, of which those not kept are drawn as suppressed (red,
    dashed), or ``None`` for a stage that only selects (nothing drawn as suppressed). The true boxes
    are white and dashed; the caption gets the counts.
    """
    b, s = _boxes(boxes, "boxes"), _np(scores).astype(float).reshape(-1)
    gt = _boxes(gt_boxes, "gt_boxes") if len(_np(gt_boxes)) else np.zeros((0, 4))
    if len(s) != len(b) or not stages:
        raise ValueError("need one score per box and at least one stage")
    fig = Figure(figsize=(2.6 * len(stages), 2.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(stages)))
    for ax, (caption, kept, candidates) in zip(axes, stages):
        _image(ax, image)
        kept_idx = _np(kept).astype(int).reshape(-1)
        pool = kept_idx if candidates is None else _np(candidates).astype(int).reshape(-1)
        for i in np.setdiff1d(pool, kept_idx):
            _box(ax, b[i], "#e4572e", lw=0.7, ls="--", alpha=0.8)
        for box in gt:
            _box(ax, box, "white", lw=1.0, ls="--")
        for i in kept_idx:
            _box(ax, b[i], "#7bd389", lw=1.5)
        counts = (f"{len(kept_idx)} boxes" if candidates is None
                  else f"{len(kept_idx)} kept, {len(np.setdiff1d(pool, kept_idx))} suppressed")
        ax.set_title(f"{caption}\n{counts}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def nms_explorer(
    images: Any,
    raw: Sequence[tuple[Any, Any]],
    gt_boxes: Sequence[Any],
    nms_fn: Callable[..., Any],
    max_boxes: int = 40,
    width: int = 470,
    height: int = 520,
) -> FigureWidget:
    """Score threshold, IoU threshold and scene: which raw boxes NMS keeps and which it suppresses.

    ``raw[i]`` = (boxes (k, 4), scores (k,)) of scene ``i``: a detector's boxes before any
    threshold (the ``max_boxes`` best are kept for the widget); ``gt_boxes[i]`` (g, 4) its true
    boxes. On every change the boxes with score ≥ the score threshold go through
    ``nms_fn(boxes, scores, iou_threshold)`` (the notebook's ``nms``: torch tensors in, indices of
    the kept boxes out). Kept boxes are green with their score, suppressed ones red and dashed,
    true boxes white and dashed; the title counts them. The figure is built once; a change only
    updates its artists.
    """
    import ipywidgets as widgets
    import torch

    imgs = _np(images)
    if len(raw) != len(imgs) or len(gt_boxes) != len(imgs) or len(imgs) == 0:
        raise ValueError("need one (boxes, scores) pair and one set of true boxes per image")
    scenes = []
    for boxes, scores in raw:
        b, s = _boxes(boxes, "raw boxes"), _np(scores).astype(float).reshape(-1)
        if len(b) != len(s):
            raise ValueError(f"{len(b)} boxes but {len(s)} scores")
        order = np.argsort(-s, kind="stable")[:max_boxes]
        scenes.append((b[order], s[order]))
    gts = [_boxes(g, "gt_boxes") if len(_np(g)) else np.zeros((0, 4)) for g in gt_boxes]
    h, w = imgs.shape[-2:]

    style = {"description_width": "110px"}
    controls = {
        "scene": widgets.Dropdown(options=[(f"scene {i}", i) for i in range(len(imgs))], value=0,
                                  description="scene", style=style, layout=widgets.Layout(width="260px")),
        "score_threshold": widgets.FloatSlider(value=0.5, min=0.05, max=0.95, step=0.05, description="score ≥",
                                               style=style, continuous_update=True, readout_format=".2f",
                                               layout=widgets.Layout(width="420px")),
        "iou_threshold": widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05,
                                             description="suppress IoU >", style=style, continuous_update=True,
                                             readout_format=".2f", layout=widgets.Layout(width="420px")),
    }
    fig = Figure(figsize=(width / 90, (height - 10) / 90))  # a fixed layout: constrained layout costs 100+ ms
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.03, top=0.88)
    ax = fig.subplots()
    image = _image(ax, imgs[0])
    ax.set_xlim(-0.5, w + 0.5)
    ax.set_ylim(h + 0.5, -2.0)  # room for the scores of boxes at the top
    pool = [_box(ax, (0, 0, 1, 1), "#7bd389") for _ in range(max_boxes)]
    texts = [ax.text(0, 0, "", color="#7bd389", fontsize=8, va="bottom") for _ in range(max_boxes)]
    n_gt = max((len(g) for g in gts), default=0)
    gt_pool = [_box(ax, (0, 0, 1, 1), "white", lw=1.1, ls="--") for _ in range(n_gt)]

    def place(patch: Rectangle, box: np.ndarray) -> None:
        patch.set_xy((box[0], box[1]))
        patch.set_width(box[2] - box[0])
        patch.set_height(box[3] - box[1])
        patch.set_visible(True)

    def draw(scene: int, score_threshold: float, iou_threshold: float) -> Figure:
        boxes, scores = scenes[scene]
        image.set_data(imgs[scene][0] if imgs[scene].ndim == 3 else imgs[scene])
        above = np.nonzero(scores >= score_threshold - 1e-9)[0]
        kept_local = (_kept_indices(nms_fn, torch.as_tensor(boxes[above], dtype=torch.float32),
                                    torch.as_tensor(scores[above], dtype=torch.float32), iou_threshold)
                      if len(above) else np.zeros(0, dtype=int))
        kept = set(above[kept_local].tolist())
        for i, (patch, text) in enumerate(zip(pool, texts)):
            if i >= len(boxes) or i not in set(above.tolist()):
                patch.set_visible(False)
                text.set_visible(False)
                continue
            place(patch, boxes[i])
            if i in kept:
                patch.set(edgecolor="#7bd389", linestyle="-", linewidth=1.8, alpha=1.0, zorder=3)
                text.set(position=(boxes[i][0], boxes[i][1] - 0.3), text=f"{scores[i]:.2f}", visible=True)
            else:
                patch.set(edgecolor="#e4572e", linestyle="--", linewidth=0.8, alpha=0.7, zorder=2)
                text.set_visible(False)
        for j, patch in enumerate(gt_pool):
            if j < len(gts[scene]):
                place(patch, gts[scene][j])
            else:
                patch.set_visible(False)
        ax.set_title(f"score ≥ {score_threshold:.2f}: {len(above)} boxes → NMS (IoU > {iou_threshold:.2f} suppressed)\n"
                     f"kept {len(kept)} (green), suppressed {len(above) - len(kept)} (red), "
                     f"{len(gts[scene])} true objects (white)", fontsize=9)
        return fig

    explorer = FigureWidget(draw, controls, width=width, height=height)
    explorer.scenes = scenes
    return explorer
