import numpy as np
import pytest

from dlcourse.explorer.optimizers import make_optimizer
from dlcourse.explorer.run import run
from dlcourse.explorer.schedules import make_schedule
from dlcourse.explorer.surfaces import make_surface


def test_run_records_a_consistent_trajectory():
    traj = run("quadratic", {"name": "momentum", "lr": 0.1}, n_steps=50)
    assert traj.n_taken == 50 and not traj.diverged
    assert traj.points.shape == (51, 2) and traj.losses.shape == (51,)
    assert np.allclose(np.diff(traj.points, axis=0), traj.steps)
    surf = make_surface("quadratic")
    assert np.allclose(traj.grads, surf.grad(traj.points[:-1]))
    assert np.allclose(traj.losses, surf.f(traj.points))
    assert np.all(np.isfinite(traj.velocity)) and np.all(np.isnan(traj.second_moment))
    assert traj.losses[-1] < traj.losses[0]


def test_run_matches_stepping_the_optimizer_by_hand():
    surf = make_surface("rosenbrock")
    opt = make_optimizer("adam", lr=0.05)
    p, state = surf.default_start.astype(float), opt.init(surf.default_start)
    for _ in range(30):
        p, state, _ = opt.step(p, surf.grad(p), state)
    assert np.allclose(run(surf, opt, n_steps=30).points[-1], p, rtol=0, atol=1e-14)


def test_gd_converges_below_two_over_lambda_max_and_is_cut_where_it_diverges():
    surf = make_surface("quadratic", condition_number=10)
    lam_min, lam_max = surf.eigenvalues
    good = run(surf, {"name": "sgd", "lr": 2 / (lam_min + lam_max)}, n_steps=200)
    assert not good.diverged and good.losses[-1] < 1e-12
    bad = run(surf, {"name": "sgd", "lr": 2.2 / lam_max}, n_steps=2000)
    assert bad.diverged and 0 < bad.diverged_at < 2000
    assert np.all(np.isfinite(bad.points)) and len(bad.points) == bad.n_taken + 1
    assert np.all(np.diff(bad.losses[5:]) > 0)  # grows geometrically until cut


def test_schedule_sets_each_steps_lr():
    sched = make_schedule("cosine", 0.1, T_max=40)
    traj = run("quadratic", {"name": "sgd", "lr": 0.1}, n_steps=40, schedule=sched)
    assert np.allclose(traj.lrs, sched.lrs(40))
    traj2 = run("quadratic", {"name": "sgd", "lr": 0.1}, n_steps=40, schedule={"name": "cosine", "T_max": 40})
    assert np.array_equal(traj.points, traj2.points)


def test_gradient_noise_is_seeded():
    a = run("quadratic", "sgd", n_steps=20, noise=0.5, seed=1)
    b = run("quadratic", "sgd", n_steps=20, noise=0.5, seed=1)
    c = run("quadratic", "sgd", n_steps=20, noise=0.5, seed=2)
    clean = run("quadratic", "sgd", n_steps=20)
    assert np.array_equal(a.points, b.points) and not np.array_equal(a.points, c.points)
    assert not np.array_equal(a.points, clean.points)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="n_steps"):
        run("quadratic", "sgd", n_steps=-1)
    with pytest.raises(ValueError, match="noise"):
        run("quadratic", "sgd", noise=-1.0)
    with pytest.raises(ValueError):
        run("no-such-surface", "sgd")
    with pytest.raises(ValueError):
        run("quadratic", "no-such-optimizer")


def test_a_start_where_the_loss_overflows_is_kept_and_marked():
    traj = run("rosenbrock", "adam", n_steps=10, start=(1e200, 1e200))
    assert traj.diverged_at == 0 and traj.n_taken == 0 and traj.points.shape == (1, 2)


def test_zero_steps_is_a_valid_run():
    traj = run("beale", "sgd", n_steps=0)
    assert traj.n_taken == 0 and not traj.diverged and traj.points.shape == (1, 2)


def test_learner_optimizers_drive_runs_safely():
    from dlcourse.explorer.optimizers import learner_optimizer

    class Heavy:  # the object protocol, with diagnostics
        def init(self, params):
            return {"v": np.zeros_like(params)}

        def step(self, params, grad, state, lr):
            v = 0.5 * state["v"] + grad
            return params - lr * v, {"v": v}, {"velocity": v}

    mine = run("quadratic", learner_optimizer(Heavy(), lr=0.1, name="heavy"), n_steps=30)
    torch_like = run("quadratic", {"name": "momentum", "lr": 0.1, "momentum": 0.5}, n_steps=30)
    assert np.allclose(mine.points, torch_like.points, atol=1e-12) and np.isfinite(mine.velocity).all()

    def vandal(params, grad, state, lr):  # changes its input in place: the run's records stay intact
        params -= lr * grad
        return params, state

    assert np.array_equal(run("quadratic", learner_optimizer(vandal, lr=0.1), n_steps=20).points,
                          run("quadratic", {"name": "sgd", "lr": 0.1}, n_steps=20).points)
    with pytest.raises(ValueError, match="shape"):
        run("quadratic", learner_optimizer(lambda p, g, s, lr: (p[:1], s), lr=0.1), n_steps=3)
    with pytest.raises(TypeError, match="must return"):
        run("quadratic", learner_optimizer(lambda p, g, s, lr: p, lr=0.1), n_steps=3)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw"])
def test_a_race_records_what_each_optimizers_step_gives(name):
    """The race's inner loop takes the optimizers' short path; it records what ``step`` and its diag give."""
    from dlcourse.explorer.run import run_race

    surf = make_surface("rosenbrock")
    opt = make_optimizer(name, lr=2e-3, **({"weight_decay": 0.1} if name != "adamw" else {}))
    sched = make_schedule("cosine", 2e-3, T_max=40)
    traj = run_race(surf, [opt, "adam"], n_steps=40, schedules=[sched, None], noise=0.1, seed=3)[0]
    p, state = surf.default_start.astype(float), opt.init(surf.default_start)
    noise = 0.1 * np.random.default_rng(3).standard_normal((40, 2))
    for t, lr in enumerate(sched.lrs(40)):
        p, state, diag = opt.step(p, surf.grad(p) + noise[t], state, lr=lr)
        assert np.array_equal(traj.points[t + 1], p)
        for key in ("effective_lr", "velocity", "second_moment"):
            expected = np.full(2, np.nan) if diag[key] is None else np.broadcast_to(diag[key], (2,))
            assert np.array_equal(getattr(traj, key)[t], expected, equal_nan=True), (key, t)
