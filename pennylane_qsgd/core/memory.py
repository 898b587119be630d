"""A memory budget checked before any large array is allocated.

The Carleman dimension :math:`\\Delta = s + s^2 + \\dots + s^N` grows so quickly that an innocent
``level`` can ask for terabytes. Every builder in the core estimates its footprint first and calls
:func:`check_memory`, which refuses with a :class:`MemoryBudgetError` that says what was asked, what
is allowed and which argument to lower.

The limit is ``min(8 GiB, half of the available RAM)`` unless the environment variable
``QSGD_MEMORY_LIMIT`` sets it, in bytes or with a binary suffix (``"512M"``, ``"2G"``, ``"1.5T"``).
"""

from __future__ import annotations

import os
import re

ENV_VAR = "QSGD_MEMORY_LIMIT"
DEFAULT_CAP = 8 * 1024**3

_SUFFIXES = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.I)


class MemoryBudgetError(MemoryError):
    """Raised before an allocation that would exceed :func:`memory_limit_bytes`."""


def parse_bytes(text: str) -> int:
    """Parse a byte count such as ``"1073741824"``, ``"512M"``, ``"2G"`` or ``"1.5GiB"``.

    Suffixes are binary (``K`` = 1024). Raises ValueError for anything else.
    """
    match = _PATTERN.match(str(text))
    if match is None:
        raise ValueError(
            f"cannot read a byte count from {text!r}; use an integer number of bytes or a "
            "suffix K, M, G or T (e.g. '2G')"
        )
    value = float(match.group(1)) * _SUFFIXES[match.group(2).upper()]
    if value <= 0:
        raise ValueError(f"a memory limit must be positive; got {text!r}")
    return int(value)


def format_bytes(nbytes: float) -> str:
    """Human-readable binary units, e.g. ``format_bytes(3 * 2**30) == '3.00 GiB'``."""
    value = float(nbytes)
    if abs(value) < 1024:
        return f"{value:.0f} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if abs(value) < 1024:
            return f"{value:.2f} {unit}"
    return f"{value / 1024:.2f} PiB"


def available_memory_bytes() -> int:
    """Available RAM in bytes: ``MemAvailable`` of /proc/meminfo, else ``os.sysconf``.

    Returns ``DEFAULT_CAP * 2`` when neither source can be read, so that the default limit is the cap.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 2 * DEFAULT_CAP


def memory_limit_bytes() -> int:
    """The largest allocation the core will attempt, in bytes.

    ``QSGD_MEMORY_LIMIT`` when set (bytes, or with a suffix like ``2G``); otherwise
    ``min(8 GiB, available RAM / 2)``.
    """
    override = os.environ.get(ENV_VAR)
    if override is not None and override.strip():
        try:
            return parse_bytes(override)
        except ValueError as err:
            raise ValueError(f"environment variable {ENV_VAR}: {err}") from None
    return int(min(DEFAULT_CAP, available_memory_bytes() // 2))


def check_memory(nbytes: int, what: str, hint: str = "") -> None:
    """Refuse an allocation of about ``nbytes`` bytes if it exceeds :func:`memory_limit_bytes`.

    Parameters
    ----------
    nbytes : int
        Estimated bytes of the allocation (an upper bound is fine).
    what : str
        What would be built, e.g. ``"Carleman matrix (level 4, s = 2000)"``.
    hint : str, optional
        Which arguments to lower, appended to the message.

    Raises
    ------
    MemoryBudgetError
        With the estimate, the limit (both in human units) and the hint.
    """
    limit = memory_limit_bytes()
    if nbytes > limit:
        message = (
            f"{what} would need about {format_bytes(nbytes)}, above the memory limit of "
            f"{format_bytes(limit)} (set {ENV_VAR} to change it)."
        )
        if hint:
            message += f" {hint}"
        raise MemoryBudgetError(message)
