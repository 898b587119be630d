"""One window by two routes: Euler + QSVT inversion (cost ~ T^2) against LCHS (cost ~ T).

Both routes see the same :class:`~pennylane_qsgd.diagnostics.window_assumptions.WindowAssumptions` and the
same ``eps``. The Euler route is :func:`~pennylane_qsgd.diagnostics.resources.estimate_window`
unchanged. The LCHS route (:func:`lchs_window`) models, under the same assumptions:

* the generator: the level-``N`` Carleman matrix :math:`A`, block-encoded by the same structured
  LCU of :math:`F_0, F_1, F_2` terms as the Euler route, subnormalisation
  :math:`\\alpha_A = n_1\\|F_1\\| + n_2\\|F_2\\| + n_0\\|F_0\\|`
  (:func:`~pennylane_qsgd.diagnostics.resources.lcu_subnormalisation` without the identity);
  its Hermitian part is assumed :math:`\\preceq -\\delta` (the counterpart of the Euler model's
  :math:`\\|I + hA\\| \\le 1`), with :math:`\\delta = \\|F_2\\|\\|u_{\\rm in}\\| + \\|F_0\\|/\\|u_{\\rm in}\\|`
  by default, the least :math:`|\\mathrm{Re}\\,\\lambda_1|` compatible with the assumed ``R < 1``;
* :math:`\\alpha_L = \\alpha_H = \\alpha_A`; each call of the select Hamiltonian's encoding is an LCU of
  one :math:`U_A` and one :math:`U_A^\\dagger` (:math:`kL_A + H_A = -\\tfrac{k - i}{2}A -
  \\tfrac{k + i}{2}A^\\dagger`): two calls of the Carleman encoding;
* queries and amplification from :func:`~pennylane_qsgd.core.lchs_cost.lchs_cost` with the window's
  :math:`q`, forcing :math:`\\|F_0\\|/\\|u_{\\rm in}\\|` and decay :math:`\\delta`;
* T-count: calls times the T-count of one Carleman encoding call (the Euler route's
  ``CarlemanEulerEncoding`` with a one-qubit time register, QRAM gates counted), plus two
  Möttönen preparations of the node register per LCU application at
  :math:`2^{n_k+1}` rotations of :data:`T_PER_ROTATION` T gates each.

Both LCHS kernels are costed (:mod:`~pennylane_qsgd.core.lchs_kernels`): An–Childs–Lin's
(cut-off :math:`K = O((\\log 1/\\epsilon)^{1/\\beta})`) and Low–Somma's (:math:`K =
O(\\log 1/\\epsilon)`, 1-norm about :math:`e^c`), side by side in :func:`compare_routes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.core.lchs_cost import LCHSCost, lchs_cost
from pennylane_qsgd.core.lchs_kernels import DEFAULT_BETA
from pennylane_qsgd.diagnostics.estimator_counting import gate_counts
from pennylane_qsgd.diagnostics.estimator_ops import CarlemanEulerEncoding
from pennylane_qsgd.diagnostics.resources import (
    DEFAULT_STEPS,
    crossover,
    estimate_window,
    lcu_subnormalisation,
    loglog_slope,
)
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions, WindowEstimate

T_PER_ROTATION = 50
"""T gates per synthesised single-qubit rotation (about :math:`3\\log_2(1/\\epsilon)` at 1e-7)."""


@dataclass(frozen=True)
class LCHSWindowEstimate:
    """LCHS resources of one window (:func:`lchs_window`).

    Attributes
    ----------
    T : int
    alpha_A : float
        Subnormalisation of the Carleman encoding.
    decay : float
        :math:`\\delta` used.
    cost : LCHSCost
        Grid, degree, amplitude, rounds.
    block_encoding_calls : int
        Calls of the Carleman encoding: ``2 * cost.queries``.
    t_count : int
    """

    T: int
    alpha_A: float
    decay: float
    cost: LCHSCost
    block_encoding_calls: int
    t_count: int


def _encoding_t_count(a: WindowAssumptions) -> int:
    rep = CarlemanEulerEncoding.resource_rep(
        size=a.support,
        level=a.level,
        steps=1,  # one Euler slot and no idle block: a one-qubit time register
        idle=0,
        forcing_pieces=1,
        f_model="qram",
        row_sparsity=a.row_sparsity,
        value_bits=a.value_bits,
    )
    return int(gate_counts(rep).get("T", 0))


def lchs_window(
    a: WindowAssumptions,
    T: int,
    decay: float | None = None,
    beta: float = DEFAULT_BETA,
    encoding_t_count: int | None = None,
    kernel: str = "acl",
) -> LCHSWindowEstimate:
    """LCHS resources of a window of ``T`` steps under ``a`` (module docstring).

    Parameters
    ----------
    a : WindowAssumptions
    T : int
        Window length, ``>= 1``.
    decay : float, optional
        :math:`\\delta`; default :math:`\\|F_2\\|\\|u_{\\rm in}\\| + \\|F_0\\|/\\|u_{\\rm in}\\|`.
    beta : float
        LCHS kernel exponent.
    encoding_t_count : int, optional
        T-count of one Carleman encoding call (computed when omitted; pass it to reuse).
    kernel : {"acl", "low-somma"}
        The LCHS kernel.
    """
    if isinstance(T, bool) or int(T) != T or T < 1:
        raise ValueError(f"T must be a positive integer; got {T!r}")
    alpha_A = lcu_subnormalisation(1.0, a.level, 1, a.f1_norm, a.f2_norm, a.f0_norm) - 2.0
    if decay is None:
        decay = a.f2_norm * a.u_norm + a.f0_norm / a.u_norm
    cost = lchs_cost(
        float(T),
        a.eps,
        alpha_A,
        alpha_A,
        q=a.q,
        beta=beta,
        forcing=a.f0_norm / a.u_norm,
        decay=decay,
        kernel=kernel,
    )
    per_call = _encoding_t_count(a) if encoding_t_count is None else int(encoding_t_count)
    calls = 2 * cost.queries
    node_qubits = max(1, math.ceil(math.log2(cost.nodes)))
    preps = 2 * (2 * cost.rounds + 1)
    t_count = calls * per_call + preps * 2 ** (node_qubits + 1) * T_PER_ROTATION
    return LCHSWindowEstimate(int(T), alpha_A, float(decay), cost, calls, int(t_count))


@dataclass(frozen=True)
class RouteRow:
    """Both routes at one ``T``: block-encoding calls and T-counts (LCHS with ACL's kernel, and
    with Low–Somma's in ``ls_*``)."""

    T: int
    euler_calls: int
    euler_t_count: int
    lchs_calls: int
    lchs_t_count: int
    ls_calls: int = 0
    ls_t_count: int = 0


def compare_routes(
    a: WindowAssumptions,
    steps: tuple[int, ...] = DEFAULT_STEPS,
    beta: float = DEFAULT_BETA,
    *,
    euler_rows: list[WindowEstimate] | None = None,
) -> list[RouteRow]:
    """One :class:`RouteRow` per window length in ``steps`` (increasing).

    ``euler_rows``, the :func:`~pennylane_qsgd.diagnostics.resources.estimate_window` rows of
    ``a`` at ``steps`` when they are already at hand (``qsgd resources``' table), are used
    instead of being estimated again.
    """
    if euler_rows is None:
        euler_rows = [estimate_window(a, T) for T in steps]
    elif [r.T for r in euler_rows] != [int(T) for T in steps]:
        raise ValueError(
            f"euler_rows must be the rows at steps={tuple(steps)}; got T = "
            f"{tuple(r.T for r in euler_rows)}"
        )
    per_call = _encoding_t_count(a)
    rows = []
    for T, euler in zip(steps, euler_rows, strict=True):
        lchs = lchs_window(a, T, beta=beta, encoding_t_count=per_call)
        ls = lchs_window(a, T, encoding_t_count=per_call, kernel="low-somma")
        rows.append(
            RouteRow(
                T,
                euler.block_encoding_calls,
                euler.t_count,
                lchs.block_encoding_calls,
                lchs.t_count,
                ls.block_encoding_calls,
                ls.t_count,
            )
        )
    return rows


@dataclass(frozen=True)
class RouteSlopes:
    """Log-log slopes against ``T`` over the rows' last decade, and where the routes cross.

    Attributes
    ----------
    euler_calls, euler_t_count, lchs_calls, lchs_t_count, ls_calls, ls_t_count : float
    crossover_calls, crossover_t_count : float or None
        ``T`` in the rows' range above which Euler costs more than LCHS (``None`` if they do not
        cross there, e.g. because Euler already costs more at the first row).
    fitted_crossover_calls, fitted_crossover_t_count : float or None
        Where the power laws fitted over all rows cross (``None`` for parallel fits): the
        crossover when it lies outside the rows' range.
    """

    euler_calls: float
    euler_t_count: float
    lchs_calls: float
    lchs_t_count: float
    ls_calls: float
    ls_t_count: float
    crossover_calls: float | None
    crossover_t_count: float | None
    fitted_crossover_calls: float | None
    fitted_crossover_t_count: float | None


def _fitted_crossover(rows: list[RouteRow], key: str, other: str) -> float | None:
    x = np.log([r.T for r in rows])
    s1, b1 = np.polyfit(x, np.log([float(getattr(r, key)) for r in rows]), 1)
    s2, b2 = np.polyfit(x, np.log([float(getattr(r, other)) for r in rows]), 1)
    if abs(s1 - s2) < 1e-9:
        return None
    return float(np.exp((b2 - b1) / (s1 - s2)))


def route_slopes(rows: list[RouteRow]) -> RouteSlopes:
    """Slopes over the rows with ``T >= T_max / 10`` (the asymptotic regime) and crossovers."""
    if len(rows) < 2:
        raise ValueError(f"rows must hold at least two window lengths; got {len(rows)}")
    top = rows[-1].T
    tail = [r for r in rows if r.T >= top / 10] or rows
    if len(tail) < 2:
        tail = rows[-2:]
    Ts = [r.T for r in tail]

    def slope(key: str) -> float:
        return loglog_slope(Ts, [getattr(r, key) for r in tail])

    return RouteSlopes(
        euler_calls=slope("euler_calls"),
        euler_t_count=slope("euler_t_count"),
        lchs_calls=slope("lchs_calls"),
        lchs_t_count=slope("lchs_t_count"),
        ls_calls=slope("ls_calls"),
        ls_t_count=slope("ls_t_count"),
        crossover_calls=crossover(rows, "euler_calls", "lchs_calls"),
        crossover_t_count=crossover(rows, "euler_t_count", "lchs_t_count"),
        fitted_crossover_calls=_fitted_crossover(rows, "euler_calls", "lchs_calls"),
        fitted_crossover_t_count=_fitted_crossover(rows, "euler_t_count", "lchs_t_count"),
    )


def format_routes(rows: list[RouteRow]) -> str:
    """Fixed-width table of both routes, then the slopes and crossovers."""
    head = (
        "T",
        "Euler BE calls",
        "Euler T-count",
        "LCHS BE calls",
        "LCHS T-count",
        "LS BE calls",
        "LS T-count",
    )
    cells = [head] + [
        (
            str(r.T),
            f"{r.euler_calls:.3g}",
            f"{r.euler_t_count:.3g}",
            f"{r.lchs_calls:.3g}",
            f"{r.lchs_t_count:.3g}",
            f"{r.ls_calls:.3g}",
            f"{r.ls_t_count:.3g}",
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    s = route_slopes(rows)

    def cross(x: float | None) -> str:
        return "none in range" if x is None else f"{x:.3g}"

    lines += [
        f"slope vs T (last decade): Euler calls {s.euler_calls:.2f}, T-count "
        f"{s.euler_t_count:.2f}; LCHS calls {s.lchs_calls:.2f}, T-count {s.lchs_t_count:.2f}; "
        f"LCHS (Low-Somma kernel) calls {s.ls_calls:.2f}, T-count {s.ls_t_count:.2f}",
        f"crossover T (Euler above LCHS): calls {cross(s.crossover_calls)}, T-count "
        f"{cross(s.crossover_t_count)}; fitted power laws cross at calls "
        f"{cross(s.fitted_crossover_calls)}, T-count {cross(s.fitted_crossover_t_count)}",
    ]
    return "\n".join(lines)


__all__ = [
    "LCHSWindowEstimate",
    "RouteRow",
    "RouteSlopes",
    "compare_routes",
    "format_routes",
    "lchs_window",
    "route_slopes",
]
