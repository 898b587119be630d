"""Counting with the operators of :mod:`.estimator_ops`: gate counts in a gate set, a serial depth
estimate, QRAM sizes and leaf counts, all by walking their ``resource_decomp``."""

from __future__ import annotations

from functools import lru_cache

import pennylane.estimator as qre
from pennylane.estimator.resource_operator import CompressedResourceOp, GateCount
from pennylane.exceptions import ResourcesUndefinedError
from pennylane.queuing import QueuingManager

from pennylane_qsgd.diagnostics.estimator_base import ModelOp
from pennylane_qsgd.diagnostics.estimator_ops import CLIFFORD_T, DEFAULT_LEAVES
from pennylane_qsgd.diagnostics.estimator_state_prep import QRAMQuery


def gate_counts(rep: CompressedResourceOp, gate_set: set[str] | frozenset = CLIFFORD_T) -> dict:
    """``qre.estimate`` of one compressed operator: gate counts by name in ``gate_set``."""
    if not issubclass(rep.op_type, ModelOp):
        raise TypeError(f"rep must be one of this module's operators; got {rep.name}")
    with QueuingManager.stop_recording():
        op = rep.op_type(**rep.params)
    return dict(qre.estimate(op, gate_set=set(gate_set)).gate_counts)


def _decomp(rep: CompressedResourceOp) -> list:
    """The decomposition of ``rep`` by its operator's public ``resource_decomp`` (none for
    leaves such as rotations, whose cost depends on a precision)."""
    try:
        return list(rep.op_type.resource_decomp(**rep.params))
    except (ResourcesUndefinedError, TypeError, ValueError, KeyError):
        return []


@lru_cache(maxsize=4096)
def serial_depth(rep: CompressedResourceOp) -> int:
    """Depth estimate: every Clifford+T/Toffoli gate after decomposition in its own layer (a
    serial upper bound), each :class:`QRAMQuery` :meth:`QRAMQuery.depth` layers (its routers work
    in parallel)."""
    if rep.op_type is QRAMQuery:
        return QRAMQuery.depth(**rep.params)
    actions = [] if rep.name in DEFAULT_LEAVES else _decomp(rep)
    if not actions:
        return 1
    total = 0
    for action in actions:
        if isinstance(action, GateCount):
            total += int(action.count) * serial_depth(action.gate)
    return int(total)


def qram_wires(rep: CompressedResourceOp) -> int:
    """Qubits of the largest :class:`QRAMQuery` in ``rep``'s decomposition (0 if none)."""
    if rep.op_type is QRAMQuery:
        return rep.num_wires
    if rep.name in DEFAULT_LEAVES:
        return 0
    found = [qram_wires(a.gate) for a in _decomp(rep) if isinstance(a, GateCount)]
    return int(max(found, default=0))


def leaf_count(rep: CompressedResourceOp, leaf: type) -> int:
    """How many ``leaf`` operators ``rep`` decomposes into (e.g. ``QRAMQuery`` queries)."""
    return int(_leaf_count(rep, leaf))


@lru_cache(maxsize=4096)
def _leaf_count(rep: CompressedResourceOp, leaf: type) -> int:
    if rep.op_type is leaf:
        return 1
    if rep.name in DEFAULT_LEAVES:
        return 0
    return sum(
        int(a.count) * _leaf_count(a.gate, leaf) for a in _decomp(rep) if isinstance(a, GateCount)
    )


__all__ = ["gate_counts", "leaf_count", "qram_wires", "serial_depth"]
