r"""The GDPP diversity loss of Elfeki et al. (ICML 2019, arXiv 1812.00068)."""

from __future__ import annotations

import math
from typing import Any

from .. import _validate as v
from .._backend import Array, Namespace, constant, namespace, result_dtype

__all__ = ["gdpp_loss"]


def _features(phi: Any, name: str, xp: Namespace) -> Array:
    phi = v.as_array(phi, name, xp)
    if phi.ndim != 2:
        raise ValueError(f"{name} must be a batch of feature vectors of shape (batch, d), got shape {tuple(phi.shape)}")
    v.check_nonempty(phi, name)
    return phi


def _normalized_gram(phi: Array, xp: Namespace) -> Array:
    """Gram matrix of the row-normalised features; a zero row stays zero (as with
    ``torch.nn.functional.normalize``), with a finite gradient."""
    norms = xp.linalg.vector_norm(phi, axis=1, keepdims=True)
    positive = norms > 0
    unit = phi / xp.where(positive, norms, xp.ones_like(norms))
    K = unit @ xp.matrix_transpose(unit)
    return (K + xp.matrix_transpose(K)) / 2


def _smooth_eigh(K: Array, broadening: float, xp: Namespace) -> tuple[Array, Array]:
    """Ascending eigenvalues and eigenvectors (columns) of symmetric K, with first-order
    (Lorentzian-broadened) gradients and unchanged values.

    ``eigh`` runs on the constant K0; the gradient enters through G = V0^T (K - K0) V0,
    zero in value: d lam_i = G_ii (exact) and d v_i = sum_j v_j G_ji F_ji with
    F_ji = g(lam_i - lam_j), g(x) = x / (x^2 + delta^2) in place of 1/x (exact
    perturbation theory when delta = 0, finite for every spectrum when delta > 0)."""
    K0 = constant(K, xp)
    lam0, V0 = xp.linalg.eigh(K0)
    order = xp.argsort(lam0)  # the standard leaves the order unspecified
    lam0, V0 = xp.take(lam0, order), xp.take(V0, order, axis=1)
    G = xp.matrix_transpose(V0) @ (K - K0) @ V0
    lam = lam0 + xp.linalg.diagonal(G)
    gap = lam0[None, :] - lam0[:, None]  # gap[j, i] = lam_i - lam_j
    denom = gap * gap + broadening * broadening
    nonzero = denom > 0
    F = xp.where(nonzero, gap / xp.where(nonzero, denom, xp.ones_like(denom)), xp.zeros_like(denom))
    return lam, V0 + V0 @ (F * G)


def gdpp_loss(
    phi_real: Array,
    phi_fake: Array,
    *,
    magnitude_weight: float = 1e-4,
    broadening: float = 1e-3,
) -> Array:
    r"""GDPP diversity loss: match the DPP kernels of a real and a generated batch.

    With :math:`K = \hat\Phi \hat\Phi^\top` the cosine kernel of a batch of B feature
    vectors (rows normalised to unit length), :math:`\lambda_1 \le \dots \le
    \lambda_B` its eigenvalues and :math:`v_i` the eigenvectors, for the real (r)
    and fake (f) batches,

    .. math::

        \mathcal L = w_m \frac1B \sum_i (\lambda^f_i - \lambda^r_i)^2
        + \sum_i \hat\lambda^r_i \big(1 - \langle v^f_i, v^r_i\rangle^2\big),
        \qquad \hat\lambda^r_i = \frac{\lambda^r_i - \min_j \lambda^r_j}
        {\max_j \lambda^r_j - \min_j \lambda^r_j},

    a magnitude term (weight :math:`w_m`, 1e-4 as in the official code) plus a
    structure term weighted by the min-max normalised real eigenvalues (Elfeki,
    Couprie, Riviere, Elhoseiny, "GDPP: Learning Diverse Generations Using
    Determinantal Point Processes", ICML 2019, arXiv 1812.00068, eqs. 5-6).
    :math:`\mathcal L \ge 0`, and it is 0 when the two batches have the same kernel.

    Parameters
    ----------
    phi_real, phi_fake : arrays (B, d_r), (B, d_f)
        Features of the real and generated batches (e.g. the discriminator's last
        hidden layer); the same batch size B, any feature dimensions.
    magnitude_weight : float
        :math:`w_m \ge 0`.
    broadening : float
        :math:`\delta \ge 0` of the eigenvector gradients (below); 0 gives the exact
        gradient where eigenvalues are distinct.

    Returns
    -------
    array (0-D)
        In the namespace, floating dtype and device of the inputs; differentiable in
        both (PyTorch), with finite gradients for every input.

    Notes
    -----
    Where this differs from the official code (github.com/M-Elfeki/GDPP), which
    computes ``1e-4 * mse(eig_fake, eig_real) - sum(minmax(eig_real) *
    sum(V_fake * V_real, 0))``:

    - Sign. The official structure term :math:`-\sum_i \hat\lambda_i \langle v^f_i,
      v^r_i\rangle` depends on the arbitrary sign of each eigenvector returned by
      the eigensolver, and is :math:`-\sum_i \hat\lambda_i`, not 0, at a perfect
      match. Here :math:`1 - \langle v^f_i, v^r_i\rangle^2` (the squared sine of the
      angle between the two lines) is sign-invariant and 0 at a match. The weighting
      :math:`\hat\lambda^r_i` itself is the official one.
    - Order. Eigenvalues are sorted ascending explicitly (the array API leaves the
      order of ``eigh`` unspecified); the official code relies on TensorFlow's and
      PyTorch's ascending order.
    - All-equal real eigenvalues (a real batch with orthogonal or identical
      features, B = 1): the official min-max normalisation divides 0 by 0 (NaN).
      Here the weights are 0 when the spread is at most ``sqrt(eps)`` times the
      largest magnitude: the eigenvectors of a multiple of the identity are
      arbitrary, so there is no structure to match.
    - Gradients. Eigenvector gradients divide by eigenvalue gaps
      (:math:`\partial v_i = \sum_{j \ne i} v_j v_j^\top \partial K\, v_i /
      (\lambda_i - \lambda_j)`) and are NaN or infinite at repeated eigenvalues,
      which every batch with B > d has (B - d zero eigenvalues). Here
      :math:`1/(\lambda_i - \lambda_j)` is replaced by
      :math:`(\lambda_i - \lambda_j) / ((\lambda_i - \lambda_j)^2 + \delta^2)`
      (Lorentzian broadening, Liao et al., Phys. Rev. X 9, 031041, 2019): finite
      (at most :math:`1/(2\delta)` per pair), relative error
      :math:`\delta^2/\mathrm{gap}^2` elsewhere. Eigenvalue gradients
      (:math:`v_i v_i^\top`) are exact. Values are not changed.
    - A zero feature row stays zero after normalisation (as ``F.normalize``), with
      a finite gradient.

    As in the official code, eigenvectors of a repeated eigenvalue of either kernel
    (e.g. the B - d zero eigenvalues when B > d) are any basis of their eigenspace,
    so the structure term there depends on the eigensolver's choice; it vanishes
    where the real weights do (the smallest real eigenvalue has weight 0).

    O(B^2 (d_r + d_f) + B^3).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.random.default_rng(0).normal(size=(8, 4))
    >>> float(gdpp_loss(phi, phi)) < 1e-12
    True
    >>> float(gdpp_loss(phi, phi[:, :1])) > 0.1  # a collapsed batch: rank 1
    True
    """
    xp = namespace(phi_real, phi_fake)
    real, fake = _features(phi_real, "phi_real", xp), _features(phi_fake, "phi_fake", xp)
    if real.shape[0] != fake.shape[0]:
        raise ValueError(
            f"phi_real and phi_fake must have the same batch size (their kernels are B x B), "
            f"got {real.shape[0]} and {fake.shape[0]}"
        )
    dtype = result_dtype(xp, real, fake)
    real, fake = v.as_float(real, xp, dtype), v.as_float(fake, xp, dtype)
    v.check_finite(real, "phi_real", xp)
    v.check_finite(fake, "phi_fake", xp)
    w_m = v.nonnegative_number(magnitude_weight, "magnitude_weight")
    delta = v.nonnegative_number(broadening, "broadening")
    lam_r, V_r = _smooth_eigh(_normalized_gram(real, xp), delta, xp)
    lam_f, V_f = _smooth_eigh(_normalized_gram(fake, xp), delta, xp)
    magnitude = xp.mean((lam_f - lam_r) ** 2)
    low, high = xp.min(lam_r), xp.max(lam_r)
    spread = high - low
    tol = math.sqrt(float(xp.finfo(dtype).eps)) * float(xp.max(xp.abs(constant(lam_r, xp))))
    if float(constant(spread, xp)) > tol:
        weights = (lam_r - low) / spread
    else:
        weights = xp.zeros_like(lam_r)
    cos2 = xp.sum(V_f * V_r, axis=0) ** 2
    structure = xp.sum(weights * xp.clip(1 - cos2, 0.0, None))  # cos^2 <= 1 up to round-off
    return w_m * magnitude + structure
