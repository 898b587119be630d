"""Torch layer: the QSGD optimizer, supports of pruned modules, Taylor coefficients on a support."""

from pennylane_qsgd.optim.pruning import global_l1_prune, remove_pruning, sparsity
from pennylane_qsgd.optim.qsgd import (
    LOWRANK_SUPPORT_THRESHOLD,
    ORDER2_ROUTES,
    QSGD,
    ContinuousFlowWarning,
    NonDissipativeWarning,
    NonDissipativeWindowError,
    QSGDWarning,
    SlowWindowWarning,
)
from pennylane_qsgd.optim.report import WindowReport
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import (
    TaylorCoefficients,
    build_problem,
    hessian_operator,
    hessian_vector_product,
    taylor_coefficients,
)

__all__ = [
    "LOWRANK_SUPPORT_THRESHOLD",
    "ORDER2_ROUTES",
    "QSGD",
    "ContinuousFlowWarning",
    "NonDissipativeWarning",
    "NonDissipativeWindowError",
    "QSGDWarning",
    "SlowWindowWarning",
    "Support",
    "TaylorCoefficients",
    "WindowReport",
    "build_problem",
    "global_l1_prune",
    "hessian_operator",
    "hessian_vector_product",
    "remove_pruning",
    "sparsity",
    "taylor_coefficients",
]
