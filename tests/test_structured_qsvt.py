"""QSVT over the structured block encoding of L solves the Euler–Carleman system.

``qml.QSVT`` with ``PCPhase`` projectors on all wires (the block is the all-ancillas-zero corner)
around the adjoint of :class:`StructuredEulerEncoding`, with the solver's own 1/x phases: the real
part of the block applied to the embedded right-hand side is ``(scale * lambda / kappa) L^{-1} B``.
The reference is numpy's dense solve of the core's ``L Y = B``.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

from pennylane_qsgd.circuits import StructuredEulerEncoding, inverse_angles
from pennylane_qsgd.circuits.structured_plan import structured_embedding, structured_layout
from pennylane_qsgd.core import PolynomialODE, euler_system


def random_problem(s: int, seed: int) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    F1 = -np.eye(s) + 0.1 * rng.standard_normal((s, s))
    F2 = 0.1 * rng.standard_normal((s, s * s))
    return PolynomialODE(0.1 * rng.standard_normal(s), F1, F2, 0.3 * rng.standard_normal(s))


@pytest.mark.parametrize(
    ("s", "level", "steps", "seed"), [(2, 2, 2, 3), (1, 3, 2, 5), (3, 1, 3, 7)]
)
def test_qsvt_over_structured_encoding_matches_dense_solve(s, level, steps, seed):
    problem, T, eps = random_problem(s, seed), 0.5, 1e-6
    layout = structured_layout(s, level, steps, steps)
    wires = list(range(layout.num_wires))
    system = wires[
        sum(layout.widths[r] for r in ("index", "time_flag", "level_flag", "f_ancilla")) :
    ]
    with qml.QueuingManager.stop_recording():
        alpha = StructuredEulerEncoding(problem, T, level, steps, steps, wires=wires).alpha
    L, B = euler_system(problem, level, T, steps, steps)
    L, B = L.toarray(), np.asarray(B).ravel()
    kappa = 1.01 * alpha / np.linalg.svd(L, compute_uv=False).min()
    angles = inverse_angles(kappa, eps)
    embedding = structured_embedding(s, level, steps, steps)
    rhs = np.zeros(2 ** len(system))
    rhs[embedding] = B / np.linalg.norm(B)

    @qml.qnode(qml.device("qsgd.sim", wires=len(wires)))
    def circuit():
        qml.StatePrep(rhs, wires=system)
        encoding = StructuredEulerEncoding(problem, T, level, steps, steps, wires=wires)
        qml.QSVT(
            qml.adjoint(encoding),
            [qml.PCPhase(t, dim=2 ** len(system), wires=wires) for t in angles.angles],
        )
        return qml.state()

    state = circuit()
    solution = np.real(state[embedding]) * np.linalg.norm(B) * kappa / (angles.scale * alpha)
    reference = np.linalg.solve(L, B)
    assert np.linalg.norm(solution - reference) <= 10 * eps * np.linalg.norm(reference)
    # nothing of the real part leaks out of the embedded coordinates of the block
    block = np.real(state[: 2 ** len(system)])
    outside = np.delete(block, embedding)
    assert np.linalg.norm(outside) <= 1e-10
