"""Built-in dissipative quadratic ODEs used by ``qsgd carleman``, the demos and the tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

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
) -> PolynomialODE:
    """Forced viscous Burgers equation on a grid, in the set-up of Fig. 1 of arXiv:2011.03185.

    :math:`\\partial_t u + \\partial_x (u^2/2) = \\nu \\partial_x^2 u + f(x, t)` on
    :math:`[-L_0/2, L_0/2]` with :math:`u = 0` at both ends, :math:`\\nu = U_0 L_0 / \\mathrm{Re}`,
    initial state :math:`u(x, 0) = -U_0 \\sin(2\\pi x / L_0)` and forcing
    :math:`f = U_0 \\exp(-(x - L_0/4)^2 / (2 (L_0/32)^2))`, optionally modulated by
    :math:`\\cos(2\\pi t / \\text{forcing_period})` (then piecewise constant in ``forcing_pieces``
    pieces over ``duration``). Central differences on the interior points:
    :math:`F_1 = \\nu D_2`, :math:`F_2` the conservative difference
    :math:`-(u_{i+1}^2 - u_{i-1}^2) / (4 \\Delta x)`.

    Parameters
    ----------
    points : int
        Interior grid points ``s``.
    reynolds : float
        :math:`\\mathrm{Re} = U_0 L_0 / \\nu`.
    length, velocity : float
        :math:`L_0` and :math:`U_0`.
    forced : bool
        Include the Gaussian forcing.
    forcing_period : float, optional
        Period of the time modulation; None for a constant forcing.
    duration : float
        Time span covered by the piecewise forcing (only with ``forcing_period``).
    forcing_pieces : int
        Number of constant pieces of the modulated forcing.

    Returns
    -------
    PolynomialODE
        With ``s = points``. At the defaults :math:`R \\approx 50` (far outside the proven regime
        R < 1), yet the Carleman error still falls with the level.
    """
    if points < 3:
        raise ValueError(f"points must be at least 3; got {points}")
    if reynolds <= 0 or length <= 0 or velocity <= 0:
        raise ValueError("reynolds, length and velocity must be positive")
    nu = velocity * length / reynolds
    dx = length / (points + 1)
    x = -length / 2 + dx * np.arange(1, points + 1)
    F1 = (
        nu
        * sp.diags_array(
            [np.ones(points - 1), -2.0 * np.ones(points), np.ones(points - 1)],
            offsets=[-1, 0, 1],
            shape=(points, points),
        )
        / dx**2
    )
    # u_j^2 sits at column j (s + 1) of u (x) u; F2 takes the central difference of the squares.
    squares = sp.csr_array(
        (np.ones(points), (np.arange(points), np.arange(points) * (points + 1))),
        shape=(points, points * points),
    )
    difference = sp.diags_array(
        [np.ones(points - 1), -np.ones(points - 1)], offsets=[-1, 1], shape=(points, points)
    )
    F2 = sp.csr_array(difference @ squares) / (4.0 * dx)
    u_in = -velocity * np.sin(2.0 * np.pi * x / length)
    if forced:
        profile = velocity * np.exp(-((x - length / 4) ** 2) / (2.0 * (length / 32) ** 2))
    else:
        profile = np.zeros(points)
    if forcing_period is None:
        return PolynomialODE(profile, F1, F2, u_in)
    times = np.linspace(0.0, duration, forcing_pieces, endpoint=False)
    mid = times + duration / forcing_pieces / 2
    F0 = np.cos(2.0 * np.pi * mid / forcing_period)[:, None] * profile[None, :]
    return PolynomialODE(F0, F1, F2, u_in, forcing_times=times)


EXAMPLES = {"logistic": logistic_problem, "burgers": burgers_problem}


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
