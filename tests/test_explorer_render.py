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
    red_x = [ln for ln in contour_ax.lines if ln.get_marker() == "x"]
    assert len(red_x) == 1  # only the divergent run is marked
    assert any("diverged at step" in t.get_text() for t in loss_ax.get_legend().get_texts())
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
