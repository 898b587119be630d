"""Mathematical core: numpy/scipy only (no PennyLane, no torch).

The polynomial ODE, its dissipation, the Carleman embedding, the forward-Euler system and its
structured solve, the PNAS bounds, classical references, and the QSP/QSVT polynomials and phases.
"""

from pennylane_qsgd.core.almost_dissipative import (
    WindowClass,
    classify_window,
    lyapunov_certificate,
    minimal_shift,
)
from pennylane_qsgd.core.bounds import (
    LemmaBounds,
    StepSizeWarning,
    check_step_size,
    condition_number_bound,
    euler_error_bound,
    lemma_bounds,
    max_step_size,
    success_probability_bound,
    truncation_error_bound,
)
from pennylane_qsgd.core.burgers import PNAS_FIG1, BurgersSetup
from pennylane_qsgd.core.carleman import carleman_dimension, carleman_forcing, carleman_matrix, lift
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.carleman_operator import CarlemanOperator
from pennylane_qsgd.core.conditioning import condition_number
from pennylane_qsgd.core.discrete_carleman import (
    discrete_carleman_matrix,
    iterate_discrete_carleman,
)
from pennylane_qsgd.core.dissipation import (
    Dissipation,
    dissipation,
    dissipation_ratio,
    lemma_rescaling_factor,
    provable_interval,
    rescale_to_unit_ball,
    rescaling_factor,
)
from pennylane_qsgd.core.error_curves import ErrorCurve, error_curves, reference_trajectory
from pennylane_qsgd.core.euler import EulerSolution, euler_system, solve_euler
from pennylane_qsgd.core.examples import (
    burgers_pnas_problem,
    burgers_problem,
    load_problem,
    logistic_problem,
    logistic_solution,
)
from pennylane_qsgd.core.lanczos import lanczos, lanczos_extremes
from pennylane_qsgd.core.lchs import lchs_quadrature
from pennylane_qsgd.core.lchs_cost import lchs_cost
from pennylane_qsgd.core.lchs_twins import lchs_apply, lchs_solve
from pennylane_qsgd.core.lowrank_carleman import (
    LowRankEulerSolution,
    RankCapError,
    check_dense_route,
    solve_euler_lowrank,
)
from pennylane_qsgd.core.memory import MemoryBudgetError, check_memory, memory_limit_bytes
from pennylane_qsgd.core.norms import spectral_norm
from pennylane_qsgd.core.phase_angles import qsp_phases, qsp_unitary_entry, wx_to_qsvt_angles
from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    inverse_polynomial,
    inverse_polynomial_degree,
    jacobi_anger_cos,
    jacobi_anger_sin,
)
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import gradient_descent_map, integrate_ode

__all__ = [
    "BurgersSetup",
    "CarlemanOperator",
    "ChebyshevPolynomial",
    "Dissipation",
    "ErrorCurve",
    "EulerSolution",
    "LemmaBounds",
    "LowRankEulerSolution",
    "MemoryBudgetError",
    "PNAS_FIG1",
    "PolynomialODE",
    "RankCapError",
    "StepSizeWarning",
    "WindowClass",
    "burgers_pnas_problem",
    "burgers_problem",
    "carleman_dimension",
    "carleman_flow",
    "carleman_forcing",
    "carleman_matrix",
    "check_dense_route",
    "check_memory",
    "check_step_size",
    "classify_window",
    "condition_number",
    "condition_number_bound",
    "discrete_carleman_matrix",
    "dissipation",
    "dissipation_ratio",
    "error_curves",
    "euler_error_bound",
    "euler_system",
    "gradient_descent_map",
    "integrate_ode",
    "inverse_polynomial",
    "inverse_polynomial_degree",
    "iterate_discrete_carleman",
    "jacobi_anger_cos",
    "jacobi_anger_sin",
    "lanczos",
    "lanczos_extremes",
    "lchs_apply",
    "lchs_cost",
    "lchs_quadrature",
    "lchs_solve",
    "lemma_bounds",
    "lemma_rescaling_factor",
    "lift",
    "load_problem",
    "logistic_problem",
    "logistic_solution",
    "lyapunov_certificate",
    "max_step_size",
    "memory_limit_bytes",
    "minimal_shift",
    "provable_interval",
    "qsp_phases",
    "qsp_unitary_entry",
    "reference_trajectory",
    "rescale_to_unit_ball",
    "rescaling_factor",
    "solve_euler",
    "solve_euler_lowrank",
    "spectral_norm",
    "success_probability_bound",
    "truncation_error_bound",
    "wx_to_qsvt_angles",
]
