"""The explorer's 2-D loss surfaces: derivatives against torch autograd, minima, vectorization, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from dlcourse.explorer.surfaces import SURFACES, Surface, make_surface, surface_names

CASES = [
    ("quadratic", {}),
    ("quadratic", {"condition_number": 100.0, "angle": 30.0, "scale": 2.0, "center": (1.0, -0.5)}),
    ("rosenbrock", {}),
    ("rosenbrock", {"a": 0.5, "b": 10.0}),
    ("beale", {}),
    ("himmelblau", {}),
    ("saddle", {}),
    ("logistic", {}),
    ("logistic", {"feature": "mean texture", "reg": 0.05}),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


def breast_cancer(feature: str) -> tuple[np.ndarray, np.ndarray]:
    data = load_breast_cancer()
    col = list(data.feature_names).index(feature)
    x = StandardScaler().fit_transform(data.data[:, [col]])[:, 0]
    return x, data.target.astype(np.float64)


def torch_loss(s: Surface):
    """The surface's formula written independently in torch (float64), for autograd."""
    prm = {**SURFACES[s.name], **s.params}
    if s.name == "quadratic":
        t = math.radians(prm["angle"])
        u = torch.tensor([math.cos(t), math.sin(t)], dtype=torch.float64)  # flat direction (λmin)
        v = torch.tensor([-math.sin(t), math.cos(t)], dtype=torch.float64)
        lmax = prm["scale"]
        A = lmax / prm["condition_number"] * torch.outer(u, u) + lmax * torch.outer(v, v)
        c = torch.tensor(prm["center"], dtype=torch.float64)
        return lambda p: 0.5 * (p - c) @ A @ (p - c)
    if s.name == "rosenbrock":
        return lambda p: (prm["a"] - p[0]) ** 2 + prm["b"] * (p[1] - p[0] ** 2) ** 2
    if s.name == "beale":
        return lambda p: sum((ci - p[0] + p[0] * p[1] ** i) ** 2 for i, ci in ((1, 1.5), (2, 2.25), (3, 2.625)))
    if s.name == "himmelblau":
        return lambda p: (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2
    if s.name == "saddle":
        return lambda p: p[0] ** 2 - p[1] ** 2 + p[1] ** 4 / 4
    if s.name == "logistic":
        x, y = (torch.from_numpy(a) for a in breast_cancer(prm["feature"]))
        return lambda p: (torch.nn.functional.softplus(p[0] * x + p[1]) - y * (p[0] * x + p[1])).mean() \
            + prm["reg"] / 2 * p[0] ** 2
    raise AssertionError(s.name)


def random_points(s: Surface, n: int, seed: int = 0) -> np.ndarray:
    (x0, x1), (y0, y1) = s.bounds
    return np.random.default_rng(seed).uniform([x0, y0], [x1, y1], size=(n, 2))


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_value_and_gradient_match_torch_autograd(name, params):
    s = make_surface(name, **params)
    loss = torch_loss(s)
    P = random_points(s, 8)
    for p, f, g in zip(P, s.f(P), s.grad(P)):
        pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        value = loss(pt)
        value.backward()
        np.testing.assert_allclose(f, value.item(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, pt.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_hessian_matches_torch_hessian_and_is_symmetric(name, params):
    s = make_surface(name, **params)
    loss = torch_loss(s)
    P = random_points(s, 4, seed=1)
    H = s.hessian(P)
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))
    for p, h in zip(P, H):
        expected = torch.autograd.functional.hessian(loss, torch.tensor(p, dtype=torch.float64))
        np.testing.assert_allclose(h, expected.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_minima_are_stationary_with_f_min_and_window_holds_them(name, params):
    s = make_surface(name, **params)
    assert s.minima.ndim == 2 and s.minima.shape[1] == 2 and s.default_start.shape == (2,)
    np.testing.assert_allclose(s.grad(s.minima), 0.0, atol=1e-8)
    np.testing.assert_allclose(s.f(s.minima), s.f_min, rtol=0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(s.hessian(s.minima)) > 0)  # strict local minima
    (x0, x1), (y0, y1) = s.bounds
    for p in (*s.minima, s.default_start):
        assert x0 < p[0] < x1 and y0 < p[1] < y1
    assert s.f(s.default_start) > s.f_min + 1e-6 and np.linalg.norm(s.grad(s.default_start)) > 1e-6


def test_known_minima_exactly():
    np.testing.assert_array_equal(make_surface("rosenbrock").minima, [[1.0, 1.0]])
    np.testing.assert_array_equal(make_surface("beale").minima, [[3.0, 0.5]])
    np.testing.assert_allclose(make_surface("saddle").minima, [[0.0, math.sqrt(2)], [0.0, -math.sqrt(2)]])
    assert make_surface("saddle").f_min == -1.0
    h = make_surface("himmelblau")
    assert h.minima.shape == (4, 2)
    np.testing.assert_allclose(h.minima[0], [3.0, 2.0], atol=1e-14)
    np.testing.assert_allclose(h.f(h.minima), 0.0, atol=1e-20)
    sad = make_surface("saddle")  # the origin is a saddle point: zero gradient, indefinite Hessian
    np.testing.assert_array_equal(sad.grad([0.0, 0.0]), [0.0, 0.0])
    assert np.prod(np.linalg.eigvalsh(sad.hessian([0.0, 0.0]))) < 0


@pytest.mark.parametrize("name", surface_names())
def test_vectorized_over_leading_dimensions(name):
    s = make_surface(name)
    P = random_points(s, 35, seed=2).reshape(5, 7, 2)
    F, G, H = s.f(P), s.grad(P), s.hessian(P)
    assert F.shape == (5, 7) and G.shape == (5, 7, 2) and H.shape == (5, 7, 2, 2)
    np.testing.assert_allclose(F[3, 4], s.f(P[3, 4]), rtol=1e-13)
    np.testing.assert_allclose(G[3, 4], s.grad(P[3, 4]), rtol=1e-13)
    np.testing.assert_allclose(H[3, 4], s.hessian(P[3, 4]), rtol=1e-13)
    assert s.f(P[0, 0]).shape == () and s.grad([1.0, 2.0]).shape == (2,) and s.hessian(P[0]).shape == (7, 2, 2)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        s.f(np.zeros((4, 3)))


def test_logistic_in_blocks_equals_point_by_point_and_the_textbook_formula():
    s = make_surface("logistic", reg=0.05)
    P = random_points(s, 300, seed=3)  # several blocks of points
    F, G = s.f(P), s.grad(P)
    np.testing.assert_allclose(F, [s.f(p) for p in P], rtol=1e-14)
    np.testing.assert_allclose(G, [s.grad(p) for p in P], rtol=1e-12, atol=1e-15)
    x, y = breast_cancer("mean radius")
    z = P[:, :1] * x + P[:, 1:]
    textbook = np.mean(np.logaddexp(0.0, z) - y * z, axis=1) + 0.05 / 2 * P[:, 0] ** 2
    np.testing.assert_allclose(F, textbook, rtol=1e-13)
    np.testing.assert_allclose(s.grad(P[:4]), G[:4], rtol=0, atol=0)  # a race's step: one block, the same numbers


@pytest.mark.parametrize("name", surface_names())
def test_200x200_contour_grid_evaluates(name):
    s = make_surface(name)
    X, Y = np.meshgrid(np.linspace(*s.bounds[0], 200), np.linspace(*s.bounds[1], 200))
    Z = s.f(np.stack([X, Y], axis=-1))
    assert Z.shape == (200, 200) and np.all(np.isfinite(Z)) and Z.min() >= s.f_min - 1e-9


@pytest.mark.parametrize("kappa", [1.0, 10.0, 1000.0])
@pytest.mark.parametrize("angle", [0.0, 30.0, 123.4])
def test_quadratic_eigenvalues_and_condition_number_under_rotation(kappa, angle):
    s = make_surface("quadratic", condition_number=kappa, angle=angle, scale=2.0)
    lmin, lmax = s.eigenvalues
    assert lmax == 2.0 and lmin == pytest.approx(2.0 / kappa, rel=1e-15)
    H = s.hessian(random_points(s, 3))
    evals, evecs = np.linalg.eigh(H[0])
    np.testing.assert_allclose(evals, [lmin, lmax], rtol=1e-12)
    assert evals[1] / evals[0] == pytest.approx(kappa, rel=1e-10)
    np.testing.assert_allclose(H, np.broadcast_to(H[0], H.shape))  # constant Hessian
    if kappa > 1:  # the flat (λmin) direction is rotated by `angle`
        t = math.radians(angle)
        assert abs(evecs[:, 0] @ [math.cos(t), math.sin(t)]) == pytest.approx(1.0, abs=1e-12)


def test_logistic_minimum_and_loss_match_sklearn():
    s = make_surface("logistic")
    assert np.linalg.norm(s.grad(s.minima[0])) < 1e-8
    x, y = breast_cancer("mean radius")
    w, b = -1.3, 0.4
    assert s.f([w, b]) == pytest.approx(log_loss(y, 1 / (1 + np.exp(-(w * x + b)))), rel=1e-12)
    # with L2 on the weight: mean loss + reg/2 w²  ==  sklearn's (½w² + C Σ loss) / (C n) with C = 1 / (reg n)
    reg = 0.01
    r = make_surface("logistic", reg=reg)
    assert np.linalg.norm(r.grad(r.minima[0])) < 1e-8
    clf = LogisticRegression(C=1 / (reg * len(y)), tol=1e-12, max_iter=10_000).fit(x[:, None], y)
    np.testing.assert_allclose(r.minima[0], [clf.coef_[0, 0], clf.intercept_[0]], atol=1e-6)
    assert r.f([w, b]) == pytest.approx(s.f([w, b]) + reg / 2 * w**2, rel=1e-12)


@pytest.mark.parametrize(
    "name,params,match",
    [
        ("nope", {}, "unknown surface 'nope'"),
        ("quadratic", {"condition_number": 0.5}, "condition_number must be >= 1"),
        ("quadratic", {"condition_number": float("nan")}, "condition_number must be finite"),
        ("quadratic", {"condition_number": "big"}, "condition_number must be a number"),
        ("quadratic", {"scale": 0.0}, "scale"),
        ("quadratic", {"center": (1.0, 2.0, 3.0)}, "center"),
        ("quadratic", {"kappa": 3.0}, "no parameter"),
        ("rosenbrock", {"b": -1.0}, "b must be > 0"),
        ("beale", {"a": 1.0}, "no parameter"),
        ("logistic", {"reg": -0.1}, "reg must be >= 0"),
        ("logistic", {"feature": "height"}, "unknown feature"),
    ],
)
def test_bad_names_and_parameters_raise_value_error(name, params, match):
    with pytest.raises(ValueError, match=match):
        make_surface(name, **params)


def test_registry_defaults_and_metadata():
    assert surface_names() == list(SURFACES) == ["quadratic", "rosenbrock", "beale", "himmelblau", "saddle", "logistic"]
    for name in surface_names():
        s = make_surface(name)
        assert s.name == name and s.params == SURFACES[name]
        assert s.description and "\n" not in s.description
        assert all(isinstance(v, float) for pair in s.bounds for v in pair)
        assert not s.minima.flags.writeable and not s.default_start.flags.writeable
        assert (s.eigenvalues is not None) == (name == "quadratic")
