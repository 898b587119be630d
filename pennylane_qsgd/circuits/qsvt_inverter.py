"""The QSVT inverter of the gradient-flow solver: the real-part QSVT sequence around any encoding.

``H_r``, then projector phases alternating with :math:`U^\\dagger, U, U^\\dagger, \\dots` for the
encoding :math:`U` of :math:`L/\\alpha` (``qml.QSVT``'s order with :math:`U_A = U^\\dagger`, the
encoding of :math:`L^\\dagger`), then ``H_r`` (Gilyén, Su, Low, Wiebe, arXiv:1806.01838,
Corollary 18). With one encoding ancilla ``a`` a phase is ``MultiRZ(-2 phi)``
on ``[a, r]``; with several, a multi-controlled X computes "all ancillas 0" into ``flag``,
``MultiRZ(2 phi)`` acts on ``[flag, r]`` and the same X uncomputes ``flag``. Both apply
:math:`e^{i\\phi(2\\Pi - I)Z_r}`, so between the Hadamards the branch ``r = 0`` holds the real part
of the QSVT block. The HHL inverter is :class:`~pennylane_qsgd.circuits.hhl_solver.HHLSolver`.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.encoding import EulerEncoding
from pennylane_qsgd.circuits.solver_layout import SolverLayout


def _phase_ops(layout: SolverLayout, phi: float) -> list:
    """:math:`e^{i\\phi(2\\Pi - I)Z_r}` (module docstring)."""
    r = layout.real_part_wire
    if layout.flag_wire is None:
        return [qml.MultiRZ(-2.0 * phi, wires=[layout.encoding_wire, r])]
    controls = list(layout.ancilla_wires)
    mcx = qml.MultiControlledX(
        wires=controls + [layout.flag_wire], control_values=[0] * len(controls)
    )
    return [mcx, qml.MultiRZ(2.0 * phi, wires=[layout.flag_wire, r]), mcx]


def qsvt_sequence(layout: SolverLayout, encoding: EulerEncoding, angles: np.ndarray) -> list:
    """``H_r``, phases alternating with :math:`U^\\dagger, U, U^\\dagger, \\dots` (``qml.QSVT``'s
    order with :math:`U_A = U^\\dagger`, the encoding of :math:`L^\\dagger`), ``H_r``."""
    r = layout.real_part_wire
    backward = qml.adjoint(encoding)
    ops = [qml.Hadamard(r), *_phase_ops(layout, angles[0])]
    for k, phi in enumerate(angles[1:]):
        ops.append(backward if k % 2 == 0 else encoding)
        ops.extend(_phase_ops(layout, phi))
    ops.append(qml.Hadamard(r))
    return ops


__all__ = ["qsvt_sequence"]
