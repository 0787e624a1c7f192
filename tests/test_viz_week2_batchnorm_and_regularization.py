"""Headless tests of dlcourse.viz.week2.batchnorm_and_regularization: figures build with the right
content, widgets redraw on every control."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws

from dlcourse.viz.week2 import batchnorm_and_regularization as vr


def test_plot_normalization_reports_each_stage() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2)) * [3.0, 0.5] + [4.0, -1.0]
    x_hat = (x - x.mean(axis=0)) / x.std(axis=0)
    fig = vr.plot_normalization({"raw": x, "normalized": x_hat})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    raw_title, norm_title = (ax.get_title() for ax in fig.axes)
    assert raw_title.startswith("raw") and f"{x.mean(axis=0)[0]:.2f}" in raw_title
    assert "mean (0.00, 0.00), std (1.00, 1.00)" in norm_title  # no "-0.00"
    assert len(fig.axes[0].collections) == 1  # the scatter
    with pytest.raises(ValueError):
        vr.plot_normalization({"bad": np.zeros((5, 3))})
    with pytest.raises(ValueError):
        vr.plot_normalization({})


def test_dropout_masks_follow_the_rule_and_p() -> None:
    fig = vr.draw_dropout_masks(p=0.5, seed=3, layer_sizes=(3, 6, 5, 2), n_masks=2)
    assert len(fig.axes) == 2
    rng = np.random.default_rng(3)
    for ax in fig.axes:
        dropped = sum(int((~(rng.random(n) >= 0.5)).sum()) for n in (6, 5))
        assert ax.get_title().startswith("mini-batch") and f": {dropped} of 11 hidden" in ax.get_title()
    assert "1/(1-p) = 2.00" in fig._suptitle.get_text()
    none = vr.draw_dropout_masks(p=0.0, n_masks=1)
    assert ": 0 of 14 hidden units dropped" in none.axes[0].get_title()
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError):
            vr.draw_dropout_masks(p=bad)
    with pytest.raises(ValueError):
        vr.draw_dropout_masks(layer_sizes=(3, 2))


def test_l2_minimizer_is_the_minimum_of_the_penalized_quadratic() -> None:
    h, w_star, lam = np.array([0.2, 2.0]), np.array([2.0, 1.5]), 0.3
    w = vr.l2_minimizer(lam, h, w_star)
    grad = h * (w - w_star) + lam * w
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    np.testing.assert_allclose(vr.l2_minimizer(0.0, h, w_star), w_star)
    # the flat direction is shrunk more
    assert w[0] / w_star[0] < w[1] / w_star[1]


def test_draw_weight_decay_marks_the_penalized_minimum() -> None:
    fig = vr.draw_weight_decay(lam=0.3)
    assert len(fig.axes) == 2
    w = vr.l2_minimizer(0.3, (0.2, 2.0), (2.0, 1.5))
    assert f"({w[0]:.2f}, {w[1]:.2f})" in fig.axes[0].get_title()
    with pytest.raises(ValueError):
        vr.draw_weight_decay(lam=-1.0)
    with pytest.raises(ValueError):
        vr.draw_weight_decay(curvatures=(0.0, 1.0))


@pytest.mark.parametrize("make, changes", [
    (vr.weight_decay_explorer, [("lam", 0.01), ("lam", 10.0)]),
    (vr.dropout_explorer, [("p", 0.2), ("seed", 5), ("p", 0.8)]),
])
def test_explorers_redraw_on_every_control(make, changes) -> None:
    assert_each_change_redraws(make(), changes)


def _history(n: int, acc: bool = True) -> dict[str, list[float]]:
    t = np.arange(n)
    h = {"train_loss": list(np.exp(-0.1 * t) + 1e-3), "val_loss": list(0.5 + 0.01 * (t - 10) ** 2 / n)}
    if acc:
        h.update(train_acc=list(np.minimum(1.0, 0.6 + 0.02 * t)), val_acc=list(np.full(n, 0.9)))
    return h


def test_plot_runs_layout_and_titles() -> None:
    fig = vr.plot_runs({"a": _history(30), "b": _history(20)}, title="compare")
    assert len(fig.axes) == 4
    top_left = fig.axes[0]
    assert top_left.get_title().startswith("a\nloss: train")
    assert len(top_left.lines) == 2 and len(top_left.lines[0].get_xdata()) == 30
    assert top_left.lines[0].get_xdata()[0] == 0  # epochs from 0
    assert len(vr.plot_runs({"only losses": _history(10, acc=False)}).axes) == 1
    with pytest.raises(ValueError):
        vr.plot_runs({})
    with pytest.raises(ValueError):
        vr.plot_runs({"x": {"train_loss": [1.0]}})


def test_plot_early_stopping_marks_best_and_stop() -> None:
    h = _history(40)
    fig = vr.plot_early_stopping(h["val_loss"], best_epoch=10, stop_epoch=20, patience=10, train_losses=h["train_loss"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "best epoch 10 (weights restored)" in labels and "stop after epoch 20" in labels
    star = [ln for ln in ax.lines if ln.get_marker() == "*"][0]
    assert star.get_xdata()[0] == 10 and star.get_ydata()[0] == pytest.approx(h["val_loss"][10])
    # no faint "never trained" curve when training ran to the end
    full = vr.plot_early_stopping(h["val_loss"], 5, 39, 3)
    assert not any("never trained" in t.get_text() for t in full.axes[0].get_legend().get_texts())
    with pytest.raises(ValueError):
        vr.plot_early_stopping(h["val_loss"], 25, 20, 5)
    with pytest.raises(ValueError):
        vr.plot_early_stopping([], 0, 0, 1)
