"""log_volume: the Gram-Cholesky fast path against the QR path, and its switch."""

import numpy as np
import pytest

from divergences import linalg
from divergences.linalg.volumes import _gram_log_volume


def _qr_reference(B):
    """sum log |R_jj| of NumPy's Householder QR, batch by batch."""
    return np.array([np.log(np.abs(np.diag(np.linalg.qr(b)[1]))).sum() for b in B.reshape(-1, *B.shape[-2:])])


def test_fast_path_taken_and_agrees_with_qr(xp, rng):
    B = rng.normal(size=(4, 30, 6))
    Bx = xp.asarray(B)
    fast = _gram_log_volume(Bx, xp.ns)
    assert fast is not None
    np.testing.assert_allclose(xp.to_numpy(fast), _qr_reference(B), rtol=1e-12)
    np.testing.assert_allclose(xp.to_numpy(linalg.log_volume(Bx)), _qr_reference(B), rtol=1e-12)
    np.testing.assert_allclose(xp.to_numpy(linalg.volume(Bx)), np.exp(_qr_reference(B)), rtol=1e-11)


def test_ill_conditioned_batch_switches_to_qr(xp, rng):
    B = rng.normal(size=(3, 20, 5))
    B[1, :, 4] = B[1, :, 3] + 1e-9 * rng.normal(size=20)  # cond ~ 1e9: pivots spread ~ 1e18
    Bx = xp.asarray(B)
    assert _gram_log_volume(Bx, xp.ns) is None
    got, want = xp.to_numpy(linalg.log_volume(Bx)), _qr_reference(B)
    np.testing.assert_allclose(got[[0, 2]], want[[0, 2]], rtol=1e-9)
    # QR is backward stable: the last pivot (~1e-9 |B|) moves by ~u |B| from one LAPACK
    # to another, its log by ~1e-7. The Gram path would be off by ~u cond^2 ~ 1e2.
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_extreme_column_scales_switch_to_qr(xp, rng, scale):
    B = rng.normal(size=(2, 12, 3))
    B[:, :, 1] *= scale
    assert _gram_log_volume(xp.asarray(B), xp.ns) is None
    want = _qr_reference(B / np.array([1, scale, 1]))
    np.testing.assert_allclose(xp.to_numpy(linalg.log_volume(xp.asarray(B))), want + np.log(scale), rtol=1e-12)


def test_fast_path_gradient_is_the_pseudo_inverse(rng):
    torch = pytest.importorskip("torch")
    B = torch.tensor(rng.normal(size=(9, 4)), requires_grad=True)
    assert _gram_log_volume(B.detach(), __import__("array_api_compat").array_namespace(B)) is not None
    (g,) = torch.autograd.grad(linalg.log_volume(B), B)
    np.testing.assert_allclose(g.numpy(), np.linalg.pinv(B.detach().numpy()).T, rtol=1e-10)
