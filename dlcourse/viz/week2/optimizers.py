"""Figures and widgets of the notebook "Week 2 · 2. Momentum, adaptive learning rates and Adam".

Nothing here is an exercise's solution: the running-average pictures compute exponential moving
averages of made-up gradient sequences, and :func:`plot_comparison` draws trajectories that
:func:`dlcourse.explorer.run.run` computed. :func:`learner_optimizer` (from
:mod:`dlcourse.explorer.optimizers`, re-exported here) wraps a learner's
``step(params, grad, state, lr, **hyperparameters)`` function so that ``run`` can drive it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from dlcourse.explorer.optimizers import LearnerOptimizer, learner_optimizer
from dlcourse.explorer.render import draw_contours
from dlcourse.explorer.run import Trajectory
from dlcourse.explorer.surfaces import Surface
from dlcourse.widgets import FigureWidget

#: Ten distinguishable colours (matplotlib's tab10), enough for every optimizer of the notebook.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
_FLOOR = 1e-16


def plot_comparison(
    surface: Surface,
    runs: Mapping[str, Trajectory],
    step_lengths: bool = False,
    title: str = "",
    resolution: int = 160,
) -> Figure:
    """Trajectories on the contours and the loss minus the optimum (log) of up to ten runs.

    With ``step_lengths`` a third panel shows the length of every step (log), which makes slow
    starts (Adadelta) and shrinking steps (AdaGrad) visible. A run that diverged ends with a red ×.
    """
    if not runs:
        raise ValueError("plot_comparison needs at least one run")
    if len(runs) > len(PALETTE):
        raise ValueError(f"plot_comparison draws at most {len(PALETTE)} runs, got {len(runs)}")
    ncols = 3 if step_lengths else 2
    fig = Figure(figsize=(4.6 * ncols + 0.6, 4.2))
    axes = fig.subplots(1, ncols, gridspec_kw={"width_ratios": [1.15] + [1] * (ncols - 1)})
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.13, top=0.86 if title else 0.92, wspace=0.25)
    ax_c, ax_l = axes[0], axes[1]
    draw_contours(ax_c, surface, resolution)
    for k, (label, traj) in enumerate(runs.items()):
        color = PALETTE[k]
        pts = traj.points
        ax_c.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=1.3, label=label, zorder=4)
        ax_c.plot(pts[0, 0], pts[0, 1], "o", color="k", ms=5, zorder=5)
        if traj.diverged:
            ax_c.plot(pts[-1, 0], pts[-1, 1], "x", color="red", ms=11, mew=3, zorder=7)
        suffix = f" (diverged at step {traj.diverged_at})" if traj.diverged else ""
        ax_l.semilogy(np.maximum(traj.losses - surface.f_min, _FLOOR), color=color, lw=1.3, label=label + suffix)
        if step_lengths and traj.n_taken:
            axes[2].semilogy(np.arange(1, traj.n_taken + 1), np.maximum(np.linalg.norm(traj.steps, axis=1), _FLOOR),
                             color=color, lw=1.3, label=label)
    ax_c.legend(fontsize=7, loc="upper right")
    ax_l.legend(fontsize=7, loc="lower left")
    panels = [(ax_l, "loss − optimum")]
    if step_lengths:
        panels.append((axes[2], "length of each step |Δθ|"))
    for ax, text in panels:
        ax.set_xlabel("step")
        ax.set_title(text, fontsize=10)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
    ax_c.set_title(surface.description or surface.name, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def _noisy_gradients(n_steps: int, noise: float, seed: int, mean: float = 1.0) -> np.ndarray:
    return mean + noise * np.random.default_rng(seed).standard_normal(n_steps)


def _ema(values: np.ndarray, beta: float) -> np.ndarray:
    """``e_t = beta e_{t-1} + (1 - beta) values_t`` from ``e_0 = 0``, for t = 1..len(values)."""
    out, e = np.empty(len(values)), 0.0
    for t, v in enumerate(values):
        e = beta * e + (1 - beta) * v
        out[t] = e
    return out


def plot_ema(beta1: float = 0.9, beta2: float = 0.999, noise: float = 0.5, bias_correction: bool = True,
             n_steps: int = 1000, seed: int = 0) -> Figure:
    """Why Adam corrects the bias of its running averages, on a noisy gradient of mean 1.

    Left: the gradients, their running average ``m`` (β1) started at 0 and, with
    ``bias_correction``, ``m / (1 - β1ᵗ)``. Right: the ratio ``m / √v`` that sets Adam's step (in
    units of lr), with ``v`` the running average of ``g²`` (β2), uncorrected and corrected.
    """
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise ValueError("beta1 and beta2 must lie in [0, 1)")
    g = _noisy_gradients(n_steps, noise, seed)
    t = np.arange(1, n_steps + 1)
    m, v = _ema(g, beta1), _ema(g * g, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    fig = Figure(figsize=(11.0, 3.6))
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.88, wspace=0.22)
    ax_m, ax_r = fig.subplots(1, 2)
    ax_m.plot(t, g, ".", color="0.7", ms=3, label="gradient $g_t$ (mean 1)")
    ax_m.plot(t, m, color="#d62728", lw=1.6, label=f"running average $m_t$ (β1 = {beta1:g}), from $m_0 = 0$")
    if bias_correction:
        ax_m.plot(t, m_hat, color="#1f77b4", lw=1.6, label=r"bias-corrected $\hat m_t = m_t / (1 - β_1^t)$")
    ax_m.axhline(1.0, color="k", ls="--", lw=0.8)
    ax_m.set_xscale("log")
    ax_m.set_ylim(-0.2, 2.6)
    ax_m.set_xlabel("step t (log scale)")
    ax_m.set_title("first moment: the running average of g", fontsize=10)
    ax_m.legend(fontsize=8, loc="upper left")
    ratio = m / np.sqrt(v)
    ax_r.plot(t, ratio, color="#d62728", lw=1.6, label=r"$m_t / \sqrt{v_t}$ (no correction)")
    if bias_correction:
        ax_r.plot(t, m_hat / np.sqrt(v_hat), color="#1f77b4", lw=1.6, label=r"$\hat m_t / \sqrt{\hat v_t}$ (Adam)")
    ax_r.axhline(1.0, color="k", ls="--", lw=0.8)
    ax_r.set_xscale("log")
    ax_r.set_xlabel("step t (log scale)")
    peak = float(ratio.max())
    ax_r.set_title(f"Adam's step in units of lr (β2 = {beta2:g}); uncorrected peak {peak:.1f}", fontsize=10)
    ax_r.legend(fontsize=8, loc="upper right")
    for ax in (ax_m, ax_r):
        ax.grid(alpha=0.3)
    return fig


def ema_explorer() -> FigureWidget:
    """``plot_ema`` with sliders for β1, β2 and the noise, and a checkbox for the bias correction."""
    import ipywidgets as w

    style = {"description_width": "90px"}
    lay = w.Layout(width="330px")
    return FigureWidget(
        plot_ema,
        {
            "beta1": w.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="β1", style=style,
                                   layout=lay, continuous_update=False),
            "beta2": w.SelectionSlider(options=[0.9, 0.99, 0.999, 0.9999], value=0.999, description="β2",
                                       style=style, layout=lay, continuous_update=False),
            "noise": w.FloatSlider(value=0.5, min=0.0, max=2.0, step=0.1, description="gradient noise",
                                   style=style, layout=lay, continuous_update=False),
            "bias_correction": w.Checkbox(value=True, description="bias correction"),
        },
        width=900,
        height=300,
    )


def plot_accumulators(alpha: float = 0.99, lr: float = 0.01, n_steps: int = 1200, drop_at: int = 300,
                      drop_to: float = 0.01, seed: int = 0) -> Figure:
    """AdaGrad's sum of g² against RMSProp's running average, when the gradients shrink 100-fold.

    The gradients have size about 1 until step ``drop_at`` and about ``drop_to`` after it (the
    optimizer has entered a flat region). Left: the effective learning rates ``lr / √(Σ g²)`` and
    ``lr / √(EMA of g²)``; right: the resulting step lengths. AdaGrad never forgets the early,
    large gradients; RMSProp does after about ``1 / (1 - α)`` steps.
    """
    rng = np.random.default_rng(seed)
    scale = np.where(np.arange(n_steps) < drop_at, 1.0, drop_to)
    g = scale * (1.0 + 0.3 * rng.standard_normal(n_steps))
    t = np.arange(1, n_steps + 1)
    eff_adagrad = lr / (np.sqrt(np.cumsum(g * g)) + 1e-10)
    eff_rmsprop = lr / (np.sqrt(_ema(g * g, alpha)) + 1e-8)
    fig = Figure(figsize=(11.0, 3.5))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.88, wspace=0.25)
    ax_e, ax_s = fig.subplots(1, 2)
    for ax, ys, title in [(ax_e, (eff_adagrad, eff_rmsprop), "effective learning rate (per coordinate)"),
                          (ax_s, (eff_adagrad * np.abs(g), eff_rmsprop * np.abs(g)), "length of the step |Δθ|")]:
        ax.semilogy(t, ys[0], color="#ff7f0e", lw=1.5, label=r"AdaGrad: lr / $\sqrt{\sum_{s \leq t} g_s^2}$")
        ax.semilogy(t, ys[1], color="#1f77b4", lw=1.5, label=rf"RMSProp: lr / $\sqrt{{E[g^2]_t}}$ (α = {alpha:g})")
        ax.axvline(drop_at, color="0.5", ls=":", lw=1)
        ax.set_xlabel("step t")
        ax.set_title(title, fontsize=10)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
    ax_e.legend(fontsize=8, loc="upper left")
    ax_s.text(drop_at, ax_s.get_ylim()[1], f"  gradients shrink {1 / drop_to:g}×", va="top", fontsize=8)
    return fig




def plot_lookahead(surface: Surface, lr: float, momentum: float, step: int, n_steps: int = 60) -> Figure:
    """Heavy ball against Nesterov: one update from the same point and velocity, drawn as arrows.

    The point and velocity come from ``step`` steps of heavy-ball momentum (the explorer's
    ``"momentum"`` optimizer) from the surface's start. Left: the heavy ball adds the momentum
    ``μv`` and the negative gradient *at the current point*. Right: Nesterov first jumps to the
    look-ahead point ``θ + μv`` and takes the gradient *there*. Grey: the path so far.
    """
    from dlcourse.explorer.run import run

    traj = run(surface, {"name": "momentum", "lr": lr, "momentum": momentum}, n_steps=max(n_steps, step + 1))
    if traj.diverged or step < 1 or step >= traj.n_taken:
        raise ValueError(f"step must be between 1 and {traj.n_taken - 1} on a run that does not diverge")
    theta = traj.points[step]
    carry = momentum * (traj.points[step] - traj.points[step - 1])  # μv: where momentum alone would go
    rules = [
        ("heavy ball: gradient at θ", theta, theta + carry - lr * surface.grad(theta)),
        ("Nesterov: gradient at the look-ahead θ + μv", theta + carry,
         theta + carry - lr * surface.grad(theta + carry)),
    ]
    fig = Figure(figsize=(10.5, 4.4))
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.08, top=0.9, wspace=0.12)
    ends = np.array([theta, theta + carry, rules[0][2], rules[1][2]])
    center = (ends.min(axis=0) + ends.max(axis=0)) / 2
    span = 0.75 * max(float(np.ptp(ends, axis=0).max()), 1e-3)
    for ax, (title, grad_at, new) in zip(fig.subplots(1, 2), rules):
        draw_contours(ax, surface, n_levels=30)
        ax.plot(traj.points[: step + 1, 0], traj.points[: step + 1, 1], "-", color="0.6", lw=1, zorder=3)
        arrows = [(theta, theta + carry, "#1f77b4", "momentum μv"),
                  (theta + carry, new, "#d62728", "−lr · gradient, added to it"),
                  (theta, new, "k", "the step")]
        for start, end, color, label in arrows:
            ax.annotate("", xy=end, xytext=start, zorder=6,
                        arrowprops=dict(arrowstyle="->", color=color, lw=2.2 if color == "k" else 1.8))
            ax.plot([], [], color=color, lw=2, label=label)
        ax.plot(*theta, "o", color="k", ms=5, zorder=7)
        ax.plot(*grad_at, "o", color="#d62728", ms=7, mfc="none", mew=2, zorder=7, label="where the gradient is taken")
        ax.set_xlim(center[0] - span, center[0] + span)
        ax.set_ylim(center[1] - span, center[1] + span)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="best")
    return fig


def plot_step_directions(surface: Surface, lr: float, n_grid: int = 7) -> Figure:
    """The first step of GD against the first step of AdaGrad, RMSProp and Adam, on a grid of points.

    Left: ``-lr·∇f``. Right: ``-lr·sign(∇f)``, the first step of the per-coordinate methods (each
    coordinate divided by its own gradient size). On a valley along the axes, GD's arrows point
    across the valley; the rescaled arrows point much more towards the minimum.
    """
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n_grid + 2)[1:-1], np.linspace(y0, y1, n_grid + 2)[1:-1])
    P = np.stack([X, Y], axis=-1)
    G = surface.grad(P)
    fig = Figure(figsize=(10.5, 4.4))
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.08, top=0.9, wspace=0.12)
    for ax, step, title in zip(fig.subplots(1, 2), (-lr * G, -lr * np.sign(G)),
                               (f"GD: −lr·∇f (lr = {lr:g})", f"per coordinate: −lr·sign(∇f) (lr = {lr:g})")):
        draw_contours(ax, surface, n_levels=20)
        ax.quiver(X, Y, step[..., 0], step[..., 1], angles="xy", scale_units="xy", scale=1, color="#d62728",
                  width=0.004, zorder=6)
        ax.set_title(title, fontsize=10)
    return fig


__all__ = ["PALETTE", "LearnerOptimizer", "ema_explorer", "learner_optimizer", "plot_accumulators", "plot_comparison",
           "plot_ema", "plot_lookahead", "plot_step_directions"]
