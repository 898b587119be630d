"""Amplitude amplification of the solver's success subspace.

The success subspace is a set of wire values (the solver's ancillas at 0, the time register in the
idle block, the Carleman level at 1): its oracle is ``qml.FlipSign`` on those wires. With
:math:`\\sin^2\\theta = P` the success probability of the state :math:`U|0\\rangle`, ``k`` rounds of
:math:`(I - 2|\\psi\\rangle\\langle\\psi|)(I - 2\\Pi)` give

.. math:: P_k = \\sin^2((2k + 1)\\theta)

(Brassard, Høyer, Mosca, Tapp, arXiv:quant-ph/0005055, Theorem 2), maximal near
:math:`k = \\lfloor \\pi/(4\\theta) \\rfloor`. When :math:`P` is only known from below, the
fixed-point variant of Yoder, Low and Chuang (arXiv:1409.3305, equation (11)) reaches at least
``p_min`` for every :math:`P \\ge w` after :math:`L = 2l + 1` queries with
:math:`L \\ge \\ln(2/\\delta)/\\sqrt{w}`, :math:`\\delta^2 = 1 - p_{\\min}`.

Both are PennyLane's ``qml.AmplitudeAmplification``; :class:`SuccessAmplification` only adds the
collision-free hash of the package's templates and a type of its own, so that
``qsgd.sim`` applies it natively.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pennylane as qml
from pennylane.operation import Operator

from pennylane_qsgd.circuits.data_hash import FullDataHashMixin
from pennylane_qsgd.circuits.resources import TemplateResources


def _check_probability(p: object, name: str = "probability") -> float:
    value = float(p)
    if not np.isfinite(value) or not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must lie in (0, 1]; got {p!r}")
    return value


def success_oracle(condition: Mapping[object, int]) -> qml.FlipSign:
    """Oracle :math:`I - 2\\Pi` that flips the sign of the states with the given wire values.

    Parameters
    ----------
    condition : mapping wire -> 0 or 1
        The success subspace: every listed wire has its value.
    """
    if not condition:
        raise ValueError("condition must name at least one wire")
    bits = [int(b) for b in condition.values()]
    if any(b not in (0, 1) for b in bits):
        raise ValueError(f"condition values must be 0 or 1; got {list(condition.values())}")
    return qml.FlipSign(bits, wires=list(condition))


def amplification_rounds(probability: float) -> int:
    """Rounds :math:`k = \\lfloor \\pi / (4\\theta) \\rfloor`, :math:`\\theta = \\arcsin\\sqrt{P}`.

    The integer maximising :math:`\\sin^2((2k+1)\\theta)`; 0 when :math:`P > 1/2`.
    """
    theta = np.arcsin(np.sqrt(_check_probability(probability)))
    return int(np.floor(np.pi / (4.0 * theta)))


def amplified_probability(probability: float, rounds: int) -> float:
    """:math:`\\sin^2((2k + 1)\\theta)` after ``k = rounds`` rounds of amplitude amplification."""
    if int(rounds) != rounds or rounds < 0:
        raise ValueError(f"rounds must be a non-negative integer; got {rounds!r}")
    theta = np.arcsin(np.sqrt(_check_probability(probability)))
    return float(np.sin((2 * int(rounds) + 1) * theta) ** 2)


def fixed_point_probability(probability: float, iters: int, p_min: float) -> float:
    """Success probability after ``qml.AmplitudeAmplification(..., fixed_point=True)``.

    .. math:: P_L = 1 - \\delta^2\\, T_L\\big(T_{1/L}(1/\\delta)\\sqrt{1 - P}\\big)^2,
              \\qquad \\delta^2 = 1 - p_{\\min}

    (arXiv:1409.3305, equation (1)) with :math:`L` = ``iters`` (odd; ``iters // 2`` reflections).
    """
    p = _check_probability(probability)
    p_min = _check_probability(p_min, "p_min")
    if int(iters) != iters or iters < 1 or iters % 2 == 0:
        raise ValueError(f"iters must be a positive odd integer; got {iters!r}")
    if p_min >= 1.0:
        raise ValueError("p_min must be below 1 for the fixed-point schedule")
    delta = np.sqrt(1.0 - p_min)
    gamma_inv = np.cosh(np.arccosh(1.0 / delta) / iters)
    x = gamma_inv * np.sqrt(1.0 - p)
    cheb = np.cos(iters * np.arccos(x)) if x <= 1.0 else np.cosh(iters * np.arccosh(x))
    return float(1.0 - delta**2 * cheb**2)


def fixed_point_iterations(probability_lower_bound: float, p_min: float = 0.9) -> int:
    """Smallest odd ``L`` with :func:`fixed_point_probability` ``>= p_min`` for all :math:`P \\ge w`.

    :math:`L \\ge \\operatorname{arccosh}(1/\\delta) / \\operatorname{arccosh}(1/\\sqrt{1 - w})`.
    """
    w = _check_probability(probability_lower_bound, "probability_lower_bound")
    p_min = _check_probability(p_min, "p_min")
    if w >= 1.0 or w >= p_min:
        return 1
    delta = np.sqrt(1.0 - p_min)
    needed = np.arccosh(1.0 / delta) / np.arccosh(1.0 / np.sqrt(1.0 - w))
    iters = max(int(np.ceil(needed - 1e-12)), 1)
    return iters if iters % 2 == 1 else iters + 1


def fixed_point_angles(iters: int, p_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Phases :math:`(\\alpha_j, \\beta_j)`, ``j = 1..iters // 2``, of the fixed-point schedule.

    Equation (11) of arXiv:1409.3305: :math:`\\alpha_j = -\\beta_{l-j+1} =
    2\\cot^{-1}(\\tan(2\\pi j/L)\\sqrt{1-\\gamma^2})`, :math:`\\gamma^{-1} = T_{1/L}(1/\\delta)`,
    :math:`\\delta^2 = 1 - p_{\\min}`, with the branch :math:`\\cot^{-1} y = \\arctan(1/y)` that
    ``qml.AmplitudeAmplification`` uses.
    """
    if int(iters) != iters or iters < 1:
        raise ValueError(f"iters must be a positive integer; got {iters!r}")
    p_min = _check_probability(p_min, "p_min")
    if p_min >= 1.0:
        raise ValueError("p_min must be below 1 for the fixed-point schedule")
    delta = np.sqrt(1.0 - p_min)
    gamma = 1.0 / np.cosh(np.arccosh(1.0 / delta) / iters)
    half = int(iters) // 2
    j = np.arange(1, half + 1)
    with np.errstate(divide="ignore"):
        alphas = 2.0 * np.arctan(1.0 / (np.tan(2.0 * np.pi * j / iters) * np.sqrt(1.0 - gamma**2)))
    betas = -alphas[::-1]
    return alphas, betas


class SuccessAmplification(FullDataHashMixin, qml.AmplitudeAmplification):
    """``qml.AmplitudeAmplification`` of ``U``'s success subspace, hashed on all its data.

    Parameters
    ----------
    U : Operator
        The state preparation to amplify, e.g. a :class:`~.GradientFlowSolver`.
    O : Operator
        The oracle, :func:`success_oracle` of the success condition.
    iters : int
        Rounds (standard) or queries ``L`` (fixed point, odd).
    fixed_point : bool
        Yoder–Low–Chuang fixed-point schedule (needs ``work_wire``).
    work_wire : wire, optional
        Ancilla of the fixed-point schedule.
    p_min : float
        Target success probability of the fixed-point schedule.

    Notes
    -----
    The operation applies only the amplification rounds: place it right after ``U`` (PennyLane's
    convention). ``qsgd.sim`` applies it natively when ``U`` has a native kernel.
    """

    def resources(self) -> TemplateResources:
        """Calls to ``U`` or its adjoint (2 per reflection) and oracle applications."""
        iters = self.hyperparameters["iters"]
        fixed = self.hyperparameters["fixed_point"]
        reflections = iters // 2 if fixed else iters
        oracles = 2 * (iters // 2) if fixed else iters
        U: Operator = self.hyperparameters["U"]
        inner = U.resources() if hasattr(U, "resources") else None
        gates = {"U or U†": 2 * reflections, "FlipSign": oracles}
        if fixed:
            gates.update({"Hadamard": 4 * (iters // 2), "PhaseShift": iters // 2})
        calls = 2 * reflections * (inner.block_encoding_calls if inner else 0)
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=calls,
            gates=gates,
            block_encoding=inner.block_encoding if inner else None,
            notes="reflections about U|0> cost one U and one U† each",
        )


__all__ = [
    "amplification_rounds",
    "amplified_probability",
    "fixed_point_angles",
    "fixed_point_iterations",
    "fixed_point_probability",
    "success_oracle",
    "SuccessAmplification",
]
