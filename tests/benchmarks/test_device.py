"""``python -m benchmarks --device NAME``: the GPU rows, run here on the CPU at the
quick sizes (the same code runs on CUDA; no timing is asserted)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]


def _run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_device_rows_run_on_the_cpu(tmp_path):
    proc = _run("--device", "cpu", "--quick", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = json.loads((tmp_path / "device.json").read_text())["rows"]
    by_area = {}
    for r in rows:
        by_area.setdefault(r["area"], []).append(r)
    assert set(by_area) == {"device 1d", "device sinkhorn", "device online", "device dpp"}
    for r in rows:
        assert math.isfinite(r["ours_s"]) and r["ours_s"] > 0, r
    one_d = {r["peer"]: r for r in by_area["device 1d"]}
    assert one_d["two torch.sort (floor)"]["floor"] and one_d["POT"]["value_diff"] < 1e-5
    dense, = by_area["device sinkhorn"]
    assert dense["ours_err"] <= 1e-6 and "sinkhorn_log:" in dense["note"] and "greenkhorn" not in dense["note"]
    online, = by_area["device online"]
    assert online["ours_err"] <= 1e-3 and "pairs/s" in online["note"] and online["verdict"] == "-"
    assert by_area["device dpp"][0]["floor"]
    assert "device sinkhorn" in proc.stdout and "rows lost" in proc.stdout


def test_an_unusable_device_is_a_one_line_error():
    proc = _run("--device", "nosuch", timeout=120)
    assert proc.returncode == 2
    assert "--device nosuch" in proc.stderr.splitlines()[-1]
