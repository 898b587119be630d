"""Which solver runs a dense window: the Euler route or LCHS, with the fallback between them.

``QSGD(route=...)`` checks the option here (:func:`check_route`) and dispatches one window with
:func:`solve_window_routed`: ``"euler"`` runs :func:`~pennylane_qsgd.optim.window.solve_window`,
``"lchs"`` :func:`~pennylane_qsgd.optim.lchs_window.solve_window_lchs`, and an LCHS window whose
generator is too far from dissipative runs on the Euler route after a
:class:`LCHSFallbackWarning`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.lchs_window import (
    LCHS_FIDELITIES,
    LCHSNotApplicableError,
    solve_window_lchs,
)
from pennylane_qsgd.optim.window import WindowSolution

ROUTES = ("euler", "lchs")
"""Solvers of a dense window: forward Euler + QSVT inversion, or LCHS."""


class LCHSFallbackWarning(UserWarning):
    """A ``route="lchs"`` window ran on the Euler route because LCHS did not apply."""


def check_route(group: Mapping) -> None:
    """Check a QSGD parameter group's ``route`` and the options it needs (ValueError)."""
    route = group.get("route", "euler")
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}; got {route!r}")
    if route != "lchs":
        return
    if group["fidelity"] not in LCHS_FIDELITIES:
        raise ValueError(
            f"route='lchs' runs at fidelity {LCHS_FIDELITIES}; got {group['fidelity']!r}"
        )
    if group["stochastic"]:
        raise ValueError("route='lchs' needs a constant forcing; use stochastic=False")
    if group["matrix_free"] or group["order2_route"] == "lowrank":
        raise ValueError(
            "route='lchs' evolves the formed Carleman matrix; it does not combine with "
            "matrix_free=True or order2_route='lowrank'"
        )


def solve_window_routed(
    problem: PolynomialODE,
    T: float,
    level: int,
    route: str,
    warn: Callable[[str], None],
    *,
    euler: Callable[[], WindowSolution],
    fidelity: str = "native",
    eps: float = 1e-6,
    shots: int | None = None,
    seed: int | None = None,
) -> WindowSolution:
    """The window on ``route``; an LCHS window whose generator is not dissipative runs
    ``euler()`` instead after ``warn(message)`` (its solution still records :math:`\\mu(A)`)."""
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}; got {route!r}")
    if route == "euler":
        return euler()
    try:
        return solve_window_lchs(
            problem, T, level, fidelity=fidelity, eps=eps, shots=shots, seed=seed
        )
    except LCHSNotApplicableError as err:
        warn(f"{err}: this window ran on the Euler route instead")
        return dataclasses.replace(euler(), lchs_log_norm=err.log_norm)


__all__ = ["LCHSFallbackWarning", "ROUTES", "check_route", "solve_window_routed"]
