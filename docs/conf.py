"""Sphinx configuration: theory pages in MyST Markdown, the API reference from the
numpy-style docstrings. Offline (no intersphinx), warnings are errors, and nitpicky
mode makes every unresolved API link fail the build:

    python -m sphinx -W --keep-going -n -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

project = "divergences"
author = "the divergences developers"
copyright = "the divergences developers"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "build", "Thumbs.db", ".DS_Store"]

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

html_theme = "alabaster"
html_title = "divergences"
