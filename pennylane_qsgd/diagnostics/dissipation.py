"""Dissipation measures of the training dynamics after pruning (arXiv:2303.03428, Figs. 2-3).

Near a point with Hessian :math:`H = \\sum_i \\lambda_i q_i q_i^T` on the support, ``t`` steps of
gradient descent with learning rate :math:`\\eta` multiply the component of a perturbation along
:math:`q_i` by :math:`(1 - \\eta\\lambda_i)^t`. Liu et al. call the modes with
:math:`|1 - \\eta\\lambda_i| < 1` dissipative and those with :math:`|1 - \\eta\\lambda_i| > 1`
(negative curvature, or :math:`\\eta\\lambda_i > 2`) divergent, and track the mean per-mode factor

.. math::

    \\bar f(t) = \\frac{1}{n} \\sum_{i=1}^{n} |1 - \\eta \\lambda_i|^t ,

which stays below 1 during the first steps after pruning (the "early-stage" window in which the
quantum algorithm applies) and rises above 1 later.

Every measure takes a spectrum as explicit eigenvalues (each of weight ``1/n``), eigenvalues with
``weights``, or a :class:`~pennylane_qsgd.diagnostics.spectra.SpectralDensity` (an SLQ estimate,
whose weights turn the sums into quadrature estimates of the same normalised traces).
:func:`track_dissipation` records them over classical fine-tuning steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from itertools import cycle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.diagnostics.distributed import rank
from pennylane_qsgd.diagnostics.spectra import (
    SpectralDensity,
    default_support,
    hessian_spectrum,
    per_layer_spectra,
)
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import build_problem, support_loss, taylor_coefficients

SpectrumLike = np.ndarray | SpectralDensity


def _nodes_weights(
    spectrum: SpectrumLike, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and normalised weights of a spectrum given in any accepted form."""
    if isinstance(spectrum, SpectralDensity):
        if weights is not None:
            raise ValueError("weights must be None when the spectrum is a SpectralDensity")
        return spectrum.nodes, spectrum.weights
    nodes = np.asarray(spectrum, dtype=np.float64).reshape(-1)
    if nodes.size == 0:
        raise ValueError("the spectrum is empty")
    if not np.all(np.isfinite(nodes)):
        raise ValueError("the spectrum contains NaN or Inf")
    if weights is None:
        return nodes, np.full(nodes.size, 1.0 / nodes.size)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != nodes.shape:
        raise ValueError(f"weights must have shape {nodes.shape}; got {w.shape}")
    if np.any(w < 0) or not np.isfinite(w.sum()) or w.sum() <= 0:
        raise ValueError("weights must be non-negative, finite and not all zero")
    return nodes, w / w.sum()


def _check_lr(lr: float) -> float:
    if not (np.isfinite(lr) and float(lr) > 0):
        raise ValueError(f"lr must be a positive finite number; got lr={lr!r}")
    return float(lr)


def per_mode_factor(
    spectrum: SpectrumLike, lr: float, t: float | np.ndarray = 1, weights: np.ndarray | None = None
) -> float | np.ndarray:
    """Mean per-mode factor :math:`\\frac{1}{n}\\sum_i |1 - \\eta\\lambda_i|^t`.

    Parameters
    ----------
    spectrum : array_like, shape (n,), or SpectralDensity
        Eigenvalues :math:`\\lambda_i` of the Hessian on the support, or a density.
    lr : float
        Learning rate :math:`\\eta > 0`.
    t : float or array_like, shape (T,)
        Number of steps (non-negative).
    weights : array_like, shape (n,), optional
        Weights of the eigenvalues (normalised here); default ``1/n`` each.

    Returns
    -------
    float, or numpy.ndarray of shape (T,) for an array ``t``
        Below 1 when dissipation dominates over ``t`` steps.
    """
    nodes, w = _nodes_weights(spectrum, weights)
    ts = np.asarray(t, dtype=np.float64)
    if np.any(ts < 0) or not np.all(np.isfinite(ts)):
        raise ValueError(f"t must be non-negative and finite; got t={t!r}")
    base = np.abs(1.0 - _check_lr(lr) * nodes)
    out = (base[None, :] ** ts.reshape(-1)[:, None]) @ w
    return float(out[0]) if ts.ndim == 0 else out.reshape(ts.shape)


@dataclass(frozen=True)
class DissipativeDivergent:
    """Split of :math:`\\frac1n\\sum_i |1-\\eta\\lambda_i|^t` into dissipative and divergent modes.

    Attributes
    ----------
    dissipative : float
        :math:`\\frac1n\\sum_{|1-\\eta\\lambda_i|<1} |1-\\eta\\lambda_i|^t`.
    divergent : float
        :math:`\\frac1n\\sum_{|1-\\eta\\lambda_i|>1} |1-\\eta\\lambda_i|^t`.
    ratio : float
        ``divergent / dissipative`` (``inf`` when no mode dissipates).
    dissipative_fraction, divergent_fraction : float
        Weight of the modes in each class (modes with :math:`|1-\\eta\\lambda| = 1` in neither).
    """

    dissipative: float
    divergent: float
    ratio: float
    dissipative_fraction: float
    divergent_fraction: float


def dissipative_divergent_sums(
    spectrum: SpectrumLike, lr: float, t: float = 1, weights: np.ndarray | None = None
) -> DissipativeDivergent:
    """Dissipative and divergent parts of the per-mode factor and their ratio.

    Parameters
    ----------
    spectrum, lr, t, weights
        As in :func:`per_mode_factor` (scalar ``t``).

    Returns
    -------
    DissipativeDivergent
        Both sums are normalised by ``n`` (weights), so they add up to :func:`per_mode_factor`
        less the neutral modes.
    """
    nodes, w = _nodes_weights(spectrum, weights)
    if not (np.isfinite(t) and float(t) >= 0):
        raise ValueError(f"t must be a non-negative finite number; got t={t!r}")
    base = np.abs(1.0 - _check_lr(lr) * nodes)
    terms = w * base ** float(t)
    diss, div = base < 1.0, base > 1.0
    d_sum, g_sum = float(terms[diss].sum()), float(terms[div].sum())
    ratio = g_sum / d_sum if d_sum > 0 else float("inf")
    return DissipativeDivergent(d_sum, g_sum, ratio, float(w[diss].sum()), float(w[div].sum()))


def negative_fraction(
    spectrum: SpectrumLike, weights: np.ndarray | None = None, tol: float = 0.0
) -> float:
    """Fraction of negative-curvature modes, :math:`\\frac1n \\#\\{i : \\lambda_i < -\\mathrm{tol}\\}`.

    With a density, the weight of the nodes below ``-tol`` (an SLQ estimate of the fraction).
    """
    nodes, w = _nodes_weights(spectrum, weights)
    if not float(tol) >= 0:
        raise ValueError(f"tol must be non-negative; got tol={tol!r}")
    return float(w[nodes < -float(tol)].sum())


# ---------------------------------------------------------------------------------------------
# Tracking over fine-tuning
# ---------------------------------------------------------------------------------------------


@dataclass
class DissipationRecord:
    """The measures at one step of fine-tuning after pruning.

    Attributes
    ----------
    step : int
        Optimizer steps taken since pruning when the spectrum was measured (before the update).
    loss : float
        Loss on the measurement batch.
    lr : float
        Learning rate :math:`\\eta` of the optimizer's first parameter group at that step.
    method : str
        ``"exact"`` or ``"slq"``.
    dim : int
        Support size ``n``.
    lambda_min, lambda_max : float
        Extreme eigenvalues (outermost Ritz values for SLQ).
    negative_fraction : float
        Weight of the eigenvalues below ``-zero_tol * max|lambda|`` (see :func:`measure`).
    factor_one_step : float
        :math:`\\frac1n\\sum|1-\\eta\\lambda_i|` (one step).
    per_mode_factor : float
        :math:`\\frac1n\\sum|1-\\eta\\lambda_i|^{t}` with ``t = step + 1`` (the steps since pruning,
        up to and including the update that follows the measurement).
    dissipative, divergent, divergent_ratio : float
        :func:`dissipative_divergent_sums` at the same ``t``.
    spectrum : dict
        :meth:`SpectralDensity.to_dict` (eigenvalues for ``"exact"``).
    dissipation_ratio : float or None
        The ratio R of the window starting here, when a ``ratio_hook`` was given.
    wall_s : float
        Seconds spent on this measurement.
    extra : dict
        Anything the hook returned besides R.
    """

    step: int
    loss: float
    lr: float
    method: str
    dim: int
    lambda_min: float
    lambda_max: float
    negative_fraction: float
    factor_one_step: float
    per_mode_factor: float
    dissipative: float
    divergent: float
    divergent_ratio: float
    spectrum: dict
    dissipation_ratio: float | None = None
    wall_s: float = 0.0
    extra: dict = field(default_factory=dict)

    def density(self) -> SpectralDensity:
        """The measured spectrum as a :class:`SpectralDensity`."""
        return SpectralDensity.from_dict(self.spectrum)

    def to_dict(self) -> dict:
        """JSON-serialisable form (``inf`` ratios become the string ``"inf"``)."""
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> DissipationRecord:
        """Inverse of :meth:`to_dict` (``"inf"``/``"nan"`` strings back to floats)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: _unjson(v) for k, v in data.items() if k in names})


def measure(
    spectrum: SpectralDensity,
    lr: float,
    step: int,
    loss: float = float("nan"),
    zero_tol: float = 1e-6,
) -> DissipationRecord:
    """All measures of one spectrum at ``step`` steps after pruning (see :class:`DissipationRecord`).

    Eigenvalues above ``-zero_tol * max|lambda|`` count as non-negative in
    ``negative_fraction``: flat directions (dead units, constant input pixels) give eigenvalues
    that are zero up to rounding.
    """
    t = step + 1
    split = dissipative_divergent_sums(spectrum, lr, t)
    lo, hi = spectrum.extremes
    neg_tol = float(zero_tol) * max(abs(lo), abs(hi))
    return DissipationRecord(
        step=int(step),
        loss=float(loss),
        lr=float(lr),
        method=spectrum.method,
        dim=int(spectrum.dim),
        lambda_min=lo,
        lambda_max=hi,
        negative_fraction=negative_fraction(spectrum, tol=neg_tol),
        factor_one_step=float(per_mode_factor(spectrum, lr, 1)),
        per_mode_factor=float(per_mode_factor(spectrum, lr, t)),
        dissipative=split.dissipative,
        divergent=split.divergent,
        divergent_ratio=split.ratio,
        spectrum=spectrum.to_dict(),
    )


#: ``ratio_hook(module, loss_fn, batch, support, lr) -> float or (float, dict)``: R of a window.
RatioHook = Callable[[nn.Module, Callable, Any, Support, float], "float | tuple[float, dict]"]


def track_dissipation(
    module: nn.Module,
    loss_fn: Callable,
    batches: Iterable | Callable[[int], Any],
    optimizer_factory: Callable[[Iterator[nn.Parameter]], torch.optim.Optimizer],
    steps: int,
    every: int = 1,
    method: str = "auto",
    *,
    support: Support | None = None,
    measure_batch: Any = None,
    lanczos_steps: int = 64,
    probes: int = 8,
    seed: int = 0,
    max_exact_dim: int = 2048,
    eval_mode: bool = False,
    ratio_hook: RatioHook | None = None,
    progress: Callable[[int], None] | None = None,
    zero_tol: float = 1e-6,
    hvp_mode: str = "auto",
    forward_dtype: torch.dtype | None = None,
    per_layer_steps: int = 0,
    start_step: int = 0,
    checkpoint_dir: str | Path | None = None,
    spectrum_progress: bool = False,
    before_measure: Callable[[nn.Module], None] | None = None,
    after_step: Callable[[int, torch.optim.Optimizer, list], None] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> list[DissipationRecord]:
    """Classical fine-tuning after pruning with the spectrum and the measures every few steps.

    At steps ``0, every, 2 every, ...`` (and at ``steps``) the Hessian of the loss on the
    support is measured (:func:`~pennylane_qsgd.diagnostics.spectra.hessian_spectrum`) before the
    update of that step; then the optimizer takes one step on the step's batch.

    Parameters
    ----------
    module : torch.nn.Module
        The pruned model, fine-tuned in place.
    loss_fn : callable
        ``loss_fn(module(x), y) -> scalar tensor`` for a batch ``(x, y)``, as in
        :func:`pennylane_qsgd.optim.taylor.support_loss`.
    batches : iterable of batches, or callable
        Fine-tuning batches (cycled when exhausted), or ``step -> batch``.
    optimizer_factory : callable
        ``parameters -> torch.optim.Optimizer``, called once with ``module.parameters()``.
    steps : int
        Number of optimizer steps.
    every : int
        Measure every ``every`` steps.
    method : {"auto", "exact", "slq"}
        ``"auto"``: exact when the support has at most ``max_exact_dim`` weights, else SLQ.
    support : Support, optional
        Default: the unpruned weights (``Support.from_masks``) of a pruned module, every weight
        otherwise.
    measure_batch : batch, optional
        A fixed batch for every Hessian (comparable spectra across steps); default: the step's
        training batch.
    lanczos_steps, probes, seed
        SLQ options (``seed`` fixes the probes, the same at every step).
    max_exact_dim : int
        Threshold of ``method="auto"``.
    eval_mode : bool
        Measure with the module in eval mode (batch norm with its running statistics) instead
        of the training mode whose loss the optimizer descends (batch statistics; the Hessian
        products never update the running statistics). The mode is restored afterwards.
    ratio_hook : callable, optional
        ``(module, loss_fn, batch, support, lr) -> R`` or ``(R, extra_dict)``, stored in
        :attr:`DissipationRecord.dissipation_ratio` (the core's R of the window that starts at the
        step).
    progress : callable, optional
        Called with the step index after each optimizer step.
    zero_tol : float
        Relative threshold of the negative fraction (see :func:`measure`).
    hvp_mode : {"auto", "forward", "reverse"}
        Differentiation scheme of the Hessian-vector products.
    forward_dtype : {None, torch.bfloat16, torch.float16}
        Mixed-precision forward pass of the spectra's products (SLQ only; see
        :mod:`pennylane_qsgd.diagnostics.mixed_precision`). Per-layer spectra stay in float32.
    per_layer_steps : int
        If positive, also the spectra of the per-layer diagonal blocks of the Hessian
        (:func:`~pennylane_qsgd.diagnostics.spectra.per_layer_spectra` with that many Lanczos
        steps); their extremes go to ``record.extra["per_layer"]`` as
        ``{name: [lambda_min, lambda_max]}``.
    start_step : int
        First step (to resume a run: the module and ``optimizer`` as they were after the
        update of step ``start_step - 1``; the batches must depend on the step only).
    checkpoint_dir : path, optional
        Each SLQ measurement keeps its resumable state in ``slq-step{step}.pt`` there (removed
        once the step's record exists).
    spectrum_progress : bool
        Progress bars per SLQ probe.
    before_measure : callable, optional
        Called with the module before each measurement (e.g. to broadcast rank 0's weights).
    after_step : callable, optional
        ``(step, optimizer, records)`` after the update of each step, ``records`` those so far
        (e.g. to write a resume file).
    optimizer : torch.optim.Optimizer, optional
        Use this optimizer (a resumed one) instead of calling ``optimizer_factory``.

    Returns
    -------
    list of DissipationRecord
        The records of steps ``>= start_step``.

    Raises
    ------
    FloatingPointError
        When a training loss is NaN or Inf (the module is left as before that update).
    """
    steps = _non_negative(steps, "steps")
    every = max(_non_negative(every, "every"), 1)
    if method not in ("auto", "exact", "slq"):
        raise ValueError(f"method must be 'auto', 'exact' or 'slq'; got method={method!r}")
    if support is None:
        support = default_support(module)
    if method == "auto":
        method = "exact" if support.size <= max_exact_dim else "slq"
    get_batch = batches if callable(batches) else _cycler(batches)
    if optimizer is None:
        optimizer = optimizer_factory(module.parameters())
    start = _non_negative(start_step, "start_step")
    ckpt_dir = None if checkpoint_dir is None else Path(checkpoint_dir)

    records = []
    for step in range(start, steps + 1):
        batch = get_batch(step)
        if step % every == 0 or step == steps:
            if before_measure is not None:
                before_measure(module)
            ckpt = None if ckpt_dir is None else ckpt_dir / f"slq-step{step}.pt"
            lr = float(optimizer.param_groups[0]["lr"])
            mbatch = batch if measure_batch is None else measure_batch
            t_start = time.perf_counter()
            was_training = module.training
            if eval_mode:
                module.eval()
            try:
                spectrum = hessian_spectrum(
                    module,
                    loss_fn,
                    mbatch,
                    support,
                    method=method,
                    steps=lanczos_steps,
                    probes=probes,
                    seed=seed,
                    max_exact_dim=max_exact_dim,
                    hvp_mode=hvp_mode,
                    forward_dtype=forward_dtype,
                    progress=spectrum_progress,
                    checkpoint=ckpt,
                    checkpoint_tag=f"step {step}",
                )
                layers = {}
                if per_layer_steps > 0:
                    blocks = per_layer_spectra(
                        module,
                        loss_fn,
                        mbatch,
                        support,
                        steps=per_layer_steps,
                        seed=seed,
                        hvp_mode=hvp_mode,
                        progress=spectrum_progress,
                    )
                    layers = {name: list(d.extremes) for name, d in blocks.items()}
                with torch.no_grad():
                    loss = float(
                        support_loss(module, loss_fn, mbatch, support)(support.gather(module))
                    )
                record = measure(spectrum, lr, step, loss, zero_tol)
                if ratio_hook is not None:
                    out = ratio_hook(module, loss_fn, mbatch, support, lr)
                    r, extra = out if isinstance(out, tuple) else (out, {})
                    record.dissipation_ratio = float(r)
                    record.extra = dict(extra)
                if layers:
                    record.extra["per_layer"] = layers
            finally:
                module.train(was_training)
            record.wall_s = time.perf_counter() - t_start
            records.append(record)
            if ckpt is not None and rank() == 0:  # rank 0 owns the files
                ckpt.unlink(missing_ok=True)
        if step == steps:
            break
        x, y = batch

        def closure(x=x, y=y, step=step):
            optimizer.zero_grad()
            loss = loss_fn(module(x), y)
            if not bool(torch.isfinite(loss.detach())):
                raise FloatingPointError(
                    f"the training loss is {float(loss.detach())} at fine-tuning step {step}: "
                    "lower the "
                    "learning rate (the weights were left as before this step)"
                )
            loss.backward()
            return loss

        optimizer.step(closure)
        if after_step is not None:
            after_step(step, optimizer, records)
        if progress is not None:
            progress(step)
    return records


def records_to_json(records: Iterable[DissipationRecord]) -> list[dict]:
    """JSON-serialisable list of records."""
    return [r.to_dict() for r in records]


def _cycler(batches: Iterable) -> Callable[[int], Any]:
    it = cycle(batches)
    return lambda _step: next(it)


def _non_negative(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {name}={value!r}")
    return int(value)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if np.isfinite(f) else str(f)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return obj


def _unjson(value):
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def window_ratio_hook(max_support: int = 256) -> RatioHook:
    """A ``ratio_hook`` giving R of the order-1 window flow that QSGD would solve at each step.

    The window's support is the whole ``support`` when it has at most ``max_support`` weights,
    otherwise its ``max_support`` largest-magnitude weights (the dense Hessian is formed). R follows
    PNAS section 2 for :math:`du/dt = -\\eta (g + H(u - \\bar\\theta))` with
    :math:`u(0) = \\bar\\theta` (``inf`` when the Hessian on the window has a negative eigenvalue).
    """

    def hook(module, loss_fn, batch, support, lr):
        window = support
        if support.size > max_support:
            window = Support.top_k(module, max_support, within=support)
        coeffs = taylor_coefficients(module, loss_fn, batch, window, order=1)
        info = dissipation(build_problem(coeffs, lr))
        return info.R, {"window_support": window.size, "re_lambda1": info.re_lambda1}

    return hook
