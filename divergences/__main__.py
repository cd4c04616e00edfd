"""A short tour: ``python -m divergences`` computes each distance once and prints it."""

from __future__ import annotations

import numpy as np

import divergences as dv


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = rng.normal(size=(200, 2)) + np.array([2.0, 0.0])
    M = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    r = dv.solve(M)
    rows = [
        ("exact OT <M, P>, network simplex", float(r.value)),
        ("  duality gap (certificate)", r.gap),
        ("  same problem by the LP (HiGHS)", float(dv.solve(M, method="lp").value)),
        ("  dual value <a, f> + <b, g>", float(dv.dual_value(r.f, r.g))),
    ]
    width = max(len(name) for name, _ in rows)
    print("divergences tour: two Gaussian clouds in R^2, means 2 apart\n")
    for name, value in rows:
        print(f"{name:<{width}}  {value:.6g}")


if __name__ == "__main__":
    main()
