"""Headless tests of dlcourse.viz.week5.dcgan_on_digits (week 5, notebook 3): the figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlcourse.viz.week5 import dcgan_on_digits as vd
from dlcourse.widgets import figure_to_png


def _digits(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_plot_transposed_conv_counts_the_overlap() -> None:
    fig = vd.plot_transposed_conv(in_size=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    one, footprint, even, uneven = (np.asarray(ax.images[0].get_array()) for ax in fig.axes)
    assert one.shape == (4, 4) and one.sum() == 1
    assert footprint.shape == (8, 8) and footprint.sum() == 16  # a 4x4 patch of the doubled output
    assert even.shape == (8, 8) and np.all(even[1:-1, 1:-1] == 4)  # kernel 4, stride 2: every inner pixel gets 4
    assert set(np.unique(uneven[1:-1, 1:-1]).tolist()) == {1.0, 2.0, 4.0}  # kernel 3: a checkerboard
    assert len(fig.axes[2].texts) == 64
    figure_to_png(fig)
    with pytest.raises(ValueError):
        vd.plot_transposed_conv(in_size=2)


def test_plot_digit_grid_accepts_three_layouts_and_titles() -> None:
    x = _digits(12)
    fig = vd.plot_digit_grid(x, [str(i) for i in range(12)], ncols=5, title="t")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and len(fig.axes) == 15
    np.testing.assert_allclose(shown[7].images[0].get_array(), x[7, 0].numpy())
    assert shown[7].get_title() == "7" and shown[7].images[0].get_clim() == (0.0, 1.0)
    for layout in (x[:, 0].numpy(), x.reshape(12, 64).numpy()):
        assert len([ax for ax in vd.plot_digit_grid(layout).axes if ax.images]) == 10 + 2
    with pytest.raises(ValueError):
        vd.plot_digit_grid(torch.zeros(3, 2, 8, 8))
    with pytest.raises(ValueError):
        vd.plot_digit_grid(x, ["a"])
    with pytest.raises(ValueError):
        vd.plot_digit_grid(torch.zeros(0, 1, 8, 8))


def test_plot_samples_over_training_one_row_per_step() -> None:
    snaps = {100: _digits(10, 1), 1: _digits(10, 2), 50: _digits(10, 3)}
    fig = vd.plot_samples_over_training(snaps, n_show=6)
    assert len(fig.axes) == 3 * 6
    assert [fig.axes[6 * i].get_ylabel() for i in range(3)] == ["step 1", "step 50", "step 100"]  # sorted steps
    np.testing.assert_allclose(fig.axes[6].images[0].get_array(), snaps[50][0, 0].numpy())
    with pytest.raises(ValueError):
        vd.plot_samples_over_training({})


def test_plot_interpolation_titles_the_ends() -> None:
    rows = torch.rand(3, 5, 1, 8, 8, generator=torch.Generator().manual_seed(4))
    fig = vd.plot_interpolation(rows, left=[1, 2, 3], right=[7, 8, 9])
    assert len(fig.axes) == 15
    assert fig.axes[5].get_title() == "2" and fig.axes[9].get_title() == "8" and fig.axes[6].get_title() == ""
    np.testing.assert_allclose(fig.axes[7].images[0].get_array(), rows[1, 2, 0].numpy())
    assert len(vd.plot_interpolation(rows[:, :, 0]).axes) == 15
    with pytest.raises(ValueError):
        vd.plot_interpolation(torch.zeros(3, 5, 64))


def test_plot_nearest_neighbours_pairs_and_distances() -> None:
    s, n = _digits(4, 5), _digits(4, 6)
    fig = vd.plot_nearest_neighbours(s, n, np.array([1.0, 2.5, 0.25, 3.0]))
    assert len(fig.axes) == 8
    assert fig.axes[4 + 1].get_title() == "d = 2.50"
    np.testing.assert_allclose(fig.axes[4 + 2].images[0].get_array(), n[2, 0].numpy())
    assert len(vd.plot_nearest_neighbours(s[:1], n[:1], [0.5]).axes) == 2
    with pytest.raises(ValueError):
        vd.plot_nearest_neighbours(s, n[:3], [1.0, 2.0, 3.0])


def test_plot_gan_losses_smooths_and_marks_the_equilibrium() -> None:
    rng = np.random.default_rng(0)
    hist = {"d_loss": list(1.2 + 0.1 * rng.standard_normal(60)), "g_loss": list(0.9 + 0.1 * rng.standard_normal(60))}
    fig = vd.plot_gan_losses(hist, window=10)
    ax = fig.axes[0]
    levels = sorted(line.get_ydata()[0] for line in ax.lines if len(line.get_ydata()) == 2)
    assert levels == pytest.approx([math.log(2), 2 * math.log(2)])
    smooth = [line for line in ax.lines if len(line.get_ydata()) == 51]
    assert len(smooth) == 2
    np.testing.assert_allclose(smooth[0].get_ydata()[0], np.mean(hist["d_loss"][:10]))
    with pytest.raises(ValueError):
        vd.plot_gan_losses({"d_loss": [1.0]})
    with pytest.raises(ValueError):
        vd.plot_gan_losses({"d_loss": [], "g_loss": []})


def test_plot_class_histogram_fractions() -> None:
    fig = vd.plot_class_histogram(torch.tensor([3, 3, 3, 1]), np.arange(10))
    bars = fig.axes[0].patches
    assert len(bars) == 20
    assert [round(b.get_height(), 3) for b in bars[:10]] == [0, 0.25, 0, 0.75, 0, 0, 0, 0, 0, 0]
    assert all(b.get_height() == pytest.approx(0.1) for b in bars[10:])
    with pytest.raises(ValueError):
        vd.plot_class_histogram([10], [1])
    with pytest.raises(ValueError):
        vd.plot_class_histogram([], [1])


def test_plot_fd_reference_log_bars_and_the_bar() -> None:
    fig = vd.plot_fd_reference({"real": 0.5, "untrained": 130.0, "trained": 9.0}, bar=20.0)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert sorted(p.get_width() for p in ax.patches) == [0.5, 9.0, 130.0]
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert labels["real"] > labels["untrained"] > labels["trained"]  # listed top to bottom in the given order
    assert any(list(line.get_xdata()) == [20.0, 20.0] for line in ax.lines)
    figure_to_png(fig)
    with pytest.raises(ValueError):
        vd.plot_fd_reference({"bad": 0.0})
    with pytest.raises(ValueError):
        vd.plot_fd_reference({})
