"""gan: GAN critic and generator losses as variational forms of `divergences`.

``gan.loss(name, **hparams)`` gives a :class:`Loss` whose ``critic`` and ``generator``
methods return the two players' scalar losses; ``gan.LOSSES`` lists the names with
their defaults and papers; ``gan.penalties`` holds the gradient penalties (WGAN-GP,
WGAN-LP, R1, R2, WGAN-div); ``gan.clip_weights`` is WGAN's weight clipping;
``gan.train`` holds the alternating and single-loss training steps and their
helpers; ``gan.diversity`` feature matching, minibatch discrimination and O-GAN;
``gan.audit.critic_gap`` a critic's distance from the exact W_1 dual. Each loss is
tested at its optimal critic against the divergence it estimates
(docs/gan.md).
"""

from . import audit
from . import diversity
from . import penalties
from . import train
from .losses import LOSSES
from .losses import Loss
from .losses import LossInfo
from .losses import clip_weights
from .losses import loss

__all__ = [
    "LOSSES",
    "Loss",
    "LossInfo",
    "audit",
    "clip_weights",
    "diversity",
    "loss",
    "penalties",
    "train",
]
