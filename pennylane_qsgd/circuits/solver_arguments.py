"""Checked hyperparameters and the block encoding of :class:`~.solver.GradientFlowSolver`.

:func:`solver_hyperparameters` validates the template's arguments (naming the argument and value)
and returns its hyperparameter dictionary; :func:`encoding_for` builds the registered Euler
encoding those hyperparameters name on the layout's encoding wires.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.encoding import (
    EulerEncoding,
    check_time,
    encoding_class,
    unpack_problem,
)
from pennylane_qsgd.circuits.solver_layout import SolverLayout, required_wires, solver_layout
from pennylane_qsgd.circuits.solver_policy import (
    KAPPA_MODES,
    default_idle,
    euler_steps_for_tolerance,
)
from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.problem import PolynomialODE


def solver_hyperparameters(
    problem: PolynomialODE,
    T: float,
    carleman_level: int,
    steps: int | None,
    eps: float | None,
    idle: int | None,
    encoding: str,
    inverter: str,
    precision: float,
    wires: object,
    alpha: float | str,
    kappa: float | str,
    scale: float | None,
    clock_qubits: int,
    evolution: str,
) -> dict:
    """Check :class:`~.solver.GradientFlowSolver`'s arguments and return its hyperparameters.

    Parameters
    ----------
    problem, T, carleman_level, steps, eps, idle, encoding, inverter, precision, wires, alpha, \
kappa, scale, clock_qubits, evolution
        As in :class:`~.solver.GradientFlowSolver`.

    Returns
    -------
    dict
        ``T``, ``carleman_level``, ``steps``, ``idle``, ``encoding``, ``inverter``,
        ``precision``, ``alpha``, ``kappa``, ``scale`` (and ``clock_qubits``, ``evolution`` for
        ``inverter="hhl"``).

    Raises
    ------
    TypeError
        If ``problem`` is not a :class:`~.PolynomialODE`.
    ValueError
        If an argument is out of range or ``wires`` do not fit the layout.
    """
    if not isinstance(problem, PolynomialODE):
        raise TypeError(f"problem must be a PolynomialODE; got {type(problem).__name__}")
    T = check_time(T)
    N = as_count(carleman_level, "carleman_level")
    if steps is None:
        if eps is None:
            raise ValueError("give steps (Euler steps) or eps (Euler error tolerance)")
        steps = euler_steps_for_tolerance(problem, N, T, float(eps))
    m = as_count(steps, "steps")
    p = default_idle(m) if idle is None else as_count(idle, "idle", minimum=0)
    if not np.isfinite(precision) or not 0 < precision < 1:
        raise ValueError(f"precision must lie in (0, 1); got {precision!r}")
    cls = encoding_class(encoding)
    if isinstance(alpha, str) and alpha not in ("bound", "norm"):
        raise ValueError(f"alpha must be a number, 'bound' or 'norm'; got {alpha!r}")
    if alpha != "bound" and not getattr(cls, "free_alpha", False):
        raise ValueError(
            f"alpha={alpha!r} needs an encoding with a free subnormalisation (dense); the "
            f"{encoding} encoding states its own (alpha='bound')"
        )
    if isinstance(kappa, str) and kappa not in KAPPA_MODES:
        raise ValueError(f"kappa must be a number or one of {KAPPA_MODES}; got {kappa!r}")
    if inverter == "hhl" and evolution != "exact":
        raise ValueError(f"evolution must be 'exact'; got {evolution!r}")
    if wires is None:
        n = required_wires(problem.size, N, m, p, encoding, inverter, clock_qubits)
        raise ValueError(f"wires are required: {n} wires (inverter, encoding registers)")
    solver_layout(problem.size, N, m, p, wires, encoding, inverter, clock_qubits)
    hp = {
        "T": T,
        "carleman_level": N,
        "steps": m,
        "idle": p,
        "encoding": encoding,
        "inverter": inverter,
        "precision": float(precision),
        "alpha": alpha if isinstance(alpha, str) else float(alpha),
        "kappa": kappa if isinstance(kappa, str) else float(kappa),
        "scale": None if scale is None else float(scale),
    }
    if inverter == "hhl":
        hp["clock_qubits"] = int(clock_qubits)
        hp["evolution"] = evolution
    return hp


def encoding_for(data: tuple, hp: dict, layout: SolverLayout) -> EulerEncoding:
    """The block encoding named by ``hp`` on ``layout.encoding_wires`` (not queued).

    Parameters
    ----------
    data : tuple
        The operation's packed problem data (:func:`~.encoding.pack_problem`).
    hp : dict
        Hyperparameters from :func:`solver_hyperparameters`.
    layout : SolverLayout
        The solver's register layout.

    Returns
    -------
    EulerEncoding
    """
    cls = encoding_class(hp["encoding"])
    extra = {} if hp["alpha"] == "bound" else {"alpha": hp["alpha"]}
    with qml.QueuingManager.stop_recording():
        return cls(
            unpack_problem(data),
            hp["T"],
            hp["carleman_level"],
            hp["steps"],
            hp["idle"],
            wires=layout.encoding_wires,
            **extra,
        )


__all__ = ["encoding_for", "solver_hyperparameters"]
