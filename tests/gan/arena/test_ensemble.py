"""gan.arena.ensemble: the seeds of one job trained as one batched computation give each
seed the numbers of its own ``trainer.train`` run (losses, both networks, records), a
diverged seed leaves the others alone, the same seeds give the same numbers, checkpoints
load back; and the pool's grouping of jobs into ensembles."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gan.arena import ensemble, pool, trainer  # noqa: E402
from gan.arena.models import Generator  # noqa: E402
from gan.arena.trainer import ARCH, Job  # noqa: E402

RTOL = 1e-4  # float32 round-off over a few steps (on this machine's BLAS the numbers agree bitwise)


def _jobs(loss, steps, seeds=(0, 1, 2), recipe="common", target="ring8", samples=30):
    return [Job(loss, target, steps, s, samples, recipe=recipe) for s in seeds]


def _close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=1e-6)


@pytest.mark.parametrize("loss, recipe, steps, target", [
    ("ns-sgan", "common", 10, "ring8"),
    ("wgan-gp", "common", 10, "ring8"),  # the gradient penalty, batched, with each seed's interpolation weights
    ("wgan", "paper", 3, "ring8"),  # RMSProp, weight clipping, 5 critic updates per step
    ("rasgan", "common", 8, "ring8"),  # batch means inside the loss
    ("ns-sgan+r1+r2", "common", 6, "ring8"),
    ("wgan-gp", "common", 5, "digits"),  # 64-D points, a sigmoid output
    ("hinge+pac2", "common", 6, "ring8"),  # a packed critic
    ("gan-qp+pac3", "common", 4, "grid25"),  # packs of 3 in the critic loss's distances and the penalty's points
])
def test_each_seed_trains_as_its_own_run(loss, recipe, steps, target):
    jobs = _jobs(loss, steps, recipe=recipe, target=target)
    with trainer.one_thread():
        alone = []
        for job in jobs:  # each setup seeds torch: the run draws its own stream
            run = trainer.setup(job, torch.device("cpu"))
            alone.append((run, torch.stack([torch.stack([o.critic, o.generator]) for o in
                                            (run.step() for _ in range(steps))])))
        together = ensemble.Ensemble(jobs)
        losses = torch.stack([together.step() for _ in range(steps)])  # (steps, S, 2)
    for s, (run, own) in enumerate(alone):
        _close(losses[:, s], own)
        for net, stacked in ((run.G, together.G), (run.D, together.D)):
            for layer, w, b in zip(ensemble._linears(net), stacked.weights, stacked.biases):
                _close(w[s].detach(), layer.weight.detach())
                _close(b[s].detach(), layer.bias.detach())


def test_records_equal_those_of_separate_runs():
    jobs = _jobs("wgan-gp", 8)
    counted = []
    together = ensemble.train_seeds(jobs, counted.append)
    assert sum(counted) == 3 * 8
    for record, job in zip(together, jobs):
        own = trainer.train(job)
        assert (record.loss, record.target, record.seed, record.steps, record.samples) == (
            own.loss, own.target, own.seed, own.steps, own.samples)
        assert [c.step for c in record.curve] == [c.step for c in own.curve] == [2, 4, 6, 8]
        assert record.w2 == pytest.approx(own.w2, rel=RTOL) and record.modes == own.modes
        np.testing.assert_allclose(record.log, own.log, rtol=RTOL, atol=1e-6)
        np.testing.assert_allclose(record.samples_xy, own.samples_xy, rtol=RTOL, atol=1e-6)
        assert record.generator_state.keys() == own.generator_state.keys()
        assert record.seconds > 0 and not record.diverged


def _nan_generator_for(seed, monkeypatch):
    """Seed ``seed``'s generator outputs NaN from the start (for ``trainer.train`` and the ensemble)."""
    build = trainer.networks

    def networks(job, target):
        G, D = build(job, target)
        if job.seed == seed:
            with torch.no_grad():
                G.net[1].bias.fill_(float("nan"))
        return G, D

    monkeypatch.setattr(trainer, "networks", networks)


def test_a_diverged_seed_leaves_the_others_unchanged(monkeypatch):
    healthy = ensemble.train_seeds(_jobs("ns-sgan", 8, seeds=(0, 2)))
    _nan_generator_for(1, monkeypatch)
    counted = []
    first, bad, last = ensemble.train_seeds(_jobs("ns-sgan", 8), counted.append)
    assert sum(counted) == 3 * 8  # the diverged seed's remaining steps count as done
    assert bad.diverged and bad.w2 is None and bad.samples_xy is None
    own = trainer.train(_jobs("ns-sgan", 8, seeds=(1,))[0])  # where trainer.train stops it, too
    assert [c.step for c in bad.curve] == [c.step for c in own.curve] == [2] and len(bad.log) == len(own.log) == 2
    for record, reference in zip((first, last), healthy):
        assert not record.diverged and record.w2 == reference.w2  # the same numbers, to the last bit
        assert np.array_equal(record.log, reference.log)


def test_an_error_from_a_diverged_seed_trains_every_seed_alone(monkeypatch):
    def broken(ensemble_, jobs, report):
        report(3)
        with torch.no_grad():
            ensemble_.G.weights[0][1].fill_(float("nan"))
        raise RuntimeError("an operation that fails on NaN")

    monkeypatch.setattr(ensemble, "_loop", broken)
    counted = []
    records = ensemble.train_seeds(_jobs("hinge", 4), counted.append)
    assert sum(counted) == 3 * 4  # what the ensemble reported is not counted twice
    for record, job in zip(records, _jobs("hinge", 4)):
        assert np.array_equal(record.log, trainer.train(job).log)


def test_a_real_error_is_raised(monkeypatch):
    def broken(ensemble_, jobs, report):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ensemble, "_loop", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        ensemble.train_seeds(_jobs("hinge", 4))


def test_the_same_seeds_give_the_same_numbers():
    def numbers():
        records = ensemble.train_seeds(_jobs("wgan-gp", 6, seeds=(4, 5)))
        return [({k: v for k, v in r.as_dict().items() if k != "seconds"}, r.log, r.generator_state) for r in records]

    for (a, log_a, state_a), (b, log_b, state_b) in zip(numbers(), numbers()):
        assert a == b and np.array_equal(log_a, log_b)
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def test_checkpoints_load_back_with_weights_only(tmp_path):
    jobs = _jobs("ns-sgan", 4, seeds=(0, 1))
    record = ensemble.train_seeds(jobs)[1]
    torch.save(record.generator_state, tmp_path / "seed1.pt")
    arch = ARCH["ring8"]
    G = Generator(arch.z_dim, arch.hidden, arch.depth)
    G.load_state_dict(torch.load(tmp_path / "seed1.pt", weights_only=True))
    eval_seed = trainer.run_seeds(jobs[1])[1]
    _, z_eval = trainer.eval_sets(jobs[1], trainer.TARGETS["ring8"], arch.z_dim, eval_seed, torch.device("cpu"))
    with torch.no_grad():
        assert np.array_equal(G(z_eval).to(torch.float64).numpy(), record.samples_xy)


@pytest.mark.parametrize("loss, batched", [
    ("ns-sgan", True), ("wgan-gp+r1", True), ("f-gan:kl", True), ("hinge+pac2", True), ("hinge+sn", False),
    ("hinge+pac2+sn", False), ("ns-sgan+vbn", False),
    ("wgan-gp+gdpp", False), ("ns-sgan+single", False), ("ogan:ns-sgan", False),
])
def test_which_entries_train_as_an_ensemble(loss, batched):
    assert ensemble.supports(Job(loss, "ring8", 1, 0, 10)) is batched
    assert not ensemble.supports(Job(loss, "ring8", 1, 0, 10, device="cuda"))


def test_jobs_that_are_not_one_ensemble_are_refused():
    with pytest.raises(ValueError, match="seed only"):
        ensemble.train_seeds([Job("hinge", "ring8", 2, 0, 10), Job("hinge", "grid25", 2, 1, 10)])
    with pytest.raises(ValueError, match="seed only"):
        ensemble.train_seeds(_jobs("hinge", 2, seeds=(0, 0)))
    with pytest.raises(ValueError, match="trainer.train"):
        ensemble.train_seeds(_jobs("hinge+sn", 2))


def test_the_pool_groups_the_seeds_of_an_entry_into_one_task():
    jobs = [*_jobs("hinge", 5), *_jobs("hinge+sn", 5, seeds=(0, 1)), *_jobs("hinge", 5, seeds=(0,), target="grid25"),
            _jobs("hinge", 5, seeds=(1,))[0]]  # the same run twice: the second alone
    assert pool._tasks(jobs) == [[0, 1, 2], [3], [4], [5], [6]]
    assert [pool._label([jobs[i] for i in t]) for t in pool._tasks(jobs)][:3] == [
        "arena: hinge on ring8, seeds 0-2", "arena: hinge+sn on ring8, seed 0", "arena: hinge+sn on ring8, seed 1"]


def test_ensembles_are_split_to_keep_every_worker_busy():
    assert pool._spread([[0, 1, 2]], 2) == [[0, 1], [2]]
    assert pool._spread([[0, 1], [2]], 4) == [[0], [1], [2]]  # a single run does not split
    assert pool._spread([[0, 1, 2], [3, 4, 5]], 2) == [[0, 1, 2], [3, 4, 5]]
