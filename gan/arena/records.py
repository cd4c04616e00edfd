"""What an arena run produces: a :class:`Checkpoint` per evaluation, a :class:`Record` per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["Checkpoint", "Record"]

_NOT_JSON = ("samples_xy", "log", "generator_state")


@dataclass(frozen=True)
class Checkpoint:
    """The scores at one training step (see ``gan.arena.score``).

    ``w2`` and ``audit_gap`` are None once the run has diverged (non-finite samples
    or scores); ``modes`` is None for a target without discrete modes.
    """

    step: int
    w2: float | None
    modes: int | None
    quality: float
    audit_gap: float | None
    classes: int | None = None
    class_kl: float | None = None
    encoder_corr: float | None = None


@dataclass(frozen=True)
class Record:
    """One run: a loss trained on a target, with its final scores and its curve.

    Attributes
    ----------
    loss, target : str
    seed, steps, samples, n_critic : int
        The seed, generator updates, evaluation points per side, critic updates per
        generator update.
    device : str
    w2 : float or None
        Exact W_2 between ``samples`` generated and ``samples`` real points at the end;
        None if the run diverged.
    w2_floor : float or None
        W_2 between two independent real sets of the same size: the value a perfect
        generator gets, up to sampling noise.
    modes, n_modes : int or None
        Modes hit and modes in all (None for the Swiss roll).
    quality : float
        Share of high-quality samples (within 3 std of the target's support).
    audit_gap : float or None
        The critic's distance from the exact W_1 dual (``gan.audit.critic_gap``).
    diverged : bool
        Training produced NaN or inf; the run stopped there.
    seconds : float
        Wall time of the run, training and scoring (the one field that varies
        between runs with the same seed); for seeds trained as one ensemble
        (``gan.arena.ensemble``), the ensemble's wall time divided by its seeds.
    curve : tuple of Checkpoint
        The scores along training; the last one gives the final fields.
    samples_xy : ndarray (samples, d), optional
        The final generated points (for figures; not written to JSON).
    recipe : str
        ``"common"`` or ``"paper"`` (``gan.arena.recipes``).
    classes, class_kl : int or float, optional
        ``digits`` only: classes produced (of 10) and KL(generated || held-out) between
        the class histograms (``gan.arena.digits``); None for the 2-D targets.
    encoder_corr : float, optional
        O-GAN entries only: the mean correlation between z and the critic's code of
        G(z) on the evaluation latents (1 = a perfect encoder).
    log : ndarray (steps, 2), optional
        The critic's and the generator's loss at every generator step (not in JSON;
        written as ``logs/<target>/<loss>/seed<k>.csv``).
    generator_state : dict, optional
        The final generator's ``state_dict`` (not in JSON; written as
        ``checkpoints/<target>/<loss>/seed<k>.pt``).
    """

    loss: str
    target: str
    seed: int
    steps: int
    samples: int
    n_critic: int
    device: str
    w2: float | None
    w2_floor: float | None
    modes: int | None
    n_modes: int | None
    quality: float
    audit_gap: float | None
    diverged: bool
    seconds: float
    curve: tuple[Checkpoint, ...]
    samples_xy: np.ndarray | None = field(default=None, repr=False, compare=False)
    recipe: str = "common"
    classes: int | None = None
    class_kl: float | None = None
    encoder_corr: float | None = None
    log: np.ndarray | None = field(default=None, repr=False, compare=False)
    generator_state: dict | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready Python values (no samples, log or generator state)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_JSON}
        out["curve"] = [asdict(c) for c in self.curve]
        return out
