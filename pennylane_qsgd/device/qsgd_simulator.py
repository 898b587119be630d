"""The ``qsgd.sim`` device: a thin PennyLane adapter over :func:`~.simulate.simulate`.

The class declares how a circuit is brought into a form the simulator runs (preprocessing, with
the transforms and predicates of :mod:`.preprocess`), and calls plain functions for the work:
:mod:`.simulate` (state vector), :mod:`.measure`, :mod:`.adjoint`, and the native-kernel registry
:mod:`.native` through which templates are applied without being decomposed.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pennylane as qml
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.capabilities import observable_stopping_condition_factory
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    device_resolve_dynamic_wires,
    no_sampling,
    validate_adjoint_trainable_params,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    ExpectationMP,
    SampleMeasurement,
    StateMeasurement,
)
from pennylane.operation import Operator
from pennylane.tape import QuantumScript
from pennylane.transforms import (
    broadcast_expand,
    defer_measurements,
)
from pennylane.transforms.core import CompilePipeline

from pennylane_qsgd.device.adjoint import adjoint_jacobian
from pennylane_qsgd.device.native import has_native_kernel, registered_native_types
from pennylane_qsgd.device.preprocess import (
    accepts_measurement,
    adjoint_observable,
    adjoint_stopping_condition,
    rotate_sampled_measurements,
    validate_state_preparations,
)
from pennylane_qsgd.device.simulate import FIDELITIES, check_fidelity, simulate

PENNYLANE_REQUIRES = ">=0.45,<0.46"
"""PennyLane versions whose internal device helpers this device was written against."""


def _check_pennylane_version() -> None:
    if Version(qml.__version__).base_version not in SpecifierSet(PENNYLANE_REQUIRES):
        raise RuntimeError(
            f"qsgd.sim requires pennylane{PENNYLANE_REQUIRES}; found {qml.__version__}. "
            "Install a matching version (pip install 'pennylane>=0.45,<0.46')."
        )


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
            analytic_measurements=partial(accepts_measurement, analytic, StateMeasurement),
            sample_measurements=partial(accepts_measurement, sampled, SampleMeasurement),
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
                adjoint_stopping_condition,
                supported=self.supports_operation,
                fidelity=self._fidelity,
            ),
            skip_initial_state_prep=False,
            device_wires=self.wires,
            target_gates=self._target_gates(),
            name=name,
        )
        program.add_transform(validate_observables, adjoint_observable, name=name)
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
            isinstance(mp, ExpectationMP) and mp.obs is not None and adjoint_observable(mp.obs)
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
