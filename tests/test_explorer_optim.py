"""The explorer's numpy optimizers and schedules against torch.optim, step for step, in float64."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch

from dlcourse.explorer.optimizers import OPTIMIZERS, make_optimizer, optimizer_names, to_torch_code
from dlcourse.explorer.schedules import SCHEDULES, make_schedule, schedule_names

STEPS = 200
P0 = np.array([[-1.5, 2.0], [0.5, -0.8], [1.2, 1.1]])  # three starting points: params of shape (3, 2)


def rosenbrock_grad(p: np.ndarray, b: float = 10.0) -> np.ndarray:
    """Gradient of (1 - x)² + b (y - x²)², vectorized over the leading axes of p = (..., 2)."""
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], axis=-1)


def torch_trajectory(name: str, hp: dict, steps: int = STEPS, lrs: np.ndarray | None = None) -> np.ndarray:
    """torch.optim's iterates (single-tensor code path) on rosenbrock_grad; lrs overrides group["lr"]."""
    p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    opt = eval(to_torch_code(make_optimizer(name, **hp), "[p]"))
    for group in opt.param_groups:
        group["foreach"] = False
    out = []
    for t in range(steps):
        if lrs is not None:
            opt.param_groups[0]["lr"] = float(lrs[t])
        p.grad = torch.from_numpy(rosenbrock_grad(p.detach().numpy()))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def numpy_trajectory(name: str, hp: dict, steps: int = STEPS, lrs: np.ndarray | None = None) -> np.ndarray:
    opt = make_optimizer(name, **hp)
    p, state, out = P0.copy(), opt.init(P0), []
    for t in range(steps):
        p, state, _ = opt.step(p, rosenbrock_grad(p), state, lr=None if lrs is None else lrs[t])
        out.append(p)
    return np.array(out)


CONFIGS = [(name, {}) for name in OPTIMIZERS] + [
    ("sgd", {"lr": 5e-3, "weight_decay": 0.1, "maximize": False}),
    ("momentum", {"lr": 2e-3, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("nesterov", {"lr": 2e-3, "momentum": 0.95, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.02, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("rmsprop", {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "centered": True, "momentum": 0.7, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 3e-3, "centered": True}),
    ("rmsprop", {"lr": 3e-3, "momentum": 0.5}),
    ("adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.1}),
    ("adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("adam", {"lr": 0.01, "betas": (0.6, 0.9), "maximize": True}),  # beta1 < 0.5: torch.lerp's other branch
    ("adamw", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
]


@pytest.mark.parametrize(("name", "hp"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch_step_for_step(name: str, hp: dict) -> None:
    ours, theirs = numpy_trajectory(name, hp), torch_trajectory(name, hp)
    assert np.isfinite(theirs).all() and np.abs(theirs[-1] - P0).max() > 1e-3  # a real, finite trajectory
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["momentum", "adamw", "rmsprop"])
def test_scheduled_lr_matches_torch(name: str) -> None:
    lrs = make_schedule("warmup_cosine", 0.01, warmup_steps=20, total_steps=STEPS).lrs(STEPS)
    np.testing.assert_allclose(numpy_trajectory(name, {}, lrs=lrs), torch_trajectory(name, {}, lrs=lrs), atol=1e-12)


def test_registry_defaults_are_torchs() -> None:
    assert optimizer_names() == list(OPTIMIZERS)
    for name in OPTIMIZERS:
        cls = getattr(torch.optim, TORCH_CLASSES[name])
        torch_defaults = {k: v.default for k, v in inspect.signature(cls).parameters.items()}
        ours = dict(OPTIMIZERS[name])
        if name in ("momentum", "nesterov"):
            assert ours.pop("momentum") == 0.9
            assert ours.pop("nesterov") == (name == "nesterov")
        for key, value in ours.items():
            assert torch_defaults[key] == value, (name, key)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_diagnostics_and_purity(name: str) -> None:
    opt = make_optimizer(name, weight_decay=0.1)
    p, state = P0.copy(), opt.init(P0)
    for _ in range(5):
        grad = rosenbrock_grad(p)
        p_before, g_before = p.copy(), grad.copy()
        state_before = {k: v.copy() for k, v in state.items()}
        new, new_state, diag = opt.step(p, grad, state)
        np.testing.assert_array_equal(p, p_before)  # inputs untouched
        np.testing.assert_array_equal(grad, g_before)
        assert all(np.array_equal(state[k], state_before[k]) for k in state)
        np.testing.assert_array_equal(diag["step"], new - p)
        expected = -diag["effective_lr"] * diag["direction"]
        if name == "adamw":
            expected = expected - opt.lr * 0.1 * p
        np.testing.assert_allclose(diag["step"], expected, rtol=1e-12, atol=1e-15)
        assert diag["effective_lr"].shape == p.shape and diag["lr"] == opt.lr
        p, state = new, new_state
    assert int(state["t"]) == 5


def test_effective_lr_sgd() -> None:
    p, g = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    opt = make_optimizer("sgd", lr=0.1)
    new, _, diag = opt.step(p, g, opt.init(p), lr=0.05)
    np.testing.assert_array_equal(diag["effective_lr"], [0.05, 0.05])
    np.testing.assert_allclose(new, p - 0.05 * g)
    assert diag["velocity"] is None and diag["second_moment"] is None and diag["lr"] == 0.05
    mom = make_optimizer("momentum", lr=0.1)
    _, state, diag = mom.step(p, g, mom.init(p))
    np.testing.assert_array_equal(diag["velocity"], g)  # torch: the buffer starts at the first gradient
    _, _, diag = mom.step(p, g, state)
    np.testing.assert_allclose(diag["velocity"], 1.9 * g)
    np.testing.assert_allclose(diag["step"], -0.1 * 1.9 * g)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_effective_lr_adam(amsgrad: bool) -> None:
    opt = make_optimizer("adam", lr=0.1, amsgrad=amsgrad)
    p, state = np.array([1.0, -2.0]), None
    state, v_max = opt.init(p), np.zeros(2)
    for t, g in enumerate([np.array([3.0, -1.0]), np.array([0.1, 2.0]), np.array([-0.2, 0.1])], start=1):
        p_new, state, diag = opt.step(p, g, state)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        v_max = np.maximum(v_max, v) if amsgrad else v
        eff = 0.1 / (np.sqrt(v_max / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(diag["effective_lr"], eff, rtol=1e-14)
        np.testing.assert_allclose(diag["direction"], m / (1 - 0.9**t), rtol=1e-14)
        np.testing.assert_array_equal(diag["velocity"], m)
        np.testing.assert_array_equal(diag["second_moment"], v)
        np.testing.assert_allclose(p_new - p, -eff * m / (1 - 0.9**t), rtol=1e-14)
        p = p_new


TORCH_CLASSES = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop"}
TORCH_CLASSES |= {"adadelta": "Adadelta", "adam": "Adam", "adamw": "AdamW"}

BAD_HYPERPARAMS = [
    ("sgd", {"lr": -0.1}),
    ("sgd", {"momentum": -0.5}),
    ("sgd", {"weight_decay": -1.0}),
    ("sgd", {"nesterov": True}),  # nesterov without momentum
    ("nesterov", {"dampening": 0.1}),
    ("adam", {"betas": (1.0, 0.999)}),
    ("adam", {"betas": (0.9, -0.1)}),
    ("adamw", {"eps": -1e-8}),
    ("adagrad", {"lr_decay": -0.1}),
    ("adagrad", {"initial_accumulator_value": -1.0}),
    ("rmsprop", {"alpha": -0.9}),
    ("adadelta", {"rho": 1.5}),
]


@pytest.mark.parametrize(("name", "hp"), BAD_HYPERPARAMS)
def test_bad_hyperparameters_raise_like_torch(name: str, hp: dict) -> None:
    with pytest.raises(ValueError):
        make_optimizer(name, **hp)
    cls = getattr(torch.optim, TORCH_CLASSES[name])
    kwargs = {**hp, "nesterov": True, "momentum": 0.9} if name == "nesterov" else hp
    with pytest.raises(ValueError):
        cls([torch.zeros(2, requires_grad=True)], **kwargs)


def test_bad_names_and_args() -> None:
    for call in (
        lambda: make_optimizer("adamax"),
        lambda: make_optimizer("adam", momentum=0.9),
        lambda: make_optimizer("adam", betas=(0.9,)),
        lambda: make_optimizer("sgd").step(np.zeros(2), np.zeros(3), {"t": np.array(0)}),
        lambda: make_optimizer("sgd").step(np.zeros(2), np.zeros(2), {"t": np.array(0)}, lr=-1.0),
    ):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize(("name", "hp"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_to_torch_code_builds_the_optimizer(name: str, hp: dict) -> None:
    opt = make_optimizer(name, **hp)
    code = to_torch_code(opt)
    assert code.startswith("torch.optim.")
    built = eval(code, {"torch": torch, "params": [torch.zeros(2, requires_grad=True)]})
    group = built.param_groups[0]
    for key, value in opt.hyperparams.items():
        assert group[key] == value, (code, key)


# --------------------------------------------------------------------------- schedules


def torch_lrs(make_scheduler, base_lr: float, n: int) -> np.ndarray:
    """The lr of each of n optimizer steps, with scheduler.step() after each optimizer.step()."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            out.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if len(out) < n:
                scheduler.step()
    return np.array(out)


LS = torch.optim.lr_scheduler
SCHEDULE_CASES = [
    ("constant", {}, lambda o: LS.LambdaLR(o, lambda t: 1.0), 150),
    ("step", {"step_size": 7, "gamma": 0.5}, lambda o: LS.StepLR(o, 7, gamma=0.5), 150),
    ("step", {}, lambda o: LS.StepLR(o, 30), 150),
    ("exponential", {"gamma": 0.97}, lambda o: LS.ExponentialLR(o, 0.97), 300),
    ("cosine", {"T_max": 50}, lambda o: LS.CosineAnnealingLR(o, 50), 230),  # past T_max: torch's restarts
    ("cosine", {"T_max": 120, "eta_min": 1e-3}, lambda o: LS.CosineAnnealingLR(o, 120, eta_min=1e-3), 300),
    (
        "warmup_cosine",
        {"warmup_steps": 15, "total_steps": 120, "start_factor": 0.1, "eta_min": 1e-4},
        lambda o: LS.SequentialLR(
            o, [LS.LinearLR(o, 0.1, 1.0, total_iters=15), LS.CosineAnnealingLR(o, 105, eta_min=1e-4)], [15]
        ),
        200,
    ),
    (
        "warmup_cosine",
        {},
        lambda o: LS.SequentialLR(o, [LS.LinearLR(o, 1 / 3, 1.0, total_iters=10), LS.CosineAnnealingLR(o, 90)], [10]),
        120,
    ),
    ("onecycle", {"total_steps": 150}, lambda o: LS.OneCycleLR(o, 0.05, 150, cycle_momentum=False), 151),
    (
        "onecycle",
        {"total_steps": 120, "max_lr": 0.2, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0},
        lambda o: LS.OneCycleLR(o, 0.2, 120, pct_start=0.25, div_factor=10, final_div_factor=100, cycle_momentum=False),
        121,
    ),
    (
        "onecycle",
        {"total_steps": 110, "three_phase": True, "anneal_strategy": "linear"},
        lambda o: LS.OneCycleLR(o, 0.05, 110, three_phase=True, anneal_strategy="linear", cycle_momentum=False),
        111,
    ),
]


@pytest.mark.parametrize(("name", "params", "make_torch", "n"), SCHEDULE_CASES)
def test_schedule_matches_torch(name: str, params: dict, make_torch, n: int) -> None:
    schedule = make_schedule(name, 0.05, **params)
    expected = torch_lrs(make_torch, 0.05, n)
    np.testing.assert_allclose(schedule.lrs(n), expected, rtol=1e-12, atol=0)
    from_code = torch_lrs(
        lambda optimizer: eval(schedule.to_torch_code(), {"torch": torch, "optimizer": optimizer}), 0.05, n
    )
    np.testing.assert_allclose(from_code, expected, rtol=1e-12, atol=0)
    for t in (0, 1, n // 2, n - 1):
        assert schedule.lr_at(t) == schedule.lrs(n)[t]


def test_schedule_registry_and_errors() -> None:
    assert schedule_names() == list(SCHEDULES)
    bad = [
        ("linear", {}),
        ("step", {"step_size": 0}),
        ("step", {"step_size": 2.5}),
        ("step", {"gamma": -0.1}),
        ("cosine", {"T_max": 0}),
        ("cosine", {"eta_min": -1.0}),
        ("cosine", {"T_mx": 10}),
        ("warmup_cosine", {"warmup_steps": 100, "total_steps": 100}),
        ("warmup_cosine", {"start_factor": 0.0}),
        ("onecycle", {"pct_start": 1.5}),
        ("onecycle", {"anneal_strategy": "poly"}),
        ("onecycle", {"total_steps": 10, "pct_start": 0.1}),  # empty warm-up: torch divides by zero
    ]
    for name, params in bad:
        with pytest.raises(ValueError):
            make_schedule(name, 0.1, **params)
    with pytest.raises(ValueError):
        make_schedule("constant", -0.1)
    with pytest.raises(ValueError):
        make_schedule("onecycle", 0.1, total_steps=50).lrs(52)  # torch: "Tried to step 51 times"
