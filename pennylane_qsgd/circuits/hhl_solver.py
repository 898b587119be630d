"""HHL linear solver built as gates: phase estimation, eigenvalue inversion, uncomputation.

Harrow, Hassidim and Lloyd (arXiv:0811.3171) on the Hermitian dilation of a
square, possibly non-Hermitian :math:`L` of size :math:`2^n`:

.. math::

    H = \\frac{1}{\\alpha}\\begin{pmatrix} 0 & L \\\\ L^\\dagger & 0 \\end{pmatrix}, \\qquad
    \\operatorname{spec}(H) = \\{\\pm\\sigma_i(L)/\\alpha\\} \\subset [-1, 1], \\qquad
    H^{-1}\\begin{pmatrix} b \\\\ 0 \\end{pmatrix} = \\alpha\\begin{pmatrix} 0 \\\\ L^{-1} b
    \\end{pmatrix}.

So the input :math:`|0\\rangle_d|b\\rangle` (dilation wire ``d`` in 0) becomes, on success,
:math:`\\propto |1\\rangle_d\\, L^{-1}|b\\rangle`.

Circuit (:class:`HHLSolver`, wires ``[anc, clock (n_c wires, MSB first), d, system (n wires)]``,
with ``l, r, a`` before ``d`` for ``evolution="qsvt"``; :math:`N = 2^{n_c}`):

1. ``qml.QuantumPhaseEstimation`` of :math:`U = e^{iHt_0}` (controlled :math:`U^{2^k}` as dense
   unitaries; for an eigenvector with :math:`H v = \\lambda v` the clock holds
   :math:`\\sum_j a_j(\\varphi)|j\\rangle`, :math:`\\varphi = \\lambda t_0/2\\pi`, with the Dirichlet
   kernel :math:`a_j(\\varphi) = \\frac1N\\sum_{m<N} e^{2\\pi i m(\\varphi - j/N)}`, see
   :func:`qpe_amplitudes`);
2. the clock value ``j`` decodes to :math:`\\lambda_j = 2\\pi\\,\\tilde\\jmath/(N t_0)`,
   :math:`\\tilde\\jmath = j` for :math:`j < N/2`, :math:`j - N` otherwise; a ``RY`` on ``anc``
   controlled on each ``j`` rotates by :math:`2\\arcsin r_j`, :math:`r_j = \\mathrm{clip}(C/\\lambda_j,
   -1, 1)` (:math:`r_0 = 0`): the clipping caps the small decoded :math:`|\\lambda_j| < C`;
3. the phase estimation undone (``qml.adjoint``). Success: ``anc = 1`` (and, to remove the clock's
   residual, clock :math:`= 0`, which :func:`hhl_output` and the tests use).

Precision. On the branch ``anc = 1``, clock 0, each eigencomponent is multiplied by the Fejér-kernel
average :math:`g(\\lambda) = \\sum_j |a_j(\\varphi)|^2 r_j` of :math:`C/\\lambda_j`. When every
:math:`\\lambda t_0 N/2\\pi` is an integer, :math:`g(\\lambda) = C/\\lambda` exactly; otherwise the
relative error on the smallest eigenvalues is about :math:`2\\pi\\kappa/(N t_0)` (the clock
resolution :math:`\\Delta\\lambda = 2\\pi/(N t_0)` over :math:`1/\\kappa`) plus the Fejér tails, so
:math:`n_c \\approx \\log_2(2\\kappa/\\varepsilon)` clock qubits give accuracy :math:`\\varepsilon`
(:mod:`.hhl` counts the same). The default :math:`t_0 = \\pi(1 - 2/N)` keeps
:math:`|\\varphi| \\le 1/2 - 1/N` for :math:`\\|H\\| \\le 1` (no wrap-around of :math:`\\pm 1`).
Success probability: :math:`\\sum_i |\\beta_i|^2 g(\\lambda_i)^2 \\approx C^2\\|H^{-1}b\\|^2 =
C^2\\alpha^2\\|L^{-1}b\\|^2 \\ge C^2` (no amplification here; :mod:`.amplification` applies).

Hamiltonian simulation. ``evolution="exact"`` (default) builds :math:`U` as a dense
``QubitUnitary``: this version is for small systems. ``evolution="trotter"`` builds it as a
product formula (``qml.TrotterProduct`` via :func:`~.trotter_evolution`) of the Pauli
decomposition of :math:`H` (at most :math:`4^{n+1}` words; short for structured :math:`L`); the
clock then estimates the product formula's eigenphases, and its error (order :math:`k`, ``s``
steps: :math:`O(t_0^{k+1}/s^k)` on each phase) adds to the clock's.
``evolution="qsvt"`` runs each controlled power :math:`U^{2^k}` as one controlled
:class:`~.AmplifiedHamiltonianSimulation` of time :math:`-2^k t_0` (QSVT with Jacobi–Anger
polynomials, LCU of cos and sin, two rounds of oblivious amplification that make the amplitude
:math:`\\sin(\\pi/10)` exactly 1): the construction :mod:`.hhl` counts, here with three more
ancillas ``l, r, a``; its error is the polynomial error (about ``5 * simulation_eps`` per power).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pennylane as qml
import scipy.linalg as sla
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import _check_square_matrix, check_subnormalisation
from pennylane_qsgd.circuits.data_hash import DigestCache, FullDataHashMixin, queued
from pennylane_qsgd.circuits.hamiltonian_simulation import (
    AMPLIFIED_SCALE,
    DEFAULT_EPS,
    AmplifiedHamiltonianSimulation,
    amplified_blocks,
    simulation_angles,
    simulation_blocks,
    trotter_evolution,
)
from pennylane_qsgd.circuits.resources import TemplateResources

_EIGENSYSTEMS = DigestCache()
"""Eigensystems by operation hash: the kernel and its adjoint reuse one decomposition."""

MAX_CLOCK = 16
"""Largest clock register accepted (the kernel's work per eigenvector is O(N log N))."""

EVOLUTIONS = ("exact", "trotter", "qsvt")
"""How the phase-estimation unitary :math:`e^{iHt_0}` is built (see :class:`HHLSolver`)."""


def _simulation_ancillas(evolution: str) -> int:
    """Ancillas ``l, r, a`` of the QSVT evolution (0 for the other evolutions)."""
    return 3 if evolution == "qsvt" else 0


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``arrays`` marked read-only: cached results are shared by every caller."""
    for arr in arrays:
        arr.setflags(write=False)
    return arrays


def hermitian_dilation(matrix: object) -> np.ndarray:
    """:math:`\\begin{pmatrix} 0 & L \\\\ L^\\dagger & 0 \\end{pmatrix}`, shape (2m, 2m)."""
    L = _check_square_matrix(matrix)
    zero = np.zeros_like(L)
    return np.block([[zero, L], [L.conj().T, zero]])


def default_time(num_clock: int) -> float:
    """:math:`t_0 = \\pi(1 - 2/N)`: eigenvalues in [-1, 1] stay within the clock's range."""
    return float(np.pi * (1.0 - 2.0 / 2**num_clock))


def decoded_eigenvalues(num_clock: int, t0: float) -> np.ndarray:
    """:math:`\\lambda_j` of clock value ``j`` (module docstring, step 2), shape (N,)."""
    N = 2**num_clock
    j = np.arange(N)
    signed = np.where(j < N // 2, j, j - N)
    return 2.0 * np.pi * signed / (N * t0)


def rotation_ratios(num_clock: int, t0: float, C: float) -> np.ndarray:
    """:math:`r_j = \\mathrm{clip}(C/\\lambda_j, -1, 1)`, :math:`r_0 = 0`: shape (N,)."""
    lam = decoded_eigenvalues(num_clock, t0)
    out = np.zeros_like(lam)
    nz = lam != 0
    out[nz] = np.clip(C / lam[nz], -1.0, 1.0)
    return out


def qpe_amplitudes(phase: np.ndarray, num_clock: int) -> np.ndarray:
    """Dirichlet kernel :math:`a_j(\\varphi) = \\frac1N\\sum_{m<N}e^{2\\pi i m(\\varphi - j/N)}`.

    Closed form :math:`e^{i\\pi(N-1)\\delta}\\sin(\\pi N\\delta)/(N\\sin\\pi\\delta)`,
    :math:`\\delta = \\varphi - j/N` (1 where :math:`\\delta` is an integer).

    Parameters
    ----------
    phase : array_like, shape (k,)
    num_clock : int

    Returns
    -------
    ndarray, shape (k, N)
    """
    N = 2**num_clock
    delta = np.asarray(phase, dtype=np.float64).reshape(-1, 1) - np.arange(N) / N
    den = N * np.sin(np.pi * delta)
    integer = np.abs(den) < 1e-300 + 1e-12 * N
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = np.exp(1j * np.pi * (N - 1) * delta) * np.sin(np.pi * N * delta) / den
    # At integer delta every term of the sum is 1 (the closed form is 0/0 there).
    return np.where(integer, 1.0 + 0j, closed)


def qpe_matrices(phase: np.ndarray, num_clock: int) -> np.ndarray:
    """Phase estimation on the clock for each eigenphase: :math:`F^\\dagger D(\\varphi) H^{\\otimes n_c}`.

    ``qml.QuantumPhaseEstimation`` restricted to an eigenvector of phase :math:`\\varphi`
    (big-endian clock; wire ``k`` controls :math:`U^{2^{n_c-1-k}}`), shape (k, N, N).
    """
    N = 2**num_clock
    idx = np.arange(N)
    walsh = sla.hadamard(N).astype(np.float64) / np.sqrt(N)
    fourier_dag = np.exp(-2j * np.pi * np.outer(idx, idx) / N) / np.sqrt(N)
    phases = np.exp(2j * np.pi * np.outer(np.asarray(phase, dtype=np.float64).reshape(-1), idx))
    return (fourier_dag[None] * phases[:, None, :]) @ walsh


def fejer_filter(eigenvalues: np.ndarray, num_clock: int, t0: float, C: float) -> np.ndarray:
    """:math:`g(\\lambda) = \\sum_j |a_j(\\lambda t_0/2\\pi)|^2 r_j`: the solver's :math:`C/\\lambda`."""
    amps = qpe_amplitudes(np.asarray(eigenvalues) * t0 / (2.0 * np.pi), num_clock)
    return (np.abs(amps) ** 2) @ rotation_ratios(num_clock, t0, C)


@dataclass(frozen=True)
class HHLOutput:
    """Success branch of :class:`HHLSolver` on :math:`|0\\rangle_{anc}|0\\rangle_{clock}|0\\rangle_d|b\\rangle`.

    Attributes
    ----------
    solution : ndarray, shape (2**n,)
        Amplitudes of ``anc = 1``, clock 0, ``d = 1`` (not normalised): :math:`\\approx C\\alpha
        L^{-1}b/\\|b\\|`.
    success_probability : float
        Probability of ``anc = 1`` (any clock value).
    clock_zero_probability : float
        Probability of ``anc = 1`` and clock 0.
    """

    solution: np.ndarray
    success_probability: float
    clock_zero_probability: float


class HHLSolver(FullDataHashMixin, Operation):
    """HHL on the Hermitian dilation of ``matrix`` (module docstring).

    Parameters
    ----------
    matrix : array_like, shape (2**n, 2**n)
        :math:`L` (any square matrix, non-singular).
    alpha : float
        :math:`\\alpha \\ge \\|L\\|_2` (checked): :math:`H = \\text{dilation}/\\alpha`.
    wires : sequence
        ``[anc, clock_0, ..., clock_{n_c - 1}, d, system...]``; :math:`n_c` is ``len(wires) - 2 - n``.
        For ``evolution="qsvt"``: ``[anc, clock..., l, r, a, d, system...]``.
    t0 : float, optional
        Evolution time of :math:`U = e^{iHt_0}`; default :func:`default_time`. Must satisfy
        :math:`t_0 < \\pi` so that :math:`\\pm 1` do not alias.
    C : float, optional
        Rotation constant; default :math:`\\sigma_{\\min}(L)/\\alpha` (dense SVD).
    evolution : {"exact", "trotter", "qsvt"}
        :math:`U`: the dense ``QubitUnitary`` :math:`e^{iHt_0}`, or the product formula of the
        Pauli decomposition of :math:`H` (:func:`~.trotter_evolution`, ``trotter_steps``
        repetitions of Suzuki order ``trotter_order``). With ``"trotter"`` the clock estimates the
        eigenphases of the product formula, whose error shifts them by
        :math:`O(t_0^{k+1}/\\text{steps}^k)` (order :math:`k`).
        ``"qsvt"``: each controlled power is one controlled
        :class:`~.AmplifiedHamiltonianSimulation` of time :math:`-2^k t_0` (QSVT with Jacobi–Anger
        polynomials, LCU, two rounds of oblivious amplification), on three extra ancillas
        ``l, r, a`` placed before ``d`` in ``wires``.
    trotter_steps, trotter_order : int
        Used with ``evolution="trotter"``.
    simulation_eps : float
        Polynomial accuracy of ``evolution="qsvt"``.
    validate : bool
        Check ``alpha >= ||L||``.

    Examples
    --------
    >>> L = np.array([[1.0, 0.0], [-0.5, 1.0]])
    >>> op = HHLSolver(L, alpha=1.5, wires=["anc", "c0", "c1", "c2", "c3", "d", 0])
    >>> op.num_clock
    4
    """

    grad_method = None
    num_params = 4
    ndim_params = (2, 0, 0, 0)

    def __init__(
        self,
        matrix: object,
        alpha: float,
        wires: object,
        t0: float | None = None,
        C: float | None = None,
        evolution: str = "exact",
        trotter_steps: int = 1,
        trotter_order: int = 2,
        simulation_eps: float = DEFAULT_EPS,
        validate: bool = True,
        id=None,
    ) -> None:
        L = _check_square_matrix(matrix)
        if evolution not in EVOLUTIONS:
            raise ValueError(f"evolution must be one of {EVOLUTIONS}; got {evolution!r}")
        if int(trotter_steps) != trotter_steps or trotter_steps < 1:
            raise ValueError(f"trotter_steps must be a positive integer; got {trotter_steps!r}")
        if trotter_order != 1 and (int(trotter_order) != trotter_order or trotter_order % 2):
            raise ValueError(
                f"trotter_order must be 1 or a positive even integer; got {trotter_order!r}"
            )
        wires = Wires(wires)
        n = int(np.log2(L.shape[0]))
        if 2**n != L.shape[0]:
            raise ValueError(f"matrix size must be a power of two; got {L.shape[0]}")
        extra = _simulation_ancillas(evolution)
        num_clock = len(wires) - 2 - n - extra
        if not 1 <= num_clock <= MAX_CLOCK:
            raise ValueError(
                f"wires must hold anc, 1..{MAX_CLOCK} clock wires, {extra} simulation ancillas, d "
                f"and {n} system wires; got {len(wires)} wires ({num_clock} clock)"
            )
        if not np.isfinite(simulation_eps) or not 0 < simulation_eps < 1:
            raise ValueError(f"simulation_eps must lie in (0, 1); got {simulation_eps!r}")
        sigma = np.linalg.svd(L, compute_uv=False) if (validate or C is None) else None
        alpha = check_subnormalisation(float(sigma[0]) if validate else 0.0, alpha)
        t0 = default_time(num_clock) if t0 is None else t0
        if isinstance(t0, bool) or not np.isscalar(t0) or not 0 < t0 < np.pi:
            raise ValueError(f"t0 must lie in (0, pi); got {t0!r}")
        if C is None:
            C = float(sigma[-1]) / alpha
        if isinstance(C, bool) or not np.isscalar(C) or not np.isfinite(C) or not 0 < C <= 1:
            raise ValueError(f"C must lie in (0, 1]; got {C!r}")
        self._hyperparameters = {
            "evolution": evolution,
            "trotter_steps": int(trotter_steps),
            "trotter_order": int(trotter_order),
            "simulation_eps": float(simulation_eps),
        }
        super().__init__(L, alpha, float(t0), float(C), wires=wires, id=id)

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\alpha`."""
        return float(self.data[1])

    @property
    def t0(self) -> float:
        """Evolution time of the phase-estimation unitary."""
        return float(self.data[2])

    @property
    def C(self) -> float:  # noqa: N802 - the paper's symbol
        """Rotation constant."""
        return float(self.data[3])

    @property
    def num_clock(self) -> int:
        """Clock qubits :math:`n_c`."""
        extra = _simulation_ancillas(self.hyperparameters["evolution"])
        return len(self.wires) - 2 - extra - int(np.log2(np.shape(self.data[0])[0]))

    @property
    def register_wires(self) -> Wires:
        """``[d, system...]``."""
        return self.wires[-1 - int(np.log2(np.shape(self.data[0])[0])) :]

    def scaled_hamiltonian(self) -> np.ndarray:
        """:math:`H = \\text{dilation}(L)/\\alpha` on ``[d, system...]``."""
        return hermitian_dilation(self.data[0]) / self.alpha

    def evolution_operator(self) -> qml.operation.Operator:
        """The phase-estimation unitary :math:`U \\approx e^{iHt_0}` on ``[d, system...]``."""
        hp = self.hyperparameters
        return evolution_operator(
            self.scaled_hamiltonian(),
            self.t0,
            self.register_wires,
            hp["evolution"],
            hp["trotter_steps"],
            hp["trotter_order"],
        )

    def eigensystem(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenphases :math:`\\varphi_e` (in :math:`(-1/2, 1/2]`) and eigenvectors of :math:`U`.

        ``"exact"``: :math:`\\varphi = \\lambda t_0/2\\pi` from ``eigh`` of :math:`H`; ``"trotter"``:
        the complex Schur form of the product formula's dense matrix (diagonal: :math:`U` is normal);
        ``"qsvt"``: the eigenvalues :math:`\\lambda` of :math:`H` (not phases) and its eigenvectors.
        """
        return _EIGENSYSTEMS.get(str(self.hash), lambda: _read_only(*self._eigensystem()))

    def _eigensystem(self) -> tuple[np.ndarray, np.ndarray]:
        if self.hyperparameters["evolution"] == "qsvt":
            return np.linalg.eigh(self.scaled_hamiltonian())
        if self.hyperparameters["evolution"] == "exact":
            lam, V = np.linalg.eigh(self.scaled_hamiltonian())
            return lam * self.t0 / (2.0 * np.pi), V
        U = qml.matrix(self.evolution_operator(), wire_order=self.register_wires)
        T, Z = sla.schur(U, output="complex")
        return np.angle(np.diag(T)) / (2.0 * np.pi), Z

    @staticmethod
    def compute_decomposition(
        matrix,
        alpha,
        t0,
        C,
        wires,
        evolution="exact",
        trotter_steps=1,
        trotter_order=2,
        simulation_eps=DEFAULT_EPS,
    ) -> list:
        """Phase estimation of :math:`U \\approx e^{iHt_0}`, one multi-controlled ``RY`` per clock
        value, inverse phase estimation."""
        n = int(np.log2(np.shape(matrix)[0]))
        extra = _simulation_ancillas(evolution)
        num_clock = len(wires) - 2 - n - extra
        anc, clock = wires[0], wires[1 : 1 + num_clock]
        sim, register = wires[1 + num_clock : 1 + num_clock + extra], wires[1 + num_clock + extra :]
        H = hermitian_dilation(matrix) / alpha
        ratios = rotation_ratios(num_clock, t0, C)
        with qml.QueuingManager.stop_recording():
            if evolution == "qsvt":
                qpe = [qml.Hadamard(w) for w in clock]
                for k, w in enumerate(clock):
                    power = AmplifiedHamiltonianSimulation(
                        H,
                        1.0,
                        -(2 ** (num_clock - 1 - k)) * t0,
                        sim + register,
                        eps=simulation_eps,
                        validate=False,
                    )
                    qpe.append(qml.ctrl(power, control=w))
                qpe.append(qml.adjoint(qml.QFT(wires=clock)))
                undo = [qml.adjoint(o) for o in reversed(qpe)]
            else:
                U = evolution_operator(H, t0, register, evolution, trotter_steps, trotter_order)
                qpe = [qml.QuantumPhaseEstimation(U, estimation_wires=clock)]
                undo = [qml.adjoint(qpe[0])]
            ops = list(qpe)
            for j, r in enumerate(ratios):
                if r == 0.0:
                    continue
                bits = [int(b) for b in np.binary_repr(j, width=num_clock)]
                ops.append(
                    qml.ctrl(
                        qml.RY(2.0 * np.arcsin(r), wires=anc), control=clock, control_values=bits
                    )
                )
            ops += undo
        return queued(ops)

    def resources(self) -> TemplateResources:
        """Two phase estimations, two QFTs and :math:`2^{n_c} - 1` multi-controlled rotations.

        ``"exact"`` / ``"trotter"``: :math:`2(2^{n_c} - 1)` controlled-:math:`U` calls
        (:math:`U^{2^k}` counted as :math:`2^k` calls). ``"qsvt"``: :math:`2 n_c` controlled
        amplified simulations; ``block_encoding_calls`` counts their calls to the dilation's
        block encoding, :math:`2 \\sum_k 5 (d_c + d_s)(2^k t_0)`.
        """
        N = 2**self.num_clock
        gates = {"QFT": 2, "Hadamard": 2 * self.num_clock, "C(RY)": N - 1}
        evolution = self.hyperparameters["evolution"]
        if evolution != "qsvt":
            gates["C(U)"] = 2 * (N - 1)
            return TemplateResources(
                logical_qubits=len(self.wires),
                gates=gates,
                notes=f"HHL, {evolution} controlled powers of exp(iHt0)",
            )
        eps = self.hyperparameters["simulation_eps"]
        calls = 0
        for k in range(self.num_clock):
            ang = simulation_angles(-(2**k) * self.t0, eps, AMPLIFIED_SCALE)
            calls += 2 * 5 * (ang.cos.degree + ang.sin.degree)
        gates["C(AmplifiedHamiltonianSimulation)"] = 2 * self.num_clock
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=calls,
            gates=gates,
            notes="HHL over QSVT Hamiltonian simulation (calls to the dilation's block encoding)",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        n = np.shape(self.data[0])[0]
        return base_label or f"HHL[{n}x{n}]"

    def _flatten(self):
        return self.data, (self.wires, tuple(self.hyperparameters.items()))

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(
            data[0],
            data[1],
            wires=metadata[0],
            t0=data[2],
            C=data[3],
            validate=False,
            **dict(metadata[1]),
        )


def evolution_operator(
    hamiltonian: np.ndarray,
    t0: float,
    wires: Wires,
    evolution: str = "exact",
    trotter_steps: int = 1,
    trotter_order: int = 2,
) -> qml.operation.Operator:
    """:math:`e^{iHt_0}` as a dense ``QubitUnitary`` or as a product formula of its Pauli sum."""
    if evolution == "exact":
        return qml.QubitUnitary(sla.expm(1j * t0 * np.asarray(hamiltonian)), wires=wires)
    pauli = qml.pauli_decompose(np.asarray(hamiltonian), wire_order=wires, hide_identity=True)
    return trotter_evolution(pauli, -t0, trotter_steps, trotter_order)


def _walsh(y: np.ndarray, num_clock: int) -> np.ndarray:
    """:math:`H^{\\otimes n_c}` on axis 0 of ``y`` (shape (N, rest)), in :math:`O(N n_c)`."""
    t = y.reshape((2,) * num_clock + (-1,))
    for axis in range(num_clock):
        lo, hi = np.take(t, 0, axis=axis), np.take(t, 1, axis=axis)
        t = np.stack([lo + hi, lo - hi], axis=axis) / np.sqrt(2.0)
    return t.reshape(y.shape)


def apply_hhl(op: HHLSolver, state: np.ndarray, adjoint: bool = False) -> np.ndarray:
    """The exact map of ``op``'s gates on ``state`` of shape (2, N, 2m, rest), axes ``anc, clock,
    [d, system]``, any columns ``rest``.

    Works in the eigenbasis of :math:`U` (:meth:`HHLSolver.eigensystem`): per eigenvector, the clock
    goes through phase estimation :math:`Q = F^\\dagger D(\\varphi) H^{\\otimes n_c}`
    (:func:`qpe_matrices`, applied with a fast Walsh transform and an FFT), the rotations on ``anc``
    and :math:`Q^\\dagger`; the rotation angles are negated for the adjoint.
    :math:`O(m N \\log N)` per column.
    """
    if op.hyperparameters["evolution"] == "qsvt":
        return _apply_hhl_qsvt(op, state, adjoint)
    num_clock = op.num_clock
    N = 2**num_clock
    phases, V = op.eigensystem()
    ratios = rotation_ratios(num_clock, op.t0, op.C)
    c, s = np.sqrt(1.0 - ratios**2)[:, None], (-ratios if adjoint else ratios)[:, None]
    x = np.einsum("ed,andr->aner", V.conj().T, np.asarray(state, dtype=np.complex128))
    idx = np.arange(N)
    for e, phase in enumerate(phases):
        diag = np.exp(2j * np.pi * idx * phase)[:, None]
        # Q y = F^dagger D H y, F^dagger = numpy's forward FFT / sqrt(N).
        y = [
            np.fft.fft(diag * _walsh(x[a, :, e, :], num_clock), axis=0) / np.sqrt(N) for a in (0, 1)
        ]
        y = [c * y[0] - s * y[1], s * y[0] + c * y[1]]
        for a in (0, 1):
            back = np.fft.ifft(y[a], axis=0) * np.sqrt(N)
            x[a, :, e, :] = _walsh(np.conj(diag) * back, num_clock)
    return np.einsum("de,aner->andr", V, x)


def _apply_hhl_qsvt(op: HHLSolver, state: np.ndarray, adjoint: bool) -> np.ndarray:
    """:func:`apply_hhl` for ``evolution="qsvt"``: ``state`` (2, N, 8 * 2m, rest), ``l, r, a``
    before the register. Per eigenvalue of :math:`H` the ancillas ``l, r, a`` join the clock: each
    controlled power is the exact 8x8 block of :class:`~.AmplifiedHamiltonianSimulation`."""
    num_clock = op.num_clock
    N = 2**num_clock
    lam, V = op.eigensystem()
    eps = op.hyperparameters["simulation_eps"]
    powers = []
    for k in range(num_clock):
        ang = simulation_angles(-(2 ** (num_clock - 1 - k)) * op.t0, eps, AMPLIFIED_SCALE)
        powers.append(amplified_blocks(simulation_blocks(lam, ang)))
    masks = [((np.arange(N) >> (num_clock - 1 - k)) & 1) == 1 for k in range(num_clock)]
    ratios = rotation_ratios(num_clock, op.t0, op.C)
    c = np.sqrt(1.0 - ratios**2)[:, None, None]
    s = (-ratios if adjoint else ratios)[:, None, None]
    D = V.shape[0]
    x = np.asarray(state, dtype=np.complex128).reshape(2, N, 8, D, -1)
    x = np.einsum("ed,angdr->nager", V.conj().T, x)  # clock first: (N, 2, 8, E, rest)
    for e in range(lam.size):
        z = x[:, :, :, e, :]
        shape = z.shape
        z = _walsh(z.reshape(N, -1), num_clock).reshape(shape)
        for k in range(num_clock):
            z[masks[k]] = np.einsum("ij,majr->mair", powers[k][e], z[masks[k]])
        z = np.fft.fft(z, axis=0) / np.sqrt(N)
        z = np.stack([c * z[:, 0] - s * z[:, 1], s * z[:, 0] + c * z[:, 1]], axis=1)
        z = np.fft.ifft(z, axis=0) * np.sqrt(N)
        for k in reversed(range(num_clock)):
            z[masks[k]] = np.einsum("ji,majr->mair", powers[k][e].conj(), z[masks[k]])
        x[:, :, :, e, :] = _walsh(z.reshape(N, -1), num_clock).reshape(shape)
    out = np.einsum("de,nager->angdr", V, x)
    return out.reshape(np.shape(state))


def hhl_output(op: HHLSolver, b: np.ndarray) -> HHLOutput:
    """Success branch of ``op`` on input :math:`|0\\rangle|0\\rangle|0\\rangle_d|b/\\|b\\|\\rangle`
    (simulation ancillas in :math:`|000\\rangle`; the solution is read with them in :math:`|000\\rangle`)."""
    L = np.asarray(op.data[0])
    m = L.shape[0]
    vec = np.asarray(b, dtype=np.complex128).reshape(-1)
    if vec.shape != (m,) or not np.linalg.norm(vec) > 0:
        raise ValueError(f"b must be a non-zero vector of length {m}; got shape {vec.shape}")
    N = 2**op.num_clock
    # Simulation ancillas l, r, a (evolution "qsvt") sit before the register: index 0 is |000>.
    size = 2 * m * 2 ** _simulation_ancillas(op.hyperparameters["evolution"])
    state = np.zeros((2, N, size, 1), dtype=np.complex128)
    state[0, 0, :m, 0] = vec / np.linalg.norm(vec)
    out = apply_hhl(op, state)[..., 0]
    return HHLOutput(
        solution=out[1, 0, m : 2 * m].copy(),
        success_probability=float(np.sum(np.abs(out[1]) ** 2)),
        clock_zero_probability=float(np.sum(np.abs(out[1, 0]) ** 2)),
    )


__all__ = [
    "EVOLUTIONS",
    "MAX_CLOCK",
    "apply_hhl",
    "decoded_eigenvalues",
    "default_time",
    "evolution_operator",
    "fejer_filter",
    "hermitian_dilation",
    "hhl_output",
    "HHLOutput",
    "HHLSolver",
    "qpe_amplitudes",
    "qpe_matrices",
    "rotation_ratios",
]
