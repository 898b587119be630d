"""pennylane-qsgd: quantum training of sparse models by Carleman linearisation (Liu et al. 2024).

``qml.device("qsgd.sim")`` simulates the circuits; :class:`QSGD` drops in for ``torch.optim.SGD``.

The names below are imported on first use, so ``import pennylane_qsgd.core`` (numpy and scipy
only) does not load PennyLane or torch.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "GradientFlowSolver": "pennylane_qsgd.circuits",
    "HHLSolver": "pennylane_qsgd.circuits",
    "QSVTInverse": "pennylane_qsgd.circuits",
    "estimate_real_vector": "pennylane_qsgd.circuits",
    "required_wires": "pennylane_qsgd.circuits",
    "MemoryBudgetError": "pennylane_qsgd.core",
    "PolynomialODE": "pennylane_qsgd.core",
    "dissipation": "pennylane_qsgd.core",
    "inverse_polynomial": "pennylane_qsgd.core",
    "qsp_phases": "pennylane_qsgd.core",
    "solve_euler": "pennylane_qsgd.core",
    "QSGDSimulator": "pennylane_qsgd.device",
    "QSGD": "pennylane_qsgd.optim",
    "Support": "pennylane_qsgd.optim",
    "WindowReport": "pennylane_qsgd.optim",
    "global_l1_prune": "pennylane_qsgd.optim",
    "taylor_coefficients": "pennylane_qsgd.optim",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pennylane_qsgd' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
