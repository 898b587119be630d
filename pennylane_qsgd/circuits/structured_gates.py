"""The gate list of one call of the structured encoding, as plain tuples, and its counts.

:func:`gate_specs` walks the SELECT plan of :mod:`.structured_plan`; the gate decomposition of
:class:`~.structured_block_encoding.StructuredEulerEncoding` builds one PennyLane operation per
tuple and :func:`gate_counts` counts them for any size without matrices (the
``pennylane.estimator`` operator :class:`~pennylane_qsgd.diagnostics.estimator_ops.CarlemanEulerEncoding`
wraps these counts), so the circuit and its counts cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from pennylane.wires import Wires

from pennylane_qsgd.circuits.structured_plan import (
    Cycle,
    Encode,
    Flip,
    StructuredLayout,
    dyadic_blocks,
    structured_layout,
)


def _value_bits(value: int, width: int) -> list[int]:
    return [(value >> (width - 1 - q)) & 1 for q in range(width)]


def _controls(wires, blocks: list[tuple[int, int]]) -> list[tuple[list, list[int]]]:
    """(control wires, control values) of each dyadic block on ``wires``."""
    return [(list(wires[:length]), _value_bits(prefix, length)) for prefix, length in blocks]


def gate_specs(layout: StructuredLayout, plan: tuple, wires) -> list[tuple]:
    """The gates of one call of the encoding, in order, as plain tuples (no matrices):

    ``("prep", wires)`` and ``("unprep", wires)`` (the two index preparations), ``("x", target,
    controls, values)``, ``("encode", kind, piece, wires, controls, values)``, ``("swap", (w1,
    w2), controls, values)``. The gate decomposition builds one operation per tuple and
    :func:`gate_counts` counts them, so the circuit and its counts cannot drift apart.
    """
    reg = layout.split(wires)
    k = layout.widths["index"]
    b = layout.factor_bits
    factors = [reg["factors"][q * b : (q + 1) * b] for q in range(layout.level)]
    index = list(reg["index"])
    specs: list[tuple] = [("prep", reg["index"])]
    for step in plan:
        if isinstance(step, Flip):
            rw = reg[step.register]
            for lo_i, hi_i in step.index:
                for ic, iv in _controls(index, dyadic_blocks(lo_i, hi_i, k)):
                    for lo, hi in step.fail:
                        for rc, rv in _controls(rw, dyadic_blocks(lo, hi, len(rw))):
                            specs.append(("x", reg[step.flag][0], ic + rc, iv + rv))
        elif isinstance(step, Encode):
            enc_wires = reg["f_ancilla"] + sum((factors[f] for f in step.factors), Wires([]))
            c, v = index, _value_bits(step.index, k)
            time = reg["time"]
            for piece, intervals in step.pieces:
                for lo, hi in intervals:
                    for tc, tv in _controls(time, dyadic_blocks(lo, hi, len(time))):
                        specs.append(("encode", step.kind, piece, enc_wires, c + tc, v + tv))
        elif isinstance(step, Cycle):
            pairs = (
                range(step.last - 1, step.first - 1, -1)
                if step.up
                else range(step.first, step.last)
            )
            v = _value_bits(step.index, k)
            for q in pairs:
                for w1, w2 in zip(factors[q], factors[q + 1], strict=True):
                    specs.append(("swap", (w1, w2), index, v))
        else:  # Increment
            rw = list(reg[step.register])
            bit = 1 if step.delta > 0 else 0
            for lo_i, hi_i in step.index:
                for ic, iv in _controls(index, dyadic_blocks(lo_i, hi_i, k)):
                    for q in range(len(rw)):
                        lower = rw[q + 1 :]
                        specs.append(("x", rw[q], ic + lower, iv + [bit] * len(lower)))
    specs.append(("unprep", reg["index"]))
    return specs


def gate_counts(
    size: int, level: int, steps: int, idle: int, forcing_pieces: int = 1
) -> dict[tuple, int]:
    """Counts of :func:`gate_specs` for a window of these sizes (no matrices, any ``s``).

    Keys: ``("prep", k)``, ``("unprep", k)``, ``("x", controls)``, ``("encode", kind,
    controls)``, ``("swap", controls)``. ``forcing_pieces`` contiguous pieces of equal length.
    """
    layout = structured_layout(size, level, steps, idle)
    t = layout.widths["time"]
    bounds = np.linspace(0, steps, int(forcing_pieces) + 1).round().astype(int)
    schedule = tuple(
        (
            q,
            (
                (
                    int(bounds[q]) if q else 0,
                    2**t if q == forcing_pieces - 1 else int(bounds[q + 1]),
                ),
            ),
        )
        for q in range(int(forcing_pieces))
    )
    counts: dict[tuple, int] = {}
    for spec in gate_specs(layout, layout.plan(schedule), range(layout.num_wires)):
        kind = spec[0]
        if kind in ("prep", "unprep"):
            key = (kind, len(spec[1]))
        elif kind == "encode":
            key = (kind, spec[1], len(spec[4]))
        else:
            key = (kind, len(spec[2]))
        counts[key] = counts.get(key, 0) + 1
    return counts


__all__ = ["gate_counts", "gate_specs"]
