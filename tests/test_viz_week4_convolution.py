"""Headless tests of dlcourse.viz.week4.convolution (week 4, notebook 1): the photo, the kernels, the figures
and the convolution explorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week4 import convolution as vc
from dlcourse.widgets import FigureWidget, figure_to_png


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return vc.load_gray_photo()


def test_load_gray_photo_is_small_gray_and_deterministic(photo: np.ndarray) -> None:
    assert photo.shape == (96, 144) and photo.dtype == np.float64
    assert 0.0 <= photo.min() < 0.05 and 0.95 < photo.max() <= 1.0
    np.testing.assert_array_equal(vc.load_gray_photo(), photo)
    other = vc.load_gray_photo("flower.jpg", size=(40, 60))
    assert other.shape == (40, 60) and not np.allclose(other.mean(), photo.mean(), atol=1e-3)
    with pytest.raises(ValueError):
        vc.load_gray_photo(size=(0, 10))


def test_kernels_and_the_modules_own_correlation_match_pytorch() -> None:
    assert all(k.shape == (3, 3) for k in vc.KERNELS.values())
    for name in ("box blur", "Gaussian blur", "sharpen", "identity"):
        assert math.isclose(vc.KERNELS[name].sum(), 1.0)
    for name in ("Sobel x", "Sobel y", "edge (Laplacian)"):
        assert vc.KERNELS[name].sum() == 0.0
    np.testing.assert_array_equal(vc.KERNELS["Sobel y"], vc.KERNELS["Sobel x"].T)
    rng = np.random.default_rng(0)
    for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2)]:
        x, k = rng.normal(size=(11, 13)), rng.normal(size=(3, 2))
        want = F.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None], stride=stride, padding=padding,
                        dilation=dilation)[0, 0].numpy()
        np.testing.assert_allclose(vc._correlate(x, k, stride, padding, dilation), want, atol=1e-12)
    assert vc._kernel_text(vc.KERNELS["Gaussian blur"]) == "[1 2 1; 2 4 2; 1 2 1] / 16"
    assert vc._kernel_text(vc.KERNELS["Sobel x"]) == "[-1 0 1; -2 0 2; -1 0 1]"
    assert vc._kernel_text(np.full((1, 2), 0.3)) == "[0.30 0.30]"


def test_sliding_window_figures_write_out_one_output() -> None:
    fig = vc.plot_sliding_window_1d([1.0, 1, 5, 5, 2], [-1.0, 0, 1], position=1)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert fig.axes[0].get_title() == "out[1] = 1·(-1) + 5·0 + 5·1 = 4"
    assert [t.get_text() for t in fig.axes[2].texts] == ["4", "4", "-3"]  # no text where there is no output
    with pytest.raises(ValueError):
        vc.plot_sliding_window_1d([1.0, 2.0], [1.0, 1.0, 1.0], 0)
    with pytest.raises(ValueError):
        vc.plot_sliding_window_1d([1.0, 2.0, 3.0], [1.0, 1.0], 2)
    x = np.arange(16.0).reshape(4, 4)
    fig = vc.plot_sliding_window_2d(x, np.array([[1.0, 0.0], [0.0, -1.0]]), (2, 1))
    out = fig.axes[2].images[0].get_array()
    np.testing.assert_allclose(out, np.full((3, 3), -5.0))
    assert fig.get_suptitle().startswith("out[2, 1] = 9·1 + 14·(-1) = -5")
    with pytest.raises(ValueError):
        vc.plot_sliding_window_2d(x, np.ones((2, 2)), (3, 0))


def test_gallery_images_and_feature_maps(photo: np.ndarray) -> None:
    fig = vc.plot_kernel_gallery(photo, ["Sobel x", "box blur"], ncols=2)
    assert len(fig.axes) == 4 and not fig.axes[3].axison  # the unused fourth panel is hidden
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), vc._correlate(photo, vc.KERNELS["Sobel x"], 1, 1))
    assert fig.axes[1].images[0].get_cmap().name == "RdBu_r" and fig.axes[2].images[0].get_cmap().name == "gray"
    assert "/ 9" in fig.axes[2].get_title()
    with pytest.raises(ValueError):
        vc.plot_kernel_gallery(photo, ["emboss"])
    with pytest.raises(ValueError):
        vc.plot_kernel_gallery(photo[None])
    fig = vc.plot_images({"a": photo, "b": photo - 0.5}, ncols=2, title="t")
    assert [ax.images[0].get_cmap().name for ax in fig.axes] == ["gray", "RdBu_r"]
    with pytest.raises(ValueError):
        vc.plot_images({"a": np.zeros(3)})
    images = np.random.default_rng(0).random((3, 8, 8))
    fig = vc.plot_feature_maps(images, {"maps": images * 2, "pooled": images[:, ::2, ::2]}, title="digits")
    assert len(fig.axes) == 9
    np.testing.assert_allclose(fig.axes[5].images[0].get_array(), images[1, ::2, ::2])
    with pytest.raises(ValueError):
        vc.plot_feature_maps(images, {"wrong": images[:2]})


def _input_grid(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


def test_conv_geometry_colours_the_padding_and_the_taps() -> None:
    fig = vc.plot_conv_geometry([dict(n=5, k=3, padding=1, position=0, label="'same'"),
                                 dict(n=7, k=3, dilation=2, position=2), dict(n=3, k=5)])
    axes = np.array(fig.axes).reshape(2, 3)
    same = _input_grid(axes[0, 0])
    assert same.shape == (7, 7, 3)
    tap, tap_pad = np.array(vc._TAP_RGB), np.array(vc._TAP_ON_PAD_RGB)
    taps = np.all(same == tap, axis=-1) | np.all(same == tap_pad, axis=-1)
    assert taps.sum() == 9 and taps[:3, :3].all() and np.all(same[0, 0] == tap_pad) and np.all(same[1, 1] == tap)
    assert np.all(same[6, 6] == np.array(vc._PAD_RGB)) and "'same'" in axes[0, 0].get_title()
    assert _input_grid(axes[1, 0]).shape == (5, 5, 3) and "= 5" in axes[1, 0].get_title()
    dilated = _input_grid(axes[0, 1])
    rows, cols = np.nonzero(np.all(dilated == tap, axis=-1))
    assert sorted(set(rows)) == [0, 2, 4] and sorted(set(cols)) == [2, 4, 6]  # output (0, 2): taps 2 apart
    assert axes[1, 2].texts[0].get_text().startswith("no output")  # the 5x5 kernel does not fit a 3x3 input
    with pytest.raises(ValueError):
        vc.plot_conv_geometry([])
    with pytest.raises(ValueError):
        vc.plot_conv_geometry([dict(n=5, kernel=3)])


def test_conv_explorer_redraws_once_per_change(photo: np.ndarray) -> None:
    w = vc.conv_explorer(photo[:48, :72])
    assert isinstance(w, FigureWidget) and w.widget is not None and w.image is not None
    assert_each_change_redraws(w, [("n", 7), ("k", 5), ("padding", 2), ("stride", 2), ("dilation", 2),
                                   ("position", 3), ("preset", "box blur"), ("k4", 2.0), ("preset", "Sobel y"),
                                   ("n", 3), ("dilation", 3), ("padding", 0), ("k", 1), ("stride", 1)])
    assert "dlcourse-figure-widget" in w.widget._dom_classes


def test_conv_explorer_keeps_its_controls_consistent(photo: np.ndarray) -> None:
    w = vc.conv_explorer(photo[:48, :72])
    c = w.controls
    assert c["position"].max == 8  # 5x5 input, 3x3 kernel: a 3x3 output
    c["padding"].value = 1
    assert c["position"].max == 24 and w.draw_count == 2
    c["position"].value = 24
    c["stride"].value = 2  # the output shrinks to 3x3: the position is clamped, one draw only
    assert c["position"].max == 8 and c["position"].value == 8 and w.draw_count == 4
    c["preset"].value = "sharpen"
    np.testing.assert_array_equal(w.kernel(), vc.KERNELS["sharpen"])
    assert w.draw_count == 5
    c["k0"].value = 1.0  # an edited field: the preset becomes "custom"
    assert c["preset"].value == "custom" and w.kernel()[0, 0] == 1.0 and w.draw_count == 6
    c["preset"].value = "Sobel x"
    out = w._fig.axes[3].images[0]
    assert out.get_cmap().name == "RdBu_r" and out.get_array().shape == (24, 36)  # stride 2, padding 1
    assert "Sobel x" in w.info.value and "24×36" in w.info.value
    c["n"].value, c["k"].value, c["dilation"].value, c["padding"].value = 3, 5, 3, 0  # the window does not fit
    assert w.last_error is None and c["position"].max == 0 and "does not fit" in w.info.value
    assert w._geo.note.get_text().startswith("no output")
    c["k"].value = 1
    assert w.last_error is None and w._geo.note.get_text() == "" and c["position"].max == 3
    with pytest.raises(ValueError):
        vc.conv_explorer(photo[None])


def test_conv_explorer_latency(photo: np.ndarray) -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    w = vc.conv_explorer(photo)
    changes = [("n", 7), ("k", 5), ("padding", 2), ("stride", 2), ("dilation", 2), ("position", 3),
               ("preset", "box blur"), ("k4", 2.0), ("preset", "Sobel y"), ("n", 5), ("k", 3), ("padding", 1),
               ("stride", 1), ("dilation", 1), ("position", 0)]
    times = time_changes(w, changes, "convolution explorer")
    assert math.isfinite(max(times))
    assert len(figure_to_png(w.draw(**w.values()))) > 1000


def test_im2col_timings_and_receptive_field_figures() -> None:
    x = np.arange(32.0).reshape(2, 4, 4)
    cols = np.zeros((8, 9))
    fig = vc.plot_im2col(x, cols, 2, 2)
    assert len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[2].get_yticklabels()][:3] == ["(0,0,0)", "(0,0,1)", "(0,1,0)"]
    with pytest.raises(ValueError):
        vc.plot_im2col(x, np.zeros((9, 9)), 2, 2)
    fig = vc.plot_timings({"a": {"loops": 30.0, "im2col": 0.4}, "b": {"torch": 2.0}}, title="t")
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 2
    for bad in ({}, {"a": {}}, {"a": {"x": 0.0}}):
        with pytest.raises(ValueError):
            vc.plot_timings(bad)
    fig = vc.plot_receptive_field_towers({"a": [(3, 1, 1)] * 3, "b": [(3, 1, 1), (2, 2, 1), (3, 1, 1)],
                                          "c": [(3, 1, 1), (3, 1, 2), (3, 1, 4)], "d": [(2, 1, 1)]})
    spans = [ax.get_title().split("receptive field: ")[1] for ax in fig.axes]
    assert spans == ["7 input pixels", "8 input pixels", "15 input pixels", "2 input pixels"]
    with pytest.raises(ValueError):
        vc.plot_receptive_field_towers({})
    with pytest.raises(ValueError):
        vc.plot_receptive_field_towers({"bad": [(3, 0, 1)]})
