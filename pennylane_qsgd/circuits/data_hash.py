"""Collision-free hashing for operations that carry large arrays.

``Operator.hash`` stringifies ``op.data``; NumPy summarises arrays of more than 1000 entries as
``[a b c ... x y z]``, so two operations whose arrays differ only in the middle hash alike and the
execution cache returns the wrong result. The templates of this package hash the full bytes instead.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
import pennylane as qml


def array_digest(*arrays: object) -> str:
    """SHA-1 hex digest of the dtypes, shapes and bytes of ``arrays`` (scalars allowed)."""
    digest = hashlib.sha1()
    for value in arrays:
        arr = np.ascontiguousarray(np.asarray(value))
        digest.update(str((arr.dtype.str, arr.shape)).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


class DigestCache:
    """Small least-recently-used cache keyed by strings (array digests, operation hashes).

    Keeps the work a template or kernel derives from ``op.data`` (dilations, Euler systems,
    eigendecompositions, prepared states) for the next call with the same data.

    Parameters
    ----------
    size : int
        Entries kept; the least recently used one is dropped beyond it.
    """

    _instances: ClassVar[list[weakref.ref]] = []

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.items: OrderedDict[str, object] = OrderedDict()
        DigestCache._instances.append(weakref.ref(self))

    @classmethod
    def clear_all(cls) -> None:
        """Forget every cached entry of every cache (benchmarks time cold runs with it)."""
        for ref in cls._instances:
            cache = ref()
            if cache is not None:
                cache.items.clear()

    def get(self, key: str, make: Callable[[], object]) -> object:
        """The value stored under ``key``, computed by ``make()`` and stored on a miss."""
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = make()
        self.items[key] = value
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


class FullDataHashMixin:
    """Mixin for :class:`pennylane.operation.Operator` subclasses: hash every byte of ``op.data``.

    Hyperparameters of the package's templates are small scalars and wire lists, so their string
    form is exact.
    """

    @property
    def hash(self) -> int:  # noqa: D401 - same contract as Operator.hash
        """int: Integer hash that uniquely represents the operator."""
        return hash(
            (
                str(self.name),
                tuple(self.wires.tolist()),
                str(tuple(self.hyperparameters.items())),
                array_digest(*self.data),
            )
        )


def queued(ops: Sequence) -> list:
    """Queue ``ops`` in order when recording (ops built with recording stopped), return them.

    Decompositions build operations with recording stopped, so that helpers and validation
    instances never leak into the tape, then queue exactly the returned list.
    """
    if qml.QueuingManager.recording():
        for op in ops:
            qml.apply(op)
    return list(ops)


__all__ = ["DigestCache", "FullDataHashMixin", "array_digest", "queued"]
