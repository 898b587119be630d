"""The preprocessing pieces of ``qsgd.sim`` (:class:`~.qsgd_simulator.QSGDSimulator`): two tape
transforms and the predicates its PennyLane preprocessing steps are built with.

* :func:`validate_state_preparations`: refuse a ``StatePrep`` of a non-unit vector;
* :func:`rotate_sampled_measurements`: with shots, Pauli observables into the Z basis, splitting
  what does not commute;
* :func:`accepts_measurement`, :func:`adjoint_stopping_condition`, :func:`adjoint_observable`:
  what the measurement validation and the adjoint method accept.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import scipy as sp
from pennylane.devices.preprocess import null_postprocessing
from pennylane.exceptions import DeviceError
from pennylane.measurements import MeasurementProcess
from pennylane.operation import Operator, StatePrepBase
from pennylane.tape import QuantumScript
from pennylane.transforms import diagonalize_measurements, split_non_commuting
from pennylane.transforms.core import transform

from pennylane_qsgd.device.measure import shared_diagonalizing_gates
from pennylane_qsgd.device.native import has_native_kernel
from pennylane_qsgd.device.statevector import NORM_ATOL


@transform
def validate_state_preparations(tape: QuantumScript):
    """Refuse ``StatePrep`` of a state that is not a unit vector (ValueError with its norm).

    PennyLane's ``StatePrep`` neither normalises nor validates by default; renormalising silently
    would hide a bug in the caller, so the device refuses instead.
    """
    for op in tape.operations:
        if not isinstance(op, qml.StatePrep):
            continue
        data = op.data[0]
        try:
            if sp.sparse.issparse(data):
                norms = np.array([sp.sparse.linalg.norm(data)])
            else:  # one norm per batch element
                amplitudes = qml.math.abs(qml.math.unwrap(data)) ** 2
                norms = np.sqrt(np.atleast_1d(np.sum(np.asarray(amplitudes), axis=-1)))
        except (TypeError, ValueError):  # abstract (traced) data: checked again in simulate
            continue
        for norm in norms:
            if abs(float(norm) - 1.0) > NORM_ATOL:
                raise ValueError(
                    f"StatePrep on wires {op.wires.tolist()} prepares a state of norm "
                    f"{float(norm)!r}; qsgd.sim does not renormalise. Pass a unit vector "
                    "(or normalize=True)."
                )
    return (tape,), null_postprocessing


@transform
def rotate_sampled_measurements(tape: QuantumScript):
    """With shots: rotate Pauli observables into the Z basis, splitting what does not commute.

    Commuting measurements stay in one tape (they share samples). Otherwise the tape is split into
    qubit-wise commuting groups, or into one tape per measurement where PennyLane's grouping cannot
    split a measurement (a variance of a sum). Other observables (``Hermitian``...) keep their own
    diagonalizing gates, which the sampler applies. Analytic tapes pass unchanged.
    """
    if not tape.shots:
        return (tape,), null_postprocessing
    return _rotate_into_z_basis(tape)


def _rotate_into_z_basis(tape: QuantumScript):
    try:
        (rotated,), fn = diagonalize_measurements(tape)
        shared_diagonalizing_gates(rotated.measurements)  # e.g. Hermitian and X on one wire
        return (rotated,), fn
    except (ValueError, DeviceError):  # measurements on shared wires do not commute
        pass
    try:
        groups, combine = split_non_commuting(tape, grouping_strategy="qwc")
    except RuntimeError:
        if len(tape.measurements) == 1:
            raise
        return _split_per_measurement(tape)
    return tuple(diagonalize_measurements(group)[0][0] for group in groups), combine


def _split_per_measurement(tape: QuantumScript):
    tapes, slices, fns = [], [], []
    for mp in tape.measurements:
        sub_tapes, fn = _rotate_into_z_basis(tape.copy(measurements=[mp]))
        slices.append(slice(len(tapes), len(tapes) + len(sub_tapes)))
        tapes.extend(sub_tapes)
        fns.append(fn)

    def combine(results):
        per_mp = [fn(results[part]) for fn, part in zip(fns, slices, strict=True)]
        if tape.shots.has_partitioned_shots:  # per_mp[i][b] -> (bins x measurements)
            return tuple(zip(*per_mp, strict=True))
        return tuple(per_mp)

    return tuple(tapes), combine


def accepts_measurement(capabilities, kind: type, mp: MeasurementProcess) -> bool:
    """Listed in the capabilities, or any (custom) measurement of the kind the mode can compute."""
    return type(mp).__name__ in capabilities.measurement_processes or isinstance(mp, kind)


def adjoint_stopping_condition(op: Operator, supported, fidelity: str) -> bool:
    """Adjoint differentiates one-parameter gates with a generator; other ops must be constant.

    A template with a native kernel but no adjoint kernel is decomposed (the backward sweep must
    undo every operation).
    """
    trainable = any(_requires_grad(d) for d in op.data)
    if isinstance(op, StatePrepBase):
        return not trainable
    if not supported(op):
        return False
    if has_native_kernel(op, fidelity) and not has_native_kernel(
        qml.adjoint(op, lazy=True), fidelity
    ):
        return False
    return not trainable or (op.num_params == 1 and op.has_generator)


_CONSTANT_TYPES = (float, int, complex, np.float64, np.ndarray)


def _requires_grad(value) -> bool:
    # exact type check: plain NumPy data is never trainable (pennylane.numpy.tensor subclasses it)
    return type(value) not in _CONSTANT_TYPES and qml.math.requires_grad(value)


def adjoint_observable(obs: Operator) -> bool:
    if isinstance(obs, qml.ops.SProd):
        return adjoint_observable(obs.base)
    if isinstance(obs, (qml.ops.Sum, qml.ops.Prod)):
        return all(adjoint_observable(o) for o in obs.operands)
    return obs.has_matrix or isinstance(obs, qml.SparseHamiltonian)


__all__ = [
    "accepts_measurement",
    "adjoint_observable",
    "adjoint_stopping_condition",
    "rotate_sampled_measurements",
    "validate_state_preparations",
]
