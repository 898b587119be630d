"""pennylane-qsgd: quantum training of sparse models by Carleman linearisation (Liu et al. 2024).

``qml.device("qsgd.sim")`` simulates the circuits; :class:`QSGD` drops in for ``torch.optim.SGD``.
"""

from pennylane_qsgd.circuits import (
    GradientFlowSolver,
    HHLSolver,
    QSVTInverse,
    estimate_real_vector,
    required_wires,
)
from pennylane_qsgd.core import (
    MemoryBudgetError,
    PolynomialODE,
    dissipation,
    inverse_polynomial,
    qsp_phases,
    solve_euler,
)
from pennylane_qsgd.device import QSGDSimulator
from pennylane_qsgd.optim import QSGD, Support, WindowReport, global_l1_prune, taylor_coefficients

__version__ = "0.1.0"

__all__ = [
    "QSGD",
    "GradientFlowSolver",
    "HHLSolver",
    "MemoryBudgetError",
    "PolynomialODE",
    "QSGDSimulator",
    "QSVTInverse",
    "Support",
    "WindowReport",
    "__version__",
    "dissipation",
    "estimate_real_vector",
    "global_l1_prune",
    "inverse_polynomial",
    "qsp_phases",
    "required_wires",
    "solve_euler",
    "taylor_coefficients",
]
