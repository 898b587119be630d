"""Dense encoding of the Euler–Carleman matrix: the unitary dilation of the padded :math:`L`.

:class:`DenseEulerEncoding` is :class:`~.DenseBlockEncoding` (one ancilla ``a``, one dense
``QubitUnitary``) of :math:`L` of ``core.euler.euler_system`` re-indexed into a flat register
and padded with the identity (PNAS, arXiv:2011.03185, equations (4.8)-(4.10)). For small systems,
and the gates-level reference of every other encoding.

Registers (wire order)::

    a | time (t wires, MSB first) | level (c - b wires) | system (b wires)

* time: :math:`K = 2^t` slots, Euler steps ``0..m``, idle steps ``m+1..m+p``, the rest identity.
* Carleman: the level-1 block padded to :math:`2^b \\ge s` entries, so "level wires all 0" is
  level 1; levels ``2..N`` (``np.kron`` order) follow at offset :math:`2^b`, padded to :math:`2^c`.

:math:`\\alpha` follows :func:`~.solver_policy.dense_alpha` (``"bound"``, ``"norm"`` or a number).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pennylane as qml
import scipy.sparse as sp
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest, queued
from pennylane_qsgd.circuits.encoded_matrix import EncodedMatrix
from pennylane_qsgd.circuits.encoding import EulerEncoding, register_encoding, unpack_problem
from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.circuits.solver_policy import dense_alpha, euler_twin, time_wires
from pennylane_qsgd.core.carleman import carleman_dimension
from pennylane_qsgd.core.euler import euler_system
from pennylane_qsgd.core.memory import check_memory

_PADDED = DigestCache(size=4)


def dense_widths(size: int, carleman_level: int, steps: int, idle: int) -> dict[str, int]:
    """Qubits of ``a``, ``time``, ``level`` and ``system`` (module docstring)."""
    t = time_wires(steps, idle)
    b = bits(size)
    c = bits(2**b + carleman_dimension(size, carleman_level) - size)
    return {"a": 1, "time": t, "level": c - b, "system": b}


def dense_embedding(size: int, carleman_level: int, steps: int, idle: int) -> np.ndarray:
    """Register index of each coordinate of :math:`L`, shape ((m+p+1) Δ,)."""
    w = dense_widths(size, carleman_level, steps, idle)
    padded = 2 ** w["system"]
    idx = np.arange(carleman_dimension(size, carleman_level))
    carl = np.where(idx < size, idx, idx - size + padded)
    slots = 2 ** (w["level"] + w["system"])
    return (np.arange(steps + idle + 1)[:, None] * slots + carl[None, :]).reshape(-1)


def pad_system(L_core: sp.csr_array, index: np.ndarray, dim: int) -> sp.csr_array:
    """``L_core`` re-indexed by ``index`` into ``dim`` coordinates, identity on the others."""
    check_memory(
        16 * dim + 24 * (L_core.nnz + dim),
        f"the padded Euler system ({dim} rows)",
        "Lower the level, the steps or the idle steps.",
    )
    coo = L_core.tocoo()
    free = np.ones(dim, dtype=bool)
    free[index] = False
    pad = np.flatnonzero(free)
    return sp.csr_array(
        (
            np.concatenate([coo.data, np.ones(pad.size)]),
            (np.concatenate([index[coo.row], pad]), np.concatenate([index[coo.col], pad])),
        ),
        shape=(dim, dim),
    )


class DenseEulerEncoding(EulerEncoding):
    """Unitary dilation of the padded Euler–Carleman matrix :math:`L` (module docstring).

    Parameters
    ----------
    problem, T, carleman_level, steps, idle, wires
        As :class:`~.EulerEncoding`; wires ``a, time..., level..., system...``.
    alpha : float or {"bound", "norm"}
        Subnormalisation (:func:`~.solver_policy.dense_alpha`).

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    >>> n = DenseEulerEncoding.num_wires_for(1, 2, 2, 1)
    >>> op = DenseEulerEncoding(problem, 0.5, 2, 2, 1, wires=range(n))
    >>> op.resources().gates
    {'DenseBlockEncoding(4)': 1}
    """

    ancilla_registers: ClassVar[tuple[str, ...]] = ("a",)
    free_alpha: ClassVar[bool] = True

    def __init__(self, problem, T, carleman_level, steps, idle, wires=None, alpha="bound", id=None):
        if isinstance(alpha, str) and alpha not in ("bound", "norm"):
            raise ValueError(f"alpha must be a number, 'bound' or 'norm'; got {alpha!r}")
        super().__init__(problem, T, carleman_level, steps, idle, wires=wires, id=id)
        self._hyperparameters["alpha"] = alpha if isinstance(alpha, str) else float(alpha)

    @classmethod
    def register_widths(cls, size, carleman_level, steps, idle) -> dict:  # noqa: D102
        return dense_widths(size, carleman_level, steps, idle)

    @classmethod
    def embedding_for(cls, size, carleman_level, steps, idle) -> np.ndarray:  # noqa: D102
        return dense_embedding(size, carleman_level, steps, idle)

    def encoded(self) -> EncodedMatrix:
        """The padded :math:`L/\\alpha` with its dilation blocks as sparse products (cached)."""
        return _encoded_for(self.data, self.hyperparameters, len(self.wires) - 1)

    @property
    def alpha(self) -> float:
        """:func:`~.solver_policy.dense_alpha` (no padded :math:`L` is formed for it)."""
        hp = self.hyperparameters
        twin = euler_twin(self.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"])
        return dense_alpha(twin, hp["alpha"])[0]

    def apply_unitary(self, state: np.ndarray, adjoint: bool = False) -> np.ndarray:  # noqa: D102
        upper, lower = self.encoded().dilation_apply(state[0], state[1], adjoint=adjoint)
        return np.stack([upper, lower])

    def garbage(self, vectors: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.stack([np.zeros_like(vectors), self.encoded().sqrt_left(vectors)])

    @staticmethod
    def compute_decomposition(*data, wires: Wires, **hyperparameters) -> list:
        """One :class:`~.DenseBlockEncoding` of the padded :math:`L` (dense: small systems)."""
        enc = _encoded_for(data, hyperparameters, len(wires) - 1)
        dim = enc.csr.shape[0]
        check_memory(
            8 * dim * dim,
            f"the dense block encoding of L ({dim} x {dim}) for the gates fidelity",
            'Use qsgd.sim\'s fidelity="native", which never forms dense matrices.',
        )
        with qml.QueuingManager.stop_recording():
            op = DenseBlockEncoding(enc.csr.toarray(), enc.alpha, wires=wires, validate=False)
        return queued([op])


def _encoded_for(data: tuple, hp: dict, system_wires: int) -> EncodedMatrix:
    key = array_digest(*data) + repr(sorted(hp.items()))

    def make() -> EncodedMatrix:
        problem = unpack_problem(data)
        N, T, m, p = hp["carleman_level"], hp["T"], hp["steps"], hp["idle"]
        twin = euler_twin(problem, N, T, m, p)
        L_core = twin.L if twin.L is not None else euler_system(problem, N, T, m, p)[0]
        alpha, norm = dense_alpha(twin, hp["alpha"])
        index = dense_embedding(problem.size, N, m, p)
        return EncodedMatrix(pad_system(L_core, index, 2**system_wires), alpha, norm=norm)

    return _PADDED.get(key, make)


register_encoding("dense", DenseEulerEncoding)

__all__ = ["DenseEulerEncoding", "dense_embedding", "dense_widths", "pad_system"]
