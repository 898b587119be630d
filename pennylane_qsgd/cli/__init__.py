"""The ``qsgd`` command: one sub-command per main job."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Sub-command modules, each with ``add_parser(subparsers)`` and ``run(args) -> int``.
_COMMANDS = ("carleman", "spectrum", "train", "resources")


def add_data_device_arguments(
    parser: argparse.ArgumentParser, data_choices: Sequence[str]
) -> argparse.ArgumentParser:
    """Add ``--data``, ``--data-root``, ``--download``, ``--device`` and ``--pretrained``.

    The options every job on the paper's models shares: which data set (``data_choices``, the
    real CIFAR sets read from ``--data-root``), where the torch work runs, and a user's
    ``state_dict`` to start from. Values are plain strings (``None`` when not given), resolved
    by the job.
    """
    parser.add_argument(
        "--data",
        choices=tuple(data_choices),
        default=None,
        help="data set (default: digits for mlp, generated CIFAR-shaped images for the ResNets)",
    )
    parser.add_argument(
        "--data-root",
        default=None,
        metavar="PATH",
        help="folder holding cifar-100-python/ or cifar-10-batches-py/ (python release)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="let torchvision download the CIFAR release into --data-root if it is missing",
    )
    parser.add_argument(
        "--device",
        default=None,
        metavar="{cpu,cuda,cuda:N}",
        help="torch device (default: cuda when available, else cpu)",
    )
    parser.add_argument(
        "--pretrained",
        default=None,
        metavar="PATH",
        help="state_dict of the unpruned architecture to start from (skips pre-training)",
    )
    return parser


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
