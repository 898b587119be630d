"""Custom :mod:`pennylane.estimator` resource operators of the gradient-flow solver.

Each class is a :class:`pennylane.estimator.ResourceOperator` whose ``resource_decomp`` lists the
gates of one subroutine; the structured encoding's list is the circuit's own (no formula typed
twice), so that ``qre.estimate`` reproduces their counts on small
instances and extrapolates them to windows far past simulation:

* :class:`DenseEncoding`: the dense dilation of :math:`L` (one ``QubitUnitary``), as built by the
  gates level (:class:`~pennylane_qsgd.circuits.block_encoding.DenseBlockEncoding`).
* :class:`CarlemanEulerEncoding`: the structured LCU block encoding of :math:`L`, the gates the
  circuit :class:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredEulerEncoding`
  decomposes into (counted by :func:`pennylane_qsgd.circuits.structured_gates.gate_counts`), with
  the small encodings of :math:`F_0, F_1, F_2` dense (``f_model="dense"``) or sparse-access
  through QRAM (``f_model="qram"``, :class:`SparseAccessEncoding`, :class:`~.estimator_state_prep.QRAMStatePrep`).
* :class:`QSVTInversion`: the real part of the QSVT 1/x polynomial of degree ``d``
  (:class:`~pennylane_qsgd.circuits.qsvt_solver.QSVTInverse`): ``d`` encoding calls, ``d + 1``
  ``MultiRZ`` and two Hadamards.
* :class:`~.estimator_state_prep.DenseStatePrep` (Möttönen, as :class:`~pennylane_qsgd.circuits.state_prep.NormalizedStatePrep`
  reports) and :class:`~.estimator_state_prep.QRAMStatePrep` (Kerenidis–Prakash tree over a QRAM).
* :class:`AmplifiedWindow`: ``2k + 1`` applications of preparation plus inversion and ``k``
  rounds of reflections (amplitude amplification of the success event, PNAS Lemma 5).
* :class:`~.estimator_state_prep.QRAMQuery`: one bucket-brigade query, decomposed as ``qre.BBQRAM``.

Every class tracks under its own class name (:class:`~.estimator_base.ModelOp`), so it can be kept
as a leaf through ``gate_set`` (e.g. ``{"QRAMQuery"}`` counts queries). The data-loading operators
live in :mod:`.estimator_state_prep`; :mod:`.estimator_counting` counts gates and walks the same
decompositions to give a depth estimate (module :mod:`pennylane_qsgd.diagnostics.resources`
states the model).
"""

from __future__ import annotations

import pennylane.estimator as qre
from pennylane.estimator.resource_operator import CompressedResourceOp, GateCount

from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.circuits.structured_gates import gate_counts as structured_gate_counts
from pennylane_qsgd.circuits.structured_plan import structured_layout
from pennylane_qsgd.diagnostics.estimator_base import (
    ModelOp,
    WiresOp,
    controlled,
    controlled_ry,
    gate_count,
    mcx,
)
from pennylane_qsgd.diagnostics.estimator_state_prep import (
    DenseStatePrep,
    QRAMQuery,
    QRAMStatePrep,
)

CLIFFORD_T = frozenset({"T", "CNOT", "Hadamard", "S", "X", "Y", "Z"})
"""Gate set of the T-counts: Clifford+T (Toffoli decomposed by ``pennylane.estimator``)."""

DEFAULT_LEAVES = frozenset({"Toffoli", "T", "CNOT", "X", "Y", "Z", "S", "Hadamard"})
"""Gates never decomposed further when walking decompositions (:mod:`.estimator_counting`)."""


class DenseEncoding(WiresOp):
    """Dense dilation of a matrix on ``num_wires`` qubits (one ``QubitUnitary``)."""

    @classmethod
    def resource_decomp(cls, num_wires: int) -> list[GateCount]:
        return [GateCount(qre.resource_rep(qre.QubitUnitary, {"num_wires": int(num_wires)}), 1)]


class SparseAccessEncoding(ModelOp):
    """Sparse-access block encoding of a ``rows x cols`` matrix with ``row_sparsity`` nonzeros per
    row stored in a QRAM (Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Lemma 48): column-index and
    value oracles and their inverses (4 queries over ``rows * row_sparsity`` words),
    :math:`2\\lceil\\log_2 d\\rceil` Hadamards, ``value_bits`` controlled ``RY`` loading the value."""

    resource_keys = {"rows", "cols", "row_sparsity", "value_bits"}

    @classmethod
    def wires_of(cls, rows: int, cols: int, row_sparsity: int, value_bits: int) -> int:
        return max(bits(rows), bits(cols)) + bits(row_sparsity) + int(value_bits) + 1

    @classmethod
    def _queries(cls, rows, cols, row_sparsity, value_bits) -> list[GateCount]:
        words = int(rows) * int(row_sparsity)
        index = QRAMQuery.resource_rep(num_words=words, word_bits=max(bits(cols), 1))
        value = QRAMQuery.resource_rep(num_words=words, word_bits=int(value_bits))
        return (
            gate_count(index, 2)
            + gate_count(value, 2)
            + gate_count(qre.resource_rep(qre.Hadamard), 2 * bits(row_sparsity))
        )

    @classmethod
    def resource_decomp(cls, rows, cols, row_sparsity, value_bits) -> list[GateCount]:
        return cls._queries(rows, cols, row_sparsity, value_bits) + gate_count(
            qre.resource_rep(qre.CRY), value_bits
        )

    @classmethod
    def controlled_resource_decomp(
        cls, num_ctrl_wires: int, num_zero_ctrl: int, target_resource_params: dict | None = None
    ) -> list[GateCount]:
        """Only the value rotations take the control (the oracles compute and uncompute)."""
        p = target_resource_params or {}
        flips, rot = controlled_ry(num_ctrl_wires, num_zero_ctrl)
        return flips + cls._queries(**p) + gate_count(rot, p["value_bits"])


def structured_registers(
    size: int,
    level: int,
    steps: int,
    idle: int,
    f_model: str = "dense",
    row_sparsity: int = 1,
    value_bits: int = 1,
) -> dict[str, int]:
    """Qubits of :class:`CarlemanEulerEncoding` by register: the circuit's own
    (:func:`~pennylane_qsgd.circuits.structured_plan.structured_layout`), plus the sparse-access
    register of ``f_model="qram"``."""
    regs = dict(structured_layout(size, level, steps, idle).widths)
    if f_model == "qram":
        regs["sparse_access"] = bits(row_sparsity) + int(value_bits)
    return regs


class CarlemanEulerEncoding(ModelOp):
    """Structured LCU block encoding of the Euler–Carleman matrix :math:`L` (one call).

    The gate list is the circuit's own,
    :func:`~pennylane_qsgd.circuits.structured_gates.gate_counts` (the tuples
    :class:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredEulerEncoding`
    decomposes into, counted without matrices): the two index preparations (Möttönen), the
    multi-controlled X of the flags and increments, the controlled SWAPs of the factor shifts and
    one controlled small encoding per term and forcing piece. ``f_model="dense"`` keeps the
    circuit's dense encodings of :math:`F_1, F_2` (``b + 1`` / ``2b + 1`` wires) and of
    :math:`|F_0\\rangle\\langle 0|`; ``f_model="qram"`` replaces them by
    :class:`SparseAccessEncoding` and :class:`QRAMStatePrep` (sparse access to ``F``).
    """

    resource_keys = {
        "size",
        "level",
        "steps",
        "idle",
        "forcing_pieces",
        "f_model",
        "row_sparsity",
        "value_bits",
    }

    @classmethod
    def wires_of(cls, size, level, steps, idle, f_model, row_sparsity, value_bits, **_) -> int:
        regs = structured_registers(size, level, steps, idle, f_model, row_sparsity, value_bits)
        return sum(regs.values())

    @classmethod
    def resource_decomp(
        cls, size, level, steps, idle, forcing_pieces, f_model, row_sparsity, value_bits
    ) -> list[GateCount]:
        b = max(bits(size), 1)
        if f_model == "dense":
            small = {
                "F1": DenseEncoding.resource_rep(num_wires=b + 1),
                "F2": DenseEncoding.resource_rep(num_wires=2 * b + 1),
                "F0": DenseEncoding.resource_rep(num_wires=b + 1),
            }
        elif f_model == "qram":
            s = int(size)
            access = dict(row_sparsity=row_sparsity, value_bits=value_bits)
            small = {
                "F1": SparseAccessEncoding.resource_rep(rows=s, cols=s, **access),
                "F2": SparseAccessEncoding.resource_rep(rows=s, cols=s * s, **access),
                "F0": QRAMStatePrep.resource_rep(size=s, angle_bits=value_bits),
            }
        else:
            raise ValueError(f"f_model must be 'dense' or 'qram'; got {f_model!r}")
        out = []
        for key, count in structured_gate_counts(size, level, steps, idle, forcing_pieces).items():
            kind = key[0]
            if kind in ("prep", "unprep"):
                rep = DenseStatePrep.resource_rep(num_wires=key[1])
            elif kind == "x":
                rep = mcx(key[1]) if key[1] else qre.resource_rep(qre.X)
            elif kind == "encode":
                rep = controlled(small[key[1]], key[2])
            else:
                rep = controlled(qre.resource_rep(qre.SWAP), key[1])
            out += gate_count(rep, count)
        return out


# ----------------------------------------------------------------------------------------------
# Inversion and amplification


class QSVTInversion(ModelOp):
    """Real part of the QSVT inversion, as :func:`~pennylane_qsgd.circuits.qsvt_inverter.qsvt_sequence`
    builds it: ``degree`` calls to ``encoding`` (or its adjoint, same cost), ``degree + 1``
    ``MultiRZ`` on two wires, two Hadamards; with ``ancillas > 1`` encoding ancillas, a flag wire
    computed and uncomputed by a ``MultiControlledX`` around every phase."""

    resource_keys = {"encoding", "degree", "ancillas"}

    @classmethod
    def wires_of(cls, encoding: CompressedResourceOp, degree: int, ancillas: int = 1) -> int:
        return encoding.num_wires + 1 + (1 if int(ancillas) > 1 else 0)

    @classmethod
    def resource_decomp(
        cls, encoding: CompressedResourceOp, degree: int, ancillas: int = 1
    ) -> list[GateCount]:
        phases = int(degree) + 1
        flag = gate_count(mcx(int(ancillas)), 2 * phases) if int(ancillas) > 1 else []
        return (
            gate_count(qre.resource_rep(qre.Hadamard), 2)
            + gate_count(qre.resource_rep(qre.MultiRZ, {"num_wires": 2}), phases)
            + flag
            + gate_count(encoding, int(degree))
        )


class AmplifiedWindow(ModelOp):
    """Amplitude amplification of the solver's success event with ``rounds = k``: ``2k + 1``
    applications of state preparation and inversion (:math:`U` or :math:`U^\\dagger`, same cost),
    ``k`` oracle reflections (``MultiControlledX`` on the ``flag_wires`` of the success condition)
    and ``k`` reflections about the initial state (``MultiControlledX`` on all other wires)."""

    resource_keys = {"prep", "inversion", "rounds", "flag_wires"}

    @classmethod
    def wires_of(cls, prep, inversion, rounds, flag_wires) -> int:
        return max(prep.num_wires, inversion.num_wires)

    @classmethod
    def resource_decomp(cls, prep, inversion, rounds, flag_wires) -> list[GateCount]:
        k = int(rounds)
        n = cls.wires_of(prep, inversion, rounds, flag_wires)
        return (
            gate_count(prep, 2 * k + 1)
            + gate_count(inversion, 2 * k + 1)
            + gate_count(mcx(int(flag_wires) - 1), k)
            + gate_count(mcx(n - 1), k)
        )


__all__ = [
    "CLIFFORD_T",
    "DEFAULT_LEAVES",
    "AmplifiedWindow",
    "CarlemanEulerEncoding",
    "DenseEncoding",
    "QSVTInversion",
    "SparseAccessEncoding",
    "structured_registers",
]
