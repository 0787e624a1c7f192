"""Headless tests of dlcourse.viz.week1.training_on_digits (plots and the digit browser of week 1, notebook 4)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week1 import training_on_digits as vt


def _fake_predictions(n: int = 40, n_classes: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, size=(n, 8, 8))
    labels = rng.integers(0, n_classes, size=n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), labels] += 3.0  # mostly right, a few wrong
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return images, probs, labels


def test_class_counts_and_balance_plot():
    y = np.array([0, 1, 1, 3, 3, 3])
    np.testing.assert_array_equal(vt.class_counts(y, 4), [1, 2, 0, 3])
    assert isinstance(vt.plot_class_balance(y, np.array([2, 2]), n_classes=4), Figure)
    with pytest.raises(ValueError):
        vt.class_counts(np.array([0, 5]), 4)
    with pytest.raises(ValueError):
        vt.class_counts(np.zeros((2, 2), dtype=int))


def test_confusion_matrix_counts():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    cm = vt.confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.sum() == len(y_true) and np.trace(cm) == 4
    fig = vt.plot_confusion_matrix(y_true, y_pred, 3)
    assert isinstance(fig, Figure) and "66.7%" in fig.axes[0].get_title()
    # float labels holding whole numbers are accepted; shapes must agree; labels must be in range
    np.testing.assert_array_equal(vt.confusion_matrix(y_true.astype(float), y_pred, 3), cm)
    with pytest.raises(ValueError):
        vt.confusion_matrix(y_true, y_pred[:-1], 3)
    with pytest.raises(ValueError):
        vt.confusion_matrix(y_true, y_pred + 1, 3)
    with pytest.raises(ValueError):
        vt.confusion_matrix(np.array([0.5]), np.array([0]), 3)


def test_first_layer_and_histograms():
    W1 = np.random.default_rng(0).normal(size=(64, 20))
    fig = vt.plot_first_layer(W1, n=12, ncols=6)
    assert isinstance(fig, Figure)
    assert sum(1 for ax in fig.axes if ax.images) == 12
    with pytest.raises(ValueError):
        vt.plot_first_layer(W1.T)
    fig = vt.plot_histograms({"a": np.arange(10.0), "b": np.ones(5)})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    with pytest.raises(ValueError):
        vt.plot_histograms({})


def test_browser_view_draws_in_place():
    images, probs, labels = _fake_predictions()
    view = vt.DigitBrowserView(images, probs, labels)
    fig = view.draw(3)
    assert fig is view.draw(4)  # the same figure, updated
    assert view.current == 4
    heights = [b.get_height() for b in view.bars]
    np.testing.assert_allclose(heights, probs[4])
    assert f"label {labels[4]}" in view.ax_img.get_title()
    # out-of-range indices are clamped
    view.draw(10_000)
    assert view.current == len(images) - 1
    # "mistakes" walks the misclassified ones
    assert len(view.mistakes) > 0
    view.draw(0, "mistakes")
    assert view.current == view.mistakes[0]
    assert "✗" in view.ax_bar.get_title()


def test_browser_view_without_mistakes_and_bad_input():
    images, probs, labels = _fake_predictions()
    labels = probs.argmax(axis=1)
    view = vt.DigitBrowserView(images, probs, labels)
    assert len(view.mistakes) == 0
    assert view.test_index(0, "mistakes") == -1
    assert isinstance(view.draw(0, "mistakes"), Figure)
    with pytest.raises(ValueError):
        vt.DigitBrowserView(images, probs[:-1], labels)


def test_digit_browser_widget_reacts_to_controls():
    images, probs, labels = _fake_predictions()
    fw = vt.digit_browser(images, probs, labels)
    assert fw.last_error is None and fw.draw_count == 1
    first_png = fw.image.value
    slider, show = fw.controls["index"], fw.controls["show"]
    assert slider.max == len(images) - 1
    start = time.perf_counter()
    slider.value = 7
    elapsed = time.perf_counter() - start
    assert fw.last_error is None and fw.draw_count == 2
    assert fw.view.current == 7
    assert fw.image.value != first_png
    assert elapsed < 1.0  # budget is ~100 ms on a laptop; leave room for slow CI
    show.value = "mistakes"
    assert fw.last_error is None
    assert slider.max == len(fw.view.mistakes) - 1
    assert fw.view.current == fw.view.mistakes[0]
    show.value = "all"
    assert slider.max == len(images) - 1 and fw.last_error is None
