"""Figures and the polynomial-degree widget of "Week 2 · 6. Over- and underfitting, cross-validation and
hyperparameter search".

Nothing here is an exercise's solution: the functions draw what the notebook computed, and the degree
explorer takes the fitting function to use as an argument (the learner's own). Every plot returns a
``matplotlib.figure.Figure`` (no pyplot state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dlcourse.plots import finish_axes, new_figure
from dlcourse.widgets import FigureWidget

_TRAIN = "#2e5fa3"
_VAL = "#e08e0b"
_TRUE = "#2e7d32"
_GRID = "#8e44ad"
_RANDOM = "#c0392b"


def true_curve(x: np.ndarray) -> np.ndarray:
    """The noiseless function of the polynomial experiments: ``sin(pi x)`` on [-1, 1]."""
    return np.sin(np.pi * np.asarray(x, dtype=np.float64))


def make_curve_data(
    n: int,
    noise: float,
    rng: np.random.Generator,
    design: str = "grid",
    fn: Callable[[np.ndarray], np.ndarray] = true_curve,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy samples ``y = fn(x) + noise * N(0, 1)`` with ``x`` in [-1, 1].

    ``design="grid"`` puts the x evenly spaced (a fixed design: only the noise is random);
    ``design="uniform"`` draws them uniformly at random. Returns float64 arrays x (n,), y (n,).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if design == "grid":
        x = np.linspace(-1.0, 1.0, n)
    elif design == "uniform":
        x = rng.uniform(-1.0, 1.0, size=n)
    else:
        raise ValueError(f"design must be 'grid' or 'uniform', got {design!r}")
    return x, fn(x) + noise * rng.standard_normal(n)


def _mse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(pred, dtype=np.float64) - y) ** 2))


def degree_curves(
    fit: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    degrees: Sequence[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation mean squared error of ``fit(x, y, degree)`` for every degree."""
    train, val = [], []
    for d in degrees:
        w = fit(x_train, y_train, int(d))
        train.append(_mse(predict(x_train, w), y_train))
        val.append(_mse(predict(x_val, w), y_val))
    return np.array(train), np.array(val)


def draw_degree(
    fit: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
    degree: int = 3,
    n_train: int = 15,
    noise: float = 0.3,
    other_sets: bool = False,
    max_degree: int = 14,
    n_val: int = 300,
    n_other: int = 20,
    seed: int = 0,
) -> Figure:
    """Two panels: the degree-``degree`` fit to ``n_train`` noisy points of sin(pi x) (optionally with the fits to
    ``n_other`` other training sets drawn the same way), and the training and validation errors against the degree.
    """
    rng = np.random.default_rng(seed)
    x_tr, y_tr = make_curve_data(n_train, noise, rng)
    x_val, y_val = make_curve_data(n_val, noise, np.random.default_rng(seed + 1000), design="uniform")
    degrees = np.arange(max_degree + 1)
    train, val = degree_curves(fit, predict, x_tr, y_tr, x_val, y_val, degrees)
    xs = np.linspace(-1.0, 1.0, 300)

    fig = Figure(figsize=(10.0, 3.6))
    fig.subplots_adjust(left=0.06, right=0.985, bottom=0.14, top=0.88, wspace=0.22)
    ax, ax2 = fig.subplots(1, 2)
    if other_sets:
        other_rng = np.random.default_rng(seed + 1)
        for _ in range(n_other):
            x_o, y_o = make_curve_data(n_train, noise, other_rng)
            ax.plot(xs, predict(xs, fit(x_o, y_o, degree)), color=_TRAIN, lw=0.8, alpha=0.25)
    ax.plot(xs, true_curve(xs), "--", color=_TRUE, lw=1.5, label="true sin(πx)")
    ax.scatter(x_val, y_val, s=6, color=_VAL, alpha=0.35, label="validation points")
    ax.plot(xs, predict(xs, fit(x_tr, y_tr, degree)), color=_TRAIN, lw=2.2, label=f"degree-{degree} fit")
    ax.scatter(x_tr, y_tr, s=30, color=_TRAIN, edgecolors="k", zorder=3, label="training points")
    ax.set_ylim(-2.2, 2.2)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("x")
    ax.set_title(
        f"degree {degree}: train MSE {train[degree]:.3f}, validation MSE {val[degree]:.3f}"
        + (f"\n(faint: fits to {n_other} other training sets)" if other_sets else ""),
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="lower right")

    floor = 1e-3 if noise > 0 else 1e-6  # the bottom of the axis: smaller training errors are drawn on it
    ax2.semilogy(degrees, np.maximum(train, floor), "o-", color=_TRAIN, ms=4, label="training MSE")
    ax2.semilogy(degrees, val, "o-", color=_VAL, ms=4, label="validation MSE")
    if noise > 0:
        ax2.axhline(noise**2, color="0.5", ls=":", lw=1, label=f"noise variance σ² = {noise**2:.3g}")
    ax2.axvline(degree, color="k", lw=0.8, alpha=0.6)
    best = int(np.argmin(val))
    ax2.plot([best], [val[best]], "*", color=_VAL, ms=14, mec="k", zorder=4)
    ax2.set_ylim(floor, max(10.0, min(1e3, float(val.max()) * 2)))
    ax2.set_xlabel("polynomial degree (capacity)")
    ax2.set_title(f"best validation error at degree {best} (★)", fontsize=9)
    ax2.legend(fontsize=7, loc="upper left")
    ax2.grid(alpha=0.3)
    return fig


def plot_fits(
    fit: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
    degrees: Sequence[int],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray] = true_curve,
) -> Figure:
    """One panel per degree: the training points, the validation points (faint), the truth and the fitted
    polynomial, titled with the training and validation mean squared errors."""
    fig, axes = new_figure(ncols=len(degrees), size=(3.3, 2.9))
    xs = np.linspace(-1.0, 1.0, 300)
    for ax, d in zip(axes, degrees):
        w = fit(x_train, y_train, int(d))
        ax.scatter(x_val, y_val, s=5, color=_VAL, alpha=0.3)
        ax.plot(xs, fn(xs), "--", color=_TRUE, lw=1.3)
        ax.plot(xs, predict(xs, w), color=_TRAIN, lw=2)
        ax.scatter(x_train, y_train, s=26, color=_TRAIN, edgecolors="k", zorder=3)
        ax.set_ylim(-2.2, 2.2)
        ax.set_xlim(-1.05, 1.05)
        tr, va = _mse(predict(x_train, w), y_train), _mse(predict(x_val, w), y_val)
        ax.set_title(f"degree {d}\ntrain MSE {tr:.3f} | validation MSE {va:.3f}", fontsize=8.5)
    return fig


def degree_explorer(
    fit: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
    max_degree: int = 14,
    seed: int = 0,
) -> FigureWidget:
    """A widget: sliders for the degree, the number of training points and the noise, and a checkbox that adds
    the fits to 20 other training sets (variance made visible). ``fit(x, y, degree) -> w``,
    ``predict(x, w) -> y_hat``."""
    import ipywidgets as widgets

    style = {"description_width": "150px"}
    controls = {
        "degree": widgets.IntSlider(
            value=3, min=0, max=max_degree, description="degree", continuous_update=False, style=style
        ),
        "n_train": widgets.IntSlider(
            value=15, min=5, max=100, description="training points", continuous_update=False, style=style
        ),
        "noise": widgets.FloatSlider(
            value=0.3, min=0.0, max=0.8, step=0.05, description="noise σ", continuous_update=False, style=style
        ),
        "other_sets": widgets.Checkbox(value=False, description="show fits to 20 other training sets"),
    }

    def draw(degree: int, n_train: int, noise: float, other_sets: bool) -> Figure:
        return draw_degree(fit, predict, degree, n_train, noise, other_sets, max_degree=max_degree, seed=seed)

    return FigureWidget(draw, controls, width=900, height=330)


def plot_train_val(
    x: Sequence[float] | np.ndarray,
    train: Sequence[float] | np.ndarray,
    val: Sequence[float] | np.ndarray,
    xlabel: str,
    ylabel: str,
    title: str = "",
    logx: bool = False,
    logy: bool = False,
    best: str | None = None,
    ax: Axes | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """Training and validation curves against a capacity or hyperparameter; ``best="min"`` or ``"max"`` stars the
    best validation point. With ``ylim``, values outside it are drawn on its edge."""
    x, train, val = (np.asarray(a, dtype=np.float64) for a in (x, train, val))
    if not (x.shape == train.shape == val.shape) or x.ndim != 1:
        raise ValueError(f"x, train and val must be 1-D of one length, got {x.shape}, {train.shape}, {val.shape}")
    if ylim is not None:
        train, val = np.clip(train, *ylim), np.clip(val, *ylim)
    if ax is None:
        fig, axes = new_figure(size=(4.6, 3.3))
        ax = axes[0]
    fig = ax.get_figure()
    ax.plot(x, train, "o-", color=_TRAIN, ms=4, label="training")
    ax.plot(x, val, "o-", color=_VAL, ms=4, label="validation")
    ax.fill_between(x, train, val, color="0.85", alpha=0.6, lw=0, label="gap")
    if best is not None:
        if best not in ("min", "max"):
            raise ValueError(f"best must be 'min', 'max' or None, got {best!r}")
        i = int(np.argmin(val) if best == "min" else np.argmax(val))
        ax.plot([x[i]], [val[i]], "*", color=_VAL, ms=14, mec="k", zorder=4)
    if logx:
        powers_of_two = bool(np.all(x > 0)) and np.allclose(np.log2(x), np.round(np.log2(x)))
        ax.set_xscale("log", base=2 if powers_of_two else 10)
    if logy:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    finish_axes(ax, xlabel, ylabel, title, title_size=9)
    return fig


def plot_bias_variance(
    x_grid: np.ndarray,
    predictions: Mapping[int, np.ndarray],
    degrees: Sequence[int] | np.ndarray,
    bias2: Sequence[float] | np.ndarray,
    variance: Sequence[float] | np.ndarray,
    noise_var: float,
    fn: Callable[[np.ndarray], np.ndarray] = true_curve,
) -> Figure:
    """Left panels: for a few degrees, the fits to many training sets (faint), their average (bold) and the
    truth. Right panel: bias², variance and their sum (+ noise) against the degree."""
    shown = list(predictions)
    fig = Figure(figsize=(2.6 * len(shown) + 3.6, 3.0), layout="constrained")
    axes = fig.subplots(1, len(shown) + 1, gridspec_kw={"width_ratios": [1.0] * len(shown) + [1.5]})
    truth = fn(x_grid)
    for ax, d in zip(axes, shown):
        P = np.asarray(predictions[d], dtype=np.float64)
        for row in P[:40]:
            ax.plot(x_grid, row, color=_TRAIN, lw=0.6, alpha=0.2)
        ax.plot(x_grid, P.mean(axis=0), color="k", lw=2, label="average fit")
        ax.plot(x_grid, truth, "--", color=_TRUE, lw=1.5, label="truth")
        ax.set_ylim(-2.0, 2.0)
        ax.set_title(f"degree {d}", fontsize=9)
        ax.set_xticks([-1, 0, 1])
    axes[0].legend(fontsize=7, loc="lower right")
    ax = axes[-1]
    degrees = np.asarray(degrees)
    b2, var = np.asarray(bias2, dtype=np.float64), np.asarray(variance, dtype=np.float64)
    ax.semilogy(degrees, np.maximum(b2, 1e-6), "o-", color=_TRUE, ms=4, label="bias²")
    ax.semilogy(degrees, var, "o-", color=_RANDOM, ms=4, label="variance")
    ax.semilogy(degrees, b2 + var + noise_var, "o-", color="k", ms=4, label="bias² + variance + σ²")
    ax.axhline(noise_var, color="0.5", ls=":", lw=1, label="σ² (irreducible)")
    best = int(np.argmin(b2 + var))
    ax.plot([degrees[best]], [b2[best] + var[best] + noise_var], "*", color=_VAL, ms=14, mec="k", zorder=4)
    ax.set_ylim(1e-4, 10.0)
    ax.set_xlabel("polynomial degree")
    ax.set_title("expected squared error on a new point", fontsize=9)
    ax.legend(fontsize=7, loc="upper center")
    ax.grid(alpha=0.3)
    return fig


def plot_best_of(
    n_models: Sequence[int] | np.ndarray,
    best_scores: np.ndarray,
    true_score: float,
    n_test: int,
) -> Figure:
    """The winner's curse: the score of the best of m equally good models on one test set, against m.

    ``best_scores`` has shape (len(n_models), repeats): the best observed score in each repetition.
    """
    m = np.asarray(n_models)
    B = np.asarray(best_scores, dtype=np.float64)
    if B.ndim != 2 or B.shape[0] != m.size:
        raise ValueError(f"best_scores must have shape ({m.size}, repeats), got {B.shape}")
    fig, axes = new_figure(size=(5.2, 3.2))
    ax = axes[0]
    lo, med, hi = np.percentile(B, [10, 50, 90], axis=1)
    ax.fill_between(m, lo, hi, color=_RANDOM, alpha=0.2, lw=0, label="10–90 % of repetitions")
    ax.plot(m, med, "o-", color=_RANDOM, ms=4, label="median best test score")
    ax.axhline(true_score, color="k", ls="--", lw=1.2, label=f"true accuracy of every model ({true_score:.0%})")
    ax.set_xscale("log")
    ax.set_xlabel("number of models compared on the same test set")
    ax.set_ylabel("test accuracy of the winner")
    ax.set_title(f"choosing by the test score ({n_test} test images) flatters the winner", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def plot_kfold(splits: Sequence[tuple[np.ndarray, np.ndarray]], n: int) -> Figure:
    """One row per fold, one column per sample: validation samples coloured, training samples pale."""
    k = len(splits)
    if k == 0:
        raise ValueError("no splits to draw")
    M = np.zeros((k, n))
    for i, (train_idx, val_idx) in enumerate(splits):
        M[i, np.asarray(train_idx, dtype=np.int64)] = 1.0
        M[i, np.asarray(val_idx, dtype=np.int64)] = 2.0
    from matplotlib.colors import ListedColormap

    fig, axes = new_figure(size=(min(9.0, 2.0 + 0.18 * n), 0.45 * k + 1.0))
    ax = axes[0]
    ax.pcolormesh(np.arange(n + 1) - 0.5, np.arange(k + 1) - 0.5, M, cmap=ListedColormap(["white", "#cfe0f5", _VAL]),
                  vmin=0, vmax=2, edgecolors="white", linewidth=0.6)
    ax.invert_yaxis()
    ax.set_yticks(range(k))
    ax.set_yticklabels([f"fold {i}" for i in range(k)], fontsize=8)
    ax.set_xlabel("sample index")
    ax.set_xticks(range(0, n, max(1, n // 10)))
    ax.set_title(f"{k}-fold cross-validation of {n} samples: validation (orange), training (blue)", fontsize=9)
    return fig


def plot_fold_scores(groups: Mapping[str, Sequence[float] | np.ndarray], xlabel: str = "validation accuracy") -> Figure:
    """A strip plot: one row per named group of scores, each score a dot, the mean ± one standard deviation as a bar."""
    if not groups:
        raise ValueError("nothing to plot")
    fig, axes = new_figure(size=(7.5, 0.6 * len(groups) + 1.2))
    ax = axes[0]
    for row, values in enumerate(groups.values()):
        v = np.asarray(values, dtype=np.float64).ravel()
        ax.scatter(v, np.full(v.size, row) + np.linspace(-0.12, 0.12, v.size), s=22, color=_TRAIN, alpha=0.8,
                   zorder=3)
        ax.errorbar([v.mean()], [row], xerr=[v.std()], fmt="D", color="k", ms=6, capsize=4, zorder=4)
        ax.text(1.01, row, f"{v.mean():.3f} ± {v.std():.3f}", transform=ax.get_yaxis_transform(), va="center",
                fontsize=8)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels(list(groups), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3, axis="x")
    return fig


def plot_sampling(samples: Mapping[str, Sequence[float] | np.ndarray], lo: float, hi: float) -> Figure:
    """Histograms of samples of a positive hyperparameter on a log axis, with the share of each decade written on."""
    if not (0 < lo < hi):
        raise ValueError(f"need 0 < lo < hi, got lo={lo}, hi={hi}")
    fig, axes = new_figure(ncols=len(samples), size=(3.8, 2.8))
    bins = np.logspace(np.log10(lo), np.log10(hi), 25)
    edges = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    for ax, (name, values) in zip(axes, samples.items()):
        v = np.asarray(values, dtype=np.float64)
        counts, _, _ = ax.hist(v, bins=bins, color=_TRAIN, alpha=0.85)
        ax.set_xscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("value (log axis)")
        ax.set_yticks([])
        top = 1.25 * float(np.max(counts)) if np.max(counts) > 0 else 1.0
        ax.set_ylim(0, top)
        for a, b in zip(edges[:-1], edges[1:]):
            share = np.mean((v >= a) & (v < b))
            ax.text(np.sqrt(a * b), 0.9 * top, f"{share:.0%}", ha="center", fontsize=8, color=_RANDOM,
                    fontweight="bold")
            ax.axvline(a, color="0.7", lw=0.6)
    return fig


def plot_grid_vs_random(
    grid_points: np.ndarray,
    grid_scores: np.ndarray,
    random_points: np.ndarray,
    random_scores: np.ndarray,
    curve_x: tuple[np.ndarray, np.ndarray],
    curve_y: tuple[np.ndarray, np.ndarray] | None,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    names: tuple[str, str] = ("learning rate", "weight decay"),
    score_name: str = "validation accuracy",
) -> Figure:
    """Bergstra & Bengio's picture from real runs: the trials of a grid and of a random search in the square of
    two log-scaled hyperparameters, with the score as a function of each one alone in the margins (top: the
    important one, left: the unimportant one). The grid tests only a few distinct values of each."""
    fig = Figure(figsize=(10.0, 4.6), layout="constrained")
    gs = fig.add_gridspec(2, 4, width_ratios=[1.0, 3.2, 1.0, 3.2], height_ratios=[1.1, 3.0])
    (xlo, xhi), (ylo, yhi) = bounds
    cx, cs = (np.asarray(a, dtype=np.float64) for a in curve_x)
    top_score = float(np.max(np.concatenate([np.ravel(grid_scores), np.ravel(random_scores), cs])))
    # Zoom on the good scores: differences of a point matter; anything much worse is drawn at the bottom edge.
    s_hi = min(1.0, top_score + 0.01)
    s_lo = max(0.0, top_score - 0.15)
    for col, (label, pts, scores, color) in enumerate(
        [("grid search", grid_points, grid_scores, _GRID), ("random search", random_points, random_scores, _RANDOM)]
    ):
        pts = np.asarray(pts, dtype=np.float64)
        scores = np.asarray(scores, dtype=np.float64)
        sq = fig.add_subplot(gs[1, 2 * col + 1])
        top = fig.add_subplot(gs[0, 2 * col + 1], sharex=sq)
        left = fig.add_subplot(gs[1, 2 * col], sharey=sq)
        sc = sq.scatter(pts[:, 0], pts[:, 1], c=np.clip(scores, s_lo, s_hi), cmap="viridis", vmin=s_lo, vmax=s_hi,
                        s=70, edgecolors="k", zorder=3)
        best = int(np.argmax(scores))
        sq.scatter([pts[best, 0]], [pts[best, 1]], marker="*", s=320, facecolors="none", edgecolors="r", lw=1.5,
                   zorder=4)
        sq.set_xscale("log")
        sq.set_yscale("log")
        sq.set_xlim(xlo, xhi)
        sq.set_ylim(ylo, yhi)
        sq.set_xlabel(f"{names[0]} (important)")
        sq.tick_params(labelleft=False)
        top.plot(cx, np.clip(cs, s_lo, None), color="0.3", lw=1.5)
        for px, s in zip(pts[:, 0], scores):
            top.axvline(px, color=color, lw=0.8, alpha=0.6)
            top.plot([px], [max(s, s_lo)], "o" if s >= s_lo else "v", color=color, ms=5, mec="k", clip_on=False)
        top.set_ylim(s_lo, s_hi)
        top.tick_params(labelbottom=False, labelsize=7)
        n_distinct = len(np.unique(np.round(np.log10(pts[:, 0]), 6)))
        top.set_title(f"{label}: {len(pts)} trials, {n_distinct} distinct {names[0]}s, best {scores.max():.3f}",
                      fontsize=9)
        left.set_ylabel(f"{names[1]} (unimportant)")
        for py in pts[:, 1]:
            left.axhline(py, color=color, lw=0.8, alpha=0.6)
        if curve_y is not None:
            left.plot(np.clip(np.asarray(curve_y[1], dtype=np.float64), s_lo, None), np.asarray(curve_y[0]),
                      color="0.3", lw=1.5)
        left.set_xlim(s_lo, s_hi)
        left.tick_params(labelsize=7)
        left.set_xlabel("score", fontsize=8)
    fig.colorbar(sc, ax=sq, label=score_name, shrink=0.8)
    return fig


def plot_search_results(
    runs: Mapping[str, tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]],
    xlabel: str = "learning rate",
    score_name: str = "mean CV accuracy",
    zoom: float | None = 0.15,
) -> Figure:
    """Left: the score of every trial against one hyperparameter (log axis), per search. Right: the best score found
    so far against the number of trials. With ``zoom``, the score axis shows only ``zoom`` below the best score and
    worse trials sit on the bottom edge as triangles."""
    fig, axes = new_figure(ncols=2, size=(4.6, 3.3))
    colors = [_GRID, _RANDOM, _TRAIN, _TRUE]
    best_all = max(float(np.max(np.asarray(sc, dtype=np.float64))) for _, sc in runs.values())
    lo = best_all - zoom if zoom is not None else -np.inf
    for (name, (xs, scores)), color in zip(runs.items(), colors):
        xs, scores = np.asarray(xs, dtype=np.float64), np.asarray(scores, dtype=np.float64)
        good = scores >= lo
        axes[0].scatter(xs[good], scores[good], s=36, color=color, edgecolors="k", alpha=0.85, label=name)
        if not good.all():
            axes[0].scatter(xs[~good], np.full((~good).sum(), lo), marker="v", s=36, color=color, edgecolors="k",
                            alpha=0.85, clip_on=False)
        axes[1].step(np.arange(1, scores.size + 1), np.maximum(np.maximum.accumulate(scores), lo), where="post",
                     color=color, lw=2, label=f"{name} (best {scores.max():.3f})")
    if zoom is not None:
        for ax in axes:
            ax.set_ylim(lo, best_all + 0.01)
    axes[0].set_xscale("log")
    axes[0].set_xlabel(xlabel)
    axes[0].set_ylabel(score_name + (" (▼: lower)" if zoom is not None else ""))
    axes[0].legend(fontsize=7)
    axes[0].grid(alpha=0.3)
    axes[1].set_xlabel("trials so far")
    axes[1].set_ylabel(f"best {score_name} so far")
    axes[1].legend(fontsize=7, loc="lower right")
    axes[1].grid(alpha=0.3)
    return fig
