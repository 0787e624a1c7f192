"""Headless tests of dlcourse.viz.week4.segmentation_and_detection (week 4, notebook 5): the scenes of
shapes, the figures and the NMS explorer."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week4 import segmentation_and_detection as vs
from dlcourse.widgets import figure_to_png


@pytest.fixture(scope="module")
def scenes() -> vs.ShapeScenes:
    return vs.make_shape_scenes(300, seed=3)


# ----------------------------------------------------------------------------- data
def test_scenes_have_the_documented_shapes_dtypes_and_ranges(scenes: vs.ShapeScenes) -> None:
    assert scenes.images.shape == (300, 1, 32, 32) and scenes.images.dtype == torch.float32
    assert scenes.masks.shape == (300, 32, 32) and scenes.masks.dtype == torch.int64
    assert scenes.boxes.shape == (300, 4, 4) and scenes.boxes.dtype == torch.float32
    assert scenes.labels.shape == (300, 4) and scenes.labels.dtype == torch.int64
    assert float(scenes.images.min()) >= 0.0 and float(scenes.images.max()) <= 1.0
    assert set(scenes.masks.unique().tolist()) == {0, 1, 2, 3}
    assert set(scenes.labels.unique().tolist()) == {-1, 1, 2, 3}
    counts = (scenes.labels >= 0).sum(dim=1)
    assert int(counts.min()) >= 1 and int(counts.max()) == 4 and set(counts.tolist()) == {1, 2, 3, 4}
    empty = scenes.labels < 0
    assert bool((scenes.boxes[empty] == 0).all())
    real = scenes.boxes[~empty]
    assert bool((real[:, 2] > real[:, 0]).all() and (real[:, 3] > real[:, 1]).all())
    assert float(real.min()) >= 0 and float(real.max()) <= 32
    sides = torch.stack([real[:, 2] - real[:, 0], real[:, 3] - real[:, 1]], dim=1)
    assert float(sides.min()) >= 5 and float(sides.max()) <= 15  # sides 8 to 14 pixels, rasterized


def test_masks_agree_with_boxes_and_labels(scenes: vs.ShapeScenes) -> None:
    rows, cols = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    for i in range(100):
        boxes, labels = scenes.objects(i)
        assert boxes.shape == (len(labels), 4) and bool((labels >= 1).all())
        mask = scenes.masks[i]
        assert set(mask.unique().tolist()) <= {0, *labels.tolist()}  # no class without an object
        covered = torch.zeros(32, 32, dtype=torch.bool)
        for box, label in zip(boxes, labels):
            x1, y1, x2, y2 = box.int().tolist()
            inside = (cols >= x1) & (cols < x2) & (rows >= y1) & (rows < y2)
            covered |= inside & (mask == label)
        assert bool((covered == (mask > 0)).all())  # every shape pixel lies in a box of its class
        # objects are brighter than the background
        assert float(scenes.images[i, 0][mask > 0].mean()) > float(scenes.images[i, 0][mask == 0].mean()) + 0.3


def test_boxes_are_tight_around_unoccluded_objects() -> None:
    s = vs.make_shape_scenes(200, seed=5, p_object=0.3)  # few objects: most are not hidden in part
    for i in range(200):
        boxes, labels = s.objects(i)
        if len(labels) != 1:
            continue
        ys, xs = torch.nonzero(s.masks[i] > 0, as_tuple=True)
        assert boxes[0].tolist() == [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


def test_scenes_are_seeded_and_fast() -> None:
    a, b = vs.make_shape_scenes(50, seed=7), vs.make_shape_scenes(50, seed=7)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(vs.make_shape_scenes(50, seed=8).images, a.images)
    start = time.process_time()
    big = vs.make_shape_scenes(3000, seed=0)
    assert time.process_time() - start < 2.0 and len(big.images) == 3000
    assert vs.make_shape_scenes(4, size=48).images.shape == (4, 1, 48, 48)
    assert vs.make_shape_scenes(0).images.shape == (0, 1, 32, 32)
    with pytest.raises(ValueError):
        vs.make_shape_scenes(5, size=8)


# ----------------------------------------------------------------------------- figures
def test_plot_scenes_and_segmentations(scenes: vs.ShapeScenes) -> None:
    fig = vs.plot_scenes(scenes, n=3, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    assert len(fig.axes[0].patches) == len(scenes.objects(0)[1])
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), scenes.masks[0].numpy())
    wrong = scenes.masks[:2].clone()
    wrong[0, :3, :3] = 3
    seg = vs.plot_segmentations(scenes.images, scenes.masks, {"A": wrong, "B": scenes.masks}, n=2)
    assert len(seg.axes) == 2 * 4
    assert "9 wrong" in seg.axes[2].get_title() and "0 wrong" in seg.axes[3].get_title()
    with pytest.raises(ValueError):
        vs.plot_segmentations(scenes.images, scenes.masks, {"A": wrong[:, :5]})
    assert len(vs.plot_segmentations(scenes.images, scenes.masks, {"A": wrong}, n=5).axes) == 2 * 3  # 2 predicted
    with pytest.raises(ValueError):
        vs.plot_scenes(vs.make_shape_scenes(0))


def test_plot_upsampling_overlap_and_overlap() -> None:
    checker = torch.tensor([[1.0, 2.0], [2.0, 4.0]]).repeat(3, 3)
    fig = vs.plot_upsampling_overlap({"k=3": checker[None, None], "flat": torch.ones(6, 6)})
    assert len(fig.axes) == 4  # two heatmaps and their colour bars
    assert "values 1, 2, 4" in fig.axes[0].get_title() and "values 1" in fig.axes[1].get_title()
    with pytest.raises(ValueError):
        vs.plot_upsampling_overlap({"bad": torch.ones(2, 3, 4)})
    pred = torch.zeros(8, 8, dtype=torch.long)
    target = torch.zeros(8, 8, dtype=torch.long)
    pred[2:6, 2:6] = 1
    target[2:6, 3:7] = 1
    fig = vs.plot_overlap(pred, target, 0.6, 0.75)
    assert "TP 12" in fig.axes[0].get_title() and "FP 4" in fig.axes[0].get_title()
    assert "IoU 0.600" in fig.axes[0].get_title()
    np.testing.assert_allclose(fig.axes[1].lines[2].get_xydata(), [[0.6, 0.75]])
    with pytest.raises(ValueError):
        vs.plot_overlap(pred, target[:4], 0.5, 0.5)


def test_box_figures(scenes: vs.ShapeScenes) -> None:
    fig = vs.plot_box_pairs([(torch.tensor([0, 0, 4, 4]), torch.tensor([2, 0, 6, 4]), "IoU 0.333")])
    assert len(fig.axes[0].patches) == 2 and fig.axes[0].get_title() == "IoU 0.333"
    anchors = torch.tensor([[0, 0, 4, 4], [-1, -1, 5, 5], [4, 0, 8, 4], [3, -1, 9, 5]], dtype=torch.float32)
    fig = vs.plot_anchors(scenes.images[0], anchors, torch.tensor([0, -2, -1, 1]), anchors[[0, 3]], stride=4,
                          anchors_per_cell=2, cell=(0, 1))
    assert "1 ignored" in fig.axes[1].get_title() and "2 positive" in fig.axes[1].get_title()
    assert len(fig.axes[0].patches) == 2 and len(fig.axes[1].patches) == 2 + 1 + 2
    with pytest.raises(ValueError):
        vs.plot_anchors(scenes.images[0], anchors, torch.tensor([0, 1]), anchors[:1], stride=4, anchors_per_cell=2)
    objects = [scenes.objects(i) for i in range(3)]
    dets = [(boxes, torch.full((len(labels),), 0.9), labels) for boxes, labels in objects]
    fig = vs.plot_detections(scenes.images, dets, [scenes.objects(i) for i in range(3)], n=3)
    assert len(fig.axes) == 3 and len(fig.axes[0].texts) == len(dets[0][2])
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.3])
    fig = vs.plot_nms_stages(scenes.images[0], boxes, scores, boxes[[0, 2]],
                             [("raw", torch.arange(3), None), ("nms", torch.tensor([0]), torch.tensor([0, 1]))])
    assert "3 boxes" in fig.axes[0].get_title() and "1 kept, 1 suppressed" in fig.axes[1].get_title()
    assert len(fig.axes[0].patches) == 3 + 2 and len(fig.axes[1].patches) == 2 + 2  # boxes and the 2 true boxes
    with pytest.raises(ValueError):
        vs.plot_nms_stages(scenes.images[0], boxes, scores[:2], boxes, [("x", [0], None)])


# ----------------------------------------------------------------------------- the explorer
def _top_fraction(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """A stand-in for the notebook's nms (which the package must not hold): keep the best share of the boxes."""
    k = max(1, round(iou_threshold * len(scores)))
    return torch.argsort(scores, descending=True)[:k]


def _raw(scenes: vs.ShapeScenes, n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        boxes, _ = scenes.objects(i)
        many = boxes.repeat(6, 1) + torch.randn(6 * len(boxes), 4, generator=gen)
        out.append((many, torch.rand(len(many), generator=gen)))
    return out


def test_nms_explorer_redraws_and_counts(scenes: vs.ShapeScenes) -> None:
    raw = _raw(scenes, 4)
    w = vs.nms_explorer(scenes.images[:4], raw, [scenes.objects(i)[0] for i in range(4)], nms_fn=_top_fraction)
    assert_each_change_redraws(w, [("iou_threshold", 0.2), ("score_threshold", 0.1), ("scene", 2),
                                   ("iou_threshold", 1.0)])
    fig = w.draw(scene=2, score_threshold=0.1, iou_threshold=1.0)
    n_above = int((raw[2][1] >= 0.1).sum())
    title = fig.axes[0].get_title()
    assert f"{n_above} boxes" in title and f"kept {n_above} (green), suppressed 0" in title
    fig = w.draw(scene=0, score_threshold=0.05, iou_threshold=0.5)
    visible = [p for p in fig.axes[0].patches if p.get_visible() and p.get_linestyle() == "-"]
    assert len(visible) == max(1, round(0.5 * int((raw[0][1] >= 0.05).sum())))
    assert len(w.scenes[0][0]) == len(raw[0][0])


def test_nms_explorer_shows_errors_of_the_nms_function(scenes: vs.ShapeScenes) -> None:
    def broken(boxes, scores, iou_threshold):
        if iou_threshold < 0.3:
            raise NotImplementedError("TODO")
        return torch.tensor([len(scores) + 5])  # out of range

    w = vs.nms_explorer(scenes.images[:2], _raw(scenes, 2), [scenes.objects(i)[0] for i in range(2)], nms_fn=broken)
    assert w.last_error is not None and "outside" in w.last_error
    w.controls["iou_threshold"].value = 0.1
    assert "NotImplementedError" in w.last_error
    with pytest.raises(ValueError):
        vs.nms_explorer(scenes.images[:2], _raw(scenes, 1), [scenes.objects(0)[0]], nms_fn=broken)


def test_nms_explorer_latency(scenes: vs.ShapeScenes) -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    w = vs.nms_explorer(scenes.images[:8], _raw(scenes, 8), [scenes.objects(i)[0] for i in range(8)],
                        nms_fn=_top_fraction)
    changes = [("score_threshold", v) for v in (0.3, 0.1, 0.7, 0.5)] + [("iou_threshold", v) for v in (0.1, 0.9, 0.5)]
    changes += [("scene", s) for s in (3, 5, 0)]
    times = time_changes(w, changes, "NMS explorer", repeats=2)
    assert math.isfinite(max(times))
    assert len(figure_to_png(w.draw(**w.values()))) > 1000
