"""``python -m divergences``: one row per family, each number next to its check."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tour() -> dict[str, float]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "divergences"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = re.findall(r"^ {2,}(\S.*?)\s{2,}(-?[\d.e+-]+)\s+\((.*)\)$", proc.stdout, re.M)
    families = re.findall(r"^(\S.*)$", proc.stdout, re.M)
    return {"stdout": proc.stdout, "families": families, "rows": {name.strip(): float(v) for name, v, _ in rows}}


def test_every_family_is_in_the_tour(tour):
    text = "\n".join(tour["families"]).lower()
    for family in ("exact", "one dimension", "sliced", "gaussian", "entropic", "certified bracket",
                   "f-divergences", "wgan-div", "gan-qp", "dpp", "generalized determinants"):
        assert family in text, family


def test_the_tour_numbers_pass_their_checks(tour):
    r = tour["rows"]
    w2 = r["W_2, sqrt of solve(|x - y|^2).value"]
    assert abs(r["its duality gap"]) < 1e-9
    assert r["dual value <a, f> + <b, g>, sqrt"] == pytest.approx(w2, rel=1e-5)
    assert r["W_1 = wasserstein(x, y, p=1)"] <= w2
    assert r["sliced W_2 (128 directions)"] <= w2 and r["max-sliced W_2"] <= w2 + 1e-12
    assert r["sqrt lower (feasible potentials)"] <= w2 <= r["sqrt upper (rounded plan)"]
    assert r["sqrt <M, P_eps>"] >= w2
    assert r["f-GAN bound at the optimal critic"] == pytest.approx(r["JS(p, q)"], rel=1e-5)
    assert 0 < r["JS(p, q)"] <= 0.6931472
    assert r["size of one exact 10-DPP draw"] == 10
    volume = r["volume of B, sqrt det(B^T B)"]
    assert r["pseudo-determinant of B B^T (3 x 3, rank 2)"] == pytest.approx(volume**2, rel=1e-5)
