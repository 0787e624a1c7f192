"""The explorer's widget logic, headless: setting a control's value fires its observers."""

import numpy as np
import pytest

from dlcourse.explorer.widget import PRESETS, Explorer, hyperparams_for


@pytest.fixture(scope="module")
def ex():
    return Explorer()


def test_default_preset_races_and_marks_the_divergent_run(ex):
    assert ex.last_error is None and ex.image.value[:4] == b"\x89PNG"
    assert len(ex.runs) == 2 and not ex.runs[0].diverged and ex.runs[1].diverged
    assert "2/(λmin+λmax)" in ex.notice.value


def test_changing_a_control_recomputes_and_redraws(ex):
    before, count = ex.runs[0].points.copy(), ex.draw_count
    ex.racers[0]["lr"].value = 0.5
    assert ex.draw_count == count + 1 and not np.array_equal(ex.runs[0].points, before)
    image = ex.image.value
    ex.scrub.value = 5  # the scrubber redraws without recomputing
    assert ex.draw_count == count + 2 and ex.image.value != image


def test_every_preset_applies_without_error():
    ex = Explorer(preset=None)
    for name in PRESETS:
        ex.preset.value = name
        assert ex.last_error is None, f"{name}: {ex.last_error}"
        assert ex.runs and ex.notice.value


def test_presets_show_what_they_promise():
    ex = Explorer(preset="AdaGrad stalls where RMSProp goes on")
    adagrad, rmsprop = ex.runs
    assert rmsprop.losses[-1] < adagrad.losses[-1]
    ex.preset.value = "Adadelta's tiny first steps"
    first = np.abs(ex.runs[0].steps[0])  # √(ε/(1−ρ)) per coordinate with torch's ε = 1e-6, ρ = 0.9
    assert np.allclose(first, np.sqrt(1e-6 / 0.1), rtol=0.1), first
    assert np.linalg.norm(ex.runs[1].steps[0]) > 10 * np.linalg.norm(first)
    ex.preset.value = "Adam with L2 vs AdamW"
    surface, lam = ex._surface_obj, 0.3
    A, c = surface.hessian(np.zeros(2)), surface.minima[0]
    l2_min = np.linalg.solve(A + lam * np.eye(2), A @ c)
    adam, adamw = ex.runs
    assert np.linalg.norm(adam.points[-1] - l2_min) < 1e-2  # Adam + L2: the penalized minimum
    assert np.linalg.norm(adamw.points[-1] - c) < np.linalg.norm(l2_min - c) / 2  # AdamW: on towards the star
    ex.preset.value = "constant vs cosine lr on a noisy quadratic"
    constant, cosine = ex.runs
    assert cosine.losses[-20:].mean() < constant.losses[-20:].mean()


def test_errors_in_callbacks_are_shown_not_raised():
    ex = Explorer()
    ex.racers[0]["beta2"].value = 0.5
    ex.racers[0]["name"].value = "adadelta"  # fine
    assert ex.last_error is None
    ex.custom["broken"] = lambda p, g, s, lr: 1 / 0
    ex.racers[0]["name"].options = [*ex.racers[0]["name"].options, "broken"]
    ex.racers[0]["name"].value = "broken"
    assert "ZeroDivisionError" in ex.error.value and ex.last_error


def test_a_learners_optimizer_joins_the_race():
    def my_gd(params, grad, state, lr):
        return params - lr * grad, state

    ex = Explorer(preset=None, custom={"my gd": my_gd})
    ex.racers[2]["name"].value = "my gd"
    ex.racers[2]["lr"].value = 0.3
    ex.racers[0]["name"].value = "sgd"
    ex.racers[0]["lr"].value = 0.3
    mine = ex.runs[-1]
    assert ex.last_error is None and np.allclose(mine.points, ex.runs[0].points)
    assert "your own optimizer" in ex.show_code()


def test_torch_code_button_prints_runnable_code():
    import torch  # noqa: F401 - the printed code uses it

    ex = Explorer(preset="constant vs cosine lr on a noisy quadratic")
    ex.code_button.click()
    code = ex.show_code()
    assert "torch.optim.SGD" in code and "CosineAnnealingLR" in code and "CosineAnnealingLR" in ex.code.value
    params = [torch.zeros(2, requires_grad=True)]
    namespace = {"torch": torch, "params": params}
    exec(code, namespace)
    assert isinstance(namespace["optimizer"], torch.optim.SGD)


def test_hyperparameter_mapping():
    assert hyperparams_for("adam", 0.1, 0.8, 0.99, 1e-6, 0.0)["betas"] == (0.8, 0.99)
    assert hyperparams_for("rmsprop", 0.1, 0.8, 0.9, 1e-6, 0.0)["alpha"] == 0.9
    assert hyperparams_for("momentum", 0.1, 0.8, 0.9, 1e-6, 0.0)["momentum"] == 0.8
    assert "momentum" not in hyperparams_for("sgd", 0.1, 0.8, 0.9, 1e-6, 0.0)


def test_a_racer_control_reruns_only_that_racer():
    from dlcourse.explorer.widget import Explorer

    ex = Explorer(preset="momentum ripples vs critical damping")
    before = ex.run_count
    ex.racers[1]["lr"].value = 0.5
    assert ex.run_count == before + 1 and ex.last_error is None
    ex.condition.value = 50.0  # the surface changed: every racer reruns
    assert ex.run_count == before + 1 + 3
    drawn = ex.image.value
    ex.scrub.value = 10  # only the arrows move: no run at all
    assert ex.run_count == before + 4 and ex.image.value != drawn


def test_legend_is_html_and_marks_divergence():
    from dlcourse.explorer.widget import Explorer

    ex = Explorer(preset="GD: optimal lr vs just above 2/λmax")
    assert "1: sgd" in ex.legend.value and "2: sgd" in ex.legend.value
    assert ex.legend.value.count("diverged at step") == 1  # only the lr above 2/λmax diverges
    ex.racers[1]["name"].value = "off"
    assert "diverged" not in ex.legend.value and "2: sgd" not in ex.legend.value


def test_set_racers_from_code_computes_once_and_checks_its_input():
    from dlcourse.explorer.widget import Explorer

    def my_sgd(params, grad, state, lr):
        return params - lr * grad, state

    ex = Explorer(preset=None, custom={"mine": my_sgd})
    drawn = ex.draw_count
    ex.set_racers([{"name": "mine", "lr": 1e-3}, {"name": "sgd", "lr": 1e-3}, {"name": "adam", "betas": (0.8, 0.99)}],
                  surface="rosenbrock", steps=300)
    assert ex.draw_count == drawn + 1 and ex.last_error is None
    assert [t.optimizer for t in ex.runs] == ["mine", "sgd", "adam"] and ex.runs[0].n_taken == 300
    assert np.array_equal(ex.runs[0].points, ex.runs[1].points)  # the learner's SGD is torch's SGD
    assert ex.racers[2]["beta1"].value == 0.8 and ex.racers[3]["name"].value == "off"
    from dlcourse.explorer.surfaces import make_surface

    assert tuple(ex.runs[0].points[0]) == tuple(make_surface("rosenbrock").default_start)
    with pytest.raises(ValueError, match="unknown optimizer"):
        ex.set_racers([{"name": "adamm"}])
    with pytest.raises(ValueError, match="unknown settings"):
        ex.set_racers([{"name": "adam", "learning_rate": 0.1}])
    assert ex.draw_count == drawn + 1 and ex.racers[0]["name"].value == "mine"  # nothing changed


def test_the_surface_is_reused_until_its_controls_change():
    ex = Explorer(preset="Adam with L2 vs AdamW")  # κ = 10 around the center (3, 1.5)
    surface = ex._surface_obj
    ex.racers[0]["lr"].value = 0.02
    assert ex._surface_obj is surface  # a racer's control keeps the surface (the logistic one is slow to build)
    ex.condition.value = 30.0
    assert ex._surface_obj is not surface and ex._surface_obj.params["condition_number"] == 30.0
    for traj in ex.runs:  # every run is on the new surface
        assert np.allclose(traj.losses, ex._surface_obj.f(traj.points))
    ex.preset.value = "Adadelta's tiny first steps"  # κ = 10 again, but around the origin
    assert ex._surface_obj.params["center"] == (0.0, 0.0)


def test_after_every_kind_of_change_the_image_is_the_whole_figure():
    import io

    from PIL import Image

    ex = Explorer(preset="momentum ripples vs critical damping")
    changes = [lambda: setattr(ex.start_x, "value", ex.start_x.value + 0.5),
               lambda: setattr(ex.racers[1]["lr"], "value", 0.5),
               lambda: setattr(ex.condition, "value", 30.0),
               lambda: setattr(ex.scrub, "value", 20),
               lambda: setattr(ex.surface, "value", "rosenbrock")]
    for k, change in enumerate(changes):
        before = ex.image.value
        change()
        assert ex.last_error is None and ex.image.value != before, k
        shown = np.asarray(Image.open(io.BytesIO(ex.image.value)).convert("RGB"))
        ex._renderer.canvas.draw()  # matplotlib draws the same figure whole
        assert np.array_equal(shown, np.asarray(ex._renderer.canvas.buffer_rgba())[:, :, :3]), k
