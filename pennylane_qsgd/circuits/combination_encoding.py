"""Block encoding of a linear combination :math:`\\sum_i c_i A_i` from block encodings of the terms.

With :math:`U_i` a block encoding of :math:`A_i` with subnormalisation :math:`\\alpha_i` (a common
system register; the terms may share ancillas) and an index register of
:math:`k = \\max(1, \\lceil\\log_2 n\\rceil)` qubits,

.. math::

    U = \\text{PREP}_L^\\dagger\\, \\text{SELECT}\\, \\text{PREP}_R, \\qquad
    \\text{SELECT} = \\sum_i |i\\rangle\\langle i| \\otimes U_i ,

    \\text{PREP}_R|0\\rangle = \\sum_i r_i |i\\rangle, \\quad
    \\text{PREP}_L|0\\rangle = \\sum_i e^{-i\\varphi_i} r_i |i\\rangle, \\quad
    r_i = \\sqrt{|c_i|\\alpha_i/\\lambda}, \\quad c_i = |c_i| e^{i\\varphi_i},

gives :math:`(\\langle 0|_{\\rm anc} \\otimes I)\\, U\\, (|0\\rangle_{\\rm anc} \\otimes I) =
\\sum_i c_i A_i / \\lambda` with :math:`\\lambda = \\sum_i |c_i| \\alpha_i` (the LCU of Childs and
Wiebe; Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Lemma 52, with the phases folded into the left
preparation as in :class:`~.StructuredEulerEncoding`). Each term's own subnormalisation enters its
weight, so terms with different :math:`\\alpha_i` combine exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.composite_encoding import CompositeEncoding
from pennylane_qsgd.circuits.data_hash import queued
from pennylane_qsgd.circuits.resources import bits


def index_width(terms: int) -> int:
    """Qubits of the index register for ``terms`` terms,
    :math:`\\max(1, \\lceil\\log_2 n\\rceil)`."""
    return max(1, bits(terms))


def lcu_states(coeffs: np.ndarray, alphas: Sequence[float], width: int) -> tuple:
    """``(right, left)`` preparation vectors of length ``2**width`` and :math:`\\lambda`."""
    coeffs = np.asarray(coeffs)
    weights = np.abs(coeffs) * np.asarray(alphas, dtype=float)
    lam = float(np.sum(weights))
    right = np.zeros(2**width, dtype=np.complex128)
    right[: coeffs.size] = np.sqrt(weights / lam)
    left = right.copy()
    left[: coeffs.size] *= np.exp(-1j * np.angle(coeffs))
    return right, left, lam


class LinearCombinationEncoding(CompositeEncoding):
    """Block encoding of :math:`\\sum_i c_i A_i` by PREP/SELECT over block encodings (module
    docstring).

    Parameters
    ----------
    coeffs : array_like, shape (n,)
        Real or complex coefficients :math:`c_i`, not all zero.
    encodings : sequence of n block-encoding operations
        ``U_i`` (each with ``alpha``, ``ancilla_wires`` and ``system_wires``) on the same system
        wires; ancillas may be shared between terms.
    index_wires : sequence
        :func:`index_width` ``(n)`` wires, none of them used by the terms (MSB first).

    Attributes
    ----------
    alpha : float
        :math:`\\lambda = \\sum_i |c_i| \\alpha_i`.

    Examples
    --------
    >>> X = DenseBlockEncoding(np.array([[0.0, 1.0], [1.0, 0.0]]), 1.0, wires=["a", 0])
    >>> Z = DenseBlockEncoding(np.array([[1.0, 0.0], [0.0, -1.0]]), 1.0, wires=["a", 0])
    >>> op = LinearCombinationEncoding([0.5, -1.5], [X, Z], index_wires=["i"])
    >>> op.alpha
    2.0
    >>> np.allclose(2.0 * qml.matrix(op)[:2, :2], [[-1.5, 0.5], [0.5, 1.5]])
    True
    """

    num_own_params = 1

    def __init__(
        self, coeffs: object, encodings: Sequence[Operator], index_wires: object, id=None
    ) -> None:
        coeffs = np.asarray(coeffs)
        encodings = tuple(encodings)
        if coeffs.ndim != 1 or coeffs.size != len(encodings):
            raise ValueError(
                f"coeffs must hold one coefficient per encoding ({len(encodings)}); "
                f"got shape {coeffs.shape}"
            )
        if not np.all(np.isfinite(coeffs)) or not np.any(coeffs != 0):
            raise ValueError(f"coeffs must be finite and not all zero; got {coeffs!r}")
        index_wires = Wires(index_wires)
        if len(index_wires) != index_width(len(encodings)):
            raise ValueError(
                f"index_wires must hold {index_width(len(encodings))} wires for "
                f"{len(encodings)} terms; got {len(index_wires)}"
            )
        self._coeffs = coeffs
        wires = self._init_parts(encodings, index_wires, shared_ancillas=True)
        super().__init__(*self.data, wires=wires, id=id)

    @property
    def own_data(self) -> tuple:
        """``(coeffs,)``."""
        return (self._coeffs,)

    @own_data.setter
    def own_data(self, values: tuple) -> None:
        self._coeffs = values[0]

    @property
    def coeffs(self) -> np.ndarray:
        """The coefficients :math:`c_i`, shape (n,)."""
        return np.asarray(self._coeffs)

    @property
    def index_wires(self) -> Wires:
        """The index register of PREP and SELECT."""
        return self.registers["leading"]

    @property
    def alpha(self) -> float:  # noqa: D102
        return float(np.sum(np.abs(self.coeffs) * [op.alpha for op in self.encodings]))

    def encoded_matrix(self) -> np.ndarray:
        """:math:`\\sum_i c_i A_i` from the terms' twins."""
        return sum(c * m for c, m in zip(self.coeffs, self.part_matrices(), strict=True))

    @staticmethod
    def compute_decomposition(coeffs, *data, wires: Wires, **hyperparameters) -> list:
        """PREP_R, one controlled term per index value, PREP_L^dagger."""
        parts = hyperparameters["encodings"]
        n_index = len(wires) - len(hyperparameters["ancillas"]) - len(parts[0].system_wires)
        index = list(wires[:n_index])
        right, left, _ = lcu_states(coeffs, [op.alpha for op in parts], n_index)
        with qml.QueuingManager.stop_recording():
            ops = [qml.MottonenStatePreparation(right, wires=index)]
            for i, op in enumerate(parts):
                values = [(i >> (n_index - 1 - q)) & 1 for q in range(n_index)]
                ops.append(qml.ctrl(copy.copy(op), control=index, control_values=values))
            ops.append(qml.adjoint(qml.MottonenStatePreparation(left, wires=index)))
        return queued(ops)

    def _rebuild(self, parts: list, leading: list) -> LinearCombinationEncoding:
        return LinearCombinationEncoding(self.coeffs, parts, index_wires=leading)

    @classmethod
    def _unflatten(cls, data, metadata) -> LinearCombinationEncoding:
        return cls(data[0], list(data[1:]), index_wires=metadata[0])


__all__ = ["LinearCombinationEncoding", "index_width", "lcu_states"]
