"""Hamiltonian simulation :math:`e^{-iHt}`: QSVT with Jacobi–Anger polynomials, and Trotter products.

QSVT (Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Corollary 62; Martyn, Rossi, Tan, Chuang,
arXiv:2105.02859, section IV.B). For a Hermitian :math:`H` with :math:`\\|H\\| \\le \\alpha`, block-encoded
by the dilation :class:`~.DenseBlockEncoding` of :math:`A = H/\\alpha` (a Hermitian reflection, so
:math:`U_H^\\dagger = U_H`), the Jacobi–Anger polynomials of
:func:`~pennylane_qsgd.core.polynomials.jacobi_anger_cos` / ``jacobi_anger_sin`` with
:math:`\\tau = \\alpha t`,

.. math::

    P_c(x) \\approx s\\cos(\\tau x), \\qquad P_s(x) \\approx s\\sin(\\tau x), \\qquad
    |P - \\text{target}| \\le \\varepsilon s \\text{ on } [-1, 1],

are applied to :math:`A` by :class:`~.hermitian_qsvt.HermitianQSVT` (the real-part construction of
:mod:`.qsvt_solver` for either parity) and combined by a one-ancilla LCU
(ancilla ``l``: Hadamard, :math:`P_c` controlled on :math:`l = 0`, :math:`P_s` on :math:`l = 1`,
phase :math:`-i` on :math:`l = 1`, Hadamard). On :math:`|0\\rangle_l|0\\rangle_r|0\\rangle_a` the
block is

.. math::

    \\tfrac12\\bigl[P_c(H/\\alpha) - i P_s(H/\\alpha)\\bigr] = \\tfrac{s}{2}\\, e^{-iHt} + E,
    \\qquad \\|E\\| \\le \\varepsilon s,

so the success amplitude is :math:`s/2` for every input (probability :math:`s^2/4`, about 0.245 for
the default :math:`s = 0.99`). :class:`~.amplified_simulation.AmplifiedHamiltonianSimulation` takes
:math:`s = 2\\sin(\\pi/10)` and two rounds of oblivious amplitude amplification, which raise the
amplitude to 1 exactly: a unitary to the polynomial precision, usable inside phase estimation. Cost: :math:`d_c + d_s \\approx e\\tau + 2\\ln(1/\\varepsilon)` controlled
block-encoding calls.

Trotter. For :math:`H` given as a short Pauli sum, :func:`trotter_evolution` returns PennyLane's
``qml.TrotterProduct`` with the sign chosen so that it approximates :math:`e^{-iHt}` (PennyLane's
product formula approximates :math:`e^{iHt}`).

Wire layouts: :class:`~.hermitian_qsvt.HermitianQSVT` ``[r, a, system...]``;
:class:`HamiltonianSimulation` and its amplified form ``[l, r, a, system...]``. The exact 8x8
blocks per eigenvalue that the native kernels apply: :mod:`.simulation_twin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.hermitian_qsvt import HermitianQSVT, check_hermitian
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.core.phase_angles import qsp_phases, wx_to_qsvt_angles
from pennylane_qsgd.core.polynomials import ChebyshevPolynomial, jacobi_anger_cos, jacobi_anger_sin

DEFAULT_SCALE = 0.99
"""Prefactor :math:`s` of the Jacobi–Anger polynomials (success amplitude :math:`s/2`)."""

OAA_ROUNDS = 2
"""Rounds of oblivious amplitude amplification in :class:`AmplifiedHamiltonianSimulation`."""

AMPLIFIED_SCALE = 2.0 * np.sin(np.pi / (2 * (2 * OAA_ROUNDS + 1)))
"""Default :math:`s = 2\\sin(\\pi/10) \\approx 0.618` of :class:`AmplifiedHamiltonianSimulation`:
the amplitude :math:`s/2 = \\sin(\\pi/10)` is raised to :math:`\\sin(5\\pi/10) = 1` exactly by two
rounds (one round would need :math:`s = 1`, beyond any QSP polynomial)."""

DEFAULT_EPS = 1e-10
"""Default relative accuracy of the Jacobi–Anger polynomials."""


@dataclass(frozen=True)
class SimulationAngles:
    """Jacobi–Anger polynomials of :math:`e^{-i\\tau x}` and their QSVT angles.

    Attributes
    ----------
    cos, sin : ChebyshevPolynomial
        :math:`\\approx s\\cos(\\tau x)` (even) and :math:`s\\sin(\\tau x)` (odd).
    cos_angles, sin_angles : ndarray
        ``qml.QSVT`` projector phases whose blocks have real parts ``cos`` and ``sin``.
    tau : float
        :math:`\\alpha t`.
    """

    cos: ChebyshevPolynomial
    sin: ChebyshevPolynomial
    cos_angles: np.ndarray
    sin_angles: np.ndarray
    tau: float

    @property
    def scale(self) -> float:
        """:math:`s`: the success amplitude is :math:`s/2`."""
        return self.cos.scale

    @property
    def error(self) -> float:
        """Bound on :math:`\\|\\tfrac12(P_c - iP_s) - \\tfrac{s}{2}e^{-i\\tau x}\\|` on [-1, 1]."""
        return 0.5 * (self.cos.target_error + self.sin.target_error)


@lru_cache(maxsize=16)
def _simulation_angles_cached(tau: float, eps: float, scale: float) -> SimulationAngles:
    cos = jacobi_anger_cos(tau, eps, scale)
    sin = jacobi_anger_sin(tau, eps, scale)
    cos_angles = wx_to_qsvt_angles(qsp_phases(cos.coeffs, parity=0))
    sin_angles = wx_to_qsvt_angles(qsp_phases(sin.coeffs, parity=1))
    cos_angles.setflags(write=False)
    sin_angles.setflags(write=False)
    return SimulationAngles(cos, sin, cos_angles, sin_angles, tau)


def simulation_angles(
    tau: float, eps: float = DEFAULT_EPS, scale: float = DEFAULT_SCALE
) -> SimulationAngles:
    """QSVT angles of :math:`s\\cos(\\tau x)` and :math:`s\\sin(\\tau x)` (cached).

    Parameters
    ----------
    tau : float
        :math:`\\alpha t`, the evolution time in units of the subnormalisation (any sign).
    eps : float
        Relative accuracy in (0, 1) of each polynomial (``jacobi_anger_cos`` convention).
    scale : float
        :math:`s` in (0, 1); :math:`s(1 + \\varepsilon)` must stay below 1.
    """
    if not np.isfinite(tau):
        raise ValueError(f"tau must be finite; got {tau}")
    if not np.isfinite(eps) or not 0 < eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps}")
    if not np.isfinite(scale) or not 0 < scale * (1.0 + eps) < 1.0 - 1e-6:
        raise ValueError(f"scale must lie in (0, 1) with scale * (1 + eps) < 1; got {scale}")
    return _simulation_angles_cached(float(tau), float(eps), float(scale))


class HamiltonianSimulation(FullDataHashMixin, Operation):
    """:math:`e^{-iHt}` block-encoded by QSVT with Jacobi–Anger polynomials (module docstring).

    On :math:`|0\\rangle_l|0\\rangle_r|0\\rangle_a|\\psi\\rangle` the success branch
    :math:`|000\\rangle_{lra}` holds :math:`\\tfrac12[P_c - iP_s](H/\\alpha)|\\psi\\rangle =
    \\tfrac{s}{2} e^{-iHt}|\\psi\\rangle` up to ``angles.error``.

    Parameters
    ----------
    hamiltonian : array_like, shape (2**n, 2**n)
        Hermitian :math:`H`.
    alpha : float
        Subnormalisation :math:`\\alpha \\ge \\|H\\|_2` (checked, never chosen silently).
    time : float
        :math:`t`.
    wires : sequence
        ``[l, r, a, system...]``: LCU ancilla, real-part ancilla, encoding ancilla, ``n`` wires.
    eps : float
        Relative accuracy of each polynomial (``simulation_angles``).
    scale : float, optional
        :math:`s`; success amplitude :math:`s/2` (default :attr:`default_scale`).
    validate : bool
        Check Hermiticity and ``alpha >= ||H||``.

    Examples
    --------
    >>> H = np.array([[0.3, 0.5], [0.5, -0.2]])
    >>> op = HamiltonianSimulation(H, alpha=1.0, time=2.0, wires=["l", "r", "a", 0])
    >>> block = qml.matrix(op, wire_order=op.wires)[:2, :2]
    >>> bool(np.allclose(block, 0.99 / 2 * scipy.linalg.expm(-2j * H), atol=1e-9))  # doctest: +SKIP
    True
    """

    grad_method = None
    num_params = 3
    ndim_params = (2, 0, 0)
    default_scale = DEFAULT_SCALE
    """``scale`` when none is given."""

    def __init__(
        self,
        hamiltonian: object,
        alpha: float,
        time: float,
        wires: object,
        eps: float = DEFAULT_EPS,
        scale: float | None = None,
        validate: bool = True,
        id=None,
    ) -> None:
        scale = type(self).default_scale if scale is None else scale
        wires = Wires(wires)
        if len(wires) < 4:
            raise ValueError(f"wires must hold l, r, a and >= 1 system wire; got {wires.tolist()}")
        arr = check_hermitian(hamiltonian) if validate else np.asarray(hamiltonian)
        with qml.QueuingManager.stop_recording():
            DenseBlockEncoding(arr, alpha, wires=wires[2:], validate=validate)
        if isinstance(time, bool) or not np.isscalar(time) or not np.isfinite(time):
            raise ValueError(f"time must be a finite real number; got {time!r}")
        simulation_angles(float(alpha) * float(time), eps, scale)  # validates eps and scale
        self._hyperparameters = {"eps": float(eps), "scale": float(scale)}
        super().__init__(arr, float(alpha), float(time), wires=wires, id=id)

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\alpha`."""
        return float(self.data[1])

    @property
    def time(self) -> float:
        """Evolution time :math:`t`."""
        return float(self.data[2])

    @property
    def angles(self) -> SimulationAngles:
        """The polynomials and their QSVT angles for :math:`\\tau = \\alpha t`."""
        hp = self.hyperparameters
        return simulation_angles(self.alpha * self.time, hp["eps"], hp["scale"])

    @property
    def success_amplitude(self) -> float:
        """:math:`s/2`: amplitude of the success branch for every normalised input."""
        return 0.5 * self.hyperparameters["scale"]

    @staticmethod
    def compute_decomposition(hamiltonian, alpha, time, wires, eps, scale) -> list:
        """``H_l``; :class:`HermitianQSVT` of :math:`P_c` controlled on :math:`l = 0` and of
        :math:`P_s` on :math:`l = 1`; ``PhaseShift(-pi/2)_l``; ``H_l``."""
        ang = simulation_angles(float(alpha) * float(time), eps, scale)
        lcu, rest = wires[0], wires[1:]
        with qml.QueuingManager.stop_recording():
            cos = HermitianQSVT(hamiltonian, alpha, ang.cos_angles, rest, validate=False)
            sin = HermitianQSVT(hamiltonian, alpha, ang.sin_angles, rest, validate=False)
            ops = [
                qml.Hadamard(lcu),
                qml.ctrl(cos, control=lcu, control_values=[0]),
                qml.ctrl(sin, control=lcu, control_values=[1]),
                qml.PhaseShift(-np.pi / 2, wires=lcu),
                qml.Hadamard(lcu),
            ]
        return queued(ops)

    def resources(self) -> TemplateResources:
        """:math:`d_c + d_s` controlled block-encoding calls and their controlled phases."""
        ang = self.angles
        calls = ang.cos.degree + ang.sin.degree
        with qml.QueuingManager.stop_recording():
            enc = DenseBlockEncoding(self.data[0], self.alpha, self.wires[2:], validate=False)
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=calls,
            gates={"C(MultiRZ(2))": calls + 2, "C(Hadamard)": 4, "Hadamard": 2, "PhaseShift": 1},
            block_encoding=enc.resources(),
            notes="QSVT Hamiltonian simulation, LCU of cos and sin (calls are controlled)",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "exp(-iHt)"

    def _flatten(self):
        hp = self.hyperparameters
        return self.data, (self.wires, (("eps", hp["eps"]), ("scale", hp["scale"])))

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(*data, wires=metadata[0], **dict(metadata[1]), validate=False)


def trotter_evolution(
    hamiltonian: qml.operation.Operator, time: float, steps: int = 1, order: int = 2
) -> qml.TrotterProduct:
    """Product formula for :math:`e^{-iHt}` of a Pauli sum (``qml.TrotterProduct``).

    Suzuki order ``order`` (1 or even) with ``steps`` repetitions: error
    :math:`O(t^{k+1}/\\text{steps}^k)` for order :math:`k` (Childs et al., arXiv:1912.08854).

    Parameters
    ----------
    hamiltonian : Operator
        A sum of Pauli words (e.g. ``qml.dot(coeffs, words)`` or ``qml.pauli_decompose(H)``).
    time : float
        :math:`t`; PennyLane's formula approximates :math:`e^{+iHt}`, so it receives ``-time``.
    steps, order : int
    """
    if isinstance(time, bool) or not np.isscalar(time) or not np.isfinite(time):
        raise ValueError(f"time must be a finite real number; got {time!r}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps!r}")
    if order != 1 and (int(order) != order or order < 1 or order % 2):
        raise ValueError(f"order must be 1 or a positive even integer; got {order!r}")
    return qml.TrotterProduct(hamiltonian, time=-float(time), n=int(steps), order=int(order))


__all__ = [
    "AMPLIFIED_SCALE",
    "DEFAULT_EPS",
    "DEFAULT_SCALE",
    "OAA_ROUNDS",
    "HamiltonianSimulation",
    "simulation_angles",
    "SimulationAngles",
    "trotter_evolution",
]
