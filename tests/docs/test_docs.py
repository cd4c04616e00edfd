"""The documentation site builds with warnings as errors and nitpicky references (every
API link resolves), every public name has an entry in the API reference, the gallery
examples run during the build and leave a figure each, and the built site loads no
script, stylesheet or font from the network (math renders offline)."""

import os
import re
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("pydata_sphinx_theme")
pytest.importorskip("torch")  # autodoc imports gan

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"

# the command documented on the index page, with the output folder a temporary one
SPHINX_FLAGS = ["-W", "--keep-going", "-n", "-b", "html"]


def docs_env() -> dict[str, str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _inventory(path: Path) -> set[str]:
    """Object names in a Sphinx objects.inv (version 2: four header lines, then zlib)."""
    data = path.read_bytes()
    for _ in range(4):
        data = data[data.index(b"\n") + 1:]
    lines = zlib.decompress(data).decode().splitlines()
    return {line.split(" ", 1)[0] for line in lines if line.split(" ")[1].startswith("py:")}


def _public_names() -> set[str]:
    import importlib

    modules = ["divergences", "divergences.dpp", "divergences.linalg", "divergences.testing",
               "gan", "gan.penalties", "gan.stabilizers", "gan.train", "gan.diversity", "gan.audit"]
    modules += [m for m in ("divergences.pairwise", "gan.arena") if find_spec(m) is not None]
    names = set()
    for name in modules:
        module = importlib.import_module(name)
        names.update(f"{name}.{public}" for public in module.__all__)
    return names


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    cmd = [sys.executable, "-m", "sphinx", *SPHINX_FLAGS, "-q", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=docs_env(), capture_output=True, text=True)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr}\n{proc.stdout}"
    return out


def test_the_site_builds_without_warnings(html):
    for page in ("index", "migration", "conventions", "changelog", "wasserstein", "entropic", "fdiv",
                 "wdiv", "gan_qp", "relativistic", "dpp", "determinants", "spectral_norm", "gan", "gan_papers",
                 "testing", "gallery/index", "api/index"):
        assert (html / f"{page}.html").is_file(), page


def test_every_public_name_is_in_the_api_reference(html):
    documented = _inventory(html / "objects.inv")
    missing = sorted(_public_names() - documented)
    assert not missing, f"public names without an API entry: {missing}"


def test_the_changelog_page_shows_the_changelog(html):
    page = (html / "changelog.html").read_text()
    first_version = re.search(r"^## (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.M).group(1)
    assert first_version.split()[0] in page


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_each_example_ran_and_drew_a_figure(html, example):
    page = (html / "gallery" / f"{example}.html").read_text()
    figures = re.findall(rf'src="[^"]*sphx_glr_{example}_\d+\.png"', page)
    assert figures, f"{example}: no figure on its gallery page"
    for name in re.findall(rf"sphx_glr_{example}_\d+\.png", page):
        assert (html / "_images" / name).stat().st_size > 1000
    assert "sphx-glr-script-out" in page, f"{example}: no printed output"


class _Assets(HTMLParser):
    """The URLs a page loads by itself: scripts, stylesheets, preloads, images, fonts."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.urls.append(attrs["src"])
        rel = (attrs.get("rel") or "").split()
        if tag == "link" and attrs.get("href") and ({"stylesheet", "preload", "icon", "modulepreload"} & set(rel)):
            self.urls.append(attrs["href"])


def test_the_site_loads_nothing_from_the_network(html):
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)
    assert len(pages) > 20
    loaded = 0
    for page in pages:
        parser = _Assets()
        parser.feed(page.read_text())
        for url in parser.urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{page.relative_to(html)} loads {url}"
            assert (page.parent / parts.path).resolve().is_file(), f"{page.relative_to(html)}: {url} missing"
            loaded += 1
    assert loaded > 0
    for css in html.glob("_static/**/*.css"):
        remote = re.findall(r"(?:url\(|@import)\s*['\"]?(?:https?:)?//", css.read_text(errors="replace"))
        assert not remote, f"{css.relative_to(html)} fetches from the network"


def test_math_is_rendered_by_a_local_mathjax(html):
    page = (html / "wasserstein.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page)
    assert scripts and all("://" not in s for s in scripts), scripts
    assert (html / "wasserstein.html").parent.joinpath(scripts[0].split("?")[0]).is_file()
    # MathJax's CommonHTML output loads its fonts relative to its own script
    assert list((html / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert r"\langle" in page  # the TeX is there for MathJax to typeset
