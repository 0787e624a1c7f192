"""Headless tests of dlcourse.viz.week4.vgg_inception_resnet (week 4, notebook 3): the diagrams, the
receptive-field figures and explorer, and the plots of gradient norms and training curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week4 import vgg_inception_resnet as va
from dlcourse.widgets import figure_to_png


def _window(layers, index=0):
    """A stand-in for the learner's receptive_field_window (the tests need one to draw)."""
    first, size, jump = 0, 1, 1
    for k, s, d, p in layers:
        first -= p * jump
        size += d * (k - 1) * jump
        jump *= s
    first += index * jump
    return first, first + size - 1


def test_architecture_diagrams() -> None:
    fig = va.plot_architecture_blocks()
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "VGG" in titles and "Inception" in titles and "Residual" in titles
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "concatenate" in texts and "5x5 conv" in texts and "shortcut" in texts
    assert len(figure_to_png(fig)) > 5000


@pytest.mark.parametrize("layers", [[(3, 1, 1)], [(3, 1, 1), (3, 1, 1)], [(3, 2, 1), (2, 2, 1), (5, 1, 2)],
                                    [(1, 2, 1), (3, 1, 3)], [(4, 3, 2), (2, 1, 1)]])
def test_path_profile_is_the_gradient_of_a_stack_of_ones(layers) -> None:
    x = torch.ones(1, 1, 200, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, d in layers:
        y = torch.nn.functional.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    y[0, 0, 0].backward()
    grad = x.grad[0, 0].numpy()
    profile = va._path_profile(layers)
    np.testing.assert_array_equal(profile, grad[: len(profile)])
    assert not grad[len(profile):].any() and profile[0] > 0 and profile[-1] > 0


def test_receptive_field_panels_use_the_given_window_function() -> None:
    stacks = {"two 3x3": [(3, 1, 1, 1)] * 2, "stride 2": [(3, 2, 1, 1)] * 3}
    fig = va.plot_receptive_fields(_window, stacks)
    assert len(fig.axes) == 2
    sizes = [[p.get_width() for p in ax.patches if p.get_visible()] for ax in fig.axes]
    assert sizes == [[3, 5], [3, 7, 15]]
    assert "field 15x15" in fig.axes[1].get_title()
    image = np.asarray(fig.axes[0].images[0].get_array())
    assert image.shape == (5, 5) and image[2, 2] == image.max() == 1.0  # the centre has the most paths

    def wrong(layers, index=0):  # a window function that ignores dilation: the squares follow it
        return _window([(k, s, 1, p) for k, s, _, p in layers], index)

    fig = va.plot_receptive_fields(wrong, {"dilated": [(3, 1, 2, 2)]})
    assert [p.get_width() for p in fig.axes[0].patches if p.get_visible()] == [3]
    with pytest.raises(ValueError):
        va.plot_receptive_fields(_window, {})
    with pytest.raises(ValueError):
        va.plot_receptive_fields(_window, {"empty": []})


def test_explorer_redraws_on_every_control_and_shows_the_table() -> None:
    w = va.receptive_field_explorer(_window)
    assert_each_change_redraws(w, [("n_layers", 4), ("kernel", 5), ("stride", 2), ("dilation", 0),
                                   ("n_layers", 6), ("kernel", 7), ("dilation", 2), ("stride", 1)])
    fig = w.draw(n_layers=3, kernel=3, stride=1, dilation=1)
    assert "receptive field 7x7" in fig.axes[0].get_title()
    assert [p.get_width() for p in fig.axes[0].patches if p.get_visible()] == [3, 5, 7]
    assert "7 x 7" in w.table.value and "27" in w.table.value and "49" in w.table.value
    fig = w.draw(n_layers=6, kernel=7, stride=2, dilation=0)  # a field of thousands of pixels, binned
    assert w.last_error is None and fig.axes[0].images[0].get_array().shape[0] <= 120
    assert w.image in w.widget.children[-2].children  # the figure and the table side by side


def test_explorer_shows_an_error_of_the_window_function() -> None:
    def broken(layers, index=0):
        raise NotImplementedError("TODO")

    w = va.receptive_field_explorer(broken)
    assert w.last_error is not None and "NotImplementedError" in w.last_error
    assert "NotImplementedError" in w.error.value


def test_explorer_latency() -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    w = va.receptive_field_explorer(_window)
    changes = [("n_layers", n) for n in (3, 4, 5, 6, 1, 2)] + [("kernel", k) for k in (5, 7, 1, 3)]
    changes += [("stride", 2), ("dilation", 2), ("dilation", 0), ("n_layers", 6), ("kernel", 7), ("stride", 1),
                ("dilation", 1)]
    times = time_changes(w, changes, "receptive-field explorer")
    assert math.isfinite(max(times))


def test_grad_norm_and_training_plots() -> None:
    norms = {"plain": [1e-9, 1e-6, 1e-3], "residual": [0.5, 0.4, 0.3]}
    fig = va.plot_grad_norms(norms, title="t")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and [line.get_label() for line in ax.lines] == ["plain", "residual"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), norms["plain"])
    with pytest.raises(ValueError):
        va.plot_grad_norms({})
    with pytest.raises(ValueError):
        va.plot_grad_norms({"x": []})
    losses = {"a": list(np.linspace(2.0, 0.1, 50)), "b": [2.3] * 50}
    fig = va.plot_training_curves(losses, window=10)
    lines = fig.axes[0].lines
    assert len(lines) == 2 and len(lines[0].get_xdata()) == 41 and lines[0].get_xdata()[0] == 10
    np.testing.assert_allclose(lines[1].get_ydata(), 2.3)
    np.testing.assert_allclose(lines[0].get_ydata()[0], np.mean(losses["a"][:10]))
    assert len(va.plot_training_curves({"short": [1.0, 0.5]}, window=10).axes[0].lines[0].get_xdata()) == 1
    with pytest.raises(ValueError):
        va.plot_training_curves({})
    with pytest.raises(ValueError):
        va.plot_training_curves(losses, window=0)
