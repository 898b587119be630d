"""Figures of the dissipation measures over fine-tuning, in the style of arXiv:2303.03428 Figs. 2-3.

Figures are drawn on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global
backend change), saved as PNG, and take the records of
:func:`~pennylane_qsgd.diagnostics.dissipation.track_dissipation` either as
:class:`~pennylane_qsgd.diagnostics.dissipation.DissipationRecord` objects or as their JSON
dictionaries.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pennylane_qsgd.diagnostics.checkpoint import atomic_write_bytes
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
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return atomic_write_bytes(path, buf.getvalue())


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


def plot_dissipative_divergent(records: Sequence[RecordLike], path: str | Path) -> Path:
    """Dissipative and divergent parts of :math:`\\frac1n\\sum|1-\\eta\\lambda|^t` against t."""
    _check(records)
    t = _series(records, "step") + 1
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    ax.semilogy(t, _series(records, "dissipative"), "o-", ms=3, label=r"$|1-\eta\lambda|<1$")
    ax.semilogy(t, _series(records, "divergent"), "s-", ms=3, label=r"$|1-\eta\lambda|>1$")
    ax.set_xlabel("t (steps after pruning)")
    ax.set_ylabel(r"$\frac{1}{n}\sum |1-\eta\lambda_i|^t$ over the modes")
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_per_layer_extremes(records: Sequence[RecordLike], path: str | Path) -> Path:
    """Per-layer extreme eigenvalues (``extra["per_layer"]``) at the first and last measured step.

    Raises
    ------
    ValueError
        If no record carries per-layer spectra.
    """
    _check(records)
    with_layers = [r for r in records if _get(r, "extra").get("per_layer")]
    if not with_layers:
        raise ValueError("no record has per-layer spectra (per_layer_steps was 0)")
    fig = Figure(figsize=(7.2, 4.0))
    ax = fig.add_subplot()
    for rec, marker in ((with_layers[0], "o"), (with_layers[-1], "x")):
        layers = _get(rec, "extra")["per_layer"]
        ext = np.asarray(list(layers.values()), dtype=np.float64)
        idx = np.arange(len(ext))
        step = int(_get(rec, "step"))
        ax.plot(idx, ext[:, 1], marker, ms=4, label=f"max, step {step}")
        ax.plot(idx, ext[:, 0], marker, ms=4, mfc="none", label=f"min, step {step}")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("layer (order of the support)")
    ax.set_ylabel("extreme eigenvalues of the layer's Hessian block")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return _save(fig, path)


def plot_all(records: Sequence[RecordLike], output_dir: str | Path) -> dict[str, Path]:
    """The figures in ``output_dir``: ``density.png``, ``factor.png``, ``negative.png``,
    ``modes.png`` and, when the records have per-layer spectra, ``layers.png``."""
    out = Path(output_dir)
    paths = {
        "density": plot_density_vs_step(records, out / "density.png"),
        "factor": plot_per_mode_factor(records, out / "factor.png"),
        "negative": plot_negative_fraction(records, out / "negative.png"),
        "modes": plot_dissipative_divergent(records, out / "modes.png"),
    }
    if any(_get(r, "extra").get("per_layer") for r in records):
        paths["layers"] = plot_per_layer_extremes(records, out / "layers.png")
    return paths
