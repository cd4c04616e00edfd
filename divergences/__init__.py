"""divergences: exact and dual distances between distributions for generative models.

Every function takes NumPy, CuPy or PyTorch arrays (any array API library) and
returns its result in the caller's namespace, dtype and device.
"""

from ._results import TransportResult
from .certify import Certificate
from .certify import certify
from .certify import wasserstein_bounds
from .duality import c_transform
from .duality import dual_value
from .duality import kantorovich_rubinstein
from .duality import lipschitz_constant
from .entropic import sinkhorn
from .entropic import sinkhorn_divergence
from .entropic import sinkhorn_points
from .exact import solve
from .gaussian import gaussian_wasserstein
from .one_d import wasserstein_1d
from .sliced import max_sliced_wasserstein
from .sliced import sliced_wasserstein
from .wasserstein import wasserstein

__version__ = "0.1.0"

__all__ = [
    "Certificate",
    "TransportResult",
    "c_transform",
    "certify",
    "dual_value",
    "gaussian_wasserstein",
    "kantorovich_rubinstein",
    "lipschitz_constant",
    "max_sliced_wasserstein",
    "sinkhorn",
    "sinkhorn_divergence",
    "sinkhorn_points",
    "sliced_wasserstein",
    "solve",
    "wasserstein",
    "wasserstein_1d",
    "wasserstein_bounds",
]
