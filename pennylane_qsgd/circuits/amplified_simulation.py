"""Hamiltonian simulation made unitary by oblivious amplitude amplification."""

from __future__ import annotations

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.data_hash import queued
from pennylane_qsgd.circuits.hamiltonian_simulation import (
    AMPLIFIED_SCALE,
    OAA_ROUNDS,
    HamiltonianSimulation,
)
from pennylane_qsgd.circuits.resources import TemplateResources


class AmplifiedHamiltonianSimulation(HamiltonianSimulation):
    """:class:`HamiltonianSimulation` made unitary by oblivious amplitude amplification.

    Decomposition :math:`(-U F U^\\dagger F)^2 U` (Berry, Childs, Cleve, Kothari, Somma,
    arXiv:1312.1414, Lemma 3.6; arXiv:1806.01838, Theorem 28), :math:`F` the sign flip of
    :math:`|000\\rangle_{lra}`, :math:`U` the LCU of amplitude :math:`s/2 = \\sin(\\pi/10)`. On
    :math:`|000\\rangle_{lra}` each eigenvalue's entry :math:`b = \\tfrac12(P_c - iP_s) =
    \\sin(\\pi/10)e^{-i\\tau x} + O(\\text{angles.error})` becomes
    :math:`e^{-i\\tau x} + O(5\\,\\text{angles.error})`, and the ancillas return to
    :math:`|000\\rangle` up to that error: a unitary (to the polynomial precision) that can be
    controlled and used inside phase estimation. Cost: five calls of :class:`HamiltonianSimulation`.

    Parameters as for :class:`HamiltonianSimulation`; ``scale`` defaults to :data:`AMPLIFIED_SCALE`.
    """

    default_scale = AMPLIFIED_SCALE

    @property
    def success_amplitude(self) -> float:
        """:math:`\\sin(5\\arcsin(s/2))` (1 for the default ``scale``)."""
        theta = np.arcsin(0.5 * self.hyperparameters["scale"])
        return float(np.sin((2 * OAA_ROUNDS + 1) * theta))

    @staticmethod
    def compute_decomposition(hamiltonian, alpha, time, wires, eps, scale) -> list:
        """:math:`U`, then twice: ``FlipSign`` of :math:`|000\\rangle_{lra}`, :math:`U^\\dagger`,
        ``FlipSign``, :math:`U`, global phase :math:`-1`."""
        with qml.QueuingManager.stop_recording():
            sim = HamiltonianSimulation(
                hamiltonian, alpha, time, wires, eps=eps, scale=scale, validate=False
            )
            flip = qml.FlipSign([0, 0, 0], wires=wires[:3])
            ops = [sim]
            for _ in range(OAA_ROUNDS):
                ops += [flip, qml.adjoint(sim), flip, sim, qml.GlobalPhase(np.pi, wires=wires)]
        return queued(ops)

    def resources(self) -> TemplateResources:
        """Five times :class:`HamiltonianSimulation`, four ``FlipSign``."""
        one = super().resources()
        calls = 2 * OAA_ROUNDS + 1
        gates = {name: calls * count for name, count in one.gates.items()}
        gates["FlipSign(3)"] = 2 * OAA_ROUNDS
        return TemplateResources(
            logical_qubits=one.logical_qubits,
            block_encoding_calls=calls * one.block_encoding_calls,
            gates=gates,
            block_encoding=one.block_encoding,
            notes="QSVT Hamiltonian simulation with two rounds of oblivious amplification",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "OAA exp(-iHt)"


__all__ = ["AmplifiedHamiltonianSimulation"]
