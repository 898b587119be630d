"""The composed gradient-flow solver: :math:`|B\\rangle`, QSVT or HHL inversion of the Euler–Carleman system.

:class:`GradientFlowSolver` prepares :math:`|B\\rangle/\\|B\\|` and applies :class:`~.QSVTInverse`
to the block encoding of the forward-Euler matrix :math:`L` of the Carleman-linearised ODE
(PNAS, arXiv:2011.03185, Theorem 1: equations (4.8)-(4.10) and Lemmas 3-5). On the success branch

* real-part ancilla ``r`` and block-encoding ancilla ``a`` in :math:`|0\\rangle`,
* time register in the second half of its range (all slots there hold the final state),
* Carleman level register at level 1,

the system register holds :math:`\\approx u(T)/\\|u(T)\\|` (the Euler–Carleman approximation, up to
the QSVT polynomial error). ``solver="hhl"`` replaces the QSVT inversion with
:class:`~.HHLSolver` on the Hermitian dilation of :math:`L` (a dense eigendecomposition: small
windows only); its flags are ``anc = 1``, clock 0, ``d = 1`` instead of ``r = a = 0``.

Register layout (``wires`` in this order; :class:`SolverLayout`)::

    r | a | time (t wires, MSB first) | Carleman level (c - b wires) | system (b wires)
    anc | clock (n_c wires) | d | time | Carleman level | system        (solver="hhl")

* time: :math:`K = 2^t` slots, the Euler steps ``k = 0..m`` and idle steps ``m+1..m+p``, the slots
  past ``m + p`` padded with the identity (their amplitude stays 0). ``K/2 >= m`` is required, so
  "top time wire = 1" selects idle slots only.
* Carleman: the level-1 block is padded to :math:`s_{\\rm pad} = 2^b` entries, so "level wires all 0"
  is "level 1"; the levels :math:`2..N` (``np.kron`` order, as in the core) follow at offset
  :math:`s_{\\rm pad}`, and the register is padded to :math:`2^c`.

Block encoding. The gates level uses the dense dilation of :math:`L` (:class:`~.DenseBlockEncoding`)
with the subnormalisation :math:`\\alpha = 1.01\\,(1 + \\max(1, \\max_k\\|I + hA_k\\|))`: the norm bound
of an LCU of the identity and the shifted Euler blocks, with a 1% margin that keeps the dilation's
square roots short for the native level. The structured LCU encoding built from block encodings
of :math:`F_0, F_1, F_2` is a separate template,
:class:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredEulerEncoding` (gates and a
native kernel), and :class:`~pennylane_qsgd.circuits.structured_solver.StructuredFlowSolver` is
this solver's QSVT inversion on it (constant forcing). ``qsgd.sim``'s native level
applies the same map with sparse products (:func:`solver_state`); its ideal level replaces the
QSVT polynomial with the exact inverse (:func:`ideal_solver_state`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pennylane as qml
import scipy.sparse as sp
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits._data_hash import (
    DigestCache,
    FullDataHashMixin,
    array_digest,
    queued,
)
from pennylane_qsgd.circuits.amplification import (
    amplification_rounds,
    amplified_probability,
    success_oracle,
)
from pennylane_qsgd.circuits.hhl_solver import MAX_CLOCK, HHLSolver, apply_hhl, fejer_filter
from pennylane_qsgd.circuits.linear_maps import (
    EncodedMatrix,
    norm_lower_bound,
    qsvt_response,
    real_part_qsvt,
    smallest_singular_value,
)
from pennylane_qsgd.circuits.qsvt_solver import InverseAngles, QSVTInverse, inverse_angles
from pennylane_qsgd.circuits.resources import TemplateResources, bits
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.circuits.structured_encoding import structured_encoding_model
from pennylane_qsgd.core.bounds import (
    condition_number_bound,
    euler_error_bound,
    max_step_size,
    spectral_norm,
)
from pennylane_qsgd.core.carleman import as_count, carleman_dimension, carleman_matrix
from pennylane_qsgd.core.euler import EulerSolution, euler_system, solve_euler, step_times
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.polynomials import inverse_polynomial
from pennylane_qsgd.core.problem import PolynomialODE

DEFAULT_PRECISION = 1e-6
"""Default relative accuracy of the 1/x polynomial."""

DENSE_SVD_LIMIT = 256
"""Largest Euler system (rows) whose singular values are computed by a dense SVD."""

SPARSE_SIGMA_LIMIT = 200_000
"""Largest Euler system whose smallest singular value ``kappa="auto"`` computes (ARPACK)."""

ALPHA_MARGIN = 1.01
"""Factor on the norm bound :math:`1 + \\max(1, \\|I + hA\\|)` in the default subnormalisation;
keeps :math:`\\|L\\|/\\alpha \\le 1/1.01`, so the dilation's square roots have short series."""

SOLVERS = ("qsvt", "hhl")
"""Linear solvers of :class:`GradientFlowSolver`: QSVT inversion, or HHL (:class:`~.HHLSolver`)."""

DEFAULT_CLOCK_QUBITS = 8
"""Clock qubits of ``solver="hhl"``: a fixed default, so the wire count does not depend on
:math:`\\kappa`. The relative error of :math:`1/x` on the smallest singular values is about
:math:`2\\pi\\kappa/(2^{n_c} t_0)` (:mod:`.hhl_solver`); raise it for large :math:`\\kappa`."""

HHL_EVOLUTIONS = ("exact",)
"""Hamiltonian simulations of ``solver="hhl"`` (the dense :math:`e^{iHt_0}` of :class:`~.HHLSolver`)."""


# ----------------------------------------------------------------------------------------------
# Register layout


def default_idle(steps: int) -> int:
    """Idle steps ``p`` filling a time register of :math:`K = 2^t \\ge 2m` slots: ``p = K - 1 - m``.

    Then ``K/2 >= m`` and the top time wire alone flags idle slots; :math:`p \\ge m - 1`, close to
    the paper's choice ``p = m`` (Theorem 1).
    """
    m = as_count(steps, "steps")
    slots = 2 ** max(bits(2 * m), 1)
    return slots - 1 - m


@dataclass(frozen=True)
class SolverLayout:
    """Which wires of a :class:`GradientFlowSolver` hold which register.

    Attributes
    ----------
    real_part_wire, encoding_wire : wire label
        Ancillas ``r`` (real-part LCU) and ``a`` (block encoding); for ``solver="hhl"`` the
        rotation ancilla ``anc`` and the dilation wire ``d`` of :class:`~.HHLSolver`.
    time_wires : Wires
        ``t`` wires, most significant first; :math:`K = 2^t` slots.
    level_wires : Wires
        Carleman level register: all 0 on level 1.
    system_wires : Wires
        ``b`` wires holding :math:`u` (padded to :math:`2^b`) on level 1.
    size, level, steps, idle : int
        ``s``, ``N``, ``m``, ``p``.
    solver : {"qsvt", "hhl"}
        Wire order ``r, a, register`` or ``anc, clock..., d, register``.
    clock_wires : Wires
        Phase-estimation clock of ``solver="hhl"`` (MSB first); empty for QSVT.
    """

    real_part_wire: object
    encoding_wire: object
    time_wires: Wires
    level_wires: Wires
    system_wires: Wires
    size: int
    level: int
    steps: int
    idle: int
    solver: str = "qsvt"
    clock_wires: Wires = field(default_factory=lambda: Wires([]))

    @property
    def carleman_wires(self) -> Wires:
        """Level and system wires (the Carleman register)."""
        return self.level_wires + self.system_wires

    @property
    def register_wires(self) -> Wires:
        """Time and Carleman wires: where :math:`|B\\rangle` lives and :math:`L` acts."""
        return self.time_wires + self.carleman_wires

    @property
    def wires(self) -> Wires:
        """All wires in the operation's order."""
        if self.solver == "hhl":
            return (
                Wires([self.real_part_wire])
                + self.clock_wires
                + Wires([self.encoding_wire])
                + self.register_wires
            )
        return Wires([self.real_part_wire, self.encoding_wire]) + self.register_wires

    @property
    def time_slots(self) -> int:
        """:math:`K = 2^t`."""
        return 2 ** len(self.time_wires)

    @property
    def carleman_slots(self) -> int:
        """:math:`C = 2^c`, the padded Carleman register size."""
        return 2 ** len(self.carleman_wires)

    @property
    def padded_size(self) -> int:
        """:math:`s_{\\rm pad} = 2^b`."""
        return 2 ** len(self.system_wires)

    @property
    def success_slots(self) -> range:
        """Time slots of the success event, ``K/2 .. m+p`` (all hold :math:`y_m`)."""
        return range(self.time_slots // 2, self.steps + self.idle + 1)

    @property
    def success_condition(self) -> dict:
        """Wire -> value of the success event (the post-selection and the amplification oracle).

        QSVT: ``r = 0, a = 0``; HHL: ``anc = 1``, clock 0, ``d = 1``. Then the top time wire 1 and
        the level wires 0.
        """
        if self.solver == "hhl":
            cond = {self.real_part_wire: 1}
            cond.update({w: 0 for w in self.clock_wires})
            cond.update({self.encoding_wire: 1, self.time_wires[0]: 1})
        else:
            cond = {self.real_part_wire: 0, self.encoding_wire: 0, self.time_wires[0]: 1}
        cond.update({w: 0 for w in self.level_wires})
        return cond

    def carleman_index(self) -> np.ndarray:
        """Padded Carleman index of each entry of the core's lifted vector, shape (Δ,)."""
        s = self.size
        delta = carleman_dimension(s, self.level)
        idx = np.arange(delta)
        return np.where(idx < s, idx, idx - s + self.padded_size)

    def register_index(self) -> np.ndarray:
        """Register index of each entry of the core's history vector, shape ((m+p+1) Δ,)."""
        blocks = self.steps + self.idle + 1
        carl = self.carleman_index()
        return (np.arange(blocks)[:, None] * self.carleman_slots + carl[None, :]).reshape(-1)

    def success_mask(self) -> np.ndarray:
        """Boolean mask over the register (time, Carleman) of the success event, shape (K C,)."""
        mask = np.zeros((self.time_slots, self.carleman_slots), dtype=bool)
        mask[self.time_slots // 2 :, : self.padded_size] = True
        return mask.reshape(-1)


def register_sizes(size: int, level: int, steps: int, idle: int) -> tuple[int, int, int]:
    """``(t, c, b)``: time, Carleman and system wires of the layout (module docstring)."""
    s = as_count(size, "size")
    level = as_count(level, "level")
    m = as_count(steps, "steps")
    p = as_count(idle, "idle", minimum=0)
    t = max(bits(m + p + 1), 1)
    if 2 ** (t - 1) < m:
        raise ValueError(
            f"idle = {p} is too small for steps = {m}: the top time wire must flag idle slots only, "
            f"which needs 2**(t-1) >= m for the 2**t >= m + p + 1 time slots; use idle >= "
            f"{2 ** bits(m) - m} (the default is {default_idle(m)})"
        )
    b = bits(s)
    c = bits(2**b + carleman_dimension(s, level) - s)
    return t, c, b


def _check_solver(solver: str, clock_qubits: int) -> int:
    """Validate ``solver`` and return the clock wires it adds (0 for QSVT)."""
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}; got {solver!r}")
    if solver == "qsvt":
        return 0
    if (
        isinstance(clock_qubits, bool)
        or not isinstance(clock_qubits, int | np.integer)
        or not 1 <= clock_qubits <= MAX_CLOCK
    ):
        raise ValueError(
            f"clock_qubits must be an integer in [1, {MAX_CLOCK}]; got {clock_qubits!r}"
        )
    return int(clock_qubits)


def required_wires(
    size: int,
    level: int,
    steps: int,
    idle: int | None = None,
    solver: str = "qsvt",
    clock_qubits: int = DEFAULT_CLOCK_QUBITS,
) -> int:
    """Number of wires of a :class:`GradientFlowSolver`: ``2 + t + c``, plus ``clock_qubits``
    for ``solver="hhl"``."""
    clock = _check_solver(solver, clock_qubits)
    idle = default_idle(steps) if idle is None else idle
    t, c, _ = register_sizes(size, level, steps, idle)
    return 2 + clock + t + c


def solver_layout(
    size: int,
    level: int,
    steps: int,
    idle: int,
    wires: object,
    solver: str = "qsvt",
    clock_qubits: int = DEFAULT_CLOCK_QUBITS,
) -> SolverLayout:
    """Assign ``wires`` to the registers: ``r, a, time, level, system`` for QSVT,
    ``anc, clock..., d, time, level, system`` for HHL."""
    wires = Wires(wires)
    clock = _check_solver(solver, clock_qubits)
    t, c, b = register_sizes(size, level, steps, idle)
    if len(wires) != 2 + clock + t + c:
        raise ValueError(
            f"the {solver} solver needs {2 + clock + t + c} wires (2 ancillas, {clock} clock, "
            f"{t} time, {c} Carleman); got {len(wires)}: {wires.tolist()}"
        )
    start = 2 + clock
    return SolverLayout(
        real_part_wire=wires[0],
        encoding_wire=wires[1 + clock],
        time_wires=wires[start : start + t],
        level_wires=wires[start + t : start + t + c - b],
        system_wires=wires[start + t + c - b :],
        size=size,
        level=level,
        steps=steps,
        idle=idle,
        solver=solver,
        clock_wires=wires[1 : 1 + clock],
    )


# ----------------------------------------------------------------------------------------------
# Problem <-> operation data (numeric arrays only, DESIGN trap 5)


def _pack_problem(problem: PolynomialODE) -> tuple[np.ndarray, ...]:
    F1 = problem.F1.tocoo()
    F2 = problem.F2.tocoo()
    return (
        problem.F0,
        F1.row.astype(np.int64),
        F1.col.astype(np.int64),
        F1.data,
        F2.row.astype(np.int64),
        F2.col.astype(np.int64),
        F2.data,
        problem.u_in,
        problem.forcing_times,
    )


def _unpack_problem(data: tuple) -> PolynomialODE:
    F0, r1, c1, v1, r2, c2, v2, u_in, times = (np.asarray(d) for d in data)
    s = u_in.shape[0]
    F1 = sp.csr_array((v1, (r1, c1)), shape=(s, s))
    F2 = sp.csr_array((v2, (r2, c2)), shape=(s, s * s))
    return PolynomialODE(F0, F1, F2, u_in, times if F0.shape[0] > 1 else None)


def euler_steps_for_tolerance(problem: PolynomialODE, level: int, T: float, eps: float) -> int:
    """Euler steps ``m`` with Lemma 2's bound at most ``eps`` and :math:`h \\le 1/(N\\|F_1\\|)`.

    :math:`3 N^{2.5} T h (\\|F_2\\| + \\|F_1\\| + \\|F_0\\|)^2 \\le \\varepsilon` (arXiv:2011.03185).
    """
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a positive tolerance; got {eps}")
    per_h = euler_error_bound(problem, level, T, 1.0)
    h = min(eps / per_h if per_h > 0 else np.inf, max_step_size(problem, level), T)
    return max(int(np.ceil(T / h - 1e-12)), 1)


# ----------------------------------------------------------------------------------------------
# The linear system in the circuit's layout (classical twin)


@dataclass(frozen=True)
class SolverSystem:
    """The Euler system of a :class:`GradientFlowSolver` in its register layout.

    Attributes
    ----------
    layout : SolverLayout
    L : scipy.sparse.csr_array, shape (K C, K C)
        :math:`L` of ``core.euler.euler_system``, re-indexed and padded with the identity.
    B : ndarray, shape (K C,)
        :math:`B`, re-indexed and zero-padded (not normalised).
    h : float
        Euler step.
    alpha : float
        Subnormalisation of the block encoding.
    norm : float
        Upper bound on :math:`\\|L\\|_2` (exact for systems of at most
        :data:`DENSE_SVD_LIMIT` rows, else :math:`1 + \\max(1, \\|I + hA\\|)`).
    kappa : float
        Condition number the polynomial inverts: :math:`x \\in [1/\\kappa, 1]` covers all
        :math:`\\sigma_i(L)/\\alpha`.
    kappa_source : str
        ``"exact"`` (:math:`\\sigma_{\\min}` by SVD or ARPACK), ``"bound"`` (Lemma 3,
        :math:`\\kappa(L) \\le 3(m+p+1)`) or ``"given"``.
    sigma_min : float or None
        :math:`\\sigma_{\\min}(L)` when computed.
    """

    layout: SolverLayout
    L: sp.csr_array
    B: np.ndarray
    h: float
    alpha: float
    norm: float
    kappa: float
    kappa_source: str
    sigma_min: float | None

    @cached_property
    def encoded(self) -> EncodedMatrix:
        """:math:`L/\\alpha` with its dilation blocks as sparse products."""
        return EncodedMatrix(self.L, self.alpha, norm=self.norm)


_SYSTEM_CACHE = DigestCache(size=4)


def _step_matrix_norm(problem: PolynomialODE, level: int, T: float, steps: int) -> float:
    """:math:`\\max_k \\|I + h A(t_{k-1})\\|` over the forcing pieces used by the Euler steps."""
    h = T / steps
    pieces = np.unique(problem.forcing_piece(step_times(T, steps)))
    dim = carleman_dimension(problem.size, level)
    eye = sp.identity(dim, format="csr")
    return max(
        spectral_norm(eye + h * carleman_matrix(problem, level, problem.forcing_times[k]))
        for k in pieces
    )


def _warn_lemma3(step_norm: float, stacklevel: int) -> None:
    """UserWarning when :math:`\\|I + hA\\| > 1`, where Lemma 3's :math:`\\kappa` bound may fail."""
    if step_norm > 1.0 + 1e-12:
        warnings.warn(
            f"||I + hA|| = {step_norm:.6g} > 1: Lemma 3's condition-number bound "
            "3(m+p+1) is not guaranteed; the 1/x polynomial may not cover the smallest "
            "singular values (use kappa='exact' or a number)",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


def _lemma3_kappa(alpha: float, steps: int, idle: int, step_norm: float) -> float:
    """:math:`\\kappa` of :math:`L/\\alpha` from Lemma 3 of arXiv:2011.03185 without forming
    :math:`L`: :math:`\\sigma_{\\min} \\ge \\|L\\|/(3(m+p+1))` and
    :math:`\\|L\\| \\ge \\sqrt{1 + \\|I + hA\\|^2}` (the column of :math:`L` through the top right
    singular vector of :math:`I + hA`)."""
    return alpha * condition_number_bound(steps, idle) / np.sqrt(1.0 + step_norm**2)


def _padded(L_core: sp.csr_array, B_core: np.ndarray, layout: SolverLayout):
    dim = layout.time_slots * layout.carleman_slots
    check_memory(
        16 * dim + 24 * (L_core.nnz + dim),
        f"the solver's padded Euler system ({dim} rows)",
        "Lower the level, the steps or the idle steps.",
    )
    index = layout.register_index()
    coo = L_core.tocoo()
    free = np.ones(dim, dtype=bool)
    free[index] = False
    pad = np.flatnonzero(free)
    L = sp.csr_array(
        (
            np.concatenate([coo.data, np.ones(pad.size)]),
            (np.concatenate([index[coo.row], pad]), np.concatenate([index[coo.col], pad])),
        ),
        shape=(dim, dim),
    )
    B = np.zeros(dim)
    B[index] = B_core
    return L, B


def _build_system(
    problem: PolynomialODE, T: float, layout: SolverLayout, alpha: object, kappa: object
) -> SolverSystem:
    m, p, level = layout.steps, layout.idle, layout.level
    L_core, B_core = euler_system(problem, level, T, m, p)
    L, B = _padded(L_core, B_core, layout)
    rows = L_core.shape[0]

    # Norms: ||L|| <= 1 + ||S|| with S the block shift of the Euler and idle blocks.
    step_norm = _step_matrix_norm(problem, level, T, m)
    shift_bound = 1.0 + max(1.0, step_norm * (1.0 + 1e-9))
    sigma = np.linalg.svd(L_core.toarray(), compute_uv=False) if rows <= DENSE_SVD_LIMIT else None
    # Padded rows are identity rows (singular value 1, neither extreme: L is unit triangular).
    norm = float(max(sigma[0], 1.0)) if sigma is not None else shift_bound

    if alpha == "bound":
        alpha_value = ALPHA_MARGIN * shift_bound
    elif alpha == "norm":
        alpha_value = 1.001 * (norm if sigma is not None else spectral_norm(L))
    else:
        alpha_value = float(alpha)
        exact = norm if sigma is not None else spectral_norm(L)
        if not np.isfinite(alpha_value) or alpha_value < exact * (1 - 1e-10):
            raise ValueError(f"alpha = {alpha!r} is below ||L||_2 = {exact:.12g}")
        norm = min(norm, max(exact, alpha_value))
    norm = min(norm, alpha_value)

    sigma_min = None
    if isinstance(kappa, str):
        mode = kappa
        if mode == "auto":
            mode = "exact" if rows <= SPARSE_SIGMA_LIMIT else "bound"
        if mode == "exact":
            if sigma is not None:
                sigma_min = float(min(sigma[-1], 1.0))
            elif rows <= SPARSE_SIGMA_LIMIT:
                sigma_min = min(smallest_singular_value(L_core), 1.0)
            else:
                raise ValueError(
                    f"kappa='exact' on a {rows}-row Euler system is above the limit "
                    f"{SPARSE_SIGMA_LIMIT} rows; use kappa='bound' or a number"
                )
            # Slack for the rounding of the singular value solvers.
            kappa_value = alpha_value / sigma_min * (1.0 + 1e-6)
        elif mode == "bound":
            # Reported at the caller of GradientFlowSolver.system (through the system cache).
            _warn_lemma3(step_norm, stacklevel=5)
            # sigma_min >= sigma_max / kappa(L) >= (lower bound of ||L||) / (3(m+p+1)).
            lower = float(sigma[0]) if sigma is not None else norm_lower_bound(L_core)
            kappa_value = alpha_value * condition_number_bound(m, p) / lower
        else:
            raise ValueError(f"kappa must be 'auto', 'exact', 'bound' or a number; got {kappa!r}")
        source = mode
    else:
        kappa_value = float(kappa)
        if not np.isfinite(kappa_value) or kappa_value <= 1:
            raise ValueError(f"kappa must be a finite number > 1; got {kappa!r}")
        source = "given"
    return SolverSystem(
        layout=layout,
        L=L,
        B=B,
        h=T / m,
        alpha=alpha_value,
        norm=norm,
        kappa=max(kappa_value, 1.0 + 1e-12),
        kappa_source=source,
        sigma_min=sigma_min,
    )


# ----------------------------------------------------------------------------------------------
# The template


class GradientFlowSolver(FullDataHashMixin, Operation):
    """Solve the Euler–Carleman system of a polynomial ODE with QSVT (module docstring).

    Parameters
    ----------
    problem : PolynomialODE
        :math:`du/dt = F_0 + F_1 u + F_2 (u \\otimes u)`, :math:`u(0) = u_{\\rm in}`.
    T : float
        Evolution time.
    level : int
        Carleman truncation level ``N``.
    steps : int, optional
        Euler steps ``m``; or give ``eps``.
    eps : float, optional
        Tolerance of the Euler error bound (Lemma 2) that sets ``m`` when ``steps`` is omitted.
    idle : int, optional
        Idle steps ``p``; default :func:`default_idle` (needs ``2**(t-1) >= m``).
    solver : {"qsvt", "hhl"}
        Linear solver. ``"qsvt"``: :class:`~.QSVTInverse` of the block encoding of :math:`L`.
        ``"hhl"``: :class:`~.HHLSolver` on the Hermitian dilation of :math:`L`, with rotation
        constant :math:`C = 1/\\kappa`; its phase estimation and its native map use a dense
        eigendecomposition of the :math:`2KC \\times 2KC` dilation, so it is for small windows
        only. Its success event is ``anc = 1``, clock 0, ``d = 1`` (plus the time and level
        conditions); ``precision``, ``scale`` and the polynomial do not apply.
    precision : float
        Relative accuracy of the 1/x polynomial.
    wires : sequence
        ``required_wires(s, level, steps, idle, solver, clock_qubits)`` wires: ``r, a, time...,
        level..., system...``; for ``solver="hhl"`` ``anc, clock..., d, time..., level...,
        system...``.
    alpha : float or {"bound", "norm"}
        Subnormalisation of the block encoding of :math:`L`: ``"bound"`` (default)
        :math:`1.01\\,(1 + \\max(1, \\|I + hA\\|))`, ``"norm"`` :math:`1.001\\|L\\|_2` (an ARPACK
        norm above :data:`DENSE_SVD_LIMIT` rows: slow for long windows), or a number
        :math:`\\ge \\|L\\|_2`.
    kappa : float or {"auto", "exact", "bound"}
        Condition number of :math:`L/\\alpha` for the polynomial: ``"exact"``
        :math:`\\alpha/\\sigma_{\\min}(L)` (dense SVD, or ARPACK on :math:`L^{-1}` up to
        :data:`SPARSE_SIGMA_LIMIT` rows; ``"auto"`` picks it there), ``"bound"`` Lemma 3's
        :math:`\\kappa(L) \\le 3(m+p+1)` (valid when :math:`\\|I + hA\\| \\le 1`), or a number.
    scale : float, optional
        Scale of the 1/x polynomial (default: the largest with :math:`\\max|P| \\le 0.9`).
    clock_qubits : int
        Clock register of ``solver="hhl"`` (default :data:`DEFAULT_CLOCK_QUBITS`, a fixed 8:
        relative error about :math:`2\\pi\\kappa/(2^{n_c} t_0)` on :math:`1/x`, so raise it for
        ill-conditioned windows). Ignored by QSVT.
    evolution : {"exact"}
        Hamiltonian simulation of ``solver="hhl"``: the dense :math:`e^{iHt_0}`. Ignored by QSVT.

    Notes
    -----
    Only the problem's arrays are operation data (hashed in full); the scalars are hyperparameters.
    The linear system, the polynomial and its phases are computed on first use and cached.

    Examples
    --------
    >>> import numpy as np
    >>> problem = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    >>> n = required_wires(1, level=2, steps=2)
    >>> op = GradientFlowSolver(problem, T=0.5, level=2, steps=2, wires=range(n))
    >>> op.layout.success_condition  # doctest: +SKIP
    {0: 0, 1: 0, 2: 1, 4: 0}
    """

    grad_method = None
    num_params = 9

    def __init__(
        self,
        problem: PolynomialODE,
        T: float,
        level: int,
        steps: int | None = None,
        eps: float | None = None,
        idle: int | None = None,
        solver: str = "qsvt",
        precision: float = DEFAULT_PRECISION,
        wires: object = None,
        alpha: float | str = "bound",
        kappa: float | str = "auto",
        scale: float | None = None,
        clock_qubits: int = DEFAULT_CLOCK_QUBITS,
        evolution: str = "exact",
        id=None,
    ) -> None:
        if not isinstance(problem, PolynomialODE):
            raise TypeError(f"problem must be a PolynomialODE; got {type(problem).__name__}")
        if isinstance(T, bool) or not np.isscalar(T) or not np.isfinite(T) or T <= 0:
            raise ValueError(f"T must be a positive finite time; got {T!r}")
        level = as_count(level, "level")
        _check_solver(solver, clock_qubits)
        if solver == "hhl" and evolution not in HHL_EVOLUTIONS:
            raise ValueError(f"evolution must be one of {HHL_EVOLUTIONS}; got {evolution!r}")
        if steps is None:
            if eps is None:
                raise ValueError("give steps (Euler steps) or eps (Euler error tolerance)")
            steps = euler_steps_for_tolerance(problem, level, float(T), float(eps))
        steps = as_count(steps, "steps")
        idle = default_idle(steps) if idle is None else as_count(idle, "idle", minimum=0)
        if not np.isfinite(precision) or not 0 < precision < 1:
            raise ValueError(f"precision must lie in (0, 1); got {precision!r}")
        if wires is None:
            n = required_wires(problem.size, level, steps, idle, solver, clock_qubits)
            names = "anc, clock, d" if solver == "hhl" else "r, a"
            raise ValueError(f"wires are required: {n} wires ({names}, time, Carleman)")
        layout = solver_layout(problem.size, level, steps, idle, wires, solver, clock_qubits)
        if isinstance(alpha, str) and alpha not in ("bound", "norm"):
            raise ValueError(f"alpha must be a number, 'bound' or 'norm'; got {alpha!r}")
        if isinstance(kappa, str) and kappa not in ("auto", "exact", "bound"):
            raise ValueError(f"kappa must be a number, 'auto', 'exact' or 'bound'; got {kappa!r}")
        self._hyperparameters = {
            "T": float(T),
            "level": level,
            "steps": steps,
            "idle": idle,
            "solver": solver,
            "precision": float(precision),
            "alpha": alpha if isinstance(alpha, str) else float(alpha),
            "kappa": kappa if isinstance(kappa, str) else float(kappa),
            "scale": None if scale is None else float(scale),
        }
        if solver == "hhl":
            self._hyperparameters["clock_qubits"] = int(clock_qubits)
            self._hyperparameters["evolution"] = evolution
        super().__init__(*_pack_problem(problem), wires=layout.wires, id=id)

    # -- accessors -----------------------------------------------------------------------------

    @property
    def problem(self) -> PolynomialODE:
        """The ODE, rebuilt from ``op.data``."""
        return _unpack_problem(self.data)

    @property
    def layout(self) -> SolverLayout:
        """Register layout of the operation's wires."""
        return _layout_for(self.data, self.hyperparameters, self.wires)

    def system(self) -> SolverSystem:
        """The padded Euler system, :math:`\\alpha` and :math:`\\kappa` (cached)."""
        return _system_for(self.data, self.hyperparameters, self.wires)

    def hhl_operator(self) -> HHLSolver:
        """The :class:`~.HHLSolver` of ``solver="hhl"`` on ``[anc, clock..., d, register...]``."""
        return _hhl_for(self.system(), self.hyperparameters)

    def inverse_angles(self) -> InverseAngles:
        """The 1/x polynomial and its QSVT angles (cached)."""
        hp = self.hyperparameters
        return inverse_angles(self.system().kappa, hp["precision"], hp["scale"])

    def info(self) -> SolverInfo:
        """Metadata: layout, :math:`\\kappa`, :math:`\\alpha`, degree, success probabilities."""
        return solver_info(self)

    # -- PennyLane interface -------------------------------------------------------------------

    @staticmethod
    def compute_decomposition(*data, wires: Wires, **hyperparameters) -> list:
        """:class:`~.NormalizedStatePrep` of :math:`B` on the register, then
        :class:`~.QSVTInverse` of the dense :math:`L` on ``[r, a, register]`` (or
        :class:`~.HHLSolver` on ``[anc, clock..., d, register]``)."""
        system = _system_for(data, hyperparameters, wires)
        layout = system.layout
        dim = system.L.shape[0]
        check_memory(
            8 * dim * dim,
            f"the dense block encoding of L ({dim} x {dim}) for the gates fidelity",
            'Use qsgd.sim\'s fidelity="native", which never forms dense matrices.',
        )
        if hyperparameters["solver"] == "hhl":
            with qml.QueuingManager.stop_recording():
                ops = [
                    NormalizedStatePrep(system.B, wires=layout.register_wires),
                    _hhl_for(system, hyperparameters),
                ]
            return queued(ops)
        angles = inverse_angles(
            system.kappa, hyperparameters["precision"], hyperparameters["scale"]
        )
        with qml.QueuingManager.stop_recording():
            ops = [
                NormalizedStatePrep(system.B, wires=layout.register_wires),
                QSVTInverse(
                    system.L.toarray(),
                    system.alpha,
                    angles.angles,
                    wires=layout.wires,
                    validate=False,
                ),
            ]
        return queued(ops)

    def resources(self, encoding: str = "dense") -> TemplateResources:
        """State preparation plus ``d`` calls to a block encoding of :math:`L`, without decomposing.

        The degree follows from :math:`\\kappa` and ``precision`` without computing phases.

        Parameters
        ----------
        encoding : {"dense", "structured"}
            ``"dense"``: the dilation the gates level uses. ``"structured"``: the LCU encoding of
            :func:`~.structured_encoding.structured_encoding_model` (a model: its
            subnormalisation :math:`\\lambda` replaces :math:`\\alpha`, so :math:`\\kappa` and the
            degree grow by :math:`\\lambda/\\alpha`; its registers replace the flat layout).
        """
        hp = self.hyperparameters
        register = len(self.layout.register_wires)
        if hp["solver"] == "hhl":
            hhl = self.hhl_operator().resources()
            prep = NormalizedStatePrep.prep_resources(register)
            gates = dict(hhl.gates)
            for name, count in prep.gates.items():
                gates[name] = gates.get(name, 0) + count
            return TemplateResources(
                logical_qubits=len(self.wires),
                block_encoding_calls=hhl.block_encoding_calls,
                gates=gates,
                notes=f"state preparation, then {hhl.notes}",
            )
        alpha, kappa = _alpha_kappa(self)
        if encoding == "dense":
            qubits = len(self.wires)
            inner = TemplateResources(
                logical_qubits=register + 1,
                gates={f"QubitUnitary({register + 1})": 1},
                notes="dense dilation of L",
            )
        elif encoding == "structured":
            model = structured_encoding_model(
                self.problem, hp["level"], hp["T"], hp["steps"], hp["idle"]
            )
            kappa *= max(model.subnormalisation / alpha, 1.0)
            inner = model.resources()
            qubits = model.logical_qubits + 1  # and the real-part ancilla
            register = sum(model.system_qubits.values())
        else:
            raise ValueError(f"encoding must be 'dense' or 'structured'; got {encoding!r}")
        poly = inverse_polynomial(kappa, hp["precision"], hp["scale"])
        prep = NormalizedStatePrep.prep_resources(register)
        return TemplateResources(
            logical_qubits=qubits,
            block_encoding_calls=poly.degree,
            gates={**prep.gates, "MultiRZ(2)": poly.degree + 1, "Hadamard": 2},
            block_encoding=inner,
            notes=f"QSVT inversion, kappa = {kappa:.6g}, {encoding} block encoding",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "GradientFlow"

    def _flatten(self):
        return self.data, (self.wires, tuple(self.hyperparameters.items()))

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(_unpack_problem(data), wires=metadata[0], **dict(metadata[1]))


def _system_for(data: tuple, hyperparameters: dict, wires: Wires) -> SolverSystem:
    key = array_digest(*data) + repr(sorted(hyperparameters.items())) + repr(Wires(wires).tolist())
    hp = hyperparameters
    return _SYSTEM_CACHE.get(
        key,
        lambda: _build_system(
            _unpack_problem(data), hp["T"], _layout_for(data, hp, wires), hp["alpha"], hp["kappa"]
        ),
    )


def _layout_for(data: tuple, hyperparameters: dict, wires: Wires) -> SolverLayout:
    hp = hyperparameters
    return solver_layout(
        int(np.asarray(data[7]).shape[0]),
        hp["level"],
        hp["steps"],
        hp["idle"],
        wires,
        hp["solver"],
        hp.get("clock_qubits", DEFAULT_CLOCK_QUBITS),
    )


def _hhl_for(system: SolverSystem, hyperparameters: dict) -> HHLSolver:
    """:class:`~.HHLSolver` of :math:`L` with :math:`C = 1/\\kappa` (below every
    :math:`\\sigma_i(L)/\\alpha`, so the rotations never clip on the exact spectrum)."""
    with qml.QueuingManager.stop_recording():
        return HHLSolver(
            system.L.toarray(),
            system.alpha,
            wires=system.layout.wires,
            C=1.0 / system.kappa,
            evolution=hyperparameters["evolution"],
            validate=False,
        )


# ----------------------------------------------------------------------------------------------
# Classical twins: the state the circuit prepares, and the ideal model


def solver_state(op: GradientFlowSolver) -> np.ndarray:
    """The state :math:`U|0\\rangle` that the gates of ``op`` prepare, over ``op.wires``.

    Computed as the real-part QSVT map (:func:`~.linear_maps.real_part_qsvt`) of the polynomial
    given by the phases, with sparse products by :math:`L` and :math:`L^T`, and the dilation's
    :math:`\\sqrt{I - LL^T/\\alpha^2}` on the garbage (a Chebyshev series). Includes the polynomial
    error and every branch, so it equals the gate-level state to rounding.

    For ``solver="hhl"`` it is :func:`hhl_solver_state`.

    Returns
    -------
    ndarray of complex, shape (2**len(op.wires),), big-endian over ``op.wires``.
    """
    if op.hyperparameters["solver"] == "hhl":
        return hhl_solver_state(op)
    system = op.system()
    angles = op.inverse_angles()
    dim = system.L.shape[0]
    check_memory(
        16 * 12 * dim,
        f"the native solver state ({4 * dim} amplitudes)",
        "Lower the level or steps.",
    )
    b = system.B / np.linalg.norm(system.B)
    enc = system.encoded
    # QSVT acts on the encoding of L^dagger: X = L^T / alpha.
    out = real_part_qsvt(qsvt_response(angles.angles), enc.apply_adjoint, enc.apply, b)
    garbage = enc.sqrt_left(np.stack([out.garbage_r0, out.garbage_r1], axis=-1))
    return np.concatenate([out.success, garbage[:, 0], out.imaginary, garbage[:, 1]])


def hhl_solver_state(op: GradientFlowSolver) -> np.ndarray:
    """The state that the gates of a ``solver="hhl"`` ``op`` prepare, over ``op.wires``.

    :func:`~.hhl_solver.apply_hhl` (the exact map of :class:`~.HHLSolver`'s gates, in the
    eigenbasis of the dilation: a dense eigendecomposition, small windows only) on
    :math:`|0\\rangle_{anc}|0\\rangle_{clock}|0\\rangle_d|B/\\|B\\|\\rangle`.

    Returns
    -------
    ndarray of complex, shape (2**len(op.wires),), big-endian over ``anc, clock, d, register``.
    """
    if op.hyperparameters["solver"] != "hhl":
        raise ValueError(
            f"hhl_solver_state needs solver='hhl'; got {op.hyperparameters['solver']!r}"
        )
    system = op.system()
    dim = system.L.shape[0]
    clock = 2 ** len(op.layout.clock_wires)
    check_memory(
        16 * 8 * clock * dim + 16 * 4 * dim * dim,
        f"the native HHL solver state ({4 * clock * dim} amplitudes, a {2 * dim}-dimensional "
        "dense eigendecomposition)",
        "Lower the level, the steps or clock_qubits.",
    )
    state = np.zeros((2, clock, 2 * dim, 1), dtype=np.complex128)
    state[0, 0, :dim, 0] = system.B / np.linalg.norm(system.B)
    return apply_hhl(op.hhl_operator(), state).reshape(-1)


@dataclass(frozen=True)
class IdealSolution:
    """The ideal solver's output without a state vector (exact Euler solve, exact 1/x).

    Attributes
    ----------
    euler : EulerSolution
        Forward substitution of the core (``u_final``, ``norm_Y``, ``q``...).
    state : ndarray, shape (s,)
        :math:`u_m/\\|u_m\\|`, the system register on the success branch.
    flag_probability : float
        Probability of :math:`|0\\rangle_r|0\\rangle_a` with an exact polynomial
        :math:`\\text{scale}/(\\kappa x)`: :math:`(\\text{scale}\\,\\alpha/\\kappa)^2
        \\|L^{-1}B\\|^2/\\|B\\|^2` (for HHL, of ``anc = 1``, clock 0, ``d = 1`` with exact
        eigenvalues: scale 1, as :math:`C = 1/\\kappa`).
    subset_probability : float
        Probability of the time and level part of the success event given the flag:
        :math:`(m + p + 1 - K/2)\\|u_m\\|^2/\\|Y\\|^2`.
    """

    euler: EulerSolution
    state: np.ndarray
    flag_probability: float
    subset_probability: float

    @property
    def success_probability(self) -> float:
        """Probability of the whole success event."""
        return self.flag_probability * self.subset_probability


def _alpha_kappa(op: GradientFlowSolver) -> tuple[float, float]:
    """:math:`\\alpha, \\kappa` of ``op``; without forming :math:`L` for windows past
    :data:`SPARSE_SIGMA_LIMIT` rows (Lemma 3 with :math:`\\|L\\| \\ge \\sqrt{1 + \\|I + hA\\|^2}`)."""
    hp = op.hyperparameters
    m, p, level = hp["steps"], hp["idle"], hp["level"]
    problem = op.problem
    rows = (m + p + 1) * carleman_dimension(problem.size, level)
    if rows <= SPARSE_SIGMA_LIMIT:
        system = op.system()
        return system.alpha, system.kappa
    if hp["alpha"] == "norm" or hp["kappa"] == "exact":
        raise ValueError(
            f"alpha='norm' and kappa='exact' need L itself; the window has {rows} rows (limit "
            f"{SPARSE_SIGMA_LIMIT}): use alpha='bound' and kappa='bound' or numbers"
        )
    step_norm = _step_matrix_norm(problem, level, hp["T"], m)
    alpha = hp["alpha"]
    alpha = ALPHA_MARGIN * (1.0 + max(1.0, step_norm * (1.0 + 1e-9))) if alpha == "bound" else alpha
    kappa = hp["kappa"]
    if isinstance(kappa, str):
        kappa = _lemma3_kappa(alpha, m, p, step_norm)
    return float(alpha), float(kappa)


def _rhs_norm(problem: PolynomialODE, level: int, T: float, steps: int) -> float:
    """:math:`\\|B\\| = (\\|y_{\\rm in}\\|^2 + h^2 \\sum_k \\|F_0(t_{k-1})\\|^2)^{1/2}`."""
    h = T / steps
    forcing = np.array([problem.forcing(t) for t in step_times(T, steps)])
    lifted = sum(float(np.dot(problem.u_in, problem.u_in)) ** j for j in range(1, level + 1))
    return float(np.sqrt(lifted + h * h * np.sum(forcing**2)))


def ideal_solution(op: GradientFlowSolver, scale: float | None = None) -> IdealSolution:
    """Exact solve of the Euler system by forward substitution (``core.euler.solve_euler``).

    Needs no state vector and, past :data:`SPARSE_SIGMA_LIMIT` rows, not even :math:`L`: usable
    for windows far beyond simulation.

    Parameters
    ----------
    op : GradientFlowSolver
    scale : float, optional
        Polynomial scale for the flag probability; default that of ``inverse_polynomial``
        for the op's :math:`\\kappa` and precision (1 for HHL).
    """
    hp = op.hyperparameters
    layout = op.layout
    problem = op.problem
    sol = solve_euler(problem, hp["level"], hp["T"], hp["steps"], hp["idle"])
    alpha, kappa = _alpha_kappa(op)
    if scale is None and hp["solver"] == "hhl":
        scale = 1.0
    elif scale is None:
        scale = inverse_polynomial(kappa, hp["precision"], hp["scale"]).scale
    norm_B = _rhs_norm(problem, hp["level"], hp["T"], hp["steps"])
    flag = (scale * alpha / kappa * sol.norm_Y / norm_B) ** 2
    u2 = float(sol.u_final @ sol.u_final)
    count = len(layout.success_slots)
    subset = count * u2 / sol.norm_Y**2 if sol.norm_Y > 0 else 0.0
    u_norm = np.sqrt(u2)
    state = sol.u_final / u_norm if u_norm > 0 else sol.u_final
    return IdealSolution(sol, state, min(flag, 1.0), subset)


def ideal_solver_state(op: GradientFlowSolver) -> np.ndarray:
    """State of the ideal model over ``op.wires``: the exact normalised history :math:`\\hat Y`.

    :math:`|0\\rangle_r\\,[\\,c\\,|0\\rangle_a + \\sqrt{1-c^2}\\,|1\\rangle_a\\,]\\,|\\hat Y\\rangle` with
    :math:`c^2` the flag probability of :func:`ideal_solution` (an exact 1/x polynomial, no
    imaginary part). The failure branch carries :math:`\\hat Y` too: only post-selected outcomes
    of the ideal level are meaningful. For ``solver="hhl"``: :math:`c\\,|1\\rangle_{anc}|0\\rangle
    |1\\rangle_d|\\hat Y\\rangle + \\sqrt{1-c^2}\\,|0\\rangle_{anc}|0\\rangle|1\\rangle_d|\\hat Y\\rangle`.
    """
    hp = op.hyperparameters
    layout = op.layout
    sol = solve_euler(op.problem, hp["level"], hp["T"], hp["steps"], hp["idle"], store_history=True)
    dim = layout.time_slots * layout.carleman_slots
    check_memory(16 * 4 * dim, f"the ideal solver state ({4 * dim} amplitudes)", "")
    y = np.zeros(dim)
    y[layout.register_index()] = sol.history.reshape(-1) / sol.norm_Y
    c = np.sqrt(ideal_solution(op).flag_probability)
    if hp["solver"] == "hhl":
        clock = 2 ** len(layout.clock_wires)
        out = np.zeros((2, clock, 2, dim), dtype=np.complex128)
        out[1, 0, 1] = c * y
        out[0, 0, 1] = np.sqrt(max(1.0 - c * c, 0.0)) * y
        return out.reshape(-1)
    out = np.zeros(4 * dim, dtype=np.complex128)
    out[:dim] = c * y
    out[dim : 2 * dim] = np.sqrt(max(1.0 - c * c, 0.0)) * y
    return out


# ----------------------------------------------------------------------------------------------
# Metadata


@dataclass(frozen=True)
class SolverInfo:
    """What a :class:`GradientFlowSolver` does, computed classically.

    Attributes
    ----------
    layout : SolverLayout
    success_condition : dict
        Wire -> value of the success event.
    alpha, norm, kappa : float
        Subnormalisation, :math:`\\|L\\|_2`, condition number used by the polynomial.
    kappa_source : str
    kappa_bound : float
        Lemma 3's :math:`3(m+p+1)`.
    degree : int
        Polynomial degree = block-encoding calls (0 for HHL).
    scale, polynomial_error : float
        :math:`P \\approx \\text{scale}/(\\kappa x)` within ``polynomial_error``. For HHL: scale
        1 and the largest :math:`|g(\\lambda) - C/\\lambda|` of the clock's filter
        (:func:`~.hhl_solver.fejer_filter`) over the spectrum of the dilation.
    success_probability : float
        Exact probability of the success event for the circuit (polynomial included).
    ideal_success_probability : float
        The same with an exact inverse (:func:`ideal_solution`).
    rounds : int
        Recommended amplitude-amplification rounds for ``success_probability``.
    amplified_probability : float
        :math:`\\sin^2((2k+1)\\theta)` after ``rounds``.
    output_state : ndarray, shape (s,)
        The normalised system register on the success branch (from the circuit's map).
    ideal_state : ndarray, shape (s,)
        :math:`u_m/\\|u_m\\|` from the exact Euler solve.
    resources : TemplateResources
    """

    layout: SolverLayout
    success_condition: dict
    alpha: float
    norm: float
    kappa: float
    kappa_source: str
    kappa_bound: float
    degree: int
    scale: float
    polynomial_error: float
    success_probability: float
    ideal_success_probability: float
    rounds: int
    amplified_probability: float
    output_state: np.ndarray = field(repr=False)
    ideal_state: np.ndarray = field(repr=False)
    resources: TemplateResources = field(repr=False)


def success_branch(op: GradientFlowSolver, state: np.ndarray) -> tuple[np.ndarray, float]:
    """Probability of the success event in ``state`` (over ``op.wires``) and the system register.

    Returns
    -------
    system_state : ndarray, shape (s,)
        The level-1 amplitudes of the success slots, summed coherently over the slots and
        normalised (all slots hold the same vector; the sum removes the time register).
    probability : float
    """
    layout = op.layout
    dim = layout.time_slots * layout.carleman_slots
    if layout.solver == "hhl":
        block = np.asarray(state).reshape(2, -1, 2, dim)[1, 0, 1]  # anc = 1, clock 0, d = 1
    else:
        block = np.asarray(state)[:dim]  # r = 0, a = 0
    grid = block.reshape(layout.time_slots, layout.carleman_slots)
    good = grid[layout.time_slots // 2 :, : layout.padded_size]
    prob = float(np.sum(np.abs(good) ** 2))
    vec = good.sum(axis=0)[: layout.size]
    norm = np.linalg.norm(vec)
    return (vec / norm if norm > 0 else vec), prob


def solver_info(op: GradientFlowSolver) -> SolverInfo:
    """Compute :class:`SolverInfo` for ``op`` (uses :func:`solver_state`: one native solve)."""
    system = op.system()
    layout = system.layout
    if op.hyperparameters["solver"] == "hhl":
        hhl = op.hhl_operator()
        lam = np.linalg.svd(system.L.toarray() / system.alpha, compute_uv=False)
        filtered = fejer_filter(lam, hhl.num_clock, hhl.t0, hhl.C)
        degree, scale, error = 0, 1.0, float(np.max(np.abs(filtered - hhl.C / lam)))
    else:
        angles = op.inverse_angles()
        degree, scale, error = angles.degree, angles.scale, angles.polynomial.target_error
    state = solver_state(op)
    output, prob = success_branch(op, state)
    ideal = ideal_solution(op, scale=scale)
    rounds = amplification_rounds(prob) if prob > 0 else 0
    return SolverInfo(
        layout=layout,
        success_condition=layout.success_condition,
        alpha=system.alpha,
        norm=system.norm,
        kappa=system.kappa,
        kappa_source=system.kappa_source,
        kappa_bound=condition_number_bound(layout.steps, layout.idle),
        degree=degree,
        scale=scale,
        polynomial_error=error,
        success_probability=prob,
        ideal_success_probability=ideal.success_probability,
        rounds=rounds,
        amplified_probability=amplified_probability(prob, rounds) if prob > 0 else 0.0,
        output_state=output,
        ideal_state=ideal.state,
        resources=op.resources(),
    )


def solver_oracle(op: GradientFlowSolver) -> qml.FlipSign:
    """The success oracle of ``op`` (:func:`~.amplification.success_oracle`)."""
    return success_oracle(op.layout.success_condition)


__all__ = [
    "DEFAULT_CLOCK_QUBITS",
    "DEFAULT_PRECISION",
    "GradientFlowSolver",
    "IdealSolution",
    "SolverInfo",
    "SolverLayout",
    "SolverSystem",
    "default_idle",
    "euler_steps_for_tolerance",
    "ideal_solution",
    "ideal_solver_state",
    "register_sizes",
    "required_wires",
    "solver_info",
    "solver_layout",
    "solver_oracle",
    "hhl_solver_state",
    "solver_state",
    "success_branch",
]
