"""gan: GAN critic and generator losses as variational forms of `divergences`.

``gan.loss(name, **hparams)`` gives a :class:`Loss` whose ``critic`` and ``generator``
methods return the two players' scalar losses; ``gan.LOSSES`` lists the names with
their defaults and papers (``gan.losses.ALIASES`` the other names users know);
``gan.GANLoss`` is the protocol the training steps take; ``gan.penalties`` holds the
gradient penalties (WGAN-GP, WGAN-LP, R1, R2, WGAN-div); ``gan.stabilizers`` label
smoothing, instance noise, historical averaging, virtual batch normalisation,
spectral normalisation and weight clipping (``gan.clip_weights``); ``gan.train`` the
alternating and single-loss training steps; ``gan.diversity`` feature matching,
minibatch discrimination, O-GAN and GDPP; ``gan.audit.critic_gap`` a critic's distance
from the exact W_1 dual. A NaN or infinite critic score makes every loss NaN;
``gan.detect_nonfinite`` raises instead. Each loss is tested at its optimal critic
against the divergence it estimates (docs/gan.md) and beside its paper's equation
(docs/gan_papers.md).
"""

from . import audit
from . import diversity
from . import losses
from . import penalties
from . import stabilizers
from . import train
from ._checks import detect_nonfinite
from .losses import LOSSES
from .losses import GANLoss
from .losses import Loss
from .losses import LossInfo
from .losses import loss
from .stabilizers import clip_weights

__all__ = [
    "GANLoss",
    "LOSSES",
    "Loss",
    "LossInfo",
    "audit",
    "clip_weights",
    "detect_nonfinite",
    "diversity",
    "loss",
    "penalties",
    "stabilizers",
    "train",
]
