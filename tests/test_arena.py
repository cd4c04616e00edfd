"""gan.arena: the command line end to end (files, fields, reproducibility, bad input),
and the scorers' numbers against closed forms (W_2 of a translation and in 1-D, mode
coverage on hand-made samples, the quality share of the targets themselves)."""

import importlib.util
import json
import math
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gan  # noqa: E402
from gan import arena  # noqa: E402
from gan.arena import report, score, trainer  # noqa: E402
from gan.arena.__main__ import main  # noqa: E402
from gan.arena.records import Checkpoint, Record  # noqa: E402
from gan.arena.targets import TARGETS  # noqa: E402

SMALL = ["--losses", "ns-sgan,wgan-gp", "--targets", "ring8", "--steps", "30", "--samples", "200", "--workers", "1"]
FIELDS = {"loss", "target", "w2", "w2_floor", "modes", "n_modes", "quality", "audit_gap", "seconds", "diverged",
          "steps", "seed", "samples", "n_critic", "device", "curve"}


def _run(out, *extra):
    assert main([*SMALL, "--out", str(out), *extra]) == 0
    return json.loads((out / "results.json").read_text())


def _without_seconds(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("arena") / "out"
    return out, _run(out)


def test_cli_writes_every_file_and_field(first, capsys):
    out, records = first
    names = {"results.json", "results.csv", "leaderboard.md"}
    if importlib.util.find_spec("matplotlib") is not None:
        names |= {"samples_ring8.png", "w2_ring8.png"}
    assert names <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging or probe left
    assert [(r["loss"], r["target"]) for r in records] == [("ns-sgan", "ring8"), ("wgan-gp", "ring8")]
    for r in records:
        assert FIELDS <= set(r)
        assert [c["step"] for c in r["curve"]] == [8, 15, 23, 30]
        final = r["curve"][-1]
        assert (r["w2"], r["modes"], r["quality"], r["audit_gap"]) == (
            final["w2"], final["modes"], final["quality"], final["audit_gap"])
        assert r["w2"] > r["w2_floor"] > 0 and r["n_modes"] == 8 and 0 <= r["modes"] <= 8
        assert 0 <= r["quality"] <= 1 and r["audit_gap"] >= -1e-9 and r["seconds"] > 0
    assert [r["n_critic"] for r in records] == [1, 5]
    csv_lines = (out / "results.csv").read_text().splitlines()
    assert csv_lines[0].split(",") == list(report.CSV_COLUMNS) and len(csv_lines) == 3
    board = (out / "leaderboard.md").read_text()
    assert "## ring8" in board and "| 1 |" in board and "| 2 |" in board


def test_the_same_seed_gives_the_same_numbers(first, tmp_path):
    _, records = first
    assert _without_seconds(_run(tmp_path / "again")) == _without_seconds(records)
    other = _run(tmp_path / "other", "--seed", "1")
    assert [r["w2"] for r in other] != [r["w2"] for r in records]


def test_a_run_does_not_depend_on_the_other_runs(first):
    _, records = first
    alone = arena.run("wgan-gp", "ring8", 30, 0, samples=200, workers=1, progress=False)[0].as_dict()
    assert _without_seconds([alone]) == _without_seconds(records[1:])


@pytest.mark.parametrize("argv, flag", [
    (["--losses", "sgan,nope"], "--losses"),
    (["--losses", ""], "--losses"),
    (["--losses", "nope+gdpp"], "--losses"),
    (["--targets", "moons"], "--targets"),
    (["--steps", "0"], "--steps"),
    (["--steps", "-5"], "--steps"),
    (["--steps", "1.5"], "--steps"),
    (["--steps", "ten"], "--steps"),
    (["--samples", "3"], "--samples"),
    (["--seed", "-1"], "--seed"),
    (["--workers", "0"], "--workers"),
    (["--device", "tpu"], "--device"),
])
def test_bad_input_exits_2_naming_the_flag_and_writes_nothing(argv, flag, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*SMALL, "--out", str(tmp_path / "out"), *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {flag}:" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_an_unwritable_out_exits_2_and_writes_nothing(where, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    out = blocker if where == "file" else blocker / "sub" / "out"
    with pytest.raises(SystemExit) as exc:
        main([*SMALL, "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --out:" in err
    assert [p.name for p in tmp_path.iterdir()] == ["blocker"] and blocker.read_text() == "not a folder"


def test_run_rejects_bad_options_by_name():
    for kwargs, name in (({"losses": "x"}, "losses"), ({"steps": 0}, "steps"), ({"samples": 10**6}, "samples")):
        with pytest.raises(ValueError, match=f"^{name}: "):
            arena.run(**{"targets": "ring8", **kwargs}, progress=False)


def test_a_failed_write_leaves_nothing(first, tmp_path, monkeypatch):
    records = arena.run("ns-sgan", "ring8", 4, 0, samples=50, workers=1, progress=False)

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "_csv", broken)
    with pytest.raises(RuntimeError):
        report.write(records, tmp_path / "new" / "out")
    assert list(tmp_path.iterdir()) == []
    existing = tmp_path / "kept"
    existing.mkdir()
    (existing / "mine.txt").write_text("x")
    with pytest.raises(RuntimeError):
        report.write(records, existing)
    assert [p.name for p in existing.iterdir()] == ["mine.txt"]


def test_without_matplotlib_the_pngs_are_skipped_with_a_note(tmp_path, monkeypatch, capsys):
    records = arena.run("ns-sgan", "ring8", 4, 0, samples=50, workers=1, progress=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    written = report.write(records, tmp_path / "out")
    assert sorted(p.name for p in written) == ["leaderboard.md", "results.csv", "results.json"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["leaderboard.md", "results.csv", "results.json"]
    assert "skipping the PNG figures" in capsys.readouterr().err


# ------------------------------------------------------------------------ scorers


def test_w2_of_a_translation_is_the_shift():
    x = np.random.default_rng(0).normal(size=(300, 2))
    shift = np.array([0.3, -0.4])
    assert score.w2(x, x + shift) == pytest.approx(0.5, rel=1e-12)
    assert score.w2(x, x) == pytest.approx(0.0, abs=1e-12)


def test_w2_in_one_dimension_matches_the_sorted_coupling():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=200), rng.exponential(size=200)
    exact = math.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2))  # monotone coupling is optimal in 1-D
    pad = np.zeros(200)
    assert score.w2(np.c_[x, pad], np.c_[y, pad]) == pytest.approx(exact, rel=1e-10)


def test_coverage_on_hand_made_samples():
    ring = TARGETS["ring8"]
    assert score.coverage(np.repeat(ring.modes, 25, axis=0), ring) == score.Coverage(8, 1.0)
    assert score.coverage(np.full((200, 2), 10.0), ring) == score.Coverage(0, 0.0)
    # three modes only: 3 hit, everything high quality
    assert score.coverage(np.repeat(ring.modes[:3], 50, axis=0), ring) == score.Coverage(3, 1.0)
    # 2.9 std away counts, 3.1 std away does not
    near = ring.modes + [2.9 * ring.std, 0.0]
    far = ring.modes + [0.0, 3.1 * ring.std]
    assert score.coverage(np.vstack([near, far]), ring) == score.Coverage(8, 0.5)
    # a mode needs HIT_SHARE of its fair share n/K: 160 samples, 8 modes, need 2
    one_stray = np.vstack([np.repeat(ring.modes[:1], 159, axis=0), ring.modes[1:2]])
    assert score.coverage(one_stray, ring).modes == 1
    roll = TARGETS["swissroll"]
    assert score.coverage(roll.skeleton[::10], roll) == score.Coverage(None, 1.0)
    assert score.coverage(np.zeros((10, 2)), roll).quality == 0.0


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_real_samples_are_high_quality_at_the_gaussian_rate(name):
    target = TARGETS[name]
    n = 20000
    cover = score.coverage(target.sample(n, np.random.default_rng(2)), target)
    p = 1 - math.exp(-4.5)  # P(|e| <= 3 std) for a 2-D standard normal (Rayleigh)
    assert cover.modes == target.n_modes
    assert abs(cover.quality - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_swissroll_real_samples_are_high_quality_and_have_no_modes():
    roll = TARGETS["swissroll"]
    cover = score.coverage(roll.sample(5000, np.random.default_rng(3)), roll)
    assert cover.modes is None and cover.quality > 0.98


def test_audit_gap_is_zero_at_the_optimal_potential_and_positive_otherwise():
    real, fake = torch.zeros(50, 2, dtype=torch.float64), torch.zeros(50, 2, dtype=torch.float64)
    real[:, 0] = 2.0
    assert score.audit_gap(lambda x: x[:, 0], real, fake) == pytest.approx(0.0, abs=1e-12)
    assert score.audit_gap(lambda x: x[:, 1], real, fake) == pytest.approx(2.0)  # a blind critic: gap = W_1


# ----------------------------------------------------------------- runs, recipes


def test_every_registered_loss_has_a_recipe_and_builds():
    assert set(gan.LOSSES) <= set(arena.LOSSES)
    assert {n for n in arena.LOSSES if n.endswith("+gdpp")} == {"ns-sgan+gdpp", "wgan-gp+gdpp", "hinge+gdpp"}
    for name in arena.LOSSES:
        assert arena.recipe(name).n_critic in (1, 5)
        assert arena.recipes.build_loss(name).name == name


def test_gdpp_variant_adds_the_gdpp_term_to_the_generator_loss():
    torch.manual_seed(0)
    critic = arena.models.Critic()
    real, fake = torch.randn(16, 2), torch.randn(16, 2) + 1
    base, with_gdpp = gan.loss("hinge"), arena.recipes.build_loss("hinge+gdpp")
    with torch.no_grad():
        extra = gan.diversity.gdpp(critic.features(real), critic.features(fake))
        assert float(with_gdpp.generator(critic, real, fake)) == pytest.approx(
            float(base.generator(critic, real, fake) + extra), rel=1e-6)
        assert float(with_gdpp.critic(critic, real, fake)) == float(base.critic(critic, real, fake))
    assert float(extra) > 0


def test_a_diverging_run_is_marked_and_still_reports_all_steps(monkeypatch):
    class NaNGenerator(arena.models.Generator):
        def forward(self, z):
            return super().forward(z) * float("nan")

    monkeypatch.setattr(trainer, "Generator", NaNGenerator)
    counted = []
    record = trainer.train(trainer.Job("ns-sgan", "ring8", 60, 0, 50), counted.append)
    assert record.diverged and record.w2 is None and record.audit_gap is None and record.modes == 0
    assert sum(counted) == 60 and record.curve[-1].step < 60


def _record(loss, w2):
    return Record(loss, "ring8", 0, 10, 100, 1, "cpu", w2, 0.3, 8 if w2 else 0, 8, 0.5, 0.1 if w2 else None,
                  w2 is None, 1.0, (Checkpoint(10, w2, 8, 0.5, 0.1),))


def test_leaderboard_ranks_by_w2_with_diverged_runs_last():
    records = [_record("a", None), _record("b", 0.9), _record("c", 0.4)]
    assert [r.loss for r in report.ranked(records, "ring8")] == ["c", "b", "a"]
    board = report.leaderboard(records)
    assert board.index("| 1 | c |") < board.index("| 2 | b |") < board.index("| 3 | a | diverged |")
    assert json.loads(json.dumps([r.as_dict() for r in records]))[0]["w2"] is None
