"""Headless tests of dlcourse.viz.week2.model_selection (figures and the degree widget of week 2, notebook 6)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week2 import model_selection as vs


def _fit(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
    return np.polynomial.polynomial.polyfit(x, y, degree)


def _predict(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.polynomial.polynomial.polyval(x, w)


def test_make_curve_data_designs_and_errors() -> None:
    x, y = vs.make_curve_data(11, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(x, np.linspace(-1, 1, 11))
    np.testing.assert_allclose(y, np.sin(np.pi * x), atol=1e-15)
    x, y = vs.make_curve_data(500, 0.3, np.random.default_rng(1), design="uniform")
    assert x.shape == y.shape == (500,) and x.min() >= -1 and x.max() <= 1
    assert 0.25 < np.std(y - np.sin(np.pi * x)) < 0.35
    again = vs.make_curve_data(500, 0.3, np.random.default_rng(1), design="uniform")
    np.testing.assert_array_equal(again[1], y)
    for bad in [dict(n=0, noise=0.1), dict(n=5, noise=-1.0)]:
        with pytest.raises(ValueError):
            vs.make_curve_data(rng=np.random.default_rng(0), **bad)
    with pytest.raises(ValueError, match="design"):
        vs.make_curve_data(5, 0.1, np.random.default_rng(0), design="random")


def test_degree_curves_train_error_falls_to_zero() -> None:
    x, y = vs.make_curve_data(8, 0.3, np.random.default_rng(0))
    xv, yv = vs.make_curve_data(100, 0.3, np.random.default_rng(1), design="uniform")
    train, val = vs.degree_curves(_fit, _predict, x, y, xv, yv, range(8))
    assert train.shape == val.shape == (8,)
    assert np.all(np.diff(train) <= 1e-12)  # nested least-squares models: training error never rises
    assert train[7] < 1e-20 and val[7] > val[3]  # degree 7 interpolates the 8 points and overfits


def test_draw_degree_titles_and_other_sets() -> None:
    fig = vs.draw_degree(_fit, _predict, degree=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("degree 3: train MSE")
    assert "best validation error at degree" in fig.axes[1].get_title()
    plain = len(fig.axes[0].lines)
    more = vs.draw_degree(_fit, _predict, degree=3, other_sets=True, n_other=5)
    assert len(more.axes[0].lines) == plain + 5
    assert "5 other training sets" in more.axes[0].get_title()


def test_degree_explorer_redraws_and_shows_errors() -> None:
    ex = vs.degree_explorer(_fit, _predict)
    assert ex.last_error is None and ex.draw_count == 1
    ex.controls["degree"].value = 9
    ex.controls["n_train"].value = 40
    ex.controls["noise"].value = 0.0
    ex.controls["other_sets"].value = True
    assert ex.draw_count == 5 and ex.last_error is None

    def broken(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
        raise NotImplementedError("TODO: implement `fit_polynomial`")

    bad = vs.degree_explorer(broken, _predict)
    assert bad.last_error is not None and "fit_polynomial" in bad.error.value


def test_plot_fits_one_panel_per_degree() -> None:
    x, y = vs.make_curve_data(15, 0.3, np.random.default_rng(0))
    xv, yv = vs.make_curve_data(50, 0.3, np.random.default_rng(1), design="uniform")
    fig = vs.plot_fits(_fit, _predict, [1, 3, 14], x, y, xv, yv)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split("\n")[0] for t in titles] == ["degree 1", "degree 3", "degree 14"]
    assert "train MSE 0.000" in titles[2]


def test_plot_train_val_best_and_clipping() -> None:
    x = np.array([1, 2, 4, 8])
    fig = vs.plot_train_val(x, [0.5, 0.2, 1e-9, 1e-12], [0.6, 0.3, 0.4, 0.5], "width", "error", logx=True,
                            logy=True, best="min", ylim=(1e-3, 1.0))
    ax = fig.axes[0]
    star = [line for line in ax.lines if line.get_marker() == "*"][0]
    assert star.get_xdata()[0] == 2 and star.get_ydata()[0] == pytest.approx(0.3)
    assert min(ax.lines[0].get_ydata()) == pytest.approx(1e-3)  # clipped to the axis
    with pytest.raises(ValueError):
        vs.plot_train_val(x, [1, 2, 3], [1, 2, 3, 4], "x", "y")
    with pytest.raises(ValueError):
        vs.plot_train_val(x, x, x, "x", "y", best="best")


def test_plot_bias_variance_and_best_of() -> None:
    xg = np.linspace(-1, 1, 21)
    preds = {1: np.zeros((5, 21)), 3: np.ones((5, 21))}
    fig = vs.plot_bias_variance(xg, preds, [0, 1, 2], [0.5, 0.1, 0.01], [0.01, 0.02, 0.5], 0.09)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    best = np.random.default_rng(0).binomial(100, 0.9, size=(3, 50)) / 100
    fig = vs.plot_best_of([1, 2, 5], best, 0.9, 100)
    assert "100 test images" in fig.axes[0].get_title()
    with pytest.raises(ValueError):
        vs.plot_best_of([1, 2], best, 0.9, 100)


def test_plot_kfold_marks_each_sample_once_as_validation() -> None:
    folds = np.array_split(np.random.default_rng(0).permutation(13), 4)
    splits = [(np.concatenate(folds[:i] + folds[i + 1:]), f) for i, f in enumerate(folds)]
    fig = vs.plot_kfold(splits, 13)
    M = np.asarray(fig.axes[0].collections[0].get_array()).reshape(4, 13)
    np.testing.assert_array_equal((M == 2).sum(axis=0), np.ones(13))
    np.testing.assert_array_equal((M == 1).sum(axis=0), np.full(13, 3))
    with pytest.raises(ValueError):
        vs.plot_kfold([], 5)


def test_plot_fold_scores_writes_mean_and_std() -> None:
    fig = vs.plot_fold_scores({"a": [0.9, 1.0], "b": [0.5]})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["0.950 ± 0.050", "0.500 ± 0.000"]
    with pytest.raises(ValueError):
        vs.plot_fold_scores({})


def test_plot_sampling_shares_per_decade() -> None:
    rng = np.random.default_rng(0)
    log_uniform = np.exp(rng.uniform(np.log(1e-4), np.log(1e-1), 4000))
    fig = vs.plot_sampling({"uniform": rng.uniform(1e-4, 1e-1, 4000), "log": log_uniform}, 1e-4, 1e-1)
    shares = [[int(t.get_text().rstrip("%")) for t in ax.texts] for ax in fig.axes]
    assert shares[0][-1] == 90 and all(31 <= s <= 36 for s in shares[1])
    with pytest.raises(ValueError):
        vs.plot_sampling({"x": [1.0]}, 0.0, 1.0)


def test_plot_grid_vs_random_counts_distinct_values() -> None:
    lrs, wds = np.meshgrid([1e-4, 1e-2, 1.0], [1e-5, 1e-3, 1e-1])
    grid = np.column_stack([lrs.ravel(), wds.ravel()])
    rng = np.random.default_rng(0)
    rand = np.exp(rng.uniform(np.log([1e-4, 1e-5]), np.log([1.0, 1e-1]), size=(9, 2)))
    score = lambda p: 0.98 - 0.1 * (np.log10(p[:, 0]) + 2) ** 2  # noqa: E731
    cx = np.logspace(-4, 0, 9)
    fig = vs.plot_grid_vs_random(grid, score(grid), rand, score(rand), (cx, 0.98 - 0.1 * (np.log10(cx) + 2) ** 2),
                                 (np.logspace(-5, -1, 3), np.full(3, 0.97)), ((1e-4, 1.0), (1e-5, 1e-1)))
    titles = " | ".join(ax.get_title() for ax in fig.axes)
    assert "grid search: 9 trials, 3 distinct learning rates" in titles
    assert "random search: 9 trials, 9 distinct learning rates" in titles


def test_plot_search_results_best_so_far_and_zoom() -> None:
    fig = vs.plot_search_results({"grid": ([1e-3, 1e-2, 1e-1], [0.5, 0.9, 0.95]),
                                  "random": ([2e-3, 3e-2], [0.97, 0.1])})
    left, right = fig.axes
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert labels == ["grid (best 0.950)", "random (best 0.970)"]
    assert left.get_ylim() == pytest.approx((0.82, 0.98))
    np.testing.assert_allclose(right.lines[0].get_ydata(), [0.82, 0.9, 0.95])  # best so far, clipped at the zoom
