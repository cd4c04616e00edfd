r"""Generalized determinants: volumes, pseudo-determinants and log-determinants.

The determinant family behind DPP kernels and invertible networks, written once
against the array API standard (NumPy, CuPy, PyTorch), with PyTorch gradients:

- :func:`volume`, :func:`log_volume`: the k-volume of the parallelotope spanned by
  the columns of a tall matrix, :math:`\sqrt{\det B^\top B}`, by QR, never forming
  :math:`B^\top B` (Ben-Israel, "A volume associated with m x n matrices", Linear
  Algebra Appl. 167, 1992);
- :func:`pdet`, :func:`log_pdet`: the pseudo-determinant, product of the nonzero
  eigenvalues (symmetric matrices) or singular values (any other matrix), with a
  stated rank tolerance;
- :func:`spectral_norm`: power iteration on a matrix or an implicit operator, as in
  spectral normalisation (Miyato et al., ICLR 2018, arXiv 1802.05957);
- :func:`logdet_series`, :func:`logdet_roulette`: the stochastic estimators of
  :math:`\log\det(I + J)` of invertible ResNets (Behrmann et al., ICML 2019,
  arXiv 1811.00995) and Residual Flows (Chen et al., NeurIPS 2019, arXiv 1906.02735),
  and :func:`logdet`, the exact value for explicit matrices.

Theory pages: ``docs/determinants.md``, ``docs/spectral_norm.md``.
"""

from .volumes import log_volume
from .volumes import volume
from .determinants import log_pdet
from .determinants import logdet
from .determinants import pdet
from .spectral import SpectralNormResult
from .spectral import spectral_norm
from .logdet_estimators import logdet_roulette
from .logdet_estimators import logdet_series

__all__ = [
    "SpectralNormResult",
    "log_pdet",
    "log_volume",
    "logdet",
    "logdet_roulette",
    "logdet_series",
    "pdet",
    "spectral_norm",
    "volume",
]
