import numpy as np
import pytest
import torch

from dlcourse import as_array, check_close, check_dtype, check_equal, check_finite, check_shape, check_type


def raises(fn, *args, match: str, **kwargs):
    with pytest.raises(AssertionError, match=match):
        fn(*args, **kwargs)


def test_shape_message_names_expected_and_got_and_hints_transpose():
    raises(check_shape, np.zeros((10, 64)), (64, 10), "softmax(z)",
           match=r"softmax\(z\): expected shape \(64, 10\), got \(10, 64\) \(the axes are swapped")


def test_shape_hints_reshape_and_accepts_wildcards():
    raises(check_shape, np.zeros(6), (2, 3), match="reshape")
    assert check_shape(np.zeros((5, 3)), (None, 3)).shape == (5, 3)
    raises(check_shape, np.zeros((5, 4)), (None, 3), match=r"expected shape \(\*, 3\)")


def test_as_array_converts_tensors_lists_and_rejects_none_and_objects():
    t = torch.ones(2, 3, requires_grad=True) * 2
    arr = as_array(t, "x")
    assert isinstance(arr, np.ndarray) and arr.shape == (2, 3) and arr.dtype == np.float32
    assert as_array([1, 2]).tolist() == [1, 2]
    raises(as_array, None, "f(x)", match="forget to `return`")
    raises(as_array, [object()], "f(x)", match="Python objects")


def test_as_array_copies_so_callers_cannot_alias():
    x = np.zeros(3)
    y = as_array(x)
    y[0] = 1
    assert x[0] == 0


def test_close_reports_count_worst_index_and_small_arrays():
    raises(check_close, np.array([1.0, 2.0, 3.0]), [1.0, 2.0, 3.5], "f(x)",
           match=r"1 of 3 values are wrong.*index \(2,\): expected 3\.5, got 3\.0")
    check_close(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-9])


def test_close_catches_overflow_before_values():
    raises(check_close, np.array([1.0, np.inf]), [1.0, 2.0], "softmax(z)", match="NaN or infinite")


def test_close_checks_shape_first():
    raises(check_close, np.zeros((3, 2)), np.zeros((2, 3)), "W", match="expected shape")


def test_close_is_not_fooled_by_objects_that_claim_equality():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        __array_priority__ = 1000

    raises(check_close, AlwaysEqual(), [1.0], "f(x)", match="expected")


def test_close_ignores_rebound_numpy_functions(monkeypatch):
    monkeypatch.setattr(np, "isclose", lambda *a, **k: np.ones(np.shape(a[0]), dtype=bool))
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    raises(check_close, np.array([0.0]), [1.0], "f(x)", match="1 of 1 values are wrong")


def test_equal_and_dtype_and_type_and_finite():
    raises(check_equal, np.array([1, 2, 3]), [1, 2, 4], "pred", match=r"first at index \(2,\): expected 4, got 3")
    check_equal(np.array([1, 2]), [1, 2])
    raises(check_dtype, np.array([1, 2]), "floating", "p", match="expected a floating dtype, got int64")
    raises(check_dtype, np.array([1.0]), np.float32, "p", match="expected dtype float32, got float64")
    check_dtype(np.array([1.0], dtype=np.float32), "floating")
    raises(check_type, [1], dict, "params", match="expected dict, got list")
    raises(check_finite, np.array([0.0, np.nan]), "loss", match="1 of 2 values")
    assert check_finite(np.array([1, 2])).tolist() == [1, 2]


# ----------------------------------------------------------------------------- references for hidden tests
def _sgd(params, grad, state, lr, momentum=0.0):
    buf = grad + momentum * state["buf"] if "buf" in state else grad.copy()
    return params - lr * buf, {"buf": buf}


def test_optimizer_race_accepts_a_right_step_and_varies_the_lr():
    from dlcourse.checks import check_optimizer_against_torch

    rng = np.random.default_rng(0)
    check_optimizer_against_torch(_sgd, torch.optim.SGD, {"lr": 0.05}, rng, name="sgd")
    check_optimizer_against_torch(_sgd, torch.optim.SGD, {"lr": 0.05, "momentum": 0.5}, rng, name="sgd", vary_lr=True)


def test_optimizer_race_names_the_step_the_shape_and_the_reference():
    from dlcourse.checks import check_optimizer_against_torch

    def wrong(params, grad, state, lr):
        return params - 1.01 * lr * grad, state

    raises(check_optimizer_against_torch, wrong, torch.optim.SGD, {"lr": 0.05}, np.random.default_rng(1), name="mine",
           match=r"mine\(\.\.\., \*\*\{'lr': 0\.05\}\) on params of shape \(.*\): "
                 r"params after step 1 vs torch\.optim\.SGD")


def test_optimizer_race_rejects_in_place_updates_and_bad_results():
    from dlcourse.checks import check_optimizer_against_torch

    def in_place(params, grad, state, lr):
        params -= lr * grad
        return params, state

    def no_state(params, grad, state, lr):
        return params - lr * grad

    raises(check_optimizer_against_torch, in_place, torch.optim.SGD, {"lr": 0.1}, np.random.default_rng(2),
           match="do not modify them in place")
    raises(check_optimizer_against_torch, no_state, torch.optim.SGD, {"lr": 0.1}, np.random.default_rng(2),
           match="the result of step 1: expected tuple")


def test_optimizer_race_draws_the_same_problem_from_the_same_seed():
    from dlcourse.checks import check_optimizer_against_torch

    seen = []

    def spy(params, grad, state, lr):
        seen.append(params.copy())
        return params - lr * grad, state

    for _ in range(2):
        check_optimizer_against_torch(spy, torch.optim.SGD, {"lr": 0.1}, np.random.default_rng(7))
    half = len(seen) // 2
    assert half >= 40 and all(np.array_equal(a, b) for a, b in zip(seen[:half], seen[half:]))


def test_torch_scheduler_lrs_reads_the_lr_before_each_step():
    from dlcourse.checks import torch_scheduler_lrs

    lrs = torch_scheduler_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), 5, 1.0)
    assert lrs.dtype == np.float64 and lrs.tolist() == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_ks_distance():
    from dlcourse.checks import ks_distance

    assert ks_distance([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]) == 0.0
    assert ks_distance([0.0, 1.0], [5.0, 6.0]) == 1.0
    assert ks_distance([0.0, 1.0, 2.0, 3.0], [2.5, 3.5, 4.5, 5.5]) == 0.75
    rng = np.random.default_rng(0)
    same = ks_distance(rng.normal(size=20_000), rng.normal(size=20_000))
    other = ks_distance(rng.normal(size=20_000), rng.uniform(-np.sqrt(3), np.sqrt(3), size=20_000))
    assert same < 3.5 * np.sqrt(2 / 20_000) < other
