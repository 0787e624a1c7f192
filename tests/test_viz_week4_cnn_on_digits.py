"""Headless tests of dlcourse.viz.week4.cnn_on_digits (week 4, notebook 2): the figures and the
feature-map explorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week4 import cnn_on_digits as vc
from dlcourse.widgets import figure_to_png


def test_plot_pixel_order_labels_each_cell_with_its_index() -> None:
    row = np.linspace(0, 1, 64)
    fig = vc.plot_pixel_order(row)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), row[None, :])
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), row.reshape(8, 8))
    texts = {t.get_text(): t.get_position() for t in fig.axes[1].texts}
    assert len(texts) == 64 and texts["19"] == (3, 2)  # pixel 19: row 2, column 3
    with pytest.raises(ValueError):
        vc.plot_pixel_order(np.zeros(63))


def test_plot_equivariance_grid() -> None:
    a, b = np.eye(4), -np.eye(4)
    fig = vc.plot_equivariance([[a, b], [2 * a, b]], ["x", "shifted"], ["input", "conv"])
    assert len(fig.axes) == 4
    assert fig.axes[3].get_title() == "shifted: conv"
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(), 2 * a)
    assert fig.axes[0].images[0].get_clim() == (0, 2.0)  # one colour scale per column
    assert fig.axes[1].images[0].get_clim() == (-1.0, 1.0)  # signed maps: a symmetric diverging scale
    with pytest.raises(ValueError):
        vc.plot_equivariance([[a, b], [a]], ["x", "y"], ["p", "q"])
    with pytest.raises(ValueError):
        vc.plot_equivariance([[a]], ["x", "y"], ["p"])


def test_plot_filters_one_panel_per_kernel() -> None:
    w = torch.randn(10, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    fig = vc.plot_filters(w, ncols=4)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10 and len(fig.axes) == 12
    np.testing.assert_allclose(shown[7].images[0].get_array(), w[7, 0].numpy())
    lo, hi = shown[7].images[0].get_clim()
    assert lo == -hi and math.isclose(hi, float(w[7].abs().max()), rel_tol=1e-6)
    with pytest.raises(ValueError):
        vc.plot_filters(torch.zeros(4, 2, 3, 3))


def test_plot_feature_maps_rows_per_layer() -> None:
    maps = {"relu1": np.random.default_rng(0).random((5, 8, 8)), "pool2": np.zeros((3, 2, 2))}
    fig = vc.plot_feature_maps(np.zeros(64), maps, n_channels=4, title="t")
    assert len(fig.axes) == 2 * 5
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(), maps["relu1"][1])
    assert not fig.axes[9].images  # pool2 has 3 channels: the 4th panel stays empty
    assert "relu1" in fig.axes[1].get_ylabel() and "(3, 2, 2)" in fig.axes[6].get_ylabel()
    with pytest.raises(ValueError):
        vc.plot_feature_maps(np.zeros(64), {"x": np.zeros((8, 8))})


def test_plot_shifted_digits_and_robustness() -> None:
    imgs = np.random.default_rng(1).random((4, 64))
    fig = vc.plot_shifted_digits(imgs, [imgs[:, ::-1]], [1, 2, 3, 4], ["orig", "moved"])
    assert len(fig.axes) == 8 and fig.axes[0].get_title() == "1" and fig.axes[4].get_ylabel() == "moved"
    np.testing.assert_allclose(fig.axes[5].images[0].get_array(), imgs[1, ::-1].reshape(8, 8))
    with pytest.raises(ValueError):
        vc.plot_shifted_digits(imgs, [imgs[:3]], [1, 2, 3, 4])
    with pytest.raises(ValueError):
        vc.plot_shifted_digits(imgs, [imgs], [1, 2, 3, 4], ["only one title"])
    bars = vc.plot_shift_robustness({"MLP": (0.97, 0.4), "CNN": (0.99, 0.75)})
    heights = [p.get_height() for p in bars.axes[0].patches]
    np.testing.assert_allclose(heights, [97, 99, 40, 75])
    with pytest.raises(ValueError):
        vc.plot_shift_robustness({})


# ----------------------------------------------------------------------------- the explorer
def _recorded(n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(3)
    images = rng.random((n, 8, 8))
    maps = {"relu1": rng.random((n, 32, 8, 8)), "pool1": rng.random((n, 32, 4, 4)),
            "relu2": rng.random((n, 64, 4, 4)), "pool2": rng.random((n, 64, 2, 2))}
    labels = np.arange(n) % 10
    preds = labels.copy()
    preds[1] = 7
    return images, labels, preds, maps


def test_feature_map_explorer_redraws_on_every_control() -> None:
    images, labels, preds, maps = _recorded()
    w = vc.feature_map_explorer(images, labels, preds, maps)
    assert_each_change_redraws(w, [("digit", 1), ("channel", 5), ("layer", "relu2"), ("channel", 40),
                                   ("layer", "pool2"), ("digit", 11)])
    fig = w.draw(**w.values())
    ax_in, ax_one, ax_all = fig.axes
    np.testing.assert_allclose(ax_in.images[0].get_array(), images[11])
    np.testing.assert_allclose(ax_one.images[0].get_array(), maps["pool2"][11, 40])
    mosaic = np.asarray(ax_all.images[0].get_array())
    assert mosaic.shape == (8 * 3 - 1, 8 * 3 - 1)  # 64 maps of 2x2 in 8 columns, 1 pixel apart
    np.testing.assert_allclose(mosaic[15:17, 0:2], maps["pool2"][11, 40])  # channel 40: row 5, column 0
    assert ax_all.patches[0].get_xy() == (-0.5, 14.5)  # the box around channel 40
    assert "channel 40" in ax_one.get_title()


def test_feature_map_explorer_keeps_the_channel_in_range_without_a_second_draw() -> None:
    images, labels, preds, maps = _recorded()
    w = vc.feature_map_explorer(images, labels, preds, maps)
    assert w.controls["channel"].max == 31
    w.controls["layer"].value = "relu2"
    assert w.controls["channel"].max == 63
    w.controls["channel"].value = 50
    count = w.draw_count
    w.controls["layer"].value = "pool1"  # 32 channels: the slider is clamped to 31, drawn once
    assert w.last_error is None, w.last_error
    assert w.controls["channel"].value == 31 and w.draw_count == count + 1
    assert "channel 31" in w.draw(**w.values()).axes[1].get_title()
    title = w.draw(digit=1, layer="relu1", channel=0).axes[0].get_title()
    assert "label 1" in title and "predicted 7" in title
    with pytest.raises(ValueError):
        vc.feature_map_explorer(images, labels, preds, {"relu1": maps["relu1"][:5]})
    with pytest.raises(ValueError):
        vc.feature_map_explorer(images, labels[:3], preds, maps)


def test_feature_map_explorer_latency() -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    images, labels, preds, maps = _recorded(40)
    w = vc.feature_map_explorer(images, labels, preds, maps)
    changes = [("digit", d) for d in (3, 17, 39, 0)]
    changes += [("layer", name) for name in ("pool1", "relu2", "pool2", "relu1")]
    changes += [("channel", c) for c in (4, 20, 31, 0)]
    times = time_changes(w, changes, "feature-map explorer", repeats=2)
    assert all(math.isfinite(t) for t in times)
    assert len(figure_to_png(w.draw(**w.values()))) > 1000
