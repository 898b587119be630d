"""Atomic file writes: a reader (or a resumed run) sees the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def _atomic(path: str | Path, write) -> Path:
    """Write through ``write(fh)`` into a temporary file of the same folder, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic on POSIX within one file system
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    return _atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    return _atomic(path, lambda fh: fh.write(data))


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """``torch.save(obj, path)`` atomically; returns the path."""
    return _atomic(path, lambda fh: torch.save(obj, fh))


def torch_load(path: str | Path) -> Any:
    """Load a checkpoint written by :func:`atomic_torch_save` onto the CPU.

    ``weights_only=True``: checkpoints hold tensors, numbers, strings, lists and dicts only.
    """
    return torch.load(Path(path), map_location="cpu", weights_only=True)
