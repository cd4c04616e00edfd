"""``python -m gan.arena``: train every GAN loss on 2-D targets and rank them by exact W_2.

Bad options end with a one-line error naming the flag and exit code 2, before
anything is trained or written (see docs/arena.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import DEFAULT_STEPS, DEFAULT_TARGETS, LOSSES, SAMPLES, TARGETS, options, run
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
                description="Train every GAN loss of gan.LOSSES on 2-D targets and rank the runs by exact W_2.",
                epilog="Outputs in --out: results.json, results.csv, leaderboard.md, samples_<target>.png, "
                       "w2_<target>.png. The default run takes about 4 minutes on 2 CPU cores.")
    p.add_argument("--losses", type=_checked(options.losses, "--losses"), default=LOSSES, metavar="NAMES",
                   help="comma-separated names of gan.LOSSES, each optionally with +gdpp, or 'all' (the default: "
                        f"{len(LOSSES)} losses, including {', '.join(n for n in LOSSES if n.endswith('+gdpp'))})")
    p.add_argument("--targets", type=_checked(options.targets, "--targets"), default=DEFAULT_TARGETS,
                   metavar="NAMES", help=f"comma-separated among {', '.join(TARGETS)}, or 'all' (default: all)")
    p.add_argument("--steps", type=_checked(lambda v, f: options.count(v, f, 1, options.MAX_STEPS), "--steps"),
                   default=DEFAULT_STEPS, help=f"generator updates per run (default {DEFAULT_STEPS})")
    p.add_argument("--seed", type=_checked(options.seed, "--seed"), default=0,
                   help="seed of every run; the same seed gives the same results (default 0)")
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
    records = run(args.losses, args.targets, args.steps, args.seed, args.out, samples=args.samples,
                  workers=args.workers, device=args.device)
    print(summary(records))
    print(f"\nfull leaderboard: {args.out / 'leaderboard.md'}; results, figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
