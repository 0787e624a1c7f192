"""Headless tests of dlcourse.viz.week5.the_gan_game (week 5, notebook 1): data helpers, figures and the
snapshot explorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week5 import the_gan_game as vg


def test_normal_pdf_and_samples() -> None:
    x = torch.linspace(-8, 12, 4001, dtype=torch.float64)
    d = vg.normal_pdf(x, 2.0, 0.5)
    assert d.dtype == torch.float64 and d.shape == x.shape
    assert math.isclose(float(d.sum() * (x[1] - x[0])), 1.0, rel_tol=1e-9)
    assert math.isclose(float(vg.normal_pdf(torch.tensor(2.0, dtype=torch.float64), 2.0, 0.5)),
                        1 / (0.5 * math.sqrt(2 * math.pi)), rel_tol=1e-12)
    s = vg.sample_normal(20000, vg.REAL_MEAN, vg.REAL_STD, torch.Generator().manual_seed(0))
    assert s.shape == (20000,) and s.dtype == torch.float32
    assert abs(float(s.mean()) - 2.0) < 0.02 and abs(float(s.std()) - 0.5) < 0.02
    again = vg.sample_normal(20000, 2.0, 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(s, again)
    with pytest.raises(ValueError):
        vg.normal_pdf(x, 0.0, 0.0)
    with pytest.raises(ValueError):
        vg.sample_normal(3, 0.0, -1.0, torch.Generator())


def test_density_estimate_integrates_to_one_and_follows_the_samples() -> None:
    s = np.random.default_rng(0).normal(1.0, 0.3, size=3000)
    x = np.linspace(-2, 4, 1201)
    d = vg.density_estimate(s, x)
    assert d.shape == x.shape
    assert math.isclose(float(d.sum() * (x[1] - x[0])), 1.0, rel_tol=1e-3)
    assert abs(x[np.argmax(d)] - 1.0) < 0.15
    point = vg.density_estimate(np.zeros(10), x)  # all samples at one point: a narrow, finite bump
    assert np.isfinite(point).all() and x[np.argmax(point)] == pytest.approx(0.0, abs=0.01)
    with pytest.raises(ValueError):
        vg.density_estimate(np.array([]), x)


def _grid() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.linspace(-3, 5, 81, dtype=torch.float64)
    return x, vg.normal_pdf(x, 2.0, 0.5), vg.normal_pdf(x, 0.0, 1.0)


def test_plot_two_players_and_discriminator_fit() -> None:
    x, p, q = _grid()
    fig = vg.plot_two_players(x, p, q, d=p / (p + q), real=torch.randn(50), fake=torch.randn(50))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), (p / (p + q)).numpy())
    assert len(vg.plot_two_players(x, p, q).axes) == 1
    with pytest.raises(ValueError):
        vg.plot_two_players(x, p[:-1], q)
    with pytest.raises(ValueError):
        vg.plot_two_players(x, p, q, d=p[:3])
    fit = vg.plot_discriminator_fit(x, p / (p + q), p / (p + q) + 0.01, (p + q) > 0.05, p, q)
    np.testing.assert_allclose(fit.axes[1].lines[0].get_ydata(), np.full(81, 0.01), atol=1e-12)
    with pytest.raises(ValueError):
        vg.plot_discriminator_fit(x, p, p[:4], p > 0, p, q)


def test_plot_generator_gradients_marks_the_given_values() -> None:
    d = np.logspace(-4, np.log10(0.9999), 200)
    fig = vg.plot_generator_gradients(d, -d, d - 1, marks=(0.01,))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), d)  # drawn as sizes |gradient|
    labels = sorted(t.get_text() for t in ax.texts if t.get_text()[0].isdigit())
    assert labels == ["0.01", "0.99"]
    with pytest.raises(ValueError):
        vg.plot_generator_gradients(d, d[:5], d)


def test_plot_bilinear_game() -> None:
    t = np.stack([np.cos(np.arange(20) / 3), np.sin(np.arange(20) / 3)], axis=1)
    fig = vg.plot_bilinear_game({"a": t, "b": 2 * t}, lr=0.1)
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), np.full(20, 2.0))
    assert "0.1" in fig.axes[0].get_title()
    with pytest.raises(ValueError):
        vg.plot_bilinear_game({}, lr=0.1)
    with pytest.raises(ValueError):
        vg.plot_bilinear_game({"a": np.zeros((4, 3))}, lr=0.1)


def _snapshots(n: int = 4) -> tuple[list[dict], torch.Tensor, torch.Tensor]:
    x, p, _ = _grid()
    rng = np.random.default_rng(1)
    snaps = [{"step": 100 * k, "samples": rng.normal(0.5 * k, 0.3 + 0.05 * k, size=500),
              "d": np.linspace(0, 1, 81) ** (k + 1), "d_star": np.full(81, 0.1 * k)} for k in range(n)]
    return snaps, x, p


def test_plot_gan_snapshots_and_history() -> None:
    snaps, x, p = _snapshots(5)
    fig = vg.plot_gan_snapshots(snaps, x, p, ncols=3)
    assert len(fig.axes) == 6 + 5  # 2 x 3 panels, a twin axis for each of the 5 snapshots
    assert [ax.get_title() for ax in fig.axes[:5]] == [f"step {100 * k}" for k in range(5)]
    with pytest.raises(ValueError):
        vg.plot_gan_snapshots([{"step": 0, "samples": [1.0]}], x, p)
    with pytest.raises(ValueError):
        vg.plot_gan_snapshots([], x, p)
    h = vg.plot_gan_history({"D loss": [1.0, 1.2, 1.3], "G loss": [0.9, 0.8, 0.7]}, every=10)
    np.testing.assert_allclose(h.axes[1].lines[0].get_xdata(), [0, 10, 20])
    with pytest.raises(ValueError):
        vg.plot_gan_history({})


def test_gan_snapshot_explorer_redraws_and_is_fast() -> None:
    snaps, x, p = _snapshots(6)
    w = vg.gan_snapshot_explorer(snaps, x, p)
    assert_each_change_redraws(w, [("snapshot", 3), ("snapshot", 5), ("snapshot", 1)])
    fig = w.draw(snapshot=2)
    twin = fig.axes[1]
    np.testing.assert_allclose(twin.lines[0].get_ydata(), snaps[2]["d"])
    np.testing.assert_allclose(twin.lines[1].get_ydata(), snaps[2]["d_star"])
    heights = fig.axes[0].patches[0].get_data().values
    bins = np.linspace(-3, 5, 61)
    np.testing.assert_allclose(heights, np.histogram(snaps[2]["samples"], bins=bins, density=True)[0])
    assert "after 200 training steps" in fig.axes[0].get_title()
    times = time_changes(w, [("snapshot", k) for k in (1, 4, 2, 5, 0, 3)], "gan snapshot explorer", repeats=2)
    assert len(times) >= 10 and all(math.isfinite(t) for t in times)
