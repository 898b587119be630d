"""Resource counts that the templates report without being decomposed.

Every template of this package has a ``resources()`` method returning a :class:`TemplateResources`:
logical qubits, calls to the block encoding of the system matrix, and a gate count by gate name
at the level of the template's own decomposition (a dense ``QubitUnitary`` counts as one gate on its
number of wires; it is not compiled further).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import pennylane as qml


def bits(n: int) -> int:
    """Qubits for ``n`` basis states: :math:`\\lceil\\log_2 n\\rceil` (0 for ``n = 1``)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be a positive count; got {n}")
    return (n - 1).bit_length()


@dataclass(frozen=True)
class TemplateResources:
    """Logical resources of one template.

    Attributes
    ----------
    logical_qubits : int
        Wires the template acts on (system, time, Carleman and ancilla registers).
    block_encoding_calls : int
        Calls to the block encoding of the system matrix (or its adjoint).
    gates : dict[str, int]
        Gate counts by name, block-encoding calls excluded.
    block_encoding : TemplateResources or None
        Resources of one block-encoding call, when the template calls one.
    notes : str
        What the numbers count, in words.
    """

    logical_qubits: int
    block_encoding_calls: int = 0
    gates: Mapping[str, int] = field(default_factory=dict)
    block_encoding: TemplateResources | None = None
    notes: str = ""

    def total_gates(self) -> dict[str, int]:
        """Gate counts with each block-encoding call expanded into its own gates."""
        total = Counter(self.gates)
        if self.block_encoding is not None:
            for name, count in self.block_encoding.total_gates().items():
                total[name] += self.block_encoding_calls * count
        return dict(total)

    def combined(self, other: TemplateResources, times: int = 1) -> TemplateResources:
        """Resources of ``self`` followed by ``times`` copies of ``other`` (same block encoding)."""
        gates = Counter(self.gates)
        for name, count in other.gates.items():
            gates[name] += times * count
        return TemplateResources(
            logical_qubits=max(self.logical_qubits, other.logical_qubits),
            block_encoding_calls=self.block_encoding_calls + times * other.block_encoding_calls,
            gates=dict(gates),
            block_encoding=self.block_encoding or other.block_encoding,
            notes=self.notes,
        )


def decomposition_resources(op: qml.operation.Operator, notes: str) -> TemplateResources:
    """``op``'s logical qubits and its decomposition counted as ``name(wires)`` gates."""
    with qml.QueuingManager.stop_recording():
        ops = op.decomposition()
    counts = Counter(f"{gate.name}({len(gate.wires)})" for gate in ops)
    return TemplateResources(logical_qubits=len(op.wires), gates=dict(counts), notes=notes)


__all__ = [
    "bits",
    "decomposition_resources",
    "TemplateResources",
]
