"""Sphinx configuration: theory pages in MyST Markdown, the API reference from the
numpy-style docstrings, a sphinx-gallery of examples run at build time. The site works
offline: no intersphinx, MathJax served from the build's own _static folder
(sphinx-mathjax-offline ships it), the theme's assets are local. Warnings are errors,
and nitpicky mode makes every unresolved API link fail the build:

    pip install torch==2.13.0 && pip install -e ".[docs]"
    python -m sphinx -W --keep-going -n -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

# The gallery's problems are small: BLAS threads only add start-up and contention on a
# shared machine (a 400 x 400 eigh took 100 times longer with them under load). Set
# before anything imports NumPy; an explicit setting of the caller's wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

project = "divergences"
author = "the divergences developers"
copyright = "the divergences developers"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # copies MathJax 3 into _static and points mathjax_path at it (no CDN)
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "build", "Thumbs.db", ".DS_Store", "examples",
                    # sphinx-gallery's own by-products, not pages
                    "gallery/*.ipynb", "gallery/*.py", "gallery/*.zip", "gallery/*.json",
                    "gallery/*.codeobj.json", "gallery/sg_execution_times.rst"]

# MyST: $...$ and $$...$$ math, amsmath environments, anchors for headings down to ###
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# numpy-style docstrings. Attributes become attribute entries (link targets); a
# "Methods" section lists the methods documented below it, so it is rendered as a
# field list rather than as a second description of each method.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_param = False
napoleon_use_rtype = False
napoleon_use_ivar = False
napoleon_custom_sections = [("Methods", "params_style")]

# Signatures without annotations: the Parameters sections give the types in words
# (array shapes, callables), and the aliases (Array = Any) would read as Any.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}

# The types of Attributes entries are words and shapes ("array (n, m)", "callable",
# "0-D", "(K, 2)"), which the Python domain turns into class references: they start in
# lower case or are one letter, and have no dots, unlike this project's classes,
# whose references must resolve.
nitpick_ignore_regex = [("py:class", r"[a-z0-9][^.]*|[A-Z]")]

# The examples in docs/examples run at every build and their figures land in
# docs/gallery (generated, not committed). Every .py file is an example; each keeps to
# small sizes so that the whole build stays within a minute on two cores.
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "gallery",
    "filename_pattern": r"\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "write_computation_times": False,
    "show_signature": False,
    "min_reported_time": 3600,
    "reset_modules": ("matplotlib",),
}

# pydata-sphinx-theme, as SciPy and POT use. Its icons and fonts are bundled; no
# analytics, no remote switcher, no external icon links.
html_theme = "pydata_sphinx_theme"
html_title = "divergences"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # the page titles are long: a few in the header, the rest under "More"
    "header_links_before_dropdown": 3,
    "navbar_persistent": ["search-button"],
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The theme's own sidebar lists only the pages below the current top-level one, which
# leaves it empty on the theory pages; the whole table of contents serves every page.
html_sidebars = {"**": ["sitetoc.html"], "index": []}
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["custom.css"]
