"""One arena run: train an entry on a target for one seed, scoring along the way.

Randomness comes from seeds derived from (seed, loss, target) alone, so a run's
numbers do not depend on which other runs share the arena or on the order they run
in. Training draws from torch's global generator (initialisation, latents, the
penalties' interpolation weights) and from a NumPy generator (real batches); the
evaluation sets come from their own generators, so evaluating never shifts training.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import torch

import gan

from .models import Critic, Generator, Packed, pack
from .recipes import BATCH, COMMON, batch_size, build_loss, parse, recipe
from .records import Checkpoint, Record
from .score import evaluate
from .targets import TARGETS

__all__ = ["ARCH", "BETAS", "EVALUATIONS", "Arch", "Job", "Run", "checkpoints", "eval_sets", "networks", "one_thread",
           "optimizer", "real_set", "record", "run_seeds", "seed_sequence", "setup", "train"]

BETAS = COMMON.betas  # Adam's betas of the common recipe (each paper recipe has its own)
EVALUATIONS = 4  # checkpoints per run, evenly spaced, the last at the final step
CHECK_EVERY = 50  # steps between divergence checks and progress reports


@dataclass(frozen=True)
class Arch:
    """The networks of a target: latent size, width, depth, and a [0, 1]-bounded output."""

    z_dim: int
    hidden: int
    depth: int
    bounded: bool = False


# 2-D targets: a 2-D latent (each mode is a region of z); digits: a 16-D latent and a
# sigmoid output for pixels in [0, 1]. O-GAN needs a latent of several coordinates for its
# per-sample correlation (with 2 it is always +-1): OGAN_Z_DIM on the 2-D targets.
ARCH = {"ring8": Arch(2, 128, 3), "grid25": Arch(2, 128, 3), "swissroll": Arch(2, 128, 3),
        "digits": Arch(16, 128, 2, bounded=True)}
OGAN_Z_DIM = 8


@dataclass(frozen=True)
class Job:
    """What to run: ``loss`` on ``target`` for ``steps`` generator updates, scored on ``samples`` points."""

    loss: str
    target: str
    steps: int
    seed: int
    samples: int
    device: str = "cpu"
    recipe: str = "common"


def seed_sequence(seed: int, *words: str) -> np.random.SeedSequence:
    """A seed sequence keyed by ``seed`` and names (stable across runs and Python versions)."""
    return np.random.SeedSequence([seed, *(zlib.crc32(w.encode()) for w in words)])


def real_set(target, n: int, seed: int, purpose: str = "eval") -> np.ndarray:
    """The fixed real evaluation set (``purpose="eval"``) or the floor's set (``"floor"``).

    For ``digits`` the evaluation set is the held-out split (``n`` is ignored) and the
    floor's set a training subset of the same size.
    """
    rng = np.random.default_rng(seed_sequence(seed, purpose, target.name))
    if target.name == "digits":
        return target.held_out if purpose == "eval" else target.floor_set(rng)
    return target.sample(n, rng)


def checkpoints(steps: int) -> tuple[int, ...]:
    """The evaluation steps: ``EVALUATIONS`` evenly spaced, the last at ``steps``.

    >>> checkpoints(1000), checkpoints(2)
    ((250, 500, 750, 1000), (1, 2))
    """
    return tuple(sorted({math.ceil(steps * k / EVALUATIONS) for k in range(1, EVALUATIONS + 1)}))


def optimizer(params: Iterable[torch.Tensor], kind: str, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    """The recipe's optimiser over ``params``: RMSProp, or Adam (fused where torch has it)."""
    params = list(params)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    try:  # fused Adam is a third faster per step on these small nets
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError):  # an older torch, or no fused kernel for the device
        return torch.optim.Adam(params, lr=lr, betas=betas)


def _finite(*modules: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for m in modules for p in m.parameters())


def networks(job: Job, target) -> tuple[Generator, Critic]:
    """The entry's generator and critic for ``target``, initialised from torch's global generator."""
    entry, arch = parse(job.loss), ARCH[job.target]
    z_dim = max(arch.z_dim, OGAN_Z_DIM) if entry.ogan else arch.z_dim
    G = Generator(z_dim, arch.hidden, arch.depth, out=target.dim, bounded=arch.bounded,
                  vbn_reference=BATCH if entry.vbn else 0)  # the paper's reference batch: one minibatch
    D = Critic(arch.hidden, arch.depth, d_in=target.dim, code=z_dim if entry.ogan else 0, pack=entry.pac)
    if entry.sn:
        gan.stabilizers.spectral_normalize(D)
    return G, D


def train(job: Job, on_steps: Callable[[int], None] | None = None) -> Record:
    """Train ``job.loss`` on ``job.target`` and score it at :func:`checkpoints`.

    ``on_steps(k)`` is called as training advances by k generator updates (the
    counts add up to ``job.steps``, also when a diverged run stops early). The
    record's ``w2_floor`` is left None (the caller computes it once per target).
    """
    start = time.perf_counter()
    device = torch.device(job.device)
    with one_thread(), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        result = _train(job, device, on_steps or (lambda k: None))  # the caller's RNG state is left alone
    return replace(result, seconds=time.perf_counter() - start)


@contextmanager
def one_thread() -> Iterator[None]:
    """One torch thread for the run: on these small nets more threads only add
    synchronisation (and on a busy machine their spinning costs tenfold), and a fixed
    count keeps the numbers identical whatever the caller's setting."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _stepper(job: Job, G, D, loss, real, z, g_opt, c_opt, n_critic: int):
    """One generator step of the entry: alternating, or the single-loss step (``+single``);
    with ``+pac<m>`` the critic sees real and generated batches packed by m."""
    m = parse(job.loss).pac
    if m > 1:
        draw = real
        G, real = Packed(G, m), lambda: pack(draw(), m)
    if parse(job.loss).single:
        return lambda: gan.train.single_loss_step(G, D, loss, real(), z(), g_opt, c_opt)
    return lambda: gan.train.alternating_step(G, D, loss, real, z, g_opt, c_opt, n_critic=n_critic)


def _advance(step: Callable, nets: tuple, count: int, log: list) -> bool:
    """``count`` (>= 1) steps, appending (critic, generator) losses to ``log``; False on NaN or inf."""
    pairs = []
    for _ in range(count):
        try:
            out = step()
        except (RuntimeError, ValueError):
            if _finite(*nets):
                raise  # a real error, not a diverged run
            return False
        pairs.append(torch.stack([out.critic, out.generator]))
    values = torch.stack(pairs).to(torch.float64).cpu().numpy()  # one host synchronisation per call
    log.append(values)
    return bool(np.isfinite(values).all())


def run_seeds(job: Job) -> tuple[int, int, int]:
    """The run's torch seed (initialisation, latents, the penalties' weights), evaluation
    seed and data seed, from (seed, loss, target) alone."""
    torch_seed, eval_seed, data_seed = seed_sequence(job.seed, "run", job.loss, job.target).generate_state(3)
    return int(torch_seed), int(eval_seed), int(data_seed)


def eval_sets(job: Job, target, z_dim: int, eval_seed: int, device: torch.device) -> tuple[np.ndarray, torch.Tensor]:
    """The run's fixed real evaluation set and its latents (their own generator: scoring never shifts training)."""
    real_eval = real_set(target, job.samples, job.seed)
    z_eval = torch.randn(len(real_eval), z_dim, device=device,
                         generator=torch.Generator(device=device).manual_seed(eval_seed))
    return real_eval, z_eval


@dataclass(frozen=True)
class Run:
    """A run as :func:`train` sets it up: its networks, one generator step, its evaluation sets."""

    G: Generator
    D: Critic
    step: Callable[[], gan.train.StepLosses]
    real_eval: np.ndarray
    z_eval: torch.Tensor


def setup(job: Job, device: torch.device) -> Run:
    """Seed torch's global generator, build the networks and optimisers, and wire the batches."""
    target, r = TARGETS[job.target], recipe(job.loss, job.recipe)
    torch_seed, eval_seed, data_seed = run_seeds(job)
    torch.manual_seed(torch_seed)
    G, D = (net.to(device) for net in networks(job, target))
    loss = build_loss(job.loss, job.recipe)
    g_opt = optimizer(G.parameters(), r.optimizer, r.lr_generator, r.betas)
    c_opt = optimizer(D.parameters(), r.optimizer, r.lr_critic, r.betas)
    if r.clip is not None:  # WGAN: clip after every critic update
        c_opt.register_step_post_hook(lambda *_: gan.clip_weights(D, r.clip))
    rng = np.random.default_rng(data_seed)
    n = batch_size(job.loss)
    real = lambda: torch.as_tensor(target.sample(n, rng), dtype=torch.float32, device=device)  # noqa: E731
    z = lambda: torch.randn(n, G.z_dim, device=device)  # noqa: E731
    step = _stepper(job, G, D, loss, real, z, g_opt, c_opt, r.n_critic)
    return Run(G, D, step, *eval_sets(job, target, G.z_dim, eval_seed, device))


def record(job: Job, curve: list[Checkpoint], log: list[np.ndarray], diverged: bool, G: Generator,
           z_eval: torch.Tensor) -> Record:
    """The run's :class:`Record` from its curve and log, with the final generator's samples and state."""
    target, last = TARGETS[job.target], curve[-1]
    with torch.no_grad():
        samples_xy = None if diverged else G(z_eval).to(torch.float64).cpu().numpy()
    state = {k: v.detach().cpu().clone() for k, v in G.state_dict().items()}
    return Record(job.loss, job.target, job.seed, job.steps, len(z_eval), recipe(job.loss, job.recipe).n_critic,
                  job.device, last.w2, None, last.modes, target.n_modes, last.quality, last.audit_gap, diverged,
                  0.0, tuple(curve), samples_xy, job.recipe, last.classes, last.class_kl, last.encoder_corr,
                  np.concatenate(log) if log else np.zeros((0, 2)), state)


def _train(job: Job, device: torch.device, report: Callable[[int], None]) -> Record:
    run, target = setup(job, device), TARGETS[job.target]
    curve: list[Checkpoint] = []
    log: list[np.ndarray] = []
    done, diverged = 0, False
    for stop in checkpoints(job.steps):
        while done < stop and not diverged:
            count = min(CHECK_EVERY, stop - done)
            diverged = not _advance(run.step, (run.G, run.D), count, log)
            done += count
            report(count)
        curve.append(evaluate(done, run.G, run.D, run.z_eval, run.real_eval, target))
        diverged = diverged or curve[-1].w2 is None
        if diverged:
            break
    report(job.steps - done)
    return record(job, curve, log, diverged, run.G, run.z_eval)
