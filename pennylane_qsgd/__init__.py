"""pennylane-qsgd: quantum training of sparse models by Carleman linearisation (Liu et al. 2024)."""

from pennylane_qsgd.core.problem import PolynomialODE

__version__ = "0.1.0"

__all__ = ["PolynomialODE", "__version__"]
