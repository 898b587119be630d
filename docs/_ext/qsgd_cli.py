"""Sphinx directive ``qsgd-help``: the ``--help`` text of the ``qsgd`` command, read at build time.

``.. qsgd-help::`` renders the top-level help; ``.. qsgd-help:: train`` that of a sub-command. The
text comes from :func:`pennylane_qsgd.cli.build_parser`, so the page cannot drift from the code.
"""

from __future__ import annotations

import argparse
import os

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

HELP_WIDTH = "92"


def _help_text(command: str | None) -> str:
    from pennylane_qsgd.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps to the terminal width
    try:
        parser = build_parser()
        if command is None:
            return parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) and command in action.choices:
                return action.choices[command].format_help()
        raise ValueError(f"qsgd has no sub-command {command!r}")
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


class QsgdHelp(SphinxDirective):
    """A literal block holding ``qsgd [COMMAND] --help``."""

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0] if self.arguments else None
        try:
            text = _help_text(command)
        except ValueError as err:
            raise self.error(str(err)) from err
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app: Sphinx) -> dict:
    app.add_directive("qsgd-help", QsgdHelp)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
