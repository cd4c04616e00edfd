"""``python -m benchmarks --quick``: the one-minute smoke run of every area, as CI runs it.

It checks that each area runs end to end against its peer, reports positive finite
timings, and writes its JSON (and PNG when matplotlib is present); ratios are not
asserted here (timing targets live in the full benchmark run, never in tests).
"""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import AREAS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out, proc.stdout


def test_every_area_reports_rows(quick_run):
    out, stdout = quick_run
    results = json.loads((out / "results.json").read_text())
    assert set(results) == set(AREAS)
    for area, record in results.items():
        assert record["meta"]["quick"] is True
        assert record["rows"], area
        for row in record["rows"]:
            # accuracy-only rows (e.g. certify's bracket widths) carry ours_s = 0
            assert math.isfinite(row["ours_s"]) and row["ours_s"] >= 0, (area, row)
            # rows without a peer (the online solver at sizes no peer reaches) carry nan
            assert math.isnan(row["peer_s"]) or row["peer_s"] > 0, (area, row)
            assert row["ratio"] == pytest.approx(row["ours_s"] / row["peer_s"], nan_ok=True)
        assert (out / f"{area}.json").exists()
    assert "| ratio" in stdout or "ratio" in stdout


def test_plots_written_when_matplotlib_is_present(quick_run):
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed")
    out, _ = quick_run
    for area in AREAS:
        assert (out / f"{area}.png").stat().st_size > 0, area


def test_unknown_area_is_a_one_line_error():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "exact,nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "--only" not in proc.stdout
