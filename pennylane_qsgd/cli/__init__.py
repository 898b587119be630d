"""The ``qsgd`` command: one sub-command per main job."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Sub-command modules, each with ``add_parser(subparsers)`` and ``run(args) -> int``.
_COMMANDS = ("carleman", "spectrum", "train", "resources")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``qsgd`` with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="qsgd",
        description="Quantum training by Carleman linearisation: the jobs of pennylane-qsgd.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"pennylane_qsgd.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"pennylane_qsgd.cli.{name}":
                raise
            continue
        sub = module.add_parser(subparsers)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qsgd`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
