r"""Stabilisers of GAN training that are not losses: the classic helpers.

- :func:`smooth_labels`: one-sided label smoothing (Salimans et al. 2016, Sec. 3.4);
  the losses that take labels have it as an option (``gan.loss("sgan", real_label=0.9)``).
- :func:`instance_noise`: Gaussian noise on both batches (Sonderby et al. 2016).
- :class:`HistoricalAverage`: the historical averaging penalty (Salimans et al. 2016, Sec. 3.3).
- :class:`VirtualBatchNorm`: virtual batch normalisation (Salimans et al. 2016, Sec. 3.4).
- :func:`spectral_normalize`: spectral normalisation of every layer (Miyato et al. 2018).
- :func:`clip_weights`: WGAN's weight clipping (Arjovsky et al. 2017).

Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016, arXiv 1606.03498.
"""

from __future__ import annotations

import torch

from ._checks import batch, positive

__all__ = [
    "HistoricalAverage",
    "VirtualBatchNorm",
    "clip_weights",
    "instance_noise",
    "smooth_labels",
    "spectral_normalize",
]


def smooth_labels(labels: torch.Tensor, smoothing: float = 0.1) -> torch.Tensor:
    r"""One-sided label smoothing: positive targets 1 become :math:`1 - s`, negatives stay 0.

    Salimans et al. 2016 (arXiv 1606.03498, Sec. 3.4) smooth only the real (positive)
    labels: smoothing the fake ones too would reward the generator for staying where
    it is. Use the result as the target of
    ``torch.nn.functional.binary_cross_entropy_with_logits`` in the critic loss.

    Parameters
    ----------
    labels : tensor
        Targets in [0, 1] (1 for real, 0 for fake).
    smoothing : float
        s in [0, 1) (default 0.1, targets 0.9).

    Returns
    -------
    tensor
        ``labels * (1 - s)``: the same shape, dtype and device.

    Examples
    --------
    >>> import torch
    >>> smooth_labels(torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64), 0.1).tolist()
    [0.9, 0.0, 0.9]
    """
    if not isinstance(labels, torch.Tensor) or not labels.is_floating_point():
        raise TypeError("labels must be a floating-point torch.Tensor")
    s = positive(smoothing, "smoothing", allow_zero=True)
    if s >= 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    return labels * (1 - s)


def instance_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Instance noise: :math:`x + \sigma\,\varepsilon`, :math:`\varepsilon \sim N(0, I)`.

    Applied to **both** real and fake batches before the critic, it makes the two
    distributions overlap, so the critic's optimum (and the divergence it
    estimates) is smooth; anneal :math:`\sigma` to 0 during training (Sonderby et al.
    2016, arXiv 1610.04490; Arjovsky and Bottou 2017, arXiv 1701.04862, Sec. 3).

    Parameters
    ----------
    x : tensor
        A batch; gradients flow through it.
    sigma : float
        Standard deviation, >= 0 (0 returns ``x`` itself).
    generator : torch.Generator, optional
        Source of the noise.

    Returns
    -------
    tensor
        Same shape, dtype and device as ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(10000, dtype=torch.float64)
    >>> y = instance_noise(x, 0.5, generator=torch.Generator().manual_seed(0))
    >>> round(float(y.std()), 1)
    0.5
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point torch.Tensor")
    sigma = positive(sigma, "sigma", allow_zero=True)
    if sigma == 0:
        return x
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x + sigma * noise


class HistoricalAverage:
    r"""Historical averaging: the penalty :math:`w \sum_p \|\theta_p - \bar\theta_p\|^2`.

    :math:`\bar\theta = \frac1t \sum_{i=1}^t \theta[i]` is the running average of the
    parameters recorded by :meth:`update` (call it after each optimiser step);
    adding the penalty to a player's loss pulls it toward its past, which damps the
    oscillations of gradient descent on a game (Salimans et al. 2016,
    arXiv 1606.03498, Sec. 3.3). Before the first :meth:`update` the penalty is 0.

    Parameters
    ----------
    module : torch.nn.Module
        The network whose trainable parameters are averaged.
    weight : float
        w >= 0 (default 1).

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> h = HistoricalAverage(m)
    >>> with torch.no_grad():
    ...     _ = m.weight.fill_(1.0); h.update(); _ = m.weight.fill_(3.0); h.update()
    >>> h.count, float(h().detach())  # average 2, current 3
    (2, 1.0)
    """

    def __init__(self, module: torch.nn.Module, weight: float = 1.0) -> None:
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        self.module = module
        self.weight = positive(weight, "weight", allow_zero=True)
        self.count = 0
        self._params = [p for p in module.parameters() if p.requires_grad]
        self.average = [torch.zeros_like(p, memory_format=torch.contiguous_format) for p in self._params]

    @torch.no_grad()
    def update(self) -> None:
        """Add the current parameters to the running average."""
        self.count += 1
        for avg, p in zip(self.average, self._params):
            avg.add_(p.detach() - avg, alpha=1.0 / self.count)

    def __call__(self) -> torch.Tensor:
        """The penalty, differentiable in the current parameters."""
        if self.count == 0 or not self._params:
            ref = self._params[0] if self._params else torch.zeros(())
            return torch.zeros((), dtype=ref.dtype, device=ref.device)
        total = sum(((p - avg) ** 2).sum() for p, avg in zip(self._params, self.average))
        return self.weight * total

    def __repr__(self) -> str:
        return f"HistoricalAverage(weight={self.weight}, count={self.count})"


_SN_TYPES = (
    torch.nn.Linear,
    torch.nn.Conv1d,
    torch.nn.Conv2d,
    torch.nn.Conv3d,
    torch.nn.ConvTranspose1d,
    torch.nn.ConvTranspose2d,
    torch.nn.ConvTranspose3d,
    torch.nn.Bilinear,
    torch.nn.Embedding,
)


def spectral_normalize(module: torch.nn.Module, *, n_power_iterations: int = 1, eps: float = 1e-12) -> torch.nn.Module:
    r"""Spectral normalisation of every linear and convolution layer of ``module``.

    Registers ``torch.nn.utils.parametrizations.spectral_norm`` on ``module`` itself
    if it is such a layer, else on each such sub-layer: the weight is used as
    :math:`W / \hat\sigma(W)`, :math:`\hat\sigma` the power-iteration estimate of the
    largest singular value (one iteration per forward pass in training mode;
    Miyato et al., ICLR 2018, arXiv 1802.05957). For a Linear layer the normalised
    weight has spectral norm 1 (up to the estimate's convergence: the tests check it
    with ``divergences.linalg.spectral_norm``), so an MLP with 1-Lipschitz
    activations is 1-Lipschitz. For convolutions the bound is on the reshaped
    kernel, not the convolution operator, as in the paper.

    Parameters
    ----------
    module : torch.nn.Module
    n_power_iterations : int
        Power iterations per forward pass (default 1, the paper's).
    eps : float
        Guard in the normalisations.

    Returns
    -------
    torch.nn.Module
        ``module``, modified in place.

    Examples
    --------
    >>> import torch
    >>> net = spectral_normalize(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)))
    >>> torch.nn.utils.parametrize.is_parametrized(net[0], "weight")
    True
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int) or n_power_iterations < 1:
        raise ValueError(f"n_power_iterations must be an integer >= 1, got {n_power_iterations!r}")
    sn = torch.nn.utils.parametrizations.spectral_norm
    layers = [module] if isinstance(module, _SN_TYPES) else [m for m in module.modules() if isinstance(m, _SN_TYPES)]
    if not layers:
        raise ValueError("module has no linear, convolution or embedding layer to normalise")
    for layer in layers:
        if not torch.nn.utils.parametrize.is_parametrized(layer, "weight"):
            sn(layer, n_power_iterations=n_power_iterations, eps=eps)
    return module


@torch.no_grad()
def clip_weights(module: torch.nn.Module, c: float = 0.01) -> torch.nn.Module:
    r"""Clamp every parameter of ``module`` to :math:`[-c, c]` in place (WGAN's crude
    Lipschitz constraint; Arjovsky, Chintala and Bottou 2017, arXiv 1701.07875,
    Algorithm 1, c = 0.01). Call it after each critic step. Returns ``module``.

    Examples
    --------
    >>> import torch, gan
    >>> m = torch.nn.Linear(2, 1)
    >>> _ = torch.nn.init.constant_(m.weight, 3.0)
    >>> float(gan.stabilizers.clip_weights(m, c=0.5).weight.detach().max())
    0.5
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    c = positive(c, "c")
    for p in module.parameters():
        p.clamp_(-c, c)
    return module


class VirtualBatchNorm(torch.nn.Module):
    r"""Virtual batch normalisation (Salimans et al. 2016, arXiv 1606.03498, Sec. 3.4).

    A reference batch :math:`R = \{r_1, \dots, r_m\}`, chosen once and fixed at the
    start of training, travels through the network with every batch: the caller
    puts it first, ``net(torch.cat([z_ref, z]))``, and drops the first ``m`` outputs.
    Each layer then normalises every sample :math:`x_i` with the statistics of
    :math:`R \cup \{x_i\}`, per feature (channel), pooled over the spatial axes:

    .. math::

        \mu_i = \frac{m\,\bar r + \bar x_i}{m + 1}, \qquad
        \sigma_i^2 = \frac{m\,\overline{r^2} + \overline{x_i^2}}{m + 1} - \mu_i^2, \qquad
        y_i = \gamma\,\frac{x_i - \mu_i}{\sqrt{\sigma_i^2 + \epsilon}} + \beta,

    and the reference rows with the reference's own statistics (:math:`\bar r`,
    :math:`\overline{r^2}`), so no sample's output depends on the other samples of its
    batch. Unlike batch norm there are no running statistics: evaluation is the same
    computation. Gradients flow through the reference's statistics, as in the
    paper's code. Cost: a forward pass of the reference batch, which is why the paper
    uses it in the generator only.

    Parameters
    ----------
    num_features : int
        C, the size of axis 1 of the input (N, C) or (N, C, ...).
    reference_size : int
        m, the number of leading rows of each input that are the reference batch.
    eps : float
        :math:`\epsilon` (default 1e-5, as ``torch.nn.BatchNorm``).
    affine : bool
        Learn :math:`\gamma` (ones) and :math:`\beta` (zeros) per feature (default True).

    Examples
    --------
    >>> import torch
    >>> vbn = VirtualBatchNorm(3, reference_size=4)
    >>> ref, x = torch.randn(4, 3), torch.randn(2, 3)
    >>> y = vbn(torch.cat([ref, x]))[4:]  # the two samples, normalised with ref + each one
    >>> y.shape
    torch.Size([2, 3])
    >>> bool(torch.allclose(vbn(torch.cat([ref, x[:1]]))[4:], y[:1]))  # independent of x[1]
    True
    """

    def __init__(
        self,
        num_features: int,
        reference_size: int,
        *,
        eps: float = 1e-5,
        affine: bool = True,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        for value, name in ((num_features, "num_features"), (reference_size, "reference_size")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.num_features, self.reference_size = num_features, reference_size
        self.eps = positive(eps, "eps")
        self.weight: torch.nn.Parameter | None = None
        self.bias: torch.nn.Parameter | None = None
        if affine:
            self.weight = torch.nn.Parameter(torch.ones(num_features, dtype=dtype, device=device))
            self.bias = torch.nn.Parameter(torch.zeros(num_features, dtype=dtype, device=device))

    def extra_repr(self) -> str:
        return f"{self.num_features}, reference_size={self.reference_size}, eps={self.eps}, affine={self.weight is not None}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (N, C, ...), whose first ``reference_size`` rows are the reference batch."""
        x = batch(x, "x")
        m = self.reference_size
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise ValueError(f"x must have shape (N, {self.num_features}, ...), got {tuple(x.shape)}")
        if x.shape[0] < m:
            raise ValueError(
                f"x must start with the reference batch of {m} rows (net(torch.cat([reference, batch]))), "
                f"got {x.shape[0]} rows"
            )
        spatial = tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * len(spatial)
        # per-sample means of x and x^2 over the spatial axes, (N, C)
        first = x.mean(dim=spatial) if spatial else x
        second = (x * x).mean(dim=spatial) if spatial else x * x
        ref_first, ref_second = first[:m].mean(dim=0), second[:m].mean(dim=0)
        mean = torch.cat([ref_first.expand(m, -1), (m * ref_first + first[m:]) / (m + 1)])
        sq = torch.cat([ref_second.expand(m, -1), (m * ref_second + second[m:]) / (m + 1)])
        var = (sq - mean * mean).clamp_min(0.0)  # E x^2 - (E x)^2 >= 0 up to round-off
        out = (x - mean.reshape(mean.shape + (1,) * len(spatial))) * torch.rsqrt(
            var.reshape(var.shape + (1,) * len(spatial)) + self.eps)
        if self.weight is not None and self.bias is not None:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out
