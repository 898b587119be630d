"""The forced viscous Burgers equation of PNAS Fig. 1 (arXiv:2011.03185), every option explicit.

.. math::

    \\partial_t u + \\partial_x (u^2/2) = \\nu \\partial_x^2 u + f(x, t), \\qquad
    x \\in [-L_0/2, L_0/2], \\quad u(\\pm L_0/2, t) = 0, \\quad \\nu = U_0 L_0 / \\mathrm{Re},

with :math:`u(x, 0) = -U_0 \\sin(2\\pi x / L_0)` and the source
:math:`f = U_0 \\exp(-(x - L_0/4)^2 / (2 (L_0/32)^2)) \\cos(2\\pi t / \\tau)`.
Central differences: :math:`F_1 = \\nu D_2`, :math:`F_2` the conservative difference
:math:`-(u_{i+1}^2 - u_{i-1}^2) / (4 \\Delta x)`.

Two boundary forms:

``"excluded"``
    ``points`` interior unknowns, :math:`\\Delta x = L_0 / (\\text{points} + 1)`; the zero boundary
    values enter the stencils implicitly.
``"included"``
    ``points`` grid points *including* both ends, :math:`\\Delta x = L_0 / (\\text{points} - 1)`;
    the boundary rows of :math:`F_1` and :math:`F_2` are zero (the set-up of the authors' script
    ``carleman_burgers.m``, where ``nx = 16`` counts the two boundaries). The forcing is kept on the
    boundary rows as in that script (there it is below :math:`10^{-14}`), and their two zero
    eigenvalues are not damping modes: use ``dissipation(problem, exclude_driven=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.problem import PolynomialODE

BOUNDARY_FORMS = ("excluded", "included")
FORCING_KINDS = ("none", "constant", "periodic")
FORCING_SAMPLES = ("midpoint", "start")


@dataclass(frozen=True)
class BurgersSetup:
    """One discretised Burgers problem: grid, physics, forcing and the Euler time grid.

    Parameters
    ----------
    points : int
        Grid points; interior ones for ``boundaries="excluded"``, all of them (both ends
        included) for ``"included"``.
    reynolds : float
        :math:`\\mathrm{Re} = U_0 L_0 / \\nu` (dimensionless).
    length : float
        :math:`L_0`, the domain length.
    velocity : float
        :math:`U_0`, amplitude of the initial state and of the source.
    forcing : {"none", "constant", "periodic"}
        No source, the Gaussian profile, or the profile times :math:`\\cos(2\\pi t/\\tau)`.
    period : float
        :math:`\\tau`, period of the periodic forcing (time units).
    boundaries : {"excluded", "included"}
        Boundary form (see the module docstring).
    duration : float
        :math:`T`, the time span of the run (and of the forcing pieces).
    pieces : int
        Constant pieces of the periodic forcing over ``duration``; with ``sample="start"`` and
        ``pieces`` equal to the Euler steps there is one piece per step, read at its start.
    sample : {"midpoint", "start"}
        Time inside each piece at which the periodic forcing is evaluated.
    """

    points: int = 16
    reynolds: float = 20.0
    length: float = 1.0
    velocity: float = 1.0
    forcing: str = "constant"
    period: float = 1.0
    boundaries: str = "excluded"
    duration: float = 3.0
    pieces: int = 60
    sample: str = "midpoint"

    def __post_init__(self) -> None:
        minimum = 3 if self.boundaries == "excluded" else 5
        if self.boundaries not in BOUNDARY_FORMS:
            raise ValueError(f"boundaries must be one of {BOUNDARY_FORMS}; got {self.boundaries!r}")
        if self.forcing not in FORCING_KINDS:
            raise ValueError(f"forcing must be one of {FORCING_KINDS}; got {self.forcing!r}")
        if self.sample not in FORCING_SAMPLES:
            raise ValueError(f"sample must be one of {FORCING_SAMPLES}; got {self.sample!r}")
        if int(self.points) != self.points or self.points < minimum:
            raise ValueError(
                f"points must be an integer >= {minimum} with boundaries={self.boundaries!r}; "
                f"got {self.points}"
            )
        for name in ("reynolds", "length", "velocity", "period", "duration"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be positive and finite; got {value}")
        if int(self.pieces) != self.pieces or self.pieces < 1:
            raise ValueError(f"pieces must be a positive integer; got {self.pieces}")

    @property
    def viscosity(self) -> float:
        """:math:`\\nu = U_0 L_0 / \\mathrm{Re}`."""
        return self.velocity * self.length / self.reynolds

    @property
    def dx(self) -> float:
        """Grid spacing :math:`\\Delta x`."""
        gaps = self.points + 1 if self.boundaries == "excluded" else self.points - 1
        return self.length / gaps

    @property
    def x(self) -> np.ndarray:
        """Positions of the unknowns, shape (points,)."""
        first = 1 if self.boundaries == "excluded" else 0
        return -self.length / 2 + self.dx * np.arange(first, first + self.points)

    @property
    def driven(self) -> np.ndarray:
        """Boolean mask of the unknowns whose rows of F1 and F2 are zero (the held boundaries)."""
        mask = np.zeros(self.points, dtype=bool)
        if self.boundaries == "included":
            mask[[0, -1]] = True
        return mask

    @property
    def nonlinear_time(self) -> float:
        """:math:`T_{\\rm nl} = L_0 / U_0`."""
        return self.length / self.velocity

    def profile(self, x: np.ndarray | None = None) -> np.ndarray:
        """The source shape :math:`U_0 \\exp(-(x - L_0/4)^2 / (2 (L_0/32)^2))` at ``x``."""
        x = self.x if x is None else np.asarray(x, dtype=np.float64)
        return self.velocity * np.exp(-((x - self.length / 4) ** 2) / (2 * (self.length / 32) ** 2))

    def initial_state(self, x: np.ndarray | None = None) -> np.ndarray:
        """:math:`u(x, 0) = -U_0 \\sin(2 \\pi x / L_0)` at ``x`` (default: the grid)."""
        x = self.x if x is None else np.asarray(x, dtype=np.float64)
        return -self.velocity * np.sin(2.0 * np.pi * x / self.length)

    def source(self, t: float) -> np.ndarray:
        """The continuous-time forcing :math:`F_0(t)` on the grid, shape (points,)."""
        if self.forcing == "none":
            return np.zeros(self.points)
        if self.forcing == "constant":
            return self.profile()
        return self.profile() * np.cos(2.0 * np.pi * t / self.period)

    def piece_times(self) -> np.ndarray:
        """Start times of the forcing pieces, shape (pieces,) (a single 0 unless periodic)."""
        if self.forcing != "periodic":
            return np.zeros(1)
        return np.linspace(0.0, self.duration, self.pieces, endpoint=False)

    def problem(self) -> PolynomialODE:
        """The semi-discrete ODE :math:`du/dt = F_0(t) + F_1 u + F_2 (u \\otimes u)`.

        Returns
        -------
        PolynomialODE
            ``s = points``; for the periodic forcing ``F0`` has ``pieces`` rows, row ``k`` the
            source at the start or the middle of piece ``k`` (``sample``).
        """
        n, dx = self.points, self.dx
        laplacian = sp.diags_array(
            [np.ones(n - 1), -2.0 * np.ones(n), np.ones(n - 1)], offsets=[-1, 0, 1], shape=(n, n)
        )
        # u_j^2 sits at column j (s + 1) of u (x) u; F2 takes the central difference of the squares.
        squares = sp.csr_array(
            (np.ones(n), (np.arange(n), np.arange(n) * (n + 1))), shape=(n, n * n)
        )
        difference = sp.diags_array(
            [np.ones(n - 1), -np.ones(n - 1)], offsets=[-1, 1], shape=(n, n)
        )
        F1 = sp.csr_array(self.viscosity / dx**2 * laplacian)
        F2 = sp.csr_array(difference @ squares) / (4.0 * dx)
        if self.boundaries == "included":
            keep = sp.diags_array((~self.driven).astype(np.float64))
            F1, F2 = sp.csr_array(keep @ F1), sp.csr_array(keep @ F2)
        u_in = self.initial_state()
        if self.forcing != "periodic":
            return PolynomialODE(self.source(0.0), F1, F2, u_in)
        times = self.piece_times()
        read = times + (self.duration / self.pieces / 2 if self.sample == "midpoint" else 0.0)
        F0 = np.cos(2.0 * np.pi * read / self.period)[:, None] * self.profile()[None, :]
        return PolynomialODE(F0, F1, F2, u_in, forcing_times=times)

    def with_options(self, **changes: object) -> BurgersSetup:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


# Fig. 1 of arXiv:2011.03185 as ``carleman_burgers.m`` sets it up: nx = 16 points including the
# boundaries, U0 = 1/sqrt(nx - 1), Re = 20, T = 3, nt = 4000 time points (3,999 Euler steps), the
# source read at the start of every step.
PNAS_FIG1 = BurgersSetup(
    points=16,
    reynolds=20.0,
    length=1.0,
    velocity=1.0 / np.sqrt(15.0),
    forcing="periodic",
    period=1.0,
    boundaries="included",
    duration=3.0,
    pieces=3999,
    sample="start",
)
PNAS_FIG1_STEPS = 3999
