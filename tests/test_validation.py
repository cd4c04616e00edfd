"""Bad input raises ValueError/TypeError naming the argument, never returns a number."""

import numpy as np
import pytest

from divergences import c_transform, dual_value, kantorovich_rubinstein, lipschitz_constant, solve

M = np.array([[0.0, 1.0], [1.0, 0.0]])
u = np.array([0.5, 0.5])


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(a=[-0.5, 1.5]), ValueError, "a has negative"),
        (dict(b=[np.nan, 1.0]), ValueError, "b contains NaN"),
        (dict(a=[np.inf, 1.0]), ValueError, "a contains NaN or infinite"),
        (dict(a=[0.0, 0.0], b=[0.0, 0.0]), ValueError, "a sums to 0"),
        (dict(a=[0.5, 0.6]), ValueError, "total masses"),
        (dict(a=[1.0, 0.0, 0.0]), ValueError, "a must have 2 entries"),
        (dict(b=[[0.5, 0.5]]), ValueError, "b must be 1-D"),
        (dict(method="simplex"), ValueError, "method must be one of"),
        (dict(on_fail="ignore"), ValueError, "on_fail must be one of"),
        (dict(max_iter=0), ValueError, "max_iter must be a positive integer"),
        (dict(a=["x", "y"]), TypeError, "a must be an array of real numbers"),
        (dict(a=[True, False]), TypeError, "a must have a real dtype"),
    ],
)
def test_solve_rejects_bad_weights_and_options(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        solve(M, **kwargs)


@pytest.mark.parametrize(
    "cost, error, pattern",
    [
        (np.array([[0.0, np.nan], [1.0, 0.0]]), ValueError, "M contains NaN"),
        (np.array([[0.0, np.inf], [1.0, 0.0]]), ValueError, "M contains NaN or infinite"),
        (np.zeros((0, 3)), ValueError, "M is empty"),
        (np.zeros(3), ValueError, "M must be 2-D"),
        (np.zeros((2, 2), dtype=complex), TypeError, "M must have a real dtype"),
        (None, TypeError, "M must be an array"),
    ],
)
def test_solve_rejects_bad_costs(cost, error, pattern):
    with pytest.raises(error, match=pattern):
        solve(cost)


def test_assignment_needs_square_uniform_problem():
    with pytest.raises(ValueError, match="n == m"):
        solve(np.zeros((2, 3)), method="assignment")
    with pytest.raises(ValueError, match="a is not uniform"):
        solve(M, [0.25, 0.75], [0.5, 0.5], method="assignment")


def test_mixed_array_libraries_are_rejected():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="mix array libraries"):
        solve(torch.tensor(M), a=u)


def test_dual_tools_reject_bad_input():
    with pytest.raises(ValueError, match="f must have one entry per row of M"):
        c_transform(np.zeros(3), M)
    with pytest.raises(ValueError, match="f contains NaN"):
        c_transform(np.array([np.nan, 0.0]), M)
    with pytest.raises(ValueError, match="a must have 2 entries"):
        dual_value(u, u, np.ones(3) / 3, u)
    with pytest.raises(ValueError, match="total masses"):
        kantorovich_rubinstein(u, u, u, 2 * u)
    with pytest.raises(ValueError, match="fx must have one value per point"):
        lipschitz_constant(np.zeros(3), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="x contains NaN"):
        lipschitz_constant(np.zeros(2), np.array([0.0, np.nan]))


def test_histograms_whose_total_overflows():
    # finite bins near the float64 maximum: refused by name, or normalised on request
    from divergences import f_divergence, qp_divergence

    p, q = np.full(4, 1e308), np.array([1e308, 1e308, 1e308, 5e307])
    with pytest.raises(ValueError, match="p has a total mass that overflows the dtype float64"):
        f_divergence(p, q, "kl")
    assert float(f_divergence(p, q, "kl", normalize=True)) == pytest.approx(
        float(f_divergence(p / 1e308, q / 1e308, "kl", normalize=True)), rel=1e-14)
    D = np.abs(np.arange(4.0)[:, None] - np.arange(4.0)[None, :])
    assert float(qp_divergence(p, q, D, normalize=True)) == pytest.approx(
        float(qp_divergence(p / 1e308, q / 1e308, D, normalize=True)), rel=1e-12)
