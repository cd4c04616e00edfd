"""``python -m benchmarks [--quick] [--only exact,...] [--out DIR]``.

Runs each selected area, prints a Markdown table, writes ``<out>/<area>.json``,
merges it into ``<out>/results.json`` and plots ``<out>/<area>.png``.
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

from . import _report

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
    "pairwise": "benchmarks.pairwise",
}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, about a minute")
    parser.add_argument("--only", default=",".join(AREAS), help="comma-separated areas: " + ", ".join(AREAS))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="output folder")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in AREAS]
    if unknown:
        parser.error(f"unknown area(s) {unknown}; choose from {list(AREAS)}")
    return args


def _run_area(name: str, args: argparse.Namespace) -> list:
    start = time.perf_counter()
    rows = importlib.import_module(AREAS[name]).run(quick=args.quick)
    print(f"{name}: {len(rows)} rows in {time.perf_counter() - start:.1f} s", flush=True)
    _report.write_json(args.out, name, rows, args.quick)
    if _report.plot(args.out, name, rows) is None:
        print(f"{name}: matplotlib not installed, plot skipped")
    return rows


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [row for name in args.only for row in _run_area(name, args)]
    print()
    print(_report.table(rows))
    print(f"\nresults in {args.out}/")


if __name__ == "__main__":
    main()
