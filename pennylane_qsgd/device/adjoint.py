r"""Adjoint differentiation of expectation values on ``qsgd.sim``.

Jones and Gacon, "Efficient calculation of gradients in classical simulations of variational
quantum algorithms", arXiv:2009.02823, Algorithm 1: with :math:`|\psi\rangle = U_N\cdots U_1|\psi_0\rangle`
and :math:`f = \langle\psi|O|\psi\rangle`,

.. math::

    \frac{\partial f}{\partial\theta_j}
      = 2\,\mathrm{Re}\,\langle\lambda_j|\,\partial_{\theta_j}U_j\,|\phi_{j-1}\rangle,\qquad
    |\lambda_j\rangle = U_{j+1}^\dagger\cdots U_N^\dagger O|\psi\rangle,\quad
    |\phi_{j-1}\rangle = U_{j-1}\cdots U_1|\psi_0\rangle,

obtained in one backward sweep that undoes one gate at a time. Gates and their adjoints run through
the same kernels as the forward simulation (a template's native adjoint kernel included);
:math:`\partial_\theta U` is the gate's derivative matrix applied with NumPy.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import operation_derivative
from pennylane.tape import QuantumScript

from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.device.measure import apply_observable
from pennylane_qsgd.device.simulate import final_state, standard_wires
from pennylane_qsgd.device.statevector import (
    StateVector,
    apply_matrix,
    real_inner,
    statevector_nbytes,
)


def adjoint_jacobian(tape: QuantumScript, *, fidelity: str = "native"):
    """Jacobian of the expectation values of ``tape`` with respect to its trainable parameters.

    Parameters
    ----------
    tape : QuantumScript
        Analytic tape of expectation values whose trainable parameters belong to one-parameter
        gates (the device's adjoint preprocessing guarantees it).
    fidelity : str
        Simulation fidelity, as for :func:`~pennylane_qsgd.device.simulate.simulate`.

    Returns
    -------
    PennyLane's Jacobian structure: shape ``(len(measurements), len(trainable_params))``, squeezed
    (a scalar, a tuple over parameters, or a tuple over measurements of tuples over parameters).
    """
    tape, wire_order = standard_wires(tape)
    n = len(wire_order)
    registers = 1 + len(tape.measurements)
    check_memory(
        registers * statevector_nbytes(n),
        f"adjoint differentiation on {n} wires ({registers} state vectors, two copies each)",
        hint="Use diff_method='parameter-shift', fewer observables or fewer wires.",
    )
    ket = StateVector(
        final_state(tape, fidelity=fidelity, wire_order=wire_order), wire_order, fidelity=fidelity
    )
    bras = [
        StateVector(
            2 * apply_observable(mp.obs, ket.array(), wire_order), wire_order, fidelity=fidelity
        )
        for mp in tape.measurements
    ]

    jac = np.zeros((len(bras), len(tape.trainable_params)))
    param_index = len(tape.get_parameters(trainable_only=False, operations_only=True)) - 1
    column = len(tape.trainable_params) - 1
    for op in reversed(tape.operations[tape.num_preps :]):
        undo = [qml.adjoint(op, lazy=True)]
        ket.apply(undo)
        if op.num_params == 1:
            if param_index in tape.trainable_params:
                axes = wire_order.indices(op.wires)
                d_ket = apply_matrix(ket.array(), operation_derivative(op), axes, n)
                jac[:, column] = [real_inner(bra.array(), d_ket) for bra in bras]
                column -= 1
            param_index -= 1
        for bra in bras:
            bra.apply(undo)
    return _squeeze(jac)


def _squeeze(jac: np.ndarray):
    num_meas, num_params = jac.shape
    if num_meas == 1 and num_params == 1:
        return np.array(jac[0, 0])
    if num_meas == 1 or num_params == 1:
        return tuple(np.array(j) for j in jac.reshape(-1))
    return tuple(tuple(np.array(j) for j in row) for row in jac)


__all__ = [
    "adjoint_jacobian",
]
