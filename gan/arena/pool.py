"""Run arena jobs in this process or in worker processes, advancing one progress bar.

The jobs that differ only in their seed form one task, trained as one batched ensemble
(``gan.arena.ensemble``) where the entry allows it; every other job is a task of its own
(``trainer.train``). One torch thread per task and one task per core is the fastest use
of a few cores, and gives the same numbers for any ``workers``. Workers start with
``spawn`` (safe whatever the parent has done with torch) and report their progress
through a queue; results come back in the order of the jobs.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from typing import Any

import torch

from divergences.progress import progress_bar

from . import ensemble
from .recipes import recipe
from .records import Record
from .trainer import Job, train

__all__ = ["run_jobs"]

_QUEUE: Any = None  # the progress queue, in a worker


def _start_worker(progress_queue: Any) -> None:
    global _QUEUE
    _QUEUE = progress_queue
    torch.set_num_threads(1)  # also for the imports and scoring around the runs


def _label(task: Sequence[Job]) -> str:
    """``arena: <loss> on <target>, seed 0`` for a run, ``seeds 0-2`` for an ensemble."""
    seeds = [job.seed for job in task]
    if len(seeds) == 1:
        return f"arena: {task[0].loss} on {task[0].target}, seed {seeds[0]}"
    consecutive = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    named = f"{seeds[0]}-{seeds[-1]}" if consecutive else ",".join(map(str, seeds))
    return f"arena: {task[0].loss} on {task[0].target}, seeds {named}"


def _tasks(jobs: Sequence[Job]) -> list[list[int]]:
    """Indices of the jobs trained together: the seeds of one (entry, target, budget) as one
    ensemble where ``ensemble.supports`` it, any other job alone; in the order of ``jobs``."""
    tasks: dict[Any, list[int]] = {}
    for i, job in enumerate(jobs):
        key = replace(job, seed=-1) if ensemble.supports(job) else i
        if any(jobs[j].seed == job.seed for j in tasks.get(key, ())):
            key = i  # the same run twice: the second trains alone
        tasks.setdefault(key, []).append(i)
    return list(tasks.values())


def _spread(tasks: list[list[int]], workers: int) -> list[list[int]]:
    """Split the largest ensembles in two until every worker has a task (a seed's numbers
    do not depend on which seeds share its ensemble)."""
    tasks = list(tasks)
    while len(tasks) < workers and max(map(len, tasks), default=0) > 1:
        i = max(range(len(tasks)), key=lambda k: len(tasks[k]))
        half = (len(tasks[i]) + 1) // 2
        tasks[i:i + 1] = [tasks[i][:half], tasks[i][half:]]
    return tasks


def _train_task(task: Sequence[Job], report) -> list[Record]:
    return ensemble.train_seeds(task, report) if len(task) > 1 else [train(task[0], report)]


def _work(task: Sequence[Job]) -> list[Record]:
    _QUEUE.put(_label(task))
    return _train_task(task, _QUEUE.put)


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


def _cost(task: Sequence[Job]) -> int:
    return sum(job.steps * (recipe(job.loss, job.recipe).n_critic + 1) for job in task)


def _train_shown(task: Sequence[Job], bar: Any) -> list[Record]:
    _show(bar, _label(task))
    return _train_task(task, bar.update)


def run_jobs(jobs: Sequence[Job], workers: int, bar: Any) -> list[Record]:
    """Train every job (``workers`` processes at a time, or in this process for 1) and
    return their records in the order of ``jobs``; a worker's exception is re-raised.
    The seeds of one entry and target train as one ensemble task (:func:`_tasks`), split
    where there are fewer tasks than workers (:func:`_spread`)."""
    indices = _spread(_tasks(jobs), workers)
    tasks = [[jobs[i] for i in task] for task in indices]
    records: list[Record | None] = [None] * len(jobs)
    for task, done in zip(indices, _run_tasks(tasks, workers, bar)):
        for i, record in zip(task, done):
            records[i] = record
    return records  # type: ignore[return-value]


def _run_tasks(tasks: list[list[Job]], workers: int, bar: Any) -> list[list[Record]]:
    if workers <= 1 or len(tasks) <= 1:
        return [_train_shown(task, bar) for task in tasks]
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    results: list[list[Record] | None] = [None] * len(tasks)
    longest_first = sorted(range(len(tasks)), key=lambda i: -_cost(tasks[i]))  # balances the workers' loads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(progress_queue,)) as pool:
        futures = {pool.submit(_work, tasks[i]): i for i in longest_first}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(progress_queue, bar)
                for future in done:
                    results[futures[future]] = future.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    _drain(progress_queue, bar)
    bar.update(bar.total - bar.n)  # reports still in flight when the workers exited
    return results  # type: ignore[return-value]
