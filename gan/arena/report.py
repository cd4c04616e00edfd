"""The arena's outputs: results.json, results.csv, leaderboard.md and the PNG figures.

:func:`write` puts every file into a staging folder inside ``out`` and moves them in
only once all are written, so a failure leaves no partial set behind (and removes
``out`` again if it created it). Without matplotlib the PNGs are skipped with a note.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .records import Record
from .targets import TARGETS

__all__ = ["CSV_COLUMNS", "leaderboard", "ranked", "summary", "write"]

CSV_COLUMNS = ("loss", "target", "w2", "w2_floor", "modes", "n_modes", "quality", "audit_gap", "diverged",
               "seconds", "steps", "n_critic", "samples", "seed", "device")


def ranked(records: Sequence[Record], target: str) -> list[Record]:
    """The records of ``target``, best first: by W_2, diverged runs last."""
    group = [r for r in records if r.target == target]
    return sorted(group, key=lambda r: (r.w2 is None, r.w2 if r.w2 is not None else 0.0))


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _modes(r: Record) -> str:
    return "-" if r.n_modes is None else f"{r.modes}/{r.n_modes}"


def _rows(records: Sequence[Record], target: str) -> list[list[str]]:
    return [[str(i), r.loss, "diverged" if r.diverged else _num(r.w2), _modes(r), f"{100 * r.quality:.1f}%",
             _num(r.audit_gap), str(r.n_critic), f"{r.seconds:.1f}"] for i, r in enumerate(ranked(records, target), 1)]


_HEADER = ["rank", "loss", "W2", "modes", "quality", "audit gap", "n_critic", "seconds"]


def _targets(records: Sequence[Record]) -> list[str]:
    return list(dict.fromkeys(r.target for r in records))


def _floor_line(records: Sequence[Record], target: str) -> str:
    floor = next(r.w2_floor for r in records if r.target == target)
    return f"real vs real W2 at this sample size (the floor): {_num(floor)}"


def leaderboard(records: Sequence[Record]) -> str:
    """The Markdown leaderboard: one table per target, ranked by W_2."""
    first = records[0]
    lines = ["# GAN arena leaderboard", "",
             f"Seed {first.seed}, {first.steps} generator steps per run, device {first.device}. "
             f"W2: exact W_2 between {first.samples} generated and {first.samples} real points (lower is better); "
             "modes: modes hit with high-quality samples; quality: share of samples within 3 std of the target; "
             "audit gap: W_1 - kr/L of the critic (0 = an optimal W_1 potential). See docs/arena.md.", ""]
    for target in _targets(records):
        lines += [f"## {target}: {TARGETS[target].summary}", "", _floor_line(records, target) + ".", "",
                  "| " + " | ".join(_HEADER) + " |", "|" + "---:|" + "---|" + "---:|" * (len(_HEADER) - 2)]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(records, target)]
        lines.append("")
    return "\n".join(lines)


def summary(records: Sequence[Record], top: int = 5) -> str:
    """Plain text for the terminal: the ``top`` runs of each target."""
    lines = []
    for target in _targets(records):
        rows = _rows(records, target)[:top]
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(_HEADER)]
        lines += [f"{target} ({_floor_line(records, target)})",
                  "  " + "  ".join(h.ljust(w) for h, w in zip(_HEADER, widths))]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
        lines.append("")
    return "\n".join(lines).rstrip()


def _csv(records: Sequence[Record]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        row = r.as_dict()
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


def _files(records: Sequence[Record], folder: Path, figures: bool) -> list[str]:
    (folder / "results.json").write_text(json.dumps([r.as_dict() for r in records], indent=1) + "\n")
    (folder / "results.csv").write_text(_csv(records))
    (folder / "leaderboard.md").write_text(leaderboard(records))
    names = ["results.json", "results.csv", "leaderboard.md"]
    if figures:
        try:
            from .figures import draw

            names += draw(records, folder)
        except ImportError:
            print("gan.arena: matplotlib is not installed; skipping the PNG figures "
                  "(pip install matplotlib)", file=sys.stderr)
    return names


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None if ``path`` exists)."""
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


def write(records: Sequence[Record], out: str | os.PathLike, *, figures: bool = True) -> list[Path]:
    """Write every output file into the folder ``out`` (created if needed), all or none.

    Returns the paths written.
    """
    out = Path(out)
    created = _first_missing(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".arena-staging-", dir=out))
    try:
        names = _files(records, stage, figures)
        for name in names:
            os.replace(stage / name, out / name)
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / name for name in names]
