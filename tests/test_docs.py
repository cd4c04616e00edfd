"""The documentation site builds with warnings as errors and nitpicky references (every
API link resolves), every public name has an entry in the API reference, and the
gallery scripts run and print what their pages say."""

import os
import re
import subprocess
import sys
import zlib
from importlib.util import find_spec
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytest.importorskip("torch")  # autodoc imports gan

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GALLERY = DOCS / "gallery"


def _env() -> dict[str, str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _inventory(path: Path) -> set[str]:
    """Object names in a Sphinx objects.inv (version 2: four header lines, then zlib)."""
    data = path.read_bytes()
    for _ in range(4):
        data = data[data.index(b"\n") + 1:]
    lines = zlib.decompress(data).decode().splitlines()
    return {line.split(" ", 1)[0] for line in lines if line.split(" ")[1].startswith("py:")}


def _public_names() -> set[str]:
    import importlib

    modules = ["divergences", "divergences.dpp", "divergences.linalg", "divergences.testing",
               "gan", "gan.penalties", "gan.stabilizers", "gan.train", "gan.diversity", "gan.audit"]
    modules += [m for m in ("divergences.pairwise", "gan.arena") if find_spec(m) is not None]
    names = set()
    for name in modules:
        module = importlib.import_module(name)
        names.update(f"{name}.{public}" for public in module.__all__)
    return names


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr}\n{proc.stdout}"
    return out


def test_the_site_builds_without_warnings(html):
    for page in ("index", "wasserstein", "entropic", "fdiv", "wdiv", "gan_qp", "relativistic", "dpp",
                 "determinants", "spectral_norm", "gan", "gan_papers", "testing", "gallery/index", "api/index"):
        assert (html / f"{page}.html").is_file(), page


def test_every_public_name_is_in_the_api_reference(html):
    documented = _inventory(html / "objects.inv")
    missing = sorted(_public_names() - documented)
    assert not missing, f"public names without an API entry: {missing}"


def _run(script: str, tmp_path: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(GALLERY / script), *args], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stderr}"
    return proc.stdout


def test_gallery_exact_vs_entropic(tmp_path):
    out = _run("exact_vs_entropic.py", tmp_path)
    exact = re.search(r"^exact\s+W_2\^2 = (\S+)\s+gap = (\S+)", out, re.M)
    assert exact, out
    assert abs(float(exact.group(2))) < 1e-9
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s+\d+\.\d+\s", line)]
    assert len(rows) == 3, out
    w22 = float(exact.group(1))
    for eps, value, entropic, lower, upper, *_ in rows:
        assert float(lower) <= w22 + 1e-9 and w22 <= float(upper) + 1e-9
        assert w22 <= float(value) + 1e-9 <= float(entropic) + 2e-9
    assert [float(r[1]) for r in rows] == sorted((float(r[1]) for r in rows), reverse=True)  # sharper as eps falls
    if find_spec("matplotlib") is not None:
        assert (tmp_path / "exact_vs_entropic.png").stat().st_size > 0


def test_gallery_critic_audit(tmp_path):
    out = _run("critic_audit.py", tmp_path)
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s*\d+\s", line)]
    assert [int(r[0]) for r in rows] == [0, 200, 400, 600], out
    for step, kr, lip, kr_over_l, w1, gap in rows:
        assert float(gap) >= -1e-9  # a certified lower bound for every critic
        assert float(gap) == pytest.approx(float(w1) - float(kr_over_l), abs=2e-4)
    assert float(rows[-1][5]) < 0.5 * float(rows[0][5])  # training closes most of the gap
    assert re.search(r"^gap \S+ -> \S+ \(\S+% of W_1\)$", out, re.M), out


@pytest.mark.skipif(find_spec("gan.arena") is None, reason="gan.arena not available")
def test_gallery_arena_leaderboard(tmp_path):
    out = _run("arena_leaderboard.py", tmp_path)
    # a peer's import may print its own notice first (KeOps does when installed)
    assert re.search(r"^# GAN arena leaderboard$", out, re.M), out
    assert re.search(r"^## ring8: ", out, re.M), out
    rows = [line.split("|")[1:-1] for line in out.splitlines() if re.match(r"^\| \d+ \|", line)]
    assert sorted(r[1].strip() for r in rows) == sorted(["ns-sgan", "rasgan", "gan-qp"]), out
    ranks = [int(r[0]) for r in rows]  # ties share a rank (Welch's t over the seeds)
    assert ranks[0] == 1 and ranks == sorted(ranks) and all(1 <= k <= 3 for k in ranks)
    assert (tmp_path / "arena" / "leaderboard.md").is_file()
