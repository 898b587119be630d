"""Dense block encoding of a square matrix with an explicit subnormalisation.

.. math::

    U_M = \\begin{pmatrix} A & \\sqrt{I - A A^\\dagger} \\\\ \\sqrt{I - A^\\dagger A} & -A^\\dagger
    \\end{pmatrix}, \\qquad A = M / \\alpha, \\quad \\alpha \\ge \\|M\\|_2,

the unitary (Halmos) dilation of the contraction :math:`A`: a block encoding in the sense of Gilyén,
Su, Low, Wiebe (arXiv:1806.01838, section 4) with one ancilla. The ancilla is the *first* wire of the operation, so
:math:`(\\langle 0| \\otimes I)\\, U_M\\, (|0\\rangle \\otimes I) = M / \\alpha`. Unlike
``qml.BlockEncode``, the subnormalisation is given, stored and checked, never chosen silently
(PennyLane 0.45 rescales by up to sigma_max^2 when the norm exceeds 1). :math:`U_M^\\dagger` is the dilation of :math:`M^\\dagger` with the same
:math:`\\alpha`, so the adjoint of the operation is again a :class:`DenseBlockEncoding`.

This encoding costs one dense ``QubitUnitary`` on ``n + 1`` wires: it is for small systems, the
reference the structured encoding
(:class:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredEulerEncoding`) is checked
against.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import scipy.sparse as sp
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.data_hash import (
    DigestCache,
    FullDataHashMixin,
    array_digest,
    queued,
)
from pennylane_qsgd.circuits.matrix_functions import dilation_square_roots, matrix_norm
from pennylane_qsgd.circuits.resources import TemplateResources

# Relative slack allowed between alpha and ||M|| (rounding in the norm computation).
NORM_RTOL = 1e-10
# Dilations kept in memory: the QSVT decomposition reuses one dilation d times.
_dilation_cache = DigestCache(size=2)


def check_square_matrix(matrix: object, name: str = "matrix") -> np.ndarray:
    arr = np.asarray(matrix.toarray() if sp.issparse(matrix) else matrix)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or Inf entries")
    return arr


def check_subnormalisation(norm: float, alpha: object) -> float:
    """Return ``alpha`` as a float if it is finite, positive and ``>= norm`` (relative 1e-10).

    Raises
    ------
    ValueError
        Naming ``alpha`` and ``||M||`` otherwise.
    """
    if isinstance(alpha, bool) or not np.isscalar(alpha) and np.ndim(alpha) != 0:
        raise TypeError(f"alpha must be a real number; got {alpha!r}")
    a = float(np.real(alpha))
    if not np.isfinite(a) or a <= 0:
        raise ValueError(f"alpha must be a positive finite subnormalisation; got {alpha!r}")
    if a < norm * (1.0 - NORM_RTOL):
        raise ValueError(
            f"alpha = {a:.12g} is below ||M||_2 = {norm:.12g}; a block encoding needs alpha >= ||M||"
        )
    return a


def pad_with_identity(matrix: sp.sparray | np.ndarray, dim: int) -> sp.csr_array:
    """``diag(M, I)`` of size ``dim``: embeds ``M`` so that its inverse is unchanged on the padding.

    Parameters
    ----------
    matrix : sparse or dense, shape (n, n)
    dim : int
        Target dimension, ``>= n`` (usually a power of two).
    """
    mat = sp.csr_array(matrix)
    n = mat.shape[0]
    if mat.shape != (n, n):
        raise ValueError(f"matrix must be square; got shape {mat.shape}")
    if dim < n:
        raise ValueError(f"dim must be at least the matrix size {n}; got {dim}")
    if dim == n:
        return mat
    pad = sp.identity(dim - n, dtype=mat.dtype, format="csr")
    return sp.csr_array(sp.block_diag((mat, pad), format="csr"))


def unitary_dilation(matrix: np.ndarray, alpha: float) -> np.ndarray:
    """The unitary :math:`U_M` of the module docstring, shape (2n, 2n).

    Computed from the SVD :math:`A = W \\Sigma V^\\dagger`:
    :math:`\\sqrt{I - AA^\\dagger} = W \\sqrt{I - \\Sigma^2} W^\\dagger`,
    :math:`\\sqrt{I - A^\\dagger A} = V \\sqrt{I - \\Sigma^2} V^\\dagger`. Real for real ``M``. The last
    two results are cached (the QSVT decomposition calls the same encoding ``d`` times).

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
    alpha : float
        Subnormalisation, ``>= ||M||``.
    """
    arr = check_square_matrix(matrix)

    def make() -> np.ndarray:
        A = arr / float(alpha)
        S_left, S_right, norm = dilation_square_roots(A)
        check_subnormalisation(norm * float(alpha), alpha)
        return np.block([[A, S_left], [S_right, -A.conj().T]])

    return _dilation_cache.get(array_digest(arr, float(alpha)), make)


class DenseBlockEncoding(FullDataHashMixin, Operation):
    """Block encoding :math:`U_M` of a square matrix ``M`` with subnormalisation ``alpha``.

    :math:`(\\langle 0|_{a} \\otimes I)\\, U_M\\, (|0\\rangle_{a} \\otimes I) = M/\\alpha` with the
    ancilla ``a = wires[0]``; see the module docstring for the full unitary.

    Parameters
    ----------
    matrix : array_like or sparse, shape (2**n, 2**n)
        Real or complex matrix; ``n = len(wires) - 1``.
    alpha : float
        Subnormalisation, ``alpha >= ||M||_2`` (checked).
    wires : sequence
        ``[ancilla, system wires...]``, the system wires in big-endian order.
    validate : bool
        Check ``alpha >= ||M||_2`` (one norm computation). Internal callers that already know the
        norm pass ``False``.

    Raises
    ------
    ValueError
        If ``M`` is not square of size ``2**(len(wires) - 1)``, has NaN/Inf, or ``alpha < ||M||``.

    Examples
    --------
    >>> M = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> op = DenseBlockEncoding(M, alpha=2.5, wires=[0, 1])
    >>> np.allclose(qml.matrix(op)[:2, :2], M / 2.5)
    True
    """

    grad_method = None
    num_params = 2
    ndim_params = (2, 0)
    resource_keys = {"num_wires"}

    def __init__(
        self, matrix: object, alpha: float, wires: object, validate: bool = True, id=None
    ) -> None:
        arr = check_square_matrix(matrix)
        wires = Wires(wires)
        if len(wires) < 2:
            raise ValueError(f"wires must hold the ancilla and >= 1 system wire; got {wires}")
        if arr.shape[0] != 2 ** (len(wires) - 1):
            raise ValueError(
                f"matrix of size {arr.shape[0]} does not fit {len(wires) - 1} system wires "
                f"(needs 2**{len(wires) - 1} = {2 ** (len(wires) - 1)}); pad it, e.g. with "
                "pad_with_identity"
            )
        norm = matrix_norm(arr) if validate else 0.0
        alpha = check_subnormalisation(norm, alpha)
        super().__init__(arr, alpha, wires=wires, id=id)

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\alpha`."""
        return float(self.data[1])

    @property
    def ancilla_wires(self) -> Wires:
        """The ancilla ``a = wires[0]``, :math:`|0\\rangle` on the block."""
        return Wires(self.wires[:1])

    @property
    def system_wires(self) -> Wires:
        """The wires ``M`` acts on."""
        return Wires(self.wires[1:])

    @property
    def resource_params(self) -> dict:
        return {"num_wires": len(self.wires)}

    @staticmethod
    def compute_matrix(matrix: np.ndarray, alpha: float) -> np.ndarray:  # noqa: D102
        return unitary_dilation(matrix, alpha)

    @staticmethod
    def compute_decomposition(matrix: np.ndarray, alpha: float, wires: Wires) -> list:  # noqa: D102
        with qml.QueuingManager.stop_recording():
            ops = [qml.QubitUnitary(unitary_dilation(matrix, alpha), wires=wires)]
        return queued(ops)

    def adjoint(self) -> DenseBlockEncoding:
        """:math:`U_M^\\dagger`, the dilation of :math:`M^\\dagger` (same ``alpha``)."""
        with qml.QueuingManager.stop_recording():
            return DenseBlockEncoding(
                np.conj(self.data[0]).T, self.alpha, wires=self.wires, validate=False
            )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        n = np.shape(self.data[0])[0]
        return base_label or f"BE[{n}x{n}]"

    def resources(self) -> TemplateResources:
        """One dense ``QubitUnitary`` on ``n + 1`` wires."""
        return TemplateResources(
            logical_qubits=len(self.wires),
            gates={f"QubitUnitary({len(self.wires)})": 1},
            notes="dense unitary dilation, one ancilla",
        )

    def _flatten(self):
        return self.data, (self.wires, ())

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(*data, wires=metadata[0], validate=False)


__all__ = [
    "NORM_RTOL",
    "check_subnormalisation",
    "DenseBlockEncoding",
    "pad_with_identity",
    "unitary_dilation",
]
