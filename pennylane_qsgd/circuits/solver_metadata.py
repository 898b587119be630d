"""What a :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver` does, computed classically:
its :class:`SolverInfo` (:math:`\\alpha`, :math:`\\kappa`, degree, success probabilities,
amplification rounds, resources), from the twins of :mod:`.solver_twins`, and its success oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.amplification import (
    amplification_rounds,
    amplified_probability,
    success_oracle,
)
from pennylane_qsgd.circuits.hhl_phase_estimation import fejer_filter
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import SolverLayout
from pennylane_qsgd.circuits.solver_twins import ideal_solution, solver_state, success_branch
from pennylane_qsgd.core.bounds import condition_number_bound


@dataclass(frozen=True)
class SolverInfo:
    """What a :class:`~.GradientFlowSolver` does, computed classically (:func:`solver_info`).

    ``degree`` is the number of encoding calls (0 for HHL); ``scale`` and ``polynomial_error``
    describe :math:`P \\approx \\text{scale}/(\\kappa x)` (HHL: 1 and the clock filter's largest
    error on the spectrum); ``output_state`` / ``ideal_state`` the success branch of the
    circuit's map and of the exact solve.
    """

    layout: SolverLayout
    success_condition: dict
    encoding: str
    alpha: float
    kappa: float
    kappa_source: str
    kappa_bound: float
    degree: int
    scale: float
    polynomial_error: float
    success_probability: float
    ideal_success_probability: float
    rounds: int
    amplified_probability: float
    output_state: np.ndarray = field(repr=False)
    ideal_state: np.ndarray = field(repr=False)
    resources: TemplateResources = field(repr=False)


def solver_info(op: GradientFlowSolver) -> SolverInfo:
    """Compute :class:`SolverInfo` for ``op`` (one native solve)."""
    layout = op.layout
    kappa, source = op.condition()
    if op.hyperparameters["inverter"] == "hhl":
        hhl = op.hhl_operator()
        enc = op.encoding().encoded()
        lam = np.linalg.svd(enc.csr.toarray() / enc.alpha, compute_uv=False)
        filtered = fejer_filter(lam, hhl.num_clock, hhl.t0, hhl.C)
        degree, scale, error = 0, 1.0, float(np.max(np.abs(filtered - hhl.C / lam)))
    else:
        angles = op.inverse_angles()
        degree, scale, error = angles.degree, angles.scale, angles.polynomial.target_error
    output, prob = success_branch(op, solver_state(op))
    ideal = ideal_solution(op, scale=scale)
    rounds = amplification_rounds(prob) if prob > 0 else 0
    return SolverInfo(
        layout=layout,
        success_condition=layout.success_condition,
        encoding=op.hyperparameters["encoding"],
        alpha=op.alpha,
        kappa=kappa,
        kappa_source=source,
        kappa_bound=condition_number_bound(layout.steps, layout.idle),
        degree=degree,
        scale=scale,
        polynomial_error=error,
        success_probability=prob,
        ideal_success_probability=ideal.success_probability,
        rounds=rounds,
        amplified_probability=amplified_probability(prob, rounds) if prob > 0 else 0.0,
        output_state=output,
        ideal_state=ideal.state,
        resources=op.resources(),
    )


def solver_oracle(op: GradientFlowSolver) -> qml.FlipSign:
    """The success oracle of ``op`` (:func:`~.amplification.success_oracle`)."""
    return success_oracle(op.layout.success_condition)


__all__ = ["SolverInfo", "solver_info", "solver_oracle"]
