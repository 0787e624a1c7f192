"""Headless tests of dlcourse.viz.week4.transfer_learning (week 4, notebook 4): the placed digits, the
figures and the transfer explorer."""

from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pytest
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws

from dlcourse.viz.week4 import transfer_learning as tl
from dlcourse.widgets import figure_to_png


def test_place_digits_pastes_each_digit_whole_at_a_random_position() -> None:
    rng = np.random.default_rng(0)
    digits = rng.uniform(0.1, 1.0, size=(200, 8, 8)).astype(np.float32)  # no zero pixel: the window is findable
    out = tl.place_digits(digits, canvas=11, seed=3)
    assert out.shape == (200, 1, 11, 11) and out.dtype == np.float32
    corners = []
    for img, digit in zip(out[:, 0], digits):
        rows, cols = np.flatnonzero(img.any(axis=1)), np.flatnonzero(img.any(axis=0))
        top, left = int(rows[0]), int(cols[0])
        assert len(rows) == len(cols) == 8
        np.testing.assert_array_equal(img[top:top + 8, left:left + 8], digit)
        assert img.sum() == pytest.approx(digit.sum(), rel=1e-5)  # nothing outside the window
        corners.append((top, left))
    assert {t for t, _ in corners} == set(range(4)) and {c for _, c in corners} == set(range(4))  # every offset 0..3
    np.testing.assert_array_equal(tl.place_digits(digits, canvas=11, seed=3), out)
    assert not np.array_equal(tl.place_digits(digits, canvas=11, seed=4), out)
    np.testing.assert_array_equal(tl.place_digits(digits.reshape(200, 64), canvas=8, seed=9)[:, 0], digits)
    with pytest.raises(ValueError):
        tl.place_digits(digits, canvas=7)
    with pytest.raises(ValueError):
        tl.place_digits(np.zeros((3, 5, 5)))


def test_show_images_titles_and_marks_mistakes() -> None:
    imgs = tl.place_digits(np.random.default_rng(1).uniform(size=(7, 8, 8)), canvas=10, seed=0)
    fig = tl.show_images(imgs, [5, 6, 7, 8, 9, 5, 6], predictions=[5, 6, 9, 8, 9, 5, 6], ncols=4, title="t")
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 7 and len(fig.axes) == 8  # a 2 x 4 grid, the last cell empty
    np.testing.assert_allclose(shown[0].images[0].get_array(), imgs[0, 0])
    assert shown[2].get_title() == "7→9" and shown[2].title.get_color() == "#c0392b"
    assert shown[0].get_title() == "5→5" and shown[0].title.get_color() == "black"
    assert tl.show_images(imgs[:, 0], [1] * 7).axes[0].get_title() == "1"
    with pytest.raises(ValueError):
        tl.show_images(np.zeros((0, 10, 10)), [])


def test_plot_budget_curves_draws_means_and_seeds() -> None:
    budgets = [1, 5, 20]
    results = {"scratch": np.array([[0.4, 0.5], [0.7, 0.8], [0.9, 0.95]]),
               "probe": np.array([[0.5, 0.6], [0.7, 0.7], [0.85, 0.9]])}
    fig = tl.plot_budget_curves(budgets, results)
    ax = fig.axes[0]
    means = [line for line in ax.lines if line.get_label() == tl.LABELS["scratch"]]
    assert len(means) == 1
    np.testing.assert_allclose(means[0].get_ydata(), [0.45, 0.75, 0.925])
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == ["1", "5", "20"]
    with pytest.raises(ValueError):
        tl.plot_budget_curves(budgets, {"probe": np.zeros((2, 5))})


# ----------------------------------------------------------------------------- the explorer
STEPS = list(range(0, 101, 10))


def _runs(budgets=(1, 5, 20), n_seeds=5, n_test=60):
    rng = np.random.default_rng(2)
    images = tl.place_digits(rng.uniform(size=(n_test, 8, 8)), canvas=10, seed=0)
    labels = rng.integers(0, 5, size=n_test)
    curves, predictions = {}, {}
    for k, s in enumerate(tl.STRATEGIES):
        for b in budgets:
            curves[(s, b)] = np.clip(0.2 + 0.01 * np.arange(11)[None] * (k + b) + 0.02 * rng.normal(size=(n_seeds, 11)),
                                     0, 1)
            wrong = rng.uniform(size=n_test) < 0.5 / (1 + k + b)
            predictions[(s, b)] = np.where(wrong, (labels + 1) % 5, labels)
    return curves, predictions, images, labels


def test_explorer_redraws_on_every_control_and_shows_the_run() -> None:
    curves, predictions, images, labels = _runs()
    w = tl.transfer_explorer(curves, predictions, STEPS, images, labels, label_offset=5)
    assert [v for _, v in w.controls["budget"].options] == [1, 5, 20]
    assert [v for _, v in w.controls["strategy"].options] == list(tl.STRATEGIES)
    assert_each_change_redraws(w, [("strategy", "probe"), ("budget", 5), ("strategy", "finetune"), ("budget", 20),
                                   ("strategy", "scratch")])
    fig = w.draw(budget=5, strategy="probe")
    ax_curve, ax_img = fig.axes[:2]
    mean = [line for line in ax_curve.lines if line.get_label() == tl.LABELS["probe"]][0]
    np.testing.assert_allclose(mean.get_ydata(), curves[("probe", 5)].mean(axis=0))
    assert mean.get_linewidth() > [line for line in ax_curve.lines if line.get_label() == tl.LABELS["scratch"]][0] \
        .get_linewidth()
    assert f"{curves[('probe', 5)][:, -1].mean():.3f}" in ax_curve.get_title()
    wrong = np.flatnonzero(predictions[("probe", 5)] != labels)
    assert f"gets {len(wrong)} of {len(labels)}" in ax_img.get_title()
    texts = [t.get_text() for t in ax_img.texts if t.get_text()]
    assert len(texts) == min(len(wrong), 24)
    assert texts[0] == f"{labels[wrong[0]] + 5}→{predictions[('probe', 5)][wrong[0]] + 5}"
    tile = np.asarray(ax_img.images[0].get_array())[4:14, 0:10]  # the first tile, under its label's gap
    np.testing.assert_allclose(tile, images[wrong[0], 0])


def test_static_view_and_errors() -> None:
    curves, predictions, images, labels = _runs(budgets=(2, 10), n_seeds=3)
    fig = tl.plot_transfer_run(curves, predictions, STEPS, images, labels, budget=2, strategy="finetune")
    assert isinstance(fig, Figure) and "finetune" in fig.axes[0].get_title()
    assert len(figure_to_png(fig)) > 1000
    with pytest.raises(ValueError):
        tl.plot_transfer_run(curves, predictions, STEPS, images, labels, budget=5, strategy="probe")
    bad = {k: v for k, v in curves.items() if k != ("probe", 10)}
    with pytest.raises(ValueError):
        tl.transfer_explorer(bad, predictions, STEPS, images, labels)
    with pytest.raises(ValueError):
        tl.transfer_explorer(curves, predictions, STEPS[:-1], images, labels)


def test_explorer_latency() -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    curves, predictions, images, labels = _runs(n_test=225)
    w = tl.transfer_explorer(curves, predictions, STEPS, images, labels, label_offset=5)
    changes = [("budget", 5), ("strategy", "probe"), ("budget", 20), ("strategy", "finetune"), ("budget", 1),
               ("strategy", "scratch")]
    times: dict[str, list[float]] = {"budget": [], "strategy": []}
    for _ in range(3):
        for name, value in changes:
            start = time.perf_counter()
            w.controls[name].value = value
            times[name].append(1000 * (time.perf_counter() - start))
            assert w.last_error is None, w.last_error
    print("\ntransfer explorer, ms per change (drawing and PNG included): " + "; ".join(
        f"{n}: median {statistics.median(t):.0f}, max {max(t):.0f}" for n, t in times.items()))
    assert math.isfinite(max(max(t) for t in times.values()))
