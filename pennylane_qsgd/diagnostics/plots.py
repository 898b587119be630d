"""Figures of the dissipation measures over fine-tuning, in the style of arXiv:2303.03428 Figs. 2-3.

Figures are drawn on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global
backend change), saved as PNG, and take the records of
:func:`~pennylane_qsgd.diagnostics.dissipation.track_dissipation` either as
:class:`~pennylane_qsgd.diagnostics.dissipation.DissipationRecord` objects or as their JSON
dictionaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pennylane_qsgd.diagnostics.dissipation import DissipationRecord
from pennylane_qsgd.diagnostics.spectra import SpectralDensity

RecordLike = DissipationRecord | dict


def _get(record: RecordLike, key: str):
    value = record[key] if isinstance(record, dict) else getattr(record, key)
    return float(value) if isinstance(value, str) and value in ("inf", "-inf", "nan") else value


def _series(records: Sequence[RecordLike], key: str) -> np.ndarray:
    return np.asarray([_get(r, key) for r in records], dtype=np.float64)


def _check(records: Sequence[RecordLike]) -> None:
    if len(records) == 0:
        raise ValueError("records is empty: nothing to plot")


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120)
    return path


def density_grid(
    records: Sequence[RecordLike], grid: np.ndarray | None = None, sigma: float | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Broadened densities of every record on a common grid.

    Parameters
    ----------
    records : sequence of records
    grid : numpy.ndarray, shape (G,), optional
        Default: 400 points spanning all nodes with a margin of ``5 sigma``.
    sigma : float, optional
        Broadening; default 1% of the overall spectral range (at least ``1e-6``).

    Returns
    -------
    grid : numpy.ndarray, shape (G,)
    densities : numpy.ndarray, shape (len(records), G)
    sigma : float
    """
    _check(records)
    densities = [SpectralDensity.from_dict(_get(r, "spectrum")) for r in records]
    lo = min(d.extremes[0] for d in densities)
    hi = max(d.extremes[1] for d in densities)
    if sigma is None:
        sigma = max(0.01 * (hi - lo), 1e-6)
    if grid is None:
        grid = np.linspace(lo - 5 * sigma, hi + 5 * sigma, 400)
    return grid, np.stack([d.density(grid, sigma) for d in densities]), float(sigma)


def plot_density_vs_step(
    records: Sequence[RecordLike],
    path: str | Path,
    grid: np.ndarray | None = None,
    sigma: float | None = None,
) -> Path:
    """Heatmap of the (log) Hessian spectral density against the step after pruning.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    grid, dens, sigma = density_grid(records, grid, sigma)
    steps = _series(records, "step")
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    floor = max(dens.max() * 1e-6, 1e-300)
    half = 0.5 * (steps[1] - steps[0]) if steps.size > 1 else 0.5
    image = ax.imshow(
        np.log10(np.maximum(dens.T, floor)),
        origin="lower",
        aspect="auto",
        extent=(steps[0] - half, steps[-1] + half, grid[0], grid[-1]),
        cmap="viridis",
    )
    fig.colorbar(image, ax=ax, label="log10 density")
    ax.axhline(0.0, color="w", lw=0.6, ls="--")
    ax.set_xlabel("step after pruning")
    ax.set_ylabel("Hessian eigenvalue")
    method = _get(records[0], "method")
    ax.set_title(f"Hessian spectrum on the support ({method}, sigma={sigma:.2g})")
    fig.tight_layout()
    return _save(fig, path)


def plot_per_mode_factor(records: Sequence[RecordLike], path: str | Path) -> Path:
    """Mean per-mode factor :math:`\\frac1n\\sum|1-\\eta\\lambda|^t` against the step, line at 1."""
    _check(records)
    steps = _series(records, "step")
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    ax.plot(
        steps + 1,
        _series(records, "per_mode_factor"),
        "o-",
        ms=3,
        label=r"$\frac{1}{n}\sum_i |1-\eta\lambda_i|^t$",
    )
    ax.plot(
        steps + 1,
        _series(records, "factor_one_step"),
        "s--",
        ms=3,
        label=r"$\frac{1}{n}\sum_i |1-\eta\lambda_i|$",
    )
    ax.axhline(1.0, color="k", lw=1.0)
    ax.set_xlabel("t (steps after pruning)")
    ax.set_ylabel("mean per-mode factor")
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_negative_fraction(records: Sequence[RecordLike], path: str | Path) -> Path:
    """Fraction of negative Hessian eigenvalues against the step."""
    _check(records)
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    ax.plot(_series(records, "step"), _series(records, "negative_fraction"), "o-", ms=3)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("step after pruning")
    ax.set_ylabel("fraction of negative eigenvalues")
    fig.tight_layout()
    return _save(fig, path)


def plot_all(records: Sequence[RecordLike], output_dir: str | Path) -> dict[str, Path]:
    """The three figures in ``output_dir``: ``density.png``, ``factor.png``, ``negative.png``."""
    out = Path(output_dir)
    return {
        "density": plot_density_vs_step(records, out / "density.png"),
        "factor": plot_per_mode_factor(records, out / "factor.png"),
        "negative": plot_negative_fraction(records, out / "negative.png"),
    }
