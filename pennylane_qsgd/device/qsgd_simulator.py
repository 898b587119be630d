"""The ``qsgd.sim`` device: a thin PennyLane adapter over :func:`~.simulate.simulate`.

The class declares how a circuit is brought into a form the simulator runs (preprocessing), and
calls plain functions for the work: :mod:`.simulate` (state vector), :mod:`.measure`, :mod:`.adjoint`,
and the native-kernel registry :mod:`.native` through which templates are applied without being
decomposed.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pennylane as qml
import scipy as sp
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.capabilities import observable_stopping_condition_factory
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    device_resolve_dynamic_wires,
    no_sampling,
    null_postprocessing,
    validate_adjoint_trainable_params,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    ExpectationMP,
    MeasurementProcess,
    SampleMeasurement,
    StateMeasurement,
)
from pennylane.operation import Operator, StatePrepBase
from pennylane.tape import QuantumScript
from pennylane.transforms import (
    broadcast_expand,
    defer_measurements,
    diagonalize_measurements,
    split_non_commuting,
)
from pennylane.transforms.core import CompilePipeline, transform

from pennylane_qsgd.device.adjoint import adjoint_jacobian
from pennylane_qsgd.device.measure import shared_diagonalizing_gates
from pennylane_qsgd.device.native import has_native_kernel, registered_native_types
from pennylane_qsgd.device.simulate import FIDELITIES, check_fidelity, simulate
from pennylane_qsgd.device.statevector import NORM_ATOL

PENNYLANE_REQUIRES = ">=0.45,<0.46"
"""PennyLane versions whose internal device helpers this device was written against."""


def _check_pennylane_version() -> None:
    if Version(qml.__version__).base_version not in SpecifierSet(PENNYLANE_REQUIRES):
        raise RuntimeError(
            f"qsgd.sim requires pennylane{PENNYLANE_REQUIRES}; found {qml.__version__}. "
            "Install a matching version (pip install 'pennylane>=0.45,<0.46')."
        )


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


def _accepts_measurement(capabilities, kind: type, mp: MeasurementProcess) -> bool:
    """Listed in the capabilities, or any (custom) measurement of the kind the mode can compute."""
    return type(mp).__name__ in capabilities.measurement_processes or isinstance(mp, kind)


def _adjoint_stopping_condition(op: Operator, supported, fidelity: str) -> bool:
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


def _adjoint_observable(obs: Operator) -> bool:
    if isinstance(obs, qml.ops.SProd):
        return _adjoint_observable(obs.base)
    if isinstance(obs, (qml.ops.Sum, qml.ops.Prod)):
        return all(_adjoint_observable(o) for o in obs.operands)
    return obs.has_matrix or isinstance(obs, qml.SparseHamiltonian)


@simulator_tracking
@single_tape_support
class QSGDSimulator(Device):
    """State-vector simulator of pennylane-qsgd, with native kernels for its templates.

    Parameters
    ----------
    wires : int or iterable, optional
        Number of wires or their labels; ``None`` takes the wires of each circuit.
    shots : None
        Accepted for PennyLane's device tests; device-level shots are deprecated. Set shots on the
        QNode with ``qml.set_shots``; the device always reads ``tape.shots``.
    seed : int, numpy Generator, SeedSequence, None or "global"
        Seed of the sampling generator (``numpy.random.default_rng``). ``"global"`` (default) draws
        a seed from NumPy's global generator, so ``np.random.seed`` makes runs reproducible.
    fidelity : {"native", "gates", "ideal"}
        ``"native"`` (default): templates with a registered kernel are applied as the exact linear
        maps they implement; everything else is decomposed to standard gates. ``"ideal"``: as
        native, preferring ideal-model kernels where registered. ``"gates"``: everything is
        decomposed to standard gates (the ground truth for small circuits). At every fidelity the
        standard gates run on lightning.qubit's C++ state-vector kernels.

    Notes
    -----
    Derivatives: ``diff_method="adjoint"`` (device Jacobian for analytic expectation values of
    circuits of one-parameter gates and non-trainable templates with adjoint kernels), and every
    gradient transform (``"parameter-shift"``, ``"finite-diff"``, ``"hadamard"``, ``"spsa"``).
    ``diff_method="best"`` resolves to adjoint when it applies, else parameter-shift. No backprop.

    Mid-circuit measurements are deferred (``mcm_method="deferred"``), without post-selection.
    Parameter broadcasting is expanded into one circuit per batch element.

    Example
    -------
    >>> dev = qml.device("qsgd.sim", wires=2, seed=7)
    >>> @qml.set_shots(1000)
    ... @qml.qnode(dev)
    ... def circuit(x):
    ...     qml.RX(x, 0)
    ...     qml.CNOT([0, 1])
    ...     return qml.expval(qml.Z(1))
    """

    name = "qsgd.sim"
    config_filepath = Path(__file__).parent / "qsgd_sim.toml"

    def __init__(self, wires=None, shots=None, seed="global", fidelity: str = "native") -> None:
        _check_pennylane_version()
        super().__init__(wires=wires, shots=shots)
        self._fidelity = check_fidelity(fidelity)
        if isinstance(seed, str) and seed == "global":
            seed = np.random.randint(0, 2**31 - 1)  # noqa: NPY002 (the global generator, on purpose)
        self._rng = np.random.default_rng(seed)

    @property
    def fidelity(self) -> str:
        """Simulation fidelity: one of ``"native"``, ``"gates"``, ``"ideal"``."""
        return self._fidelity

    def _label(self) -> str:
        return f"{self.name} (fidelity={self._fidelity!r})"

    def supports_operation(self, op: Operator) -> bool:
        """Whether ``op`` is executed as is at this device's fidelity (otherwise it is decomposed)."""
        if self._fidelity != "gates" and has_native_kernel(op, self._fidelity):
            return True
        return self.capabilities.supports_operation(op)

    def _target_gates(self) -> set[str]:
        gates = set(self.capabilities.gate_set())
        if self._fidelity != "gates":
            gates |= {op_type.__name__ for op_type in registered_native_types(self._fidelity)}
        return gates

    # ----------------------------------------------------------------- configuration
    def setup_execution_config(
        self, config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> ExecutionConfig:
        """Resolve ``"best"`` (adjoint where possible), the mid-circuit method and device options."""
        config = config or ExecutionConfig()
        if config.device_options:
            raise DeviceError(
                f"{self.name} takes no device options; got {sorted(config.device_options)}"
            )
        mcm_method = config.mcm_config.mcm_method
        if mcm_method not in (None, "deferred"):
            raise DeviceError(
                f'mcm_method {mcm_method!r} is not supported by {self.name}; use "deferred".'
            )
        updated = {"mcm_config": replace(config.mcm_config, mcm_method="deferred")}
        gradient_method = config.gradient_method
        if gradient_method == "best":
            gradient_method = "adjoint"
            updated["gradient_method"] = gradient_method
        if config.use_device_gradient is None:
            updated["use_device_gradient"] = gradient_method == "adjoint"
        if config.use_device_jacobian_product is None:
            updated["use_device_jacobian_product"] = False
        if config.grad_on_execution is None:
            updated["grad_on_execution"] = gradient_method == "adjoint"
        return replace(config, **updated)

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None):
        """Transforms that turn any circuit into one :func:`simulate` runs at this fidelity.

        Validate state preparations, defer mid-circuit measurements, rotate sampled measurements
        into the computational basis, decompose to the standard gates (plus registered native
        templates at fidelity native/ideal), validate wires, measurements and observables, expand
        broadcasting; with ``diff_method="adjoint"``, the adjoint restrictions on top.
        """
        config = execution_config or ExecutionConfig()
        caps = self.capabilities
        analytic, sampled = caps.filter(finite_shots=False), caps.filter(finite_shots=True)

        program = CompilePipeline()
        program.add_transform(validate_state_preparations)
        program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(
            validate_observables,
            stopping_condition=observable_stopping_condition_factory(analytic),
            stopping_condition_shots=observable_stopping_condition_factory(sampled),
            name=self._label(),
        )
        program.add_transform(rotate_sampled_measurements)
        program.add_transform(
            decompose,
            stopping_condition=self.supports_operation,
            skip_initial_state_prep=True,
            device_wires=self.wires,
            target_gates=self._target_gates(),
            name=self._label(),
        )
        program.add_transform(device_resolve_dynamic_wires, wires=self.wires, allow_resets=False)
        program.add_transform(validate_device_wires, self.wires, name=self._label())
        program.add_transform(
            validate_measurements,
            analytic_measurements=partial(_accepts_measurement, analytic, StateMeasurement),
            sample_measurements=partial(_accepts_measurement, sampled, SampleMeasurement),
            name=self._label(),
        )
        program.add_transform(broadcast_expand)
        if config.gradient_method == "adjoint":
            self._add_adjoint_transforms(program)
        return program

    def _add_adjoint_transforms(self, program: CompilePipeline) -> None:
        name = f"adjoint + {self._label()}"
        program.add_transform(no_sampling, name=name)
        program.add_transform(
            decompose,
            stopping_condition=partial(
                _adjoint_stopping_condition,
                supported=self.supports_operation,
                fidelity=self._fidelity,
            ),
            skip_initial_state_prep=False,
            device_wires=self.wires,
            target_gates=self._target_gates(),
            name=name,
        )
        program.add_transform(validate_observables, _adjoint_observable, name=name)
        program.add_transform(
            validate_measurements,
            analytic_measurements=lambda mp: isinstance(mp, ExpectationMP),
            name=name,
        )
        program.add_transform(validate_adjoint_trainable_params)

    # ----------------------------------------------------------------- execution
    def execute(self, circuits, execution_config: ExecutionConfig | None = None):
        """Simulate each circuit; returns a tuple of results."""
        return tuple(simulate(c, fidelity=self._fidelity, rng=self._rng) for c in circuits)

    def supports_derivatives(
        self, execution_config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> bool:
        """Adjoint (and ``"best"``, which means adjoint) for analytic expectation values."""
        if execution_config is None:
            return True
        if execution_config.gradient_method not in ("adjoint", "best"):
            return False
        if circuit is None:
            return True
        # Operations always decompose to one-parameter gates (and templates with adjoint kernels),
        # so the measurements decide; this keeps the check cheap for large circuits.
        return not circuit.shots and all(
            isinstance(mp, ExpectationMP) and mp.obs is not None and _adjoint_observable(mp.obs)
            for mp in circuit.measurements
        )

    def compute_derivatives(self, circuits, execution_config: ExecutionConfig | None = None):
        """Adjoint Jacobians of the circuits' expectation values."""
        return tuple(adjoint_jacobian(c, fidelity=self._fidelity) for c in circuits)

    def execute_and_compute_derivatives(
        self, circuits, execution_config: ExecutionConfig | None = None
    ):
        """Results and adjoint Jacobians of the circuits."""
        return self.execute(circuits, execution_config), self.compute_derivatives(
            circuits, execution_config
        )


__all__ = ["FIDELITIES", "PENNYLANE_REQUIRES", "QSGDSimulator"]
