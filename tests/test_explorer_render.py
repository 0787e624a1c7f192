import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from dlcourse.explorer.render import contour_grid, plot_race
from dlcourse.explorer.run import run
from dlcourse.explorer.surfaces import make_surface, surface_names
from dlcourse.widgets import figure_to_png


def test_contour_grid_is_positive_for_log_levels_on_every_surface():
    for name in surface_names():
        X, Y, Z = contour_grid(make_surface(name), resolution=40)
        assert Z.shape == X.shape == (40, 40) and np.all(Z > 0) and np.all(np.isfinite(Z))


def test_race_draws_trajectories_divergence_and_step_arrows():
    surf = make_surface("quadratic", condition_number=10)
    lam_min, lam_max = surf.eigenvalues
    runs = [
        run(surf, {"name": "sgd", "lr": 2 / (lam_min + lam_max)}, n_steps=60),
        run(surf, {"name": "sgd", "lr": 2.2 / lam_max}, n_steps=3000),
        run(surf, {"name": "momentum", "lr": 0.1}, n_steps=60),
    ]
    fig = plot_race(surf, runs, step=5, labels=["GD optimal", "GD too large", "momentum"])
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    contour_ax, loss_ax, lr_ax = fig.axes
    red_x = [ln for ln in contour_ax.lines if ln.get_marker() == "x" and ln.get_visible()]
    assert len(red_x) == 1  # only the divergent run is marked
    assert any("diverged at step" in t.get_text() for t in contour_ax.get_legend().get_texts())
    arrows = [a for a in contour_ax.get_children() if isinstance(a, FancyArrowPatch) and a.get_visible()]
    assert len(arrows) >= 6  # gradient, velocity and actual step of each run at step 5
    assert len(lr_ax.lines) >= 6
    assert figure_to_png(fig)[:4] == b"\x89PNG"


def test_race_without_step_and_with_zero_steps():
    surf = make_surface("himmelblau")
    fig = plot_race(surf, [run(surf, "adam", n_steps=0)])
    assert len(fig.axes) == 3


def test_contour_grid_is_cached_per_surface_parameters():
    a = contour_grid(make_surface("quadratic", condition_number=10), resolution=30)
    assert contour_grid(make_surface("quadratic", condition_number=10), resolution=30) is a
    b = contour_grid(make_surface("quadratic", condition_number=100), resolution=30)
    assert b is not a and not np.array_equal(a[2], b[2])


def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_kept_figure_renderer_draws_what_plot_race_draws():
    from dlcourse.explorer.render import RaceRenderer

    surf = make_surface("rosenbrock")
    runs = [run(surf, {"name": "adam", "lr": 0.05}, n_steps=300), run(surf, {"name": "sgd", "lr": 2e-3}, n_steps=300)]
    renderer = RaceRenderer(dpi=80)
    fast = _pixels(renderer.png(surf, runs, step=20, labels=["adam", "sgd"]))
    slow = _pixels(figure_to_png(plot_race(surf, runs, step=20, labels=["adam", "sgd"]), dpi=80))
    assert fast.shape == slow.shape
    assert np.mean(np.abs(fast - slow) > 8) < 0.002  # the same picture (up to anti-aliasing)
    fig = plot_race(surf, runs, step=20, labels=["adam", "sgd"])
    fig.axes[0].get_legend().remove()
    without_legend = _pixels(RaceRenderer(dpi=80, legend=False).png(surf, runs, step=20, labels=["adam", "sgd"]))
    assert np.array_equal(without_legend, _pixels(figure_to_png(fig, dpi=80)))  # drawn in layers, pixel for pixel


def test_kept_figure_renderer_updates_and_rebuilds_only_for_a_new_surface():
    from dlcourse.explorer.render import RaceRenderer

    surf = make_surface("quadratic", condition_number=10)
    renderer = RaceRenderer(dpi=50)
    four = [run(surf, {"name": name, "lr": 0.1}, n_steps=100) for name in ("sgd", "momentum", "adam", "rmsprop")]
    a = renderer.png(surf, four, step=3)
    b = renderer.png(surf, four[:1], step=3)  # three racers switched off: their lines disappear
    assert renderer.builds == 1 and a != b
    visible = [ln for ln in renderer.axes[0].lines if ln.get_visible() and ln.get_linestyle() == "-"]
    assert len(visible) == 1
    assert renderer.png(surf, four, step=3) == a  # back to the same picture
    renderer.png(make_surface("quadratic", condition_number=100), four, step=3)
    assert renderer.builds == 2
    assert _pixels(renderer.png(surf, [], step=None)).shape == _pixels(a).shape  # nothing to race: contours only


def test_kept_figure_after_a_surface_change_shows_only_the_new_surface():
    from dlcourse.explorer.render import RaceRenderer

    renderer = RaceRenderer(dpi=80)
    old = make_surface("himmelblau")
    renderer.png(old, [run(old, {"name": "adam", "lr": 0.1}, n_steps=200)] * 3, step=5)
    new = make_surface("quadratic", condition_number=30, angle=40)
    runs = [run(new, {"name": "momentum", "lr": 0.05}, n_steps=200)]
    fast = _pixels(renderer.png(new, runs, step=7, labels=["m"]))
    slow = _pixels(figure_to_png(plot_race(new, runs, step=7, labels=["m"]), dpi=80))
    assert np.mean(np.abs(fast - slow) > 8) < 0.002  # no leftover contours, lines or arrows


def _race(surf, lrs=(0.1, 0.05, 0.05, 0.01), n_steps=150, start=None):
    names = ("sgd", "momentum", "adam", "rmsprop")
    return [run(surf, {"name": name, "lr": lr}, n_steps=n_steps, start=start) for name, lr in zip(names, lrs)]


def test_kept_layers_after_every_kind_of_change_equal_a_full_draw():
    """After a change of the start point, of one racer, of the step, of κ (a new surface, same
    window), of the surface (a new window) or of the runs' decades, the figure drawn from its kept
    layers is the one matplotlib draws whole: no stale contours, axis or runs."""
    from dlcourse.explorer.render import RaceRenderer

    kept = RaceRenderer(dpi=60, legend=False)
    quad, quad40, himmel = (make_surface("quadratic", condition_number=10),
                            make_surface("quadratic", condition_number=40), make_surface("himmelblau"))
    frames = [
        (quad, _race(quad), 3),
        (quad, _race(quad, start=(-2.0, 1.5)), 3),  # start point: every run
        (quad, _race(quad, lrs=(0.1, 0.05, 0.08, 0.01), start=(-2.0, 1.5)), 3),  # one racer's lr
        (quad, _race(quad, lrs=(0.1, 0.05, 0.08, 0.01), start=(-2.0, 1.5)), 40),  # the step scrubber
        (quad40, _race(quad40), 3),  # κ
        (quad40, _race(quad40, n_steps=400), 3),  # steps: new x axes
        (himmel, _race(himmel, lrs=(1e-3, 1e-3, 0.05, 0.01)), 3),  # another surface
        (himmel, _race(himmel, lrs=(1e-3, 1e-3, 0.05, 0.01))[2:3], None),  # three racers off
        (quad, _race(quad), 3),
    ]
    for k, (surf, runs, step) in enumerate(frames):
        layered = _pixels(kept.png(surf, runs, step=step))
        kept.canvas.draw()
        whole = np.asarray(kept.canvas.buffer_rgba())[:, :, :3].astype(np.int16)
        assert np.array_equal(layered, whole), f"frame {k}: {np.sum(np.any(layered != whole, axis=2))} pixels differ"
        if k == 0:
            fresh = _pixels(RaceRenderer(dpi=60, legend=False).png(surf, runs, step=step))
            assert np.array_equal(layered, fresh)


def test_kept_layers_are_redrawn_only_when_they_change():
    from dlcourse.explorer.render import RaceRenderer

    renderer = RaceRenderer(dpi=60, legend=False)
    quad = make_surface("quadratic", condition_number=10)
    renderer.png(quad, _race(quad), step=3)
    drawn = renderer.layer_draws
    assert drawn == 3 + 2 + 2  # the contour panel: base, y axis, contours; each step panel: base, y axis
    renderer.png(quad, _race(quad, lrs=(0.1, 0.05, 0.06, 0.01)), step=4)  # new runs in the same decades
    assert renderer.layer_draws == drawn
    steep = make_surface("quadratic", condition_number=10, scale=100.0)  # the same window, 100× the loss
    image = _pixels(renderer.png(steep, _race(steep, lrs=(1e-3, 1e-3, 0.05, 0.01)), step=3))
    # The contours (a new surface) and the loss panel's y axis (new decades) are redrawn, nothing else.
    assert renderer.builds == 2 and renderer.layer_draws == drawn + 2
    fresh = _pixels(RaceRenderer(dpi=60, legend=False).png(steep, _race(steep, lrs=(1e-3, 1e-3, 0.05, 0.01)), step=3))
    assert np.array_equal(image, fresh)


def test_overlapping_panels_are_drawn_whole(monkeypatch):
    from dlcourse.explorer import render

    quad = make_surface("quadratic", condition_number=10)
    expected = _pixels(render.RaceRenderer(dpi=60, legend=False).png(quad, _race(quad), step=3))
    monkeypatch.setattr(render, "_disjoint", lambda boxes: False)  # as if a tick label reached the next panel
    assert np.array_equal(_pixels(render.RaceRenderer(dpi=60, legend=False).png(quad, _race(quad), step=3)), expected)


def test_step_panels_snap_to_decades_and_keep_them_while_the_runs_fit():
    from dlcourse.explorer.render import _snap_to_decades

    fig = Figure()
    ax = fig.add_subplot(yscale="log")
    ax.set_ylim(3e-5, 0.2, auto=None)  # as autoscaling leaves them
    _snap_to_decades(ax)
    assert np.allclose(ax.get_ylim(), (1e-5, 1.0), rtol=1e-12)
    for shown, limits, expected in [
        ((1e-6, 1.0), (3e-5, 0.2), (1e-6, 1.0)),  # one decade to spare below: kept
        ((1e-5, 10.0), (3e-5, 0.2), (1e-5, 10.0)),  # one decade to spare above: kept
        ((1e-7, 1.0), (3e-5, 0.2), (1e-5, 1.0)),  # two decades to spare: tightened
        ((1e-4, 1.0), (3e-5, 0.2), (1e-5, 1.0)),  # the runs do not fit: widened
        ((2e-6, 1.0), (3e-5, 0.2), (1e-5, 1.0)),  # not decades (not set here): replaced
    ]:
        ax.set_ylim(*limits, auto=None)
        _snap_to_decades(ax, keep=shown)
        assert np.allclose(ax.get_ylim(), expected, rtol=1e-12), (shown, limits)
        assert ax.get_autoscaley_on()


def test_png_encoder_round_trips_the_pixels():
    from dlcourse.explorer.render import rgba_to_png

    rgba = np.random.default_rng(0).integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    png = rgba_to_png(rgba)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(_pixels(png), rgba[:, :, :3])
    white = np.full((300, 400, 4), 255, dtype=np.uint8)
    assert len(rgba_to_png(white)) < 3000  # compressed
