"""``python -m benchmarks --quick``: the smoke run of every area, as CI runs it (minutes;
more on a shared machine: hence the generous subprocess timeout).

It checks that each area runs end to end against its peer, reports positive finite
timings, and writes its JSON (and PNG when matplotlib is present); ratios are not
asserted here (timing targets live in the full benchmark run, never in tests). Then
the machinery without timings: POT modes run to a stated accuracy, the fastest-mode
rule and the verdict of a row.
"""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.__main__ import AREAS
from benchmarks._pot_modes import ModeRun, fastest, fresh_run, l1_error, run_mode, step_of
from benchmarks._timing import Row

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    # a budget no smoke run reaches: every area must run
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--budget", "86400", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1500)
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
            assert row["verdict"] in {"win", "LOSS", "LOSS?", "-"}, (area, row)
            if row["verdict"].startswith("LOSS"):  # every loss is listed again under the table
                assert f"{row['area']} {row['regime']} n={row['n']}:" in stdout
        assert (out / f"{area}.json").exists()
    assert "| ratio" in stdout or "ratio" in stdout


def test_entropic_rows_carry_both_accuracies(quick_run):
    out, _ = quick_run
    rows = json.loads((out / "entropic.json").read_text())["rows"]
    pot = [r for r in rows if r["peer"] == "POT"]
    assert pot and all(r["regime"] for r in pot)
    for r in pot:
        assert r["ours_err"] <= 1e-6, r  # ours reaches the row's accuracy, measured from its plan
        # the peer reached it too, or its time is a lower bound (or every mode failed)
        assert r["peer_err"] <= 1e-6 or r["peer_bound"] or r["peer_mode"] == "none", r
        for mode in ("sinkhorn:", "sinkhorn_log:", "sinkhorn_stabilized:", "greenkhorn:"):
            assert mode in r["note"], (mode, r["note"])


def test_plots_written_when_matplotlib_is_present(quick_run):
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed")
    out, _ = quick_run
    for area in AREAS:
        assert (out / f"{area}.png").stat().st_size > 0, area


def test_spent_budget_skips_rows_and_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "sliced,gan", "--budget", "0",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "skipped, grid budget spent: area sliced, area gan" in proc.stdout
    assert not (tmp_path / "sliced.json").exists() and "0 of 0 rows lost" in proc.stdout


def test_unknown_area_is_a_one_line_error():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "exact,nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "--only" not in proc.stdout


# ---------------------------------------------------------------- machinery, no timings

def _problem(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.random((n, 2)), rng.random((n, 2))
    M = ((x[:, None] - y[None]) ** 2).sum(-1)
    return np.full(n, 1.0 / n), M


@pytest.mark.parametrize("mode", ["sinkhorn", "sinkhorn_log", "sinkhorn_stabilized"])
def test_a_mode_runs_the_fewest_iterations_to_the_accuracy(mode):
    w, M = _problem()
    tol = 1e-7
    run = run_mode(mode, w, w, M, 0.1, tol, budget=30.0)
    assert run.reached and not run.failed
    # the error is the fresh run's own, and one step fewer does not reach tol
    assert run.error == pytest.approx(fresh_run(mode, w, w, M, 0.1, run.iterations)[1], rel=1e-6)
    assert run.error <= tol < fresh_run(mode, w, w, M, 0.1, run.iterations - step_of(mode, len(w)))[1]


def test_greenkhorn_counts_single_row_or_column_updates():
    w, M = _problem(n=12)
    run = run_mode("greenkhorn", w, w, M, 0.2, 1e-5, budget=30.0)
    assert run.reached and run.error <= 1e-5 and run.iterations % 12 == 0


def test_underflowing_kernel_fails_instead_of_reporting_a_time():
    w, M = _problem()
    run = run_mode("sinkhorn", w, w, M, 1e-4, 1e-6, budget=30.0)
    assert run.failed and math.isnan(run.seconds)
    assert "failed" in run.summary()


def test_a_budget_too_short_gives_a_lower_bound():
    w, M = _problem()
    run = run_mode("sinkhorn_log", w, w, M, 1e-3, 1e-9, budget=0.0)
    assert not run.reached and run.error > 1e-9 and run.summary().split(": ")[1].startswith("> ")


def test_l1_error_of_a_known_plan():
    P = np.array([[0.5, 0.0], [0.1, 0.4]])
    assert l1_error(P, np.array([0.5, 0.5]), np.array([0.5, 0.5])) == pytest.approx(0.2)
    assert math.isnan(l1_error(np.full((2, 2), np.nan), np.ones(2), np.ones(2)))


def test_fastest_counts_a_lower_bound_at_its_bound():
    reached = ModeRun("sinkhorn", 100, 2.0, 1e-7, 0.0, True)
    bound = ModeRun("sinkhorn_log", 10, 1.5, 1e-2, 0.0, False)
    failed = ModeRun("greenkhorn", 0, math.nan, math.nan, math.nan, False, "underflow")
    assert fastest([reached, bound, failed]) is bound
    assert fastest([reached, failed]) is reached
    assert fastest([failed]) is None


@pytest.mark.parametrize("ours, peer, bound, floor, verdict", [
    (1.0, 2.0, False, False, "win"), (2.0, 1.0, False, False, "LOSS"),
    (2.0, 1.0, True, False, "LOSS?"), (2.0, 1.0, False, True, "-"), (1.0, math.nan, False, False, "-"),
])
def test_row_verdict(ours, peer, bound, floor, verdict):
    row = Row("a", 1, ours, "p", peer, 0.0, peer_bound=bound, floor=floor)
    assert row.verdict == verdict and row.to_dict()["verdict"] == verdict


def test_l1_error_on_torch_tensors_matches_numpy():
    torch = pytest.importorskip("torch")
    w, M = _problem()
    P = np.outer(w, w) * (1 + 0.1 * np.sin(M))
    assert l1_error(torch.as_tensor(P), torch.as_tensor(w), torch.as_tensor(w)) == pytest.approx(l1_error(P, w, w))
