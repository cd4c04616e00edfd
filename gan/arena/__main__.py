"""``python -m gan.arena``: train GAN losses over several seeds on 2-D targets and digits, rank them by exact W_2.

Bad options end with a one-line error naming the flag and exit code 2, before
anything is trained or written (see docs/arena.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import (DEFAULT_LOSSES, DEFAULT_SEEDS, DEFAULT_STEPS, DEFAULT_TARGETS, LOSSES, SAMPLES, TARGET_STEPS, TARGETS,
               options, run)
from .report import summary


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit code 2 (argparse's code)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _checked(check, flag: str):
    """An argparse ``type`` from an options check: its ValueError becomes the flag's error."""
    def convert(text: str):
        try:
            return check(text, flag)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err).removeprefix(f"{flag}: ")) from None
    return convert


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m gan.arena",
                description="Train GAN losses with several seeds on 2-D targets and digits; rank them by exact W_2 "
                            "(mean ± sd over seeds, ties by Welch's t-test).",
                epilog="Outputs in --out: results.json, results.csv, leaderboard.md, logs/, checkpoints/, "
                       "leaderboard.png, samples_<target>.png, w2_<target>.png. See docs/arena.md for the run time.")
    p.add_argument("--losses", type=_checked(options.losses, "--losses"), default=DEFAULT_LOSSES, metavar="NAMES",
                   help="comma-separated entries: names of gan.LOSSES with optional +gdpp, +r1, +r2, +sn, +single, +vbn, "
                        f"+pac<m>, or ogan:<loss>; 'all' for {len(LOSSES)} entries (default: {','.join(DEFAULT_LOSSES)})")
    p.add_argument("--all", action="store_true", help="every entry (same as --losses all)")
    p.add_argument("--targets", type=_checked(options.targets, "--targets"), default=DEFAULT_TARGETS,
                   metavar="NAMES", help=f"comma-separated among {', '.join(TARGETS)}, or 'all' "
                                         f"(default: {','.join(DEFAULT_TARGETS)})")
    p.add_argument("--steps", type=_checked(lambda v, f: options.count(v, f, 1, options.MAX_STEPS), "--steps"),
                   default=None, help=f"generator updates per run (default {DEFAULT_STEPS}; "
                                      + ", ".join(f"{t} {n}" for t, n in TARGET_STEPS.items()) + ")")
    p.add_argument("--seed", type=_checked(options.seed, "--seed"), default=0,
                   help="first seed; runs use seed .. seed+seeds-1; the same seeds give the same results (default 0)")
    p.add_argument("--seeds", type=_checked(lambda v, f: options.count(v, f, 1, 1000), "--seeds"),
                   default=DEFAULT_SEEDS, help=f"seeds per loss and target (default {DEFAULT_SEEDS})")
    p.add_argument("--recipe", type=_checked(options.recipe, "--recipe"), default="common",
                   help="common: one shared recipe for every loss (default); paper: each paper's own")
    p.add_argument("--out", type=_checked(options.out, "--out"), default="arena-results", metavar="FOLDER",
                   help="output folder, created if needed (default ./arena-results)")
    p.add_argument("--samples", type=_checked(
        lambda v, f: options.count(v, f, options.MIN_SAMPLES, options.MAX_SAMPLES), "--samples"), default=SAMPLES,
        help=f"generated and real points per side of each evaluation (default {SAMPLES})")
    p.add_argument("--workers", type=_checked(lambda v, f: options.count(v, f, 1, 256), "--workers"), default=None,
                   help="runs in parallel, one process each (default: one per core, at most 8; 1 on CUDA)")
    p.add_argument("--device", type=_checked(options.device, "--device"), default=None,
                   help="auto, cpu or cuda (default auto: CUDA when available)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the arena, print the summary; returns 0."""
    args = _parser().parse_args(argv)
    losses = LOSSES if args.all else args.losses
    records = run(losses, args.targets, args.steps, args.seed, args.out, seeds=args.seeds, recipe=args.recipe,
                  samples=args.samples, workers=args.workers, device=args.device)
    print(summary(records))
    print(f"\nfull leaderboard: {args.out / 'leaderboard.md'}; results, figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
