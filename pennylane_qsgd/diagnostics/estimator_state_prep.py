"""Resource operators of data loading: bucket-brigade QRAM queries and state preparations
(Möttönen, Kerenidis–Prakash trees, the solver's right-hand side :math:`|B\\rangle`)."""

from __future__ import annotations

import pennylane.estimator as qre
from pennylane.estimator.resource_operator import CompressedResourceOp, GateCount

from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.diagnostics.estimator_base import (
    ModelOp,
    WiresOp,
    controlled,
    controlled_ry,
    gate_count,
)


class QRAMQuery(ModelOp):
    """One bucket-brigade QRAM query of ``num_words`` words of ``word_bits`` bits (arXiv:0708.1879).

    Decomposed as ``qre.BBQRAM`` with half of the stored bits set. Wires: address
    :math:`a = \\lceil\\log_2 M\\rceil`, target ``word_bits``, bus and router tree
    :math:`1 + 3(2^a - 1)` (``qml.BBQRAM``'s layout).
    """

    resource_keys = {"num_words", "word_bits"}

    @classmethod
    def wires_of(cls, num_words: int, word_bits: int) -> int:
        a = max(bits(num_words), 1)
        return a + int(word_bits) + 1 + 3 * (2**a - 1)

    @classmethod
    def resource_decomp(cls, num_words: int, word_bits: int) -> list[GateCount]:
        a = max(bits(num_words), 1)
        rep = qre.resource_rep(
            qre.BBQRAM,
            {
                "num_bitstrings": 2**a,
                "size_bitstring": int(word_bits),
                "num_bit_flips": int(num_words) * int(word_bits) // 2,
                "num_wires": cls.wires_of(num_words, word_bits),
            },
        )
        return [GateCount(rep, 1)]

    @staticmethod
    def depth(num_words: int, word_bits: int) -> int:
        """Layers of one query: address in and out (:math:`2 \\cdot 2a`), bus down and up
        pipelined over the word (:math:`2a + w`)."""
        a = max(bits(num_words), 1)
        return 6 * a + int(word_bits)


class DenseStatePrep(WiresOp):
    """Möttönen preparation of an arbitrary state on ``num_wires`` qubits:
    :math:`2^n - 1` ``RY`` and ``RZ``, :math:`2^{n+1} - 4` ``CNOT`` (as ``NormalizedStatePrep``)."""

    @classmethod
    def resource_decomp(cls, num_wires: int) -> list[GateCount]:
        n = int(num_wires)
        return (
            gate_count(qre.resource_rep(qre.RY), 2**n - 1)
            + gate_count(qre.resource_rep(qre.RZ), 2**n - 1)
            + gate_count(qre.resource_rep(qre.CNOT), max(2 ** (n + 1) - 4, 0))
        )


class QRAMStatePrep(ModelOp):
    """Kerenidis–Prakash preparation of a real ``size``-vector stored in a QRAM tree
    (arXiv:1603.08675): for each level :math:`\\ell = 1..b` one query of the :math:`2^{\\ell-1}`
    rotation angles (``angle_bits`` bits), ``angle_bits`` controlled ``RY``, and the uncomputing
    query. Signs ride on the last level's angles."""

    resource_keys = {"size", "angle_bits"}

    @classmethod
    def wires_of(cls, size: int, angle_bits: int) -> int:
        return max(bits(size), 1) + int(angle_bits)

    @staticmethod
    def _tree(size: int, angle_bits: int, rotation: CompressedResourceOp) -> list[GateCount]:
        out = []
        for level in range(1, bits(size) + 1):
            out += gate_count(
                QRAMQuery.resource_rep(num_words=2 ** (level - 1), word_bits=angle_bits), 2
            )
            out += gate_count(rotation, angle_bits)
        return out

    @classmethod
    def resource_decomp(cls, size: int, angle_bits: int) -> list[GateCount]:
        return cls._tree(size, angle_bits, qre.resource_rep(qre.CRY))

    @classmethod
    def controlled_resource_decomp(
        cls, num_ctrl_wires: int, num_zero_ctrl: int, target_resource_params: dict | None = None
    ) -> list[GateCount]:
        """Only the rotations take the control; the queries compute and uncompute."""
        p = target_resource_params or {}
        flips, rot = controlled_ry(num_ctrl_wires, num_zero_ctrl)
        return flips + cls._tree(p["size"], p["angle_bits"], rot)


class RHSPrep(ModelOp):
    """Preparation of the Euler right-hand side :math:`|B\\rangle` from ``copies`` singly
    controlled preparations ``base`` of an ``s``-vector (one per copy of :math:`u_{\\rm in}` in
    :math:`y_{\\rm in}`, :math:`N(N+1)/2`, and one for :math:`F_0`) and ``time_qubits``
    controlled Hadamards (the uniform superposition over the Euler steps of the forcing part)."""

    resource_keys = {"base", "copies", "time_qubits"}

    @classmethod
    def wires_of(cls, base: CompressedResourceOp, copies: int, time_qubits: int) -> int:
        return int(copies) * base.num_wires + int(time_qubits)

    @classmethod
    def resource_decomp(cls, base, copies, time_qubits) -> list[GateCount]:
        return gate_count(controlled(base), copies) + gate_count(
            qre.resource_rep(qre.CH), time_qubits
        )


__all__ = ["DenseStatePrep", "QRAMQuery", "QRAMStatePrep", "RHSPrep"]
