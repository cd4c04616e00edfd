"""The Python blocks of the migration page and of the index run and their assertions
hold: each block runs this library and a peer (POT, SciPy, GeomLoss) on the same data
and asserts that the numbers agree after the documented unit conversion. A block is
skipped only when a library it imports is not installed. The checked examples of the
pairwise page (its units and mass rules) run too."""

import re
from importlib.util import find_spec
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ("migration.md", "index.md")


def python_blocks(page: str) -> list[tuple[str, int, str]]:
    text = (DOCS / page).read_text()
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.M | re.S):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((page, line, match.group(1)))
    return blocks


BLOCKS = [block for page in PAGES for block in python_blocks(page)]


def test_the_migration_page_has_one_checked_block_per_peer_function():
    code = "\n".join(src for page, _, src in BLOCKS if page == "migration.md")
    for peer in ("ot.emd2(", "ot.sinkhorn2(", "ot.wasserstein_1d(", "ot.sliced_wasserstein_distance(",
                 'SamplesLoss("sinkhorn"', "scipy.stats.wasserstein_distance("):
        assert peer in code, peer
    assert code.count("assert ") >= 8
    scipy_block = next(src for page, _, src in BLOCKS if "scipy.stats.wasserstein_distance(" in src)
    assert "wasserstein_distance(u, v, wu, wv)" in scipy_block  # SciPy on unnormalised weights
    assert "wasserstein_1d(u, v, wu, wv, normalize=True)" in scipy_block  # ours on the same


@pytest.mark.parametrize("page, line, source", BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_page_block_runs(page, line, source):
    for module in re.findall(r"^(?:import|from) (\w+)", source, re.M):
        if find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    exec(compile(source, f"{DOCS / page}:{line}", "exec"), {"__name__": "__docs__"})


def test_the_pairwise_page_checked_examples_hold():
    """The blocks of docs/pairwise.md that assert (units and mass rule) run in order,
    in one namespace; the others show long runs and cluster set-ups."""
    checked = [(line, src) for _, line, src in python_blocks("pairwise.md") if "assert " in src]
    assert len(checked) >= 2
    namespace = {"__name__": "__docs__"}
    for line, source in checked:
        exec(compile(source, f"{DOCS / 'pairwise.md'}:{line}", "exec"), namespace)
