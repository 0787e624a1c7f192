"""Headless tests of dlcourse.viz.week2.gradient_descent (figures of week 2, notebook 1: gradient descent)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver

from dlcourse.plots import new_figure
from dlcourse.viz.week2 import gradient_descent as vg


def _bowl(P: np.ndarray) -> np.ndarray:
    return 0.5 * (P[..., 0] ** 2 + 10 * (P[..., 1] - 1.0) ** 2)


def _line_labels(ax) -> list[str]:
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_landscape_contours_minimum_arrows_and_paths():
    path = np.array([[2.0, 0.0], [1.0, 0.5], [0.5, 0.9]])
    fig = vg.plot_landscape(_bowl, ((-3, 3), (-2, 3)), paths={"gd": path}, title="bowl", resolution=61)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "bowl"
    assert len(ax.collections) >= 2  # the contour set and the arrows
    # the star marks the grid's lowest point, here the true minimum (0, 1)
    star = next(line for line in ax.get_lines() if line.get_label() == "lowest loss on the grid")
    np.testing.assert_allclose([star.get_xdata()[0], star.get_ydata()[0]], [0.0, 1.0], atol=0.11)
    gd = next(line for line in ax.get_lines() if line.get_label() == "gd")
    np.testing.assert_allclose(gd.get_xydata(), path)
    quivers = [c for c in ax.collections if isinstance(c, Quiver)]
    assert len(quivers) == 1
    q = quivers[0]
    # arrows point downhill: against the gradient (x, 10 (y - 1)) at their base
    base = q.get_offsets()
    grad = np.column_stack([base[:, 0], 10 * (base[:, 1] - 1.0)])
    downhill = q.U * -grad[:, 0] + q.V * -grad[:, 1]
    assert np.all(downhill[np.linalg.norm(grad, axis=1) > 1e-6] > 0)
    # all arrows have the same length in axis fractions
    lengths = np.hypot(q.U / 6.0, q.V / 5.0)
    np.testing.assert_allclose(lengths[lengths > 0], 0.06, rtol=1e-6)
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_ylim() == (-2.0, 3.0)


def test_landscape_on_given_axes_without_arrows_and_bad_input():
    fig, axes = new_figure(ncols=2)
    out = vg.plot_landscape(_bowl, ((-1, 1), (0, 2)), arrows=False, ax=axes[1], resolution=30)
    assert out is fig
    assert not [c for c in axes[1].collections if isinstance(c, Quiver)]
    with pytest.raises(ValueError):
        vg.plot_landscape(_bowl, ((1, -1), (0, 2)))
    with pytest.raises(ValueError):
        vg.plot_landscape(lambda P: P.sum(), ((-1, 1), (0, 2)))
    with pytest.raises(ValueError):
        vg.plot_landscape(_bowl, ((-1, 1), (0, 2)), paths={"bad": np.zeros((3, 3))})


def test_contraction_factors():
    fig = vg.plot_contraction([1.0, 0.1, 0.5], marks={"optimal": 2 / 1.1})
    ax = fig.axes[0]
    lines = ax.get_lines()
    eta = lines[0].get_xdata()
    # first drawn line is λmin = 0.1 (sorted), the last eigenvalue line λmax = 1
    np.testing.assert_allclose(lines[0].get_ydata(), np.abs(1 - 0.1 * eta))
    np.testing.assert_allclose(lines[2].get_ydata(), np.abs(1 - 1.0 * eta))
    envelope = next(line for line in lines if line.get_label().startswith("max over"))
    np.testing.assert_allclose(envelope.get_ydata(), np.maximum(np.abs(1 - 0.1 * eta), np.abs(1 - eta)))
    labels = _line_labels(ax)
    assert any("λmin = 0.1" in s for s in labels) and any("λmax = 1" in s for s in labels)
    assert any(s.startswith("optimal") for s in labels)
    with pytest.raises(ValueError):
        vg.plot_contraction([1.0, -0.5])
    with pytest.raises(ValueError):
        vg.plot_contraction([])


def test_convergence_with_predictions():
    fig = vg.plot_convergence({"a": 0.5 ** np.arange(10), "b": np.ones(5)}, predicted_rates={"a": 0.5}, title="t")
    ax = fig.axes[0]
    labels = _line_labels(ax)
    assert labels == ["a", "predicted 0.5ᵗ", "b"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), 0.5 ** np.arange(10))
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError):
        vg.plot_convergence({})


def test_batch_comparison_axes():
    runs = {"full": np.array([1.0, 0.5, 0.25]), "sgd": np.array([1.0, 0.1, 0.05])}
    fig = vg.plot_batch_comparison(runs, {"full": 1, "sgd": 100}, n_examples=100)
    ax_e, ax_u = fig.axes
    full_e = next(line for line in ax_e.get_lines() if line.get_label() == "full")
    np.testing.assert_allclose(full_e.get_xdata(), [0, 1, 2])
    sgd_u = next(line for line in ax_u.get_lines() if line.get_label() == "sgd")
    np.testing.assert_allclose(sgd_u.get_xdata(), [0.8, 100, 200])
    assert ax_u.get_xscale() == "log" and ax_e.get_yscale() == "log"
    with pytest.raises(ValueError):
        vg.plot_batch_comparison({}, {}, 10)


def test_gradient_clouds():
    rng = np.random.default_rng(0)
    samples = {"B = 1": rng.normal(size=(50, 2)), "B = 8": 0.3 * rng.normal(size=(50, 2))}
    fig = vg.plot_gradient_clouds(samples, [0.0, 0.0])
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim()  # shared scale: the clouds compare
    assert "rms distance" in fig.axes[1].get_title()
    with pytest.raises(ValueError):
        vg.plot_gradient_clouds(samples, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError):
        vg.plot_gradient_clouds({"bad": np.zeros((4, 3))}, [0.0, 0.0])


def test_variance_vs_batch():
    B = [1, 2, 5, 10]
    fig = vg.plot_variance_vs_batch(B, {"x": [4.0, 1.8, 0.5, 0.0]}, {"x": 4.0}, n_examples=10)
    ax = fig.axes[0]
    closed = next(line for line in ax.get_lines() if "(N−B)" in line.get_label())
    b = closed.get_xdata()
    np.testing.assert_allclose(closed.get_ydata(), np.maximum(4.0 * (10 - b) / (b * 9), 1e-16))
    pts = next(line for line in ax.get_lines() if "Monte Carlo" in line.get_label())
    np.testing.assert_allclose(pts.get_xdata(), B)
    with pytest.raises(ValueError):
        vg.plot_variance_vs_batch([0, 2], {"x": [1.0, 1.0]}, {"x": 1.0}, n_examples=10)
    with pytest.raises(ValueError):
        vg.plot_variance_vs_batch([1, 2], {"x": [1.0]}, {"x": 1.0}, n_examples=10)
