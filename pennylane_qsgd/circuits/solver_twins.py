"""Classical twins of :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver`, in one place.

* :func:`solver_state`: the state the gates prepare (``qsgd.sim``'s native fidelity), for any
  encoding: the real-part QSVT map (:func:`~.linear_maps.real_part_qsvt`) by sparse products with
  the core's :math:`L/\\alpha` (the block of every encoding), embedded in the encoding's register;
  the amplitude outside the block is :math:`(I - \\Pi)U^\\dagger(|0\\rangle g)`
  (:meth:`~.encoding.EulerEncoding.garbage`). HHL: :func:`~.hhl_twin.apply_hhl`.
* :func:`ideal_solution` / :func:`ideal_solver_state`: the exact Euler solve by forward
  substitution (the ideal fidelity), for any encoding.
* :func:`success_output`: the native fidelity on the success event only, what a training
  window reads (no register-sized state; matrix-free for the structured encoding).
* :func:`success_branch`: the normalised success branch of a state and its probability
  (what :mod:`.solver_metadata` reports with the rest of the solver's numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.circuits.hhl_twin import apply_hhl
from pennylane_qsgd.circuits.linear_maps import (
    qsvt_response,
    real_part_qsvt,
    singular_value_transform,
)
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import SolverLayout
from pennylane_qsgd.core.carleman import carleman_dimension, lift
from pennylane_qsgd.core.euler import EulerSolution, solve_euler, step_times
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.polynomials import inverse_polynomial


def _branch_shape(layout: SolverLayout) -> tuple[int, ...]:
    """State shape over ``op.wires``: (2 [r], [2 flag], 2**ancillas, 2**register)."""
    head = (2,) if layout.flag_wire is None else (2, 2)
    return head + (2 ** len(layout.ancilla_wires), 2 ** len(layout.register_wires))


def solver_state(op: GradientFlowSolver) -> np.ndarray:
    """The state :math:`U|0\\rangle` that the gates of ``op`` prepare, over ``op.wires``.

    Includes the polynomial error and every branch, so it equals the gate-level state to
    rounding (module docstring). ``inverter="hhl"``: :func:`hhl_solver_state`.

    Returns
    -------
    ndarray of complex, shape (2**len(op.wires),), big-endian over ``op.wires``.
    """
    if op.hyperparameters["inverter"] == "hhl":
        return hhl_solver_state(op)
    layout = op.layout
    shape = _branch_shape(layout)
    check_memory(
        16 * 3 * int(np.prod(shape)),
        f"the native solver state ({int(np.prod(shape))} amplitudes)",
        "Lower the level or steps.",
    )
    encoding = op.encoding()
    apply, apply_adjoint = encoding.block_products()
    b = _core_rhs(op)
    # QSVT acts on the encoding of L^dagger: X = L^T / alpha.
    out = real_part_qsvt(qsvt_response(op.inverse_angles().angles), apply_adjoint, apply, b)
    index = layout.register_index()

    def embed(*vectors):
        full = np.zeros((shape[-1], len(vectors)), dtype=np.complex128)
        for j, v in enumerate(vectors):
            full[index, j] = v
        return full

    state = np.zeros(shape, dtype=np.complex128)
    garbage = encoding.garbage(embed(out.garbage_r0, out.garbage_r1))
    blocks = embed(out.success, out.imaginary)
    for r in range(2):
        target = state[r] if layout.flag_wire is None else state[r, 0]
        target[:] = garbage[..., r]
        target[0] = blocks[:, r]
    return state.reshape(-1)


def _core_rhs(op: GradientFlowSolver) -> np.ndarray:
    """:math:`B/\\|B\\|` in the core's coordinates (without forming :math:`L`)."""
    hp = op.hyperparameters
    problem, N, m, p = op.problem, hp["carleman_level"], hp["steps"], hp["idle"]
    dim = carleman_dimension(problem.size, N)
    B = np.zeros((m + p + 1, dim))
    B[0] = lift(problem.u_in, N)
    forcing = problem.F0[np.asarray(problem.forcing_piece(step_times(hp["T"], m))).reshape(-1)]
    B[1 : m + 1, : problem.size] = hp["T"] / m * forcing
    return B.reshape(-1) / np.linalg.norm(B)


def success_output(op: GradientFlowSolver) -> tuple[np.ndarray, float]:
    """:func:`success_branch` of :func:`solver_state`, computed on the success event only.

    The same numbers as the native fidelity's state restricted to the success event (the
    real-part QSVT block of :math:`L/\\alpha` on :math:`B`), without the garbage branches or a
    register-sized state: one Clenshaw recurrence with the encoding's
    :meth:`~.encoding.EulerEncoding.block_products` (matrix-free for the structured encoding).
    This is what a training window reads (:func:`~pennylane_qsgd.optim.window.solve_window`).
    """
    if op.hyperparameters["inverter"] == "hhl":
        return success_branch(op, solver_state(op))
    apply, apply_adjoint = op.encoding().block_products()
    top = qsvt_response(op.inverse_angles().angles).top
    success = singular_value_transform(top.real, apply_adjoint, apply, _core_rhs(op))
    layout = op.layout
    grid = success.reshape(layout.steps + layout.idle + 1, -1)
    good = grid[layout.success_slots.start :, : layout.size]
    vec = good.sum(axis=0)
    norm = np.linalg.norm(vec)
    return (vec / norm if norm > 0 else vec), float(np.sum(np.abs(good) ** 2))


def hhl_solver_state(op: GradientFlowSolver) -> np.ndarray:
    """The state the gates of an ``inverter="hhl"`` ``op`` prepare: :func:`~.hhl_twin.apply_hhl`
    on :math:`|0\\rangle_{anc}|0\\rangle_{clock}|0\\rangle_d|B/\\|B\\|\\rangle` (dense
    eigendecomposition: small windows only)."""
    if op.hyperparameters["inverter"] != "hhl":
        raise ValueError(
            f"hhl_solver_state needs inverter='hhl'; got {op.hyperparameters['inverter']!r}"
        )
    hhl = op.hhl_operator()
    dim = 2 ** len(op.layout.register_wires)
    clock = 2 ** len(op.layout.clock_wires)
    check_memory(
        16 * 8 * clock * dim + 16 * 4 * dim * dim,
        f"the native HHL solver state ({4 * clock * dim} amplitudes, a {2 * dim}-dimensional "
        "dense eigendecomposition)",
        "Lower the level, the steps or clock_qubits.",
    )
    B = op.rhs()
    state = np.zeros((2, clock, 2 * dim, 1), dtype=np.complex128)
    state[0, 0, :dim, 0] = B / np.linalg.norm(B)
    return apply_hhl(hhl, state).reshape(-1)


@dataclass(frozen=True)
class IdealSolution:
    """The ideal solver's output without a state vector (exact Euler solve, exact 1/x).

    Attributes
    ----------
    euler : EulerSolution
    state : ndarray, shape (s,)
        :math:`u_m/\\|u_m\\|`.
    flag_probability : float
        :math:`(\\text{scale}\\,\\alpha/\\kappa)^2\\|L^{-1}B\\|^2/\\|B\\|^2` (HHL: scale 1).
    subset_probability : float
        :math:`(m + p + 1 - K/2)\\|u_m\\|^2/\\|Y\\|^2`.
    """

    euler: EulerSolution
    state: np.ndarray
    flag_probability: float
    subset_probability: float

    @property
    def success_probability(self) -> float:
        """Probability of the whole success event."""
        return self.flag_probability * self.subset_probability


def _rhs_norm(op: GradientFlowSolver) -> float:
    """:math:`\\|B\\| = (\\sum_j\\|u_{\\rm in}\\|^{2j} + h^2 \\sum_k \\|F_0(t_{k-1})\\|^2)^{1/2}`."""
    hp = op.hyperparameters
    problem, m = op.problem, hp["steps"]
    h = hp["T"] / m
    forcing = np.array([problem.forcing(t) for t in step_times(hp["T"], m)])
    u2 = float(np.dot(problem.u_in, problem.u_in))
    lifted = sum(u2**j for j in range(1, hp["carleman_level"] + 1))
    return float(np.sqrt(lifted + h * h * np.sum(forcing**2)))


def ideal_solution(op: GradientFlowSolver, scale: float | None = None) -> IdealSolution:
    """Exact solve by forward substitution (``core.euler.solve_euler``), for any encoding.

    Past :data:`~.solver_policy.SPARSE_SIGMA_LIMIT` rows it forms neither :math:`L` nor a state.
    ``scale``: polynomial scale for the flag probability (default that of the op's polynomial;
    1 for HHL).
    """
    hp = op.hyperparameters
    sol = solve_euler(op.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"])
    alpha, kappa = op.alpha, op.kappa
    if scale is None:
        hhl = hp["inverter"] == "hhl"
        scale = 1.0 if hhl else inverse_polynomial(kappa, hp["precision"], hp["scale"]).scale
    flag = (scale * alpha / kappa * sol.norm_Y / _rhs_norm(op)) ** 2
    u2 = float(sol.u_final @ sol.u_final)
    subset = len(op.layout.success_slots) * u2 / sol.norm_Y**2 if sol.norm_Y > 0 else 0.0
    u_norm = np.sqrt(u2)
    state = sol.u_final / u_norm if u_norm > 0 else sol.u_final
    return IdealSolution(sol, state, min(flag, 1.0), subset)


def ideal_solver_state(op: GradientFlowSolver) -> np.ndarray:
    """State of the ideal model over ``op.wires``: the exact normalised history :math:`\\hat Y`.

    :math:`c\\,|\\text{flags}\\rangle|\\hat Y\\rangle + \\sqrt{1-c^2}\\,|\\text{fail}\\rangle|\\hat
    Y\\rangle` with :math:`c^2` the flag probability of :func:`ideal_solution`; "fail" is the last
    encoding ancilla 1 (QSVT) or ``anc = 0`` (HHL). Only post-selected outcomes are meaningful.
    """
    hp = op.hyperparameters
    layout = op.layout
    sol = solve_euler(
        op.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"], store_history=True
    )
    dim = 2 ** len(layout.register_wires)
    n_amp = 4 * dim * 2 ** len(layout.ancilla_wires) * 2 ** len(layout.clock_wires)
    check_memory(16 * n_amp, f"the ideal solver state ({n_amp} amplitudes)", "")
    y = np.zeros(dim)
    y[layout.register_index()] = sol.history.reshape(-1) / sol.norm_Y
    c = np.sqrt(ideal_solution(op).flag_probability)
    fail = np.sqrt(max(1.0 - c * c, 0.0))
    if hp["inverter"] == "hhl":
        out = np.zeros((2, 2 ** len(layout.clock_wires), 2, dim), dtype=np.complex128)
        out[1, 0, 1], out[0, 0, 1] = c * y, fail * y
        return out.reshape(-1)
    out = np.zeros(_branch_shape(layout), dtype=np.complex128)
    view = out[0] if layout.flag_wire is None else out[0, 0]
    view[0], view[1] = c * y, fail * y
    return out.reshape(-1)


def success_branch(op: GradientFlowSolver, state: np.ndarray) -> tuple[np.ndarray, float]:
    """Probability of the success event in ``state`` (over ``op.wires``) and the system output.

    Returns
    -------
    system_state : ndarray, shape (s,)
        The level-1 amplitudes of the success slots, summed coherently over the slots and
        normalised (all slots hold :math:`y_m`; the sum removes the time register).
    probability : float
    """
    layout = op.layout
    dim = 2 ** len(layout.register_wires)
    if layout.inverter == "hhl":
        block = np.asarray(state).reshape(2, -1, 2, dim)[1, 0, 1]  # anc = 1, clock 0, d = 1
    else:
        block = np.asarray(state)[:dim]  # r = 0, flag 0, ancillas 0
    good = block[layout.success_index()]
    prob = float(np.sum(np.abs(good) ** 2))
    vec = good.sum(axis=0)
    norm = np.linalg.norm(vec)
    return (vec / norm if norm > 0 else vec), prob


__all__ = [
    "IdealSolution",
    "hhl_solver_state",
    "ideal_solution",
    "ideal_solver_state",
    "solver_state",
    "success_branch",
    "success_output",
]
