r"""Determinantal point processes: kernels, marginals, exact samplers, greedy MAP, GDPP.

An L-ensemble on the ground set :math:`\{0, \dots, n-1\}` draws a subset Y with
:math:`\mathbb P(Y) = \det L_Y / \det(L + I)` for a symmetric positive
semi-definite kernel L; its marginal kernel :math:`K = L (L + I)^{-1}` gives the
inclusion probabilities :math:`\mathbb P(S \subseteq Y) = \det K_S` (Kulesza and
Taskar, *Determinantal Point Processes for Machine Learning*, 2012, arXiv
1207.6083). This module builds kernels (:func:`rbf_kernel`, :func:`cosine_kernel`,
:func:`quality_diversity`), maps between L and K, evaluates likelihoods, samples
exactly (:func:`sample`, :func:`sample_k`), finds greedy MAP sets
(:func:`greedy_map`, Chen et al. 2018) and computes the GDPP diversity loss of
Elfeki et al. (ICML 2019) for generative models (:func:`gdpp_loss`).

Conventions. A kernel is checked to be finite, square, symmetric up to
``|L - L^T| <= sqrt(eps) max|L|`` and positive semi-definite up to a smallest
eigenvalue ``>= -sqrt(eps)`` times the largest in magnitude (eps the dtype's
machine epsilon); it is then symmetrised. Everything runs on the caller's array
library (NumPy, CuPy, PyTorch), with PyTorch gradients, except the sequential loops
of the samplers, which run on NumPy after the eigendecomposition (a host boundary;
the sampled indices come back as an int64 array in the caller's namespace and on
its device). Theory page: ``docs/dpp.md``.
"""

from .kernels import cosine_kernel
from .kernels import quality_diversity
from .kernels import rbf_kernel
from .likelihood import expected_size
from .likelihood import inclusion_probabilities
from .likelihood import likelihood_kernel
from .likelihood import log_likelihood
from .likelihood import marginal_kernel
from .sampling import sample
from .sampling import sample_k
from .greedy import greedy_map
from .gdpp import gdpp_loss

__all__ = [
    "cosine_kernel",
    "expected_size",
    "gdpp_loss",
    "greedy_map",
    "inclusion_probabilities",
    "likelihood_kernel",
    "log_likelihood",
    "marginal_kernel",
    "quality_diversity",
    "rbf_kernel",
    "sample",
    "sample_k",
]
