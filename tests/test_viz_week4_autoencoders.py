"""Headless tests of dlcourse.viz.week4.autoencoders (week 4, notebook 6): the figures and the latent-space
explorer."""

from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws

from dlcourse.viz.week4 import autoencoders as va
from dlcourse.widgets import figure_to_png


def _position_decoder(z: torch.Tensor) -> torch.Tensor:
    """A stand-in decoder that draws its code: the top half of the image is sigmoid(z1), the bottom sigmoid(z2)."""
    top = torch.sigmoid(z[:, :1]).expand(-1, 32)
    bottom = torch.sigmoid(z[:, 1:2]).expand(-1, 32)
    return torch.cat([top, bottom], dim=1)


def _codes(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    centres = np.stack([np.cos(labels), np.sin(labels)], axis=1) * 3
    return centres + rng.normal(scale=0.3, size=(n, 2)), labels


def test_plot_image_rows_draws_one_row_per_entry() -> None:
    a = torch.rand(12, 64, generator=torch.Generator().manual_seed(0))
    b = np.zeros((5, 8, 8))
    fig = va.plot_image_rows({"originals": a, "zeros": b}, title="t", max_images=10)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * 10  # a full grid; the short row leaves its cells empty
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), a[0].reshape(8, 8).numpy())
    assert fig.axes[0].get_ylabel() == "originals" and fig.axes[10].get_ylabel() == "zeros"
    assert len(fig.axes[10 + 5].images) == 0
    assert fig.axes[0].images[0].get_clim() == (0.0, 1.0)  # a fixed scale, so that rows compare
    with pytest.raises(ValueError):
        va.plot_image_rows({})
    with pytest.raises(ValueError):
        va.plot_image_rows({"bad": np.zeros((3, 10))})


def test_plot_mse_vs_latent_draws_each_method() -> None:
    fig = va.plot_mse_vs_latent([2, 4, 8], {"PCA": [0.05, 0.04, 0.02], "AE": [0.04, 0.02, 0.015]})
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_ydata(), [0.04, 0.02, 0.015])
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError):
        va.plot_mse_vs_latent([2, 4], {"PCA": [0.1]})


def test_decode_grid_puts_each_decoded_code_where_it_lies() -> None:
    mosaic = va.decode_grid(_position_decoder, (-2.0, 2.0, -1.0, 1.0), n_grid=3)
    assert mosaic.shape == (24, 24)
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    # tile (row r, column c) shows z1 = x[c] on its top half and z2 = y[r] on its bottom half; row 0 = largest z2
    for r, z2 in enumerate([1.0, 0.0, -1.0]):
        for c, z1 in enumerate([-2.0, 0.0, 2.0]):
            tile = mosaic[8 * r:8 * r + 8, 8 * c:8 * c + 8]
            np.testing.assert_allclose(tile[:4], sig(z1), rtol=1e-6)
            np.testing.assert_allclose(tile[4:], sig(z2), rtol=1e-6)
    with pytest.raises(ValueError):
        va.decode_grid(lambda z: torch.zeros(len(z), 10), (0.0, 1.0, 0.0, 1.0), n_grid=2)


def test_plot_latent_space_with_and_without_decoder() -> None:
    codes, labels = _codes()
    fig = va.plot_latent_space(codes, labels, title="latent")
    assert len(fig.axes) == 1
    points = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    assert len(points) == len(codes)  # one scatter per digit, every code drawn once
    fig = va.plot_latent_space(torch.tensor(codes), torch.tensor(labels), decode=_position_decoder, n_grid=5)
    assert len(fig.axes) == 2 and fig.axes[1].images[0].get_array().shape == (40, 40)
    assert fig.axes[1].get_xlim() == pytest.approx(fig.axes[0].get_xlim())  # the same box on both panels
    with pytest.raises(ValueError):
        va.plot_latent_space(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError):
        va.plot_latent_space(codes, labels[:-1])


def test_latent_explorer_redraws_and_decodes_the_chosen_code() -> None:
    codes, labels = _codes()
    w = va.latent_explorer(_position_decoder, torch.tensor(codes), labels)
    assert w.controls["z1"].min < codes[:, 0].min() and w.controls["z1"].max > codes[:, 0].max()
    assert_each_change_redraws(w, [("z1", 1.5), ("z2", -2.0), ("z1", -3.0), ("z2", 3.0)])
    np.testing.assert_allclose(w.shown["image"], _position_decoder(torch.tensor([[-3.0, 3.0]])).reshape(8, 8),
                               rtol=1e-6)
    # the nearest code's digit is reported
    w.controls["z1"].value, w.controls["z2"].value = float(codes[7, 0]), float(codes[7, 1])
    dist = np.hypot(codes[:, 0] - w.controls["z1"].value, codes[:, 1] - w.controls["z2"].value)
    assert w.shown["nearest"] == labels[int(np.argmin(dist))]
    assert len(w.image.value) > 1000 and bytes(w.image.value).startswith(b"\x89PNG")


def test_latent_explorer_shows_decoder_errors() -> None:
    codes, labels = _codes(50)
    calls = []

    def fragile(z: torch.Tensor) -> torch.Tensor:
        calls.append(z)
        if float(z[0, 0]) > 2.0:
            raise RuntimeError("decoder broke")
        return _position_decoder(z)

    w = va.latent_explorer(fragile, codes, labels)
    assert w.last_error is None
    assert calls[0].dtype == torch.float32 and calls[0].shape == (1, 2)  # a CPU float32 tensor of one code
    w.controls["z1"].value = 2.5
    assert w.last_error is not None and "decoder broke" in w.last_error and "decoder broke" in w.error.value
    w.controls["z1"].value = 0.0
    assert w.last_error is None and w.error.value == ""


def test_latent_explorer_latency() -> None:
    """Time per slider change, drawing and PNG included (printed; the budget is 100 ms, the aim 30 ms)."""
    codes, labels = _codes(450)
    w = va.latent_explorer(_position_decoder, codes, labels)
    times = {"z1": [], "z2": []}
    for v in np.linspace(-3.0, 3.0, 12):
        for name in ("z1", "z2"):
            start = time.perf_counter()
            w.controls[name].value = float(v)
            times[name].append(1000 * (time.perf_counter() - start))
            assert w.last_error is None, w.last_error
    for name, t in times.items():
        print(f"\nlatent explorer, {name}: {len(t)} changes, median {statistics.median(t):.0f} ms, max {max(t):.0f} ms")
    assert math.isfinite(max(times["z1"] + times["z2"]))


def test_plot_anomaly_detection_histograms_and_roc() -> None:
    rng = np.random.default_rng(1)
    labels = np.r_[np.zeros(300, bool), np.ones(40, bool)]
    scores = np.exp(rng.normal(size=340) + 1.5 * labels) * 0.01
    fig = va.plot_anomaly_detection(torch.tensor(scores), torch.tensor(labels), auc=0.87, names=("a", "b"))
    assert len(fig.axes) == 2
    ax_h, ax_r = fig.axes
    assert len(ax_h.patches) == 2 * 39  # two histograms of 39 bins
    roc = ax_r.get_lines()[0]
    assert roc.get_xdata()[0] == 0 and roc.get_xdata()[-1] == 1 and roc.get_ydata()[-1] == 1
    assert "0.870" in roc.get_label()
    with pytest.raises(ValueError):
        va.plot_anomaly_detection(scores, np.zeros(340, bool))
    assert len(figure_to_png(fig)) > 1000


def test_plot_auc_by_class() -> None:
    values = [0.99, 0.8, 0.95, 0.9, 1.0, 0.97, 0.93, 0.99, 0.92, 0.88]
    fig = va.plot_auc_by_class(values)
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(heights, values)
    with pytest.raises(ValueError):
        va.plot_auc_by_class(values[:9])
