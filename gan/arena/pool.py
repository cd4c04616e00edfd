"""Run arena jobs in this process or in worker processes, advancing one progress bar.

Small MLPs on CPU are bound by per-operation overhead, not arithmetic: one torch
thread per run (``trainer.train`` sets it) and one run per core is the fastest use of
a few cores, and gives the same numbers for any ``workers``. Workers start with
``spawn`` (safe whatever the parent has done with torch) and report their progress
through a queue; results come back in the order of the jobs.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

import torch

from divergences.progress import progress_bar

from .recipes import recipe
from .records import Record
from .trainer import Job, train

__all__ = ["run_jobs"]

_QUEUE: Any = None  # the progress queue, in a worker


def _start_worker(progress_queue: Any) -> None:
    global _QUEUE
    _QUEUE = progress_queue
    torch.set_num_threads(1)  # also for the imports and scoring around the runs


def _label(job: Job) -> str:
    return f"arena: {job.loss} on {job.target}, seed {job.seed}"


def _work(job: Job) -> Record:
    _QUEUE.put(_label(job))
    return train(job, _QUEUE.put)


def _show(bar: Any, message: int | str) -> None:
    """A count of steps advances the bar; a label names the run that has just started."""
    if isinstance(message, str):
        bar.set_description_str(message, refresh=False)
    else:
        bar.update(message)


def _drain(progress_queue: Any, bar: Any) -> None:
    while True:
        try:
            _show(bar, progress_queue.get_nowait())
        except queue_module.Empty:
            return


def _cost(job: Job) -> int:
    return job.steps * (recipe(job.loss, job.recipe).n_critic + 1)


def run_jobs(jobs: Sequence[Job], workers: int, bar: Any) -> list[Record]:
    """Train every job (``workers`` processes at a time, or in this process for 1) and
    return their records in the order of ``jobs``; a worker's exception is re-raised."""
    if workers <= 1 or len(jobs) <= 1:
        trained = []
        for job in jobs:
            _show(bar, _label(job))
            trained.append(train(job, bar.update))
        return trained
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    records: list[Record | None] = [None] * len(jobs)
    longest_first = sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i]))  # balances the workers' loads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(progress_queue,)) as pool:
        futures = {pool.submit(_work, jobs[i]): i for i in longest_first}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(progress_queue, bar)
                for future in done:
                    records[futures[future]] = future.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    _drain(progress_queue, bar)
    bar.update(bar.total - bar.n)  # reports still in flight when the workers exited
    return records  # type: ignore[return-value]
