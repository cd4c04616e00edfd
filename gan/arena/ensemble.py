r"""Train the seeds of one arena job as one batched computation: an ensemble.

The S seeds of a (loss, target, recipe) job train together: their generators (and
critics) are S copies of one MLP with the weights stacked along a leading seed axis,
each layer one ``torch.baddbmm`` over all seeds, and one optimiser steps the stacked
parameters. Each seed stays the run :func:`gan.arena.trainer.train` makes of it:

- *its randomness*: its networks are built by ``trainer.networks`` after seeding torch
  with the seed's own torch seed; its latents and its penalties' interpolation weights
  come from its own torch generator, which continues that stream; its real batches from
  its own NumPy generator; its evaluation sets are its own;
- *its gradients*: the ensemble minimises the sum of the seeds' losses, and a seed's loss
  depends on its own parameters only, so each seed's gradient is exactly its own;
- *its optimiser state*: Adam and RMSProp act elementwise (WGAN's clipping too), so one
  optimiser over the stacked parameters is each seed's own;
- *its batches*: packed for a ``+pac<m>`` entry as ``trainer.train`` packs them
  (``gan.arena.models.pack``: each critic input is m consecutive points of the seed's batch);
- *its losses*: the entry's ``gan.Loss`` (without its gradient penalties) is called per
  seed on the seed's rows of the batches, with a stand-in critic that answers with the
  seed's row of scores computed once for all seeds; the gradient penalties (WGAN-GP's,
  WGAN-LP's, WGAN-div's, R1, R2) are computed for all seeds at once, each point's
  gradient norm over the point's own axis, and reduced per seed by ``gan.penalties``'
  formulas, the interpolation weights drawn from each seed's stream.

Every batched product gives each seed bitwise the numbers of its own product (checked on
this machine's BLAS, one thread), except a single output column, where ``nn.Linear``
takes the matrix-vector path: the critic's head runs per seed. So the records equal
``trainer.train``'s to the last bit here; the tests ask for float32 round-off.

Why the layers are batched by hand and not with ``torch.func`` (``stack_module_state``,
``functional_call``, ``vmap``): the gradient penalties take ``torch.autograd.grad`` of the
critic after ``requires_grad_`` on their points, which ``vmap`` rejects, and draw their
weights from torch's global generator, which ``vmap`` refuses (or draws once for all
seeds, not from each seed's stream); ``torch.func.grad`` would need the penalties
rewritten. Plain autograd through ``torch.baddbmm`` runs the library's losses as they are.

Measured (``python -m benchmarks --only arena_ensemble``, one thread): 1.2-1.5x fewer
seconds per generator step than the seeds' separate runs. These nets are bound by the
products' arithmetic, which batching does not reduce; it removes the per-operation
overhead that the separate runs pay S times.

A seed whose losses become NaN or inf (checked every ``trainer.CHECK_EVERY`` steps), or
whose samples do at a checkpoint, is scored and recorded as diverged where
``trainer.train`` stops it, and leaves the ensemble: its rows are dropped from the
parameters and the optimiser state. Until then its NaNs stay in its own rows (no
operation mixes seeds), so the other seeds' numbers do not depend on it. Should an
operation raise because of a diverged seed, every seed is trained again alone.

Not batched (:func:`supports` is False; the pool trains their seeds one by one with
``trainer.train``): ``+sn`` (spectral normalisation keeps its power iteration in the
module), ``+vbn`` (a reference batch through every layer), ``+gdpp`` (the critic's
features), ``+single`` (the single-loss step), ``ogan:`` (a code-valued critic and a loss
that takes the latent batch), and jobs off the CPU (CUDA streams are not checked here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

import gan
from gan.penalties import norms_from_squares

from . import trainer
from .models import pack
from .recipes import R_GAMMA, batch_size, parse, recipe
from .records import Checkpoint, Record
from .score import evaluate
from .targets import TARGETS
from .trainer import CHECK_EVERY, Job, checkpoints

__all__ = ["Ensemble", "StackedMLP", "supports", "train_seeds"]


def supports(job: Job) -> bool:
    """Whether the seeds of ``job``'s entry can train as one ensemble (see the module's list)."""
    e = parse(job.loss)
    hp = gan.loss(e.base, **recipe(job.loss, job.recipe).hparams).hparams
    points_named = isinstance(hp.get("sample", "real"), str)  # wgan-div's penalty points given by a callable: not batched
    return job.device == "cpu" and points_named and not (e.sn or e.vbn or e.gdpp or e.single or e.ogan)


# --------------------------------------------------------------------- the networks


def _linears(module: torch.nn.Module) -> list[torch.nn.Linear]:
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


def _layer(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(S, N, in) -> (S, N, out), seed s through ``F.linear(x[s], w[s], b[s])``.

    One batched product, whose rows are bitwise those of ``nn.Linear``'s product, except
    for one output (the critic's head): there ``nn.Linear`` takes BLAS's matrix-vector
    path, which sums in another order, so the head runs per seed, as ``nn.Linear`` does
    (S small products), keeping every seed's numbers those of its own run."""
    if w.shape[1] == 1:  # unbind, not x[s]: its backward stacks the rows instead of filling S zero tensors
        return torch.stack([F.linear(*row) for row in zip(x.unbind(0), w.unbind(0), b.unbind(0))])
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


class StackedMLP:
    """S copies of one ReLU MLP (``Generator`` or ``Critic``), weights stacked on a seed axis.

    ``weights[i]`` is (S, out, in) and ``biases[i]`` (S, out), as ``torch.nn.Linear``
    stores them, so that seed s's layer is exactly ``F.linear(x, weights[i][s], biases[i][s])``.
    """

    def __init__(self, modules: Sequence[torch.nn.Module], sigmoid: bool = False) -> None:
        layers = [_linears(m) for m in modules]
        self.weights = [torch.nn.Parameter(torch.stack([ls[i].weight.detach() for ls in layers]))
                        for i in range(len(layers[0]))]
        self.biases = [torch.nn.Parameter(torch.stack([ls[i].bias.detach() for ls in layers]))
                       for i in range(len(layers[0]))]
        self.sigmoid = sigmoid

    def parameters(self) -> list[torch.nn.Parameter]:
        return [*self.weights, *self.biases]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """(S, N, in) -> (S, N, out): every seed's network on its own rows."""
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = _layer(x, w, b)
            x = torch.relu(x) if i < last else x
        return torch.sigmoid(x) if self.sigmoid else x

    def seed(self, s: int, x: torch.Tensor) -> torch.Tensor:
        """(N, in) -> (N, out): seed s's network alone, as the plain module computes it."""
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = F.linear(x, w[s], b[s])
            x = torch.relu(x) if i < last else x
        return torch.sigmoid(x) if self.sigmoid else x

    @torch.no_grad()
    def load_into(self, s: int, module: torch.nn.Module) -> None:
        """Copy seed s's weights into the plain ``module`` (to score it or save its state)."""
        for layer, w, b in zip(_linears(module), self.weights, self.biases):
            layer.weight.copy_(w[s])
            layer.bias.copy_(b[s])

    def keep(self, rows: torch.Tensor) -> dict[torch.nn.Parameter, torch.nn.Parameter]:
        """Keep only the seeds ``rows``; returns old parameter -> new one (for the optimiser)."""
        old = self.parameters()
        self.weights = [torch.nn.Parameter(w.detach()[rows]) for w in self.weights]
        self.biases = [torch.nn.Parameter(b.detach()[rows]) for b in self.biases]
        return dict(zip(old, self.parameters()))


def _critic_scores(D: StackedMLP, x: torch.Tensor) -> torch.Tensor:
    return D(x).squeeze(-1)  # (S, N, 1) -> (S, N), as Critic.forward squeezes (N, 1)


class _SharedScores:
    """Per-seed stand-ins for the critic, for the library's losses.

    Seed s's stand-in, called with seed s's row of one of ``batches`` (or a detached view
    of it: ``gan.Loss.critic`` detaches the fakes), answers with row s of the critic's
    scores of the whole batch, computed once for all seeds on first use; called with any
    other points (a penalty's), it runs seed s's own network on them.
    """

    def __init__(self, D: StackedMLP, batches: Sequence[torch.Tensor]) -> None:
        self.D, self.batches = D, batches
        self.scores: dict[int, tuple[torch.Tensor, ...]] = {}

    def _known(self, s: int, x: torch.Tensor) -> int | None:
        for k, b in enumerate(self.batches):
            row = b[s]
            if x.data_ptr() == row.data_ptr() and x.shape == row.shape and x.requires_grad == row.requires_grad:
                return k
        return None

    def critic(self, s: int) -> Callable[[torch.Tensor], torch.Tensor]:
        def stand_in(x: torch.Tensor) -> torch.Tensor:
            k = self._known(s, x)
            if k is None:
                return self.D.seed(s, x).squeeze(-1)
            if k not in self.scores:
                self.scores[k] = _critic_scores(self.D, self.batches[k]).unbind(0)
            return self.scores[k][s]
        return stand_in


# ----------------------------------------------------------------------- penalties
# The gradient penalties run batched: a library penalty called per seed would run its
# forward and double backward once per seed, as costly per seed as a separate run. Each
# is gan.penalties' formula on a seed's rows; the squared norms are per point, over the
# point's own (last) axis, never over a seed's points.


@dataclass(frozen=True)
class _Penalty:
    """A critic penalty: where it takes the critic's gradient (``"interpolates"``,
    ``"real"``, ``"fake"`` or ``"real+fake"``), and a seed's penalty from its (M,) squared
    gradient norms there."""

    points: str
    of_norms: Callable[[torch.Tensor], torch.Tensor]


def _own_penalty(base: str, hp) -> _Penalty | None:
    """The penalty a base loss adds to its critic loss (``gan._families``), if any."""
    if base == "wgan-gp":
        return _Penalty("interpolates", lambda sq: hp["lam"] * ((norms_from_squares(sq) - hp["target"]) ** 2).mean())
    if base == "wgan-lp":
        return _Penalty("interpolates", lambda sq: hp["lam"] * (torch.relu(norms_from_squares(sq) - hp["target"]) ** 2).mean())
    if base == "wgan-div":
        return _Penalty(hp["sample"], lambda sq: hp["k"] * sq.pow(hp["p"] / 2).mean())
    return None


def _split_loss(name: str, kind: str = "common") -> tuple[gan.Loss, tuple[_Penalty, ...]]:
    """Entry ``name``'s loss without its gradient penalties, and the penalties in the
    order its critic loss adds them (the base loss's own, then R1, then R2)."""
    e, r = parse(name), recipe(name, kind)
    loss = gan.loss(e.base, **r.hparams)
    own = _own_penalty(e.base, loss.hparams)
    penalties = [] if own is None else [own]
    penalties += [_Penalty(points, lambda sq: R_GAMMA / 2 * sq.mean())
                  for points, on in (("real", e.r1), ("fake", e.r2)) if on]  # R1, R2
    return (loss if own is None else gan.loss("wgan")), tuple(penalties)  # wgan-gp, -lp, -div: wgan's plus the penalty


def _squared_grad_norms(D: StackedMLP, x: torch.Tensor) -> torch.Tensor:
    """(S, M, d) -> (S, M): ``gan.penalties.squared_grad_norms`` of each seed's critic at its points."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(_critic_scores(D, x).sum(), x, create_graph=True)
    return g.pow(2).sum(-1)


# ------------------------------------------------------------------------ the seeds


@contextmanager
def _global_stream(stream: torch.Generator) -> Iterator[None]:
    """Torch's global generator runs ``stream`` (what a loss draws, e.g. a penalty's
    interpolation weights, comes from the seed's own stream), which then moves on."""
    torch.set_rng_state(stream.get_state())
    yield
    stream.set_state(torch.get_rng_state())


@dataclass(eq=False)  # seeds are told apart by identity
class _Seed:
    """One seed's run: its plain networks (built as ``trainer.train`` builds them, then
    used to score), its random streams, evaluation sets, and what it has recorded."""

    job: Job
    G: torch.nn.Module
    D: torch.nn.Module
    stream: torch.Generator
    data: np.random.Generator
    real_eval: np.ndarray
    z_eval: torch.Tensor
    curve: list[Checkpoint] = field(default_factory=list)
    log: list[np.ndarray] = field(default_factory=list)
    diverged: bool = False


def _seed(job: Job) -> _Seed:
    torch_seed, eval_seed, data_seed = trainer.run_seeds(job)
    torch.manual_seed(torch_seed)
    target = TARGETS[job.target]
    G, D = trainer.networks(job, target)
    stream = torch.Generator()
    stream.set_state(torch.get_rng_state())  # the latents continue the stream that built the networks
    real_eval, z_eval = trainer.eval_sets(job, target, G.z_dim, eval_seed, torch.device("cpu"))
    return _Seed(job, G, D, stream, np.random.default_rng(data_seed), real_eval, z_eval)


# ------------------------------------------------------------------ the ensemble


class Ensemble:
    """The seeds of one job trained as one: :meth:`step` is one generator step of every seed.

    ``jobs`` differ only in their seed; :func:`supports` must hold for them. Building it
    seeds torch's global generator once per seed, as ``trainer.setup`` does.
    """

    def __init__(self, jobs: Sequence[Job]) -> None:
        job = jobs[0]
        self.target, self.recipe = TARGETS[job.target], recipe(job.loss, job.recipe)
        self.loss, self.penalties = _split_loss(job.loss, job.recipe)
        self.seeds = [_seed(j) for j in jobs]
        self.G = StackedMLP([s.G for s in self.seeds], sigmoid=trainer.ARCH[job.target].bounded)
        self.D = StackedMLP([s.D for s in self.seeds])
        self.z_dim = self.seeds[0].G.z_dim
        self.batch, self.pac = batch_size(job.loss), parse(job.loss).pac
        self.g_opt = self._optimizer(self.G, self.recipe.lr_generator)
        self.c_opt = self._optimizer(self.D, self.recipe.lr_critic)

    def _optimizer(self, net: StackedMLP, lr: float) -> torch.optim.Optimizer:
        return trainer.optimizer(net.parameters(), self.recipe.optimizer, lr, self.recipe.betas)

    def _real(self) -> torch.Tensor:
        """(S, N/m, m d) each seed's real batch, packed for a packed critic (m = 1 otherwise)."""
        return pack(torch.stack([torch.as_tensor(self.target.sample(self.batch, s.data), dtype=torch.float32)
                                 for s in self.seeds]), self.pac)

    def _latent(self) -> torch.Tensor:
        return torch.stack([torch.randn(self.batch, self.z_dim, generator=s.stream) for s in self.seeds])

    def _fake(self, z: torch.Tensor) -> torch.Tensor:
        """(S, N/m, m d) each seed's generated batch, packed as the real one."""
        return pack(self.G(z), self.pac)

    def _losses(self, which: Callable, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """(S,) each seed's loss (``self.loss.critic`` or ``.generator``) on its own rows."""
        shared, out = _SharedScores(self.D, (real, fake)), []
        for s, seed in enumerate(self.seeds):
            with _global_stream(seed.stream):
                out.append(which(shared.critic(s), real[s], fake[s]))
        return torch.stack(out)

    def _points(self, kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """(S, M, d) a penalty's points; interpolates with one weight per point from its seed's stream."""
        if kind == "real+fake":
            return torch.cat([real, fake], dim=1)
        if kind != "interpolates":
            return real if kind == "real" else fake
        a = torch.stack([torch.rand(real.shape[1], generator=seed.stream) for seed in self.seeds]).unsqueeze(-1)
        return a * real + (1 - a) * fake

    def _with_penalties(self, losses: torch.Tensor, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """(S,) the critic losses plus each penalty, added in turn as the library's losses add them."""
        for penalty in self.penalties:
            sq = _squared_grad_norms(self.D, self._points(penalty.points, real, fake))
            losses = losses + torch.stack([penalty.of_norms(row) for row in sq.unbind(0)])
        return losses

    def _critic_update(self) -> torch.Tensor:
        real, z = self._real(), self._latent()
        with torch.no_grad():
            fake = self._fake(z)
        self.c_opt.zero_grad(set_to_none=True)
        losses = self._with_penalties(self._losses(self.loss.critic, real, fake), real, fake)
        losses.sum().backward()  # a seed's loss depends on its own rows only: each gets its own gradient
        self.c_opt.step()
        if self.recipe.clip is not None:  # WGAN: clip after every critic update
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-self.recipe.clip, self.recipe.clip)
        return losses.detach()

    def _generator_update(self) -> torch.Tensor:
        real, z = self._real(), self._latent()
        self.g_opt.zero_grad(set_to_none=True)
        losses = self._losses(self.loss.generator, real, self._fake(z))
        losses.sum().backward(inputs=self.G.parameters())
        self.g_opt.step()
        return losses.detach()

    def step(self) -> torch.Tensor:
        """One generator step of every seed (``n_critic`` critic updates first); (S, 2)
        the last critic loss and the generator loss of each seed, detached."""
        for _ in range(self.recipe.n_critic):
            critic = self._critic_update()
        return torch.stack([critic, self._generator_update()], dim=1)

    def advance(self, count: int) -> None:
        """``count`` steps; each seed's (critic, generator) losses go to its log, and a
        seed with a NaN or inf among them is marked diverged."""
        values = torch.stack([self.step() for _ in range(count)]).to(torch.float64).numpy()
        for s, seed in enumerate(self.seeds):
            seed.log.append(values[:, s])
            seed.diverged = not bool(np.isfinite(values[:, s]).all())

    def score(self, step: int, seeds: Sequence[_Seed]) -> None:
        """Score ``seeds`` at ``step`` (their plain networks get their current weights)."""
        for seed in seeds:
            s = self.seeds.index(seed)
            self.G.load_into(s, seed.G)
            self.D.load_into(s, seed.D)
            seed.curve.append(evaluate(step, seed.G, seed.D, seed.z_eval, seed.real_eval, self.target))
            seed.diverged = seed.diverged or seed.curve[-1].w2 is None

    def drop(self, gone: Sequence[_Seed]) -> None:
        """Take the seeds ``gone`` out: their rows leave the parameters and the optimisers' state."""
        rows = torch.tensor([s for s, seed in enumerate(self.seeds) if seed not in gone], dtype=torch.long)
        self.seeds = [self.seeds[int(s)] for s in rows]
        if not self.seeds:
            return
        for net, opt, lr in ((self.G, "g_opt", self.recipe.lr_generator), (self.D, "c_opt", self.recipe.lr_critic)):
            old_state, moved = getattr(self, opt).state, net.keep(rows)
            new = self._optimizer(net, lr)
            for p_old, p_new in moved.items():
                if p_old in old_state:  # per-element state keeps its rows; Adam's step counts are shared
                    new.state[p_new] = {k: v[rows] if v.shape == p_old.shape else v
                                        for k, v in old_state[p_old].items()}
            setattr(self, opt, new)

    def finite(self) -> bool:
        """Whether every seed's parameters are finite."""
        return all(bool(torch.isfinite(p).all()) for net in (self.G, self.D) for p in net.parameters())


# ------------------------------------------------------------------------- training


def _finish(seed: _Seed, done: int, report: Callable[[int], None]) -> Record:
    report(seed.job.steps - done)  # a diverged seed's remaining steps count as done, as in trainer.train
    return trainer.record(seed.job, seed.curve, seed.log, seed.diverged, seed.G, seed.z_eval)


def _train(jobs: Sequence[Job], report: Callable[[int], None]) -> list[Record] | None:
    """The ensemble's records, or None where an operation raised because of a diverged seed."""
    ensemble = Ensemble(jobs)
    try:
        return _loop(ensemble, jobs, report)
    except (RuntimeError, ValueError):
        if ensemble.finite():
            raise  # a real error, not a diverged seed
        return None


def _loop(ensemble: Ensemble, jobs: Sequence[Job], report: Callable[[int], None]) -> list[Record]:
    """``trainer.train``'s loop for all seeds at once; records in the order of ``jobs``."""
    finished: dict[int, Record] = {}
    done = 0
    for stop in checkpoints(jobs[0].steps):
        while done < stop and ensemble.seeds:
            count = min(CHECK_EVERY, stop - done)
            ensemble.advance(count)
            done += count
            report(count * len(ensemble.seeds))
            _retire(ensemble, [s for s in ensemble.seeds if s.diverged], done, finished, report)
        ensemble.score(done, ensemble.seeds)
        _retire(ensemble, [s for s in ensemble.seeds if s.diverged], done, finished, report, scored=True)
    for seed in ensemble.seeds:
        finished[seed.job.seed] = _finish(seed, done, report)
    return [finished[job.seed] for job in jobs]


def _retire(ensemble: Ensemble, gone: list[_Seed], done: int, finished: dict, report, scored: bool = False) -> None:
    """Diverged seeds: scored where they stopped (as ``trainer.train`` does), recorded, dropped."""
    if not gone:
        return
    if not scored:
        ensemble.score(done, gone)
    for seed in gone:
        finished[seed.job.seed] = _finish(seed, done, report)
    ensemble.drop(gone)


def _alone(jobs: Sequence[Job], report: Callable[[int], None], reported: int) -> list[Record]:
    """Every seed trained alone, the progress already reported by the ensemble not counted twice."""
    owed = [reported]

    def quiet(k: int) -> None:
        shown = min(k, owed[0])
        owed[0] -= shown
        if k > shown:
            report(k - shown)

    return [trainer.train(job, quiet) for job in jobs]


def train_seeds(jobs: Sequence[Job], on_steps: Callable[[int], None] | None = None) -> list[Record]:
    """Train ``jobs`` (one entry, target and budget; several seeds) as one ensemble.

    The records equal those of ``[trainer.train(job) for job in jobs]`` (to round-off),
    in that order; ``seconds`` is the ensemble's wall time shared equally among them.
    ``on_steps(k)`` is called as the seeds advance by k generator steps in all (the counts
    add up to the sum of the jobs' steps).
    """
    _check(jobs)
    report, counted = on_steps or (lambda k: None), [0]

    def counting(k: int) -> None:
        counted[0] += k
        report(k)

    start = time.perf_counter()
    with trainer.one_thread(), torch.random.fork_rng(devices=[]):
        records = _train(jobs, counting) or _alone(jobs, report, counted[0])
    seconds = (time.perf_counter() - start) / len(jobs)
    return [replace(r, seconds=seconds) for r in records]


def _check(jobs: Sequence[Job]) -> None:
    if not jobs:
        raise ValueError("train_seeds needs at least one job")
    same = {replace(job, seed=0) for job in jobs}
    if len(same) > 1 or len({job.seed for job in jobs}) < len(jobs):
        raise ValueError("an ensemble's jobs must differ in their seed only, each seed once")
    if not supports(jobs[0]):
        raise ValueError(f"{jobs[0].loss!r} on {jobs[0].device} does not train as an ensemble; use trainer.train")
