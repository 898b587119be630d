"""Static checks of the gallery demos (format, metadata, citations, imports).

The title and cell format is checked for every demo; the schema, citation and import rules for the
two demos that follow them to the letter.

The docs build executes the demos; these checks only parse them, so they cost milliseconds.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parents[1] / "demos"
ALL = sorted(path.parent.name for path in DEMOS.glob("*/demo.py"))
NAMES = ["carleman_linearisation", "qsvt_linear_solver"]

# Required fields and category names of PennyLane's demo metadata schema (version 0.1.8).
REQUIRED = {
    "title",
    "authors",
    "dateOfPublication",
    "dateOfLastModification",
    "categories",
    "tags",
    "previewImages",
    "seoDescription",
    "doi",
    "references",
    "basedOnPapers",
    "referencedByPapers",
    "relatedContent",
}
CATEGORIES = {
    "Algorithms",
    "Getting Started",
    "Optimization",
    "Quantum Machine Learning",
    "Quantum Chemistry",
    "Devices and Performance",
    "Quantum Computing",
    "Quantum Hardware",
    "How-to",
    "Compilation",
}
# The demos may use the package only through its public (sub)package namespaces.
PUBLIC_MODULES = {
    "pennylane_qsgd",
    "pennylane_qsgd.core",
    "pennylane_qsgd.circuits",
    "pennylane_qsgd.device",
    "pennylane_qsgd.optim",
    "pennylane_qsgd.diagnostics",
}
THIRD_PARTY = {"numpy", "scipy", "matplotlib", "pennylane", "torch"}


def _source(name: str) -> str:
    return (DEMOS / name / "demo.py").read_text(encoding="utf-8")


def _metadata(name: str) -> dict:
    return json.loads((DEMOS / name / "metadata.json").read_text(encoding="utf-8"))


def test_every_demo_folder_is_found():
    assert len(ALL) == 8 and set(NAMES) <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_docstring_opens_with_an_rst_title_matching_the_metadata(name):
    docstring = ast.get_docstring(ast.parse(_source(name)), clean=False)
    title, underline = docstring.splitlines()[:2]
    assert underline == "=" * len(title)
    assert _metadata(name)["title"] == title


@pytest.mark.parametrize("name", ALL)
def test_cells_are_separated_by_comment_blocks(name):
    separators = re.findall(r"^#{70,}$", _source(name), flags=re.MULTILINE)
    assert len(separators) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_metadata_has_the_schema_fields(name):
    meta = _metadata(name)
    assert REQUIRED <= set(meta)
    assert meta["authors"] and all("name" in a or "username" in a for a in meta["authors"])
    for key in ("dateOfPublication", "dateOfLastModification"):
        assert len(meta[key]) == 25
        datetime.fromisoformat(meta[key])
    assert meta["categories"] and set(meta["categories"]) <= CATEGORIES
    assert meta["previewImages"] and all("uri" in image for image in meta["previewImages"])
    assert {"10.1038/s41467-023-43957-x", "10.1073/pnas.2026805118"} <= set(meta["basedOnPapers"])
    for reference in meta["references"]:
        assert {"id", "type", "title", "authors", "year"} <= set(reference)
        assert re.fullmatch(r"(19|20)\d\d", reference["year"])


@pytest.mark.parametrize("name", NAMES)
def test_every_citation_is_defined_in_the_text_and_the_metadata(name):
    source = _source(name)
    cited = set(re.findall(r"\[#(\w+)\]_", source))
    defined = set(re.findall(r"^# \.\. \[#(\w+)\]$", source, flags=re.MULTILINE))
    listed = {reference["id"] for reference in _metadata(name)["references"]}
    assert {"liu2021", "liu2024"} <= cited
    assert cited == defined == listed


@pytest.mark.parametrize("name", NAMES)
def test_imports_only_the_public_api_and_allowed_packages(name):
    for node in ast.walk(ast.parse(_source(name))):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            if module.startswith("pennylane_qsgd"):
                assert module in PUBLIC_MODULES, module
            else:
                assert module.split(".")[0] in THIRD_PARTY, module
