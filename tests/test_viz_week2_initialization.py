"""Headless tests of dlcourse.viz.week2.initialization: initial weights, layer statistics,
histograms and the explorer widget."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws

from dlcourse.viz.week2 import initialization as vi
from dlcourse.widgets import figure_to_png

SMALL, XAVIER, HE, LARGE = vi.SCHEMES


def _std_line(fig: Figure) -> np.ndarray:
    """The per-layer std values drawn in the std panel (the second axes of the figure)."""
    return np.asarray(fig.axes[1].get_lines()[0].get_ydata(), dtype=float)


@pytest.mark.parametrize(
    ("scheme", "expected_std"),
    [(SMALL, lambda i, o: 0.01), (XAVIER, lambda i, o: np.sqrt(2 / (i + o))), (HE, lambda i, o: np.sqrt(2 / i)),
     (LARGE, lambda i, o: 1.0)],
)
def test_torch_init_weights_follow_their_scheme(scheme: str, expected_std) -> None:
    sizes = [300, 200, 400]
    state = torch.random.get_rng_state()
    ws = vi.torch_init_weights(scheme, sizes, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state), "the global torch generator was touched"
    assert [tuple(w.shape) for w in ws] == [(200, 300), (400, 200)]
    for w, (n_in, n_out) in zip(ws, [(300, 200), (200, 400)]):
        assert w.dtype == torch.float64
        assert float(w.std()) == pytest.approx(expected_std(n_in, n_out), rel=0.02)
        assert abs(float(w.mean())) < 5 * expected_std(n_in, n_out) / np.sqrt(w.numel())
    again = vi.torch_init_weights(scheme, sizes, seed=3)
    other = vi.torch_init_weights(scheme, sizes, seed=4)
    assert torch.equal(again[0], ws[0]) and not torch.equal(other[0], ws[0])
    with pytest.raises(ValueError, match="unknown scheme"):
        vi.torch_init_weights("orthogonal", sizes)
    with pytest.raises(ValueError):
        vi.torch_init_weights(XAVIER, [10])


def test_layer_statistics_matches_a_numpy_forward_and_backward() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 5))
    ws = [rng.standard_normal((4, 5)) * 0.5, rng.standard_normal((3, 4)) * 0.5]
    stats = vi.layer_statistics(ws, X, "tanh", seed=1)
    h1 = np.tanh(X @ ws[0].T)
    h2 = np.tanh(h1 @ ws[1].T)
    np.testing.assert_allclose(stats.activations[0], h1, rtol=1e-12)
    np.testing.assert_allclose(stats.activations[1], h2, rtol=1e-12)
    np.testing.assert_allclose(stats.stds, [h1.std(), h2.std()], rtol=1e-12)
    # backward by hand for the loss sum(h2 * G), with the same G
    G = torch.randn(h2.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64).numpy() / np.sqrt(7)
    dz2 = G * (1 - h2**2)
    dh1 = dz2 @ ws[1]
    dz1 = dh1 * (1 - h1**2)
    np.testing.assert_allclose(stats.grad_norms, [np.linalg.norm(dz1.T @ X), np.linalg.norm(dz2.T @ h1)], rtol=1e-10)
    np.testing.assert_allclose(stats.backprop_norms, [np.linalg.norm(dh1), np.linalg.norm(G)], rtol=1e-10)
    relu = vi.layer_statistics(ws, X, torch.relu)  # a callable works too
    np.testing.assert_allclose(relu.activations[0], np.maximum(X @ ws[0].T, 0), rtol=1e-12)


def test_plot_layer_histograms_panels_and_notes() -> None:
    rng = np.random.default_rng(0)
    growing = [rng.standard_normal(1000) * 3.0**k for k in range(12)]
    fig = vi.plot_layer_histograms(growing, grad_norms=np.ones(12), title="growing")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "layer 12\nstd" in "".join(texts)
    assert any("outside" in t for t in texts), "activations that leave the window are not flagged"
    np.testing.assert_allclose(_std_line(fig), [a.std() for a in growing], rtol=1e-12)
    assert "growing" in fig._suptitle.get_text()

    no_grads = vi.plot_layer_histograms(growing[:3])
    assert len(no_grads.axes) == 2
    relu_like = [np.maximum(rng.standard_normal(500), 0)]
    assert "ReLU units that are off" in vi.plot_layer_histograms(relu_like)._suptitle.get_text()
    two = vi.plot_layer_histograms(growing[:2], grad_norms={"a": [1.0, 2.0], "b": [3.0, 4.0]})
    assert len(two.axes[2].get_lines()) == 2
    with pytest.raises(ValueError):
        vi.plot_layer_histograms([])
    with pytest.raises(ValueError):
        vi.plot_layer_histograms([np.ones(3)] * 21)
    with pytest.raises(ValueError):
        vi.plot_layer_histograms(growing[:2], x_range=(1.0, -1.0))


def test_draw_init_shows_vanishing_healthy_and_exploding_layers() -> None:
    small = _std_line(vi.draw_init("tanh", SMALL, depth=8, width=128, n_samples=100))
    good = _std_line(vi.draw_init("ReLU", HE, depth=8, width=128, n_samples=100))
    large = _std_line(vi.draw_init("ReLU", LARGE, depth=8, width=128, n_samples=100))
    assert len(small) == 8 and small[-1] < 1e-5 * small[0]
    assert 0.3 < good.min() and good.max() < 3.0
    assert large[-1] > 1e5 * large[0]
    fig = vi.draw_init("sigmoid", XAVIER, depth=3, show_gradients=False, width=64, n_samples=50)
    assert len(fig.axes) == 2 and "sigmoid" in fig._suptitle.get_text()
    with pytest.raises(ValueError):
        vi.draw_init("gelu")
    with pytest.raises(ValueError):
        vi.draw_init("tanh", depth=25)
    with pytest.raises(ValueError):
        vi.draw_init("tanh", scheme="orthogonal")


def test_init_explorer_redraws_on_every_control() -> None:
    assert_each_change_redraws(vi.init_explorer(), [("activation", "ReLU"), ("scheme", HE), ("depth", 4),
                                                    ("show_gradients", False)])


def test_init_explorer_runs_a_learners_initializer_and_shows_its_errors() -> None:
    calls = []

    def mine(sizes, activation, rng):
        calls.append((list(sizes), activation))
        return [rng.normal(0.0, np.sqrt(2 / a), size=(b, a)) for a, b in zip(sizes[:-1], sizes[1:])]

    def unfinished(sizes, activation, rng):
        raise NotImplementedError("TODO: implement `init_deep_mlp`")

    w = vi.init_explorer(extra_schemes={"mine": mine, "unfinished": unfinished})
    w.controls["activation"].value = "ReLU"
    w.controls["depth"].value = 3
    w.controls["scheme"].value = "mine"
    assert w.last_error is None, w.last_error
    assert calls[-1] == ([256] * 4, "relu")
    w.controls["scheme"].value = "unfinished"
    assert w.last_error is not None and "TODO: implement `init_deep_mlp`" in w.error.value


def test_kept_figure_is_redrawn_in_place_with_the_new_data() -> None:
    keep: dict = {}
    first = vi.draw_init("tanh", SMALL, depth=12, width=64, n_samples=50, keep=keep)
    std_small = _std_line(first).copy()
    second = vi.draw_init("ReLU", HE, depth=4, width=64, n_samples=50, keep=keep)
    assert second is first, "the figure with the same panels was not reused"
    assert len(_std_line(second)) == 4 and 0.3 < _std_line(second).min()
    assert not np.allclose(_std_line(second), std_small[:4])
    texts = [t.get_text() for t in second.axes[0].texts]
    assert sum(t.startswith("layer") for t in texts) == 4, "stale panels of the previous drawing are left"
    assert "ReLU" in second._suptitle.get_text() and "tanh" not in second._suptitle.get_text()
    fresh = vi.draw_init("ReLU", HE, depth=4, width=64, n_samples=50)
    np.testing.assert_allclose(_std_line(fresh), _std_line(second), rtol=1e-12)
    without = vi.draw_init("ReLU", HE, depth=4, show_gradients=False, width=64, n_samples=50, keep=keep)
    assert without is not first and len(without.axes) == 2


def test_shallow_networks_use_the_first_matrices_of_the_deepest_one() -> None:
    for scheme in (XAVIER, HE):
        deep = vi._scheme_weights(scheme, 32, 5)
        assert len(deep) == 20
        for depth in (1, 7):
            own = vi.torch_init_weights(scheme, [32] * (depth + 1), seed=5)
            assert all(torch.equal(a, b) for a, b in zip(own, deep[:depth]))


def test_log_axis_labels_are_plain_text_powers_of_ten() -> None:
    rng = np.random.default_rng(0)
    fig = vi.plot_layer_histograms([rng.standard_normal(100) * 1e-4 * 3.0**k for k in range(3)])
    figure_to_png(fig)  # draws it: the tick labels are made
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "10⁻⁴" in labels and all("$" not in t for t in labels), labels
