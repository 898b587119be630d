"""Problems, dense references and small runners shared by the tests."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import strategies as st

from pennylane_qsgd.core.carleman import carleman_forcing, carleman_matrix, lift
from pennylane_qsgd.core.problem import PolynomialODE


@st.composite
def small_problems(
    draw, max_s: int = 3, max_pieces: int = 3, damped: bool = False
) -> PolynomialODE:
    """Random sparse problems (``s <= max_s``) with up to ``max_pieces`` forcing pieces.

    Entries are standard normal with a drawn density (the forcing is sparse too) and the pieces
    last 0.1 to 1. ``damped=True`` shifts ``F1`` by ``-I``, halves ``F0``, ``F2``, ``u_in`` and
    the piece lengths, so that a few Euler steps over ``T <= 1`` stay moderate and cross pieces.
    """
    s = draw(st.integers(1, max_s))
    pieces = draw(st.integers(1, max_pieces))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.3, 0.6, 1.0]))
    F1 = sp.random(s, s, density=density, random_state=rng, data_rvs=rng.standard_normal)
    F2 = sp.random(s, s * s, density=density, random_state=rng, data_rvs=rng.standard_normal)
    F0 = rng.standard_normal((pieces, s)) * (rng.random((pieces, s)) < density)
    scale = 0.5 if damped else 1.0
    gaps = scale * rng.uniform(0.1, 1.0, pieces - 1)
    times = np.cumsum(np.r_[0.0, gaps]) if pieces > 1 else None
    if damped:
        F1 = F1 - sp.identity(s)
    u_in = scale * rng.standard_normal(s)
    return PolynomialODE(scale * F0, F1, scale * F2, u_in, times)


def dissipative_problem(seed: int, s: int = 3, norm_u: float = 0.4) -> PolynomialODE:
    """A problem with ``R < 1``: normal ``F1`` with eigenvalues in [-2, -1], small ``F2``, ``F0``."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((s, s)))[0]
    F1 = -Q @ np.diag(rng.uniform(1.0, 2.0, s)) @ Q.T
    F2 = 0.3 * rng.standard_normal((s, s * s))
    F0 = 0.02 * rng.standard_normal(s)
    u = rng.standard_normal(s)
    return PolynomialODE(F0, F1, F2, norm_u * u / np.linalg.norm(u))


def exact_carleman_solution(
    problem: PolynomialODE, level: int, T: float, y0: np.ndarray | None = None, t: float = 0.0
) -> np.ndarray:
    """y(T) of dy/dt = A y + b (forcing read at ``t``) by a dense ``expm`` of [[A, b], [0, 0]].

    Starts from ``y0``, by default the lifted ``u_in``.
    """
    A = carleman_matrix(problem, level, t).toarray()
    dim = A.shape[0]
    aug = np.zeros((dim + 1, dim + 1))
    aug[:dim, :dim] = A
    aug[:dim, dim] = carleman_forcing(problem, level, t)
    start = lift(problem.u_in, level) if y0 is None else y0
    return (sla.expm(T * aug) @ np.r_[start, 1.0])[:dim]


def final_state(op, device: str, **device_kwargs) -> np.ndarray:
    """The state after ``op`` alone on ``device`` (e.g. ``"qsgd.sim"``, ``fidelity=...``)."""
    import pennylane as qml

    @qml.qnode(qml.device(device, wires=len(op.wires), **device_kwargs))
    def circuit():
        qml.apply(op)
        return qml.state()

    return np.asarray(circuit())
