import numpy as np
from matplotlib.figure import Figure

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
    arrows = [t for t in contour_ax.texts if t.__class__.__name__ == "Annotation"]
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
