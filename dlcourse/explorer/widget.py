"""The gradient-descent explorer: race up to four optimizers on one surface.

Core ipywidgets only (ipywidgets 7.7, Colab's, and 8.x). The figure is a PNG in a ``widgets.Image``
of fixed size (no flicker, no layout jumps); errors inside callbacks are shown under it.

    from dlcourse.explorer.widget import Explorer
    Explorer(preset="momentum ripples vs critical damping")        # displays itself

A learner's own optimizer joins the race through ``custom={"mine": opt}``: ``opt`` has
``init(params) -> state`` and ``step(params, grad, state, lr) -> (params, state[, diag])``, or is
a plain function ``step(params, grad, state, lr) -> (params, state)`` (state starts as ``{}``).
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlcourse.explorer.optimizers import OPTIMIZERS, learner_optimizer, make_optimizer, to_torch_code
from dlcourse.explorer.render import RaceRenderer, legend_html
from dlcourse.explorer.run import Trajectory, run_race
from dlcourse.explorer.schedules import make_schedule, schedule_names
from dlcourse.explorer.surfaces import make_surface, surface_names

N_RACERS = 4


def hyperparams_for(name: str, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float) -> dict:
    """Map the racer panel's generic sliders to one optimizer's hyperparameters.

    β1 is momentum for the SGD family and Adam's first beta; β2 is Adam's second beta, RMSProp's
    α and Adadelta's ρ.
    """
    hp: dict[str, Any] = {"lr": lr, "weight_decay": weight_decay}
    if name in ("momentum", "nesterov"):
        hp["momentum"] = beta1
    elif name == "adagrad":
        hp["eps"] = eps
    elif name == "rmsprop":
        hp.update(alpha=beta2, eps=eps)
    elif name == "adadelta":
        hp.update(rho=beta2, eps=eps)
    elif name in ("adam", "adamw"):
        hp.update(betas=(beta1, beta2), eps=eps)
    return hp


def schedule_params(name: str, n_steps: int) -> dict[str, Any]:
    """Schedule parameters that fit a run of ``n_steps``."""
    return {
        "constant": {},
        "step": {"step_size": max(1, n_steps // 4), "gamma": 0.3},
        "exponential": {"gamma": 0.1 ** (1 / max(1, n_steps))},
        "cosine": {"T_max": max(1, n_steps)},
        "warmup_cosine": {"warmup_steps": max(1, n_steps // 10), "total_steps": max(2, n_steps)},
        "onecycle": {"total_steps": max(2, n_steps)},
    }[name]


@dataclass
class Preset:
    notice: str
    surface: str
    surface_params: dict[str, Any] = field(default_factory=dict)
    racers: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 200
    noise: float = 0.0
    start: tuple[float, float] | None = None


_K = 100.0  # condition number of the momentum preset
_HB_LR = 4 / (1 + 1 / np.sqrt(_K)) ** 2  # heavy ball's best step for eigenvalues 1/κ .. 1
_HB_BETA = ((np.sqrt(_K) - 1) / (np.sqrt(_K) + 1)) ** 2

PRESETS: dict[str, Preset] = {
    "GD: optimal lr vs just above 2/λmax": Preset(
        "Notice: at lr = 2/(λmin+λmax) GD converges fastest; at 2.1/λmax the steep direction overshoots "
        "10 % more each step, and the run is cut where it diverges (red ×).",
        "quadratic", {"condition_number": 10.0, "angle": 30.0},
        [{"name": "sgd", "lr": 2 / 1.1}, {"name": "sgd", "lr": 2.1}], steps=400),
    "momentum ripples vs critical damping": Preset(
        "Notice: with β = 0.97 momentum overshoots and ripples around the minimum; with the critically damped "
        f"β = {_HB_BETA:.3f} and lr = {_HB_LR:.2f} it converges at the rate (√κ−1)/(√κ+1) without ripples.",
        "quadratic", {"condition_number": _K, "angle": 20.0},
        [{"name": "momentum", "lr": _HB_LR, "momentum": 0.97}, {"name": "momentum", "lr": _HB_LR, "momentum": _HB_BETA},
         {"name": "sgd", "lr": 1.0}], steps=150),
    "escaping a saddle": Preset(
        "Notice: near the saddle the gradient along y is tiny; GD crawls away from it, momentum and Adam "
        "(which rescales the small y-gradient) leave much sooner.",
        "saddle", {}, [{"name": "sgd", "lr": 0.05}, {"name": "momentum", "lr": 0.05}, {"name": "adam", "lr": 0.05}],
        steps=200, start=(-2.0, 1e-3)),
    "AdaGrad stalls where RMSProp goes on": Preset(
        "Notice: AdaGrad divides by the square root of the SUM of all squared gradients, so its effective lr "
        "only shrinks and it stalls in the long valley; RMSProp's moving average forgets old gradients.",
        "rosenbrock", {}, [{"name": "adagrad", "lr": 0.5}, {"name": "rmsprop", "lr": 0.01}], steps=1500),
    "Adadelta's tiny first steps": Preset(
        "Notice: Adadelta's step is √(E[Δ²]+ε)/√(E[g²]+ε)·g, and E[Δ²] starts at 0, so its first step is "
        "about √(ε/(1−ρ)) ≈ 3e-3 long per coordinate whatever the gradient (right panel); it speeds up as it "
        "accumulates its own updates.",
        "quadratic", {"condition_number": 10.0}, [{"name": "adadelta", "lr": 1.0}, {"name": "adam", "lr": 0.05}],
        steps=300),
    "Adam with L2 vs AdamW": Preset(
        "Notice: Adam with weight_decay adds λθ to the gradient, so it converges to the minimum of loss + λ/2·|θ|², "
        "pulled towards 0. AdamW shrinks θ by lr·λ·θ outside the 1/√v rescaling, while its normalized step stays "
        "≈ lr: here the decay never catches up, and AdamW creeps on towards the loss's own minimum (the star).",
        "quadratic", {"condition_number": 10.0, "center": (3.0, 1.5)},
        [{"name": "adam", "lr": 0.05, "weight_decay": 0.3}, {"name": "adamw", "lr": 0.05, "weight_decay": 0.3}],
        steps=400),
    "constant vs cosine lr on a noisy quadratic": Preset(
        "Notice: with noisy gradients a constant lr keeps bouncing around the minimum at a noise floor; the "
        "cosine schedule shrinks the lr and the loss keeps falling.",
        "quadratic", {"condition_number": 10.0},
        [{"name": "sgd", "lr": 0.5}, {"name": "sgd", "lr": 0.5, "schedule": "cosine"}], steps=400, noise=0.3),
}


class Explorer:
    """The explorer's widget tree and its logic. ``widget`` is what a notebook displays."""

    def __init__(
        self,
        preset: str | None = "GD: optimal lr vs just above 2/λmax",
        custom: Mapping[str, Any] | None = None,
        width: int = 1100,
        height: int = 342,
    ) -> None:
        import ipywidgets as w

        self.custom = dict(custom or {})
        self.runs: list[Trajectory] = []
        self.labels: list[str] = []
        self.last_error: str | None = None
        self.draw_count = 0
        self.run_count = 0
        self._run_cache: dict[Any, Trajectory] = {}
        self._last_surface: tuple[tuple, Any] | None = None
        self._renderer = RaceRenderer(dpi=80, legend=False)  # the legend is HTML, above the image
        self._hold = False
        style = {"description_width": "70px"}
        lay = w.Layout(width="250px")
        self.preset = w.Dropdown(options=["(none)", *PRESETS], value="(none)", description="preset", style=style,
                                 layout=w.Layout(width="420px"))
        self.notice = w.HTML(value="")
        self.surface = w.Dropdown(options=surface_names(), value="quadratic", description="surface", style=style,
                                  layout=lay)
        self.condition = w.FloatLogSlider(value=10.0, base=10, min=0, max=3, step=0.05, description="κ",
                                          style=style, layout=lay, continuous_update=False)
        self.angle = w.FloatSlider(value=0.0, min=0, max=180, step=5, description="angle °", style=style,
                                   layout=lay, continuous_update=False)
        self.start_x = w.FloatSlider(value=0.0, min=-5, max=5, step=0.05, description="start x", style=style,
                                     layout=lay, continuous_update=False)
        self.start_y = w.FloatSlider(value=0.0, min=-5, max=5, step=0.05, description="start y", style=style,
                                     layout=lay, continuous_update=False)
        self.steps = w.IntSlider(value=200, min=10, max=2000, step=10, description="steps", style=style, layout=lay,
                                 continuous_update=False)
        self.noise = w.FloatSlider(value=0.0, min=0, max=2, step=0.05, description="grad noise", style=style,
                                   layout=lay, continuous_update=False)
        self.seed = w.IntText(value=0, description="seed", style=style, layout=w.Layout(width="160px"))
        self.scrub = w.IntSlider(value=0, min=0, max=199, description="show step", style=style,
                                 layout=w.Layout(width="520px"))
        self.code_button = w.Button(description="torch code", icon="code")
        self.code = w.HTML(value="")
        names = ["off", *OPTIMIZERS, *self.custom]
        self.racers = []
        for _ in range(N_RACERS):
            r = {
                "name": w.Dropdown(options=names, value="off", layout=w.Layout(width="110px")),
                "lr": w.FloatLogSlider(value=0.01, base=10, min=-5, max=1, step=0.05, description="lr",
                                       readout_format=".2e", layout=w.Layout(width="250px"), continuous_update=False),
                "beta1": w.FloatSlider(value=0.9, min=0, max=0.999, step=0.001, description="β1/mom",
                                       readout_format=".3f", layout=w.Layout(width="230px"), continuous_update=False),
                "beta2": w.FloatSlider(value=0.999, min=0, max=0.9999, step=0.0001, description="β2/α/ρ",
                                       readout_format=".4f", layout=w.Layout(width="230px"), continuous_update=False),
                "eps": w.FloatLogSlider(value=1e-8, base=10, min=-10, max=0, step=0.5, description="eps",
                                        readout_format=".0e", layout=w.Layout(width="210px"), continuous_update=False),
                "wd": w.FloatSlider(value=0.0, min=0, max=1, step=0.01, description="decay",
                                    layout=w.Layout(width="210px"), continuous_update=False),
                "schedule": w.Dropdown(options=schedule_names(), value="constant", layout=w.Layout(width="120px")),
            }
            self.racers.append(r)
        self.image = w.Image(format="png", layout=w.Layout(width=f"{width}px", height=f"{height}px"))
        # Stable hooks for the real-browser tests (and for anyone styling the explorer).
        self.image.add_class("dlcourse-explorer-image")
        self.preset.add_class("dlcourse-explorer-preset")
        self.condition.add_class("dlcourse-explorer-condition")
        self.error = w.HTML(value="")
        self.legend = w.HTML(value="", layout=w.Layout(min_height="44px"))  # two lines: no jump when it wraps

        self._extra_params: dict[str, Any] = {}
        self.surface.observe(self._on_surface, names="value")
        for control in (self.condition, self.angle, self.start_x, self.start_y, self.steps, self.noise, self.seed):
            control.observe(self._on_change, names="value")
        for r in self.racers:
            r["name"].observe(self._on_optimizer, names="value")
            for key in ("lr", "beta1", "beta2", "eps", "wd", "schedule"):
                r[key].observe(self._on_change, names="value")
        self.scrub.observe(self._on_scrub, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.code_button.on_click(lambda _b: self.show_code())

        # Rows wrap in narrow output areas (Colab, a split JupyterLab) instead of being cut off.
        wrap = {"flex_flow": "row wrap"}
        rows = [w.HBox([r["name"], r["lr"], r["beta1"], r["beta2"], r["eps"], r["wd"], r["schedule"]],
                       layout=w.Layout(**wrap)) for r in self.racers]
        self.widget = w.VBox([
            w.HBox([self.preset, self.code_button], layout=w.Layout(**wrap)), self.notice,
            w.HBox([self.surface, self.condition, self.angle, self.seed], layout=w.Layout(**wrap)),
            w.HBox([self.start_x, self.start_y, self.steps, self.noise], layout=w.Layout(**wrap)),
            *rows, self.scrub, self.legend, self.image, self.error, self.code,
        ])
        if preset is not None:
            self.preset.value = preset  # fires _on_preset, which computes and draws
        else:
            self._hold = True
            self.racers[0]["name"].value = "sgd"
            self.racers[1]["name"].value = "adam"
            self._hold = False
            self._reset_start()
            self.recompute()

    # ------------------------------------------------------------------ state -> runs -> figure
    def _surface(self) -> Any:
        """The surface the controls describe; the last one is reused while they describe the same
        (building the logistic surface loads its data set and solves for its minimum)."""
        params: dict[str, Any] = {}
        if self.surface.value == "quadratic":
            params = {"condition_number": self.condition.value, "angle": self.angle.value, **self._extra_params}
        key = (self.surface.value, repr(sorted(params.items())))
        if self._last_surface is None or self._last_surface[0] != key:
            self._last_surface = (key, make_surface(self.surface.value, **params))
        return self._last_surface[1]

    def _optimizer(self, r: dict[str, Any]) -> Any:
        name = r["name"].value
        if name in self.custom:
            return learner_optimizer(self.custom[name], r["lr"].value, name)
        hp = hyperparams_for(name, r["lr"].value, r["beta1"].value, r["beta2"].value, r["eps"].value, r["wd"].value)
        return make_optimizer(name, **hp)

    def recompute(self) -> None:
        """Run every active racer and redraw; any error is shown under the figure."""
        try:
            surface = self._surface()
            n = int(self.steps.value)
            self.runs, self.labels, self._surface_obj = [], [], surface
            shared = (surface.name, repr(sorted(surface.params.items())), n, self.start_x.value, self.start_y.value,
                      float(self.noise.value), int(self.seed.value))
            cache, self._run_cache = self._run_cache, {}
            active = [(k, r) for k, r in enumerate(self.racers) if r["name"].value != "off"]
            keys, todo = [], []
            for k, r in active:
                opt = self._optimizer(r)
                # A racer whose settings did not change keeps its run (a learner's optimizer always reruns).
                key = None if r["name"].value in self.custom else (shared, opt.name, repr(opt.hyperparams),
                                                                    r["schedule"].value)
                keys.append(key)
                if key is None or key not in cache:
                    todo.append((k, opt, make_schedule(r["schedule"].value, float(opt.lr),
                                                       **schedule_params(r["schedule"].value, n))))
            fresh = dict(zip([k for k, _, _ in todo], run_race(
                surface, [opt for _, opt, _ in todo], n_steps=n, start=(self.start_x.value, self.start_y.value),
                schedules=[sched for _, _, sched in todo], noise=float(self.noise.value), seed=int(self.seed.value))))
            self.run_count += len(todo)
            for (k, r), key in zip(active, keys):
                traj = fresh[k] if k in fresh else cache[key]
                if key is not None:
                    self._run_cache[key] = traj
                self.runs.append(traj)
                sched_name = r["schedule"].value
                with_beta = r["name"].value in ("momentum", "nesterov", "adam", "adamw")
                beta = f" β1={r['beta1'].value:.3g}" if with_beta else ""
                decay = f" wd={r['wd'].value:.2g}" if r["wd"].value else ""
                self.labels.append(f"{k + 1}: {r['name'].value} lr={r['lr'].value:.2g}{beta}{decay}"
                                   + ("" if sched_name == "constant" else f" {sched_name}"))
            self.legend.value = legend_html(self.runs, self.labels)
            self._hold, old = True, self._hold
            self.scrub.max = max(0, n - 1)
            self._hold = old
            self.redraw()
        except Exception:
            self._show_error()

    def redraw(self) -> None:
        try:
            self.image.value = self._renderer.png(self._surface_obj, self.runs, step=int(self.scrub.value),
                                                  labels=self.labels)
            self.draw_count += 1
            self.last_error = None
            self.error.value = ""
        except Exception:
            self._show_error()

    def _show_error(self) -> None:
        self.last_error = traceback.format_exc()
        self.error.value = ("<pre style='color:#b00020;white-space:pre-wrap'>" + html.escape(self.last_error)
                            + "</pre>")

    def show_code(self) -> str:
        """The torch.optim (and scheduler) code of every racer, also shown under the figure."""
        lines = ["import torch", ""]
        for k, r in enumerate(self.racers):
            name = r["name"].value
            if name == "off":
                continue
            if name in self.custom:
                lines.append(f"# racer {k + 1}: {name} is your own optimizer (no torch.optim equivalent)")
                continue
            opt = self._optimizer(r)
            lines.append(f"# racer {k + 1}: {name}")
            lines.append(f"optimizer = {to_torch_code(opt)}")
            sched_name = r["schedule"].value
            if sched_name != "constant":
                sched = make_schedule(sched_name, float(opt.lr), **schedule_params(sched_name, int(self.steps.value)))
                lines.append(f"scheduler = {sched.to_torch_code()}")
            lines.append("")
        text = "\n".join(lines)
        self.code.value = f"<pre>{html.escape(text)}</pre>"
        return text

    # ------------------------------------------------------------------ callbacks
    def _on_change(self, _change: Any) -> None:
        if not self._hold:
            self.recompute()

    def _on_surface(self, _change: Any) -> None:
        """Another surface: its own start point and plotting window, no leftover preset parameters."""
        if self._hold:
            return
        self._extra_params = {}
        self._hold = True
        try:
            self._reset_start()
        finally:
            self._hold = False
        self.recompute()

    def _on_scrub(self, _change: Any) -> None:
        if not self._hold:
            self.redraw()

    def _on_optimizer(self, change: Any) -> None:
        """A new optimizer in a racer slot starts from that optimizer's defaults."""
        r = next(r for r in self.racers if r["name"] is change["owner"])
        defaults = OPTIMIZERS.get(change["new"], {})
        old, self._hold = self._hold, True
        try:
            r["lr"].value = defaults.get("lr", r["lr"].value)
            betas = defaults.get("betas")
            r["beta1"].value = betas[0] if betas else defaults.get("momentum", 0.0)
            r["beta2"].value = betas[1] if betas else defaults.get("alpha", defaults.get("rho", 0.999))
            r["eps"].value = defaults.get("eps", 1e-8)
            r["wd"].value = defaults.get("weight_decay", 0.0)
        finally:
            self._hold = old
        if not self._hold:
            self.recompute()

    def _reset_start(self) -> None:
        surface = self._surface()
        start = surface.default_start
        (x0, x1), (y0, y1) = surface.bounds
        for slider, value, lo, hi in ((self.start_x, start[0], x0, x1), (self.start_y, start[1], y0, y1)):
            slider.min, slider.max = min(slider.min, lo), max(slider.max, hi)
            slider.value = float(value)

    def apply_preset(self, name: str) -> None:
        """Set every control from a preset, then compute once."""
        p = PRESETS[name]
        self._hold = True
        try:
            self.surface.value = p.surface
            self.condition.value = float(p.surface_params.get("condition_number", self.condition.value))
            self.angle.value = float(p.surface_params.get("angle", 0.0))
            self._extra_params = {k: v for k, v in p.surface_params.items()
                                  if k not in ("condition_number", "angle")}
            self.steps.value = p.steps
            self.noise.value = p.noise
            self.seed.value = 0
            self._reset_start()
            if p.start is not None:
                self.start_x.value, self.start_y.value = p.start
            for k, r in enumerate(self.racers):
                spec = p.racers[k] if k < len(p.racers) else {"name": "off"}
                r["name"].value = spec["name"]
                self._on_optimizer({"owner": r["name"], "new": spec["name"]})
                if "lr" in spec:
                    r["lr"].value = spec["lr"]
                if "momentum" in spec:
                    r["beta1"].value = spec["momentum"]
                if "weight_decay" in spec:
                    r["wd"].value = spec["weight_decay"]
                r["schedule"].value = spec.get("schedule", "constant")
            self.scrub.value = 0
            self.notice.value = f"<b>{html.escape(p.notice)}</b>"
        finally:
            self._hold = False
        self.recompute()

    @contextmanager
    def hold(self) -> Iterator[Explorer]:
        """Change several controls from code, then compute and draw once (not once per control)."""
        old, self._hold = self._hold, True
        try:
            yield self
        finally:
            self._hold = old
        if not old:
            self.recompute()

    _RACER_KEYS = {"lr": "lr", "momentum": "beta1", "beta1": "beta1", "beta2": "beta2", "alpha": "beta2",
                   "rho": "beta2", "eps": "eps", "weight_decay": "wd", "schedule": "schedule"}

    def set_racers(
        self,
        racers: Sequence[Mapping[str, Any]],
        surface: str | None = None,
        steps: int | None = None,
        start: tuple[float, float] | None = None,
        noise: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Set up a race from code, computed and drawn once.

        ``racers``: up to four dicts like ``{"name": "adam", "lr": 0.05}`` (also ``momentum``/``beta1``,
        ``beta2``/``alpha``/``rho``, ``betas``, ``eps``, ``weight_decay``, ``schedule``); a name is an
        optimizer of the package or a key of ``custom``; unlisted settings take the optimizer's
        defaults and the remaining racers are switched off. The other arguments set those controls.
        """
        if len(racers) > N_RACERS:
            raise ValueError(f"at most {N_RACERS} racers, got {len(racers)}")
        names = list(self.racers[0]["name"].options)
        specs = []
        for k in range(N_RACERS):  # check everything before changing anything
            spec = dict(racers[k]) if k < len(racers) else {"name": "off"}
            if spec.get("name") not in names:
                raise ValueError(f"racer {k + 1}: unknown optimizer {spec.get('name')!r}; choose one of {names}")
            if "betas" in spec:
                spec["beta1"], spec["beta2"] = spec.pop("betas")
            unknown = sorted(set(spec) - {"name", *self._RACER_KEYS})
            if unknown:
                raise ValueError(f"racer {k + 1}: unknown settings {unknown}; use {sorted(self._RACER_KEYS)}")
            specs.append(spec)
        if surface is not None and surface not in self.surface.options:
            raise ValueError(f"unknown surface {surface!r}; choose one of {list(self.surface.options)}")
        with self.hold():
            if surface is not None:
                self.surface.value = surface
                self._extra_params = {}
                self._reset_start()
            if steps is not None:
                self.steps.value = int(steps)
            if start is not None:
                self.start_x.value, self.start_y.value = (float(v) for v in start)
            if noise is not None:
                self.noise.value = float(noise)
            if seed is not None:
                self.seed.value = int(seed)
            for r, spec in zip(self.racers, specs):
                r["name"].value = spec["name"]
                self._on_optimizer({"owner": r["name"], "new": spec["name"]})  # that optimizer's defaults
                for key, value in spec.items():
                    if key != "name":
                        r[self._RACER_KEYS[key]].value = value

    def _on_preset(self, change: Any) -> None:
        if change["new"] in PRESETS:
            try:
                self.apply_preset(change["new"])
            except Exception:
                self._show_error()

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a front end
        from IPython.display import display

        display(self.widget)


def explorer(preset: str | None = "GD: optimal lr vs just above 2/λmax", **kwargs: Any) -> Explorer:
    """Build the explorer (see :class:`Explorer`)."""
    return Explorer(preset=preset, **kwargs)


__all__ = ["PRESETS", "Explorer", "Preset", "explorer", "hyperparams_for", "schedule_params"]
