"""A dependency-free progress bar on stderr, for long loops (pairwise matrices, the arena).

``with Progress(total, "pairs") as bar: ... bar.update(k)`` draws
``pairs  37% |#######             | 37/100 [0:12 < 0:20]``, redrawn at most ten times a
second; ``enabled=False`` draws nothing, so callers need no second code path.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 20
REDRAW_SECONDS = 0.1


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Progress:
    """Counts ``done`` out of ``total`` steps and draws a one-line bar while it runs."""

    def __init__(self, total: int, desc: str = "", *, enabled: bool = True, stream: TextIO | None = None):
        if total < 0:
            raise ValueError(f"total must be >= 0, got {total}")
        self.total, self.desc, self.enabled = int(total), desc, bool(enabled)
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self._start = time.perf_counter()
        self._drawn = -float("inf")

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, steps: int = 1) -> None:
        """Advance by ``steps`` (clipped to ``total``) and redraw if due."""
        self.done = min(self.total, self.done + int(steps))
        self._draw(force=self.done == self.total)

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False

    def line(self) -> str:
        """The bar as text: description, percentage, bar, counts, elapsed < remaining."""
        elapsed = time.perf_counter() - self._start
        share = self.done / self.total if self.total else 1.0
        filled = int(round(WIDTH * share))
        remaining = elapsed * (1 - share) / share if share > 0 else float("nan")
        eta = _clock(remaining) if remaining == remaining else "?"
        bar = "#" * filled + " " * (WIDTH - filled)
        return f"{self.desc} {100 * share:3.0f}% |{bar}| {self.done}/{self.total} [{_clock(elapsed)} < {eta}]"

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not force and now - self._drawn < REDRAW_SECONDS):
            return
        self._drawn = now
        self.stream.write("\r" + self.line())
        self.stream.flush()
