"""Headless tests of dlcourse.viz.week1.tensors_and_perceptrons (week 1, notebook 1): figures and widgets."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week1 import tensors_and_perceptrons as vt


def step_perceptron(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """A stand-in for the learner's perceptron (the tests never import a solution)."""
    return (X @ w + b > 0).astype(np.int64)


def test_broadcast_rule_lines() -> None:
    lines, ok = vt.broadcast_rule_lines((3, 1), (4,))
    assert ok and len(lines) == 2
    assert "stretches → 4" in lines[0] and "stretches → 3" in lines[1]
    lines, ok = vt.broadcast_rule_lines((3,), (4,))
    assert not ok and "neither is 1" in lines[0]


def test_draw_broadcast_compatible_and_not() -> None:
    fig = vt.draw_broadcast(np.arange(3).reshape(3, 1) * 10, np.arange(4).reshape(1, 4))
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert "a + b (3, 4)" in titles
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "23" in texts  # 20 + 3, the last entry of the result
    bad = vt.draw_broadcast(np.arange(3), np.arange(4))
    assert any("not defined" in t.get_text() for ax in bad.axes for t in ax.texts)
    with pytest.raises(ValueError, match="at most 2 axes"):
        vt.draw_broadcast(np.zeros((2, 2, 2)), np.zeros(2))


def test_broadcast_widget_redraws_on_change() -> None:
    fw = vt.broadcast_widget()
    assert fw.last_error is None and fw.draw_count == 1
    before = fw.image.value
    fw.controls["b_shape"].value = "(3,)"  # (3, 1) + (3,) -> (3, 3)
    assert fw.last_error is None and fw.draw_count == 2
    assert fw.image.value != before
    fw.controls["a_shape"].value = "(4,)"  # (4,) + (3,) cannot broadcast: drawn, not raised
    assert fw.last_error is None and fw.draw_count == 3


def test_draw_reductions() -> None:
    fig = vt.draw_reductions(np.arange(12).reshape(3, 4))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert {"12", "15", "18", "21", "6", "22", "38"} <= set(texts)
    with pytest.raises(ValueError):
        vt.draw_reductions(np.arange(4))


def test_perceptron_figure_counts_correct_points() -> None:
    fig = vt.perceptron_figure(step_perceptron, "AND", 1.0, 1.0, -1.5)
    assert fig.axes[0].get_title().startswith("AND: 4/4 correct")
    fig = vt.perceptron_figure(step_perceptron, "OR", 1.0, 1.0, -1.5)
    assert fig.axes[0].get_title().startswith("OR: 2/4 correct")


def test_perceptron_playground_uses_the_given_function() -> None:
    calls: list[tuple[float, float, float]] = []

    def spy(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
        calls.append((float(w[0]), float(w[1]), float(b)))
        return step_perceptron(X, w, b)

    fw = vt.perceptron_playground(spy)
    assert fw.last_error is None and calls[-1] == (1.0, -0.5, 0.2)
    before, n = fw.image.value, fw.draw_count
    fw.controls["w1"].value = 1.5
    assert fw.draw_count == n + 1 and fw.image.value != before
    assert calls[-1][0] == 1.5
    before = fw.image.value
    fw.controls["gate"].value = "XOR"
    assert fw.draw_count == n + 2 and fw.image.value != before


def test_perceptron_playground_shows_errors_of_the_function() -> None:
    def unfinished(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
        raise NotImplementedError("TODO: implement `perceptron`")

    fw = vt.perceptron_playground(unfinished)
    assert fw.last_error is not None and "TODO" in fw.error.value


def test_add_decision_line_keeps_limits_and_skips_zero_w() -> None:
    ax = Figure().add_subplot()
    ax.set_xlim(-1, 2)
    ax.set_ylim(-1, 2)
    vt.add_decision_line(ax, [1.0, 1.0], -1.5)
    assert len(ax.lines) == 1 and ax.get_xlim() == (-1, 2)
    vt.add_decision_line(ax, [0.0, 0.0], 1.0)
    assert len(ax.lines) == 1
    with pytest.raises(ValueError):
        vt.add_decision_line(ax, [1.0, 2.0, 3.0], 0.0)


def test_draw_network() -> None:
    layers = [
        (np.array([[1.0, -1.0], [1.0, -1.0]]), np.array([-0.5, 1.5])),
        (np.array([[1.0], [1.0]]), np.array([-1.5])),
    ]
    fig = vt.draw_network(layers, layer_names=[["OR", "NAND"]], activation="step")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "OR" in texts and "NAND" in texts and "b=-1.5" in texts and "-1" in texts
    big = vt.draw_network([(np.ones((12, 3)), np.zeros(3))])  # wide layer: no numbers
    assert not any(t.get_text().startswith("b=") for t in big.axes[0].texts)
    with pytest.raises(ValueError, match="inputs"):
        vt.draw_network([(np.ones((2, 3)), np.zeros(3)), (np.ones((2, 1)), np.zeros(1))])
    with pytest.raises(ValueError, match="empty"):
        vt.draw_network([])
