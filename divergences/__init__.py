"""divergences: exact and dual distances between distributions for generative models.

Every function takes NumPy, CuPy or PyTorch arrays (any array API library) and
returns its result in the caller's namespace, dtype and device.
"""

from . import dpp
from . import linalg
from ._results import TransportResult
from .transport.certify import Certificate
from .transport.certify import certify
from .transport.certify import wasserstein_bounds
from .transport.duality import c_transform
from .transport.duality import dual_value
from .transport.duality import kantorovich_rubinstein
from .transport.duality import lipschitz_constant
from .entropic import sinkhorn
from .entropic import sinkhorn_divergence
from .entropic import sinkhorn_points
from .transport.exact import solve
from .fdiv import FDIVERGENCES
from .fdiv import FDivergence
from .fdiv import alpha_divergence
from .fdiv import f_divergence
from .fdiv import variational_f
from .gaussian import gaussian_wasserstein
from .gaussian import gaussian_hellinger
from .gaussian import gaussian_kl
from .transport.one_d import wasserstein_1d
from .pairwise import pairwise
from .qp import qp_divergence
from .qp import qp_objective
from .transport.sliced import max_sliced_wasserstein
from .transport.sliced import sliced_wasserstein
from .transport.wasserstein import wasserstein
from .wdiv import wasserstein_divergence_1d
from .wdiv import wasserstein_divergence_objective

__version__ = "0.1.0"

__all__ = [
    "Certificate",
    "FDIVERGENCES",
    "FDivergence",
    "TransportResult",
    "alpha_divergence",
    "c_transform",
    "certify",
    "dpp",
    "dual_value",
    "f_divergence",
    "gaussian_hellinger",
    "gaussian_kl",
    "gaussian_wasserstein",
    "kantorovich_rubinstein",
    "linalg",
    "lipschitz_constant",
    "max_sliced_wasserstein",
    "pairwise",
    "qp_divergence",
    "qp_objective",
    "sinkhorn",
    "sinkhorn_divergence",
    "sinkhorn_points",
    "sliced_wasserstein",
    "solve",
    "variational_f",
    "wasserstein",
    "wasserstein_1d",
    "wasserstein_bounds",
    "wasserstein_divergence_1d",
    "wasserstein_divergence_objective",
]
