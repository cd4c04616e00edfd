"""A small GAN arena: a few losses on the 8-Gaussian ring, ranked by exact W_2.

``gan.arena.run`` trains one small MLP GAN per loss, target and seed (2 seeds here) and
scores it by the exact W_2 between generated and real points (``divergences.solve``),
mode coverage and the critic's audit gap (``gan.audit.critic_gap``); with ``out`` it
writes results.json, results.csv and the Markdown leaderboard (mean ± sd over the
seeds, ties by Welch's t-test), printed here. The default arena is
``python -m gan.arena`` (docs/arena.md).

    python arena_leaderboard.py [--losses ns-sgan rasgan ...] [--steps 100] [--seeds 2] [--out arena]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gan import arena


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--losses", nargs="+", default=["ns-sgan", "rasgan", "gan-qp"],
                        help="names of gan.LOSSES, optionally with +gdpp")
    parser.add_argument("--targets", nargs="+", default=["ring8"], help="among gan.arena.TARGETS")
    parser.add_argument("--steps", type=int, default=100, help="generator updates per run")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per loss (2 or more for the tie rule)")
    parser.add_argument("--samples", type=int, default=200, help="points per side of the W_2 evaluation")
    parser.add_argument("--out", default="arena", help="folder for the results")
    args = parser.parse_args(argv)

    arena.run(args.losses, args.targets, steps=args.steps, samples=args.samples, out=args.out,
              seeds=args.seeds, workers=1, progress=False, figures=False)
    print((Path(args.out) / "leaderboard.md").read_text())


if __name__ == "__main__":
    main()
