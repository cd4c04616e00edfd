r"""Seeds to conclusions: mean ± sd per (loss, target), and ranks from a stated test.

**Aggregation** (:func:`aggregate`): over the seeds of one (loss, target), the mean and
the sample standard deviation (ddof = 1) of :math:`W_2`, of the modes hit and, on
``digits``, of the classes produced and the class KL. Diverged seeds are counted,
and left out of the means.

**Tie rule** (:func:`ranks`): loss A *beats* loss B on a target when

- A has fewer diverged seeds than B, or
- both have the same number of diverged seeds, at least two finite values each, and
  Welch's two-sample t-test (unequal variances, Welch–Satterthwaite degrees of
  freedom; ``scipy.stats.ttest_ind(equal_var=False)``) rejects equal mean
  :math:`W_2` at the two-sided level :data:`LEVEL` = 0.05, with A's mean lower.

A loss's rank is 1 + the number of losses that beat it, so losses whose difference is
not significant share a rank (a loss that beats nobody and is beaten by nobody is tied
with the best). The level is per comparison, with no correction for the number of
pairs: a screen, not a family-wise claim. Welch's test is used because rank tests
cannot reject at 3 seeds (the smallest two-sided Mann–Whitney p-value for 3 vs 3 is
2/20 = 0.1), and bootstrap intervals from 3 values are degenerate. When both
samples have zero spread the test is undefined; then differing means count as
significant (the runs are deterministic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from .records import Record

__all__ = ["LEVEL", "Summary", "aggregate", "beats", "mean_sd", "ranked", "ranks"]

LEVEL = 0.05


def mean_sd(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (ddof = 1) of the non-None values; sd None for one value.

    >>> mean_sd([1.0, 2.0, 3.0])
    (2.0, 1.0)
    """
    x = np.array([v for v in values if v is not None], dtype=np.float64)
    if x.size == 0:
        return None, None
    return float(x.mean()), (float(x.std(ddof=1)) if x.size > 1 else None)


@dataclass(frozen=True)
class Summary:
    """One (loss, target) over its seeds: means, sds, counts, and its rank (see module)."""

    loss: str
    target: str
    seeds: tuple[int, ...]
    w2: tuple[float | None, float | None]
    w2_values: tuple[float | None, ...]
    w2_floor: float | None
    modes: tuple[float | None, float | None]
    n_modes: int | None
    classes: tuple[float | None, float | None]
    class_kl: tuple[float | None, float | None]
    encoder_corr: tuple[float | None, float | None]
    diverged: int
    seconds: float
    rank: int = 0


def aggregate(records: Sequence[Record]) -> list[Summary]:
    """One :class:`Summary` per (loss, target), in the order of first appearance, ranked per target."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for r in records:
        groups.setdefault((r.loss, r.target), []).append(r)
    out = []
    for (loss, target), rs in groups.items():
        out.append(Summary(
            loss, target, tuple(r.seed for r in rs), mean_sd([r.w2 for r in rs]), tuple(r.w2 for r in rs),
            rs[0].w2_floor, mean_sd([r.modes for r in rs if not r.diverged]), rs[0].n_modes,
            mean_sd([r.classes for r in rs if not r.diverged]), mean_sd([r.class_kl for r in rs if not r.diverged]),
            mean_sd([r.encoder_corr for r in rs if not r.diverged]), sum(r.diverged for r in rs),
            float(sum(r.seconds for r in rs))))
    rank_of: dict[tuple[str, str], int] = {}
    for target in dict.fromkeys(s.target for s in out):
        group = [s for s in out if s.target == target]
        rank_of.update(zip([(s.loss, s.target) for s in group], ranks([s.w2_values for s in group])))
    return [replace(s, rank=rank_of[(s.loss, s.target)]) for s in out]


def ranked(summaries: Sequence[Summary], target: str) -> list[Summary]:
    """The summaries of ``target``, best first: by rank, then mean W_2 (diverged-only last)."""
    group = [s for s in summaries if s.target == target]
    return sorted(group, key=lambda s: (s.rank, s.w2[0] is None, s.w2[0] or 0.0))


def _finite(values: Sequence[float | None]) -> np.ndarray:
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)


def beats(a: Sequence[float | None], b: Sequence[float | None], level: float = LEVEL) -> bool:
    """Whether the seeds' W_2 values ``a`` beat ``b`` by the module's rule (None = diverged).

    >>> beats([0.30, 0.31, 0.32], [0.60, 0.62, 0.61]), beats([0.3, 0.6, 0.4], [0.5, 0.4, 0.45])
    (True, False)
    """
    fa, fb = _finite(a), _finite(b)
    lost_a, lost_b = len(a) - fa.size, len(b) - fb.size
    if lost_a != lost_b:
        return lost_a < lost_b
    if fa.size < 2 or fb.size < 2 or not fa.mean() < fb.mean():
        return False
    if np.ptp(fa) == 0 and np.ptp(fb) == 0:  # no spread: t is undefined, the runs are deterministic
        return True
    p = stats.ttest_ind(fa, fb, equal_var=False).pvalue
    return bool(p < level)


def ranks(samples: Sequence[Sequence[float | None]], level: float = LEVEL) -> list[int]:
    """Rank of each sample of W_2 values: 1 + how many other samples beat it (ties share a rank).

    >>> ranks([[0.3, 0.31, 0.32], [0.6, 0.62, 0.61], [0.3, 0.7, 0.5]])
    [1, 2, 1]
    """
    return [1 + sum(beats(other, mine, level) for j, other in enumerate(samples) if j != i)
            for i, mine in enumerate(samples)]
