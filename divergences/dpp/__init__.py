"""Determinantal point processes: kernels, marginals and likelihoods, exact samplers,
greedy MAP, the GDPP loss."""

from .likelihood import cosine_kernel
from .likelihood import expected_size
from .likelihood import gdpp_loss
from .likelihood import greedy_map
from .likelihood import inclusion_probabilities
from .likelihood import likelihood_kernel
from .likelihood import log_likelihood
from .likelihood import marginal_kernel
from .likelihood import quality_diversity
from .likelihood import rbf_kernel
from .likelihood import sample
from .likelihood import sample_k

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
