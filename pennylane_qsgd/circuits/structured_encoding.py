"""Structured (LCU) block encoding of the Euler–Carleman matrix :math:`L`: a resource model.

Status: this module counts what the structured encoding the paper assumes (arXiv:2011.03185,
section 4 and Lemma 4's query model) costs, without building gates. The encoding now exists as a
circuit, :class:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredEulerEncoding`
(gates and a native kernel); the solver template still block-encodes :math:`L` densely
(:class:`~.DenseBlockEncoding`). The model's numbers are kept as they are (other reports use them)
and are an upper bound on the circuit's, which differs as follows:

* Terms: the model has one term per (level, factor) pair, :math:`N(N+1)/2` for :math:`F_1`; the
  circuit has one per factor (:math:`F_1` on factor ``i`` for all levels :math:`j \\ge i` at once):
  ``N`` for :math:`F_1`, ``N - 1`` for :math:`F_2`, ``N`` for :math:`F_0`. Its
  :math:`\\lambda = 2 + h(1 + 10^{-6})(N\\|F_1\\| + (N-1)\\|F_2\\| + N\\|F_0\\|)` is therefore
  smaller than the model's for :math:`N \\ge 2` (e.g. 2.70 against 3.28 for a random problem
  with ``s = N = 3``, ``m = p = 8``, ``T = 1``); for ``N = 1`` it is larger by the relative
  margin :math:`10^{-6}` of the circuit's small dilations.
* Qubits: the circuit uses two flags and one encoding ancilla instead of the model's ``t``
  comparator qubits, :math:`b = \\max(1, \\lceil\\log_2 s\\rceil)` (the model has ``b = 0`` for
  ``s = 1``), and :math:`\\lceil\\log_2(3N+1)\\rceil` index qubits (20 against 23 in the example).
* Gates: the circuit shares the time comparisons and the time increment among all terms
  (:math:`O(t \\log K)` gates instead of the model's :math:`O(K t)`), and counts multi-controlled X
  gates and controlled SWAPs by number of wires rather than by the model's kinds.

Construction counted
--------------------
Registers: time :math:`t = \\lceil\\log_2(m+p+1)\\rceil` qubits; Carleman level
:math:`\\lceil\\log_2 N\\rceil` qubits; ``N`` tensor factors of :math:`b = \\lceil\\log_2 s\\rceil`
qubits (level ``j`` occupies factors ``1..j``, the others in :math:`|0\\rangle`). Then

.. math::

    L = I - D' \\otimes I - h\\, D_m \\otimes A, \\qquad
    A = \\sum_{j=1}^{N}\\sum_{i=1}^{j} \\big(F_1^{(j,i)} + F_2^{(j,i)} + F_0^{(j,i)}\\big),

with :math:`D'` the time shift :math:`|k\\rangle\\langle k-1|` restricted to
:math:`k-1 < m+p` and :math:`D_m` to :math:`k-1 < m` (each an LCU of the cyclic increment and the
increment times a comparator sign: two unitaries), and the Kronecker-sum terms

* :math:`F_1^{(j,i)}`: :math:`F_1` on factor ``i`` at level ``j`` (:math:`N(N+1)/2` terms);
* :math:`F_2^{(j,i)}`: :math:`F_2` contracting factors ``i, i+1`` of level ``j+1`` into factor ``i``,
  then a cyclic shift of factors ``i+1..j+1`` (controlled SWAPs) and a level decrement
  (:math:`N(N-1)/2` terms);
* :math:`F_0^{(j,i)}`: a shift of factors ``i..j`` up, :math:`F_0` prepared in factor ``i``, level
  increment (:math:`N(N+1)/2 - 1` terms).

PREPARE loads :math:`\\sqrt{w_\\ell/\\lambda}` on :math:`\\lceil\\log_2(\\#\\text{terms})\\rceil` index
qubits with :math:`w = (1, 1, h\\alpha_{F_1}, \\dots)`, SELECT applies the terms controlled on the
index. The subnormalisation is :math:`\\lambda = \\sum_\\ell w_\\ell \\ge \\|L\\|`. With block
encodings of :math:`F_1, F_2, F_0` of cost :math:`c_F` (dense dilations here, sparse-access encodings
for sparse ``F``), one call costs
:math:`O(\\#\\text{terms}\\,(t + \\log N + N b + c_F))` gates: polylogarithmic in the dimension
:math:`(m+p+1)\\Delta` for fixed ``N``, as the paper assumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.circuits.resources import TemplateResources, bits
from pennylane_qsgd.core.bounds import forcing_norm, spectral_norm
from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.problem import PolynomialODE


@dataclass(frozen=True)
class StructuredEncodingModel:
    """Counts of the structured block encoding of :math:`L` (module docstring).

    Attributes
    ----------
    terms : dict[str, int]
        LCU terms by kind: ``identity``, ``shift``, ``F1``, ``F2``, ``F0``.
    weights : dict[str, float]
        Total LCU weight of each kind (:math:`\\sum w_\\ell`).
    subnormalisation : float
        :math:`\\lambda`, the block encoding's :math:`\\alpha`.
    system_qubits : dict[str, int]
        ``time``, ``level``, ``factors`` (``N * b``).
    ancilla_qubits : dict[str, int]
        ``lcu_index``, ``F_encoding`` (one dilation ancilla, shared), ``comparator`` (flag and work
        qubits of the time comparators).
    gates_per_call : dict[str, int]
        Gate counts of one call by kind (multi-controlled gates counted as one).
    dimension : int
        Dimension of the encoded system :math:`(m+p+1)\\Delta`.
    """

    terms: dict
    weights: dict
    subnormalisation: float
    system_qubits: dict
    ancilla_qubits: dict
    gates_per_call: dict
    dimension: int

    @property
    def num_terms(self) -> int:
        """Total LCU terms."""
        return int(sum(self.terms.values()))

    @property
    def logical_qubits(self) -> int:
        """System plus ancilla qubits."""
        return int(sum(self.system_qubits.values()) + sum(self.ancilla_qubits.values()))

    def resources(self) -> TemplateResources:
        """As a :class:`~.TemplateResources` of one block-encoding call."""
        return TemplateResources(
            logical_qubits=self.logical_qubits,
            gates=dict(self.gates_per_call),
            notes="structured LCU encoding of L (resource model; circuit: StructuredEulerEncoding)",
        )


def structured_encoding_model(
    problem: PolynomialODE, level: int, T: float, steps: int, idle: int
) -> StructuredEncodingModel:
    """Resource model of the LCU block encoding of :math:`L` (module docstring).

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Carleman level ``N``.
    T : float
        Evolution time; :math:`h = T/m`.
    steps, idle : int
        ``m`` and ``p``.

    Returns
    -------
    StructuredEncodingModel
    """
    N = as_count(level, "level")
    m = as_count(steps, "steps")
    p = as_count(idle, "idle", minimum=0)
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be a positive finite time; got {T!r}")
    h = T / m
    s = problem.size
    b = bits(s)
    t = max(bits(m + p + 1), 1)
    lev = bits(N)
    n1 = N * (N + 1) // 2
    n2 = N * (N - 1) // 2
    n0 = n1 - 1 if problem.F0.any() else 0
    terms = {"identity": 1, "shift": 1, "F1": n1, "F2": n2, "F0": n0}
    a1 = spectral_norm(problem.F1)
    a2 = spectral_norm(problem.F2)
    a0 = forcing_norm(problem)
    weights = {
        "identity": 1.0,
        "shift": 1.0,
        "F1": h * n1 * a1,
        "F2": h * n2 * a2,
        "F0": h * n0 * a0,
    }
    count = sum(terms.values())
    index = bits(count)
    pieces = problem.F0.shape[0]
    gates = {
        "PREPARE rotations": 2 * (2**index - 1),
        # Each term: its index decoded by a multi-controlled gate, twice (compute, uncompute).
        "index-controlled MCX": 2 * count,
        # Time increments: the shift term and every A term (D_m), each ~t MCX gates.
        "time increment MCX": (1 + n1 + n2 + n0) * t,
        # Comparators k-1 < m+p and k-1 < m, compute and uncompute: ~2t Toffoli-type gates each.
        "time comparator gates": (1 + n1 + n2 + n0) * 4 * t,
        "level increment MCX": (n2 + n0) * max(lev, 1),
        # Cyclic factor shifts: sum over (j, i) of (j - i) b-qubit SWAP layers, for F2 and F0.
        "controlled SWAP": b * sum((j - i) for j in range(1, N + 1) for i in range(1, j + 1)) * 2,
        f"controlled QubitUnitary({b + 1}) [F1]": n1,
        f"controlled QubitUnitary({2 * b + 1}) [F2]": n2,
        f"controlled StatePrep({b}) x {pieces} pieces [F0]": n0,
    }
    return StructuredEncodingModel(
        terms=terms,
        weights=weights,
        subnormalisation=float(sum(weights.values())),
        system_qubits={"time": t, "level": lev, "factors": N * b},
        ancilla_qubits={"lcu_index": index, "F_encoding": 1, "comparator": 1 + max(t - 1, 0)},
        gates_per_call={k: int(v) for k, v in gates.items() if v},
        dimension=(m + p + 1) * sum(s**j for j in range(1, N + 1)),
    )
