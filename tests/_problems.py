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


def dissipative_generator(seed: int, dim: int, complex_: bool, margin: float = 0.0) -> np.ndarray:
    """Random non-normal A with Hermitian part <= -margin (L_A = Y Y^dagger / dim + margin I)."""
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(dim, dim)) + (1j * rng.normal(size=(dim, dim)) if complex_ else 0)
    X = rng.normal(size=(dim, dim)) + (1j * rng.normal(size=(dim, dim)) if complex_ else 0)
    L = Y @ Y.conj().T / dim + margin * np.eye(dim)
    return -L + 0.5 * (X - X.conj().T)  # skew-Hermitian part from X


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


@st.composite
def dense_block_encodings(draw, count: int, system: list, ancillas: list) -> list:
    """``count`` :class:`DenseBlockEncoding` of random complex matrices on ``system`` wires, the
    ``i``-th on ancilla ``ancillas[i]``, each with subnormalisation 1 to 3 times its norm."""
    from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding

    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dim = 2 ** len(system)
    out = []
    for i in range(count):
        M = rng.standard_normal((dim, dim)) + 1j * rng.standard_normal((dim, dim))
        alpha = rng.uniform(1.0, 3.0) * np.linalg.norm(M, 2)
        out.append(DenseBlockEncoding(M, alpha, wires=[ancillas[i], *system]))
    return out


def projected_output(op, vector: np.ndarray) -> np.ndarray:
    """``op`` run on ``|0>_anc |vector>`` by ``default.qubit``'s statevector, projected on
    ``<0|_anc``: the block applied to ``vector`` (an independent simulator, not the twin)."""
    import pennylane as qml

    anc, system = list(op.ancilla_wires), list(op.system_wires)
    full = np.zeros(2 ** (len(anc) + len(system)), dtype=np.complex128)
    full[: vector.size] = vector / np.linalg.norm(vector)

    @qml.qnode(qml.device("default.qubit", wires=anc + system))
    def circuit():
        qml.StatePrep(full, wires=anc + system)
        qml.apply(op)
        return qml.state()

    return circuit()[: vector.size] * np.linalg.norm(vector)


def check_block_encoding(op, expected: np.ndarray, alpha: float, seed: int = 0) -> None:
    """``op`` is unitary, states ``alpha``, its matrix's ancilla-0 block and a statevector run
    (:func:`projected_output`) apply ``expected / alpha``, and its twin is ``expected``."""
    import pennylane as qml

    from pennylane_qsgd.circuits.composite_encoding import encoded_matrix

    dim = expected.shape[0]
    U = qml.matrix(op, wire_order=op.ancilla_wires + op.system_wires)
    np.testing.assert_allclose(U[:dim, :dim], expected / alpha, atol=1e-12)
    np.testing.assert_allclose(U @ U.conj().T, np.eye(U.shape[0]), atol=1e-10)
    assert abs(op.alpha - alpha) <= 1e-14 * alpha
    np.testing.assert_allclose(encoded_matrix(op), expected, atol=1e-12 * alpha)
    vector = np.random.default_rng(seed).standard_normal(dim)
    np.testing.assert_allclose(
        projected_output(op, vector), expected @ vector / alpha, atol=1e-12 * np.linalg.norm(vector)
    )
