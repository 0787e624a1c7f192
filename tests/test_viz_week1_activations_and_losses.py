"""Headless tests of dlcourse.viz.week1.activations_and_losses: figures build, widgets redraw when a control changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws

from dlcourse.viz.week1 import activations_and_losses as va


@pytest.mark.parametrize("name", list(va.ACTIVATIONS))
def test_activation_and_derivative_match_closed_forms(name: str) -> None:
    x = np.array([-3.0, -0.5, 0.7, 2.0])
    f, df = va.activation_and_derivative(name, x)
    s = 1 / (1 + np.exp(-x))
    expected = {
        "sigmoid": (s, s * (1 - s)),
        "tanh": (np.tanh(x), 1 - np.tanh(x) ** 2),
        "ReLU": (np.maximum(x, 0), (x > 0).astype(float)),
        "leaky ReLU (slope 0.1)": (np.where(x > 0, x, 0.1 * x), np.where(x > 0, 1.0, 0.1)),
    }[name]
    np.testing.assert_allclose(f, expected[0], rtol=1e-12)
    np.testing.assert_allclose(df, expected[1], rtol=1e-12)


def test_unknown_activation_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown activation"):
        va.activation_and_derivative("swish", np.zeros(3))


def test_draw_activation_reports_saturation() -> None:
    small = va.draw_activation("sigmoid", weight_scale=0.1)
    large = va.draw_activation("sigmoid", weight_scale=20.0)
    assert isinstance(small, Figure) and len(small.axes) == 3
    # The histogram's title says how much of the layer is saturated: none at a small scale, most at a large one.
    assert "for 0% of a" in small.axes[2].get_title()
    frac = int(large.axes[2].get_title().split("for ")[1].split("%")[0])
    assert frac > 50
    with pytest.raises(ValueError):
        va.draw_activation("tanh", x_range=0.0)


def test_activation_explorer_redraws_on_every_control() -> None:
    assert_each_change_redraws(va.activation_explorer(), [("activation", "tanh"), ("x_range", 12.0),
                                                           ("weight_scale", 5.0), ("activation", "ReLU")])


def test_softmax_temperature_bars_use_the_given_softmax() -> None:
    calls: list[np.ndarray] = []

    def spy(z: np.ndarray) -> np.ndarray:
        calls.append(z)
        return torch.softmax(torch.as_tensor(z), dim=-1).numpy()

    fig = va.softmax_temperature_bars([1.0, 2.0, 0.0], temperatures=(0.5, 1.0, 4.0), softmax=spy)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    np.testing.assert_allclose(calls[0], [2.0, 4.0, 0.0])
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[1] == pytest.approx(max(heights)) and sum(heights) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        va.softmax_temperature_bars(np.zeros((2, 3)))


def test_temperature_explorer_redraws_and_shows_errors() -> None:
    w = va.temperature_explorer()
    before = w.image.value
    w.controls["temperature"].value = 0.1
    assert w.last_error is None and w.image.value != before and w.draw_count == 2
    assert "max p = 1.000" in va.draw_temperature(0.01).axes[1].get_title()

    def broken(z: np.ndarray) -> np.ndarray:
        raise NotImplementedError("TODO: implement `softmax`")

    bad = va.temperature_explorer(softmax=broken)
    assert bad.last_error is not None and "TODO: implement `softmax`" in bad.error.value
