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
  through QRAM (``f_model="qram"``, :class:`SparseAccessEncoding`, :class:`QRAMStatePrep`).
* :class:`QSVTInversion`: the real part of the QSVT 1/x polynomial of degree ``d``
  (:class:`~pennylane_qsgd.circuits.qsvt_solver.QSVTInverse`): ``d`` encoding calls, ``d + 1``
  ``MultiRZ`` and two Hadamards.
* :class:`DenseStatePrep` (Möttönen, as :class:`~pennylane_qsgd.circuits.state_prep.NormalizedStatePrep`
  reports) and :class:`QRAMStatePrep` (Kerenidis–Prakash tree over a QRAM).
* :class:`AmplifiedWindow`: ``2k + 1`` applications of preparation plus inversion and ``k``
  rounds of reflections (amplitude amplification of the success event, PNAS Lemma 5).
* :class:`QRAMQuery`: one bucket-brigade query, decomposed as ``qre.BBQRAM``.

Every class tracks under its own class name, so it can be kept as a leaf through ``gate_set``
(e.g. ``{"QRAMQuery"}`` counts queries). :func:`serial_depth` walks the same decompositions to give a
depth estimate (module :mod:`pennylane_qsgd.diagnostics.resources` states the model).
"""

from __future__ import annotations

from functools import lru_cache

import pennylane.estimator as qre
from pennylane.estimator.resource_operator import CompressedResourceOp, GateCount
from pennylane.exceptions import ResourcesUndefinedError
from pennylane.queuing import QueuingManager

from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.circuits.structured_gates import gate_counts as structured_gate_counts
from pennylane_qsgd.circuits.structured_plan import structured_layout

CLIFFORD_T = frozenset({"T", "CNOT", "Hadamard", "S", "X", "Y", "Z"})
"""Gate set of the T-counts: Clifford+T (Toffoli decomposed by ``pennylane.estimator``)."""

_DEFAULT_LEAVES = frozenset({"Toffoli", "T", "CNOT", "X", "Y", "Z", "S", "Hadamard"})


def _gc(rep: CompressedResourceOp, count: int) -> list[GateCount]:
    count = int(count)
    return [GateCount(rep, count)] if count > 0 else []


def _controlled(base: CompressedResourceOp, num_ctrl_wires: int = 1) -> CompressedResourceOp:
    """``base`` controlled on ``num_ctrl_wires`` wires (all on 1)."""
    return qre.resource_rep(
        qre.Controlled,
        {"base_cmpr_op": base, "num_ctrl_wires": int(num_ctrl_wires), "num_zero_ctrl": 0},
    )


def _mcx(controls: int) -> CompressedResourceOp:
    """``MultiControlledX`` on ``controls`` control wires (at least one)."""
    return qre.resource_rep(
        qre.MultiControlledX, {"num_ctrl_wires": max(int(controls), 1), "num_zero_ctrl": 0}
    )


class _ModelOp(qre.ResourceOperator):
    """Resource operator defined by keyword parameters only; tracked under its class name."""

    resource_keys: set = set()

    def __init__(self, wires=None, **params) -> None:
        missing = set(self.resource_keys) - set(params)
        extra = set(params) - set(self.resource_keys)
        if missing or extra:
            raise TypeError(
                f"{type(self).__name__} takes {sorted(self.resource_keys)}; missing "
                f"{sorted(missing)}, unexpected {sorted(extra)}"
            )
        self._params = dict(params)
        self.num_wires = self.wires_of(**params)
        super().__init__(wires=wires)

    @property
    def resource_params(self) -> dict:
        return dict(self._params)

    @classmethod
    def resource_rep(cls, **params) -> CompressedResourceOp:
        return CompressedResourceOp(cls, cls.wires_of(**params), params)

    @classmethod
    def tracking_name(cls, *args, **kwargs) -> str:
        return cls.__name__

    @classmethod
    def wires_of(cls, **params) -> int:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def resource_decomp(cls, **params) -> list[GateCount]:  # pragma: no cover
        raise NotImplementedError


# ----------------------------------------------------------------------------------------------
# QRAM and state preparation


class QRAMQuery(_ModelOp):
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


class DenseStatePrep(_ModelOp):
    """Möttönen preparation of an arbitrary state on ``num_wires`` qubits:
    :math:`2^n - 1` ``RY`` and ``RZ``, :math:`2^{n+1} - 4` ``CNOT`` (as ``NormalizedStatePrep``)."""

    resource_keys = {"num_wires"}

    @classmethod
    def wires_of(cls, num_wires: int) -> int:
        return int(num_wires)

    @classmethod
    def resource_decomp(cls, num_wires: int) -> list[GateCount]:
        n = int(num_wires)
        return (
            _gc(qre.resource_rep(qre.RY), 2**n - 1)
            + _gc(qre.resource_rep(qre.RZ), 2**n - 1)
            + _gc(qre.resource_rep(qre.CNOT), max(2 ** (n + 1) - 4, 0))
        )


class QRAMStatePrep(_ModelOp):
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
            out += _gc(QRAMQuery.resource_rep(num_words=2 ** (level - 1), word_bits=angle_bits), 2)
            out += _gc(rotation, angle_bits)
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
        rot = _controlled(qre.resource_rep(qre.RY), num_ctrl_wires + 1)
        return _gc(qre.resource_rep(qre.X), 2 * num_zero_ctrl) + cls._tree(
            p["size"], p["angle_bits"], rot
        )


class RHSPrep(_ModelOp):
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
        return _gc(_controlled(base), copies) + _gc(qre.resource_rep(qre.CH), time_qubits)


# ----------------------------------------------------------------------------------------------
# Block encodings


class DenseEncoding(_ModelOp):
    """Dense dilation of a matrix on ``num_wires`` qubits (one ``QubitUnitary``)."""

    resource_keys = {"num_wires"}

    @classmethod
    def wires_of(cls, num_wires: int) -> int:
        return int(num_wires)

    @classmethod
    def resource_decomp(cls, num_wires: int) -> list[GateCount]:
        return [GateCount(qre.resource_rep(qre.QubitUnitary, {"num_wires": int(num_wires)}), 1)]


class SparseAccessEncoding(_ModelOp):
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
            _gc(index, 2)
            + _gc(value, 2)
            + _gc(qre.resource_rep(qre.Hadamard), 2 * bits(row_sparsity))
        )

    @classmethod
    def resource_decomp(cls, rows, cols, row_sparsity, value_bits) -> list[GateCount]:
        return cls._queries(rows, cols, row_sparsity, value_bits) + _gc(
            qre.resource_rep(qre.CRY), value_bits
        )

    @classmethod
    def controlled_resource_decomp(
        cls, num_ctrl_wires: int, num_zero_ctrl: int, target_resource_params: dict | None = None
    ) -> list[GateCount]:
        """Only the value rotations take the control (the oracles compute and uncompute)."""
        p = target_resource_params or {}
        rot = _controlled(qre.resource_rep(qre.RY), num_ctrl_wires + 1)
        return (
            _gc(qre.resource_rep(qre.X), 2 * num_zero_ctrl)
            + cls._queries(**p)
            + _gc(rot, p["value_bits"])
        )


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


class CarlemanEulerEncoding(_ModelOp):
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
                rep = _mcx(key[1]) if key[1] else qre.resource_rep(qre.X)
            elif kind == "encode":
                rep = _controlled(small[key[1]], key[2])
            else:
                rep = _controlled(qre.resource_rep(qre.SWAP), key[1])
            out += _gc(rep, count)
        return out


# ----------------------------------------------------------------------------------------------
# Inversion and amplification


class QSVTInversion(_ModelOp):
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
        flag = _gc(_mcx(int(ancillas)), 2 * phases) if int(ancillas) > 1 else []
        return (
            _gc(qre.resource_rep(qre.Hadamard), 2)
            + _gc(qre.resource_rep(qre.MultiRZ, {"num_wires": 2}), phases)
            + flag
            + _gc(encoding, int(degree))
        )


class AmplifiedWindow(_ModelOp):
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
            _gc(prep, 2 * k + 1)
            + _gc(inversion, 2 * k + 1)
            + _gc(_mcx(int(flag_wires) - 1), k)
            + _gc(_mcx(n - 1), k)
        )


# ----------------------------------------------------------------------------------------------
# Counting


def gate_counts(rep: CompressedResourceOp, gate_set: set[str] | frozenset = CLIFFORD_T) -> dict:
    """``qre.estimate`` of one compressed operator: gate counts by name in ``gate_set``."""
    if not issubclass(rep.op_type, _ModelOp):
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
    actions = [] if rep.name in _DEFAULT_LEAVES else _decomp(rep)
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
    if rep.name in _DEFAULT_LEAVES:
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
    if rep.name in _DEFAULT_LEAVES:
        return 0
    return sum(
        int(a.count) * _leaf_count(a.gate, leaf) for a in _decomp(rep) if isinstance(a, GateCount)
    )


__all__ = [
    "CLIFFORD_T",
    "AmplifiedWindow",
    "CarlemanEulerEncoding",
    "DenseEncoding",
    "DenseStatePrep",
    "QRAMQuery",
    "QRAMStatePrep",
    "QSVTInversion",
    "RHSPrep",
    "SparseAccessEncoding",
    "bits",
    "gate_counts",
    "leaf_count",
    "qram_wires",
    "serial_depth",
    "structured_registers",
]
