"""divergences.progress.progress_bar: plain lines outside a terminal, tqdm's bar in one, silence when disabled."""

import io

import pytest

from divergences.progress import progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_outside_a_terminal():
    log = io.StringIO()
    with progress_bar(100, "arena ring8", unit="steps", stream=log, every=25) as bar:
        for _ in range(50):
            bar.update(2)
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    # one line at the start, one per quarter, no repeats
    assert [line.split("%")[0].split(":")[-1].strip() for line in lines] == ["0", "26", "50", "76", "100"]
    assert lines[-1].startswith("arena ring8: 100% 100/100 steps [")


def test_closing_early_prints_the_state_reached():
    log = io.StringIO()
    with progress_bar(10, "x", stream=log, every=50) as bar:
        bar.update(3)
    assert log.getvalue().splitlines()[-1].startswith("x:  30% 3/10")


def test_terminal_gets_carriage_return_redraws():
    term = _Terminal()
    with progress_bar(4, "pairs", stream=term, mininterval=0) as bar:
        bar.update(4)
    assert "\r" in term.getvalue() and "4/4" in term.getvalue()


def test_count_stops_at_total():
    with progress_bar(3, stream=io.StringIO()) as bar:
        bar.update(10)
        assert bar.n == 3


def test_disabled_writes_nothing():
    log = io.StringIO()
    with progress_bar(5, "x", enabled=False, stream=log) as bar:
        bar.update(2)
    assert log.getvalue() == ""


@pytest.mark.parametrize("kw, match", [({"total": -1}, "total"), ({"total": 2.5}, "total"),
                                       ({"total": 3, "every": 0}, "every")])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        progress_bar(**kw)
