"""Learning-rate schedules of the gradient-descent explorer, matching ``torch.optim.lr_scheduler``.

``lr_at(t)`` is the learning rate of optimizer step ``t = 0, 1, 2, ...`` when ``scheduler.step()`` is
called once after each ``optimizer.step()``, i.e. ``optimizer.param_groups[0]["lr"]`` after ``t``
scheduler steps. Where torch updates the lr recursively (cosine, the warm-up), the same recursion is
replayed, so values agree with torch to rounding at any ``t``, also past ``T_max``.

- ``constant``: ``base_lr``.
- ``step``: ``StepLR(step_size, gamma)``: ``base_lr * gamma ** (t // step_size)``.
- ``exponential``: ``ExponentialLR(gamma)``: ``base_lr * gamma ** t``.
- ``cosine``: ``CosineAnnealingLR(T_max, eta_min)``: ``eta_min + (base_lr - eta_min) (1 + cos(π t / T_max)) / 2``
  (periodic past ``T_max``, as torch).
- ``warmup_cosine``: ``SequentialLR([LinearLR(start_factor, 1.0, warmup_steps),
  CosineAnnealingLR(total_steps - warmup_steps, eta_min)], milestones=[warmup_steps])``: a linear ramp
  from ``start_factor * base_lr`` then a cosine from ``base_lr`` (at ``t = warmup_steps``) to ``eta_min``
  (at ``t = total_steps``).
- ``onecycle``: ``OneCycleLR(max_lr, total_steps, ...)``, lr only (``cycle_momentum=False``); ``max_lr``
  defaults to ``base_lr``; defined for ``t <= total_steps``, as in torch.

Use ``make_schedule(name, base_lr, **params)``; ``SCHEDULES`` maps each name to its default parameters
(torch's where torch has one). Prefer ``lrs(n)`` over ``n`` calls of ``lr_at``: recursive schedules
replay the recursion from ``t = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlcourse.explorer._registry import resolve

__all__ = ["SCHEDULES", "Schedule", "make_schedule", "schedule_names"]

SCHEDULES: dict[str, dict[str, Any]] = {
    "constant": {},
    "step": {"step_size": 30, "gamma": 0.1},
    "exponential": {"gamma": 0.99},
    "cosine": {"T_max": 100, "eta_min": 0.0},
    "warmup_cosine": {"warmup_steps": 10, "total_steps": 100, "start_factor": 1.0 / 3, "eta_min": 0.0},
    "onecycle": {
        "total_steps": 100,
        "max_lr": None,
        "pct_start": 0.3,
        "anneal_strategy": "cos",
        "div_factor": 25.0,
        "final_div_factor": 1e4,
        "three_phase": False,
    },
}
"""Schedule name -> default parameters (torch's defaults; ``step_size``, ``gamma``, ``T_max`` and
``total_steps``, which torch requires, get explorer defaults)."""

_INT_PARAMS = {"step_size", "T_max", "warmup_steps", "total_steps"}


def schedule_names() -> list[str]:
    """The names ``make_schedule`` accepts, in registry order."""
    return list(SCHEDULES)


def _cosine(first: float, n: int, base_lr: float, T_max: int, eta_min: float) -> list[float]:
    """``CosineAnnealingLR``'s recursion (``get_lr``) from the lr ``first`` at its epoch 0."""
    out, lr = [first], first
    for k in range(1, n):
        if (k - 1 - T_max) % (2 * T_max) == 0:
            lr = lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        else:
            ratio = (1 + math.cos(math.pi * k / T_max)) / (1 + math.cos(math.pi * (k - 1) / T_max))
            lr = ratio * (lr - eta_min) + eta_min
        out.append(lr)
    return out


def _onecycle_phases(p: dict[str, Any], base_lr: float) -> list[tuple[float, float, float]]:
    """``(end_step, start_lr, end_lr)`` per phase, as ``OneCycleLR`` builds them."""
    max_lr = base_lr if p["max_lr"] is None else p["max_lr"]
    initial = max_lr / p["div_factor"]
    low, total, pct = initial / p["final_div_factor"], p["total_steps"], p["pct_start"]
    if p["three_phase"]:
        phase2 = (float(2 * pct * total) - 2, max_lr, initial)
        return [(float(pct * total) - 1, initial, max_lr), phase2, (total - 1, initial, low)]
    return [(float(pct * total) - 1, initial, max_lr), (total - 1, max_lr, low)]


def _lrs(name: str, base_lr: float, n: int, p: dict[str, Any]) -> NDArray[np.float64]:
    t = np.arange(n)
    if name == "constant":
        return np.full(n, base_lr)
    if name in ("step", "exponential"):  # torch multiplies the lr by gamma: a cumulative product
        hit = (t > 0) & (t % p["step_size"] == 0) if name == "step" else t > 0
        return np.cumprod(np.where(hit, p["gamma"], 1.0) * np.where(t == 0, base_lr, 1.0))
    if name == "cosine":
        return np.array(_cosine(base_lr, n, base_lr, p["T_max"], p["eta_min"]))[:n]
    if name == "warmup_cosine":
        w, sf = p["warmup_steps"], p["start_factor"]
        lr, out = base_lr * sf, [base_lr * sf]
        for k in range(1, min(n, w)):  # LinearLR's recursion, end_factor = 1
            lr = lr * (1.0 + (1.0 - sf) / (w * sf + (k - 1) * (1.0 - sf)))
            out.append(lr)
        if n > w:  # the milestone: CosineAnnealingLR's closed form at its epoch 0, then its recursion
            first = p["eta_min"] + (base_lr - p["eta_min"]) * (1 + math.cos(math.pi * 0 / (p["total_steps"] - w))) / 2
            out += _cosine(first, n - w, base_lr, p["total_steps"] - w, p["eta_min"])
        return np.array(out[:n], dtype=np.float64)
    # onecycle
    if n - 1 > p["total_steps"]:
        raise ValueError(f"onecycle is defined for t <= total_steps = {p['total_steps']}, asked up to t = {n - 1}")
    tf, out, done, start = t.astype(np.float64), np.empty(n), np.zeros(n, dtype=bool), 0.0
    phases = _onecycle_phases(p, base_lr)
    for i, (end, lr0, lr1) in enumerate(phases):  # anneal from lr0 to lr1 as in OneCycleLR.get_lr
        sel = ~done & ((tf <= end) | (i == len(phases) - 1))
        frac = (tf[sel] - start) / (end - start)
        if p["anneal_strategy"] == "cos":
            out[sel] = lr1 + (lr0 - lr1) / 2.0 * (np.cos(math.pi * frac) + 1)
        else:
            out[sel] = (lr1 - lr0) * frac + lr0
        done |= sel
        start = end
    return out


def _validate(name: str, base_lr: float, p: dict[str, Any]) -> None:
    if not 0.0 <= base_lr:
        raise ValueError(f"Invalid learning rate: {base_lr} (must be >= 0)")
    for key in _INT_PARAMS & set(p):
        if isinstance(p[key], bool) or not isinstance(p[key], (int, np.integer)) or p[key] < 1:
            raise ValueError(f"{key} must be a positive integer, got {p[key]!r}")
    for key in ("gamma", "eta_min"):
        if key in p and not 0.0 <= p[key]:
            raise ValueError(f"{key} must be >= 0, got {p[key]!r}")
    if name == "warmup_cosine":
        if not 0.0 < p["start_factor"] <= 1.0:
            raise ValueError(f"start_factor must be in (0, 1], got {p['start_factor']!r}")
        if p["total_steps"] <= p["warmup_steps"]:
            raise ValueError(f"total_steps ({p['total_steps']}) must exceed warmup_steps ({p['warmup_steps']})")
    if name == "onecycle":
        if p["max_lr"] is not None and not 0.0 < p["max_lr"]:
            raise ValueError(f"max_lr must be > 0, got {p['max_lr']!r}")
        if not 0.0 <= p["pct_start"] <= 1.0:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {p['pct_start']!r}")
        if p["anneal_strategy"] not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', got {p['anneal_strategy']!r}")
        if not (p["div_factor"] > 0 and p["final_div_factor"] > 0):
            raise ValueError("div_factor and final_div_factor must be > 0")
        phases, total = _onecycle_phases(p, base_lr or 1.0), p["total_steps"]
        if phases[0][0] == 0.0 or phases[-1][0] == phases[-2][0]:  # torch divides by zero there
            raise ValueError(f"pct_start={p['pct_start']} leaves an empty warm-up or annealing phase for {total} steps")


@dataclass(frozen=True)
class Schedule:
    """An immutable learning-rate schedule; build it with ``make_schedule``."""

    name: str
    base_lr: float
    params: dict[str, Any]

    def lrs(self, n: int) -> NDArray[np.float64]:
        """The learning rates of steps ``t = 0, ..., n - 1``."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return _lrs(self.name, self.base_lr, int(n), self.params)

    def lr_at(self, t: int) -> float:
        """The learning rate of step ``t`` (``t >= 0``)."""
        if t < 0:
            raise ValueError(f"t must be >= 0, got {t}")
        return float(self.lrs(t + 1)[t])

    def to_torch_code(self, optimizer: str = "optimizer") -> str:
        """The equivalent ``torch.optim.lr_scheduler`` constructor call on ``optimizer``."""
        ls, p = "torch.optim.lr_scheduler", self.params
        if self.name == "constant":
            return f"{ls}.LambdaLR({optimizer}, lr_lambda=lambda step: 1.0)"
        if self.name == "step":
            return f"{ls}.StepLR({optimizer}, step_size={p['step_size']!r}, gamma={p['gamma']!r})"
        if self.name == "exponential":
            return f"{ls}.ExponentialLR({optimizer}, gamma={p['gamma']!r})"
        if self.name == "cosine":
            return f"{ls}.CosineAnnealingLR({optimizer}, T_max={p['T_max']!r}, eta_min={p['eta_min']!r})"
        if self.name == "warmup_cosine":
            w = p["warmup_steps"]
            return (
                f"{ls}.SequentialLR({optimizer}, [{ls}.LinearLR({optimizer}, start_factor={p['start_factor']!r}, "
                f"end_factor=1.0, total_iters={w!r}), {ls}.CosineAnnealingLR({optimizer}, "
                f"T_max={p['total_steps'] - w!r}, eta_min={p['eta_min']!r})], milestones=[{w!r}])"
            )
        max_lr = self.base_lr if p["max_lr"] is None else p["max_lr"]
        rest = ", ".join(f"{k}={v!r}" for k, v in p.items() if k != "max_lr")
        return f"{ls}.OneCycleLR({optimizer}, max_lr={max_lr!r}, {rest}, cycle_momentum=False)"


def make_schedule(name: str, base_lr: float, **params: Any) -> Schedule:
    """The schedule ``name`` (see ``SCHEDULES``) starting from ``base_lr``; ValueError on bad parameters."""
    key, p = resolve(SCHEDULES, "schedule", name, params)
    if "three_phase" in p:
        p["three_phase"] = bool(p["three_phase"])
    try:
        for k, v in p.items():
            if k not in _INT_PARAMS and k not in ("anneal_strategy", "three_phase") and v is not None:
                p[k] = float(v)
        base_lr = float(base_lr)
    except (TypeError, ValueError) as err:
        raise ValueError(f"Invalid parameter for {key!r}: {err}") from err
    _validate(key, base_lr, p)
    return Schedule(key, base_lr, p)
