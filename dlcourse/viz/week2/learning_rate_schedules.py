"""Figures and the schedule playground of week 2, notebook 3 (learning-rate schedules and warm-up).

Nothing here is an exercise's solution. The noise-floor figure simulates SGD on a noisy quadratic with
the gradient-descent explorer's surfaces and schedules; the playground and the plots draw whatever
schedule functions or learning-rate arrays they are given (the learner's own, once written).
Each plot returns a ``matplotlib.figure.Figure`` (no pyplot state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlcourse.explorer.schedules import make_schedule
from dlcourse.explorer.surfaces import make_surface
from dlcourse.plots import new_figure
from dlcourse.widgets import FigureWidget

_COLORS = ["#2e5fa3", "#e08e0b", "#2e7d32", "#c0392b", "#8e44ad", "#7f8c8d"]


def predicted_noise_floor(lr: float, eigenvalues: Sequence[float], noise: float) -> float:
    """The stationary mean excess loss ``E[f - f*]`` of constant-lr SGD on a quadratic with noisy gradients.

    For ``f = ½ Σ λ_i x_i²`` and gradients ``λ_i x_i + σ ξ_i`` (``ξ_i`` standard normal), each coordinate
    settles at a variance ``η σ² / (λ_i (2 - η λ_i))``, so ``E[f - f*] = Σ_i η σ² / (2 (2 - η λ_i))``
    (finite only for ``η λ_i < 2``: the stability condition of gradient descent).
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lr <= 0 or noise < 0 or np.any(lam <= 0):
        raise ValueError("need lr > 0, noise >= 0 and positive eigenvalues")
    if np.any(lr * lam >= 2):
        return float("inf")
    return float(np.sum(lr * noise**2 / (2 * (2 - lr * lam))))


def noisy_sgd_losses(
    lrs: ArrayLike,
    noise: float = 0.3,
    condition_number: float = 10.0,
    n_seeds: int = 16,
    seed: int = 0,
    start: Sequence[float] | None = None,
) -> np.ndarray:
    """Excess loss ``f(p_t) - f*`` of SGD on the explorer's quadratic, averaged over ``n_seeds`` noise draws.

    ``lrs[t]`` is the learning rate of step ``t``; the result has ``len(lrs) + 1`` entries (the start
    included). All seeds run at once, vectorized.
    """
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    surface = make_surface("quadratic", condition_number=condition_number)
    p0 = np.asarray(surface.default_start if start is None else start, dtype=np.float64)
    p = np.broadcast_to(p0, (n_seeds, 2)).copy()
    draws = noise * np.random.default_rng(seed).standard_normal((lrs.size, n_seeds, 2))
    out = [surface.f(p).mean()]
    for t, lr in enumerate(lrs):
        p = p - lr * (surface.grad(p) + draws[t])
        out.append(surface.f(p).mean())
    return np.asarray(out) - surface.f_min


def noise_floor_figure(
    lrs: Sequence[float] = (0.5, 0.1, 0.02),
    cosine_from: float = 0.5,
    noise: float = 0.3,
    condition_number: float = 10.0,
    n_steps: int = 400,
    n_seeds: int = 16,
    seed: int = 0,
) -> Figure:
    """Left: mean excess loss of SGD on a noisy quadratic for constant learning rates (dashed: the predicted
    noise floor of each) and for a cosine schedule from ``cosine_from`` to 0. Right: the learning rates."""
    eig = make_surface("quadratic", condition_number=condition_number).eigenvalues
    fig, axes = new_figure(ncols=2, size=(5.0, 3.4))
    steps = np.arange(n_steps + 1)
    runs = [(f"constant η = {lr:g}", np.full(n_steps, float(lr)), True) for lr in lrs]
    runs.append((f"cosine from η = {cosine_from:g}", make_schedule("cosine", cosine_from, T_max=n_steps).lrs(n_steps),
                 False))
    for k, (label, schedule, constant) in enumerate(runs):
        color = _COLORS[k % len(_COLORS)]
        losses = noisy_sgd_losses(schedule, noise, condition_number, n_seeds, seed)
        axes[0].plot(steps, losses, color=color, lw=1.6 if not constant else 1.1, label=label)
        axes[1].plot(np.arange(n_steps), schedule, color=color, lw=1.6)
        if constant:
            floor = predicted_noise_floor(float(schedule[0]), eig, noise)
            axes[0].axhline(floor, color=color, ls="--", lw=0.9)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step t")
    axes[0].set_ylabel(f"f(p_t) − f*  (mean of {n_seeds} runs)")
    axes[0].set_title(f"SGD on a quadratic (κ = {condition_number:g}), gradient noise σ = {noise:g}\n"
                      "dashed: predicted noise floor ησ²/(2(2−ηλ)) summed over λ", fontsize=9)
    axes[0].legend(fontsize=8, loc="lower left")
    axes[0].grid(alpha=0.3, which="both")
    axes[1].set_xlabel("step t")
    axes[1].set_ylabel("learning rate η_t")
    axes[1].set_title("the learning rates", fontsize=9)
    axes[1].grid(alpha=0.3)
    return fig


def plot_schedules(
    curves: Mapping[str, ArrayLike],
    reference: Mapping[str, ArrayLike] | None = None,
    title: str = "",
    logy: bool = False,
    size: tuple[float, float] = (7.5, 3.2),
) -> Figure:
    """One line per schedule (``name -> lrs of steps 0, 1, ...``); ``reference`` (same names, e.g. what
    ``torch.optim.lr_scheduler`` gives) is drawn as dots over the lines."""
    if not curves:
        raise ValueError("no curves to draw")
    fig, axes = new_figure(size=size)
    ax = axes[0]
    for k, (name, values) in enumerate(curves.items()):
        y = np.asarray(values, dtype=np.float64).ravel()
        color = _COLORS[k % len(_COLORS)]
        ax.plot(np.arange(y.size), y, color=color, lw=1.8, label=name)
        if reference is not None and name in reference:
            r = np.asarray(reference[name], dtype=np.float64).ravel()
            every = max(1, r.size // 40)
            ax.plot(np.arange(r.size)[::every], r[::every], "o", ms=3.5, mfc="none", color=color)
    if reference:
        ax.plot([], [], "o", ms=3.5, mfc="none", color="0.3", label="torch.optim.lr_scheduler")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step t (calls of scheduler.step())")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def draw_schedules(
    functions: Mapping[str, Callable[..., Any]],
    total_steps: int = 200,
    base_lr: float = 0.1,
    step_size: int = 50,
    step_gamma: float = 0.5,
    exp_gamma: float = 0.98,
    warmup_steps: int = 20,
    start_factor: float = 1 / 3,
    eta_min: float = 0.0,
    logy: bool = False,
) -> Figure:
    """Draw each schedule function of ``functions`` (keys among ``step_lr``, ``exponential_lr``, ``cosine_lr``,
    ``warmup_cosine_lr``) for ``t = 0..total_steps`` with the given parameters; ``eta_min`` is in units of
    ``base_lr``."""
    t = np.arange(total_steps + 1)
    eta = eta_min * base_lr
    calls: dict[str, Callable[[Callable[..., Any]], Any]] = {
        "step_lr": lambda f: f(t, base_lr, step_size, step_gamma),
        "exponential_lr": lambda f: f(t, base_lr, exp_gamma),
        "cosine_lr": lambda f: f(t, base_lr, total_steps, eta),
        "warmup_cosine_lr": lambda f: f(t, base_lr, warmup_steps, total_steps, start_factor, eta),
    }
    unknown = set(functions) - set(calls)
    if unknown:
        raise ValueError(f"unknown schedule functions {sorted(unknown)}; use {sorted(calls)}")
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps ({warmup_steps}) must be below total_steps ({total_steps})")
    curves = {name: calls[name](f) for name, f in functions.items()}
    return plot_schedules(curves, title=f"base_lr = {base_lr:.3g}, {total_steps} steps", logy=logy, size=(7.5, 3.0))


def schedule_playground(
    step_lr: Callable[..., Any] | None = None,
    exponential_lr: Callable[..., Any] | None = None,
    cosine_lr: Callable[..., Any] | None = None,
    warmup_cosine_lr: Callable[..., Any] | None = None,
    width: int = 675,
    height: int = 270,
) -> FigureWidget:
    """Sliders for every schedule parameter over a plot of the schedule functions given (the learner's)."""
    import ipywidgets as widgets

    functions = {name: f for name, f in [("step_lr", step_lr), ("exponential_lr", exponential_lr),
                                         ("cosine_lr", cosine_lr), ("warmup_cosine_lr", warmup_cosine_lr)]
                 if f is not None}
    if not functions:
        raise ValueError("give at least one schedule function")
    style = {"description_width": "100px"}
    lay = widgets.Layout(width="330px")

    def slider(cls: Any, description: str, **kw: Any) -> Any:
        return cls(description=description, continuous_update=False, style=style, layout=lay, **kw)

    controls = {
        "total_steps": slider(widgets.IntSlider, "total steps", value=200, min=20, max=1000, step=10),
        "base_lr": slider(widgets.FloatLogSlider, "base_lr", value=0.1, base=10, min=-4, max=0, step=0.1),
        "step_size": slider(widgets.IntSlider, "step_size", value=50, min=1, max=500),
        "step_gamma": slider(widgets.FloatSlider, "step γ", value=0.5, min=0.05, max=1.0, step=0.05),
        "exp_gamma": slider(widgets.FloatSlider, "exponential γ", value=0.98, min=0.9, max=1.0, step=0.001,
                            readout_format=".3f"),
        "warmup_steps": slider(widgets.IntSlider, "warmup steps", value=20, min=1, max=500),
        "start_factor": slider(widgets.FloatSlider, "start_factor", value=round(1 / 3, 3), min=0.01, max=1.0,
                               step=0.01),
        "eta_min": slider(widgets.FloatSlider, "eta_min / base", value=0.0, min=0.0, max=0.9, step=0.05),
        "logy": widgets.Checkbox(value=False, description="log scale"),
    }

    def draw(**values: Any) -> Figure:
        return draw_schedules(functions, **values)

    return FigureWidget(draw, controls, width=width, height=height)


def plot_range_test(lrs: ArrayLike, losses: ArrayLike, smooth: int = 5, title: str = "") -> Figure:
    """The LR range test: training loss (raw and a running mean of ``smooth`` steps) against the learning
    rate on a log axis, with the lr of the smallest smoothed loss and of its steepest fall marked."""
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    losses = np.asarray(losses, dtype=np.float64).ravel()
    if lrs.size != losses.size or lrs.size < 3:
        raise ValueError(f"need as many (at least 3) lrs as losses, got {lrs.size} and {losses.size}")
    if np.any(lrs <= 0):
        raise ValueError("learning rates must be positive for a log axis")
    csum = np.cumsum(np.insert(losses, 0, 0.0))
    lo = np.maximum(np.arange(losses.size) + 1 - smooth, 0)
    sm = (csum[1:] - csum[lo]) / (np.arange(losses.size) + 1 - lo)
    best = int(np.argmin(sm))
    slope = np.gradient(sm[: best + 1], np.log(lrs[: best + 1])) if best >= 1 else np.zeros(1)
    steep = int(np.argmin(slope))
    fig, axes = new_figure(size=(6.5, 3.2))
    ax = axes[0]
    ax.plot(lrs, losses, color="0.7", lw=0.8, label="loss of each step")
    ax.plot(lrs, sm, color=_COLORS[0], lw=1.8, label=f"running mean of {smooth}")
    ax.axvline(lrs[best], color=_COLORS[3], ls="--", lw=1, label=f"smallest loss at lr ≈ {lrs[best]:.2g}")
    ax.axvline(lrs[steep], color=_COLORS[2], ls=":", lw=1.2, label=f"steepest fall at lr ≈ {lrs[steep]:.2g}")
    ax.set_xscale("log")
    ax.set_ylim(0, min(float(np.nanmax(losses)), 3 * float(sm[0])) * 1.05)
    ax.set_xlabel("learning rate (grows every step)")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title or "LR range test", fontsize=10)
    return fig


def plot_runs(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    notes: Mapping[str, str] | None = None,
    title: str = "",
) -> Figure:
    """Training runs side by side: the learning rate and the training loss (log scale) of each epoch.

    ``histories`` maps a run's name to ``{"lr": [...], "loss": [...]}``; ``notes`` adds a text (e.g. the
    test accuracy) to a run's legend entry.
    """
    if not histories:
        raise ValueError("no runs to draw")
    fig, axes = new_figure(ncols=2, size=(4.8, 3.2))
    for k, (name, h) in enumerate(histories.items()):
        color = _COLORS[k % len(_COLORS)]
        label = name + (f" ({notes[name]})" if notes and name in notes else "")
        lr, loss = np.asarray(h["lr"], dtype=np.float64), np.asarray(h["loss"], dtype=np.float64)
        axes[0].plot(np.arange(lr.size), lr, color=color, lw=1.6, marker=".", ms=4, label=label)
        axes[1].plot(np.arange(loss.size), loss, color=color, lw=1.6)
    axes[0].set_title("learning rate of each epoch", fontsize=10)
    axes[0].set_ylabel("lr")
    axes[1].set_title("training loss (mean over each epoch)", fontsize=10)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("cross-entropy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3, which="both")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


__all__ = [
    "draw_schedules",
    "noise_floor_figure",
    "noisy_sgd_losses",
    "plot_range_test",
    "plot_runs",
    "plot_schedules",
    "predicted_noise_floor",
    "schedule_playground",
]
