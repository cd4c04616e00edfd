"""The internal progress bar: counts, clipping, the final line, and silence when disabled."""

import io

import pytest

from divergences._progress import Progress


def test_counts_and_final_line():
    stream = io.StringIO()
    with Progress(4, "pairs", stream=stream) as bar:
        for _ in range(4):
            bar.update()
    assert bar.done == 4
    text = stream.getvalue()
    assert text.endswith("\n")
    assert text.rstrip("\n").split("\r")[-1].startswith("pairs 100% |" + "#" * 20 + "| 4/4")


def test_update_is_clipped_to_total():
    bar = Progress(3, enabled=False)
    bar.update(10)
    assert bar.done == 3


def test_disabled_writes_nothing():
    stream = io.StringIO()
    with Progress(5, "x", enabled=False, stream=stream) as bar:
        bar.update(2)
    assert stream.getvalue() == ""


def test_empty_total_is_complete():
    assert " 100% " in Progress(0, "none", enabled=False).line()


def test_negative_total_rejected():
    with pytest.raises(ValueError, match="total"):
        Progress(-1)
