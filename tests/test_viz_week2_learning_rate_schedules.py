"""Headless tests of dlcourse.viz.week2.learning_rate_schedules (week 2, notebook 3:
learning-rate schedules and warm-up)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week2 import learning_rate_schedules as vs


# Closed forms used only to feed the plots (the notebook's exercises; never part of the package).
def _step(t, base_lr, step_size, gamma=0.1):
    return base_lr * gamma ** (np.asarray(t) // step_size)


def _exp(t, base_lr, gamma):
    return base_lr * gamma ** np.asarray(t, dtype=float)


def _cos(t, base_lr, T_max, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * np.asarray(t, dtype=float) / T_max)) / 2


def _warm(t, base_lr, w, total, start_factor=1 / 3, eta_min=0.0):
    t = np.asarray(t, dtype=float)
    return np.where(t < w, base_lr * (start_factor + (1 - start_factor) * t / w),
                    _cos(t - w, base_lr, total - w, eta_min))


def test_predicted_noise_floor_matches_simulation():
    eig = (0.1, 1.0)
    for lr in (0.5, 0.1):
        predicted = vs.predicted_noise_floor(lr, eig, 0.3)
        assert predicted == pytest.approx(sum(lr * 0.09 / (2 * (2 - lr * lam)) for lam in eig))
        simulated = vs.noisy_sgd_losses(np.full(3000, lr), noise=0.3, n_seeds=64)[-1500:].mean()
        assert simulated == pytest.approx(predicted, rel=0.1)
    assert vs.predicted_noise_floor(2.5, eig, 0.3) == float("inf")  # unstable: lr * λmax >= 2
    assert vs.predicted_noise_floor(0.1, eig, 0.0) == 0.0
    with pytest.raises(ValueError):
        vs.predicted_noise_floor(-0.1, eig, 0.3)
    with pytest.raises(ValueError):
        vs.predicted_noise_floor(0.1, (0.0, 1.0), 0.3)


def test_noisy_sgd_losses_without_noise_is_gradient_descent():
    losses = vs.noisy_sgd_losses(np.full(50, 0.5), noise=0.0, n_seeds=3, start=(0.0, 1.0))
    assert losses.shape == (51,)
    # along y (λmax = 1) each step multiplies x by (1 - 0.5), so the loss by 0.25
    np.testing.assert_allclose(losses, 0.5 * 0.25 ** np.arange(51), rtol=1e-12)
    a = vs.noisy_sgd_losses(np.full(20, 0.1), noise=0.3, seed=1)
    np.testing.assert_array_equal(a, vs.noisy_sgd_losses(np.full(20, 0.1), noise=0.3, seed=1))
    assert not np.array_equal(a, vs.noisy_sgd_losses(np.full(20, 0.1), noise=0.3, seed=2))


def test_noise_floor_figure():
    fig = vs.noise_floor_figure(lrs=(0.5, 0.05), n_steps=100, n_seeds=4)
    assert isinstance(fig, Figure)
    left, right = fig.axes[:2]
    assert len(right.lines) == 3  # two constant lrs and the cosine
    assert len(left.lines) == 3 + 2  # three loss curves and a dashed floor per constant lr
    np.testing.assert_allclose(right.lines[2].get_ydata()[[0, -1]], [0.5, 0.5 * (1 + np.cos(np.pi * 99 / 100)) / 2])
    assert left.get_yscale() == "log"


def test_plot_schedules_lines_and_reference():
    t = np.arange(50)
    fig = vs.plot_schedules({"a": _step(t, 0.1, 10, 0.5), "b": _exp(t, 0.1, 0.9)}, reference={"a": _step(t, 0.1, 10)},
                            logy=True, title="x")
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_yscale() == "log" and ax.get_title() == "x"
    solid = [ln for ln in ax.lines if ln.get_linestyle() == "-"]
    dots = [ln for ln in ax.lines if ln.get_marker() == "o" and len(ln.get_xdata())]
    assert len(solid) == 2 and len(dots) == 1
    np.testing.assert_allclose(solid[1].get_ydata(), _exp(t, 0.1, 0.9))
    assert "torch.optim.lr_scheduler" in [txt.get_text() for txt in ax.get_legend().get_texts()]
    with pytest.raises(ValueError):
        vs.plot_schedules({})


def test_draw_schedules_calls_each_function_with_its_parameters():
    fns = {"step_lr": _step, "exponential_lr": _exp, "cosine_lr": _cos, "warmup_cosine_lr": _warm}
    fig = vs.draw_schedules(fns, total_steps=100, base_lr=0.2, step_size=25, step_gamma=0.5, exp_gamma=0.97,
                            warmup_steps=10, start_factor=0.5, eta_min=0.1)
    lines = {ln.get_label(): ln.get_ydata() for ln in fig.axes[0].lines}
    t = np.arange(101)
    np.testing.assert_allclose(lines["step_lr"], _step(t, 0.2, 25, 0.5))
    np.testing.assert_allclose(lines["exponential_lr"], _exp(t, 0.2, 0.97))
    np.testing.assert_allclose(lines["cosine_lr"], _cos(t, 0.2, 100, 0.02))
    np.testing.assert_allclose(lines["warmup_cosine_lr"], _warm(t, 0.2, 10, 100, 0.5, 0.02))
    with pytest.raises(ValueError):
        vs.draw_schedules({"nope": _step})
    with pytest.raises(ValueError):
        vs.draw_schedules({"cosine_lr": _cos}, total_steps=50, warmup_steps=50)


def test_schedule_playground_redraws_and_shows_errors():
    pg = vs.schedule_playground(step_lr=_step, cosine_lr=_cos)
    assert pg.last_error is None and pg.draw_count == 1
    pg.controls["total_steps"].value = 300
    pg.controls["logy"].value = True
    assert pg.last_error is None and pg.draw_count == 3
    assert len(pg.image.value) > 1000  # a PNG

    def broken(t, base_lr, step_size, gamma=0.1):
        raise NotImplementedError("TODO: implement `step_lr`")

    pg = vs.schedule_playground(step_lr=broken)
    assert pg.last_error is not None and "step_lr" in pg.error.value
    with pytest.raises(ValueError):
        vs.schedule_playground()


def test_plot_range_test_marks_minimum_and_steepest_fall():
    lrs = 1e-5 * 1.12 ** np.arange(100)
    losses = 2.3 / (1 + (lrs / 1e-3) ** 2) + 0.05 + np.where(lrs > 0.05, (lrs - 0.05) * 40, 0)
    fig = vs.plot_range_test(lrs, losses, smooth=1)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    vlines = [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() in ("--", ":")]
    best, steep = vlines
    assert best == pytest.approx(lrs[np.argmin(losses)])
    assert 3e-4 < steep < 3e-3  # the loss 2.3 / (1 + (lr/1e-3)²) falls fastest (in log lr) at lr = 1e-3
    with pytest.raises(ValueError):
        vs.plot_range_test(lrs, losses[:-1])
    with pytest.raises(ValueError):
        vs.plot_range_test(np.zeros(5), np.ones(5))


def test_plot_runs():
    hist = {"lr": [0.1, 0.2, 0.1], "loss": [1.0, 0.5, 0.1]}
    fig = vs.plot_runs({"constant": hist, "cosine": hist}, notes={"cosine": "acc 0.98"}, title="t")
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 2
    assert fig.axes[1].get_yscale() == "log"
    texts = [txt.get_text() for leg in fig.legends for txt in leg.get_texts()]
    assert texts == ["constant", "cosine (acc 0.98)"]
    with pytest.raises(ValueError):
        vs.plot_runs({})
