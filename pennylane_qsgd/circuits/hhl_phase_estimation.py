"""Phase estimation arithmetic of the HHL solver: the clock's decoding, its rotations, its kernel.

The helpers of :class:`~.hhl_solver.HHLSolver` (module docstring there for the circuit): the
Hermitian dilation it inverts, the evolution :math:`e^{iHt_0}` it estimates, and the clock's
arithmetic, :math:`N = 2^{n_c}`.

Precision. On the branch ``anc = 1``, clock 0, each eigencomponent is multiplied by the Fejér-kernel
average :math:`g(\\lambda) = \\sum_j |a_j(\\varphi)|^2 r_j` of :math:`C/\\lambda_j`
(:func:`fejer_filter`). When every :math:`\\lambda t_0 N/2\\pi` is an integer,
:math:`g(\\lambda) = C/\\lambda` exactly; otherwise the relative error on the smallest eigenvalues
is about :math:`2\\pi\\kappa/(N t_0)` (the clock resolution :math:`\\Delta\\lambda = 2\\pi/(N t_0)`
over :math:`1/\\kappa`) plus the Fejér tails, so :math:`n_c \\approx \\log_2(2\\kappa/\\varepsilon)`
clock qubits give accuracy :math:`\\varepsilon` (:mod:`.hhl` counts the same). The default
:math:`t_0 = \\pi(1 - 2/N)` (:func:`default_time`) keeps :math:`|\\varphi| \\le 1/2 - 1/N` for
:math:`\\|H\\| \\le 1` (no wrap-around of :math:`\\pm 1`).
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import scipy.linalg as sla
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import check_square_matrix
from pennylane_qsgd.circuits.hamiltonian_simulation import trotter_evolution


def hermitian_dilation(matrix: object) -> np.ndarray:
    """:math:`\\begin{pmatrix} 0 & L \\\\ L^\\dagger & 0 \\end{pmatrix}`, shape (2m, 2m)."""
    L = check_square_matrix(matrix)
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


__all__ = [
    "decoded_eigenvalues",
    "default_time",
    "evolution_operator",
    "fejer_filter",
    "hermitian_dilation",
    "qpe_amplitudes",
    "qpe_matrices",
    "rotation_ratios",
]
