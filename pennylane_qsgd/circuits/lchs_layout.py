"""The classical data of the LCHS templates: grids, padding, subnormalisation, angles, preparations.

:func:`lchs_layout` serves :class:`~pennylane_qsgd.circuits.lchs.LCHSEvolution` (the :math:`k`-LCU
of :math:`e^{At}`), :func:`forced_layout` adds the Duhamel branches of
:class:`~pennylane_qsgd.circuits.lchs_solver.LCHSSolver`. Both are cached per data, so the
templates, their decompositions and the native kernels derive them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.hamiltonian_simulation import (
    DEFAULT_SCALE,
    SimulationAngles,
    simulation_angles,
)
from pennylane_qsgd.core.lchs import (
    DEFAULT_BETA,
    GAUSS_ORDER,
    LCHSQuadrature,
    lchs_quadrature,
)
from pennylane_qsgd.core.lchs_generator import check_dissipative
from pennylane_qsgd.core.lchs_twins import DuhamelQuadrature, duhamel_quadrature
from pennylane_qsgd.core.norms import spectral_norm


@dataclass(frozen=True)
class LCHSLayout:
    """Everything :class:`LCHSEvolution` derives from its data (cached per data).

    Attributes
    ----------
    L, H : ndarray, shape (n, n)
        :math:`L_A`, :math:`H_A`.
    quadrature : LCHSQuadrature
    nodes, weights : ndarray, shape (2**n_k,)
        Padded grid (zero weights past the quadrature's nodes).
    alpha : float
        :math:`K\\|L_A\\| + \\|H_A\\|`.
    angles : SimulationAngles
        Jacobi–Anger pair for :math:`\\tau = \\alpha t`.
    prep : ndarray, shape (2**n_k,)
        :math:`\\sqrt{|w_j|/\\|w\\|_1}`.
    phases : ndarray, shape (2**n_k,)
        :math:`w_j/|w_j|` (1 where :math:`w_j = 0`).
    """

    L: np.ndarray
    H: np.ndarray
    quadrature: LCHSQuadrature
    nodes: np.ndarray
    weights: np.ndarray
    alpha: float
    angles: SimulationAngles
    prep: np.ndarray
    phases: np.ndarray

    @property
    def node_qubits(self) -> int:
        """:math:`n_k = \\log_2` of the padded node count."""
        return int(np.log2(self.nodes.size))

    @property
    def l1_norm(self) -> float:
        """:math:`\\|w\\|_1`."""
        return float(np.sum(np.abs(self.weights)))

    def select_hamiltonian(self) -> np.ndarray:
        """Dense :math:`H_{\\rm sel}`, shape :math:`(2^{n_k}n, 2^{n_k}n)`."""
        n = self.L.shape[0]
        out = np.zeros((self.nodes.size * n,) * 2, dtype=np.complex128)
        for j, k in enumerate(self.nodes):
            out[j * n : (j + 1) * n, j * n : (j + 1) * n] = k * self.L + self.H
        return out


_layouts = DigestCache(size=8)


def jacobi_anger_eps(eps: float, l1_norm: float) -> float:
    """Relative polynomial accuracy so that the rescaled LCU errs by ``eps/2`` from them."""
    return min(0.5, eps / (4.0 * l1_norm))


def lchs_layout(
    A: np.ndarray,
    time: float,
    eps: float,
    beta: float = DEFAULT_BETA,
    scale: float = DEFAULT_SCALE,
    kernel: str = "acl",
) -> LCHSLayout:
    """The grid, padding, subnormalisation and angles of :class:`LCHSEvolution` (cached).

    Quadrature error ``eps/2`` for :math:`\\|L_A\\|`; Jacobi–Anger relative accuracy
    ``eps / (4 ||w||_1)`` (module docstring).
    """
    A = np.asarray(A, dtype=np.complex128)

    def make() -> LCHSLayout:
        L, H = check_dissipative(A)
        norm_L = max(float(np.linalg.eigvalsh(L)[-1]), 0.0)
        norm_H = float(np.max(np.abs(np.linalg.eigvalsh(H)))) if H.size else 0.0
        grid = lchs_quadrature(time, norm_L, eps / 2, beta, kernel=kernel)
        size = 1 << max(1, int(np.ceil(np.log2(grid.num_nodes))))
        nodes = np.zeros(size)
        weights = np.zeros(size, dtype=np.complex128)
        nodes[: grid.num_nodes], weights[: grid.num_nodes] = grid.nodes, grid.weights
        alpha = max(grid.cutoff * norm_L + norm_H, 1e-12)
        l1 = float(np.sum(np.abs(weights)))
        angles = simulation_angles(alpha * time, jacobi_anger_eps(eps, l1), scale)
        mags = np.abs(weights)
        phases = np.where(mags > 0, weights / np.where(mags > 0, mags, 1.0), 1.0)
        for arr in (L, H, nodes, weights, mags, phases):
            arr.setflags(write=False)
        return LCHSLayout(L, H, grid, nodes, weights, alpha, angles, np.sqrt(mags / l1), phases)

    return _layouts.get(array_digest(A, time, eps, beta, scale) + kernel, make)


@lru_cache(maxsize=8)
def _prep_matrix_cached(prep_bytes: bytes, num_wires: int) -> np.ndarray:
    prep = np.frombuffer(prep_bytes, dtype=np.float64)
    op = qml.MottonenStatePreparation(prep, wires=range(num_wires))
    mat = qml.matrix(op, wire_order=range(num_wires))
    mat.setflags(write=False)
    return mat


def prep_matrix(layout: LCHSLayout) -> np.ndarray:
    """Unitary :math:`M` of the Möttönen preparation of the node amplitudes (gates' own matrix)."""
    return _prep_matrix_cached(np.ascontiguousarray(layout.prep).tobytes(), layout.node_qubits)


def lchs_gates(calls: int, node_qubits: int) -> dict[str, int]:
    """Gates of the :math:`k`-LCU around one Hamiltonian simulation with ``calls`` calls."""
    return {
        "C(MultiRZ(2))": calls + 2,
        "C(Hadamard)": 4,
        "Hadamard": 2,
        "PhaseShift": 1,
        f"MottonenStatePreparation({node_qubits})": 2,
        f"DiagonalQubitUnitary({node_qubits})": 1,
    }


@dataclass(frozen=True)
class ForcedLCHSLayout:
    """Branch data of :class:`LCHSSolver` on top of the :class:`~.lchs.LCHSLayout` of ``A``.

    Attributes
    ----------
    base : LCHSLayout
        Grid, angles and node preparation for time :math:`T`.
    rule : DuhamelQuadrature or None
        The :math:`s`-rule (None without forcing).
    times : ndarray, shape (2**n_r,)
        :math:`\\tau_r` (0 on padding).
    coeffs : ndarray, shape (2**n_r,)
        :math:`c_r` (0 on padding).
    joint : ndarray, shape (2**n_r * n,)
        :math:`\\sum_r \\sqrt{c_r/C}|r\\rangle|\\hat v_r\\rangle`.
    branch_prep : ndarray, shape (2**n_r,)
        :math:`\\sqrt{c_r/C}`.
    """

    base: LCHSLayout
    rule: DuhamelQuadrature | None
    times: np.ndarray
    coeffs: np.ndarray
    joint: np.ndarray
    branch_prep: np.ndarray

    @property
    def branch_qubits(self) -> int:
        """:math:`n_r`."""
        return int(np.log2(self.times.size))

    @property
    def total(self) -> float:
        """:math:`C = \\sum_r c_r`."""
        return float(np.sum(self.coeffs))

    def time_ratios(self, time: float) -> np.ndarray:
        """:math:`\\tau_r/T`, shape (2**n_r,) (0 for :math:`T = 0`)."""
        return self.times / time if time > 0 else np.zeros_like(self.times)

    def select_hamiltonian(self, time: float) -> np.ndarray:
        """Dense :math:`\\sum_{r,j}|r,j\\rangle\\langle r,j|\\otimes(\\tau_r/T)(k_jL_A + H_A)`."""
        return np.kron(np.diag(self.time_ratios(time)), self.base.select_hamiltonian())


_forced_layouts = DigestCache(size=8)


def forced_layout(
    A: np.ndarray,
    u0: np.ndarray,
    b: np.ndarray,
    time: float,
    eps: float,
    beta: float = DEFAULT_BETA,
    scale: float = DEFAULT_SCALE,
    order: int = GAUSS_ORDER,
    kernel: str = "acl",
) -> ForcedLCHSLayout:
    """The :class:`ForcedLCHSLayout` of the data (cached); ``b = 0`` gives one branch."""

    def make() -> ForcedLCHSLayout:
        base = lchs_layout(A, time, eps, beta, scale, kernel)
        n = A.shape[0]
        nu, nb = float(np.linalg.norm(u0)), float(np.linalg.norm(b))
        if nu == 0 and nb == 0:
            raise ValueError("u0 and b are both zero: there is no state to prepare")
        rule = duhamel_quadrature(time, spectral_norm(A), eps, order) if nb > 0 else None
        times = [time] + ([] if rule is None else list(time - rule.nodes))
        coeffs = [nu] + ([] if rule is None else list(rule.weights * nb))
        size = 1 << max(1, int(np.ceil(np.log2(len(times)))))
        t_arr, c_arr = np.zeros(size), np.zeros(size)
        t_arr[: len(times)], c_arr[: len(coeffs)] = times, coeffs
        total = float(np.sum(c_arr))
        joint = np.zeros((size, n), dtype=np.complex128)
        if nu > 0:
            joint[0] = np.sqrt(c_arr[0] / total) * u0 / nu
        if rule is not None:
            joint[1 : len(times)] = np.sqrt(c_arr[1 : len(times)] / total)[:, None] * (b / nb)
        prep = np.sqrt(c_arr / total)
        for arr in (t_arr, c_arr, joint, prep):
            arr.setflags(write=False)
        return ForcedLCHSLayout(base, rule, t_arr, c_arr, joint.reshape(-1), prep)

    key = array_digest(A, u0, b, time, eps, beta, scale, order) + kernel
    return _forced_layouts.get(key, make)


def branch_prep_matrix(layout: ForcedLCHSLayout) -> np.ndarray:
    """Unitary :math:`B` of the Möttönen preparation of :math:`\\sqrt{c_r/C}` (gates' own matrix)."""
    data = np.ascontiguousarray(layout.branch_prep).tobytes()
    return _prep_matrix_cached(data, layout.branch_qubits)


__all__ = [
    "ForcedLCHSLayout",
    "LCHSLayout",
    "branch_prep_matrix",
    "forced_layout",
    "lchs_gates",
    "lchs_layout",
    "prep_matrix",
]
