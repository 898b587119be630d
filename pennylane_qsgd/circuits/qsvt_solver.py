"""QSVT linear solver: singular-value inversion of a block-encoded non-Hermitian matrix.

For :math:`M = \\sum_i \\sigma_i |w_i\\rangle\\langle v_i|` block-encoded as :math:`M/\\alpha`, QSVT with
an odd polynomial :math:`P` on the block encoding of :math:`M^\\dagger` (the adjoint of
:math:`U_M`) gives the block

.. math::

    P^{(SV)}(M^\\dagger/\\alpha) = \\sum_i P(\\sigma_i/\\alpha)\\, |v_i\\rangle\\langle w_i|
    \\approx \\frac{\\text{scale}\\;\\alpha}{\\kappa}\\, M^{-1}
    \\quad\\text{for}\\quad P(x) \\approx \\frac{\\text{scale}}{\\kappa x}
    \\text{ on } [1/\\kappa, 1],

(QSVT matrix inversion: Gilyén, Su, Low, Wiebe, arXiv:1806.01838; Martyn, Rossi, Tan, Chuang,
arXiv:2105.02859) as long as :math:`\\kappa \\ge \\alpha/\\sigma_{\\min}(M)`. The polynomial is
:func:`pennylane_qsgd.core.polynomials.inverse_polynomial` and the phases come from
:func:`pennylane_qsgd.core.phase_angles.qsp_phases` converted by ``wx_to_qsvt_angles``, for which
the target is the *real part* of PennyLane's QSVT block (:math:`f(A) - i\\,p(A)`).

Real part. The sequences with phases :math:`\\phi` and :math:`-\\phi` have
complex-conjugate blocks; their average, an LCU with one extra ancilla ``r``, is the real part
(the construction of arXiv:1806.01838, Corollary 18). The
two sequences call the block encoding identically, so the LCU needs no controlled block encodings:
every projector phase :math:`e^{i\\phi(2\\Pi - I)}` is replaced by
:math:`e^{i\\phi(2\\Pi - I) Z_r}` (a ``MultiRZ(-2 phi)`` on the encoding ancilla and ``r``), between
Hadamards on ``r``. Post-selecting :math:`|0\\rangle_r|0\\rangle_a` leaves
:math:`\\operatorname{Re}P^{(SV)}(M^\\dagger/\\alpha)\\,|\\psi\\rangle`.

Wire layout of :class:`QSVTInverse`: ``[r, a, system...]``, with ``a`` the ancilla of the
:class:`~.DenseBlockEncoding`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding, check_square_matrix
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.core.phase_angles import qsp_phases, wx_to_qsvt_angles
from pennylane_qsgd.core.polynomials import ChebyshevPolynomial, inverse_polynomial


@dataclass(frozen=True)
class InverseAngles:
    """The 1/x polynomial of the solver and its QSVT angles.

    Attributes
    ----------
    polynomial : ChebyshevPolynomial
        Odd, :math:`\\approx \\text{scale}/(\\kappa x)` on :math:`[1/\\kappa, 1]` within
        ``polynomial.target_error``.
    angles : ndarray, shape (degree + 1,)
        ``qml.QSVT`` projector phases whose block has real part ``polynomial``.
    kappa, eps : float
        The requested condition number and relative accuracy.
    """

    polynomial: ChebyshevPolynomial
    angles: np.ndarray
    kappa: float
    eps: float

    @property
    def degree(self) -> int:
        """Number of block-encoding calls."""
        return self.polynomial.degree

    @property
    def scale(self) -> float:
        """The polynomial's scale: :math:`P(1/\\kappa) \\approx` ``scale``."""
        return self.polynomial.scale


@lru_cache(maxsize=16)
def _inverse_angles_cached(kappa: float, eps: float, scale: float | None) -> InverseAngles:
    poly = inverse_polynomial(kappa, eps, scale)
    angles = wx_to_qsvt_angles(qsp_phases(poly))
    angles.setflags(write=False)
    return InverseAngles(poly, angles, kappa, eps)


def inverse_angles(kappa: float, eps: float, scale: float | None = None) -> InverseAngles:
    """QSVT angles of the odd polynomial :math:`\\approx \\text{scale}/(\\kappa x)` (cached).

    Parameters
    ----------
    kappa : float
        :math:`> 1`; the polynomial inverts :math:`x \\in [1/\\kappa, 1]`, so pass
        :math:`\\kappa \\ge \\alpha / \\sigma_{\\min}(M)` for a block encoding of :math:`M/\\alpha`.
    eps : float
        Relative accuracy in (0, 1) (see ``inverse_polynomial``).
    scale : float, optional
        Value at :math:`x = 1/\\kappa`; default: the largest that keeps
        :math:`\\max|P| \\le 0.9`.
    """
    if not np.isfinite(kappa) or kappa <= 1:
        raise ValueError(f"kappa must be a finite number > 1; got {kappa}")
    if not np.isfinite(eps) or not 0 < eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps}")
    return _inverse_angles_cached(float(kappa), float(eps), None if scale is None else float(scale))


def _check_angles(angles: object) -> np.ndarray:
    arr = np.asarray(angles, dtype=np.float64).reshape(-1)
    if arr.size < 2 or arr.size % 2 != 0:
        raise ValueError(
            f"angles must hold an even number >= 2 of phases (odd degree); got {arr.size}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("angles contain NaN or Inf")
    return arr


class QSVTInverse(FullDataHashMixin, Operation):
    """Real part of a QSVT singular-value inversion of ``matrix`` (module docstring).

    After the operation, the branch :math:`|0\\rangle_r|0\\rangle_a` holds
    :math:`\\operatorname{Re}P^{(SV)}(M^\\dagger/\\alpha)|\\psi\\rangle \\approx
    (\\text{scale}\\,\\alpha/\\kappa)\\, M^{-1}|\\psi\\rangle` for an input
    :math:`|0\\rangle_r|0\\rangle_a|\\psi\\rangle`.

    Parameters
    ----------
    matrix : array_like, shape (2**n, 2**n)
        The matrix :math:`M` to invert (real for the Euler system).
    alpha : float
        Subnormalisation of its block encoding, :math:`\\alpha \\ge \\|M\\|_2`.
    angles : array_like, shape (d + 1,)
        ``qml.QSVT`` projector phases of an odd polynomial (e.g. ``inverse_angles(...).angles``).
    wires : sequence
        ``[r, a, system...]``: real-part ancilla, block-encoding ancilla, ``n`` system wires.
    target_phase : float
        :math:`\\gamma`: extracts :math:`\\operatorname{Re}(e^{i\\gamma}P)`; 0 for the core's angles.
    validate : bool
        Check ``alpha >= ||M||``.

    Examples
    --------
    >>> M = np.array([[1.0, 0.0], [-0.5, 1.0]])
    >>> ang = inverse_angles(kappa=4.0, eps=1e-6)
    >>> op = QSVTInverse(M, alpha=1.6, angles=ang.angles, wires=["r", "a", 0])
    >>> op.resources().block_encoding_calls == ang.degree
    True
    """

    grad_method = None
    num_params = 3
    ndim_params = (2, 0, 1)
    resource_keys = {"num_wires", "degree"}

    def __init__(
        self,
        matrix: object,
        alpha: float,
        angles: object,
        wires: object,
        target_phase: float = 0.0,
        validate: bool = True,
        id=None,
    ) -> None:
        wires = Wires(wires)
        if len(wires) < 3:
            raise ValueError(
                f"wires must hold the real-part ancilla, the encoding ancilla and >= 1 system "
                f"wire; got {wires.tolist()}"
            )
        arr = check_square_matrix(matrix)
        # Validates shape against the wires and alpha against ||M|| once, here.
        with qml.QueuingManager.stop_recording():
            DenseBlockEncoding(arr, alpha, wires=wires[1:], validate=validate)
        phases = _check_angles(angles)
        if not np.isfinite(target_phase):
            raise ValueError(f"target_phase must be finite; got {target_phase}")
        self._hyperparameters = {"target_phase": float(target_phase)}
        super().__init__(arr, float(alpha), phases, wires=wires, id=id)

    @property
    def alpha(self) -> float:
        """Subnormalisation of the block encoding."""
        return float(self.data[1])

    @property
    def degree(self) -> int:
        """Polynomial degree ``d`` = block-encoding calls."""
        return len(self.data[2]) - 1

    @property
    def resource_params(self) -> dict:
        return {"num_wires": len(self.wires), "degree": self.degree}

    def block_encoding(self) -> DenseBlockEncoding:
        """The block encoding :math:`U_M` on ``wires[1:]``."""
        with qml.QueuingManager.stop_recording():
            return DenseBlockEncoding(
                self.data[0], self.alpha, wires=self.wires[1:], validate=False
            )

    @staticmethod
    def compute_decomposition(
        matrix: np.ndarray,
        alpha: float,
        angles: np.ndarray,
        wires: Wires,
        target_phase: float = 0.0,
    ) -> list:
        """``H_r``, then ``MultiRZ(-2 phi_k)`` on ``[a, r]`` alternating with
        :math:`U_M^\\dagger, U_M, U_M^\\dagger, \\dots` (``qml.QSVT``'s order with
        :math:`U_A = U_M^\\dagger`), ``RZ(-2 gamma)_r`` if :math:`\\gamma \\ne 0`, ``H_r``."""
        r, a = wires[0], wires[1]
        with qml.QueuingManager.stop_recording():
            forward = DenseBlockEncoding(matrix, alpha, wires=wires[1:], validate=False)
            backward = forward.adjoint()
            ops = [qml.Hadamard(r), qml.MultiRZ(-2.0 * angles[0], wires=[a, r])]
            for k, phi in enumerate(angles[1:]):
                ops.append(backward if k % 2 == 0 else forward)
                ops.append(qml.MultiRZ(-2.0 * phi, wires=[a, r]))
            if target_phase:
                ops.append(qml.RZ(-2.0 * target_phase, wires=r))
            ops.append(qml.Hadamard(r))
        return queued(ops)

    def resources(self) -> TemplateResources:
        """``d`` block-encoding calls, ``d + 1`` two-qubit ``MultiRZ``, 2 Hadamards."""
        gates = {"MultiRZ(2)": self.degree + 1, "Hadamard": 2}
        if self.hyperparameters["target_phase"]:
            gates["RZ"] = 1
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=self.degree,
            gates=gates,
            block_encoding=self.block_encoding().resources(),
            notes="QSVT inversion with the real-part ancilla (controlled projector phases)",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or f"QSVT⁻¹[d={self.degree}]"

    def _flatten(self):
        return self.data, (self.wires, (("target_phase", self.hyperparameters["target_phase"]),))

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(*data, wires=metadata[0], **dict(metadata[1]), validate=False)


__all__ = [
    "inverse_angles",
    "InverseAngles",
    "QSVTInverse",
]
