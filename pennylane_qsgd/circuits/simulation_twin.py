"""Classical twin of :mod:`.hamiltonian_simulation`: exact 8x8 blocks per eigenvalue.

On an eigenvector of :math:`H` with eigenvalue :math:`\\lambda` (:math:`x = \\lambda/\\alpha`), every
template of :mod:`.hamiltonian_simulation` acts on the ancillas ``l, r, a`` and that eigenvector
only: an 8x8 unitary per eigenvalue, built here from the same angles as the gates. The native
kernels (:mod:`pennylane_qsgd.device.kernels_hhl`, :mod:`pennylane_qsgd.device.kernels_lchs`) and
the HHL twin (:mod:`.hhl_twin`) apply them in the eigenbasis.
"""

from __future__ import annotations

import numpy as np

from pennylane_qsgd.circuits.hamiltonian_simulation import OAA_ROUNDS, SimulationAngles


def _reflection(x: np.ndarray) -> np.ndarray:
    """The dilation on the invariant plane of eigenvalue ``x``: shape (k, 2, 2), index ``a``."""
    c = np.sqrt(np.clip(1.0 - x * x, 0.0, None))
    return np.stack([np.stack([x, c], -1), np.stack([c, -x], -1)], -2).astype(np.complex128)


def real_part_blocks(x: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """:class:`HermitianQSVT` restricted to eigenvalue ``x`` of :math:`A`: shape (k, 4, 4).

    Index ``2 r + a``. The top-left entry is the real part of the QSVT polynomial at ``x``.
    """
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    had = np.kron(np.array([[1, 1], [1, -1]]) / np.sqrt(2.0), np.eye(2))
    zz = np.array([1.0, -1.0, -1.0, 1.0])  # z_r z_a over index 2 r + a
    refl = np.kron(np.eye(2), np.ones((2, 2)))[None] * np.tile(_reflection(x), (1, 2, 2))
    out = np.broadcast_to(had, (x.size, 4, 4)).astype(np.complex128)
    out = np.exp(1j * angles[0] * zz)[None, :, None] * out
    for phi in angles[1:]:
        out = np.exp(1j * phi * zz)[None, :, None] * (refl @ out)
    return had[None] @ out


def simulation_blocks(x: np.ndarray, angles: SimulationAngles) -> np.ndarray:
    """:class:`HamiltonianSimulation` on eigenvalue ``x`` of :math:`A`: shape (k, 8, 8).

    Index ``4 l + 2 r + a``; entry ``[0, 0]`` is :math:`\\tfrac12(P_c(x) - iP_s(x))`.
    """
    cos = real_part_blocks(x, angles.cos_angles)
    sin = real_part_blocks(x, angles.sin_angles)
    k = cos.shape[0]
    select = np.zeros((k, 8, 8), dtype=np.complex128)
    select[:, :4, :4] = cos
    select[:, 4:, 4:] = -1j * sin
    had = np.kron(np.array([[1, 1], [1, -1]]) / np.sqrt(2.0), np.eye(4))
    return had[None] @ select @ had[None]


def amplified_blocks(blocks: np.ndarray, rounds: int = OAA_ROUNDS) -> np.ndarray:
    """Oblivious amplitude amplification on per-eigenvalue (k, 8, 8) blocks :math:`U`.

    :math:`(-U F U^\\dagger F)^{\\text{rounds}}\\, U` with :math:`F = I - 2|000\\rangle\\langle 000|`
    on ``(l, r, a)``: an entry :math:`b = \\sin\\theta\\,e^{i\\gamma}` of
    :math:`|000\\rangle\\langle 000|` becomes :math:`\\sin((2\\,\\text{rounds} + 1)\\theta)\\,e^{i\\gamma}`.
    """
    flip = np.ones(8)
    flip[0] = -1.0
    dag = np.conj(np.swapaxes(blocks, 1, 2))
    out = blocks
    for _ in range(rounds):
        out = -blocks @ (flip[:, None] * (dag @ (flip[:, None] * out)))
    return out


__all__ = ["amplified_blocks", "real_part_blocks", "simulation_blocks"]
