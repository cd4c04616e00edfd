"""Anderson acceleration of a fixed-point map x -> T(x) (type II).

x_{k+1} = T(x_k) - dG gamma, where gamma minimises |r_k - dR gamma|_2 over the last
``memory`` differences dR of residuals r = T(x) - x and dG of map values
(Anderson 1965; Walker and Ni, SIAM J. Numer. Anal. 49, 2011). The small least
squares problem is solved by regularised normal equations, so it runs on any array
API backend and device without a host round-trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._backend import Array, Namespace, device

__all__ = ["Anderson"]

# Tikhonov weight relative to the Gram matrix's trace: keeps nearly collinear
# residual differences from producing huge coefficients. It is raised to 16 eps of
# the dtype where that is larger (float32: 1.9e-6), so that it is not lost in the
# rounding of the diagonal and the system stays nonsingular.
_RIDGE = 1e-10


@dataclass
class Anderson:
    memory: int
    xp: Namespace
    dR: list[Array] = field(default_factory=list)
    dG: list[Array] = field(default_factory=list)
    last: tuple[Array, Array] | None = None  # (T(x), r) of the previous step
    eyes: dict = field(default_factory=dict)  # identity matrices by size, made once

    def reset(self) -> None:
        self.dR.clear()
        self.dG.clear()
        self.last = None

    def next(self, Tx: Array, r: Array) -> Array:
        """The extrapolated next iterate from T(x_k) and r_k = T(x_k) - x_k."""
        if self.last is not None:
            self.dG.append(Tx - self.last[0])
            self.dR.append(r - self.last[1])
            if len(self.dR) > self.memory:
                self.dR.pop(0)
                self.dG.pop(0)
        self.last = (Tx, r)
        if not self.dR:
            return Tx
        xp = self.xp
        R, G = xp.stack(self.dR, axis=1), xp.stack(self.dG, axis=1)
        gram = xp.matrix_transpose(R) @ R
        info = xp.finfo(gram.dtype)
        ridge = max(_RIDGE, 16 * float(info.eps)) * xp.sum(xp.linalg.diagonal(gram)) + info.smallest_normal
        k = gram.shape[0]
        if k not in self.eyes:
            self.eyes[k] = xp.eye(k, dtype=gram.dtype, device=device(gram))
        eye = self.eyes[k]
        gamma = xp.linalg.solve(gram + ridge * eye, xp.matrix_transpose(R) @ r[:, None])
        return Tx - (G @ gamma)[:, 0]

