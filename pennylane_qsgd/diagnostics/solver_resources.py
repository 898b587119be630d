"""Small instances: the estimator operators of :mod:`.estimator_ops` for one
:class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver`, to check the window model of
:mod:`~pennylane_qsgd.diagnostics.resources` against a template that can be built and run.
"""

from __future__ import annotations

from dataclasses import dataclass

from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.core.polynomials import inverse_polynomial_degree
from pennylane_qsgd.diagnostics.estimator_counting import gate_counts
from pennylane_qsgd.diagnostics.estimator_ops import (
    CarlemanEulerEncoding,
    DenseEncoding,
    QSVTInversion,
)


@dataclass(frozen=True)
class SolverEstimate:
    """:mod:`.estimator_ops` model of one :class:`GradientFlowSolver` (no amplification).

    Attributes
    ----------
    logical_qubits : int
    block_encoding_calls : int
    kappa : float
        Condition number used for the degree.
    degree : int
    counts : dict[str, int]
        ``qre.estimate`` counts with the template-level gates kept as leaves (``DenseEncoding``,
        ``CarlemanEulerEncoding``, ``DenseStatePrep``, ``MultiRZ``, ``Hadamard``).
    """

    logical_qubits: int
    block_encoding_calls: int
    kappa: float
    degree: int
    counts: dict


def solver_estimate(op: GradientFlowSolver) -> SolverEstimate:
    """The estimator operators of ``op``: preparation of :math:`|B\\rangle` and the QSVT inversion
    over ``op``'s own encoding (dense: one ``DenseEncoding``; structured: the circuit's gate list,
    :class:`.estimator_ops.CarlemanEulerEncoding`), with ``op``'s own :math:`\\kappa`."""
    hp = op.hyperparameters
    layout = op.layout
    problem = op.problem
    kappa = float(op.kappa)
    if hp["encoding"] == "dense":
        enc = DenseEncoding.resource_rep(num_wires=len(layout.register_wires) + 1)
    elif hp["encoding"] == "structured":
        enc = CarlemanEulerEncoding.resource_rep(
            size=problem.size,
            level=hp["carleman_level"],
            steps=hp["steps"],
            idle=hp["idle"],
            forcing_pieces=int(problem.F0.shape[0]),
            f_model="dense",
            row_sparsity=1,
            value_bits=1,
        )
    else:
        raise ValueError(f"no estimator operator for the {hp['encoding']!r} encoding")
    degree = inverse_polynomial_degree(kappa, hp["precision"])
    ancillas = len(layout.ancilla_wires)
    inversion = QSVTInversion.resource_rep(encoding=enc, degree=degree, ancillas=ancillas)
    leaves = {
        "DenseEncoding",
        "CarlemanEulerEncoding",
        "DenseStatePrep",
        "MultiRZ",
        "Hadamard",
        "MultiControlledX",
    }
    counts = gate_counts(inversion, leaves)
    counts["DenseStatePrep"] = counts.get("DenseStatePrep", 0) + 1
    return SolverEstimate(
        logical_qubits=len(op.wires),
        block_encoding_calls=degree,
        kappa=kappa,
        degree=degree,
        counts=counts,
    )


__all__ = ["SolverEstimate", "solver_estimate"]
