"""One training window through the quantum pipeline: solve on ``qsgd.sim``, then download.

The window's gradient flow (a :class:`~pennylane_qsgd.core.problem.PolynomialODE`) gets a reference
coordinate (constant in time, so the downloaded direction carries its own sign and scale), is
rescaled into the unit ball, solved by :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver`
at the requested fidelity (gates: on ``qsgd.sim``; native: the circuit's exact map on the success
event, :func:`~pennylane_qsgd.circuits.solver_twins.success_output`; ideal: forward substitution),
with the block encoding of :func:`choose_encoding`, and read out by tomography with finite shots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.amplification import amplification_rounds, amplified_probability
from pennylane_qsgd.circuits.encoding import encoding_class
from pennylane_qsgd.circuits.reference_coordinate import (
    from_reference_coordinate,
    with_reference_coordinate,
)
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_policy import default_idle, forms_L
from pennylane_qsgd.circuits.solver_twins import ideal_solution, success_branch, success_output
from pennylane_qsgd.circuits.state_prep import normalized_state
from pennylane_qsgd.circuits.tomography import estimate_real_vector
from pennylane_qsgd.core.bounds import condition_number_bound, max_step_size
from pennylane_qsgd.core.dissipation import rescale_to_unit_ball
from pennylane_qsgd.core.euler import EulerSolution, solve_euler
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.device.simulate import FIDELITIES


@dataclass(frozen=True)
class WindowSolution:
    """What the quantum pipeline returned for one window.

    Attributes
    ----------
    u_final : ndarray, shape (s,)
        The downloaded weights on S at the end of the window (problem units).
    solver_output : ndarray, shape (s,)
        The same vector read exactly from the solver's output state (no shot noise).
    euler : EulerSolution or None
        The core's forward substitution of the (rescaled, referenced) system; None for the
        matrix-free path.
    steps, idle : int
        Euler steps ``m`` and idle steps ``p``.
    kappa, kappa_bound : float
        Condition number used by the inversion polynomial and Lemma 3's bound.
    success_probability : float
        Probability of the success event of one solver run.
    rounds : int
        Amplitude-amplification rounds that bring it near 1.
    shots : int
        Download shots (0 when analytic).
    solver_calls : float
        Expected solver runs the download costs, amplification included.
    download_error : float
        :math:`\\|u_{\\rm final} - \\text{solver output}\\|` (0 when analytic).
    qubits, degree : int
        Logical qubits of the solver and polynomial degree (block-encoding calls per run).
    gamma : float
        Rescaling factor used (``u = gamma v``).
    encoding : str
        Block encoding of :math:`L` the solver used (``"dense"``, ``"structured"``, ...;
        ``"none"`` for the matrix-free path, ``"lchs"`` for the LCHS route).
    route : str
        ``"euler"`` (forward Euler and a linear solver) or ``"lchs"``
        (:mod:`~pennylane_qsgd.optim.lchs_window`).
    lchs_log_norm : float or None
        :math:`\\lambda_{\\max}` of the Hermitian part of the rescaled Carleman matrix, where the
        LCHS route checked it (None otherwise).
    lchs_shift : float
        Shift :math:`c` the LCHS route evolved :math:`A - cI` with (0 when dissipative).
    """

    u_final: np.ndarray
    solver_output: np.ndarray
    euler: EulerSolution | None
    steps: int
    idle: int
    kappa: float
    kappa_bound: float
    success_probability: float
    rounds: int
    shots: int
    solver_calls: float
    download_error: float
    qubits: int
    degree: int
    gamma: float
    encoding: str
    route: str = "euler"
    lchs_log_norm: float | None = None
    lchs_shift: float = 0.0


def amplification_cost(probability: float) -> tuple[int, float]:
    """Amplification rounds and expected solver runs per successful shot."""
    rounds = amplification_rounds(probability) if probability > 0 else 0
    return rounds, (2 * rounds + 1) / max(amplified_probability(probability, rounds), 1e-300)


def euler_steps_for_window(problem: PolynomialODE, level: int, T: float) -> int:
    """Default Euler steps: ``h = min(1, 1/(N ||F1||))``, at least one step per gradient step."""
    h = min(1.0, max_step_size(problem, level))
    return max(1, math.ceil(T / h - 1e-12))


def choose_encoding(
    problem: PolynomialODE, level: int, steps: int, idle: int, fidelity: str
) -> str:
    """The block encoding of a window's solver (the rule of ``encoding="auto"``).

    At the native fidelity the window reads the success event of the solver's exact map
    (:func:`~pennylane_qsgd.circuits.solver_twins.success_output`): one Clenshaw recurrence of
    ``d`` products with :math:`L/\\alpha`, where ``d`` grows with :math:`\\alpha`. The dense
    encoding has the smaller :math:`\\alpha` and uses the core's sparse :math:`L`, so it is the
    cheaper one wherever the policy forms :math:`L`
    (:func:`~pennylane_qsgd.circuits.solver_policy.forms_L`: at most 200,000 rows and a quarter of
    the memory budget); beyond, only the structured encoding runs, its products applied factor by
    factor without :math:`L`. So: ``"structured"`` at the native fidelity when :math:`L` is not
    formed, ``"dense"`` otherwise (and at the gates and ideal fidelities, where it is the
    reference and the encoding only sets :math:`\\alpha`).
    """
    if fidelity == "native" and not forms_L(problem, level, steps, idle):
        return "structured"
    return "dense"


def download_direction(
    direction: np.ndarray, shots: int | None, seed: int | None
) -> tuple[np.ndarray, int]:
    """Tomography of the real unit vector ``direction`` on ``qsgd.sim``; exact when ``shots`` is None.

    The sign stage needs a controlled solver run per shot; the simulator prepares the solver's
    success-branch state (which it computed exactly) in its place, with the same statistics.
    """
    if shots is None:
        return direction, 0
    size = direction.shape[0]
    n = max(1, math.ceil(math.log2(size)))
    padded, _ = normalized_state(direction, n)
    result = estimate_real_vector(
        lambda wires: qml.StatePrep(padded, wires=wires),
        wires=list(range(n)),
        device="qsgd.sim",
        shots=int(shots),
        seed=seed,
        global_sign="measured",
    )
    return np.asarray(result.estimate)[:size], int(result.shots_used)


def download_weights(
    weights: np.ndarray, theta_bar: np.ndarray, shots: int | None, seed: int | None
) -> tuple[np.ndarray, int]:
    """Download real ``weights`` (s,) by tomography with a reference coordinate ``||theta_bar||``.

    The reference coordinate gives sign and scale (:mod:`~.circuits.reference_coordinate`); the
    result is the decoded estimate (weights up to rounding when ``shots`` is None) and the shots.
    """
    reference = float(np.linalg.norm(theta_bar)) or 1.0
    augmented = np.concatenate([[reference], weights])
    estimate, used = download_direction(augmented / np.linalg.norm(augmented), shots, seed)
    return from_reference_coordinate(estimate, reference), used


def weights_solution(
    weights: np.ndarray,
    theta_bar: np.ndarray,
    probability: float,
    shots: int | None,
    seed: int | None,
    *,
    steps: int,
    idle: int,
    qubits: int,
) -> WindowSolution:
    """The solution of a window whose solver returns the weights themselves (no formed system).

    ``weights`` (s,) are downloaded by :func:`download_weights`; ``probability`` is the success
    probability of one solver run. ``kappa`` is nan (no linear system is formed), the encoding
    ``"none"``, ``kappa_bound`` Lemma 3's bound for ``steps`` and ``idle``.
    """
    downloaded, used = download_weights(weights, theta_bar, shots, seed)
    rounds, per_success = amplification_cost(probability)
    return WindowSolution(
        u_final=downloaded,
        solver_output=weights,
        euler=None,
        steps=steps,
        idle=idle,
        kappa=float("nan"),
        kappa_bound=condition_number_bound(steps, idle),
        success_probability=float(probability),
        rounds=int(rounds),
        shots=used,
        solver_calls=float(used * per_success),
        download_error=float(np.linalg.norm(downloaded - weights)),
        qubits=qubits,
        degree=0,
        gamma=1.0,
        encoding="none",
    )


def solve_window(
    problem: PolynomialODE,
    T: float,
    level: int,
    *,
    fidelity: str = "native",
    steps: int | None = None,
    idle: int | None = None,
    encoding: str = "auto",
    precision: float = 1e-6,
    shots: int | None = None,
    seed: int | None = None,
) -> WindowSolution:
    """Run one window's gradient flow through ``qsgd.sim`` and download the result.

    Parameters
    ----------
    problem : PolynomialODE
        The window's flow, ``u(0)`` = the weights on S (size s).
    T : float
        Window length in gradient steps.
    level : int
        Carleman truncation level N.
    fidelity : {"native", "gates", "ideal"}
        Fidelity of ``qsgd.sim``.
    steps, idle : int, optional
        Euler steps ``m`` (default :func:`euler_steps_for_window`) and idle steps ``p``.
    encoding : str
        Block encoding of :math:`L`: a registered name, or ``"auto"``
        (:func:`choose_encoding`).
    precision : float
        Relative accuracy of the inversion polynomial.
    shots : int, optional
        Download shots; None reads the output state exactly.
    seed : int, optional
        Seed of the shot sampling.
    """
    if fidelity not in FIDELITIES:
        raise ValueError(f"fidelity must be one of {FIDELITIES}; got {fidelity!r}")
    norm_in = float(np.linalg.norm(problem.u_in))
    reference = norm_in if norm_in > 0 else 1.0
    augmented = with_reference_coordinate(problem, reference)
    scaled, gamma = rescale_to_unit_ball(augmented, 0.5)
    m = steps if steps is not None else euler_steps_for_window(scaled, level, T)
    p = default_idle(m) if idle is None else idle
    if encoding == "auto":
        encoding = choose_encoding(scaled, level, m, p, fidelity)
    encoding_class(encoding)
    n_wires = required_wires(scaled.size, level, m, p, encoding)
    op = GradientFlowSolver(
        scaled,
        T=T,
        carleman_level=level,
        steps=m,
        idle=p,
        encoding=encoding,
        precision=precision,
        wires=range(n_wires),
    )
    if fidelity == "ideal":
        ideal = ideal_solution(op)
        direction, probability, euler = ideal.state, ideal.success_probability, ideal.euler
    elif fidelity == "native":
        # The native map on the success event only (no register-sized state).
        direction, probability = success_output(op)
        direction = np.real_if_close(direction, tol=1e6).real
        euler = solve_euler(scaled, level, T, m, p) if forms_L(scaled, level, m, p) else None
    else:
        dev = qml.device("qsgd.sim", wires=n_wires, fidelity=fidelity)

        @qml.qnode(dev)
        def circuit():
            qml.apply(op)
            return qml.state()

        direction, probability = success_branch(op, np.asarray(circuit()))
        direction = np.real_if_close(direction, tol=1e6).real
        euler = solve_euler(scaled, level, T, m, p)
    estimate, used = download_direction(direction, shots, seed)
    reference_v = reference / gamma
    u_exact = gamma * from_reference_coordinate(direction, reference_v)
    u_final = gamma * from_reference_coordinate(estimate, reference_v)
    rounds, per_success = amplification_cost(probability)
    return WindowSolution(
        u_final=u_final,
        solver_output=u_exact,
        euler=euler,
        steps=m,
        idle=p,
        kappa=float(op.kappa),
        kappa_bound=condition_number_bound(m, p),
        success_probability=float(probability),
        rounds=int(rounds),
        shots=used,
        solver_calls=float(used * per_success),
        download_error=float(np.linalg.norm(u_final - u_exact)),
        qubits=n_wires,
        degree=int(op.inverse_angles().degree) if fidelity != "ideal" else 0,
        gamma=float(gamma),
        encoding=encoding,
    )


__all__ = [
    "choose_encoding",
    "download_weights",
    "euler_steps_for_window",
    "solve_window",
    "weights_solution",
    "WindowSolution",
]
