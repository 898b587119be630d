"""What to suggest when a batch does not fit in the device's memory."""

from __future__ import annotations

from collections.abc import Callable

import torch


class DeviceMemoryError(RuntimeError):
    """A batch too large for the device, with the largest batch that fitted."""


def largest_fitting_batch(try_batch: Callable[[int], None], upper: int, multiple: int = 1) -> int:
    """Largest multiple of ``multiple`` below ``upper`` for which ``try_batch`` does not run out
    of memory (``torch.OutOfMemoryError``), 0 if none does.

    Halves from ``upper`` until a batch fits, then bisects between the last fit and the last
    failure (about ``2 log2(upper)`` calls at most).

    Parameters
    ----------
    try_batch : callable
        ``b -> None``; does the work at batch ``b`` and raises ``torch.OutOfMemoryError`` when
        it does not fit.
    upper : int
        A batch known not to fit.
    multiple : int
        Batches are multiples of this (the world size of a data-parallel run).
    """

    def fits(b: int) -> bool:
        try:
            try_batch(b)
            return True
        except torch.OutOfMemoryError:
            return False
        finally:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    bad = int(upper)
    good = 0
    b = (bad // 2) // multiple * multiple
    while b >= multiple:
        if fits(b):
            good = b
            break
        bad, b = b, (b // 2) // multiple * multiple
    if good == 0:
        return 0
    while bad - good > multiple:
        mid = (good + bad) // 2 // multiple * multiple
        if mid <= good:
            break
        if fits(mid):
            good = mid
        else:
            bad = mid
    return good
