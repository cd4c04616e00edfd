"""Input checks shared by every module of ``gan``: batches, critic scores, numbers.

The rule for non-finite critic outputs is the same for every loss and penalty: a NaN
or infinite score makes the loss NaN, never a finite number (``softplus(-inf) = 0`` or
``relu(1 - inf) = 0`` would otherwise hide it), and costs no host-device
synchronisation. Inside :class:`detect_nonfinite` (opt-in, one synchronisation per
critic call) a non-finite score raises ``ValueError`` naming the batch instead.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

import torch

Critic = Callable[[torch.Tensor], torch.Tensor]

__all__ = ["Critic", "batch", "detached", "detect_nonfinite", "flat", "paired", "poisoned", "positive", "raw_scores",
           "real_number", "same_shape", "score_mean", "scores"]

_STATE = threading.local()


def _detecting() -> bool:
    return getattr(_STATE, "detect", False)


class detect_nonfinite:
    r"""Raise on a NaN or infinite critic score instead of returning a NaN loss.

    By default a non-finite critic output makes the loss NaN (no host-device
    synchronisation, so a training step stays asynchronous on a GPU). Within
    ``with gan.detect_nonfinite():`` (or after ``gan.detect_nonfinite(True)``) every
    critic call is checked and a non-finite score raises ``ValueError`` naming the
    batch; the check costs one synchronisation per call, like
    ``torch.autograd.detect_anomaly``. Thread-local.

    Parameters
    ----------
    mode : bool
        Whether to check (default True).

    Examples
    --------
    >>> import torch, gan
    >>> critic = lambda x: x[:, 0]
    >>> real, fake = torch.tensor([[1.0], [float("inf")]]), torch.zeros(2, 1)
    >>> float(gan.loss("hinge").critic(critic, real, fake))
    nan
    >>> with gan.detect_nonfinite():
    ...     gan.loss("hinge").critic(critic, real, fake)
    Traceback (most recent call last):
    ...
    ValueError: the critic returned NaN or inf scores on real
    """

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"mode must be a bool, got {type(mode).__name__}")
        self.previous = _detecting()
        _STATE.detect = mode

    def __enter__(self) -> detect_nonfinite:
        return self

    def __exit__(self, *exc: object) -> None:
        _STATE.detect = self.previous


def batch(x: Any, name: str) -> torch.Tensor:
    """``x`` as a float tensor with a batch axis and at least one sample."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{name} must have a batch axis with at least one sample, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    return x


def detached(x: torch.Tensor) -> torch.Tensor:
    """``x`` cut from its graph, for reading only: x itself where it has none, else a
    detached alias. Each skipped detach is one operation less in a critic step of
    some 700."""
    return x.detach() if x.requires_grad else x


def flat(x: Any, name: str) -> torch.Tensor:
    """A batch flattened to (N, features)."""
    x = batch(x, name)
    return x.reshape(x.shape[0], -1)


def raw_scores(critic: Critic, x: torch.Tensor, name: str) -> torch.Tensor:
    """The critic's outputs on the batch ``x`` as it returned them, checked to be one
    score per sample (shape (N,) or (N, 1)) and, under :class:`detect_nonfinite`, finite.
    For sums and means, which need no reshaping; :func:`scores` for everything else."""
    out = critic(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the critic must return a torch.Tensor, got {type(out).__name__} on {name}")
    n = x.shape[0]
    if not (out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1)) or out.shape[0] != n:
        raise ValueError(
            f"the critic output on {name} must have shape ({n},) or ({n}, 1), one score per "
            f"sample, got {tuple(out.shape)}"
        )
    if _detecting() and not bool(torch.isfinite(out).all()):
        raise ValueError(f"the critic returned NaN or inf scores on {name}")
    return out


def poisoned(value: torch.Tensor) -> torch.Tensor:
    """``value + 0 * value``: an infinite entry becomes NaN (0 * inf = NaN), finite ones
    and every gradient are unchanged; one kernel (add's alpha), no device sync, and the
    poison is detached, so the backward pass gains no operation."""
    return torch.add(value, value.detach(), alpha=0)


def scores(critic: Critic, x: torch.Tensor, name: str) -> torch.Tensor:
    """The critic's outputs on the batch ``x`` as a vector (N,); (N, 1) is accepted.

    Infinite scores become NaN (the gradient of a finite score is unchanged), so that
    every loss built on them is NaN; under :class:`detect_nonfinite` they raise."""
    out = raw_scores(critic, x, name)
    if out.ndim == 2:
        # a view whose backward is a view too (select's allocates); view, not reshape,
        # where it applies: reshape dispatches to view, two operations a call
        out = out.view(out.shape[0]) if out.is_contiguous() else out.reshape(out.shape[0])
    return out if _detecting() else poisoned(out)


def score_mean(critic: Critic, x: torch.Tensor, name: str) -> torch.Tensor:
    """The mean critic score on ``x``, NaN where a score is NaN or infinite (the mean of
    :func:`scores`, with no reshape and the poison on one number)."""
    m = raw_scores(critic, x, name).mean()
    return m if _detecting() else poisoned(m)


def same_shape(real: torch.Tensor, fake: torch.Tensor) -> None:
    """Real and fake paired sample by sample: the same shape."""
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape (they are paired by batch index), got "
            f"{tuple(real.shape)} and {tuple(fake.shape)}"
        )


def paired(real: torch.Tensor, fake: torch.Tensor, what: str, why: str) -> None:
    """Real and fake with the same batch size, because ``what`` pairs them (``why``)."""
    if real.shape[0] != fake.shape[0]:
        raise ValueError(
            f"real and fake must have the same batch size for {what}: {why}; got {real.shape[0]} and {fake.shape[0]}"
        )


def positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (>= 0 with ``allow_zero``) as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return v


def real_number(value: Any, name: str) -> float:
    """A finite real number as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)
