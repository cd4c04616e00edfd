"""The arena's outputs: results, the leaderboard, per-step logs, generator checkpoints, figures.

:func:`write` puts every file into a staging folder inside ``out`` and moves them in
only once all are written, so a failure leaves no partial set behind (and removes
``out`` again if it created it). Without matplotlib the PNGs are skipped with a note.

- ``results.json``: one record per (loss, target, seed) (``Record.as_dict``).
- ``results.csv``: the same without the curves.
- ``leaderboard.md``: per target, mean ± sd over the seeds and the rank by the tie rule
  of ``gan.arena.stats``.
- ``logs/<target>/<loss>/seed<k>.csv``: ``step, critic_loss, generator_loss, w2`` at
  every generator step, ``w2`` filled at the checkpoints.
- ``checkpoints/<target>/<loss>/seed<k>.pt``: the final generator's ``state_dict``
  (load with ``torch.load(path, weights_only=True)``).
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
from .stats import LEVEL, Summary, aggregate, ranked
from .targets import TARGETS

__all__ = ["CSV_COLUMNS", "LOG_COLUMNS", "leaderboard", "log_csv", "summary", "write"]

CSV_COLUMNS = ("loss", "target", "seed", "w2", "w2_floor", "modes", "n_modes", "classes", "class_kl", "quality",
               "audit_gap", "encoder_corr", "diverged", "seconds", "steps", "n_critic", "samples", "recipe", "device")
LOG_COLUMNS = ("step", "critic_loss", "generator_loss", "w2")


def _pm(pair: tuple[float | None, float | None], digits: int = 3) -> str:
    mean, sd = pair
    if mean is None:
        return "-"
    return f"{mean:.{digits}f}" if sd is None else f"{mean:.{digits}f} ± {sd:.{digits}f}"


def _modes(s: Summary) -> str:
    if s.n_modes is None:
        return "-"
    return f"{_pm(s.modes, 1)} / {s.n_modes}"


def _rows(summaries: Sequence[Summary], target: str) -> list[list[str]]:
    rows = []
    for s in ranked(summaries, target):
        w2 = _pm(s.w2) + (f" ({s.diverged} diverged)" if s.diverged else "")
        extra = [_pm(s.class_kl)] if target == "digits" else []
        rows.append([str(s.rank), s.loss, w2, _modes(s), *extra, str(len(s.seeds)), f"{s.seconds:.0f}"])
    return rows


def _header(target: str) -> list[str]:
    modes = "classes" if target == "digits" else "modes"
    extra = ["class KL"] if target == "digits" else []
    return ["rank", "loss", "W2 (mean ± sd)", modes, *extra, "seeds", "seconds"]


def _targets(records: Sequence) -> list[str]:
    return list(dict.fromkeys(r.target for r in records))


def _floor_line(summaries: Sequence[Summary], target: str) -> str:
    floor = next(s.w2_floor for s in summaries if s.target == target)
    what = "a training subset vs the held-out images" if target == "digits" else "real vs real"
    return f"floor ({what}, same size): {'-' if floor is None else f'{floor:.3f}'}"


def leaderboard(records: Sequence[Record]) -> str:
    """The Markdown leaderboard: one table per target, mean ± sd over seeds, ranked by the tie rule."""
    summaries = aggregate(records)
    first = records[0]
    seeds = sorted({r.seed for r in records})
    lines = ["# GAN arena leaderboard", "",
             f"Recipe `{first.recipe}`, seeds {', '.join(map(str, seeds))}, {_steps(records)} generator steps per run, "
             f"device {first.device}. W2: exact W_2 between generated and real (held-out) samples, mean ± sd over "
             "the seeds (lower is better). Rank: 1 + the number of losses that beat this one by Welch's t-test "
             f"at two-sided level {LEVEL} (fewer diverged seeds also beats); equal ranks are ties. modes: modes hit "
             "(classes produced on digits), mean ± sd. See docs/arena.md.", ""]
    for target in _targets(records):
        header = _header(target)
        lines += [f"## {target}: {TARGETS[target].summary}", "", _floor_line(summaries, target) + ".", "",
                  "| " + " | ".join(header) + " |", "|" + "---:|" + "---|" + "---:|" * (len(header) - 2)]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(summaries, target)]
        lines.append("")
    return "\n".join(lines)


def summary(records: Sequence[Record], top: int = 5) -> str:
    """Plain text for the terminal: the ``top`` losses of each target."""
    summaries = aggregate(records)
    lines = []
    for target in _targets(records):
        header, rows = _header(target), _rows(summaries, target)[:top]
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
        lines += [f"{target} ({_floor_line(summaries, target)})",
                  "  " + "  ".join(h.ljust(w) for h, w in zip(header, widths))]
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


def log_csv(record: Record) -> str:
    """The per-step log of a run as CSV text: :data:`LOG_COLUMNS`, one row per generator step."""
    w2_at = {c.step: c.w2 for c in record.curve}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    log = record.log if record.log is not None else ()
    for i, (critic, generator) in enumerate(log, 1):
        w2 = w2_at.get(i)
        writer.writerow([i, repr(float(critic)), repr(float(generator)), "" if w2 is None else repr(w2)])
    return buffer.getvalue()


def _run_path(kind: str, r: Record, suffix: str) -> str:
    loss = r.loss.replace(":", "_").replace("+", "_")
    return f"{kind}/{r.target}/{loss}/seed{r.seed}{suffix}"


def _per_run(records: Sequence[Record], folder: Path) -> list[str]:
    import torch

    names = []
    for r in records:
        log = _run_path("logs", r, ".csv")
        (folder / log).parent.mkdir(parents=True, exist_ok=True)
        (folder / log).write_text(log_csv(r))
        names.append(log)
        if r.generator_state is not None:
            ckpt = _run_path("checkpoints", r, ".pt")
            (folder / ckpt).parent.mkdir(parents=True, exist_ok=True)
            torch.save(r.generator_state, folder / ckpt)
            names.append(ckpt)
    return names


def _files(records: Sequence[Record], folder: Path, figures: bool) -> list[str]:
    (folder / "results.json").write_text(json.dumps([r.as_dict() for r in records], indent=1) + "\n")
    (folder / "results.csv").write_text(_csv(records))
    (folder / "leaderboard.md").write_text(leaderboard(records))
    names = ["results.json", "results.csv", "leaderboard.md", *_per_run(records, folder)]
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
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / name, out / name)
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / name for name in names]


def _steps(records) -> str:
    """The generator steps of the runs: one number, or one per target ("ring8 3000, grid25 6000")."""
    per_target = dict.fromkeys((r.target, r.steps) for r in records)
    if len({steps for _, steps in per_target}) == 1:
        return str(records[0].steps)
    return ", ".join(f"{target} {steps}" for target, steps in per_target)
