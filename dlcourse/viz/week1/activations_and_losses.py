"""Figures and widgets of the notebook "Week 1 · 2. Activations, softmax and losses".

Nothing here is an exercise's solution. The activation curves come from torch's built-in
functions, and their derivatives from ``torch.autograd``; the softmax figures take the softmax
function to draw as an argument (the learner's own, once it is written), with torch's as the
default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from dlcourse.plots import new_figure
from dlcourse.widgets import FigureWidget

#: The activations the explorer offers, as torch functions of a tensor.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "ReLU": torch.relu,
    "leaky ReLU (slope 0.1)": lambda t: torch.nn.functional.leaky_relu(t, 0.1),
}

_F_COLOR = "#2e5fa3"
_DF_COLOR = "#c0392b"


def activation_and_derivative(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f(x)`` and ``f'(x)`` (elementwise, by torch.autograd in float64) of the activation ``name``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = ACTIVATIONS[name](t)
    (grad,) = torch.autograd.grad(y.sum(), t)
    return y.detach().numpy(), grad.numpy()


def draw_activation(
    activation: str = "sigmoid",
    x_range: float = 6.0,
    weight_scale: float = 1.0,
    fan_in: int = 100,
    n_samples: int = 4000,
    seed: int = 0,
) -> Figure:
    """Three panels: ``f`` and ``f'`` on ``[-x_range, x_range]``, and a histogram of ``f(Wx)``.

    ``x`` are standard-normal inputs of size ``fan_in`` and ``W`` has entries of standard
    deviation ``weight_scale / sqrt(fan_in)``, so the pre-activations ``a = Wx`` have a standard
    deviation of about ``weight_scale``. The band of ±2 standard deviations, where 95% of them
    fall, is shaded on the curves; the last panel's title says how many of them sit where the
    derivative is below 1% of its peak (saturated, or the flat side of a ReLU).
    """
    if x_range <= 0 or weight_scale <= 0:
        raise ValueError("x_range and weight_scale must be positive")
    x = np.linspace(-x_range, x_range, 401)
    f, df = activation_and_derivative(activation, x)

    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((n_samples, fan_in))
    w = rng.standard_normal(fan_in) * weight_scale / np.sqrt(fan_in)
    a = inputs @ w
    fa, dfa = activation_and_derivative(activation, a)
    peak = max(float(np.abs(df).max()), float(np.abs(dfa).max()), 1e-12)
    flat = float(np.mean(np.abs(dfa) < 0.01 * peak))

    # A fixed layout (not new_figure's constrained one) keeps a redraw of the widget fast.
    fig = Figure(figsize=(10.2, 2.9))
    fig.subplots_adjust(left=0.045, right=0.99, bottom=0.17, top=0.84, wspace=0.2)
    axes = fig.subplots(1, 3)
    band = 2 * weight_scale
    for ax, values, color, label in [(axes[0], f, _F_COLOR, "f(x)"), (axes[1], df, _DF_COLOR, "f'(x)")]:
        ax.axvspan(max(-band, -x_range), min(band, x_range), color="#f1c40f", alpha=0.18, lw=0)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.plot(x, values, color=color, lw=2)
        ax.set_xlim(-x_range, x_range)
        ax.set_xlabel("x")
        ax.set_title(f"{label} of {activation}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].set_ylim(min(-0.05, float(df.min()) - 0.05), max(1.1, float(df.max()) * 1.1))

    ax = axes[2]
    counts, edges = np.histogram(fa, bins=50)
    ax.stairs(counts, edges, fill=True, color=_F_COLOR, alpha=0.8)
    ax.set_xlabel(f"f(a), a = Wx, std(a) ≈ {weight_scale:.2g}")
    ax.set_yticks([])
    ax.set_title(f"f(Wx): mean f'(a) = {dfa.mean():.3f}\nf'(a) < 1% of its peak for {flat:.0%} of a", fontsize=9)
    return fig


def activation_explorer(width: int = 918, height: int = 261) -> FigureWidget:
    """Pick an activation, the x range of its curves and the weight scale of the histogram."""
    import ipywidgets as widgets

    style = {"description_width": "110px"}
    controls = {
        "activation": widgets.Dropdown(
            options=list(ACTIVATIONS), value="sigmoid", description="activation", style=style
        ),
        "x_range": widgets.FloatSlider(
            value=6.0, min=1.0, max=20.0, step=0.5, description="x range ±", continuous_update=False, style=style
        ),
        "weight_scale": widgets.FloatLogSlider(
            value=1.0,
            base=10,
            min=-1,
            max=1.3,
            step=0.05,
            description="weight scale",
            continuous_update=False,
            style=style,
        ),
    }
    return FigureWidget(draw_activation, controls, width=width, height=height)


def _torch_softmax(z: np.ndarray) -> np.ndarray:
    return torch.softmax(torch.as_tensor(np.asarray(z, dtype=np.float64)), dim=-1).numpy()


def softmax_temperature_bars(
    z: Sequence[float] | np.ndarray,
    temperatures: Sequence[float] = (0.1, 0.5, 1.0, 2.0, 10.0),
    softmax: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Figure:
    """One panel of bars of ``softmax(z / T)`` per temperature ``T``; the argmax bar is highlighted."""
    softmax = softmax or _torch_softmax
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1:
        raise ValueError(f"z must be a 1-D array of logits, got shape {z.shape}")
    fig, axes = new_figure(ncols=len(temperatures), size=(2.3, 2.4))
    colors = np.where(np.arange(z.size) == np.argmax(z), _DF_COLOR, _F_COLOR)
    for ax, t in zip(axes, temperatures, strict=True):
        p = np.asarray(softmax(z / t), dtype=np.float64)
        ax.bar(np.arange(z.size), p, color=colors)
        ax.axhline(1 / z.size, color="0.5", lw=0.8, ls="--")
        ax.set_ylim(0, 1.05)
        ax.set_xticks(np.arange(z.size))
        ax.set_title(f"T = {t:g}", fontsize=10)
    axes[0].set_ylabel("softmax(z / T)")
    return fig


def draw_temperature(
    temperature: float = 1.0,
    z: Sequence[float] | np.ndarray = (2.0, 1.0, 0.5, -1.0, 3.0, -0.5),
    softmax: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Figure:
    """The logits ``z`` as bars next to ``softmax(z / T)``, with its entropy and largest probability."""
    softmax = softmax or _torch_softmax
    z = np.asarray(z, dtype=np.float64)
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    p = np.asarray(softmax(z / temperature), dtype=np.float64)
    entropy = float(-np.sum(p * np.log(np.where(p > 0, p, 1.0))))
    fig, axes = new_figure(ncols=2, size=(3.6, 2.8))
    colors = np.where(np.arange(z.size) == np.argmax(z), _DF_COLOR, _F_COLOR)
    axes[0].bar(np.arange(z.size), z, color=colors)
    axes[0].axhline(0, color="0.6", lw=0.8)
    axes[0].set_title("logits z", fontsize=10)
    axes[1].bar(np.arange(z.size), p, color=colors)
    axes[1].axhline(1 / z.size, color="0.5", lw=0.8, ls="--", label="uniform 1/C")
    axes[1].set_ylim(0, 1.05)
    axes[1].legend(fontsize=8, loc="upper left")
    axes[1].set_title(
        f"softmax(z / {temperature:.3g}): max p = {p.max():.3f},\n"
        f"entropy = {entropy:.2f} (uniform: log C = {np.log(z.size):.2f})",
        fontsize=9,
    )
    for ax in axes:
        ax.set_xticks(np.arange(z.size))
        ax.set_xlabel("class")
    return fig


def temperature_explorer(
    z: Sequence[float] | np.ndarray = (2.0, 1.0, 0.5, -1.0, 3.0, -0.5),
    softmax: Callable[[np.ndarray], np.ndarray] | None = None,
    width: int = 648,
    height: int = 252,
) -> FigureWidget:
    """A temperature slider (log scale, 0.05 to 20) over :func:`draw_temperature`."""
    import ipywidgets as widgets

    logits = np.asarray(z, dtype=np.float64)
    slider = widgets.FloatLogSlider(
        value=1.0,
        base=10,
        min=np.log10(0.05),
        max=np.log10(20),
        step=0.02,
        description="temperature T",
        continuous_update=False,
        style={"description_width": "110px"},
    )

    def draw(temperature: float) -> Figure:
        return draw_temperature(temperature, logits, softmax)

    return FigureWidget(draw, {"temperature": slider}, width=width, height=height)
