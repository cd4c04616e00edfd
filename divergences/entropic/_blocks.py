"""Cache-sized blocks of rows of a dense n x m matrix.

An elementwise pass over a matrix larger than the cache runs at memory speed: a
chain of k such passes reads and writes the matrix k times. Run over blocks of
rows, the chain reads each block from memory once and the other k - 1 passes work
in cache; every reduction along a row gives the same numbers as on the whole
matrix (each row is one contiguous reduction either way).
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["BLOCK_ENTRIES", "row_blocks"]

# Entries per block: 2^16 (512 KB in float64, the per-core L2 of the benchmark
# machine) keeps a block and two temporaries of its size in the L2/L3 caches, and
# its Python cost (about ten array calls a block) stays near 1% of the passes at
# n = m = 500 to 4000.
BLOCK_ENTRIES = 2**16


def row_blocks(n: int, m: int, scale: int = 1) -> Iterator[slice]:
    """In-bounds slices covering rows 0..n-1, about ``scale * BLOCK_ENTRIES``
    entries each."""
    step = max(1, scale * BLOCK_ENTRIES // max(m, 1))
    return (slice(start, min(start + step, n)) for start in range(0, n, step))
