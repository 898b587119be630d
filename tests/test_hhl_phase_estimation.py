"""Phase-estimation arithmetic of the HHL solver against PennyLane's own phase estimation."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pennylane_qsgd.circuits.hhl_phase_estimation import qpe_amplitudes, qpe_matrices

SETTINGS = settings(max_examples=8, deadline=None)


@SETTINGS
@given(phase=st.floats(-0.5, 0.5), num_clock=st.integers(1, 5))
@example(phase=-0.5, num_clock=1)  # delta = -1: the closed form is 0/0 and the sum is 1
@example(phase=0.5, num_clock=3)
def test_qpe_amplitudes_match_pennylane(phase, num_clock):
    """Closed-form Dirichlet kernel = column 0 of qml.QuantumPhaseEstimation on an eigenvector."""
    U = qml.QubitUnitary(np.diag([np.exp(2j * np.pi * phase), 1.0]), wires="s")
    clock = list(range(num_clock))
    mat = qml.matrix(
        qml.QuantumPhaseEstimation(U, estimation_wires=clock), wire_order=clock + ["s"]
    )
    col = mat[:, 0].reshape(2**num_clock, 2)[:, 0]
    np.testing.assert_allclose(qpe_amplitudes([phase], num_clock)[0], col, atol=1e-12)
    # The full clock map (any clock input) is the eigenvector's block of the same matrix.
    block = mat.reshape(2**num_clock, 2, 2**num_clock, 2)[:, 0, :, 0]
    np.testing.assert_allclose(qpe_matrices([phase], num_clock)[0], block, atol=1e-12)
