"""Structured (LCU) block encoding of the Euler–Carleman matrix :math:`L` as a circuit.

The forward-Euler matrix of :func:`pennylane_qsgd.core.euler.euler_system` (equations (4.8)-(4.10)
of arXiv:2011.03185) is

.. math::

    L = I - D' \\otimes I - h\\, D_m \\otimes A, \\qquad
    A = \\sum_{i=1}^{N} [\\,j \\ge i\\,] F_1^{(i)}
      + \\sum_{i=1}^{N-1} [\\,j \\ge i\\,] F_2^{(i)}
      + \\sum_{i=1}^{N} [\\,j \\ge i\\,] F_0^{(i)},

with :math:`D' = \\sum_{k=1}^{m+p} |k\\rangle\\langle k-1|`, :math:`D_m = \\sum_{k=1}^{m}
|k\\rangle\\langle k-1|`, and the Kronecker-sum blocks of :mod:`pennylane_qsgd.core.carleman`
regrouped by tensor factor ``i``: :math:`F_1^{(i)}` is :math:`F_1` on factor ``i`` of every
level :math:`j \\ge i`; :math:`F_2^{(i)}` contracts factors ``i, i+1`` of a level ``j+1`` vector
into factor ``i`` (levels :math:`j \\ge i`); :math:`F_0^{(i)}` inserts :math:`F_0` as factor ``i``
of a level ``j`` vector built from level ``j-1`` (:math:`2 \\le j`, :math:`i \\le j`). One LCU
term per factor, not per (level, factor) pair.

Registers (wire order of :class:`StructuredEulerEncoding`, all ancillas first)
------------------------------------------------------------------------------
``index`` (:math:`\\lceil\\log_2 K\\rceil` qubits, ``K`` LCU terms), ``time_flag``, ``level_flag``,
``f_ancilla`` (the ancilla of the small :class:`~.DenseBlockEncoding` of :math:`F_0, F_1, F_2`),
``time`` (:math:`t = \\lceil\\log_2(m+p+1)\\rceil`), ``level`` (:math:`\\lceil\\log_2 N\\rceil`,
holding ``j - 1``), then ``N`` factors of :math:`b = \\max(1, \\lceil\\log_2 s\\rceil)` qubits.
Level ``j``'s vector (``np.kron`` order) sits in factors ``1..j``, factors ``j+1..N`` in
:math:`|0\\rangle` (:func:`structured_embedding`). The valid subspace: time :math:`< m+p+1`,
level :math:`< N`, unused factors zero, padded coordinates (:math:`\\ge s`) zero.

Terms (each a unitary; a flag is flipped where the term must vanish), in index order
------------------------------------------------------------------------------------
* identity, weight 1: :math:`I`.
* shift, weight 1: time increment; time flag if :math:`k \\ge m+p`.
* ``F1, i`` (``i = 1..N``), weight :math:`h\\alpha_1`: the :math:`F_1` encoding on factor ``i``;
  level flag unless :math:`i-1 \\le j-1 < N`; time increment, time flag if :math:`k \\ge m`.
* ``F2, i`` (``i = 1..N-1``), weight :math:`h\\alpha_2`: the :math:`F_2` encoding on factors
  ``i, i+1`` (result in ``i``, factor ``i+1`` left in :math:`|0\\rangle`); cyclic shift of factors
  ``i+1..N`` down (the emptied factor goes last); level decrement; level flag unless
  :math:`i \\le j-1 < N`; time as for ``F1``.
* ``F0, i`` (``i = 1..N``, only for :math:`N \\ge 2`), weight :math:`h\\alpha_0`: cyclic shift of
  factors ``i..N`` up (the empty last factor comes to ``i``); the :math:`|F_0\\rangle\\langle 0|`
  encoding on factor ``i``; level increment; level flag unless :math:`i-2 \\le j-1 \\le N-2`; time
  as for ``F1``.

:math:`\\alpha_F = (1 + 10^{-6})\\|F\\|_2` for :math:`F = F_1, F_2, F_0` (:data:`~.structured_weights.DILATION_MARGIN`;
zero matrices are encoded with subnormalisation 1 and weight 0, so the registers depend only on
``(s, N, m, p)``). The non-identity terms carry the sign
``-1``, which is folded into the left preparation:
:math:`U = \\text{PREP}_L^\\dagger\\, \\text{SELECT}\\, \\text{PREP}_R` with
:math:`\\text{PREP}_R|0\\rangle = \\sum_\\ell \\sqrt{w_\\ell/\\lambda}|\\ell\\rangle`,
:math:`\\text{PREP}_L|0\\rangle = \\sum_\\ell \\sigma_\\ell\\sqrt{w_\\ell/\\lambda}|\\ell\\rangle`,
so (Childs–Wiebe LCU; Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Lemma 52)

.. math::

    (\\langle 0|_{\\rm anc} \\otimes I)\\, U\\, (|0\\rangle_{\\rm anc} \\otimes I)
    \\big|_{\\rm valid} = L / \\lambda, \\qquad
    \\lambda = 2 + h\\big(N\\alpha_1 + (N-1)\\alpha_2 + N\\alpha_0\\big) \\ge \\|L\\|_2,

(no :math:`F_0` terms for ``N = 1``, where the forcing is part of ``B`` only), and the block maps the valid subspace into itself and the invalid subspace into itself. The time
conditions and the time increment are shared by all terms (controlled on dyadic intervals of index
values), so one call costs :math:`O(t \\log K)` multi-controlled X gates on the time register,
:math:`O(N^2 b)` controlled SWAPs, :math:`O(N \\log N)` gates on the level register, ``K``
controlled dense encodings of :math:`2^{b+1}` or :math:`2^{2b+1}` entries and two
:math:`\\lceil\\log_2 K\\rceil`-qubit state preparations: polylogarithmic in the dimension
:math:`(m+p+1)\\Delta` for fixed ``N``; doubling ``m + p + 1`` adds one qubit.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pennylane as qml
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.data_hash import queued
from pennylane_qsgd.circuits.encoding import EulerEncoding, register_encoding, unpack_problem
from pennylane_qsgd.circuits.solver_policy import euler_twin
from pennylane_qsgd.circuits.structured_gates import gate_specs
from pennylane_qsgd.circuits.structured_plan import (
    ANCILLA_REGISTERS,
    structured_embedding,
    structured_layout,
)
from pennylane_qsgd.circuits.structured_twin import (
    apply_structured_unitary,
    euler_products,
    structured_digest,
    structured_parts,
)
from pennylane_qsgd.circuits.structured_weights import (
    factor_norms,
    lcu_weights,
    prepare_vectors,
)


class StructuredEulerEncoding(EulerEncoding):
    """Block encoding of the Euler–Carleman matrix :math:`L` by an LCU of structured terms.

    :math:`(\\langle 0|_{\\rm anc} \\otimes I) U (|0\\rangle_{\\rm anc} \\otimes I)` restricted to
    the valid subspace (:func:`~.structured_plan.structured_embedding`) equals :math:`L/\\lambda`
    with ``L`` from :func:`~pennylane_qsgd.core.euler.euler_system` and :math:`\\lambda` =
    :attr:`alpha` (module docstring). Cost polylogarithmic in the dimension for fixed ``N``; the
    small matrices :math:`F_0, F_1, F_2` are encoded densely on one (two for :math:`F_2`) factors.

    Parameters
    ----------
    problem, T, carleman_level, steps, idle, wires
        As :class:`~.EulerEncoding`; registers in the order of
        :data:`~.structured_plan.REGISTERS`.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.1, 0.0], F1=-np.eye(2), F2=np.zeros((2, 4)), u_in=[0.3, 0.1])
    >>> n = StructuredEulerEncoding.num_wires_for(2, 2, 2, 1)
    >>> op = StructuredEulerEncoding(problem, 1.0, 2, 2, 1, wires=range(n))
    >>> round(op.alpha, 4)  # 2 + h (1 + 1e-6) (N ||F1|| + N ||F0||), h = 0.5
    3.1
    """

    ancilla_registers: ClassVar[tuple[str, ...]] = ANCILLA_REGISTERS

    @classmethod
    def register_widths(cls, size, carleman_level, steps, idle) -> dict:  # noqa: D102
        return dict(structured_layout(size, carleman_level, steps, idle).widths)

    @classmethod
    def embedding_for(cls, size, carleman_level, steps, idle) -> np.ndarray:  # noqa: D102
        return structured_embedding(size, carleman_level, steps, idle)

    @property
    def weights(self) -> np.ndarray:
        """LCU weights :math:`w_\\ell` in index order (from the norms of :math:`F_0, F_1, F_2`)."""
        hp = self.hyperparameters
        problem = self.problem
        lay = structured_layout(problem.size, hp["carleman_level"], hp["steps"], hp["idle"])
        return lcu_weights(lay, hp["T"], factor_norms(problem, lay))

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\lambda = \\sum_\\ell w_\\ell`."""
        return float(np.sum(self.weights))

    def apply_unitary(self, state: np.ndarray, adjoint: bool = False) -> np.ndarray:  # noqa: D102
        flat = state.reshape(-1, state.shape[-1])
        out = apply_structured_unitary(
            self.problem, self.hyperparameters, structured_digest(self.data), flat, adjoint
        )
        return out.reshape(state.shape)

    def block_products(self) -> tuple:
        """``(apply, apply_adjoint)`` of :math:`L/\\lambda` factor by factor
        (:func:`~.structured_twin.euler_products`): the terms of this encoding applied to the
        core's coordinates, never forming :math:`L` (sparse products while the policy forms it)."""
        hp = self.hyperparameters
        twin = euler_twin(self.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"])
        if twin.L is not None:
            return super().block_products()
        apply, apply_adjoint = euler_products(
            self.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"]
        )
        scale = 1.0 / self.alpha
        return (lambda x: scale * apply(x)), (lambda x: scale * apply_adjoint(x))

    @staticmethod
    def compute_decomposition(*data, wires: Wires, **hyperparameters) -> list:
        """PREP_R, the SELECT steps (multi-controlled X, controlled dilations and SWAPs),
        PREP_L^dagger."""
        hp = hyperparameters
        problem = unpack_problem(data)
        lay, plan, mats, w = structured_parts(
            problem, hp["T"], hp["carleman_level"], hp["steps"], hp["idle"]
        )
        with qml.QueuingManager.stop_recording():
            ops = _gates(lay, plan, prepare_vectors(w, lay.widths["index"]), mats, Wires(wires))
        return queued(ops)

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        s, N = np.shape(self.data[7])[0], self.hyperparameters["carleman_level"]
        return base_label or f"BE(L)[LCU, s={s}, N={N}]"


def _gates(lay, plan, vectors, mats, wires) -> list:
    """One PennyLane operation per :func:`~.structured_plan.gate_specs` tuple."""
    ops = []
    for spec in gate_specs(lay, plan, wires):
        kind = spec[0]
        if kind == "prep":
            ops.append(qml.MottonenStatePreparation(vectors[0], wires=spec[1]))
        elif kind == "unprep":
            ops.append(qml.adjoint(qml.MottonenStatePreparation(vectors[1], wires=spec[1])))
        elif kind == "x":
            _, target, controls, values = spec
            if controls:
                ops.append(qml.MultiControlledX(wires=controls + [target], control_values=values))
            else:
                ops.append(qml.PauliX(target))
        elif kind == "encode":
            _, name, piece, enc_wires, controls, values = spec
            Ms, alpha, _ = mats[name]
            enc = DenseBlockEncoding(Ms[piece], alpha, wires=enc_wires, validate=False)
            ops.append(qml.ctrl(enc, control=controls, control_values=values))
        else:
            _, pair, controls, values = spec
            ops.append(qml.ctrl(qml.SWAP(list(pair)), control=controls, control_values=values))
    return ops


register_encoding("structured", StructuredEulerEncoding)

__all__ = ["StructuredEulerEncoding"]
