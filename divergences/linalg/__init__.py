"""Generalized determinants: volumes, pseudo-determinants, spectral norms and
stochastic log det(I + J) estimators."""

from .determinants import SpectralNormResult
from .determinants import log_pdet
from .determinants import log_volume
from .determinants import logdet
from .determinants import logdet_roulette
from .determinants import logdet_series
from .determinants import pdet
from .determinants import spectral_norm
from .determinants import volume

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
