"""Mixed precision for the Hessian spectra's forward pass, allowed only where it is measured to agree.

The spectra's cost is Hessian-vector products, and a product's cost is mostly the model's
forward and backward passes. Running the forward pass under ``torch.autocast`` (bfloat16 or
float16) roughly halves it on GPUs with tensor cores, but bfloat16 keeps 8 mantissa bits
(relative rounding ~4e-3), and the Lanczos iteration amplifies product errors in the interior
of the spectrum. So a job may use a reduced-precision forward pass only after
:func:`check_forward_precision` has compared the two on the job's own model and batch:

* the same Lanczos start vector, ``steps`` Lanczos steps with float32 products and with
  mixed-precision products;
* each run gives the Gauss quadrature of the spectral density seen from the start vector
  (Ritz values :math:`\\theta_k`, weights :math:`\\tau_k`, what SLQ averages); the deviation
  is the larger of the extreme Ritz values' shifts and the Wasserstein-1 distance of the two
  quadrature measures, relative to the spectral radius :math:`\\rho = \\max_k |\\theta_k|` of
  the float32 run:
  :math:`\\delta = \\max(|\\Delta\\theta_{\\min}|, |\\Delta\\theta_{\\max}|, W_1) / \\rho`.
  Interior Ritz values of a short Lanczos run are not compared one by one: they are
  ill-conditioned (a float16 forward pass, rounding 5e-4, moved one of them by 1.3 % of
  :math:`\\rho` on the digits MLP while the extremes moved by 7e-5), and only the density and
  the extremes enter the job's measures;
* mixed precision is allowed when :math:`\\delta \\le` ``tolerance`` (default
  :data:`DEFAULT_TOLERANCE` = 1e-2: the extreme eigenvalues and the density to 1 % of the
  spectral radius; the negative fraction and the dissipation measures of
  :mod:`pennylane_qsgd.diagnostics.dissipation` are read at that resolution).

Everything after the forward pass (loss, gradient accumulation in the parameters' dtype, the
Lanczos recurrence in float64) is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import wasserstein_distance
from torch import nn

from pennylane_qsgd.core.lanczos import lanczos
from pennylane_qsgd.diagnostics.spectra import gauss_quadrature
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import hessian_vector_product

__all__ = [
    "DEFAULT_TOLERANCE",
    "FORWARD_DTYPES",
    "ForwardPrecisionCheck",
    "check_forward_precision",
    "parse_forward_dtype",
]

#: Largest allowed Ritz-value deviation, relative to the spectral radius.
DEFAULT_TOLERANCE = 1e-2

#: Names accepted by the jobs' ``--forward-dtype`` -> the autocast dtype (None: float32).
FORWARD_DTYPES: dict[str, torch.dtype | None] = {
    "float32": None,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}


def parse_forward_dtype(name: str | torch.dtype | None) -> torch.dtype | None:
    """The autocast dtype for a name of :data:`FORWARD_DTYPES` (or a dtype); None means float32."""
    if name is None or isinstance(name, torch.dtype):
        if name in (None, torch.float32):
            return None
        if name in (torch.bfloat16, torch.float16):
            return name
    elif name in FORWARD_DTYPES:
        return FORWARD_DTYPES[name]
    raise ValueError(f"forward_dtype must be one of {sorted(FORWARD_DTYPES)}; got {name!r}")


@dataclass
class ForwardPrecisionCheck:
    """Outcome of :func:`check_forward_precision`.

    Attributes
    ----------
    forward_dtype : str
        ``"bfloat16"`` or ``"float16"``.
    steps : int
        Lanczos steps of both runs.
    ritz_float32, ritz_mixed : list of float
        Sorted Ritz values of the two runs (loss units per weight^2).
    weights_float32, weights_mixed : list of float
        Their quadrature weights (sum 1).
    spectral_radius : float
        :math:`\\rho` of the float32 run.
    extremes_shift : float
        Largest shift of the smallest and largest Ritz value, divided by :math:`\\rho`.
    wasserstein : float
        :math:`W_1` of the two quadrature measures, divided by :math:`\\rho`.
    deviation : float
        :math:`\\delta = \\max` (``extremes_shift``, ``wasserstein``).
    tolerance : float
    passed : bool
        ``deviation <= tolerance``.
    """

    forward_dtype: str
    steps: int
    ritz_float32: list[float]
    ritz_mixed: list[float]
    weights_float32: list[float]
    weights_mixed: list[float]
    spectral_radius: float
    extremes_shift: float
    wasserstein: float
    deviation: float
    tolerance: float
    passed: bool

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)

    def raise_if_failed(self) -> None:
        """Raise a ValueError that states the measured deviation when the check failed."""
        if not self.passed:
            raise ValueError(
                f"a {self.forward_dtype} forward pass moves the Hessian's spectrum by "
                f"{self.deviation:.3g} of the spectral radius ({self.spectral_radius:.4g}), above "
                f"the tolerance {self.tolerance:.3g}; use --forward-dtype float32 (or raise "
                "--precision-tolerance knowingly)"
            )


def check_forward_precision(
    module: nn.Module,
    loss_fn: Callable,
    batch: Any,
    support: Support,
    forward_dtype: str | torch.dtype,
    *,
    steps: int = 16,
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ForwardPrecisionCheck:
    """Compare the Hessian's Lanczos spectrum with a mixed-precision forward pass to float32.

    Parameters
    ----------
    module, loss_fn, batch, support
        As in :func:`~pennylane_qsgd.optim.taylor.hessian_vector_product` (the module in the mode
        the job measures in, e.g. eval).
    forward_dtype : {"bfloat16", "float16"} or torch.dtype
    steps : int, default 16
        Lanczos steps of each run (two runs: ``2 * steps`` Hessian-vector products).
    seed : int
        Seed of the common Rademacher start vector.
    tolerance : float, default :data:`DEFAULT_TOLERANCE`
        Largest allowed deviation relative to the spectral radius.

    Returns
    -------
    ForwardPrecisionCheck
    """
    dtype = parse_forward_dtype(forward_dtype)
    if dtype is None:
        raise ValueError("forward_dtype must be a reduced precision ('bfloat16' or 'float16')")
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise ValueError(f"tolerance must be positive; got tolerance={tolerance!r}")
    dim = support.size
    v0 = np.random.default_rng(seed).choice([-1.0, 1.0], size=dim)
    runs = []
    for mixed in (None, dtype):
        hvp = hessian_vector_product(
            module, loss_fn, batch, support, mode="reverse", forward_dtype=mixed
        )

        def matvec(v: np.ndarray, hvp=hvp) -> np.ndarray:
            return hvp(torch.from_numpy(v)).double().cpu().numpy()

        runs.append(gauss_quadrature(*lanczos(matvec, dim, steps, v0=v0)))
    (ref, w_ref), (mixed_ritz, w_mixed) = runs
    rho = float(np.max(np.abs(ref)))
    scale = rho if rho > 0 else 1.0
    extremes = max(abs(mixed_ritz[0] - ref[0]), abs(mixed_ritz[-1] - ref[-1])) / scale
    w1 = wasserstein_distance(ref, mixed_ritz, w_ref, w_mixed) / scale
    deviation = max(float(extremes), float(w1))
    name = next(n for n, d in FORWARD_DTYPES.items() if d is dtype)
    return ForwardPrecisionCheck(
        forward_dtype=name,
        steps=int(steps),
        ritz_float32=ref.tolist(),
        ritz_mixed=mixed_ritz.tolist(),
        weights_float32=w_ref.tolist(),
        weights_mixed=w_mixed.tolist(),
        spectral_radius=rho,
        extremes_shift=float(extremes),
        wasserstein=float(w1),
        deviation=deviation,
        tolerance=float(tolerance),
        passed=bool(deviation <= tolerance),
    )
