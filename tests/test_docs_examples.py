"""Every ``.. code-block:: python`` of the user guide runs as written.

The blocks of one page run in order in one namespace, as a reader would paste them.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^\.\. code-block:: python\n((?:\n|   .*\n)+)", re.MULTILINE)


def python_blocks(page: Path) -> list[str]:
    return [textwrap.dedent(m.group(1)) for m in BLOCK.finditer(page.read_text())]


PAGES = [page for page in sorted(DOCS.glob("*.rst")) if python_blocks(page)]


def test_the_guide_has_examples():
    assert {p.name for p in PAGES} >= {"quickstart.rst", "device.rst", "optimizer.rst"}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    for index, code in enumerate(python_blocks(page)):
        exec(compile(code, f"{page.name}[{index}]", "exec"), namespace)
