"""Hessian spectra: exact eigenvalues and stochastic Lanczos quadrature (SLQ) densities.

The spectral quantities of arXiv:2303.03428 (Fig. 2-3: the Hessian spectrum after pruning and the
per-mode factors :math:`|1 - \\eta\\lambda|^t`) need the eigenvalues of the Hessian restricted to the
support S of the unpruned weights. Small supports get them exactly (dense ``eigvalsh``); large ones
get the spectral density

.. math::

    \\phi(\\lambda) = \\frac{1}{n} \\sum_{i=1}^{n} \\delta(\\lambda - \\lambda_i)
    \\approx \\frac{1}{n_v} \\sum_{l=1}^{n_v} \\sum_{k=1}^{m} \\tau_k^{(l)}
    \\delta(\\lambda - \\theta_k^{(l)}),

where for each random probe :math:`v_l` the ``m``-step Lanczos tridiagonal matrix
:math:`T^{(l)} = Q \\Theta Q^T` gives Ritz values :math:`\\theta_k^{(l)}` (the Gauss quadrature nodes)
and weights :math:`\\tau_k^{(l)} = Q_{1k}^2` (Golub and Meurant, "Matrices, moments and
quadrature", 1994; Ghorbani, Krishnan and Xiao, ICML 2019). The quadrature is exact for
polynomials of degree up to ``2m - 1``: :math:`\\sum_k \\tau_k \\theta_k^j = v^T H^j v / v^T v`.

Everything below the torch entry point :func:`hessian_spectrum` works on a matrix-vector product
``matvec: R^n -> R^n`` (numpy float64) and a dimension, so it applies to any symmetric operator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import torch
from torch import nn
from tqdm.auto import tqdm

from pennylane_qsgd.core.lanczos import lanczos
from pennylane_qsgd.diagnostics.distributed import ShardedHessian
from pennylane_qsgd.diagnostics.krylov import lanczos_probes, rademacher_probes
from pennylane_qsgd.optim.pruning import masked_parameters
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import hessian_operator, taylor_coefficients

Matvec = Callable[[np.ndarray], np.ndarray]

#: Largest dimension :func:`exact_spectrum` densifies by default (a 4096^2 float64 is 128 MiB).
MAX_EXACT_DIM = 4096


# ---------------------------------------------------------------------------------------------
# Exact spectra
# ---------------------------------------------------------------------------------------------


def exact_spectrum(
    matvec_or_matrix: Matvec | np.ndarray | sp.sparray | sp.spmatrix | torch.Tensor,
    dim: int | None = None,
    max_dim: int = MAX_EXACT_DIM,
    symmetry_tol: float = 1e-6,
) -> np.ndarray:
    """All eigenvalues of a symmetric operator, by a dense ``eigvalsh``.

    Parameters
    ----------
    matvec_or_matrix : callable or matrix
        A symmetric ``(n, n)`` matrix (numpy, scipy sparse or torch), or a matrix-vector product
        ``v (n,) -> A v (n,)`` applied to the ``n`` unit vectors to form the matrix.
    dim : int, optional
        ``n``; required for a callable, checked against the shape of a matrix.
    max_dim : int
        Refuse ``n > max_dim`` (a dense ``n x n`` matrix and an ``O(n^3)`` solve); use
        :func:`slq_density` for larger operators.
    symmetry_tol : float
        Largest relative asymmetry ``max|A - A^T| / max|A|`` accepted. The matrix is
        symmetrised, ``(A + A^T)/2``, before ``eigvalsh`` (matvecs in float32 are symmetric only
        to rounding).

    Returns
    -------
    numpy.ndarray, shape (n,)
        Eigenvalues in ascending order.
    """
    if callable(matvec_or_matrix) and not isinstance(matvec_or_matrix, torch.Tensor):
        n = _check_dim(dim, max_dim)
        eye = np.eye(n)
        dense = np.stack([_apply(matvec_or_matrix, eye[i], n) for i in range(n)], axis=1)
    else:
        dense = _as_dense(matvec_or_matrix)
        if dense.ndim != 2 or dense.shape[0] != dense.shape[1]:
            raise ValueError(f"matvec_or_matrix must be square; got shape {dense.shape}")
        if dim is not None and dim != dense.shape[0]:
            raise ValueError(f"dim={dim} does not match the matrix shape {dense.shape}")
        _check_dim(dense.shape[0], max_dim)
    if not np.all(np.isfinite(dense)):
        raise ValueError("the operator has NaN or Inf entries")
    scale = max(float(np.abs(dense).max(initial=0.0)), np.finfo(float).tiny)
    asym = float(np.abs(dense - dense.T).max(initial=0.0)) / scale
    if asym > symmetry_tol:
        raise ValueError(
            f"the operator is not symmetric: relative asymmetry {asym:.3g} > "
            f"symmetry_tol={symmetry_tol}"
        )
    return np.linalg.eigvalsh(0.5 * (dense + dense.T))


def _as_dense(matrix) -> np.ndarray:
    if sp.issparse(matrix):
        return matrix.toarray().astype(np.float64)
    if isinstance(matrix, torch.Tensor):
        return matrix.detach().cpu().to(torch.float64).numpy()
    return np.asarray(matrix, dtype=np.float64)


def _check_dim(dim: int | None, max_dim: int) -> int:
    if dim is None or isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim must be a positive integer; got dim={dim!r}")
    if dim > max_dim:
        raise ValueError(
            f"dim={dim} is too large for a dense eigendecomposition (max_dim={max_dim}); "
            "use method='slq' (slq_density) or raise max_dim"
        )
    return int(dim)


def _apply(matvec: Matvec, v: np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(matvec(v), dtype=np.float64).reshape(-1)
    if w.shape != (n,):
        raise ValueError(f"matvec returned shape {w.shape}; expected ({n},)")
    return w


# ---------------------------------------------------------------------------------------------
# Lanczos and SLQ
# ---------------------------------------------------------------------------------------------


def gauss_quadrature(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the Gauss quadrature of a Lanczos tridiagonal matrix.

    Returns
    -------
    nodes : numpy.ndarray, shape (k,)
        Ritz values (eigenvalues of :math:`T_k`), ascending.
    weights : numpy.ndarray, shape (k,)
        Squared first components of the eigenvectors of :math:`T_k`; they sum to 1.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    if alpha.ndim != 1 or alpha.size == 0 or beta.shape != (alpha.size - 1,):
        raise ValueError(
            f"alpha (k,) and beta (k-1,) expected; got shapes {alpha.shape} and {beta.shape}"
        )
    if alpha.size == 1:
        return alpha.copy(), np.ones(1)
    nodes, vecs = sla.eigh_tridiagonal(alpha, beta)
    return nodes, vecs[0] ** 2


@dataclass(frozen=True)
class SpectralDensity:
    """A discrete spectral density :math:`\\sum_i w_i \\delta(\\lambda - \\theta_i)`, weights summing to 1.

    Either the exact spectrum (``nodes`` the ``n`` eigenvalues, weights ``1/n``) or an SLQ estimate
    (all probes' Ritz values, each probe's quadrature weights divided by the number of probes).

    Attributes
    ----------
    nodes : numpy.ndarray, shape (K,)
    weights : numpy.ndarray, shape (K,)
    dim : int
        Dimension ``n`` of the operator.
    method : str
        ``"exact"`` or ``"slq"``.
    probe_sizes : tuple of int
        Number of nodes contributed by each probe (``(n,)`` for exact).
    """

    nodes: np.ndarray
    weights: np.ndarray
    dim: int
    method: str = "slq"
    probe_sizes: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        nodes = np.asarray(self.nodes, dtype=np.float64).reshape(-1)
        weights = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        if nodes.shape != weights.shape or nodes.size == 0:
            raise ValueError(
                f"nodes and weights must be non-empty and of one shape; got {nodes.shape} "
                f"and {weights.shape}"
            )
        if not (np.all(np.isfinite(nodes)) and np.all(np.isfinite(weights))):
            raise ValueError("nodes and weights must be finite")
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "weights", weights)
        if not self.probe_sizes:
            object.__setattr__(self, "probe_sizes", (nodes.size,))

    @classmethod
    def from_eigenvalues(cls, eigenvalues: np.ndarray) -> SpectralDensity:
        """The exact density of ``n`` eigenvalues (each of weight ``1/n``)."""
        eig = np.sort(np.asarray(eigenvalues, dtype=np.float64).reshape(-1))
        return cls(eig, np.full(eig.size, 1.0 / max(eig.size, 1)), eig.size, "exact")

    @property
    def is_exact(self) -> bool:
        return self.method == "exact"

    @property
    def eigenvalues(self) -> np.ndarray:
        """The eigenvalues of an exact density (``ValueError`` for an SLQ estimate)."""
        if not self.is_exact:
            raise ValueError("an SLQ density has Ritz values, not the eigenvalues")
        return self.nodes

    @property
    def extremes(self) -> tuple[float, float]:
        """``(lambda_min, lambda_max)`` estimates: the outermost Ritz values over all probes.

        Ritz values lie inside the spectrum and converge to its ends first, so these are inner
        bounds that are sharp after a few tens of Lanczos steps.
        """
        return float(self.nodes.min()), float(self.nodes.max())

    def expect(self, f: Callable[[np.ndarray], np.ndarray]) -> float:
        """:math:`\\int f\\,d\\phi = \\sum_i w_i f(\\theta_i)`, estimating :math:`\\mathrm{tr} f(A)/n`."""
        return float(np.sum(self.weights * np.asarray(f(self.nodes), dtype=np.float64)))

    def moments(self, k: int) -> np.ndarray:
        """Moments :math:`\\int \\lambda^j d\\phi \\approx \\mathrm{tr}(A^j)/n`, ``j = 0..k``.

        Returns
        -------
        numpy.ndarray, shape (k + 1,)
        """
        k = int(k)
        if k < 0:
            raise ValueError(f"k must be non-negative; got k={k}")
        powers = self.nodes[None, :] ** np.arange(k + 1)[:, None]
        return powers @ self.weights

    def density(self, grid: np.ndarray, sigma: float) -> np.ndarray:
        """Gaussian-broadened density :math:`\\sum_i w_i \\mathcal{N}(x; \\theta_i, \\sigma^2)`.

        Parameters
        ----------
        grid : numpy.ndarray, shape (G,)
        sigma : float
            Broadening width (same unit as the eigenvalues), positive.

        Returns
        -------
        numpy.ndarray, shape (G,)
            Integrates to 1 over the real line.
        """
        if not float(sigma) > 0:
            raise ValueError(f"sigma must be positive; got sigma={sigma!r}")
        x = np.asarray(grid, dtype=np.float64)
        z = (x[..., None] - self.nodes) / sigma
        return np.exp(-0.5 * z**2) @ self.weights / (sigma * np.sqrt(2.0 * np.pi))

    def to_dict(self) -> dict:
        """JSON-serialisable form (lists of floats)."""
        return {
            "method": self.method,
            "dim": int(self.dim),
            "nodes": self.nodes.tolist(),
            "weights": self.weights.tolist(),
            "probe_sizes": list(self.probe_sizes),
        }

    @classmethod
    def from_dict(cls, data: dict) -> SpectralDensity:
        """Inverse of :meth:`to_dict`."""
        return cls(
            np.asarray(data["nodes"]),
            np.asarray(data["weights"]),
            int(data["dim"]),
            str(data["method"]),
            tuple(int(s) for s in data.get("probe_sizes", ())),
        )


def slq_density(
    matvec: Matvec,
    dim: int,
    steps: int = 64,
    probes: int = 8,
    seed: int = 0,
    reorthogonalize: bool = True,
    basis_dtype: type | np.dtype = np.float64,
    progress: Callable[[int], None] | None = None,
) -> SpectralDensity:
    """Stochastic Lanczos quadrature estimate of the spectral density of a symmetric operator.

    Each of ``probes`` Rademacher vectors starts an ``steps``-step
    :func:`~pennylane_qsgd.core.lanczos.lanczos`; its Gauss quadrature (Ritz values, squared
    first eigenvector components) is a density whose moments up to ``2 steps - 1`` equal
    :math:`v^T A^j v / n`, and averaging over probes estimates
    :math:`\\mathrm{tr}(A^j)/n` (Hutchinson). See the module docstring for references.

    Parameters
    ----------
    matvec : callable
        ``v (dim,) -> A v (dim,)``, symmetric ``A``.
    dim : int
    steps : int
        Lanczos steps per probe (clipped to ``dim``).
    probes : int
        Number of random probes.
    seed : int
        Seed of the probes (probe ``l`` uses ``seed`` and ``l``).
    reorthogonalize, basis_dtype
        Passed to :func:`~pennylane_qsgd.core.lanczos.lanczos`.
    progress : callable, optional
        Called with the probe index after each probe.

    Returns
    -------
    SpectralDensity
        ``probes * steps`` nodes (fewer if a Krylov space became invariant).
    """
    n = _positive(dim, "dim")
    n_probes = _positive(probes, "probes")
    runs = []
    for p, v0 in enumerate(rademacher_probes(n, n_probes, seed)):
        runs.append(lanczos(matvec, n, steps, v0, reorthogonalize, basis_dtype=basis_dtype))
        if progress is not None:
            progress(p)
    return density_from_lanczos(runs, n)


def density_from_lanczos(runs: list[tuple[np.ndarray, np.ndarray]], dim: int) -> SpectralDensity:
    """The SLQ density of Lanczos runs ``[(alpha, beta), ...]`` (one per probe, equal weight).

    Parameters
    ----------
    runs : list of (numpy.ndarray (k,), numpy.ndarray (k - 1,))
        Tridiagonal coefficients of each probe's run.
    dim : int
        Dimension of the operator.
    """
    if not runs:
        raise ValueError("runs is empty: at least one Lanczos run is needed")
    nodes, weights, sizes = [], [], []
    for alpha, beta in runs:
        theta, tau = gauss_quadrature(alpha, beta)
        nodes.append(theta)
        weights.append(tau / len(runs))
        sizes.append(theta.size)
    return SpectralDensity(np.concatenate(nodes), np.concatenate(weights), dim, "slq", tuple(sizes))


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {name}={value!r}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Hessians of torch models
# ---------------------------------------------------------------------------------------------


def hessian_matvec(
    module: nn.Module, loss_fn: Callable, batch, support: Support, mode: str = "auto"
) -> Matvec:
    """The Hessian of the loss on ``support`` as a numpy matvec ``R^s -> R^s``.

    The ``matvec`` of :func:`pennylane_qsgd.optim.taylor.hessian_operator` (float64 on this
    side, evaluated in the parameters' dtype). ``mode`` picks forward-over-reverse
    (``"forward"``), double backward (``"reverse"``) or the first that works (``"auto"``).
    """
    return hessian_operator(module, loss_fn, batch, support, mode=mode).matvec


def default_support(module: nn.Module) -> Support:
    """The unpruned weights of a pruned module (``Support.from_masks``), else every weight."""
    return Support.from_masks(module) if masked_parameters(module) else Support.all(module)


def hessian_spectrum(
    module: nn.Module,
    loss_fn: Callable,
    batch,
    support: Support | None = None,
    method: str = "exact",
    *,
    steps: int = 64,
    probes: int = 8,
    seed: int = 0,
    max_exact_dim: int = MAX_EXACT_DIM,
    exact_chunk: int = 512,
    hvp_mode: str = "auto",
    forward_dtype: torch.dtype | None = None,
    basis_dtype: torch.dtype | None = None,
    progress: bool = False,
    checkpoint: str | Path | None = None,
    checkpoint_seconds: float = 60.0,
    checkpoint_tag: str = "",
) -> SpectralDensity:
    """Spectrum of the Hessian of the loss restricted to a support of the model's weights.

    Parameters
    ----------
    module : torch.nn.Module
        The model (pruned or not), on any device. Its mode (train/eval) is used as is; batch
        norm in training mode normalises with the batch's statistics (see
        :mod:`pennylane_qsgd.diagnostics.distributed` for why the jobs measure in eval mode).
    loss_fn : callable
        ``loss_fn(module(x), y) -> scalar``, as in :func:`pennylane_qsgd.optim.taylor.support_loss`.
    batch : tuple
        ``(x, y)`` on the module's device.
    support : Support, optional
        Default :func:`default_support`: the unpruned weights when the module carries pruning
        masks, every trainable weight otherwise.
    method : {"exact", "slq"}
        ``"exact"``: dense Hessian from ``s`` Hessian-vector products
        (:func:`~pennylane_qsgd.optim.taylor.taylor_coefficients` at order 1) and ``eigvalsh``
        (refused above ``max_exact_dim``). ``"slq"``: the probes of :func:`slq_density` with
        ``steps`` Lanczos steps each, run on the module's device by
        :func:`~pennylane_qsgd.diagnostics.krylov.lanczos_probes` with the data-parallel
        products of :class:`~pennylane_qsgd.diagnostics.distributed.ShardedHessian` (the batch
        split over the ranks when a ``torch.distributed`` group is initialised).
    steps, probes, seed
        SLQ options.
    max_exact_dim : int
        Largest support for ``"exact"``.
    exact_chunk : int
        Hessian columns computed together by ``vmap`` for ``"exact"`` (memory ~ that many
        forward passes).
    hvp_mode : {"auto", "forward", "reverse"}
        Differentiation scheme of the Hessian-vector products
        (:class:`~pennylane_qsgd.optim.taylor.HessianVectorProduct`).
    forward_dtype : {None, torch.bfloat16, torch.float16}
        Mixed-precision forward pass of the SLQ products (``"exact"`` refuses it); see
        :mod:`pennylane_qsgd.diagnostics.mixed_precision` for the check that should come first.
    basis_dtype : torch.dtype, optional
        Lanczos basis storage; default float64 up to 10^6 weights, float32 above.
    progress : bool
        A progress bar per SLQ probe.
    checkpoint, checkpoint_seconds, checkpoint_tag
        Resumable SLQ state (:func:`~pennylane_qsgd.diagnostics.krylov.lanczos_probes`).

    Returns
    -------
    SpectralDensity
        ``method == "exact"``: the ``s`` eigenvalues with weights ``1/s``.
    """
    if method not in ("exact", "slq"):
        raise ValueError(f"method must be 'exact' or 'slq'; got method={method!r}")
    if support is None:
        support = default_support(module)
    dim = support.size
    if method == "exact":
        if forward_dtype is not None:
            raise ValueError(
                f"forward_dtype={forward_dtype} applies to method='slq' only; the exact spectrum "
                "is computed in the module's precision"
            )
        _check_dim(dim, max_exact_dim)
        # the dense Hessian column block by column block (vmap over Hessian-vector products)
        coeffs = taylor_coefficients(
            module,
            loss_fn,
            batch,
            support,
            order=1,
            chunk_size=min(dim, exact_chunk),
            mode=hvp_mode,
        )
        return SpectralDensity.from_eigenvalues(exact_spectrum(coeffs.H, dim, max_dim=dim))
    op = ShardedHessian(module, loss_fn, batch, support, hvp_mode, forward_dtype)
    if basis_dtype is None:
        basis_dtype = torch.float64 if dim <= 1_000_000 else torch.float32
    runs = lanczos_probes(
        op,
        dim,
        steps,
        probes,
        seed,
        device=op.device,
        basis_dtype=basis_dtype,
        checkpoint=checkpoint,
        checkpoint_seconds=checkpoint_seconds,
        progress=progress,
        tag=checkpoint_tag,
    )
    return density_from_lanczos(runs, dim)


def per_layer_spectra(
    module: nn.Module,
    loss_fn: Callable,
    batch,
    support: Support | None = None,
    *,
    steps: int = 32,
    seed: int = 0,
    hvp_mode: str = "auto",
    progress: bool = False,
) -> dict[str, SpectralDensity]:
    """Spectra of the per-layer diagonal blocks of the Hessian on the support.

    For each parameter tensor ``l`` of the support, the block :math:`H_{ll}` (the Hessian of
    the loss in that tensor's selected weights, the others held fixed) gets one Lanczos run of
    ``steps`` steps (:func:`~pennylane_qsgd.diagnostics.krylov.lanczos_probes`, one probe):
    its Ritz values, whose outermost ones estimate the block's extreme eigenvalues (exact when
    ``steps`` reaches the block's size). Each product costs a full Hessian-vector product, so
    the whole costs ``steps`` products per layer.

    Parameters
    ----------
    module, loss_fn, batch, support, hvp_mode
        As in :func:`hessian_spectrum` (data-parallel under ``torch.distributed`` as well).
    steps : int
        Lanczos steps per layer (clipped to the layer's support size).
    seed : int
        Seed of the probes.
    progress : bool
        A progress bar over the layers.

    Returns
    -------
    dict of str to SpectralDensity
        Keyed by parameter name (``"stages.0.0.conv1.weight_orig"``), in the support's order.
    """
    if support is None:
        support = default_support(module)
    out = {}
    entries = support.entries
    for name, idx in tqdm(entries, desc="per-layer spectra", disable=not progress, leave=False):
        layer = Support([(name, idx)])
        op = ShardedHessian(module, loss_fn, batch, layer, hvp_mode)
        runs = lanczos_probes(op, layer.size, steps, 1, seed, device=op.device)
        out[name] = density_from_lanczos(runs, layer.size)
    return out
