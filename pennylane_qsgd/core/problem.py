"""The quadratic polynomial ODE that every layer of the package solves.

.. math::

    \\frac{du}{dt} = F_0(t) + F_1 u + F_2 (u \\otimes u), \\qquad u(0) = u_{\\rm in},

with :math:`u \\in \\mathbb{R}^s`, :math:`F_1 \\in \\mathbb{R}^{s \\times s}` and
:math:`F_2 \\in \\mathbb{R}^{s \\times s^2}` (equation (1) of arXiv:2011.03185). The forcing
:math:`F_0` is either constant or piecewise constant in time (one piece per minibatch of a
stochastic window).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

SparseLike = sp.sparray | sp.spmatrix | np.ndarray


def _as_csr(matrix: SparseLike, name: str) -> sp.csr_array:
    """Return ``matrix`` as a float64 CSR array, refusing NaN/Inf and non-2-D input."""
    if sp.issparse(matrix):
        out = sp.csr_array(matrix, dtype=np.float64)
    else:
        arr = np.asarray(matrix, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D matrix; got an array of shape {arr.shape}")
        out = sp.csr_array(arr)
    if out.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix; got shape {out.shape}")
    if not np.all(np.isfinite(out.data)):
        raise ValueError(f"{name} contains NaN or Inf entries")
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def _as_vector(vec: np.ndarray, name: str, size: int) -> np.ndarray:
    arr = np.asarray(vec, dtype=np.float64)
    if arr.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},); got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or Inf entries")
    return arr


@dataclass(frozen=True)
class PolynomialODE:
    """A quadratic ODE :math:`du/dt = F_0(t) + F_1 u + F_2 (u \\otimes u)` with its initial state.

    Parameters
    ----------
    F0 : array_like, shape (s,) or (K, s)
        Forcing. One row: constant in time. ``K`` rows: piecewise constant, row ``k`` acting on
        ``[forcing_times[k], forcing_times[k+1])`` and the last row from ``forcing_times[-1]`` on.
    F1 : sparse or dense matrix, shape (s, s)
        Linear part.
    F2 : sparse or dense matrix, shape (s, s**2)
        Quadratic part acting on the Kronecker square ``u (x) u`` (row-major ``np.kron`` order).
    u_in : array_like, shape (s,)
        Initial state :math:`u(0)`.
    forcing_times : array_like, shape (K,), optional
        Start times of the forcing pieces; must start at 0 and increase strictly. Required
        exactly when ``F0`` has more than one row.

    Raises
    ------
    ValueError
        For inconsistent shapes, NaN/Inf entries, a non-square ``F1`` or ``F2`` of the wrong
        width, or bad ``forcing_times``.

    Examples
    --------
    >>> import numpy as np
    >>> problem = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    >>> problem.size
    1
    """

    F0: np.ndarray
    F1: sp.csr_array
    F2: sp.csr_array
    u_in: np.ndarray
    forcing_times: np.ndarray = field(default_factory=lambda: np.zeros(1))

    def __init__(
        self,
        F0: np.ndarray,
        F1: SparseLike,
        F2: SparseLike,
        u_in: np.ndarray,
        forcing_times: np.ndarray | None = None,
    ) -> None:
        F1c = _as_csr(F1, "F1")
        if F1c.shape[0] != F1c.shape[1]:
            raise ValueError(f"F1 must be square; got shape {F1c.shape}")
        s = F1c.shape[0]
        if s == 0:
            raise ValueError("the problem must have at least one variable (F1 is 0 x 0)")
        F2c = _as_csr(F2, "F2")
        if F2c.shape != (s, s * s):
            raise ValueError(f"F2 must have shape (s, s**2) = ({s}, {s * s}); got {F2c.shape}")
        F0a = np.asarray(F0, dtype=np.float64)
        if F0a.ndim == 1:
            F0a = F0a[None, :]
        if F0a.ndim != 2 or F0a.shape[1] != s or F0a.shape[0] == 0:
            raise ValueError(f"F0 must have shape ({s},) or (K, {s}); got {np.shape(F0)}")
        if not np.all(np.isfinite(F0a)):
            raise ValueError("F0 contains NaN or Inf entries")
        if forcing_times is None:
            if F0a.shape[0] != 1:
                raise ValueError("a piecewise forcing F0 with several rows needs forcing_times")
            times = np.zeros(1)
        else:
            times = np.asarray(forcing_times, dtype=np.float64).reshape(-1)
            if times.shape != (F0a.shape[0],):
                raise ValueError(
                    f"forcing_times must have one entry per row of F0 ({F0a.shape[0]}); "
                    f"got shape {times.shape}"
                )
            if times[0] != 0.0 or np.any(np.diff(times) <= 0) or not np.all(np.isfinite(times)):
                raise ValueError(
                    f"forcing_times must start at 0 and increase strictly; got {times.tolist()}"
                )
        u = _as_vector(u_in, "u_in", s)
        object.__setattr__(self, "F0", F0a)
        object.__setattr__(self, "F1", F1c)
        object.__setattr__(self, "F2", F2c)
        object.__setattr__(self, "u_in", u)
        object.__setattr__(self, "forcing_times", times)

    @property
    def size(self) -> int:
        """Number of variables ``s``."""
        return int(self.F1.shape[0])

    @property
    def is_time_dependent(self) -> bool:
        """True when the forcing has more than one piece."""
        return self.F0.shape[0] > 1

    @property
    def is_linear(self) -> bool:
        """True when ``F2 == 0`` (a linear ODE; Carleman level 1 is then exact)."""
        return self.F2.nnz == 0

    def forcing_piece(self, t: float | np.ndarray) -> int | np.ndarray:
        """Index of the forcing piece active at time ``t``: the last start ``<= t`` (0 before 0).

        ``t`` may be an array of times; the result then has its shape.
        """
        k = np.searchsorted(self.forcing_times, t, side="right") - 1
        return np.maximum(k, 0) if np.ndim(k) else max(int(k), 0)

    def forcing_segments(self, T: float) -> list[tuple[float, float, int]]:
        """The constant-forcing intervals ``(start, end, piece)`` that cover ``[0, T]``, in order.

        The first starts at 0 (``(0, 0, 0)`` alone when ``T = 0``); each ends where the next
        piece starts, the last at ``T``.
        """
        count = max(1, int(np.searchsorted(self.forcing_times, T, side="left")))
        ends = np.append(self.forcing_times[1:count], T)
        return [(float(self.forcing_times[k]), float(ends[k]), k) for k in range(count)]

    def forcing(self, t: float) -> np.ndarray:
        """The forcing vector :math:`F_0(t)`, shape (s,)."""
        return self.F0[self.forcing_piece(t)]

    def rhs(self, t: float, u: np.ndarray) -> np.ndarray:
        """The right-hand side :math:`F_0(t) + F_1 u + F_2 (u \\otimes u)`, shape (s,)."""
        u = np.asarray(u, dtype=np.float64)
        return self.forcing(t) + self.F1 @ u + self.F2 @ np.kron(u, u)

    def jacobian(self, u: np.ndarray) -> sp.csr_array:
        """Jacobian :math:`F_1 + F_2 (u \\otimes I + I \\otimes u)` of the right-hand side, sparse (s, s)."""
        u = np.asarray(u, dtype=np.float64)
        s = self.size
        eye = sp.identity(s, format="csr")
        ucol = sp.csr_array(u.reshape(s, 1))
        d_kron = sp.kron(ucol, eye) + sp.kron(eye, ucol)
        return sp.csr_array(self.F1 + self.F2 @ d_kron)

    def with_initial_state(self, u_in: np.ndarray) -> PolynomialODE:
        """The same equation started from ``u_in``."""
        return PolynomialODE(self.F0, self.F1, self.F2, u_in, self.forcing_times)

    def with_forcing(
        self, F0: np.ndarray, forcing_times: np.ndarray | None = None
    ) -> PolynomialODE:
        """The same equation with another forcing."""
        return PolynomialODE(F0, self.F1, self.F2, self.u_in, forcing_times)

    def rescaled(self, gamma: float) -> PolynomialODE:
        """The equation for :math:`v = u / \\gamma`.

        :math:`dv/dt = F_0/\\gamma + F_1 v + \\gamma F_2 (v \\otimes v)`, :math:`v_{\\rm in} = u_{\\rm in}/\\gamma`.
        The dissipation ratio :math:`R` is unchanged (arXiv:2011.03185, section 2).
        """
        if not np.isfinite(gamma) or gamma <= 0:
            raise ValueError(f"gamma must be a positive finite number; got {gamma}")
        return PolynomialODE(
            self.F0 / gamma, self.F1, self.F2 * gamma, self.u_in / gamma, self.forcing_times
        )

    def shifted(self, centre: np.ndarray) -> PolynomialODE:
        """The equation for :math:`w = u - c` with a constant centre ``c``.

        Substituting :math:`u = w + c`:
        :math:`F_0' = F_0 + F_1 c + F_2 (c \\otimes c)`,
        :math:`F_1' = F_1 + F_2 (c \\otimes I + I \\otimes c)`, :math:`F_2' = F_2`.
        """
        c = _as_vector(centre, "centre", self.size)
        F1_new = self.jacobian(c)
        shift = self.F1 @ c + self.F2 @ np.kron(c, c)
        return PolynomialODE(
            self.F0 + shift[None, :], F1_new, self.F2, self.u_in - c, self.forcing_times
        )
