"""``python -m benchmarks [--quick] [--only exact,...] [--budget SECONDS] [--out DIR] [--device cuda]``.

Runs each selected area, prints a Markdown table, writes ``<out>/<area>.json``,
merges it into ``<out>/results.json`` and plots ``<out>/<area>.png``. ``--budget``
is the wall budget of the whole grid: an area that would start after it is spent is
skipped, the gridded areas (entropic, 1d, sliced) skip their remaining rows, and the
summary lists what was skipped. ``--device cuda`` runs the GPU rows of BENCHMARKS.md
instead (:mod:`benchmarks.device`; budget 240 s), on torch tensors on that device.
The table marks each row where we are slower
than the peer's fastest mode (LOSS), and lists those rows again at the end.
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

from . import _report
from ._timing import Grid

# Area name -> module with ``run(quick: bool) -> list[Row]``; add an area by adding a line.
AREAS = {
    "exact": "benchmarks.exact",
    "one_d": "benchmarks.one_d",
    "sliced": "benchmarks.sliced",
    "entropic": "benchmarks.entropic",
    "certify": "benchmarks.certify",
    "online": "benchmarks.online",
    "scale": "benchmarks.scale",
    "fdiv": "benchmarks.fdiv",
    "dpp": "benchmarks.dpp",
    "gan": "benchmarks.gan",
    "arena_ensemble": "benchmarks.arena_ensemble",
    "pairwise": "benchmarks.pairwise",
}
# --device NAME runs this area alone: the GPU rows, on torch tensors on NAME
DEVICE_AREA = "benchmarks.device"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, about a minute")
    parser.add_argument("--only", default=",".join(AREAS), help="comma-separated areas: " + ", ".join(AREAS))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="output folder")
    parser.add_argument("--budget", type=float, default=None,
                        help="wall budget of the whole grid, seconds (default: 7200, quick: 1800, --device: 240)")
    parser.add_argument("--device", default=None,
                        help="run the GPU rows on this torch device (cuda, cuda:1; cpu runs them on the CPU)")
    args = parser.parse_args(argv)
    if args.budget is None:
        args.budget = 240.0 if args.device else 1800.0 if args.quick else 7200.0
    if args.device:
        _check_device(parser, args.device)
        args.only = ["device"]  # the GPU rows alone, whatever --only says
        return args
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in AREAS]
    if unknown:
        parser.error(f"unknown area(s) {unknown}; choose from {list(AREAS)}")
    return args


def _check_device(parser: argparse.ArgumentParser, name: str) -> None:
    try:
        import torch
    except ImportError:
        parser.error("--device needs PyTorch: pip install torch")
    try:
        torch.empty(1, device=name)
    except (RuntimeError, AssertionError) as err:
        parser.error(f"--device {name}: torch cannot use it ({err})")


def _run_area(name: str, args: argparse.Namespace) -> list:
    if Grid.left() <= 0:
        Grid.skip(f"area {name}")
        return []
    start = time.perf_counter()
    if args.device:
        rows = importlib.import_module(DEVICE_AREA).run(quick=args.quick, device=args.device)
    else:
        rows = importlib.import_module(AREAS[name]).run(quick=args.quick)
    print(f"{name}: {len(rows)} rows in {time.perf_counter() - start:.1f} s", flush=True)
    _report.write_json(args.out, name, rows, args.quick)
    if _report.plot(args.out, name, rows) is None:
        print(f"{name}: no plot (matplotlib not installed, or no row)")
    return rows


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    Grid.start(args.budget)
    rows = [row for name in args.only for row in _run_area(name, args)]
    print()
    print(f"grid wall budget {args.budget:.0f} s; timings taken at load average {_report.load_average()}")
    print(_report.table(rows))
    lost = _report.losses(rows)
    print(f"\n{len(lost)} of {len(rows)} rows lost (ours slower than the peer's fastest mode):")
    for r in lost:
        print(f"  {r.area} {r.regime} n={r.n}: {r.ratio:.2f}x {r.peer} {r.peer_mode}")
    if Grid.skipped:
        print(f"skipped, grid budget spent: {', '.join(Grid.skipped)}")
    print(f"\nresults in {args.out}/")


if __name__ == "__main__":
    main()
