"""Sphinx configuration of the pennylane-qsgd documentation.

Build (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The demo gallery executes every ``demos/<name>/demo.py``; add
``-D sphinx_gallery_conf.plot_gallery=0`` to render the demos without running them.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
from pathlib import Path

# Figures are drawn off-screen, in the docs build and in the demos it executes.
os.environ.setdefault("MPLBACKEND", "Agg")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

import pennylane_qsgd  # noqa: E402

# -- Project -------------------------------------------------------------------------------------

project = "pennylane-qsgd"
author = "pennylane-qsgd developers"
copyright = "2026, pennylane-qsgd developers"
release = pennylane_qsgd.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions ----------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "qsgd_cli",
    "qsgd_refs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "demos/*.ipynb", "demos/**/*.ipynb"]
root_doc = "index"
# Builds run offline: no inventories are fetched (intersphinx is not enabled).

# -- autodoc / autosummary / napoleon ------------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autosummary_ignore_module_all = True
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
autoclass_content = "class"
autodoc_inherit_docstrings = False

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = False
napoleon_use_rtype = False
napoleon_preprocess_types = False
napoleon_attr_annotations = False


def _shadowed_modules() -> list[str]:
    """Submodules hidden behind a re-export of the same name in their package.

    ``pennylane_qsgd.core`` re-exports the function ``dissipation`` from the module
    ``pennylane_qsgd.core.dissipation``, so the package attribute is the function and autosummary's
    recursive walk would document the function under the module's name. These modules get their
    pages here instead.
    """
    found = []
    for info in pkgutil.walk_packages(pennylane_qsgd.__path__, "pennylane_qsgd."):
        parent, _, leaf = info.name.rpartition(".")
        if leaf.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        if getattr(importlib.import_module(parent), leaf, module) is not module:
            found.append(info.name)
    return sorted(found)


def _module_stub(name: str) -> str:
    """The page of one module, in the layout of ``_templates/autosummary/module.rst``."""
    module = importlib.import_module(name)
    members = [
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and getattr(value, "__module__", None) == name
        and (inspect.isclass(value) or inspect.isfunction(value))
    ]
    title = name.replace("_", "\\_")
    lines = [title, "=" * len(title), "", f".. automodule:: {name}", "   :members:"]
    lines += ["   :ignore-module-all:", ""]
    if members:
        lines += ["   .. rubric:: Summary", "", "   .. autosummary::", "      :nosignatures:", ""]
        lines += [f"      {key}" for key in members]
    return "\n".join(lines) + "\n"


def _write_shadowed_pages(names: list[str]) -> None:
    out = DOCS / "api"
    out.mkdir(exist_ok=True)
    for name in names:
        path = out / f"{name}.rst"
        text = _module_stub(name)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


SHADOWED_MODULES = _shadowed_modules()
_write_shadowed_pages(SHADOWED_MODULES)
# The module template lists these in a plain toctree, so that autosummary does not generate a page
# for the re-exported function in their place.
autosummary_context = {"shadowed_modules": SHADOWED_MODULES}

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"pennylane-qsgd {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "description": "Quantum training of sparse models by Carleman linearisation",
    "fixed_sidebar": True,
    "page_width": "1180px",
    "sidebar_width": "240px",
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_show_sourcelink = False

# \Re as an upright "Re" (MathJax draws a Fraktur R by default).
mathjax3_config = {"tex": {"macros": {"Re": r"\operatorname{Re}"}}}

# -- Demo gallery --------------------------------------------------------------------------------
# One sub-section per demo folder: demos/<name>/demo.py (a sphinx-gallery script) beside its
# metadata.json. Every demo.py runs during the build, and an exception in one fails the build.

sphinx_gallery_conf = {
    "examples_dirs": ["../demos"],
    "gallery_dirs": ["demos"],
    "filename_pattern": r"demo\.py$",
    "ignore_pattern": r"[/\\](?!demo\.py$)[^/\\]+\.py$",
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "within_subsection_order": "FileNameSortKey",
    "subsection_order": "qsgd_gallery.demo_order",
    "nested_sections": False,
    "backreferences_dir": None,
    "download_all_examples": False,
    "write_computation_times": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
}
# Every demo is called demo.py (in its own folder), so sphinx-gallery's duplicate-name check is
# silenced; the folders keep the generated pages and their references distinct.
suppress_warnings = ["sphinx_gallery.duplicate_filename"]
