r"""The arena's networks: small ReLU MLPs, a generator R^z -> R^d and a critic R^d -> R.

The critic exposes its last hidden layer as :meth:`Critic.features`, the feature map
that GDPP compares between real and generated batches (Elfeki et al., ICML 2019,
arXiv 1812.00068, use the discriminator's last hidden layer too).

A *packed* critic (PacGAN: Lin, Khetan, Fanti, Oh, NeurIPS 2018, arXiv 1712.04086)
judges m points at once: :math:`D : \mathbb R^{m d} \to \mathbb R`, applied to
:math:`(x_1, \dots, x_m)` concatenated, with the m points all real (i.i.d. from
:math:`P`) or all generated (from :math:`Q`). The game is then played between
:math:`P^m` and :math:`Q^m`, whose divergence grows faster than that of :math:`P` and
:math:`Q` when :math:`Q` misses mass of :math:`P`, which penalises mode collapse.
:func:`pack` forms the packs from a batch.
"""

from __future__ import annotations

import torch

from gan.stabilizers import VirtualBatchNorm

__all__ = ["Critic", "Generator", "HIDDEN", "DEPTH", "Packed", "Z_DIM", "pack"]

Z_DIM = 2  # a 2-D target needs no more latent dimensions; each mode is a region of z
HIDDEN = 64  # small nets are bound by per-call overhead on CPU: width costs little, depth and calls do
DEPTH = 2  # hidden layers


def _trunk(d_in: int, hidden: int, depth: int, reference: int = 0) -> torch.nn.Sequential:
    """``depth`` ReLU layers; with ``reference > 0`` each linear map is followed by
    virtual batch normalisation over that many leading reference rows."""
    layers: list[torch.nn.Module] = []
    for i in range(depth):
        layers.append(torch.nn.Linear(d_in if i == 0 else hidden, hidden))
        if reference:
            layers.append(VirtualBatchNorm(hidden, reference))
        layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """(..., N, d) -> (..., N/m, m d): each row the concatenation of m consecutive points
    (PacGAN's packing; ``m = 1`` returns ``x``). N must be a multiple of m.

    >>> import torch
    >>> pack(torch.arange(8.0).reshape(4, 2), 2)
    tensor([[0., 1., 2., 3.],
            [4., 5., 6., 7.]])
    """
    if m == 1:
        return x
    *lead, n, d = x.shape
    if n % m:
        raise ValueError(f"pack: {n} points do not form packs of {m}")
    return x.reshape(*lead, n // m, m * d)


class Packed(torch.nn.Module):
    """A generator whose batches come packed for a packed critic: z (N, z_dim) ->
    :func:`pack` of ``generator(z)``, (N/m, m d). Its parameters are the generator's."""

    def __init__(self, generator: torch.nn.Module, m: int) -> None:
        super().__init__()
        self.generator, self.m = generator, m

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return pack(self.generator(z), self.m)


class Generator(torch.nn.Module):
    """z (N, z_dim) -> x (N, out): ``depth`` ReLU layers of width ``hidden``, then linear
    (then a sigmoid with ``bounded=True``, for images with pixels in [0, 1]).

    With ``vbn_reference = m > 0`` every hidden layer uses virtual batch normalisation
    (Salimans et al. 2016, Sec. 3.4): a reference latent batch of m rows, drawn once
    when the generator is built and kept as the buffer ``z_ref`` (so it travels with
    checkpoints), goes through the network ahead of each batch, and each sample is
    normalised with the reference's statistics plus its own.

    >>> import torch
    >>> Generator()(torch.zeros(5, Z_DIM)).shape
    torch.Size([5, 2])
    """

    def __init__(self, z_dim: int = Z_DIM, hidden: int = HIDDEN, depth: int = DEPTH, out: int = 2,
                 bounded: bool = False, vbn_reference: int = 0) -> None:
        super().__init__()
        self.z_dim = z_dim
        last = [torch.nn.Sigmoid()] if bounded else []
        self.net = torch.nn.Sequential(_trunk(z_dim, hidden, depth, vbn_reference), torch.nn.Linear(hidden, out), *last)
        self.register_buffer("z_ref", torch.randn(vbn_reference, z_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        m = self.z_ref.shape[0]
        if not m:
            return self.net(z)
        return self.net(torch.cat([self.z_ref.to(z.dtype), z]))[m:]


class Critic(torch.nn.Module):
    """x (N, d_in) -> raw scores (N,): ``depth`` ReLU layers of width ``hidden``, then linear;
    with ``code > 0``, a code (N, code) instead (O-GAN's encoder).

    With ``pack = m > 1`` the critic is packed: each input row is m points of dimension
    ``d_in`` concatenated (:func:`pack`), x (N/m, m d_in) -> (N/m,).

    >>> import torch
    >>> D = Critic()
    >>> D(torch.zeros(5, 2)).shape, D.features(torch.zeros(5, 2)).shape
    (torch.Size([5]), torch.Size([5, 64]))
    """

    def __init__(self, hidden: int = HIDDEN, depth: int = DEPTH, d_in: int = 2, code: int = 0, pack: int = 1) -> None:
        super().__init__()
        self.trunk = _trunk(d_in * pack, hidden, depth)
        self.code, self.pack = code, pack
        self.head = torch.nn.Linear(hidden, code or 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer (N, hidden), after its ReLU."""
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.trunk(x))
        return out if self.code else out.squeeze(-1)
