"""Real part of a QSVT polynomial of a Hermitian matrix: the building block of
:class:`~.hamiltonian_simulation.HamiltonianSimulation`.

For Hermitian :math:`H`, :math:`\\|H\\| \\le \\alpha`, the dilation :class:`~.DenseBlockEncoding` of
:math:`H/\\alpha` is a Hermitian reflection (:math:`U_H^\\dagger = U_H`), so ``qml.QSVT``'s sequence
needs no adjoint calls; a Hadamard on the extra ancilla ``r`` around phases applied with
``MultiRZ`` on ``[a, r]`` averages the sequence with its conjugate, leaving
:math:`\\operatorname{Re}P(H/\\alpha)` on :math:`|0\\rangle_r|0\\rangle_a` for a polynomial of either
parity (the real-part construction of :mod:`.qsvt_solver`; Gilyén, Su, Low, Wiebe,
arXiv:1806.01838, Corollary 18).
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding, check_square_matrix
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued

HERMITIAN_ATOL = 1e-12
"""Relative tolerance of :func:`check_hermitian` on :math:`\\max|H - H^\\dagger|`."""


def check_hermitian(matrix: object, name: str = "hamiltonian") -> np.ndarray:
    """``matrix`` as a square array if it is Hermitian (to 1e-12 relative), else ValueError."""
    arr = check_square_matrix(matrix, name)
    scale = max(1.0, float(np.max(np.abs(arr))))
    if np.max(np.abs(arr - arr.conj().T)) > HERMITIAN_ATOL * scale:
        raise ValueError(
            f"{name} must be Hermitian; got max|H - H^dagger| = "
            f"{np.max(np.abs(arr - arr.conj().T)):.3e}"
        )
    return arr


def check_angles(angles: object, name: str = "angles") -> np.ndarray:
    arr = np.asarray(angles, dtype=np.float64).reshape(-1)
    if arr.size < 1 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty finite 1-D array; got {arr.size} entries")
    return arr


class HermitianQSVT(FullDataHashMixin, Operation):
    """Real part of a QSVT polynomial (either parity) of a Hermitian matrix.

    On :math:`|0\\rangle_r|0\\rangle_a` the block is :math:`\\operatorname{Re}P(H/\\alpha)`, i.e. the
    polynomial whose ``qml.QSVT`` angles are ``angles`` (``wx_to_qsvt_angles`` of ``qsp_phases``).

    Parameters
    ----------
    hamiltonian : array_like, shape (2**n, 2**n)
        Hermitian :math:`H`.
    alpha : float
        :math:`\\alpha \\ge \\|H\\|_2`.
    angles : array_like, shape (d + 1,)
    wires : sequence
        ``[r, a, system...]``.
    validate : bool
        Check Hermiticity and ``alpha >= ||H||``.
    """

    grad_method = None
    num_params = 3
    ndim_params = (2, 0, 1)

    def __init__(self, hamiltonian, alpha, angles, wires, validate: bool = True, id=None) -> None:
        wires = Wires(wires)
        if len(wires) < 3:
            raise ValueError(f"wires must hold r, a and >= 1 system wire; got {wires.tolist()}")
        arr = check_hermitian(hamiltonian) if validate else np.asarray(hamiltonian)
        with qml.QueuingManager.stop_recording():
            DenseBlockEncoding(arr, alpha, wires=wires[1:], validate=validate)
        super().__init__(arr, float(alpha), check_angles(angles), wires=wires, id=id)

    @property
    def degree(self) -> int:
        """Block-encoding calls."""
        return len(self.data[2]) - 1

    @staticmethod
    def compute_decomposition(hamiltonian, alpha, angles, wires) -> list:
        """``H_r``, ``MultiRZ(-2 phi_0)`` on ``[a, r]``, then :math:`U_H` and ``MultiRZ(-2 phi_k)``
        alternately (:math:`U_H^\\dagger = U_H`), ``H_r``."""
        r, a = wires[0], wires[1]
        with qml.QueuingManager.stop_recording():
            enc = DenseBlockEncoding(hamiltonian, alpha, wires=wires[1:], validate=False)
            ops = [qml.Hadamard(r), qml.MultiRZ(-2.0 * angles[0], wires=[a, r])]
            for phi in angles[1:]:
                ops += [enc, qml.MultiRZ(-2.0 * phi, wires=[a, r])]
            ops.append(qml.Hadamard(r))
        return queued(ops)

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "Re QSVT"

    def _flatten(self):
        return self.data, (self.wires, ())

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(*data, wires=metadata[0], validate=False)


__all__ = ["HERMITIAN_ATOL", "HermitianQSVT", "check_angles", "check_hermitian"]
