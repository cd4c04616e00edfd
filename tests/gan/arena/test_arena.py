"""gan.arena: the command line end to end (files, fields, logs, checkpoints, reproducibility,
bad input), seeds to ranks (aggregation, the tie rule), the recipe table against the papers,
the digits scorer, and the scorers' numbers against closed forms."""

import importlib.util
import io
import json
import math
import sys

import numpy as np
import pytest
from scipy import stats as scipy_stats

torch = pytest.importorskip("torch")

import gan  # noqa: E402
from gan import arena  # noqa: E402
from gan.arena import recipes, report, score, stats, trainer  # noqa: E402
from gan.arena.__main__ import main  # noqa: E402
from gan.arena.records import Checkpoint, Record  # noqa: E402
from gan.arena.targets import TARGETS  # noqa: E402

SMALL = ["--losses", "ns-sgan,wgan-gp", "--targets", "ring8", "--steps", "20", "--samples", "100", "--workers", "1",
         "--seeds", "2"]
FIELDS = {"loss", "target", "seed", "w2", "w2_floor", "modes", "n_modes", "quality", "audit_gap", "seconds",
          "diverged", "steps", "samples", "n_critic", "device", "curve", "recipe", "classes", "class_kl"}


def _run(out, *extra):
    assert main([*SMALL, "--out", str(out), *extra]) == 0
    return json.loads((out / "results.json").read_text())


def _without_seconds(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("arena") / "out"
    return out, _run(out)


def test_cli_writes_every_file_and_field(first):
    out, records = first
    names = {"results.json", "results.csv", "leaderboard.md", "logs", "checkpoints"}
    if importlib.util.find_spec("matplotlib") is not None:
        names |= {"leaderboard.png", "samples_ring8.png", "w2_ring8.png"}
    assert names <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging or probe left
    assert [(r["loss"], r["target"], r["seed"]) for r in records] == [
        ("ns-sgan", "ring8", 0), ("ns-sgan", "ring8", 1), ("wgan-gp", "ring8", 0), ("wgan-gp", "ring8", 1)]
    for r in records:
        assert FIELDS <= set(r)
        assert [c["step"] for c in r["curve"]] == [5, 10, 15, 20]
        final = r["curve"][-1]
        assert (r["w2"], r["modes"], r["quality"], r["audit_gap"]) == (
            final["w2"], final["modes"], final["quality"], final["audit_gap"])
        assert r["w2"] > r["w2_floor"] > 0 and r["n_modes"] == 8 and 0 <= r["modes"] <= 8
        assert r["classes"] is None and r["class_kl"] is None and r["recipe"] == "common"
    csv_lines = (out / "results.csv").read_text().splitlines()
    assert csv_lines[0].split(",") == list(report.CSV_COLUMNS) and len(csv_lines) == 5
    board = (out / "leaderboard.md").read_text()
    assert "## ring8" in board and " ± " in board and "Welch" in board


def test_per_step_logs_hold_both_losses_and_w2_at_the_checkpoints(first):
    out, records = first
    lines = (out / "logs" / "ring8" / "wgan-gp" / "seed1.csv").read_text().splitlines()
    assert lines[0] == "step,critic_loss,generator_loss,w2" and len(lines) == 21
    rows = [line.split(",") for line in lines[1:]]
    assert [int(r[0]) for r in rows] == list(range(1, 21))
    assert all(math.isfinite(float(r[1])) and math.isfinite(float(r[2])) for r in rows)
    curve = records[3]["curve"]
    assert {int(r[0]): float(r[3]) for r in rows if r[3]} == {c["step"]: c["w2"] for c in curve}


def test_a_log_row_is_the_step_the_trainer_took():
    record = trainer.train(trainer.Job("wgan", "ring8", 3, 0, 50))
    text = report.log_csv(record)
    assert [float(x) for x in text.splitlines()[2].split(",")[1:3]] == record.log[1].tolist()


def test_checkpoints_load_back_with_weights_only_and_give_the_same_samples(first):
    out, _ = first
    records = arena.run("ns-sgan", "ring8", 20, 0, samples=100, seeds=1, workers=1, progress=False)
    state = torch.load(out / "checkpoints" / "ring8" / "ns-sgan" / "seed0.pt", weights_only=True)
    arch = trainer.ARCH["ring8"]
    G = arena.models.Generator(arch.z_dim, arch.hidden, arch.depth)
    G.load_state_dict(state)
    z = torch.randn(100, arch.z_dim, generator=torch.Generator().manual_seed(
        int(trainer.seed_sequence(0, "run", "ns-sgan", "ring8").generate_state(3)[1])))
    with torch.no_grad():
        assert np.array_equal(G(z).to(torch.float64).numpy(), records[0].samples_xy)


def test_the_same_seeds_give_the_same_numbers(first):
    _, records = first

    def again(seed):
        return [r.as_dict() for r in arena.run("ns-sgan,wgan-gp", "ring8", 20, seed, samples=100, seeds=2, workers=1,
                                                progress=False)]

    assert _without_seconds(again(0)) == _without_seconds(records)
    other = again(1)  # seeds 1 and 2
    assert [r["w2"] for r in other if r["seed"] == 1] == [r["w2"] for r in records if r["seed"] == 1]
    assert [r["w2"] for r in other if r["seed"] == 2] != [r["w2"] for r in records if r["seed"] == 0]


def test_a_run_does_not_depend_on_the_other_runs(first):
    _, records = first
    alone = arena.run("wgan-gp", "ring8", 20, 1, samples=100, seeds=1, workers=1, progress=False)[0].as_dict()
    del alone["w2_floor"]  # the floor is computed from the first seed of a run
    assert _without_seconds([alone]) == [{k: v for k, v in r.items() if k != "w2_floor"}
                                         for r in _without_seconds(records[3:])]


def test_progress_outside_a_terminal_is_plain_lines_naming_the_run(capsys):
    arena.run("ns-sgan", "ring8", 20, 0, samples=50, seeds=2, workers=1)  # the two seeds: one ensemble
    arena.run("ns-sgan+sn", "ring8", 20, 0, samples=50, seeds=2, workers=1)  # +sn: one run per seed
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    assert any(line.startswith("arena: ns-sgan on ring8, seeds 0-1: 100% 40/40 generator steps") for line in lines)
    assert lines[-1].startswith("arena: ns-sgan+sn on ring8, seed 1: 100% 40/40 generator steps")
    assert any(line.startswith("arena: ns-sgan+sn on ring8, seed 0:") for line in lines)


@pytest.mark.parametrize("argv, flag", [
    (["--losses", "sgan,nope"], "--losses"),
    (["--losses", ""], "--losses"),
    (["--losses", "nope+gdpp"], "--losses"),
    (["--losses", "ns-sgan+gdpp+single"], "--losses"),
    (["--targets", "moons"], "--targets"),
    (["--steps", "0"], "--steps"),
    (["--steps", "1.5"], "--steps"),
    (["--samples", "3"], "--samples"),
    (["--seed", "-1"], "--seed"),
    (["--seeds", "0"], "--seeds"),
    (["--recipe", "mine"], "--recipe"),
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
    for kwargs, name in (({"losses": "x"}, "losses"), ({"steps": 0}, "steps"), ({"samples": 10**6}, "samples"),
                         ({"seeds": 0}, "seeds"), ({"recipe": "x"}, "recipe")):
        with pytest.raises(ValueError, match=f"^{name}: "):
            arena.run(**{"targets": "ring8", **kwargs}, progress=False)


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    records = arena.run("ns-sgan", "ring8", 4, 0, samples=50, seeds=1, workers=1, progress=False)

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
    records = arena.run("ns-sgan", "ring8", 4, 0, samples=50, seeds=1, workers=1, progress=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    report.write(records, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "checkpoints", "leaderboard.md", "logs", "results.csv", "results.json"]
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


# ------------------------------------------------------------------ seeds to ranks


def _record(loss, w2, seed=0, target="ring8", modes=8, classes=None, class_kl=None):
    return Record(loss, target, seed, 10, 100, 1, "cpu", w2, 0.3, modes if w2 else 0, 8, 0.5,
                  0.1 if w2 else None, w2 is None, 1.0, (Checkpoint(10, w2, 8, 0.5, 0.1),),
                  classes=classes, class_kl=class_kl)


def test_aggregation_is_mean_and_sample_sd_over_seeds():
    records = [_record("a", w, s, modes=m) for s, (w, m) in enumerate([(0.5, 8), (0.7, 6), (0.9, 7)])]
    records += [_record("b", 1.0, 0), _record("b", None, 1), _record("b", 3.0, 2)]
    a, b = stats.aggregate(records)
    assert a.w2 == pytest.approx((0.7, 0.2)) and a.modes == pytest.approx((7.0, 1.0)) and a.diverged == 0
    assert a.seeds == (0, 1, 2) and a.rank == 1
    assert b.w2 == pytest.approx((2.0, math.sqrt(2.0))) and b.diverged == 1 and b.rank == 2  # a diverged seed loses
    assert stats.mean_sd([4.0]) == (4.0, None) and stats.mean_sd([None]) == (None, None)


def test_the_tie_rule_is_welchs_t_at_005_and_works_at_three_seeds():
    good, bad = [0.30, 0.32, 0.31], [0.50, 0.55, 0.52]
    p = scipy_stats.ttest_ind(good, bad, equal_var=False).pvalue
    assert p < 0.05 and stats.beats(good, bad) and not stats.beats(bad, good)
    # Welch's statistic by hand: t = (m1 - m2) / sqrt(s1^2/n1 + s2^2/n2)
    t = (np.mean(good) - np.mean(bad)) / math.sqrt(np.var(good, ddof=1) / 3 + np.var(bad, ddof=1) / 3)
    assert scipy_stats.ttest_ind(good, bad, equal_var=False).statistic == pytest.approx(t)
    overlapping = [0.35, 0.60, 0.45]
    assert not stats.beats(good, overlapping) and not stats.beats(overlapping, good)
    assert stats.ranks([good, bad, overlapping]) == [1, 2, 1]
    assert stats.ranks([[0.2, 0.2, 0.2], [0.3, 0.3, 0.3]]) == [1, 2]  # zero spread: deterministic runs
    assert stats.ranks([[0.2, 0.2, 0.2], [0.2, 0.2, 0.2]]) == [1, 1]
    assert stats.ranks([[0.9, 1.0, 1.1], [0.1, None, 0.1]]) == [1, 2]  # fewer diverged seeds beat
    assert stats.ranks([[0.1], [0.9]]) == [1, 1]  # one seed cannot separate


def test_leaderboard_reports_mean_sd_and_shared_ranks():
    records = [_record("a", w, s) for s, w in enumerate([0.30, 0.32, 0.31])]
    records += [_record("b", w, s) for s, w in enumerate([0.35, 0.60, 0.45])]
    records += [_record("c", w, s) for s, w in enumerate([0.90, 0.95, 0.92])]
    board = report.leaderboard(records)
    assert "| 1 | a | 0.310 ± 0.010 |" in board and "| 1 | b | 0.467 ± 0.126 |" in board
    assert "| 3 | c | 0.923 ± 0.025 |" in board
    assert json.loads(json.dumps([r.as_dict() for r in records]))[0]["w2"] == 0.30


# ----------------------------------------------------------------- recipes, entries


def test_recipe_table_matches_the_papers():
    wgan, gp, div, qp = (recipes.PAPER[n] for n in ("wgan", "wgan-gp", "wgan-div", "gan-qp"))
    assert (wgan.optimizer, wgan.lr_critic, wgan.lr_generator, wgan.n_critic, wgan.clip) == ("rmsprop", 5e-5, 5e-5, 5, 0.01)
    assert (gp.optimizer, gp.lr_critic, gp.betas, gp.n_critic, gp.hparams["lam"]) == ("adam", 1e-4, (0.0, 0.9), 5, 10.0)
    assert (div.hparams["k"], div.hparams["p"], div.n_critic) == (2.0, 6.0, 5)
    assert (qp.hparams["lam"], qp.optimizer, qp.lr_critic, qp.betas[0], qp.n_critic) == (10.0, "adam", 2e-4, 0.5, 2)
    assert set(recipes.PAPER) == set(gan.LOSSES) and all(r.citation for r in recipes.PAPER.values())
    # the common recipe: one optimiser for all, the loss's own constants kept
    common = [recipes.recipe(n) for n in ("ns-sgan", "hinge", "rasgan")]
    assert common[0] == common[1] == common[2] == recipes.COMMON and recipes.recipe("wgan").clip == 0.01 and recipes.recipe("wgan-gp").n_critic == 1
    assert recipes.recipe("wgan-gp", "paper") == gp


def test_every_entry_builds_and_trains_a_step():
    for name in arena.LOSSES:
        assert recipes.build_loss(name).hparams is not None
    for name in ("ns-sgan+r1+sn", "ns-sgan+single", "ogan:gan-qp", "hinge+gdpp", "wgan"):
        r = trainer.train(trainer.Job(name, "ring8", 2, 0, 30))
        assert not r.diverged and len(r.log) == 2
        assert (r.encoder_corr is not None) == name.startswith("ogan:")


def test_r1_r2_and_gdpp_entries_add_their_terms():
    torch.manual_seed(0)
    critic = arena.models.Critic()
    real, fake = torch.randn(16, 2), torch.randn(16, 2) + 1
    base = gan.loss("hinge")
    both = recipes.build_loss("hinge+r1+r2")
    r1 = gan.penalties.r1(critic, real, gamma=recipes.R_GAMMA)
    r2 = gan.penalties.r2(critic, fake, gamma=recipes.R_GAMMA)
    expected = base.critic(critic, real, fake) + r1 + r2
    assert float(both.critic(critic, real, fake).detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    with torch.no_grad():
        extra = gan.diversity.gdpp(critic.features(real), critic.features(fake))
        assert float(recipes.build_loss("hinge+gdpp").generator(critic, real, fake)) == pytest.approx(
            float(base.generator(critic, real, fake) + extra), rel=1e-6)


def test_sn_entry_normalises_the_critic():
    G, D = trainer.networks(trainer.Job("hinge+sn", "ring8", 1, 0, 10), TARGETS["ring8"])
    assert torch.nn.utils.parametrize.is_parametrized(D.head, "weight")


def test_a_diverging_run_is_marked_and_still_reports_all_steps(monkeypatch):
    class NaNGenerator(arena.models.Generator):
        def forward(self, z):
            return super().forward(z) * float("nan")

    monkeypatch.setattr(trainer, "Generator", NaNGenerator)
    counted = []
    record = trainer.train(trainer.Job("ns-sgan", "ring8", 120, 0, 50), counted.append)
    assert record.diverged and record.w2 is None and record.audit_gap is None and record.modes == 0
    assert sum(counted) == 120 and record.curve[-1].step < 120


# -------------------------------------------------------------------------- digits


@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn")
    return TARGETS["digits"]


def test_digits_split_and_floor(digits):
    assert digits.train.shape == (1198, 64) and digits.held_out.shape == (599, 64)
    assert 0.0 <= digits.train.min() and digits.train.max() <= 1.0
    assert np.bincount(digits.held_out_labels).min() >= 50  # stratified: every class held out
    floor = score.w2(trainer.real_set(digits, 0, 0, "floor"), digits.held_out)
    other = score.w2(trainer.real_set(digits, 0, 1, "floor"), digits.held_out)  # another real subset
    assert abs(other - floor) < 0.05 * floor
    noise = np.random.default_rng(0).random((599, 64))
    assert score.w2(noise, digits.held_out) > 1.5 * floor


def test_digits_classes_of_real_and_collapsed_generators(digits):
    from gan.arena.digits import class_coverage

    real = class_coverage(digits.train[:599])
    assert real.classes == 10 and real.class_kl < 0.05
    three = digits.train[digits.train_labels == 3][:1]
    collapsed = class_coverage(np.repeat(three, 599, axis=0))
    p3 = np.mean(digits.held_out_labels == 3)
    assert collapsed.classes == 1 and collapsed.class_kl == pytest.approx(-math.log(p3), rel=0.1)


def test_a_digits_run_records_classes(digits):
    r = trainer.train(trainer.Job("ns-sgan", "digits", 2, 0, 100))
    assert r.samples == 599 and r.samples_xy.shape == (599, 64) and 1 <= r.classes <= 10
    assert r.class_kl >= 0 and r.modes == r.classes and r.n_modes == 10




def test_vbn_entry_normalises_each_sample_with_the_reference_batch():
    from gan.arena.models import Generator
    from gan.arena.recipes import parse

    assert parse("ns-sgan+vbn").vbn and not parse("ns-sgan").vbn
    torch.manual_seed(0)
    G = Generator(vbn_reference=16)
    z = torch.randn(5, G.z_dim)
    alone = torch.cat([G(z[i:i + 1]) for i in range(5)])
    assert torch.allclose(G(z), alone, atol=1e-6)  # a sample's output ignores the rest of its batch
    # direct computation of the first layer: Linear, then the reference's statistics plus the sample's
    h_ref, h = G.net[0][0](G.z_ref), G.net[0][0](z[:1])
    mu = (16 * h_ref.mean(0) + h[0]) / 17
    var = (16 * (h_ref ** 2).mean(0) + h[0] ** 2) / 17 - mu ** 2
    first = G.net[0][1](torch.cat([h_ref, h]))[16]
    assert torch.allclose(first, (h[0] - mu) / torch.sqrt(var + 1e-5), atol=1e-5)
    assert "z_ref" in G.state_dict()  # the reference batch travels with checkpoints


def test_pac_entries_parse_and_feed_the_critic_packs_of_m_points():
    e = recipes.parse("ns-sgan+sn+pac3")
    assert (e.base, e.sn, e.pac, recipes.parse("hinge").pac) == ("ns-sgan", True, 3, 1)
    for bad in ("hinge+pac1", f"hinge+pac{recipes.MAX_PAC + 1}", "ogan:hinge+pac2", "hinge+pac2+pac2", "hinge+pacx"):
        with pytest.raises(ValueError):
            recipes.parse(bad)
    run = trainer.setup(trainer.Job("hinge+pac2", "ring8", 1, 0, 30), torch.device("cpu"))
    seen = []
    run.D.register_forward_pre_hook(lambda module, args: seen.append(tuple(args[0].shape)))
    run.step()
    assert seen and set(seen) == {(recipes.batch_size("hinge+pac2") // 2, 4)}  # (N/m, m d)
    x = torch.randn(6, 2)
    with torch.no_grad():  # a pack is consecutive points side by side: (x0, x1), (x2, x3), ...
        assert torch.equal(run.D(arena.models.pack(x, 2)), run.D(torch.cat([x[0::2], x[1::2]], dim=1)))


def test_a_pac_run_scores_its_points_unpacked_and_audits_packs():
    r = trainer.train(trainer.Job("hinge+pac2", "ring8", 2, 0, 31))  # an odd count: the audit drops one point
    assert r.samples_xy.shape == (31, 2) and r.audit_gap is not None and r.audit_gap >= 0 and not r.diverged


def test_default_steps_per_target():
    from gan import arena

    assert arena.target_steps("ring8") == arena.DEFAULT_STEPS == 3000
    assert arena.target_steps("grid25") == 6000 and arena.target_steps("grid25", 700) == 700
    assert "hinge+pac2" in arena.DEFAULT_LOSSES and set(arena.DEFAULT_LOSSES) <= set(arena.LOSSES)


def test_leaderboard_states_the_steps_of_each_target():
    from types import SimpleNamespace

    from gan.arena.report import _steps

    runs = [SimpleNamespace(target=t, steps=s) for t, s in (("ring8", 3000), ("grid25", 6000), ("ring8", 3000))]
    assert _steps(runs) == "ring8 3000, grid25 6000" and _steps(runs[:1]) == "3000"
