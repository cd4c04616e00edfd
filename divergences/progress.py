"""Progress reporting for long loops (``divergences.pairwise``, ``python -m gan.arena``), through tqdm.

:func:`progress_bar` returns a ``tqdm`` bar. In a terminal it is tqdm's own bar, redrawn
in place. Anywhere else (a log file, a pipe, CI, a notebook's captured stderr) carriage-
return redraws would pile up as one unreadable line, and tqdm has no mode that writes
whole lines, so the bar there is a subclass that prints one plain line each time
another ``every`` percent is done, and a last one when it closes.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

__all__ = ["PLAIN_EVERY", "progress_bar"]

PLAIN_EVERY = 5  # percent between two plain lines
_PLAIN_FORMAT = "{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} {unit} [{elapsed} elapsed, {remaining} left]"


class _Clipped(tqdm):
    """A tqdm bar whose count stops at ``total`` (a caller's final catch-up cannot overshoot)."""

    def update(self, n: float | None = 1) -> bool | None:
        if self.total is not None and n is not None:
            n = max(0, min(n, self.total - self.n))
        return super().update(n)


class _PlainLines(_Clipped):
    """A tqdm bar that writes a full line (no carriage return) every ``every`` percent."""

    def __init__(self, *args: Any, every: float = PLAIN_EVERY, **kwargs: Any) -> None:
        self._every, self._shown = float(every), -1.0
        # leave=False: tqdm's close then asks for a blank message, which display() turns
        # into the last line instead of tqdm's trailing redraw and newline
        super().__init__(*args, leave=False, mininterval=0, miniters=1, bar_format=_PLAIN_FORMAT, **kwargs)

    def _share(self) -> float:
        return 100.0 * self.n / self.total if self.total else 100.0

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg is None:  # a redraw: print only when another `every` percent is done
            bucket = self._share() // self._every * self._every
            if bucket > self._shown:
                self._write(bucket)
            return True
        if msg == "" and self._shown < self._share():  # closing: the state at the end
            self._write(self._share())
        return False

    def _write(self, share: float) -> None:
        self._shown = share
        self.fp.write(self.__str__() + "\n")
        self.fp.flush()


def progress_bar(total: int, desc: str = "", *, unit: str = "it", enabled: bool = True,
                 stream: TextIO | None = None, every: float = PLAIN_EVERY, **tqdm_kwargs: Any) -> tqdm:
    r"""A tqdm progress bar over ``total`` units: redrawn in a terminal, plain lines elsewhere.

    Use it as tqdm: ``with progress_bar(n, "pairs") as bar: ... bar.update(k)``. The
    remaining time is tqdm's estimate, :math:`(\mathrm{total} - n)/r` with :math:`r`
    an exponential moving average of the rate (pass ``smoothing=0`` for the average
    rate since the start, steadier when updates come in bursts).

    Parameters
    ----------
    total : int
        Units of work, >= 0.
    desc : str
        What runs, shown first on the line.
    unit : str
        The name of one unit of work, shown after the counts ("pairs", "steps").
    enabled : bool
        False gives a bar that counts but writes nothing (a library is silent unless
        asked).
    stream : text file, optional
        Where to write (default ``sys.stderr``). When ``stream.isatty()`` is false the
        bar writes one plain line per ``every`` percent instead of redrawing.
    every : float
        Percent between two plain lines, in (0, 100].
    **tqdm_kwargs
        Passed to ``tqdm`` (``smoothing``, ``postfix``, ...).

    Returns
    -------
    tqdm.tqdm
        Its count ``n`` stops at ``total``.

    Raises
    ------
    ValueError
        ``total`` is not an integer >= 0, or ``every`` is not in (0, 100].

    Examples
    --------
    >>> import io
    >>> log = io.StringIO()
    >>> with progress_bar(4, "pairs", unit="pairs", stream=log, every=50) as bar:
    ...     _ = bar.update(4)
    >>> [line.split(" [")[0] for line in log.getvalue().splitlines()]  # a log file sees whole lines
    ['pairs:   0% 0/4 pairs', 'pairs: 100% 4/4 pairs']
    """
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError(f"total must be an integer >= 0, got {total!r}")
    if not isinstance(every, (int, float)) or isinstance(every, bool) or not 0 < every <= 100:
        raise ValueError(f"every must be a number in (0, 100], got {every!r}")
    stream = sys.stderr if stream is None else stream
    common = {"total": total, "desc": desc, "unit": unit, "file": stream, "disable": not enabled, **tqdm_kwargs}
    isatty = getattr(stream, "isatty", None)
    if enabled and callable(isatty) and isatty():
        return _Clipped(**common)
    return _PlainLines(every=every, **common)
