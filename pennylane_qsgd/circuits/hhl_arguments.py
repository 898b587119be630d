"""Checked arguments of :class:`~.hhl_solver.HHLSolver`: clock size, evolution, :math:`t_0`, C.

:data:`EVOLUTIONS` and :data:`MAX_CLOCK` bound the template's options,
:func:`simulation_ancillas` counts the extra wires of ``evolution="qsvt"``, and
:func:`hhl_arguments` validates the template's arguments (naming the argument and value) and fills
in the defaults of :math:`t_0` and :math:`C`.
"""

from __future__ import annotations

import numpy as np
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import check_square_matrix, check_subnormalisation
from pennylane_qsgd.circuits.hhl_phase_estimation import default_time

MAX_CLOCK = 16
"""Largest clock register accepted (the kernel's work per eigenvector is O(N log N))."""

EVOLUTIONS = ("exact", "trotter", "qsvt")
"""How the phase-estimation unitary :math:`e^{iHt_0}` is built (see :class:`HHLSolver`)."""


def simulation_ancillas(evolution: str) -> int:
    """Ancillas ``l, r, a`` of the QSVT evolution (0 for the other evolutions)."""
    return 3 if evolution == "qsvt" else 0


def hhl_arguments(
    matrix: object,
    alpha: float,
    wires: object,
    t0: float | None,
    C: float | None,
    evolution: str,
    trotter_steps: int,
    trotter_order: int,
    simulation_eps: float,
    validate: bool,
) -> tuple[np.ndarray, float, float, float, dict]:
    """Check :class:`~.hhl_solver.HHLSolver`'s arguments and fill in :math:`t_0` and :math:`C`.

    Parameters
    ----------
    matrix, alpha, wires, t0, C, evolution, trotter_steps, trotter_order, simulation_eps, validate
        As in :class:`~.hhl_solver.HHLSolver`.

    Returns
    -------
    L : ndarray, shape (2**n, 2**n)
    alpha : float
        Checked :math:`\\alpha \\ge \\|L\\|_2` (when ``validate``).
    t0 : float
        :math:`t_0 \\in (0, \\pi)`, default :func:`~.hhl_phase_estimation.default_time`.
    C : float
        :math:`C \\in (0, 1]`, default :math:`\\sigma_{\\min}(L)/\\alpha`.
    hyperparameters : dict
        ``evolution``, ``trotter_steps``, ``trotter_order``, ``simulation_eps``.

    Raises
    ------
    ValueError
        If an argument is out of range or ``wires`` do not fit the layout.
    """
    L = check_square_matrix(matrix)
    if evolution not in EVOLUTIONS:
        raise ValueError(f"evolution must be one of {EVOLUTIONS}; got {evolution!r}")
    if int(trotter_steps) != trotter_steps or trotter_steps < 1:
        raise ValueError(f"trotter_steps must be a positive integer; got {trotter_steps!r}")
    if trotter_order != 1 and (int(trotter_order) != trotter_order or trotter_order % 2):
        raise ValueError(
            f"trotter_order must be 1 or a positive even integer; got {trotter_order!r}"
        )
    wires = Wires(wires)
    n = int(np.log2(L.shape[0]))
    if 2**n != L.shape[0]:
        raise ValueError(f"matrix size must be a power of two; got {L.shape[0]}")
    extra = simulation_ancillas(evolution)
    num_clock = len(wires) - 2 - n - extra
    if not 1 <= num_clock <= MAX_CLOCK:
        raise ValueError(
            f"wires must hold anc, 1..{MAX_CLOCK} clock wires, {extra} simulation ancillas, d "
            f"and {n} system wires; got {len(wires)} wires ({num_clock} clock)"
        )
    if not np.isfinite(simulation_eps) or not 0 < simulation_eps < 1:
        raise ValueError(f"simulation_eps must lie in (0, 1); got {simulation_eps!r}")
    sigma = np.linalg.svd(L, compute_uv=False) if (validate or C is None) else None
    alpha = check_subnormalisation(float(sigma[0]) if validate else 0.0, alpha)
    t0 = default_time(num_clock) if t0 is None else t0
    if isinstance(t0, bool) or not np.isscalar(t0) or not 0 < t0 < np.pi:
        raise ValueError(f"t0 must lie in (0, pi); got {t0!r}")
    if C is None:
        C = float(sigma[-1]) / alpha
    if isinstance(C, bool) or not np.isscalar(C) or not np.isfinite(C) or not 0 < C <= 1:
        raise ValueError(f"C must lie in (0, 1]; got {C!r}")
    hp = {
        "evolution": evolution,
        "trotter_steps": int(trotter_steps),
        "trotter_order": int(trotter_order),
        "simulation_eps": float(simulation_eps),
    }
    return L, alpha, t0, C, hp


__all__ = ["EVOLUTIONS", "MAX_CLOCK", "hhl_arguments", "simulation_ancillas"]
