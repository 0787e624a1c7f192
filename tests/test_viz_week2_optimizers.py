"""Headless tests of dlcourse.viz.week2.optimizers (week 2, notebook 2): the learner-optimizer
adapter, figures, widget."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.explorer.run import run
from dlcourse.explorer.surfaces import make_surface
from dlcourse.viz.week2 import optimizers as vo


def _sgd_step(params, grad, state, lr, weight_decay=0.0):
    return params - lr * (grad + weight_decay * params), state


def _counting_step(params, grad, state, lr, scale=1.0):
    state["calls"] = state.get("calls", 0) + 1
    return params - lr * scale * grad, state


def test_learner_optimizer_drives_run_like_the_package_optimizer() -> None:
    surface = make_surface("quadratic", condition_number=10, angle=30)
    mine = run(surface, vo.learner_optimizer(_sgd_step, lr=0.1, name="my sgd"), n_steps=40)
    ref = run(surface, {"name": "sgd", "lr": 0.1}, n_steps=40)
    np.testing.assert_allclose(mine.points, ref.points, rtol=0, atol=1e-12)
    assert mine.optimizer == "my sgd" and mine.n_taken == 40
    np.testing.assert_allclose(mine.steps, np.diff(mine.points, axis=0))
    decayed = run(surface, vo.learner_optimizer(_sgd_step, lr=0.1, weight_decay=0.5), n_steps=40)
    ref_decayed = run(surface, {"name": "sgd", "lr": 0.1, "weight_decay": 0.5}, n_steps=40)
    np.testing.assert_allclose(decayed.points, ref_decayed.points, rtol=0, atol=1e-12)


def test_learner_optimizer_passes_hyperparameters_state_and_schedule_lr() -> None:
    opt = vo.learner_optimizer(_counting_step, lr=0.5, scale=2.0)
    assert opt.lr == 0.5 and opt.hyperparams == {"lr": 0.5, "scale": 2.0}
    state = opt.init(np.zeros(2))
    assert state == {}
    p = np.array([1.0, -1.0])
    new, state, diag = opt.step(p, np.array([1.0, 1.0]), state, lr=0.1)  # the schedule's lr wins
    np.testing.assert_allclose(new, [0.8, -1.2])
    np.testing.assert_allclose(diag["step"], new - p)
    assert state["calls"] == 1 and diag["velocity"] is None
    np.testing.assert_array_equal(p, [1.0, -1.0])  # the adapter passes a copy


def test_learner_optimizer_rejects_a_wrong_return_value() -> None:
    opt = vo.learner_optimizer(lambda p, g, s, lr: p - lr * g, lr=0.1, name="bad")
    with pytest.raises(TypeError, match="bad: a step function must return"):
        opt.step(np.zeros(2), np.ones(2), {})


def test_plot_comparison_panels_labels_and_divergence() -> None:
    surface = make_surface("quadratic", condition_number=10)
    runs = {"GD": run(surface, {"name": "sgd", "lr": 0.5}, n_steps=30),
            "too fast": run(surface, {"name": "sgd", "lr": 2.5}, n_steps=200)}
    assert runs["too fast"].diverged
    fig = vo.plot_comparison(surface, runs, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["GD", "too fast"]
    assert any(line.get_marker() == "x" for line in fig.axes[0].lines)  # the red × where it diverged
    assert "diverged at step" in fig.axes[1].get_legend().get_texts()[1].get_text()
    fig3 = vo.plot_comparison(surface, runs, step_lengths=True)
    assert len(fig3.axes) == 3
    np.testing.assert_allclose(fig3.axes[2].lines[0].get_ydata(), np.linalg.norm(runs["GD"].steps, axis=1))
    with pytest.raises(ValueError):
        vo.plot_comparison(surface, {})
    with pytest.raises(ValueError):
        vo.plot_comparison(surface, {str(k): runs["GD"] for k in range(11)})


def test_plot_ema_bias_correction() -> None:
    fig = vo.plot_ema(beta1=0.9, beta2=0.999, noise=0.0, n_steps=200)
    ax_m, ax_r = fig.axes
    raw, corrected = ax_r.lines[0].get_ydata(), ax_r.lines[1].get_ydata()
    np.testing.assert_allclose(corrected, 1.0, rtol=1e-9)  # a constant gradient: Adam's ratio is exactly 1
    assert raw[0] == pytest.approx(0.1 / np.sqrt(0.001)) and raw.max() > 6  # uncorrected: 3.2 at t=1, ~6.4 later
    assert "uncorrected peak 6." in ax_r.get_title()
    np.testing.assert_allclose(ax_m.lines[2].get_ydata(), 1.0, rtol=1e-9)  # m_hat of a constant gradient
    plain = vo.plot_ema(bias_correction=False, n_steps=50)
    assert len(plain.axes[1].lines) == 2  # the raw ratio and the reference line only
    with pytest.raises(ValueError):
        vo.plot_ema(beta1=1.0)


def test_ema_explorer_redraws_on_every_control() -> None:
    w = vo.ema_explorer()
    assert w.last_error is None and w.draw_count == 1
    seen = {w.image.value}
    for name, value in [("beta1", 0.5), ("beta2", 0.9999), ("noise", 1.0), ("bias_correction", False)]:
        w.controls[name].value = value
        assert w.last_error is None
        seen.add(w.image.value)
    assert w.draw_count == 5 and len(seen) == 5


def test_plot_accumulators_adagrad_only_shrinks_rmsprop_recovers() -> None:
    fig = vo.plot_accumulators(n_steps=1200, drop_at=300)
    adagrad, rmsprop = (line.get_ydata() for line in fig.axes[0].lines[:2])
    assert np.all(np.diff(adagrad) <= 0)  # the sum only grows
    assert rmsprop[-1] > 20 * rmsprop[299]  # the moving average forgets the large early gradients
    assert adagrad[-1] == pytest.approx(adagrad[299], rel=0.05)


def test_plot_lookahead_draws_both_updates_from_the_same_state() -> None:
    surface = make_surface("quadratic", condition_number=100, angle=20)
    fig = vo.plot_lookahead(surface, lr=0.5, momentum=0.95, step=7)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    traj = run(surface, {"name": "momentum", "lr": 0.5, "momentum": 0.95}, n_steps=8)
    theta, carry = traj.points[7], 0.95 * (traj.points[7] - traj.points[6])
    hb_step = [a for a in fig.axes[0].texts if a.arrow_patch.get_edgecolor()[:3] == (0.0, 0.0, 0.0)][0]
    np.testing.assert_allclose(hb_step.xy, traj.points[8], atol=1e-12)  # the heavy ball's step is the run's
    nag_step = [a for a in fig.axes[1].texts if a.arrow_patch.get_edgecolor()[:3] == (0.0, 0.0, 0.0)][0]
    np.testing.assert_allclose(nag_step.xy, theta + carry - 0.5 * surface.grad(theta + carry), atol=1e-12)
    assert np.linalg.norm(np.subtract(nag_step.xy, theta)) < 0.5 * np.linalg.norm(traj.points[8] - theta)
    with pytest.raises(ValueError):
        vo.plot_lookahead(surface, lr=0.5, momentum=0.95, step=0)


def test_plot_step_directions_gd_and_sign_steps() -> None:
    surface = make_surface("quadratic", condition_number=50)
    fig = vo.plot_step_directions(surface, lr=0.5, n_grid=5)
    gd, sign = (next(c for c in ax.collections if hasattr(c, "U")) for ax in fig.axes)
    points = np.stack([gd.X, gd.Y], axis=-1).reshape(-1, 2)
    grads = surface.grad(points)
    np.testing.assert_allclose(np.stack([gd.U, gd.V], axis=-1).reshape(-1, 2), -0.5 * grads)
    np.testing.assert_allclose(np.abs(np.stack([sign.U, sign.V], axis=-1)).reshape(-1, 2)[grads != 0], 0.5)
