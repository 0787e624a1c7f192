"""Optimizers of the gradient-descent explorer, in numpy, with ``torch.optim``'s exact update rules.

Each rule follows the single-tensor code path of ``torch.optim`` (``_single_tensor_sgd``,
``_single_tensor_adam``, ...) operation by operation, so that a numpy trajectory agrees with torch's
in float64 to rounding (about 1e-15; the tests require 1e-12 over 200 steps). Defaults are torch's,
except ``"momentum"`` and ``"nesterov"``, which are ``torch.optim.SGD`` with ``momentum=0.9``.

>>> opt = make_optimizer("adam", lr=0.1)
>>> state = opt.init(params)
>>> params, state, diag = opt.step(params, grad_fn(params), state)       # lr=... overrides opt.lr

The optimizer is immutable and ``step`` is pure: it never mutates ``params``, ``grad`` or ``state``.
``state`` is a dict of arrays; ``state["t"]`` counts the steps taken. ``diag`` holds:

- ``"step"``: ``new_params - params``.
- ``"direction"`` and ``"effective_lr"`` (an array like ``params``): ``step = -effective_lr * direction``,
  except AdamW, whose decoupled decay adds ``-lr * weight_decay * params`` to the step.

  ======================  ==============================================  =========================
  optimizer               effective_lr                                    direction
  ======================  ==============================================  =========================
  sgd/momentum/nesterov   ``lr``                                          ``g``, the momentum buffer
                                                                          ``b``, or ``g + μ b`` (Nesterov)
  adagrad                 ``lr / (1 + (t-1) lr_decay) / (sqrt(sum) + eps)``  ``g``
  rmsprop, momentum = 0   ``lr / (sqrt(v - ḡ²) + eps)`` (``ḡ = 0`` unless    ``g``
                          centered)
  rmsprop, momentum > 0   ``lr``                                          the buffer ``b`` (a momentum
                                                                          of ``g / (sqrt(v - ḡ²) + eps)``)
  adadelta                ``lr sqrt(u + eps) / sqrt(v + eps)`` (``u``: the   ``g``
                          accumulated squared updates before this step)
  adam/adamw              ``lr / (sqrt(v̂) + eps)``, ``v̂ = v / (1 - β₂ᵗ)``     ``m̂ = m / (1 - β₁ᵗ)``
                          (``v`` the running max with amsgrad)
  ======================  ==============================================  =========================

  Here ``g`` is the gradient after L2 weight decay (``g + weight_decay * params``; not for AdamW)
  and sign flip (``maximize``), and ``t`` the step number, counting from 1.
- ``"velocity"``: the momentum buffer or Adam's first moment ``m`` (None without one).
- ``"second_moment"``: AdaGrad's sum, RMSProp's and Adadelta's square average, Adam's ``v`` (None for SGD).
- ``"lr"``: the learning rate used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlcourse.explorer._registry import resolve

Array = NDArray[np.float64]
State = dict[str, Array]

__all__ = ["OPTIMIZERS", "LearnerOptimizer", "Optimizer", "learner_optimizer", "make_optimizer", "optimizer_names",
           "to_torch_code"]

_SGD = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False, "maximize": False}
_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "maximize": False}

OPTIMIZERS: dict[str, dict[str, Any]] = {
    "sgd": dict(_SGD),
    "momentum": {**_SGD, "momentum": 0.9},
    "nesterov": {**_SGD, "momentum": 0.9, "nesterov": True},
    "adagrad": {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
        "maximize": False,
    },
    "rmsprop": {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
        "maximize": False,
    },
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, "maximize": False},
    "adam": dict(_ADAM),
    "adamw": {**_ADAM, "weight_decay": 1e-2},
}
"""Optimizer name -> default hyperparameters (torch's; ``momentum=0.9`` for "momentum" and "nesterov")."""

_TORCH_CLASS = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
}


def optimizer_names() -> list[str]:
    """The names ``make_optimizer`` accepts, in registry order."""
    return list(OPTIMIZERS)


def _nonneg(hp: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if not 0.0 <= hp[key]:  # also rejects NaN
            raise ValueError(f"Invalid {key} value: {hp[key]} (must be >= 0)")


def _validate(name: str, hp: dict[str, Any]) -> None:
    """torch's constructor checks (plus NaN), as ValueError."""
    _nonneg(hp, "lr", "weight_decay")
    if name in ("sgd", "momentum", "nesterov"):
        _nonneg(hp, "momentum")
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    elif name == "adagrad":
        _nonneg(hp, "lr_decay", "initial_accumulator_value", "eps")
    elif name == "rmsprop":
        _nonneg(hp, "eps", "momentum", "alpha")
    elif name == "adadelta":
        _nonneg(hp, "eps")
        if not 0.0 <= hp["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {hp['rho']} (must be in [0, 1])")
    else:  # adam, adamw
        _nonneg(hp, "eps")
        for i, beta in enumerate(hp["betas"]):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


def _normalize(name: str, hp: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in hp.items():
        default = OPTIMIZERS[name][key]
        try:
            if isinstance(default, bool):
                out[key] = bool(value)
            elif isinstance(default, tuple):
                out[key] = tuple(float(v) for v in value)
                if len(out[key]) != len(default):
                    raise ValueError(f"{key} must have {len(default)} entries, got {value!r}")
            else:
                out[key] = float(value)
        except TypeError as err:
            raise ValueError(f"Invalid {key} value: {value!r}") from err
    return out


def make_optimizer(name: str, **hyperparams: Any) -> Optimizer:
    """The optimizer ``name`` (see ``OPTIMIZERS``) with torch's defaults overridden by ``hyperparams``.

    Raises ValueError for an unknown name or hyperparameter and for invalid values, as torch does.
    """
    key, merged = resolve(OPTIMIZERS, "optimizer", name, hyperparams)
    hp = _normalize(key, merged)
    _validate(key, hp)
    return Optimizer(key, hp)


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """``torch.lerp`` as its CPU kernel computes it."""
    return start + weight * (end - start) if weight < 0.5 else end - (end - start) * (1 - weight)


def _sgd(p: Array, g: Array, s: State, lr: float, hp: dict[str, Any]) -> tuple:
    mu = hp["momentum"]
    if mu == 0:
        return p - lr * g, s, None, None, lr, g
    buf = g.copy() if s["t"] == 1 else s["momentum_buffer"] * mu + (1 - hp["dampening"]) * g
    s["momentum_buffer"] = buf
    d = g + mu * buf if hp["nesterov"] else buf
    return p - lr * d, s, buf, None, lr, d


def _adagrad(p: Array, g: Array, s: State, lr: float, hp: dict[str, Any]) -> tuple:
    clr = lr / (1 + (float(s["t"]) - 1) * hp["lr_decay"])
    s["sum"] = s["sum"] + g * g
    std = np.sqrt(s["sum"]) + hp["eps"]
    return p - clr * (g / std), s, None, s["sum"], clr / std, g


def _rmsprop(p: Array, g: Array, s: State, lr: float, hp: dict[str, Any]) -> tuple:
    alpha, mu = hp["alpha"], hp["momentum"]
    s["square_avg"] = s["square_avg"] * alpha + (1 - alpha) * g * g
    if hp["centered"]:
        s["grad_avg"] = _lerp(s["grad_avg"], g, 1 - alpha)
        avg = np.sqrt(s["square_avg"] - s["grad_avg"] * s["grad_avg"]) + hp["eps"]
    else:
        avg = np.sqrt(s["square_avg"]) + hp["eps"]
    if mu > 0:
        s["momentum_buffer"] = s["momentum_buffer"] * mu + g / avg
        return p - lr * s["momentum_buffer"], s, s["momentum_buffer"], s["square_avg"], lr, s["momentum_buffer"]
    return p - lr * (g / avg), s, None, s["square_avg"], lr / avg, g


def _adadelta(p: Array, g: Array, s: State, lr: float, hp: dict[str, Any]) -> tuple:
    rho, eps = hp["rho"], hp["eps"]
    s["square_avg"] = s["square_avg"] * rho + (1 - rho) * g * g
    std = np.sqrt(s["square_avg"] + eps)
    delta = np.sqrt(s["acc_delta"] + eps) / std * g
    eff = lr * np.sqrt(s["acc_delta"] + eps) / std
    s["acc_delta"] = s["acc_delta"] * rho + (1 - rho) * delta * delta
    return p - lr * delta, s, None, s["square_avg"], eff, g


def _adam(p: Array, g: Array, s: State, lr: float, hp: dict[str, Any]) -> tuple:
    (beta1, beta2), t = hp["betas"], float(s["t"])
    s["exp_avg"] = _lerp(s["exp_avg"], g, 1 - beta1)
    s["exp_avg_sq"] = s["exp_avg_sq"] * beta2 + (1 - beta2) * g * g
    bias_correction1, bias_correction2 = 1 - beta1**t, 1 - beta2**t
    v = s["exp_avg_sq"]
    if hp["amsgrad"]:
        v = s["max_exp_avg_sq"] = np.maximum(s["max_exp_avg_sq"], v)
    denom = np.sqrt(v) / bias_correction2**0.5 + hp["eps"]
    new = p - lr / bias_correction1 * (s["exp_avg"] / denom)
    return new, s, s["exp_avg"], s["exp_avg_sq"], lr / denom, s["exp_avg"] / bias_correction1


_RULES = {
    "sgd": _sgd,
    "momentum": _sgd,
    "nesterov": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adadelta": _adadelta,
    "adam": _adam,
    "adamw": _adam,
}


@dataclass(frozen=True)
class Optimizer:
    """An immutable optimizer: ``name`` (a key of ``OPTIMIZERS``) and its full ``hyperparams``.

    Build it with ``make_optimizer``, which validates the hyperparameters.
    """

    name: str
    hyperparams: dict[str, Any]

    @property
    def lr(self) -> float:
        """The configured learning rate."""
        return float(self.hyperparams["lr"])

    def init(self, params: ArrayLike) -> State:
        """The state before the first step (zeros; AdaGrad's sum holds ``initial_accumulator_value``)."""
        zeros = np.zeros(np.shape(params), dtype=np.float64)
        hp, state = self.hyperparams, {"t": np.array(0, dtype=np.int64)}
        if self.name in ("sgd", "momentum", "nesterov") and hp["momentum"] != 0:
            state["momentum_buffer"] = zeros.copy()  # replaced by the first gradient, as in torch
        elif self.name == "adagrad":
            state["sum"] = np.full_like(zeros, hp["initial_accumulator_value"])
        elif self.name == "rmsprop":
            state["square_avg"] = zeros.copy()
            if hp["centered"]:
                state["grad_avg"] = zeros.copy()
            if hp["momentum"] > 0:
                state["momentum_buffer"] = zeros.copy()
        elif self.name == "adadelta":
            state.update(square_avg=zeros.copy(), acc_delta=zeros.copy())
        elif self.name in ("adam", "adamw"):
            state.update(exp_avg=zeros.copy(), exp_avg_sq=zeros.copy())
            if hp["amsgrad"]:
                state["max_exp_avg_sq"] = zeros.copy()
        return state

    def step(
        self, params: ArrayLike, grad: ArrayLike, state: State, lr: float | None = None
    ) -> tuple[Array, State, dict[str, Any]]:
        """One update: ``(new_params, new_state, diag)`` (see the module docstring for ``diag``).

        ``lr`` overrides the configured learning rate for this step (a schedule's value); like torch's
        ``group["lr"]`` it also scales AdamW's decoupled weight decay. Inputs are never mutated.
        """
        # No copies needed: the update rules never write into an array, they make new ones.
        p = np.asarray(params, dtype=np.float64)
        g = np.asarray(grad, dtype=np.float64)
        if p.shape != g.shape:
            raise ValueError(f"params and grad shapes differ: {p.shape} vs {g.shape}")
        lr = self.lr if lr is None else float(lr)
        new, s, velocity, second, eff, direction = self._update(p, g, state, lr)
        diag = {
            "step": new - p,
            "velocity": velocity,
            "second_moment": second,
            "effective_lr": eff if np.shape(eff) == new.shape else np.full(new.shape, eff, dtype=np.float64),
            "direction": direction,
            "lr": lr,
        }
        return new, s, diag

    def _update(self, p: Array, g: Array, state: State, lr: float) -> tuple:
        """``step`` without its checks of the arrays and without ``diag``, for a run's inner loop:
        ``(new_params, new_state, velocity, second_moment, effective_lr, direction)``, where
        ``effective_lr`` may be a float and ``velocity``/``second_moment`` None. ``p`` and ``g`` are
        float64 arrays of one shape."""
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        hp = self.hyperparams
        if hp["maximize"]:
            g = -g
        s = dict(state)  # a new dict of the same (never mutated) arrays: the caller's state stays as it was
        s["t"] = s["t"] + 1
        if hp["weight_decay"] != 0:
            if self.name == "adamw":
                p = p * (1 - lr * hp["weight_decay"])
            else:
                g = g + hp["weight_decay"] * p
        return _RULES[self.name](p, g, s, lr, hp)


def to_torch_code(opt: Optimizer, params: str = "params") -> str:
    """The ``torch.optim`` constructor call equivalent to ``opt``, e.g. ``torch.optim.Adam(params, lr=0.1)``.

    It lists ``lr`` and every hyperparameter that differs from the torch class's default.
    """
    torch_defaults = OPTIMIZERS["sgd" if _TORCH_CLASS[opt.name] == "SGD" else opt.name]
    args = [params, f"lr={opt.lr!r}"]
    for key, value in opt.hyperparams.items():
        if key != "lr" and value != torch_defaults[key]:
            args.append(f"{key}={value!r}")
    return f"torch.optim.{_TORCH_CLASS[opt.name]}({', '.join(args)})"


class LearnerOptimizer:
    """A learner's optimizer as something :func:`dlcourse.explorer.run.run` and the explorer can drive.

    ``step_fn`` is the notebooks' protocol, ``step_fn(params, grad, state, lr, **hyperparams) ->
    (new_params, state)`` with ``state`` starting as ``{}``, or an object with ``init(params) -> state``
    and such a ``step`` method. A third returned item, a dict, adds to the diagnostics. The learner's
    function gets copies of the parameters and the gradient, so it cannot change the run's records.
    """

    def __init__(self, step_fn: Callable[..., Any] | Any, lr: float, name: str = "mine", **hyperparams: Any) -> None:
        self.name, self.step_fn, self.extra = name, step_fn, hyperparams
        self.hyperparams = {"lr": float(lr), **hyperparams}

    @property
    def lr(self) -> float:
        return float(self.hyperparams["lr"])

    def init(self, params: ArrayLike) -> Any:
        return self.step_fn.init(np.array(params, dtype=np.float64)) if hasattr(self.step_fn, "init") else {}

    def step(self, params: ArrayLike, grad: ArrayLike, state: Any, lr: float | None = None) -> tuple:
        lr = self.lr if lr is None else float(lr)
        p = np.array(params, dtype=np.float64)
        call = self.step_fn.step if hasattr(self.step_fn, "step") else self.step_fn
        out = call(p.copy(), np.array(grad, dtype=np.float64), state, lr, **self.extra)
        if not isinstance(out, tuple) or len(out) not in (2, 3):
            raise TypeError(f"{self.name}: a step function must return (new_params, state), got {type(out).__name__}")
        new = np.asarray(out[0], dtype=np.float64)
        if new.shape != p.shape:
            raise ValueError(f"{self.name}: new params have shape {new.shape}, expected {p.shape} like params")
        diag = {"step": new - p, "velocity": None, "second_moment": None, "effective_lr": None}
        if len(out) == 3:
            diag.update(out[2])
        return new, out[1], diag


def learner_optimizer(step_fn: Callable[..., Any] | Any, lr: float, name: str = "mine",
                      **hyperparams: Any) -> LearnerOptimizer:
    """Wrap a learner's ``step_fn`` (see :class:`LearnerOptimizer`); extra keywords go to every call."""
    return LearnerOptimizer(step_fn, lr, name, **hyperparams)
