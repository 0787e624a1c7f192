"""Running optimizers on a surface: trajectories with per-step diagnostics.

A run never raises for a divergent optimizer: the trajectory is cut at the first step whose
parameters or loss are not finite (or whose loss exceeds ``max_loss``), and ``diverged_at``
says where, so a plot can mark it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlcourse.explorer.optimizers import Optimizer, make_optimizer
from dlcourse.explorer.schedules import make_schedule
from dlcourse.explorer.surfaces import Surface, make_surface


@dataclass
class Trajectory:
    """What one optimizer did on one surface.

    ``points[t]`` are the parameters before step t (``points[0]`` is the start) and ``losses[t]``
    the loss there; ``len(points) == n_taken + 1``. If step ``diverged_at`` made the parameters or
    the loss non-finite (or the loss larger than ``max_loss``), the run stops before it.
    Per step t (arrays of length ``n_taken``): ``grads`` (the gradient used, noise included),
    ``steps`` (the actual parameter change), ``lrs``, ``effective_lr`` (per coordinate),
    ``velocity`` and ``second_moment`` (NaN where the optimizer keeps none).
    """

    optimizer: str
    surface: str
    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    steps: np.ndarray
    lrs: np.ndarray
    effective_lr: np.ndarray
    velocity: np.ndarray
    second_moment: np.ndarray
    diverged_at: int | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)

    @property
    def n_taken(self) -> int:
        return len(self.steps)

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def _vec(x: Any) -> np.ndarray:
    if x is None:
        return np.full(2, np.nan)
    arr = np.asarray(x, dtype=np.float64)
    return np.broadcast_to(arr, (2,)).copy() if arr.size in (1, 2) else np.full(2, np.nan)


def _optimizer(optimizer: Any) -> Any:
    if isinstance(optimizer, str):
        return make_optimizer(optimizer)
    if isinstance(optimizer, dict):
        spec = dict(optimizer)
        return make_optimizer(spec.pop("name"), **spec)
    return optimizer


def _schedule(schedule: Any, base_lr: float) -> Any:
    if schedule is None:
        return make_schedule("constant", base_lr)
    if isinstance(schedule, str):
        return make_schedule(schedule, base_lr)
    if isinstance(schedule, dict):
        spec = dict(schedule)
        return make_schedule(spec.pop("name"), base_lr, **spec)
    return schedule


def run(
    surface: Surface | str,
    optimizer: Any,
    n_steps: int = 100,
    start: Any = None,
    schedule: Any = None,
    noise: float = 0.0,
    seed: int = 0,
    max_loss: float = 1e10,
) -> Trajectory:
    """Run ``optimizer`` for ``n_steps`` on ``surface`` from ``start`` (default: the surface's).

    ``optimizer`` is a name ("adam"), an optimizer object from :mod:`optimizers`, or a dict
    ``{"name": ..., **hyperparameters}``. ``schedule`` is None (constant), a name, a dict
    ``{"name": ..., **params}`` or a schedule object; it gives the lr of each step. ``noise`` adds
    Gaussian noise of that standard deviation to every gradient, from a generator seeded by ``seed``.
    """
    return run_race(surface, [optimizer], n_steps, start, [schedule], noise, seed, max_loss)[0]


def run_race(
    surface: Surface | str,
    optimizers: Sequence[Any],
    n_steps: int = 100,
    start: Any = None,
    schedules: Sequence[Any] | None = None,
    noise: float = 0.0,
    seed: int = 0,
    max_loss: float = 1e10,
) -> list[Trajectory]:
    """:func:`run` for several optimizers at once, in lockstep from the same start.

    Each step evaluates the gradient at all racers' points in one vectorized call (the logistic
    surface's gradient is a pass over its data set, so this is what makes a four-way race fast).
    Every racer gets the same gradient noise, as separate :func:`run` calls with one seed would.
    The trajectories equal those of separate runs.
    """
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    schedules = [None] * len(optimizers) if schedules is None else list(schedules)
    if len(schedules) != len(optimizers):
        raise ValueError(f"{len(optimizers)} optimizers but {len(schedules)} schedules")
    surf = make_surface(surface) if isinstance(surface, str) else surface
    opts = [_optimizer(o) for o in optimizers]
    lrs = [_schedule(sc, float(o.lr)).lrs(n_steps) for o, sc in zip(opts, schedules)]  # one pass each
    p0 = np.array(surf.default_start if start is None else start, dtype=np.float64).reshape(2)
    noise_draws = noise * np.random.default_rng(seed).standard_normal((n_steps, 2)) if noise else None
    k = len(opts)
    states = [o.init(p0) for o in opts]
    points: list[list[np.ndarray]] = [[p0] for _ in range(k)]
    grads: list[list[np.ndarray]] = [[] for _ in range(k)]
    # Per racer: its diagnostics as lists of velocity, second moment and effective lr per step.
    diags: list[tuple[list, list, list]] = [([], [], []) for _ in range(k)]
    # The package's optimizers take the inner loop's short path (no checks, no diag dict); it computes
    # what ``step`` computes. A learner's optimizer goes through its ``step``.
    fast = [isinstance(o, Optimizer) for o in opts]
    step_lrs = [lr.tolist() for lr in lrs]  # Python floats: what ``float(lrs[i][t])`` gave
    active = list(range(k))
    current = np.tile(p0, (k, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            if not active:
                break
            G = surf.grad(current[active])  # a copy: the loop below writes into ``current``
            if noise_draws is not None:
                G = G + noise_draws[t]
            still = []
            for row, i in enumerate(active):
                g = G[row]
                # points[i][-1] is never written to (a learner's optimizer may keep a reference to it)
                if fast[i]:
                    new_p, states[i], velocity, second, eff, _ = opts[i]._update(points[i][-1], g, states[i],
                                                                                  step_lrs[i][t])
                else:
                    new_p, states[i], diag = opts[i].step(points[i][-1], g, states[i], lr=step_lrs[i][t])
                    velocity, second, eff = (diag.get(key) for key in ("velocity", "second_moment", "effective_lr"))
                if not _finite(new_p):
                    continue
                points[i].append(new_p)
                grads[i].append(g)
                for column, value in zip(diags[i], (velocity, second, eff)):
                    column.append(value)
                current[i] = new_p
                still.append(i)
            active = still
    return [_trajectory(surf, opts[i], points[i], grads[i], diags[i], lrs[i], n_steps, max_loss) for i in range(k)]


def _finite(p: np.ndarray) -> bool:
    """Whether every parameter is finite (for two of them, 10× faster than ``np.isfinite(p).all()``)."""
    return math.isfinite(p[0]) and math.isfinite(p[1]) if p.shape == (2,) else bool(np.isfinite(p).all())


def _trajectory(surf: Surface, opt: Any, points: list, grads: list, diags: tuple[list, list, list],
                schedule_lrs: np.ndarray, n_steps: int, max_loss: float) -> Trajectory:
    """Cut a run at its first non-finite (or too large) loss and gather its diagnostics."""
    with np.errstate(over="ignore", invalid="ignore"):
        pts = np.array(points)
        losses = np.asarray(surf.f(pts), dtype=np.float64)
    bad = ~np.isfinite(losses) | (losses > max_loss)
    n_ok = int(np.argmax(bad)) if bad.any() else len(pts)  # points before the first bad one
    diverged_at = None if n_ok == n_steps + 1 else max(n_ok - 1, 0)
    n_ok = max(n_ok, 1)  # a non-finite start is kept (and marked diverged at step 0)
    pts, losses = pts[:n_ok], losses[:n_ok]
    n_taken = n_ok - 1
    grads = grads[:n_taken]
    velocity, second_moment, effective_lr = (_column(values[:n_taken]) for values in diags)
    return Trajectory(
        optimizer=getattr(opt, "name", type(opt).__name__),
        surface=surf.name,
        points=pts,
        losses=losses,
        grads=np.array(grads, dtype=np.float64).reshape(n_taken, 2),
        steps=np.diff(pts, axis=0).reshape(n_taken, 2),
        lrs=np.asarray(schedule_lrs[:n_taken], dtype=np.float64),
        effective_lr=effective_lr,
        velocity=velocity,
        second_moment=second_moment,
        diverged_at=diverged_at,
        hyperparameters=dict(getattr(opt, "hyperparams", {})),
    )


def _column(values: list) -> np.ndarray:
    """One diagnostic per step as an (n, 2) array: a pair per step, a number for both coordinates,
    NaN where there is none (None, or not one or two numbers)."""
    n = len(values)
    if all(v is None for v in values):
        return np.full((n, 2), np.nan)
    try:
        arr = np.array(values, dtype=np.float64)  # one C loop for the usual cases
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.shape == (n, 2):
        return arr
    if arr is not None and arr.shape == (n,):
        return np.repeat(arr[:, None], 2, axis=1)
    return np.array([_vec(v) for v in values]).reshape(n, 2)
