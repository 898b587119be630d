"""Figure of the window resource tables of :mod:`~pennylane_qsgd.diagnostics.resources`
(T-count, qubits, depth and the classical FLOPs against the window length)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pennylane_qsgd.diagnostics.window_assumptions import WindowEstimate


def plot_resources(tables: dict[str, list[WindowEstimate]], path: str | Path) -> Path:
    """Log-log PNG of the quantum cost of a window against ``T``, one colour per model.

    Left: T-count (QRAM gates counted, solid; QRAM as oracle, dashed) and the classical FLOPs
    of the same window (dotted), with a :math:`T^2` reference line. Right: block-encoding calls
    with its own :math:`T^2` line.

    Parameters
    ----------
    tables : dict[str, list[WindowEstimate]]
        Label -> rows of :func:`estimate_window`, ordered by ``T``.
    path : str or pathlib.Path
        Output PNG.

    Returns
    -------
    pathlib.Path
    """
    if not tables or not all(tables.values()):
        raise ValueError("tables must hold at least one non-empty list of rows")
    fig = Figure(figsize=(11, 5.5))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    colours = ("C0", "C1", "C2", "C3", "C4")
    # Models can share a curve exactly (block-encoding calls do not depend on n): later models are
    # drawn with smaller, hollow markers on top, so every curve stays visible.
    for i, (label, rows) in enumerate(tables.items()):
        c = colours[i % len(colours)]
        marker = dict(marker="o", markersize=max(8 - 3 * i, 3), color=c)
        if i:
            marker["markerfacecolor"] = "none"
        T = np.array([r.T for r in rows], dtype=float)
        left.loglog(T, [r.t_count for r in rows], "-", label=f"{label}: T-count", **marker)
        left.loglog(T, [r.t_count_oracle for r in rows], "--", color=c, label="  oracle QRAM")
        left.loglog(T, [r.classical_flops for r in rows], ":", color=c, label="  classical FLOPs")
        right.loglog(T, [r.block_encoding_calls for r in rows], "-", label=label, **marker)
    for ax, key in ((left, "t_count"), (right, "block_encoding_calls")):
        rows = next(iter(tables.values()))
        T = np.array([r.T for r in rows], dtype=float)
        # The slope reference sits a decade below the first model's curve instead of on it.
        ref = 0.1 * getattr(rows[0], key) * (T / T[0]) ** 2
        ax.loglog(T, ref, color="grey", lw=0.8, ls="-.", label="T^2 (slope reference)")
        ax.set_xlabel("window length T (SGD steps)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    left.set_ylabel("gates / FLOPs per window")
    right.set_ylabel("block-encoding calls per window")
    fig.suptitle("Quantum cost of one window (Euler + QSVT) vs classical SGD")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120)
    return path


__all__ = ["plot_resources"]
