"""Headless tests of dlcourse.viz.week3.language_models (week 3, notebook 3): the bigram heat map, the
gradient-through-time and training figures, the name sampler and the temperature explorer (with its latency)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week3 import language_models as vl

ITOS = [".", "a", "b", "c"]


def _sample(logits, temperature, rng, n_samples=1):
    """A reference sampler with the notebook's contract (it is not the course's exercise solution file)."""
    if temperature == 0:
        return np.full(n_samples, np.argmax(logits), dtype=np.int64)
    z = np.asarray(logits) / temperature
    p = np.exp(z - z.max())
    return rng.choice(len(p), size=n_samples, p=p / p.sum())


def _table() -> np.ndarray:
    # After "." mostly "a"; after "a" mostly "b"; after "b" mostly "."; "c" is rare everywhere.
    return np.array([[0.01, 0.90, 0.05, 0.04], [0.10, 0.05, 0.80, 0.05], [0.85, 0.05, 0.05, 0.05],
                     [0.25, 0.25, 0.25, 0.25]])


def _next_logits(prefix):
    return np.log(_table()[prefix[-1] if prefix else 0])


def test_plot_bigram_table_draws_log_probabilities_and_labels() -> None:
    P = _table()
    fig = vl.plot_bigram_table(P, ITOS)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), np.log10(P))
    assert [t.get_text() for t in ax.get_xticklabels()] == ITOS
    linear = vl.plot_bigram_table(P, ITOS, log=False)
    np.testing.assert_allclose(linear.axes[0].images[0].get_array(), P)
    with pytest.raises(ValueError):
        vl.plot_bigram_table(P[:3], ITOS)


def test_plot_gradient_norms_x_axis_counts_steps_back() -> None:
    norms = {"shrinks": 0.5 ** np.arange(10)[::-1], "flat": np.ones(10)}
    fig = vl.plot_gradient_norms(norms)
    line = fig.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(10)[::-1])
    np.testing.assert_allclose(line.get_ydata(), norms["shrinks"])
    assert fig.axes[0].get_yscale() == "log"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["shrinks", "flat"]
    with pytest.raises(ValueError):
        vl.plot_gradient_norms({})


def test_plot_training_panels_baseline_and_threshold() -> None:
    history = {"train": [2.4, 2.3, 2.2], "val": [2.45, 2.35, 2.3], "grad_norm": list(np.linspace(2.0, 0.3, 30))}
    fig = vl.plot_training(history, baseline=2.5, max_norm=1.0)
    assert len(fig.axes) == 2
    ys = [line.get_ydata() for line in fig.axes[0].lines]
    np.testing.assert_allclose(ys[0], history["train"])
    np.testing.assert_allclose(ys[1], history["val"])
    assert any(np.allclose(y, 2.5) for y in ys[2:])  # the bigram's dashed line
    assert any(np.allclose(line.get_ydata(), 1.0) for line in fig.axes[1].lines)  # the clipping threshold
    only_losses = vl.plot_training({"train": [1.0, 0.9], "val": [1.1, 1.0]})
    assert len(only_losses.axes) == 1


def test_sample_names_uses_the_learner_sampler_and_stops_at_the_boundary() -> None:
    greedy = vl.sample_names(_next_logits, _sample, ITOS, 0.0, np.random.default_rng(0), n=3)
    assert greedy == ["ab", "ab", "ab"]  # argmax: . -> a -> b -> .
    names = vl.sample_names(_next_logits, _sample, ITOS, 1.0, np.random.default_rng(0), n=50, prefix=(3,))
    assert len(names) == 50 and all(n.startswith("c") for n in names)
    again = vl.sample_names(_next_logits, _sample, ITOS, 1.0, np.random.default_rng(0), n=50, prefix=(3,))
    assert names == again  # the same seed gives the same names
    long = vl.sample_names(lambda p: np.array([-50.0, 0.0, 0.0, 0.0]), _sample, ITOS, 1.0,
                           np.random.default_rng(1), n=2, max_len=7)
    assert all(len(n) == 7 for n in long)  # never draws the boundary: cut at max_len
    calls = []

    def spy(logits, temperature, rng, n_samples=1):
        calls.append((temperature, n_samples))
        return _sample(logits, temperature, rng, n_samples)

    vl.sample_names(_next_logits, spy, ITOS, 0.7, np.random.default_rng(0), n=2)
    assert calls and all(c == (0.7, 1) for c in calls)


def test_draw_temperature_bars_are_the_learner_sampler_frequencies() -> None:
    fig = vl.draw_temperature(_next_logits, _sample, ITOS, temperature=1.0, prefix="", n_draws=4000, seed=0)
    ax_bars, ax_names = fig.axes
    heights = np.array([p.get_height() for p in ax_bars.patches])
    assert heights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(heights, _table()[0], atol=0.03)
    cold = vl.draw_temperature(_next_logits, _sample, ITOS, temperature=0.0, prefix="a")
    np.testing.assert_allclose([p.get_height() for p in cold.axes[0].patches], [0, 0, 1, 0])  # greedy after "a"
    names = ax_names.texts[0].get_text().split("\n")
    assert len(names) == 10
    hot = vl.draw_temperature(_next_logits, _sample, ITOS, temperature=50.0, prefix="b", n_draws=4000)
    np.testing.assert_allclose([p.get_height() for p in hot.axes[0].patches], 0.25, atol=0.04)  # almost uniform
    # Units joined by a separator (e.g. jamo or syllables): the prefix is split on it.
    joined = vl.draw_temperature(_next_logits, _sample, ITOS, temperature=0.0, prefix="a b", join=" ")
    np.testing.assert_allclose([p.get_height() for p in joined.axes[0].patches], [1, 0, 0, 0])


def test_temperature_frame_updates_one_figure_in_place() -> None:
    frame = vl.TemperatureFrame(_next_logits, _sample, ITOS, n_names=4, n_draws=500)
    first = frame.update(0.0, "")
    np.testing.assert_allclose([b.get_height() for b in frame.bars], [0, 1, 0, 0])
    second = frame.update(1.0, "b")
    assert second is first and len(second.axes[0].patches) == len(ITOS)  # no new bars, no new axes
    assert "T = 1" in second.axes[0].get_title() and "“b”" in second.axes[0].get_title()
    assert len(frame.names_text.get_text().split("\n")) == 4


def test_temperature_explorer_reacts_caches_and_is_fast() -> None:
    calls = []

    def logits(prefix):
        calls.append(prefix)
        return _next_logits(prefix)

    explorer = vl.temperature_explorer(logits, _sample, ITOS, prefixes=("", "a", "ab"))
    assert explorer.last_error is None and explorer.draw_count == 1
    slider, menu = explorer.controls["temperature"], explorer.controls["prefix"]
    first = explorer.image.value
    slider.value = 0.0
    assert explorer.draw_count == 2 and explorer.image.value != first
    n_calls = len(calls)
    slider.value = 1.0
    slider.value = 0.0  # seen before: answered from the cache
    assert len(calls) <= n_calls + 30
    menu.value = "ab"
    assert explorer.last_error is None and explorer.draw_count == 5

    # Latency per slider change, including the PNG rendering (printed; the budget is 100 ms).
    times = []
    for value in [0.0, 0.3, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 0.5, 1.2]:
        start = time.perf_counter()
        slider.value = value
        times.append(1000 * (time.perf_counter() - start))
    print(f"temperature explorer: median {np.median(times):.0f} ms, max {np.max(times):.0f} ms per slider change")
    assert explorer.last_error is None


def test_temperature_explorer_shows_errors_of_the_learner_sampler() -> None:
    def broken(logits, temperature, rng, n_samples=1):
        raise NotImplementedError("TODO: implement sample_with_temperature")

    explorer = vl.temperature_explorer(_next_logits, broken, ITOS)
    assert explorer.last_error is not None and "TODO" in explorer.last_error
    assert "TODO" in explorer.error.value
