"""Headless tests of dlcourse.viz.week5.conditional_gan_and_cyclegan (week 5, notebook 4): the two digit
domains, the grids of digits and the sample explorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week5 import conditional_gan_and_cyclegan as vc
from dlcourse.widgets import figure_to_png


def test_make_digit_domains_splits_without_pairs() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((41, 64))
    y = np.arange(41) % 10
    d = vc.make_digit_domains(X, y, seed=3)
    assert d.a.shape == (20, 64) and d.b.shape == (21, 64)
    assert d.a.dtype == np.float32 and d.b.dtype == np.float32 and d.labels_a.dtype == np.int64
    assert d.a.min() >= -1 and d.a.max() <= 1 and d.b.min() >= -1 and d.b.max() <= 1
    # every digit of A is a row of X mapped by 2x - 1, every digit of B a row inverted (1 - x) and mapped
    rows_a = [int(np.argmin(np.abs(X - (r + 1) / 2).sum(1))) for r in d.a]
    rows_b = [int(np.argmin(np.abs(X - (1 - (r + 1) / 2)).sum(1))) for r in d.b]
    np.testing.assert_allclose(d.a, 2 * X[rows_a] - 1, atol=1e-6)
    np.testing.assert_allclose(d.b, 1 - 2 * X[rows_b], atol=1e-6)
    assert sorted(rows_a + rows_b) == list(range(41))  # a split: no digit in both domains
    np.testing.assert_array_equal(d.labels_a, y[rows_a])
    np.testing.assert_array_equal(d.labels_b, y[rows_b])
    again = vc.make_digit_domains(X, y, seed=3)
    np.testing.assert_array_equal(again.a, d.a)
    assert not np.array_equal(vc.make_digit_domains(X, y, seed=4).a, d.a)
    with pytest.raises(ValueError):
        vc.make_digit_domains(X[:, :10], y)
    with pytest.raises(ValueError):
        vc.make_digit_domains(X * 16, y)


def test_plot_digit_grid_rows_and_titles() -> None:
    imgs = np.random.default_rng(1).random((2, 3, 64))
    fig = vc.plot_digit_grid(imgs, ["r0", "r1"], ["c0", "c1", "c2"], title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    np.testing.assert_allclose(fig.axes[4].images[0].get_array(), imgs[1, 1].reshape(8, 8))
    assert fig.axes[0].get_title() == "c0" and fig.axes[3].get_ylabel() == "r1"
    assert fig.axes[0].images[0].get_clim() == (0.0, 1.0)
    assert len(vc.plot_digit_grid(imgs.reshape(2, 3, 8, 8)).axes) == 6
    with pytest.raises(ValueError):
        vc.plot_digit_grid(imgs, ["only one"])
    with pytest.raises(ValueError):
        vc.plot_digit_grid(imgs[0])


def test_plot_round_trips_three_rows_per_model() -> None:
    rng = np.random.default_rng(2)
    a = rng.uniform(-1, 1, (4, 64))
    fig = vc.plot_round_trips({"lam 0": (a, -a, a * 0), "lam 10": (a, -a, a)})
    assert len(fig.axes) == 6 * 4
    np.testing.assert_allclose(fig.axes[4].images[0].get_array(), ((-a[0] + 1) / 2).reshape(8, 8))  # row 1: G_ab(a)
    assert fig.axes[12].get_ylabel() == "lam 10: a"
    with pytest.raises(ValueError):
        vc.plot_round_trips({"x": (a, a)})
    with pytest.raises(ValueError):
        vc.plot_round_trips({"x": (a, a[:2], a)})
    with pytest.raises(ValueError):
        vc.plot_round_trips({})


def _sample(label: int, seed: int) -> np.ndarray:
    return np.random.default_rng(100 * label + seed).random((16, 64))


def test_sample_explorer_redraws_on_every_control() -> None:
    w = vc.sample_explorer(_sample)
    assert_each_change_redraws(w, [("label", 3), ("seed", 7), ("label", 9)])
    fig = w.draw(**w.values())
    mosaic = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
    assert mosaic.shape == (35, 35)  # 4 x 4 samples of 8 x 8, one blank pixel apart
    np.testing.assert_allclose(mosaic[9:17, 9:17], _sample(9, 7)[5].reshape(8, 8))  # sample 5: row 1, column 1
    assert np.isnan(mosaic[8]).all() and np.isnan(mosaic[:, 17]).all()
    assert "class 9" in fig.axes[0].get_title()
    bad = vc.sample_explorer(lambda label, seed: np.zeros((3, 64)))
    assert bad.last_error is not None and "need 16" in bad.last_error


def test_sample_explorer_latency() -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    w = vc.sample_explorer(_sample)
    times = time_changes(w, [("label", 1), ("seed", 4), ("label", 5), ("seed", 20), ("label", 0), ("seed", 0)],
                         "sample explorer", repeats=2)
    assert all(math.isfinite(t) for t in times)
    assert len(figure_to_png(w.draw(**w.values()))) > 1000
