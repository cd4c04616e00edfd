"""One arena run: train a loss on a target with ``gan.train.alternating_step``, scoring along the way.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import torch

import gan

from .models import Critic, Generator
from .recipes import BATCH, build_loss, recipe
from .records import Checkpoint, Record
from .score import audit_gap, coverage, w2
from .targets import TARGETS, Target

__all__ = ["BETAS", "EVALUATIONS", "Job", "checkpoints", "real_set", "seed_sequence", "train"]

BETAS = (0.5, 0.9)
EVALUATIONS = 4  # checkpoints per run, evenly spaced, the last at the final step
CHECK_EVERY = 25  # steps between divergence checks and progress reports


@dataclass(frozen=True)
class Job:
    """What to run: ``loss`` on ``target`` for ``steps`` generator updates, scored on ``samples`` points."""

    loss: str
    target: str
    steps: int
    seed: int
    samples: int
    device: str = "cpu"


def seed_sequence(seed: int, *words: str) -> np.random.SeedSequence:
    """A seed sequence keyed by ``seed`` and names (stable across runs and Python versions)."""
    return np.random.SeedSequence([seed, *(zlib.crc32(w.encode()) for w in words)])


def real_set(target: Target, n: int, seed: int, purpose: str = "eval") -> np.ndarray:
    """The fixed real evaluation set (``purpose="eval"``) or an independent one (``"floor"``)."""
    return target.sample(n, np.random.default_rng(seed_sequence(seed, purpose, target.name)))


def checkpoints(steps: int) -> tuple[int, ...]:
    """The evaluation steps: ``EVALUATIONS`` evenly spaced, the last at ``steps``.

    >>> checkpoints(1000), checkpoints(2)
    ((250, 500, 750, 1000), (1, 2))
    """
    return tuple(sorted({math.ceil(steps * k / EVALUATIONS) for k in range(1, EVALUATIONS + 1)}))


def _adam(module: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam, fused where torch has it (a third faster per step on these small nets)."""
    try:
        return torch.optim.Adam(module.parameters(), lr=lr, betas=BETAS, fused=True)
    except (RuntimeError, TypeError):  # an older torch, or no fused kernel for the device
        return torch.optim.Adam(module.parameters(), lr=lr, betas=BETAS)


def _finite(*modules: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for m in modules for p in m.parameters())


@torch.no_grad()
def _evaluate(step: int, G: Generator, D: Critic, z: torch.Tensor, real: np.ndarray, target: Target) -> Checkpoint:
    fake = G(z).to(torch.float64)
    fake_np = fake.cpu().numpy()
    if not np.isfinite(fake_np).all():
        return Checkpoint(step, None, 0 if target.discrete else None, 0.0, None)
    cover = coverage(fake_np, target)
    critic = lambda x: D(x.to(torch.float32)).to(torch.float64)  # noqa: E731  (scores in float64 for the audit)
    try:
        gap = audit_gap(critic, torch.as_tensor(real, device=fake.device), fake)
    except ValueError:  # the critic's scores are NaN or inf
        gap = None
    return Checkpoint(step, w2(real, fake_np), cover.modes, cover.quality, gap)


def _advance(G, D, loss, real, z, g_opt, c_opt, n_critic: int, count: int) -> bool:
    """``count`` (>= 1) alternating steps; False if training has produced NaN or inf."""
    for _ in range(count):
        try:
            out = gan.train.alternating_step(G, D, loss, real, z, g_opt, c_opt, n_critic=n_critic)
        except (RuntimeError, ValueError):
            if _finite(G, D):
                raise  # a real error, not a diverged run
            return False
    return bool(torch.isfinite(out.critic + out.generator))  # one host synchronisation per call


def train(job: Job, on_steps: Callable[[int], None] | None = None) -> Record:
    """Train ``job.loss`` on ``job.target`` and score it at :func:`checkpoints`.

    ``on_steps(k)`` is called as training advances by k generator updates (the
    counts add up to ``job.steps``, also when a diverged run stops early). The
    record's ``w2_floor`` is left None (the caller computes it once per target).
    """
    start = time.perf_counter()
    device = torch.device(job.device)
    with _one_thread(), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        record = _train(job, device, on_steps or (lambda k: None))  # the caller's RNG state is left alone
    return replace(record, seconds=time.perf_counter() - start)


@contextmanager
def _one_thread() -> Iterator[None]:
    """One torch thread for the run: on these small nets more threads only add
    synchronisation (and on a busy machine their spinning costs tenfold), and a fixed
    count keeps the numbers identical whatever the caller's setting."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _train(job: Job, device: torch.device, report: Callable[[int], None]) -> Record:
    target, r = TARGETS[job.target], recipe(job.loss)
    seeds = seed_sequence(job.seed, "run", job.loss, job.target).generate_state(3)
    torch_seed, eval_seed, data_seed = (int(s) for s in seeds)
    torch.manual_seed(torch_seed)
    G, D = Generator().to(device), Critic().to(device)
    loss = build_loss(job.loss)
    g_opt, c_opt = _adam(G, r.lr_generator), _adam(D, r.lr_critic)
    if r.clip is not None:  # WGAN: clip after every critic update
        c_opt.register_step_post_hook(lambda *_: gan.clip_weights(D, r.clip))
    rng = np.random.default_rng(data_seed)
    real = lambda: torch.as_tensor(target.sample(BATCH, rng), dtype=torch.float32, device=device)  # noqa: E731
    z = lambda: torch.randn(BATCH, G.z_dim, device=device)  # noqa: E731
    real_eval = real_set(target, job.samples, job.seed)
    z_eval = torch.randn(job.samples, G.z_dim, device=device,
                         generator=torch.Generator(device=device).manual_seed(eval_seed))
    curve: list[Checkpoint] = []
    done, diverged = 0, False
    for stop in checkpoints(job.steps):
        while done < stop and not diverged:
            count = min(CHECK_EVERY, stop - done)
            diverged = not _advance(G, D, loss, real, z, g_opt, c_opt, r.n_critic, count)
            done += count
            report(count)
        curve.append(_evaluate(done, G, D, z_eval, real_eval, target))
        diverged = diverged or curve[-1].w2 is None
        if diverged:
            break
    report(job.steps - done)
    last = curve[-1]
    samples_xy = None if diverged else G(z_eval).detach().to(torch.float64).cpu().numpy()
    return Record(job.loss, job.target, job.seed, job.steps, job.samples, r.n_critic, job.device,
                  last.w2, None, last.modes, target.n_modes, last.quality, last.audit_gap, diverged,
                  0.0, tuple(curve), samples_xy)
