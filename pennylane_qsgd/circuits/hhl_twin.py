"""Classical twin of :class:`~.hhl_solver.HHLSolver`: the exact map of its gates, in the
eigenbasis of the phase-estimation unitary, and its success branch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pennylane as qml
import scipy.linalg as sla

from pennylane_qsgd.circuits.data_hash import DigestCache
from pennylane_qsgd.circuits.hamiltonian_simulation import AMPLIFIED_SCALE, simulation_angles
from pennylane_qsgd.circuits.hhl_arguments import simulation_ancillas
from pennylane_qsgd.circuits.hhl_phase_estimation import rotation_ratios
from pennylane_qsgd.circuits.hhl_solver import HHLSolver
from pennylane_qsgd.circuits.simulation_twin import amplified_blocks, simulation_blocks

_EIGENSYSTEMS = DigestCache()
"""Eigensystems by operation hash: the kernel and its adjoint reuse one decomposition."""


def hhl_eigensystem(op: HHLSolver) -> tuple[np.ndarray, np.ndarray]:
    """Eigenphases :math:`\\varphi_e` (in :math:`(-1/2, 1/2]`) and eigenvectors of ``op``'s
    :math:`U`, read-only and cached by the operation's hash.

    ``"exact"``: :math:`\\varphi = \\lambda t_0/2\\pi` from ``eigh`` of :math:`H`; ``"trotter"``:
    the complex Schur form of the product formula's dense matrix (diagonal: :math:`U` is normal);
    ``"qsvt"``: the eigenvalues :math:`\\lambda` of :math:`H` (not phases) and its eigenvectors.
    """

    def make() -> tuple[np.ndarray, np.ndarray]:
        evolution = op.hyperparameters["evolution"]
        if evolution == "exact":
            lam, V = np.linalg.eigh(op.scaled_hamiltonian())
            out = lam * op.t0 / (2.0 * np.pi), V
        elif evolution == "qsvt":
            out = np.linalg.eigh(op.scaled_hamiltonian())
        else:
            U = qml.matrix(op.evolution_operator(), wire_order=op.register_wires)
            T, Z = sla.schur(U, output="complex")
            out = np.angle(np.diag(T)) / (2.0 * np.pi), Z
        for arr in out:  # shared by every caller
            arr.setflags(write=False)
        return out

    return _EIGENSYSTEMS.get(str(op.hash), make)


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

    Works in the eigenbasis of :math:`U` (:func:`hhl_eigensystem`): per eigenvector, the clock
    goes through phase estimation :math:`Q = F^\\dagger D(\\varphi) H^{\\otimes n_c}`
    (:func:`qpe_matrices`, applied with a fast Walsh transform and an FFT), the rotations on ``anc``
    and :math:`Q^\\dagger`; the rotation angles are negated for the adjoint.
    :math:`O(m N \\log N)` per column.
    """
    if op.hyperparameters["evolution"] == "qsvt":
        return _apply_hhl_qsvt(op, state, adjoint)
    num_clock = op.num_clock
    N = 2**num_clock
    phases, V = hhl_eigensystem(op)
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
    lam, V = hhl_eigensystem(op)
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
    size = 2 * m * 2 ** simulation_ancillas(op.hyperparameters["evolution"])
    state = np.zeros((2, N, size, 1), dtype=np.complex128)
    state[0, 0, :m, 0] = vec / np.linalg.norm(vec)
    out = apply_hhl(op, state)[..., 0]
    return HHLOutput(
        solution=out[1, 0, m : 2 * m].copy(),
        success_probability=float(np.sum(np.abs(out[1]) ** 2)),
        clock_zero_probability=float(np.sum(np.abs(out[1, 0]) ** 2)),
    )


__all__ = ["HHLOutput", "apply_hhl", "hhl_eigensystem", "hhl_output"]
