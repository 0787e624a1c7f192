"""Running optimizers on a surface: trajectories with per-step diagnostics.

A run never raises for a divergent optimizer: the trajectory is cut at the first step whose
parameters or loss are not finite (or whose loss exceeds ``max_loss``), and ``diverged_at``
says where, so a plot can mark it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlcourse.explorer.optimizers import make_optimizer
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
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    surf = make_surface(surface) if isinstance(surface, str) else surface
    if isinstance(optimizer, str):
        opt = make_optimizer(optimizer)
    elif isinstance(optimizer, dict):
        spec = dict(optimizer)
        opt = make_optimizer(spec.pop("name"), **spec)
    else:
        opt = optimizer
    base_lr = float(opt.lr)
    if schedule is None:
        sched = make_schedule("constant", base_lr)
    elif isinstance(schedule, str):
        sched = make_schedule(schedule, base_lr)
    elif isinstance(schedule, dict):
        spec = dict(schedule)
        sched = make_schedule(spec.pop("name"), base_lr, **spec)
    else:
        sched = schedule
    p = np.array(surf.default_start if start is None else start, dtype=np.float64).reshape(2)
    rng = np.random.default_rng(seed)
    schedule_lrs = sched.lrs(n_steps)  # one pass: lr_at(t) replays the recursion from 0
    noise_draws = noise * rng.standard_normal((n_steps, 2)) if noise else None
    state = opt.init(p)
    points, grads, diags = [p], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            g = surf.grad(p)
            if noise_draws is not None:
                g = g + noise_draws[t]
            new_p, state, diag = opt.step(p, g, state, lr=float(schedule_lrs[t]))
            if not np.isfinite(new_p).all():
                break
            points.append(new_p)
            grads.append(g)
            diags.append(diag)
            p = new_p
        # Losses in one vectorized call; the run ends before the first step whose loss is not
        # finite or exceeds max_loss (parameters that overflowed ended the loop above).
        pts = np.array(points)
        losses = np.asarray(surf.f(pts), dtype=np.float64)
    bad = ~np.isfinite(losses) | (losses > max_loss)
    n_ok = int(np.argmax(bad)) if bad.any() else len(pts)  # points before the first bad one
    diverged_at = None if n_ok == n_steps + 1 else max(n_ok - 1, 0)
    n_ok = max(n_ok, 1)  # a non-finite start is kept (and marked diverged at step 0)
    pts, losses = pts[:n_ok], losses[:n_ok]
    n_taken = n_ok - 1
    grads, diags = grads[:n_taken], diags[:n_taken]

    def column(key: str) -> np.ndarray:
        values = [d.get(key) for d in diags]
        if all(v is None for v in values):
            return np.full((len(values), 2), np.nan)
        return np.array([_vec(v) for v in values]).reshape(len(values), 2)

    return Trajectory(
        optimizer=getattr(opt, "name", type(opt).__name__),
        surface=surf.name,
        points=pts,
        losses=losses,
        grads=np.array(grads, dtype=np.float64).reshape(n_taken, 2),
        steps=np.diff(pts, axis=0).reshape(n_taken, 2),
        lrs=np.asarray(schedule_lrs[:n_taken], dtype=np.float64),
        effective_lr=column("effective_lr"),
        velocity=column("velocity"),
        second_moment=column("second_moment"),
        diverged_at=diverged_at,
        hyperparameters=dict(getattr(opt, "hyperparams", {})),
    )
