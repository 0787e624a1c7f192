"""Checks for exercise tests, with failure messages that tell a learner what is wrong.

Every check raises ``AssertionError`` with a message of the form
``softmax(z): expected shape (64, 10), got (10, 64)``. The numpy functions used to compare are
bound when this module is imported, so a notebook that later rebinds ``np.allclose`` or
``np.array_equal`` does not change what the checks accept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# Own references, taken at import time (see the module docstring).
_asarray = np.asarray
_abs = np.abs
_isfinite = np.isfinite
_isclose = np.isclose
_argmax = np.argmax
_unravel = np.unravel_index
_ndarray = np.ndarray
_array_equal = np.array_equal
_issubdtype = np.issubdtype
_isinstance = isinstance
_bool = bool

_DTYPE_KINDS = {
    "floating": np.floating,
    "integer": np.integer,
    "bool": np.bool_,
    "number": np.number,
}


def _fmt_shape(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def as_array(value: Any, name: str = "value", dtype: Any = None) -> np.ndarray:
    """Convert what an exercise returned (array, tensor, list, number) to a plain numpy array.

    Torch tensors are detached and moved to the CPU. ``None`` gets a message that hints at a
    missing ``return``; objects that are not numeric get a message that names their type.
    """
    if value is None:
        raise AssertionError(f"{name}: got None. Did you forget to `return` the result?")
    if _isinstance(value, _ndarray) and type(value) is not _ndarray:
        value = value.view(_ndarray)  # drop subclasses that could redefine comparisons
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    try:
        arr = _asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{name}: expected an array of numbers, got {type(value).__name__} ({err})") from None
    if arr.dtype == object:
        raise AssertionError(
            f"{name}: expected an array of numbers, got an array of Python objects "
            f"(first element is a {type(arr.flat[0]).__name__ if arr.size else 'nothing'})"
        )
    return arr.view(_ndarray).copy()


def check_type(value: Any, expected: type | tuple[type, ...], name: str = "value") -> None:
    """Check ``isinstance(value, expected)``."""
    if not _isinstance(value, expected):
        names = " or ".join(t.__name__ for t in (expected if _isinstance(expected, tuple) else (expected,)))
        raise AssertionError(f"{name}: expected {names}, got {type(value).__name__}")


def check_shape(value: Any, expected: Sequence[int | None], name: str = "value") -> np.ndarray:
    """Check the shape (``None`` matches any size along that axis) and return the value as an array."""
    arr = as_array(value, name)
    expected = tuple(expected)
    ok = arr.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, arr.shape))
    if not ok:
        hint = ""
        if arr.ndim == len(expected) and sorted(arr.shape) == sorted(e for e in expected if e is not None):
            hint = " (the axes are swapped: check a transpose or the order of a matrix product)"
        elif arr.size == np.prod([e for e in expected if e is not None]) and None not in expected:
            hint = " (same number of elements: check a reshape, or a missing keepdims=True)"
        raise AssertionError(f"{name}: expected shape {_fmt_shape(expected)}, got {_fmt_shape(arr.shape)}{hint}")
    return arr


def check_dtype(value: Any, expected: Any, name: str = "value") -> None:
    """Check the dtype: an exact dtype (``np.float64``) or a kind ("floating", "integer", "bool", "number")."""
    arr = as_array(value, name)
    if _isinstance(expected, str) and expected in _DTYPE_KINDS:
        if not _issubdtype(arr.dtype, _DTYPE_KINDS[expected]):
            raise AssertionError(f"{name}: expected a {expected} dtype, got {arr.dtype}")
        return
    want = np.dtype(expected)
    if arr.dtype != want:
        raise AssertionError(f"{name}: expected dtype {want}, got {arr.dtype}")


def check_finite(value: Any, name: str = "value") -> np.ndarray:
    """Check that there is no NaN or infinity (overflow is the usual cause) and return the array."""
    arr = as_array(value, name)
    if arr.dtype.kind in "fc":
        bad = ~_isfinite(arr)
        if bad.any():
            idx = tuple(int(i) for i in _unravel(int(_argmax(bad)), arr.shape)) if arr.ndim else ()
            raise AssertionError(
                f"{name}: {int(bad.sum())} of {arr.size} values are NaN or infinite "
                f"(first at index {idx}: {arr[idx].item()!r}); look for an overflowing exp or a log of 0"
            )
    return arr


def _show(arr: np.ndarray) -> str:
    return np.array2string(arr, precision=6, suppress_small=True, separator=", ", threshold=24)


def check_close(
    actual: Any,
    expected: Any,
    name: str = "value",
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Check shape, then finiteness, then values within ``atol + rtol * |expected|``.

    The message gives the number of wrong entries, the worst one with its index, and the whole
    arrays when they are small.
    """
    exp = as_array(expected, f"{name} (expected)")
    act = check_shape(actual, exp.shape, name)
    if act.dtype.kind not in "biufc":
        raise AssertionError(f"{name}: expected numbers, got dtype {act.dtype}")
    exp_f = exp.astype(np.float64) if exp.dtype.kind != "c" else exp
    act_f = act.astype(np.float64) if act.dtype.kind != "c" else act
    if _bool(_isfinite(exp_f).all()):
        check_finite(act_f, name)
    close = _isclose(act_f, exp_f, rtol=rtol, atol=atol, equal_nan=True)
    if _bool(close.all()):
        return
    err = _abs(act_f - exp_f)
    err = np.where(close, 0.0, np.nan_to_num(err, nan=np.inf))
    worst = tuple(int(i) for i in _unravel(int(_argmax(err)), err.shape)) if err.ndim else ()
    msg = (
        f"{name}: {int((~close).sum())} of {close.size} values are wrong "
        f"(tolerance {atol:g} + {rtol:g}·|expected|); "
        f"worst at index {worst}: expected {exp_f[worst].item()!r}, got {act_f[worst].item()!r}"
    )
    if exp.size <= 24:
        msg += f"\n  expected: {_show(exp_f)}\n  got:      {_show(act_f)}"
    raise AssertionError(msg)


def check_equal(actual: Any, expected: Any, name: str = "value") -> None:
    """Check shape and exact equality (labels, counts, indices, booleans)."""
    exp = as_array(expected, f"{name} (expected)")
    act = check_shape(actual, exp.shape, name)
    if _bool(_array_equal(act, exp)):
        return
    diff = act != exp
    first = tuple(int(i) for i in _unravel(int(_argmax(diff)), diff.shape)) if diff.ndim else ()
    msg = (
        f"{name}: {int(diff.sum())} of {diff.size} entries differ; "
        f"first at index {first}: expected {exp[first].item()!r}, got {act[first].item()!r}"
    )
    if exp.size <= 24:
        msg += f"\n  expected: {_show(exp)}\n  got:      {_show(act)}"
    raise AssertionError(msg)


# ----------------------------------------------------------------------------- references for hidden tests
def torch_scheduler_lrs(make_scheduler: Callable[[Any], Any], n_steps: int, base_lr: float) -> np.ndarray:
    """The learning rates of steps 0, ..., n_steps - 1 of a ``torch.optim.lr_scheduler`` (float64 array).

    ``make_scheduler(optimizer)`` builds the scheduler on a one-parameter SGD optimizer with lr
    ``base_lr``; the lr is read before each ``optimizer.step(); scheduler.step()``, as a training
    loop sees it.
    """
    import torch

    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    out = []
    for _ in range(n_steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(out, dtype=np.float64)


def ks_distance(a: Any, b: Any) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs of a and b.

    For samples of sizes n and m from the same law it exceeds ``c * sqrt((n + m) / (n * m))`` with
    probability about ``2 exp(-2 c**2)`` (c = 3.5: 2e-11), so ``3.5 * sqrt(2 / n)`` is a limit that
    a right answer does not fail while a wrong law (a uniform instead of a normal of the same
    standard deviation is at distance 0.06) does.
    """
    a, b = np.sort(as_array(a, "a").ravel()), np.sort(as_array(b, "b").ravel())
    grid = np.concatenate([a, b])
    gap = np.searchsorted(a, grid, side="right") / a.size - np.searchsorted(b, grid, side="right") / b.size
    return float(_abs(gap).max())


def check_optimizer_against_torch(
    step: Callable[..., Any],
    make_optimizer: Callable[..., Any],
    hyperparams: dict[str, Any],
    rng: np.random.Generator,
    name: str = "step",
    vary_lr: bool = False,
) -> None:
    """Race a numpy optimizer step against a ``torch.optim`` optimizer; compare after every step.

    The problem is fresh, drawn from ``rng``: parameters of a random shape (1 to 2 axes of 1 to 5),
    a random convex quadratic plus a non-convex ripple, so that each gradient depends on where the
    optimizer is, a start 3 to 5 away from the minimum, and 40 to 80 steps, all in float64.
    ``step(params, grad, state, **hyperparams)`` must return ``(new_params, state)`` without
    changing ``params`` or ``grad``; ``make_optimizer([tensor], **hyperparams)`` builds the torch
    optimizer (e.g. ``lambda ps, **kw: torch.optim.SGD(ps, momentum=0.9, **kw)``). After every
    step the parameters must agree within ``1e-10 + 1e-12 * |torch's|``. With ``vary_lr`` the
    learning rate changes at every step (as a schedule would change it), in both.

    Raises ``AssertionError`` naming ``name``, the hyperparameters, the shape and the step.
    """
    import torch

    shape = tuple(int(k) for k in rng.integers(1, 6, size=int(rng.integers(1, 3))))
    n = int(np.prod(shape))
    q = rng.normal(size=(n, n))
    a = 0.3 * q @ q.T / n + np.diag(rng.uniform(0.5, 2.0, size=n))  # a random convex quadratic ...
    c, w = rng.normal(size=n), rng.uniform(1.0, 3.0, size=n)

    def grad(x: np.ndarray) -> np.ndarray:  # ... plus a ripple: each gradient depends on where the optimizer is
        x = x.reshape(-1)
        return (a @ (x - c) + 0.3 * np.sin(w * x)).reshape(shape)

    p = (c + rng.choice([-1.0, 1.0], size=n) * rng.uniform(3.0, 5.0, size=n)).reshape(shape)
    p_torch = torch.tensor(p, requires_grad=True)
    optimizer = make_optimizer([p_torch], **hyperparams)
    state: Any = {}
    what = f"{name}(..., **{hyperparams}) on params of shape {shape}" + (", lr changing every step" if vary_lr else "")
    for t in range(1, int(rng.integers(40, 81)) + 1):
        g = grad(p)
        p_in, g_in, kw = p.copy(), g.copy(), dict(hyperparams)
        if vary_lr:
            kw["lr"] = optimizer.param_groups[0]["lr"] = hyperparams["lr"] * (0.2 + 0.2 * (t % 5))
        out = step(p, g, state, **kw)
        check_type(out, tuple, f"{what}: the result of step {t}")
        if len(out) != 2:
            raise AssertionError(f"{what}: step {t} returned {len(out)} values, expected 2 (new_params, state)")
        new, state = out
        check_type(state, dict, f"{what}: the state returned at step {t}")
        check_equal(p, p_in, f"{what}: the params passed in at step {t} (do not modify them in place)")
        check_equal(g, g_in, f"{what}: the grad passed in at step {t} (do not modify it in place)")
        p = check_shape(new, shape, f"{what}: new params at step {t}")
        p_torch.grad = torch.from_numpy(grad(p_torch.detach().numpy().copy()))
        optimizer.step()
        reference = f"torch.optim.{type(optimizer).__name__}"
        check_close(p, p_torch.detach().numpy(), f"{what}: params after step {t} vs {reference}",
                    rtol=1e-12, atol=1e-10)
