"""Built-in dissipative quadratic ODEs used by ``qsgd carleman``, the demos and the tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.burgers import PNAS_FIG1, BurgersSetup
from pennylane_qsgd.core.problem import PolynomialODE


def logistic_problem(
    decay: float = 1.0, quadratic: float = 0.5, u_in: float = 0.5, forcing: float = 0.0
) -> PolynomialODE:
    """The scalar logistic-type equation :math:`du/dt = f_0 - a u - b u^2`.

    Parameters
    ----------
    decay : float
        :math:`a > 0`, the linear damping rate (1/time).
    quadratic : float
        :math:`b`, the quadratic coefficient.
    u_in : float
        Initial value.
    forcing : float
        Constant forcing :math:`f_0`.

    Returns
    -------
    PolynomialODE
        With ``s = 1``; :math:`R = (|u_{\\rm in}||b| + |f_0|/|u_{\\rm in}|)/a` (0.25 by default).
    """
    if decay <= 0:
        raise ValueError(f"decay must be positive for a dissipative equation; got {decay}")
    return PolynomialODE(F0=[forcing], F1=[[-decay]], F2=[[-quadratic]], u_in=[u_in])


def logistic_solution(
    t: np.ndarray, decay: float = 1.0, quadratic: float = 0.5, u_in: float = 0.5
) -> np.ndarray:
    """Closed form of the unforced logistic equation :math:`du/dt = -a u - b u^2`.

    :math:`u(t) = a u_0 e^{-a t} / (a + b u_0 (1 - e^{-a t}))`, an independent reference.
    """
    decay_t = np.exp(-decay * np.asarray(t, dtype=np.float64))
    return decay * u_in * decay_t / (decay + quadratic * u_in * (1.0 - decay_t))


def burgers_problem(
    points: int = 16,
    reynolds: float = 20.0,
    length: float = 1.0,
    velocity: float = 1.0,
    forced: bool = True,
    forcing_period: float | None = None,
    duration: float = 3.0,
    forcing_pieces: int = 60,
    *,
    boundaries: str = "excluded",
    forcing_sample: str = "midpoint",
) -> PolynomialODE:
    """Forced viscous Burgers equation on a grid, in the set-up of Fig. 1 of arXiv:2011.03185.

    A shorthand for :class:`~pennylane_qsgd.core.burgers.BurgersSetup` (its docstring gives the
    equation, the grid and the boundary forms); :func:`burgers_pnas_problem` is Fig. 1 exactly.

    Parameters
    ----------
    points : int
        Grid points ``s`` (interior ones unless ``boundaries="included"``).
    reynolds : float
        :math:`\\mathrm{Re} = U_0 L_0 / \\nu`.
    length, velocity : float
        :math:`L_0` and :math:`U_0`.
    forced : bool
        Include the Gaussian forcing.
    forcing_period : float, optional
        Period of the time modulation :math:`\\cos(2\\pi t/\\tau)`; None for a constant forcing.
    duration : float
        Time span covered by the piecewise forcing (only with ``forcing_period``).
    forcing_pieces : int
        Number of constant pieces of the modulated forcing.
    boundaries : {"excluded", "included"}
        Whether ``points`` counts the two zero boundary points (kept as zero rows).
    forcing_sample : {"midpoint", "start"}
        Where in each piece the modulated forcing is read.

    Returns
    -------
    PolynomialODE
        With ``s = points``. At the defaults :math:`R \\approx 50` (far outside the proven regime
        R < 1), yet the Carleman error still falls with the level.
    """
    if reynolds <= 0 or length <= 0 or velocity <= 0:
        raise ValueError(
            f"reynolds, length and velocity must be positive; got {reynolds}, {length}, {velocity}"
        )
    if points < 3:
        raise ValueError(f"points must be at least 3; got {points}")
    setup = BurgersSetup(
        points=points,
        reynolds=reynolds,
        length=length,
        velocity=velocity,
        forcing="none" if not forced else ("constant" if forcing_period is None else "periodic"),
        period=1.0 if forcing_period is None else forcing_period,
        boundaries=boundaries,
        duration=duration,
        pieces=forcing_pieces,
        sample=forcing_sample,
    )
    return setup.problem()


def burgers_pnas_problem() -> PolynomialODE:
    """Fig. 1 of arXiv:2011.03185 as the authors' ``carleman_burgers.m`` sets it up.

    16 grid points including both boundaries, :math:`U_0 = 1/\\sqrt{15}`, Re = 20, and the source
    :math:`U_0 e^{-(x - 1/4)^2 / (2/32^2)} \\cos(2\\pi t)` read at the start of each of the 3,999
    Euler steps of ``[0, 3]`` (see :data:`~pennylane_qsgd.core.burgers.PNAS_FIG1`).
    """
    return PNAS_FIG1.problem()


EXAMPLES = {
    "logistic": logistic_problem,
    "burgers": burgers_problem,
    "burgers-pnas": burgers_pnas_problem,
}


def load_problem(path: str) -> PolynomialODE:
    """Read a problem from an ``.npz`` file with arrays ``F0``, ``F1``, ``F2``, ``u_in``.

    ``F1``/``F2`` may be dense arrays or stored as sparse COO triples
    ``F1_row``, ``F1_col``, ``F1_data`` (same for ``F2``); an optional ``forcing_times`` gives a
    piecewise forcing.
    """
    with np.load(path) as data:
        keys = set(data.files)
        missing = {"F0", "u_in"} - keys
        if missing:
            raise ValueError(f"{path} lacks the arrays {sorted(missing)}")
        u_in = data["u_in"]
        s = int(np.asarray(u_in).size)

        def matrix(name: str, shape: tuple[int, int]) -> sp.csr_array:
            if name in keys:
                return sp.csr_array(data[name])
            triple = [f"{name}_row", f"{name}_col", f"{name}_data"]
            if set(triple) <= keys:
                return sp.csr_array(
                    (data[triple[2]], (data[triple[0]], data[triple[1]])), shape=shape
                )
            raise ValueError(f"{path} lacks {name} (dense) or {name}_row/_col/_data (sparse)")

        times = data["forcing_times"] if "forcing_times" in keys else None
        return PolynomialODE(
            data["F0"], matrix("F1", (s, s)), matrix("F2", (s, s * s)), u_in, times
        )
