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
