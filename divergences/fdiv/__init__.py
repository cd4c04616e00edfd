"""f-divergences: the generator table, the alpha family, D_f between histograms and
the f-GAN variational bound."""

from ._generators import FDIVERGENCES
from ._generators import KINDS
from ._generators import FDivergence
from ._generators import alpha_divergence
from .divergence import f_divergence
from .variational import variational_f

__all__ = [
    "FDIVERGENCES",
    "FDivergence",
    "KINDS",
    "alpha_divergence",
    "f_divergence",
    "variational_f",
]
