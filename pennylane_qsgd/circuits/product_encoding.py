"""Block encoding of a product :math:`A_1 A_2 \\cdots A_n` from block encodings of the factors.

With :math:`U_i` a block encoding of :math:`A_i` with subnormalisation :math:`\\alpha_i` on its own
ancillas and a common system register,

.. math::

    (\\langle 0|_{\\rm anc} \\otimes I)\\, U_1 U_2 \\cdots U_n\\, (|0\\rangle_{\\rm anc} \\otimes I)
    = \\frac{A_1 A_2 \\cdots A_n}{\\alpha_1 \\alpha_2 \\cdots \\alpha_n}

(Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Lemma 30): every :math:`U_i` leaves the others'
ancillas alone, so projecting all of them on :math:`|0\\rangle` projects each factor's. The circuit
applies :math:`U_n` first and :math:`U_1` last; it uses the ancillas of all factors and no gate
besides them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import reduce

import numpy as np
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.composite_encoding import CompositeEncoding
from pennylane_qsgd.circuits.data_hash import queued


class ProductEncoding(CompositeEncoding):
    """Block encoding of :math:`A_1 A_2 \\cdots A_n` (module docstring).

    Parameters
    ----------
    encodings : sequence of block-encoding operations
        ``U_1, ..., U_n`` (each with ``alpha``, ``ancilla_wires`` and ``system_wires``), on the same
        system wires and pairwise disjoint ancillas; the product is in this order.

    Attributes
    ----------
    alpha : float
        :math:`\\prod_i \\alpha_i`.

    Examples
    --------
    >>> A = DenseBlockEncoding(np.array([[1.0, 2.0], [0.0, 1.0]]), 3.0, wires=["a", 0])
    >>> B = DenseBlockEncoding(np.array([[0.0, 1.0], [1.0, 0.0]]), 1.0, wires=["b", 0])
    >>> op = ProductEncoding([A, B])
    >>> op.wires.tolist(), op.alpha
    (['a', 'b', 0], 3.0)
    >>> np.allclose(qml.matrix(op)[:2, :2], np.array([[2.0, 1.0], [1.0, 0.0]]) / 3.0)
    True
    """

    def __init__(self, encodings: Sequence[Operator], id=None) -> None:
        wires = self._init_parts(encodings, Wires([]), shared_ancillas=False)
        super().__init__(*self.data, wires=wires, id=id)

    @property
    def alpha(self) -> float:  # noqa: D102
        return float(np.prod([op.alpha for op in self.encodings]))

    def encoded_matrix(self) -> np.ndarray:
        """:math:`A_1 A_2 \\cdots A_n` from the factors' twins."""
        return reduce(np.matmul, self.part_matrices())

    @staticmethod
    def compute_decomposition(*data, wires: Wires, **hyperparameters) -> list:
        """The factors, last one first."""
        return queued([copy.copy(op) for op in reversed(hyperparameters["encodings"])])

    def _rebuild(self, parts: list, leading: list) -> ProductEncoding:
        return ProductEncoding(parts)

    @classmethod
    def _unflatten(cls, data, metadata) -> ProductEncoding:
        return cls(list(data))


__all__ = ["ProductEncoding"]
