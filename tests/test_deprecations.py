"""Renamed arguments: the former spelling gives the same value with a DeprecationWarning
naming the new one; passing both spellings is an error."""

import numpy as np
import pytest

from divergences import linalg, variational_f, wasserstein_1d, wasserstein_divergence_1d

U, V = np.array([0.0, 1.0, 3.0]), np.array([0.5, 2.0])
A, B = np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.4])


@pytest.mark.parametrize(
    "new, old, names",
    [
        (lambda: wasserstein_1d(U, V, a=A, b=B, p=2), lambda: wasserstein_1d(U, V, u_weights=A, v_weights=B, p=2),
         ("u_weights", "v_weights")),
        (lambda: wasserstein_divergence_1d(U, V, a=A, b=B),
         lambda: wasserstein_divergence_1d(U, V, x_weights=A, y_weights=B), ("x_weights", "y_weights")),
        (lambda: linalg.spectral_norm(np.diag([3.0, 1.0]), max_iter=50, seed=0).value,
         lambda: linalg.spectral_norm(np.diag([3.0, 1.0]), n_iter=50, seed=0).value, ("n_iter",)),
        (lambda: linalg.logdet_roulette(np.diag([0.5, -0.2]), stop_prob=0.3, seed=4),
         lambda: linalg.logdet_roulette(np.diag([0.5, -0.2]), p=0.3, seed=4), ("'p'",)),
    ],
    ids=["wasserstein_1d", "wasserstein_divergence_1d", "spectral_norm", "logdet_roulette"],
)
def test_a_renamed_keyword_still_works_and_warns(new, old, names):
    expected = float(new())
    with pytest.warns(DeprecationWarning) as record:
        value = float(old())
    assert value == expected
    message = " ".join(str(w.message) for w in record)
    assert all(name in message for name in names), message


def test_the_new_weights_change_the_value():
    # guards the test above: the weights reach the computation under their new names
    assert float(wasserstein_1d(U, V, a=A, b=B)) != float(wasserstein_1d(U, V))


def test_both_spellings_is_an_error():
    with pytest.raises(TypeError, match="u_weights"):
        wasserstein_1d(U, V, a=A, u_weights=A)


def test_variational_f_takes_kind_by_keyword_and_warns_on_the_former_position():
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    expected = float(variational_f(p, q, p, q, kind="js"))
    with pytest.warns(DeprecationWarning, match="kind"):
        assert float(variational_f("js", p, q, p, q)) == expected
    with pytest.raises(TypeError, match="kind"):
        variational_f("js", p, q, kind="js")
    with pytest.raises(TypeError):
        variational_f(p, q)  # kind is required
