"""PNAS Fig. 1 drawn the way ``carleman_burgers.m`` draws it, from :func:`error_curves` results.

Layout of the authors' script: a wide top panel with the initial state, the source shape, the
reference solution and the Carleman solutions of the lowest and highest level at
:math:`T_{\\rm nl}/3`; bottom left the absolute error over time (log scale) per level, with a dotted
line at :math:`T_{\\rm nl}/3`; bottom right its maximum over time against N.
"""

from __future__ import annotations

import numpy as np

from pennylane_qsgd.core.burgers import BurgersSetup
from pennylane_qsgd.core.error_curves import ErrorCurve


def draw_burgers_figure(
    path: str,
    curves: list[ErrorCurve],
    reference: np.ndarray,
    R: float,
    setup: BurgersSetup | None = None,
    gamma: float = 1.0,
) -> None:
    """Draw the figure into ``path`` (any format matplotlib writes).

    Parameters
    ----------
    path : str
    curves : list of ErrorCurve
        One per level, all on the same time grid.
    reference : ndarray, shape (m+1, s)
        The reference :math:`u(t_k)`.
    R : float
        Dissipation ratio for the title.
    setup : BurgersSetup, optional
        The Burgers set-up; without it only the two error panels are drawn.
    gamma : float
        Rescaling of the solved problem (the solution panel shows :math:`u = \\gamma v`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = curves[0].times
    fig = plt.figure(figsize=(11, 8) if setup is not None else (11, 4.5))
    grid = fig.add_gridspec(2 if setup is not None else 1, 2)
    row = 0
    t_plot = None
    if setup is not None:
        t_plot = setup.nonlinear_time / 3
        i_plot = min(int(np.searchsorted(times, t_plot, side="left")), times.size - 1)
        top = fig.add_subplot(grid[0, :])
        fine = np.linspace(-setup.length / 2, setup.length / 2, 100)
        top.plot(fine, setup.initial_state(fine), "k--", label="Initial condition")
        top.plot(fine, setup.profile(fine), "k-.", label="Source shape")
        top.plot(setup.x, gamma * reference[i_plot], "k-o", label=r"ODE solution at $T_{nl}/3$")
        for curve in (curves[0], curves[-1]) if len(curves) > 1 else curves:
            top.plot(
                setup.x,
                gamma * curve.trajectory[i_plot],
                "-*",
                color=f"C{curve.level - 1}",
                label=rf"Carleman solution at $T_{{nl}}/3$, $N={curve.level}$",
            )
        amplitude = np.max(np.abs(setup.initial_state(fine)))
        top.set_ylim(-amplitude, amplitude)
        top.set_xlim(-setup.length / 2, setup.length / 2)
        top.set_xlabel("$x$")
        top.set_ylabel("$u$")
        top.legend(fontsize=9)
        row = 1
    left = fig.add_subplot(grid[row, 0])
    for curve in curves:
        left.semilogy(
            times,
            gamma * curve.error,
            color=f"C{curve.level - 1}",
            label=f"Carleman, $N={curve.level}$",
        )
    if t_plot is not None:
        left.axvline(t_plot, linestyle=":", color="k")
        i_start = int(np.ceil(np.searchsorted(times, t_plot) * 3 / 4))
        low = min(float(np.min(c.error[i_start:])) for c in curves) * gamma * 0.1
        left.set_ylim(max(low, 1e-300), float(np.max(curves[0].error)) * gamma * 10)
        ticks = [t for t in left.get_xticks() if times[0] <= t <= times[-1]]
        left.set_xticks(sorted([*ticks, t_plot]))
        left.set_xticklabels(
            [r"$T_{\mathrm{nl}}/3$" if t == t_plot else f"{t:g}" for t in sorted([*ticks, t_plot])]
        )
    left.set_title("Absolute error")
    left.set_xlabel("$t$")
    left.set_ylabel(r"$\|\varepsilon_{\mathrm{abs}}\|_2$")
    left.legend(fontsize=9)
    right = fig.add_subplot(grid[row, 1])
    right.semilogy(
        [c.level for c in curves],
        [gamma * c.max_error for c in curves],
        "-o",
        label="Time-maximum error",
    )
    right.set_xticks([c.level for c in curves])
    right.set_title("Error convergence")
    right.set_xlabel("$N$")
    right.set_ylabel(r"$\max_t \|\varepsilon_{\mathrm{abs}}\|_2$")
    right.legend(fontsize=9)
    title = f"$n_t={times.size}$, $\\mathrm{{R}}={R:.2f}$"
    if setup is not None:
        # The script's Re uses max u of its PDE solution; here max u of the ODE reference.
        reynolds = float(np.max(gamma * reference)) * setup.length / setup.viscosity
        title = f"Forced VBE solution with $\\mathrm{{Re}}={reynolds:.2f}$, $n_x={setup.points}$, {title}"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
