r"""Diversity terms against mode collapse: feature matching, minibatch discrimination, O-GAN.

- :func:`feature_matching`: the squared distance between the batch means of critic
  features of real and fake samples (Salimans et al. 2016, arXiv 1606.03498, Sec. 3.1).
- :class:`MinibatchDiscrimination`: a layer that appends to each sample's features
  its closeness to the other samples of the batch (idem, Sec. 3.2).
- :func:`ogan_loss`: O-GAN (Su 2019, arXiv 1903.01931): the critic outputs a code
  e(x), its score is the mean of the code, and the Pearson correlation between z and
  e(G(z)) turns the critic into an encoder. :func:`correlation` and
  :func:`ogan_score` are its two pieces.
- :func:`gdpp`: the GDPP loss (Elfeki et al. 2019, arXiv 1812.00068) on critic
  features, the code of :func:`divergences.dpp.gdpp_loss`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from .losses import Loss, loss as _loss
from ._checks import batch, flat, positive

__all__ = ["MinibatchDiscrimination", "OGANLoss", "correlation", "feature_matching", "gdpp", "ogan_loss", "ogan_score"]

Encoder = Callable[[torch.Tensor], torch.Tensor]

_SALIMANS = "Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016 (arXiv 1606.03498)"
_OGAN = "Su, O-GAN: Extremely Concise Approach for Auto-Encoding Generative Adversarial Networks, arXiv 1903.01931"


def gdpp(phi_real: torch.Tensor, phi_fake: torch.Tensor, *, magnitude_weight: float = 1e-4,
         broadening: float = 1e-3) -> torch.Tensor:
    r"""The GDPP diversity loss on torch features (Elfeki et al., ICML 2019, arXiv 1812.00068).

    .. math::

        \mathcal L = w_m \frac1B \sum_i (\lambda^f_i - \lambda^r_i)^2
        + \sum_i \hat\lambda^r_i \big(1 - \langle v^f_i, v^r_i\rangle^2\big)

    over the eigenpairs of the cosine kernels of the real and fake feature batches:
    the same definition and code as :func:`divergences.dpp.gdpp_loss` (one
    implementation), with the generator's gradient flowing through ``phi_fake``.
    Add it to the generator loss, e.g. ``g_loss + gdpp(phi(real), phi(fake))``.
    """
    from divergences.dpp import gdpp_loss

    return gdpp_loss(phi_real, phi_fake, magnitude_weight=magnitude_weight, broadening=broadening)


def feature_matching(phi_real: torch.Tensor, phi_fake: torch.Tensor) -> torch.Tensor:
    r"""Feature matching: :math:`\|\mathbb E\,\phi(x) - \mathbb E\,\phi(G(z))\|_2^2`.

    :math:`\phi` are the activations of an intermediate layer of the critic; the
    generator minimises this instead of (or besides) its adversarial loss, matching
    the real batch's feature means (Salimans et al. 2016, arXiv 1606.03498,
    Sec. 3.1). Samples' features are flattened; batch sizes may differ. Pass
    ``phi_real`` detached when only the generator should learn from it.

    Parameters
    ----------
    phi_real, phi_fake : tensors (n, ...), (m, ...)
        Features of the real and the fake batch, the same feature shape.

    Returns
    -------
    tensor ()

    Examples
    --------
    >>> import torch
    >>> float(feature_matching(torch.tensor([[0.0, 2.0], [2.0, 2.0]]), torch.tensor([[1.0, 0.0]])))
    4.0
    """
    a, b = flat(phi_real, "phi_real"), flat(phi_fake, "phi_fake")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"phi_real and phi_fake must have the same number of features, got {a.shape[1]} and {b.shape[1]}")
    return ((a.mean(dim=0) - b.mean(dim=0)) ** 2).sum()


class MinibatchDiscrimination(torch.nn.Module):
    r"""Minibatch discrimination: append each sample's similarity to the rest of the batch.

    With :math:`f(x_i) \in \mathbb R^A` (flattened input features) and a learned tensor
    :math:`T \in \mathbb R^{A \times B \times C}`, :math:`M_i = f(x_i)\,T \in \mathbb R^{B \times C}`,

    .. math::

        c_b(x_i, x_j) = \exp(-\|M_{i,b} - M_{j,b}\|_{L_1}), \qquad
        o(x_i)_b = \sum_{j \ne i} c_b(x_i, x_j),

    and the output is :math:`[f(x_i), o(x_i)] \in \mathbb R^{A + B}` (Salimans et al.
    2016, arXiv 1606.03498, Sec. 3.2; B = 100 kernels of dimension C = 5 by default).
    Self-pairs :math:`j = i` (always :math:`c = 1`) are excluded by default, so a
    batch of one sample gets :math:`o = 0`; the paper's sum runs over all j, which
    adds the constant 1 to every feature (``include_self=True``). Time O(N^2 B C),
    memory O(N^2 B).

    Parameters
    ----------
    in_features : int
        A, the number of input features (after flattening).
    num_kernels : int
        B (default 100).
    kernel_dim : int
        C (default 5).
    init_std : float
        Standard deviation of T's normal initialisation (default 0.05).
    include_self : bool
        Sum over j = i too, as the paper writes it (default False: o = 0 for a lone sample).

    Examples
    --------
    >>> import torch
    >>> layer = MinibatchDiscrimination(3, num_kernels=4, kernel_dim=2)
    >>> layer(torch.zeros(6, 3)).shape  # identical samples: o = N - 1 = 5 per kernel
    torch.Size([6, 7])
    """

    def __init__(
        self,
        in_features: int,
        num_kernels: int = 100,
        kernel_dim: int = 5,
        *,
        init_std: float = 0.05,
        include_self: bool = False,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        for value, name in ((in_features, "in_features"), (num_kernels, "num_kernels"), (kernel_dim, "kernel_dim")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not isinstance(include_self, bool):
            raise TypeError(f"include_self must be a bool, got {type(include_self).__name__}")
        self.in_features, self.num_kernels, self.kernel_dim = in_features, num_kernels, kernel_dim
        self.include_self = include_self
        std = positive(init_std, "init_std", allow_zero=True)
        self.T = torch.nn.Parameter(torch.empty(in_features, num_kernels * kernel_dim, dtype=dtype, device=device))
        torch.nn.init.normal_(self.T, std=std)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, num_kernels={self.num_kernels}, kernel_dim={self.kernel_dim}, "
                f"include_self={self.include_self}")

    def similarities(self, x: torch.Tensor) -> torch.Tensor:
        """o(x_i), shape (N, B): the summed kernel similarities to the other samples."""
        f = flat(x, "x")
        if f.shape[1] != self.in_features:
            raise ValueError(f"x must have {self.in_features} features per sample, got {f.shape[1]}")
        n = f.shape[0]
        M = (f @ self.T).reshape(n, self.num_kernels, self.kernel_dim).transpose(0, 1)  # (B, N, C)
        c = torch.exp(-torch.cdist(M, M, p=1.0))  # (B, N, N), exact L1 (no matmul trick)
        if self.include_self:
            return c.sum(dim=2).transpose(0, 1)
        off = ~torch.eye(n, dtype=torch.bool, device=f.device)
        return (c * off).sum(dim=2).transpose(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[f(x_i), o(x_i)], shape (N, A + B)."""
        return torch.cat([flat(x, "x"), self.similarities(x)], dim=1)


# ----------------------------------------------------------------------- O-GAN


def correlation(z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    r"""Per-sample Pearson correlation :math:`\rho(z_i, e_i)` across the feature axis, shape (N,).

    Each row is centred by its own mean and scaled to unit norm, then the rows are
    dotted: :math:`\rho_i = \langle \bar z_i, \bar e_i\rangle / (\|\bar z_i\|\,\|\bar e_i\|)`
    (O-GAN's ``correlation``; Su 2019, arXiv 1903.01931). A constant row gives 0.

    Parameters
    ----------
    z, code : tensors (N, d)
        Flattened per sample; the same shape.

    Returns
    -------
    tensor (N,)

    Examples
    --------
    >>> import torch
    >>> rho = correlation(torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]),
    ...                   torch.tensor([[2.0, 4.0, 6.0], [3.0, 2.0, 1.0]]))
    >>> [round(float(r), 6) for r in rho]
    [1.0, -1.0]
    """
    a, b = flat(z, "z"), flat(code, "code")
    if a.shape != b.shape:
        raise ValueError(f"z and code must have the same shape per batch, got {tuple(a.shape)} and {tuple(b.shape)}")
    a = F.normalize(a - a.mean(dim=1, keepdim=True), dim=1)
    b = F.normalize(b - b.mean(dim=1, keepdim=True), dim=1)
    return (a * b).sum(dim=1)


def ogan_score(encoder: Encoder) -> Callable[[torch.Tensor], torch.Tensor]:
    r"""The critic of an O-GAN encoder: :math:`D(x) = \frac1d \sum_k e(x)_k`, the code's mean.

    Examples
    --------
    >>> import torch
    >>> ogan_score(lambda x: torch.cat([x, 3 * x], dim=1))(torch.tensor([[1.0], [2.0]])).tolist()
    [2.0, 4.0]
    """
    if not callable(encoder):
        raise TypeError(f"encoder must be callable, got {type(encoder).__name__}")
    return lambda x: flat(encoder(x), "the code").mean(dim=1)


@dataclass(frozen=True)
class OGANLoss:
    r"""The O-GAN loss: a base GAN loss on the code's mean, minus :math:`\lambda\,\mathbb E\,\rho(z, e(G(z)))`.

    Attributes
    ----------
    base : gan.Loss
        The adversarial loss applied to the score :func:`ogan_score` (``encoder``).
    lam : float
        Weight of the correlation term.
    hparams : Mapping
        ``{"base": name, "lam": lam, **base hparams}``, read-only.
    reference : str

    Methods
    -------
    critic(encoder, real, fake, z)
        ``base.critic(score, real, fake) - lam * mean(correlation(z, encoder(fake.detach())))``.
    generator(encoder, real, fake, z)
        ``base.generator(score, real, fake) - lam * mean(correlation(z, encoder(fake)))``;
        the correlation's gradient reaches the generator through ``fake``.
    """

    takes_latent: ClassVar[bool] = True

    base: Loss
    lam: float
    hparams: Mapping[str, Any]
    reference: str = _OGAN

    def critic(self, encoder: Encoder, real: torch.Tensor, fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The critic (encoder) loss; ``fake`` is detached."""
        fake = batch(fake, "fake").detach()
        rho = correlation(z, encoder(fake))
        return self.base.critic(ogan_score(encoder), real, fake) - self.lam * rho.mean()

    def generator(self, encoder: Encoder, real: torch.Tensor, fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The generator loss; differentiable in ``fake``."""
        rho = correlation(z, encoder(batch(fake, "fake")))
        return self.base.generator(ogan_score(encoder), real, fake) - self.lam * rho.mean()


def ogan_loss(base: str = "gan-qp", lam: float = 0.5, **hparams: Any) -> OGANLoss:
    r"""O-GAN (Su 2019, arXiv 1903.01931): any GAN loss whose critic becomes an encoder.

    The critic outputs a code :math:`e(x) \in \mathbb R^d` with d the latent
    dimension; its score is :math:`D(x) = \mathrm{mean}_k\, e(x)_k`
    (:func:`ogan_score`), and both players also maximise the per-sample Pearson
    correlation :math:`\rho(z, e(G(z)))` (:func:`correlation`):

    .. math::

        L_D = L_D^{\rm base}(D) - \lambda\,\mathbb E_z\,\rho(z, e(G(z))), \qquad
        L_G = L_G^{\rm base}(D) - \lambda\,\mathbb E_z\,\rho(z, e(G(z))).

    A correlation (not a distance) leaves the code's mean and scale free for the
    score, so the encoder costs no extra network. The defaults follow the official
    code (github.com/bojone/o-gan): ``lam = 0.5`` and a GAN-QP base loss (its code
    uses d = the mean squared pixel difference; ``gan.loss("gan-qp")`` uses its own
    ``norm`` option).

    Parameters
    ----------
    base : str
        A name in ``gan.LOSSES`` (default ``"gan-qp"``).
    lam : float
        > 0 (default 0.5).
    **hparams
        Passed to ``gan.loss(base, ...)``.

    Returns
    -------
    OGANLoss

    Examples
    --------
    >>> import torch
    >>> L = ogan_loss("wgan", lam=1.0)
    >>> enc = lambda x: x  # the code is the sample itself
    >>> z = torch.tensor([[1.0, 2.0, 3.0]])
    >>> float(L.generator(enc, z, z, z))  # -mean(code) - 1 * rho(z, z) = -2 - 1
    -3.0
    """
    lam = positive(lam, "lam")
    b = _loss(base, **hparams)
    if not math.isfinite(lam):
        raise ValueError(f"lam must be finite, got {lam!r}")
    return OGANLoss(b, lam, MappingProxyType({"base": base, "lam": lam, **dict(b.hparams)}))
