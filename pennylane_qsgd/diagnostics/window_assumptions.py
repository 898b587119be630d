"""The inputs and outputs of the window resource model of
:mod:`~pennylane_qsgd.diagnostics.resources`.

:class:`WindowAssumptions` holds the handful of scalars the model starts from (parameters,
sparsity, norms, precision; each checked), :class:`WindowEstimate` what
:func:`~.resources.estimate_window` derives from them for one window of ``T`` steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def check_positive(name: str, value: object, integer: bool = False) -> float:
    """``value`` as a float if it is a positive finite number (an integer with ``integer``);
    TypeError or ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    if not np.isfinite(value) or value <= 0 or (integer and int(value) != value):
        kind = "positive integer" if integer else "positive finite number"
        raise ValueError(f"{name} must be a {kind}; got {value!r}")
    return value


@dataclass(frozen=True)
class WindowAssumptions:
    """Scalar inputs of a window estimate (module docstring states the model).

    Attributes
    ----------
    params : int
        ``n``, parameters of the model.
    sparsity : float
        Pruned fraction in [0, 1); ``s = ceil((1 - sparsity) n)``.
    eps : float
        Tolerance of Lemma 2's Euler error bound; also the 1/x polynomial's relative accuracy.
    lr, lambda_max : float
        :math:`\\eta` and the largest Hessian eigenvalue: :math:`\\|F_1\\| = \\eta\\lambda_{\\max}`.
    f2_norm, f0_norm : float
        :math:`\\|F_2\\|` and :math:`\\|F_0\\|` after rescaling.
    u_norm : float
        :math:`\\|u_{\\rm in}\\|` after rescaling (< 1).
    q : float
        :math:`\\|u_{\\rm in}\\|/\\|u(T)\\|` of Lemma 5.
    level : int
        Carleman truncation ``N``.
    row_sparsity : int
        Nonzeros per row of :math:`F_1` and :math:`F_2` in the QRAM.
    value_bits : int
        Bits per stored value and rotation angle.
    batch : int
        Samples per classical SGD step.
    """

    params: int
    sparsity: float = 0.9
    eps: float = 1e-2
    lr: float = 0.01
    lambda_max: float = 6.0
    f2_norm: float = 5e-3
    f0_norm: float = 1e-3
    u_norm: float = 0.5
    q: float = 1.0
    level: int = 2
    row_sparsity: int = 16
    value_bits: int = 16
    batch: int = 512

    def __post_init__(self) -> None:
        for name in ("params", "level", "row_sparsity", "value_bits", "batch"):
            check_positive(name, getattr(self, name), integer=True)
        for name in ("eps", "lr", "lambda_max", "f2_norm", "f0_norm", "u_norm", "q"):
            check_positive(name, getattr(self, name))
        if not 0.0 <= self.sparsity < 1.0:
            raise ValueError(f"sparsity must lie in [0, 1); got {self.sparsity!r}")
        if not self.eps < 1.0:
            raise ValueError(f"eps must lie in (0, 1); got {self.eps!r}")
        if not self.u_norm < 1.0:
            raise ValueError(f"u_norm must lie in (0, 1) after rescaling; got {self.u_norm!r}")

    @property
    def support(self) -> int:
        """``s``, the unpruned weights of the window."""
        return max(1, math.ceil((1.0 - self.sparsity) * self.params - 1e-9))

    @property
    def f1_norm(self) -> float:
        """:math:`\\|F_1\\| = \\eta\\lambda_{\\max}`."""
        return self.lr * self.lambda_max

    def bend(self) -> float:
        """``T*`` above which Lemma 2 sets ``h`` (:math:`m \\propto T^2`); below it the cap
        :math:`1/(N\\|F_1\\|)` would (:math:`m \\propto T`), but there
        :math:`N\\|F_1\\|T \\le \\varepsilon/(3\\sqrt N) < 1`, so ``m = 1``."""
        N = self.level
        total = self.f2_norm + self.f1_norm + self.f0_norm
        return self.eps * N * self.f1_norm / (3.0 * N**2.5 * total**2)


@dataclass(frozen=True)
class WindowEstimate:
    """Resources of one window of ``T`` steps (:func:`estimate_window`).

    Attributes
    ----------
    T : int
        Window length (gradient steps = evolution time).
    support, level, steps, idle : int
        ``s``, ``N``, ``m``, ``p``.
    h, subnormalisation, kappa : float
        Euler step, :math:`\\lambda`, :math:`\\kappa` of :math:`L/\\lambda`.
    degree : int
        1/x polynomial degree (block-encoding calls per inversion).
    success_bound : float
        Lemma 5's :math:`P`.
    rounds : int
        Amplitude-amplification rounds ``k``.
    block_encoding_calls : int
        ``d (2k+1)``.
    registers : dict[str, int]
        Qubits by register (``real_part`` included).
    logical_qubits : int
        Their sum (the QRAM's routers excluded).
    qram_qubits : int
        Qubits of the largest QRAM (routers, bus, address, target).
    qram_queries : int
        QRAM queries of the window.
    t_count, t_count_oracle : int
        T gates with QRAM gates counted, and with each query as a free oracle.
    depth : int
        Depth estimate (module docstring).
    classical_flops : float
        ``T * 3 * n * batch``.
    truncation_bound : float
        Lemma 1: :math:`T N \\|F_2\\| \\|u_{\\rm in}\\|^{N+1}`.
    gates : dict[str, int]
        Clifford+T counts of the window.
    """

    T: int
    support: int
    level: int
    steps: int
    idle: int
    h: float
    subnormalisation: float
    kappa: float
    degree: int
    success_bound: float
    rounds: int
    block_encoding_calls: int
    registers: dict
    logical_qubits: int
    qram_qubits: int
    qram_queries: int
    t_count: int
    t_count_oracle: int
    depth: int
    classical_flops: float
    truncation_bound: float
    gates: dict = field(repr=False)


__all__ = ["WindowAssumptions", "WindowEstimate", "check_positive"]
