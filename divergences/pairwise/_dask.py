"""The distributed path of ``pairwise``: chunked tasks on a dask.distributed cluster.

The only module that touches dask; it imports ``distributed`` inside its functions,
so neither importing the library nor collecting its doctests needs dask installed.

Fault tolerance is the scheduler's: tasks running on (or results held by) a worker
that dies are recomputed on the others while the client still holds their futures,
up to ``distributed.scheduler.allowed-failures`` deaths per task. Task ``retries``
would rerun tasks that raised, and our tasks are deterministic: a retry would only
repeat the error, so none are asked for. A chunk whose future comes back cancelled
instead (seen after a worker was killed on a loaded machine) is submitted once more
with its inputs.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import numpy as np

from ._metrics import Inputs, Metric, evaluate_chunk
from ..progress import progress_bar

__all__ = ["MIN_TASKS", "TASKS_PER_THREAD", "check_client", "default_chunk_size", "evaluate"]

TASKS_PER_THREAD = 4  # load balance when pairs cost unequal times
MIN_TASKS = 100  # progress moves by 1% and a lost task is a small share of the work


def check_client(client: Any) -> None:
    """A running, synchronous ``distributed.Client``."""
    from distributed import Client

    if not isinstance(client, Client):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    if client.status in ("closing", "closed"):
        raise ValueError(f"client is {client.status}: pass a connected dask.distributed.Client")
    if client.asynchronous:
        raise TypeError("client is asynchronous: pairwise needs a synchronous dask.distributed.Client")


def default_chunk_size(client: Any, n_pairs: int) -> int:
    threads = sum(client.nthreads().values()) or 1  # an adaptive cluster may start empty
    return max(1, math.ceil(n_pairs / max(MIN_TASKS, TASKS_PER_THREAD * threads)))


def evaluate(
    client: Any, metric: Metric, pairs: np.ndarray, inputs: Inputs, chunk_size: int | None, progress: bool
) -> np.ndarray:
    """The values of ``pairs`` computed on the cluster, in the order of ``pairs``."""
    from distributed import as_completed

    size = chunk_size or default_chunk_size(client, len(pairs))
    run = f"pairwise-{uuid.uuid4().hex[:12]}"
    # Once per worker, not once per task; replicas on every worker also survive
    # the loss of any one of them.
    shared = client.scatter(inputs, broadcast=True, hash=False)
    starts = range(0, len(pairs), size)
    futures = [
        client.submit(evaluate_chunk, metric, pairs[s : s + size], shared, key=f"{run}-{s}")
        for s in starts
    ]
    where = {f.key: s for f, s in zip(futures, starts)}
    values = np.empty(len(pairs))
    try:
        with progress_bar(len(pairs), f"pairwise {metric.name}", unit="pairs", enabled=progress) as bar:
            done = as_completed(futures, with_results=True)
            for future, chunk in done:
                s = where[future.key]
                if isinstance(chunk, BaseException):
                    futures.append(_resubmit(client, chunk, future.key, metric, pairs[s : s + size], inputs))
                    where[futures[-1].key] = s
                    done.add(futures[-1])
                    continue
                values[s : s + len(chunk)] = chunk
                bar.update(len(chunk))
    finally:
        client.cancel([*futures, shared])  # frees the workers at once, also after an error
    return values


def _resubmit(client: Any, error: BaseException, key: str, metric: Metric, pairs: np.ndarray,
              inputs: Inputs) -> Any:
    """Once more, the chunk whose future came back as ``error`` instead of values: seen
    as a cancelled future after a worker was killed under load (the replicas of the
    scattered inputs being rebuilt). The rerun carries its inputs itself; a second
    failure raises (the tasks are deterministic: a third try would repeat it)."""
    if key.endswith("-again"):
        raise error
    return client.submit(evaluate_chunk, metric, pairs, inputs, key=f"{key}-again")
