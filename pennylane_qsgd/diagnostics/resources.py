"""Resource estimate of one training window of ``T`` gradient steps, from scalar inputs.

The window (arXiv:2303.03428) runs the Carleman–Euler solver of arXiv:2011.03185 on the gradient
flow of the ``s`` unpruned weights. From a handful of scalars (parameters, sparsity, norms) this
module derives every quantity of the solver template as the template itself would
(:class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver`), and counts gates with the
:mod:`pennylane.estimator` operators of :mod:`.estimator_ops`.

Model (each line is printed by :func:`assumption_lines`)
--------------------------------------------------------
* support :math:`s = \\lceil(1 - \\text{sparsity})\\,n\\rceil` (magnitude pruning keeps a fraction);
* norms: :math:`\\|F_1\\| = \\eta\\lambda_{\\max}`, :math:`\\|F_2\\|`, :math:`\\|F_0\\|` given, after
  rescaling :math:`\\|u_{\\rm in}\\|` < 1; the window is assumed dissipative (``R < 1``) with
  :math:`\\|I + hA\\| \\le 1`; evolution time ``T`` (the flow is in units of gradient steps);
* Euler step (Lemma 2): :math:`h = \\min\\big(\\varepsilon / (3N^{2.5}T(\\|F_2\\|+\\|F_1\\|+
  \\|F_0\\|)^2),\\ 1/(N\\|F_1\\|),\\ T\\big)`, :math:`m = \\lceil T/h\\rceil`, ``p`` the solver's
  default idle steps (:func:`~pennylane_qsgd.circuits.solver_policy.default_idle`);
* structured LCU encoding of :math:`L` with the circuit's subnormalisation :math:`\\lambda = 2 +
  h(1 + 10^{-6})(N\\|F_1\\| + (N-1)\\|F_2\\| + N\\|F_0\\|)`
  (:class:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredEulerEncoding`, its gates
  counted by :func:`~pennylane_qsgd.circuits.structured_gates.gate_counts`);
* condition number of :math:`L/\\lambda` (Lemma 3 with :math:`\\|L\\| \\ge \\sqrt{1 + \\|I+hA\\|^2}
  = \\sqrt 2`): :math:`\\kappa = 3\\lambda(m+p+1)/\\sqrt 2`;
* 1/x polynomial degree: the closed form of ``core.polynomials.inverse_polynomial``,
  :math:`d = 2\\lceil\\operatorname{arccosh}(1/\\varepsilon_{\\rm poly}) /
  (2\\operatorname{artanh}(1/\\kappa))\\rceil - 1` (no polynomial is built);
* the QSVT inversion is taken to return the normalised solution with these ``d`` calls (an optimal
  QLSA; the post-selection of the polynomial's own flag is not amplified separately); the
  success event of Lemma 5, :math:`P \\ge (p+1)/(9(m+p+1)Nq^2)`, is amplified with
  :math:`k = \\lfloor\\pi/(4\\arcsin\\sqrt P)\\rfloor` rounds: ``d (2k+1)`` calls;
* :math:`|B\\rangle`: :math:`N(N+1)/2` copies of :math:`u_{\\rm in}` (for :math:`y_{\\rm in}`) and one of
  :math:`F_0`, each a controlled Kerenidis–Prakash preparation, and controlled Hadamards on the
  time register; the Carleman truncation bound of Lemma 1, :math:`TN\\|F_2\\|\\|u_{\\rm in}\\|^{N+1}`,
  is reported, not enforced;
* :math:`F_1, F_2` by sparse access (``row_sparsity`` nonzeros a row, ``value_bits`` bits) and
  :math:`F_0`, :math:`u_{\\rm in}` by Kerenidis–Prakash trees, all in a bucket-brigade QRAM
  (``qre.BBQRAM`` gate count: every router gate counted);
* T-count: Clifford+T after ``pennylane.estimator``'s decompositions (its rotation synthesis and
  Toffoli); depth: non-QRAM gates in series, each QRAM query :math:`6\\lceil\\log_2 M\\rceil + w`
  layers;
* classical cost: ``T`` SGD steps of the dense ``n``-parameter model,
  :math:`3\\,n\\,\\text{batch}` FLOPs a step (forward plus backward, one multiply-add per weight
  per sample; convolutions reuse weights, so this is a lower bound).
"""

from __future__ import annotations

import math

import numpy as np

from pennylane_qsgd.circuits.amplification import amplification_rounds
from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.circuits.solver_policy import default_idle
from pennylane_qsgd.circuits.structured_plan import structured_layout
from pennylane_qsgd.circuits.structured_weights import subnormalisation
from pennylane_qsgd.core.bounds import success_probability_bound
from pennylane_qsgd.core.polynomials import inverse_polynomial_degree
from pennylane_qsgd.diagnostics.estimator_counting import (
    gate_counts,
    leaf_count,
    qram_wires,
    serial_depth,
)
from pennylane_qsgd.diagnostics.estimator_ops import (
    CLIFFORD_T,
    AmplifiedWindow,
    CarlemanEulerEncoding,
    QSVTInversion,
    structured_registers,
)
from pennylane_qsgd.diagnostics.estimator_state_prep import QRAMQuery, QRAMStatePrep, RHSPrep
from pennylane_qsgd.diagnostics.window_assumptions import (
    WindowAssumptions,
    WindowEstimate,
    check_positive,
)

PAPER_MODELS = {"ResNet-32 (k=4)": 7_450_000, "ResNet-422 (k=4)": 103_300_000}
"""Parameter counts of the paper's two CIFAR ResNets."""

DEFAULT_STEPS = (10, 30, 100, 300, 1000, 3000, 10_000)
"""Window lengths ``T`` of the default table."""


#: Degree of ``inverse_polynomial(kappa, eps)`` without building it (the core's formula).
inverse_degree = inverse_polynomial_degree


def lcu_subnormalisation(
    h: float, level: int, steps: int, f1: float, f2: float, f0: float
) -> float:
    """:math:`\\lambda` of the structured encoding's circuit for these norms:
    :math:`2 + h(1 + 10^{-6})(N\\|F_1\\| + (N-1)\\|F_2\\| + N\\|F_0\\|)` (no ``F0`` terms at
    ``N = 1``), from :func:`~pennylane_qsgd.circuits.structured_weights.subnormalisation`."""
    layout = structured_layout(1, level, steps, default_idle(steps))
    return subnormalisation(layout, h * steps, {"F1": f1, "F2": f2, "F0": f0})


# ----------------------------------------------------------------------------------------------
# The window


def euler_steps(a: WindowAssumptions, T: float) -> tuple[float, int]:
    """``(h, m)``: Lemma 2's step for ``a.eps`` capped by :math:`1/(N\\|F_1\\|)` and ``T``."""
    N = a.level
    total = a.f2_norm + a.f1_norm + a.f0_norm
    h = min(a.eps / (3.0 * N**2.5 * T * total**2), 1.0 / (N * a.f1_norm), float(T))
    return h, max(1, math.ceil(T / h - 1e-9))


def classical_flops(params: int, T: int, batch: int) -> float:
    """``T`` SGD steps of an ``params``-weight model: :math:`3\\,n\\,\\text{batch}` FLOPs a step."""
    return 3.0 * float(params) * float(batch) * float(T)


def estimate_window(a: WindowAssumptions, T: int) -> WindowEstimate:
    """Resources of a window of ``T`` gradient steps under the assumptions ``a``.

    Parameters
    ----------
    a : WindowAssumptions
    T : int
        Window length, >= 1.

    Returns
    -------
    WindowEstimate
    """
    T = int(check_positive("T", T, integer=True))
    N, s = a.level, a.support
    h, m = euler_steps(a, T)
    p = default_idle(m)
    t = max(bits(m + p + 1), 1)
    lam = lcu_subnormalisation(h, N, m, a.f1_norm, a.f2_norm, a.f0_norm)
    kappa = 3.0 * lam * (m + p + 1) / math.sqrt(2.0)
    degree = inverse_degree(kappa, a.eps)
    success = success_probability_bound(m, p, N, a.q)
    rounds = amplification_rounds(min(success, 1.0))
    encoding = CarlemanEulerEncoding.resource_rep(
        size=s,
        level=N,
        steps=m,
        idle=p,
        forcing_pieces=1,
        f_model="qram",
        row_sparsity=a.row_sparsity,
        value_bits=a.value_bits,
    )
    regs = structured_layout(s, N, m, p).widths
    ancillas = regs["index"] + regs["time_flag"] + regs["level_flag"] + regs["f_ancilla"]
    inversion = QSVTInversion.resource_rep(encoding=encoding, degree=degree, ancillas=ancillas)
    copies = N * (N + 1) // 2 + 1
    prep = RHSPrep.resource_rep(
        base=QRAMStatePrep.resource_rep(size=s, angle_bits=a.value_bits),
        copies=copies,
        time_qubits=t,
    )
    flag = 1 + ancillas + 1 + bits(N)  # r, encoding ancillas, top time wire, level register
    window = AmplifiedWindow.resource_rep(
        prep=prep, inversion=inversion, rounds=rounds, flag_wires=flag
    )
    gates = gate_counts(window)
    oracle = gate_counts(window, CLIFFORD_T | {"QRAMQuery"})
    registers = {
        "real_part": 1,
        "flag": 1,
        **structured_registers(s, N, m, p, "qram", a.row_sparsity, a.value_bits),
    }
    return WindowEstimate(
        T=T,
        support=s,
        level=N,
        steps=m,
        idle=p,
        h=h,
        subnormalisation=lam,
        kappa=kappa,
        degree=degree,
        success_bound=success,
        rounds=rounds,
        block_encoding_calls=degree * (2 * rounds + 1),
        registers=registers,
        logical_qubits=int(sum(registers.values())),
        qram_qubits=qram_wires(window),
        qram_queries=leaf_count(window, QRAMQuery),
        t_count=int(gates.get("T", 0)),
        t_count_oracle=int(oracle.get("T", 0)),
        depth=serial_depth(window),
        classical_flops=classical_flops(a.params, T, a.batch),
        truncation_bound=T * N * a.f2_norm * a.u_norm ** (N + 1),
        gates=gates,
    )


# ----------------------------------------------------------------------------------------------
# Tables


def assumption_lines(a: WindowAssumptions) -> list[str]:
    """The model and the assumptions of :func:`estimate_window`, one statement a line."""
    return [
        f"support: s = ceil((1 - sparsity) n), sparsity = {a.sparsity:g} (magnitude pruning)",
        f"norms (after rescaling, dissipative window R < 1, ||I + hA|| <= 1): ||F1|| = lr * "
        f"lambda_max = {a.lr:g} * {a.lambda_max:g} = {a.f1_norm:g}, ||F2|| = {a.f2_norm:g}, "
        f"||F0|| = {a.f0_norm:g}, ||u_in|| = {a.u_norm:g}, q = ||u_in||/||u(T)|| = {a.q:g}",
        f"Carleman level N = {a.level}; evolution time = T (the flow is in units of SGD steps)",
        f"Euler step (PNAS Lemma 2): h = min(eps / (3 N^2.5 T (||F2||+||F1||+||F0||)^2), "
        f"1/(N ||F1||), T), eps = {a.eps:g}; m = ceil(T/h); p = solver default idle (~m)",
        f"Lemma 2 sets h (m ~ T^2) above T* = {a.bend():.3g}; below it the cap 1/(N ||F1||) "
        "would (m ~ T), but there m <= eps/(3 sqrt(N)) < 1: one step",
        "encoding: structured LCU of L (the circuit's gates), lambda = 2 + h (N ||F1|| + (N-1) "
        "||F2|| + N ||F0||); "
        "kappa(L/lambda) = 3 lambda (m+p+1)/sqrt(2) (Lemma 3, ||L|| >= sqrt(2))",
        f"QSVT 1/x degree d = 2 ceil(arccosh(1/eps) / (2 artanh(1/kappa))) - 1, accuracy "
        f"{a.eps:g}; the inversion returns the normalised solution with d calls (optimal QLSA)",
        "amplitude amplification of Lemma 5's success P >= (p+1)/(9(m+p+1) N q^2): "
        "k = floor(pi/(4 arcsin sqrt P)) rounds, d (2k+1) block-encoding calls",
        f"QRAM: bucket-brigade (pennylane.estimator BBQRAM, every router gate counted); F1, F2 "
        f"by sparse access, {a.row_sparsity} nonzeros a row, {a.value_bits}-bit values; "
        "u_in and F0 by Kerenidis-Prakash trees; |B>: N(N+1)/2 copies of u_in and one of F0",
        "T-count: Clifford+T after pennylane.estimator decompositions; 'T (oracle QRAM)' counts "
        "each query as free; depth: non-QRAM gates in series + 6 log2(M) + w per query",
        f"classical: T SGD steps of the dense n-parameter model, 3 n batch FLOPs a step, "
        f"batch = {a.batch} (lower bound: convolutions reuse weights)",
    ]


TABLE_COLUMNS = (
    ("T", "T", "{:d}"),
    ("steps", "m", "{:.3g}"),
    ("kappa", "kappa", "{:.3g}"),
    ("degree", "d", "{:.3g}"),
    ("rounds", "k", "{:d}"),
    ("block_encoding_calls", "BE calls", "{:.3g}"),
    ("logical_qubits", "qubits", "{:d}"),
    ("qram_qubits", "QRAM qubits", "{:.3g}"),
    ("qram_queries", "QRAM queries", "{:.3g}"),
    ("t_count", "T-count", "{:.3g}"),
    ("t_count_oracle", "T (oracle QRAM)", "{:.3g}"),
    ("depth", "depth", "{:.3g}"),
    ("classical_flops", "classical FLOPs", "{:.3g}"),
)


def format_table(rows: list[WindowEstimate]) -> str:
    """Fixed-width table of :data:`TABLE_COLUMNS`."""
    cells = [[head for _, head, _ in TABLE_COLUMNS]]
    for row in rows:
        line = []
        for key, _, fmt in TABLE_COLUMNS:
            value = getattr(row, key)
            line.append(fmt.format(float(value) if "g" in fmt else int(value)))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells)


def crossover(rows: list[WindowEstimate], key: str, other: str) -> float | None:
    """``T`` (log-log interpolation between rows) where ``key`` first rises to ``other``.

    ``None`` when it never crosses from below within the rows (including when the first row is
    already above).
    """
    for prev, row in zip(rows, rows[1:], strict=False):
        d0 = math.log(getattr(prev, key)) - math.log(getattr(prev, other))
        d1 = math.log(getattr(row, key)) - math.log(getattr(row, other))
        if d0 < 0 <= d1:
            x = math.log(prev.T) + (math.log(row.T) - math.log(prev.T)) * (-d0) / (d1 - d0)
            return math.exp(x)
    return None


def loglog_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of :math:`\\log y` against :math:`\\log x`."""
    return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float)), 1)[0])


__all__ = [
    "DEFAULT_STEPS",
    "PAPER_MODELS",
    "TABLE_COLUMNS",
    "assumption_lines",
    "classical_flops",
    "crossover",
    "estimate_window",
    "euler_steps",
    "format_table",
    "inverse_degree",
    "lcu_subnormalisation",
    "loglog_slope",
]
