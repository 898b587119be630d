"""The gradient-flow solver on the structured block encoding of the Euler–Carleman matrix.

:class:`StructuredFlowSolver` is :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver`'s
QSVT inversion with the dense dilation of :math:`L` replaced by the polylogarithmic LCU encoding
:class:`~.StructuredEulerEncoding` (subnormalisation :math:`\\lambda`): it prepares
:math:`|B\\rangle = B/\\|B\\|` (PNAS, arXiv:2011.03185, equations (4.8)-(4.10), constant forcing)
on the system register and applies the real part of a QSVT singular-value inversion
(Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Corollary 18) to it. On the branch

* ``r = 0`` (real part), ``flag = 0``, every encoding ancilla 0 (the block),

the system register holds :math:`\\operatorname{Re}P^{(SV)}(L^\\dagger/\\lambda)|B\\rangle \\approx
(\\text{scale}\\,\\lambda/\\kappa)\\, L^{-1}B/\\|B\\|` with :math:`P \\approx \\text{scale}/(\\kappa x)`
on :math:`[1/\\kappa, 1]` (:func:`~.qsvt_solver.inverse_angles`). The success event adds

* time register in ``m .. m+p`` (the last Euler block and the idle copies, all holding
  :math:`y_m`), level register 0 (Carleman level 1), factors ``2..N`` zero,

and factor 1's first ``s`` amplitudes are then :math:`\\propto u_m \\approx u(T)` (Theorem 1 of
arXiv:2011.03185). Its probability is, up to the polynomial error,
:math:`(\\text{scale}\\,\\lambda/\\kappa)^2 (p+1)\\|u_m\\|^2/\\|B\\|^2`.

Projector phases. The QSVT projector is :math:`\\Pi` = "all encoding ancillas 0" (the ancillas come
first, so it is the first :math:`2^{n_{\\rm sys}}` states: ``qml.PCPhase``'s projector). Each phase
:math:`e^{i\\phi(2\\Pi - I)}` of ``qml.QSVT`` becomes :math:`e^{i\\phi(2\\Pi - I)Z_r}`: a
multi-controlled X (control values all 0) computes :math:`\\Pi` into ``flag``, ``MultiRZ(2 phi)`` on
``[flag, r]`` applies :math:`e^{-i\\phi Z_{\\rm flag} Z_r}` (``flag = 1`` on :math:`\\Pi`, so ``r = 0``
gets :math:`+\\phi` on :math:`\\Pi` as in :class:`~.QSVTInverse`), and the same multi-controlled X
uncomputes ``flag``. Between Hadamards on ``r`` the two branches run the phases :math:`\\pm\\phi`
with the same encoding calls, so ``r = 0`` holds the average of the two complex-conjugate blocks,
the real part (DESIGN.md section 6, trap 2).

Wire layout (``wires`` in this order)::

    r | flag | index | time_flag | level_flag | f_ancilla | time | level | N factors of b qubits

the last seven registers being :class:`~.StructuredEulerEncoding`'s
(:func:`~.structured_block_encoding.structured_layout`). No native kernel of its own: at
``qsgd.sim``'s native level the decomposition runs, with the encoding's kernel
(:mod:`pennylane_qsgd.device.kernels_structured`) and standard gates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits._data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.linear_maps import smallest_singular_value
from pennylane_qsgd.circuits.qsvt_solver import InverseAngles, inverse_angles
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.circuits.solver import _lemma3_kappa, _step_matrix_norm, _warn_lemma3
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.circuits.structured_block_encoding import (
    StructuredEulerEncoding,
    StructuredLayout,
    check_structured_problem,
    dyadic_blocks,
    encoding_weights,
    structured_embedding,
    structured_layout,
)
from pennylane_qsgd.core.carleman import as_count, carleman_dimension, lift
from pennylane_qsgd.core.euler import euler_system
from pennylane_qsgd.core.problem import PolynomialODE

DEFAULT_PRECISION = 1e-4
"""Default relative accuracy of the 1/x polynomial."""

EXACT_KAPPA_LIMIT = 4096
"""Largest Euler system (rows) for which ``kappa=None`` measures :math:`\\sigma_{\\min}(L)`."""

DENSE_SVD_LIMIT = 256
"""Largest Euler system whose :math:`\\sigma_{\\min}` comes from a dense SVD (else ARPACK)."""

KAPPA_SLACK = 1e-6
"""Relative slack on a measured :math:`\\kappa`, for the rounding of the singular-value solver."""

ANCILLA_REGISTERS = ("index", "time_flag", "level_flag", "f_ancilla")
"""Registers of the encoding that are 0 on its block."""


# ----------------------------------------------------------------------------------------------
# Layout and success event


@dataclass(frozen=True)
class StructuredSolverLayout:
    """Which wires of a :class:`StructuredFlowSolver` hold which register.

    Attributes
    ----------
    real_part_wire, flag_wire : wire label
        ``r`` (real-part LCU) and ``flag`` (holds "all encoding ancillas 0" during a phase).
    encoding : StructuredLayout
        Register sizes of the encoding.
    registers : dict[str, Wires]
        The encoding's registers (``index`` ... ``factors``) on this operation's wires.
    """

    real_part_wire: object
    flag_wire: object
    encoding: StructuredLayout
    registers: dict

    @property
    def wires(self) -> Wires:
        """All wires in the operation's order."""
        return Wires([self.real_part_wire, self.flag_wire]) + self.encoding_wires

    @property
    def encoding_wires(self) -> Wires:
        """The wires of the :class:`~.StructuredEulerEncoding`."""
        return sum((self.registers[name] for name in self.registers), Wires([]))

    @property
    def ancilla_wires(self) -> Wires:
        """Encoding ancillas (0 on the block): index, time flag, level flag, dilation ancilla."""
        return sum((self.registers[name] for name in ANCILLA_REGISTERS), Wires([]))

    @property
    def system_wires(self) -> Wires:
        """Time, level and factor wires: where :math:`|B\\rangle` lives and :math:`L` acts."""
        return self.registers["time"] + self.registers["level"] + self.registers["factors"]

    @property
    def output_wires(self) -> Wires:
        """Factor 1 (``b`` wires): :math:`u(T)/\\|u(T)\\|` in its first ``s`` amplitudes."""
        return self.registers["factors"][: self.encoding.factor_bits]

    @property
    def success_slots(self) -> range:
        """Time-register values of the success event, ``m .. m+p``."""
        return range(self.encoding.steps, self.encoding.steps + self.encoding.idle + 1)

    def success_conditions(self) -> list[dict]:
        """The success event as disjoint wire -> value conditions (their union).

        Each holds ``r = 0``, ``flag = 0``, every encoding ancilla 0, the level register 0, factors
        ``2..N`` zero, and the top bits of the time register of one aligned block of
        ``m .. m+p`` (:func:`~.structured_block_encoding.dyadic_blocks`). The padded coordinates
        ``>= s`` of factor 1 carry no amplitude, so they need no condition.
        """
        b = self.encoding.factor_bits
        fixed = {self.real_part_wire: 0, self.flag_wire: 0}
        fixed.update({w: 0 for w in self.ancilla_wires})
        fixed.update({w: 0 for w in self.registers["level"]})
        fixed.update({w: 0 for w in self.registers["factors"][b:]})
        time = self.registers["time"]
        out = []
        for prefix, length in dyadic_blocks(
            self.success_slots.start, self.success_slots.stop, len(time)
        ):
            cond = dict(fixed)
            for q in range(length):
                cond[time[q]] = (prefix >> (length - 1 - q)) & 1
            out.append(cond)
        return out

    def success_block(self, state: np.ndarray) -> np.ndarray:
        """Amplitudes of the success event, shape (p + 1, s): time slot ``m + i``, coordinate.

        Parameters
        ----------
        state : ndarray, shape (2**len(wires),)
            Big-endian over :attr:`wires`, in this order.
        """
        lay = self.encoding
        w = lay.widths
        state = np.asarray(state)
        if state.shape != (2 ** len(self.wires),):
            raise ValueError(
                f"state must be a flat vector of 2**{len(self.wires)} amplitudes over the "
                f"operation's wires; got shape {state.shape}"
            )
        anc = sum(w[name] for name in ANCILLA_REGISTERS)
        b = lay.factor_bits
        rest = w["factors"] - b
        grid = state.reshape(2, 2, 2**anc, 2 ** w["time"], 2 ** w["level"], 2**b, 2**rest)
        slots = self.success_slots
        return grid[0, 0, 0, slots.start : slots.stop, 0, : lay.size, 0]


def structured_solver_wires(size: int, level: int, steps: int, idle: int | None = None) -> int:
    """Number of wires of a :class:`StructuredFlowSolver`: the encoding's plus ``r`` and ``flag``."""
    return 2 + structured_layout(size, level, steps, idle).num_wires


def structured_solver_layout(
    size: int, level: int, steps: int, idle: int | None, wires: object
) -> StructuredSolverLayout:
    """Assign ``wires`` to ``r, flag`` and the encoding's registers (module docstring)."""
    lay = structured_layout(size, level, steps, idle)
    wires = Wires(wires)
    if len(wires) != 2 + lay.num_wires:
        raise ValueError(
            f"wires must hold {2 + lay.num_wires} wires (r, flag and the encoding's registers "
            f"{lay.widths}) for s = {lay.size}, level {lay.level}, steps {lay.steps}, idle "
            f"{lay.idle}; got {len(wires)}: {wires.tolist()}"
        )
    return StructuredSolverLayout(wires[0], wires[1], lay, lay.split(wires[2:]))


def structured_success_branch(
    op: StructuredFlowSolver, state: np.ndarray
) -> tuple[np.ndarray, float]:
    """Post-selected output of ``op`` from its final ``state`` (over ``op.wires``, big-endian).

    Returns
    -------
    u_hat : ndarray of complex, shape (s,)
        The factor-1 amplitudes of the success event summed coherently over the time slots
        ``m .. m+p`` (they all hold :math:`y_m`; the sum removes the time register), normalised:
        the estimate of :math:`u(T)/\\|u(T)\\|` (imaginary part zero up to rounding).
    probability : float
        Probability of the success event (:meth:`StructuredSolverLayout.success_conditions`).
    """
    good = op.layout.success_block(state)
    prob = float(np.sum(np.abs(good) ** 2))
    vec = good.sum(axis=0)
    norm = np.linalg.norm(vec)
    return (vec / norm if norm > 0 else vec), prob


# ----------------------------------------------------------------------------------------------
# Right-hand side and condition number


def embedded_rhs(problem: PolynomialODE, T: float, level: int, steps: int, idle: int | None):
    """:math:`B` of :func:`~pennylane_qsgd.core.euler.euler_system` on the system register.

    Built without forming :math:`L`: :math:`y_{\\rm in} = [u_{\\rm in}; u_{\\rm in}^{\\otimes 2};
    \\dots]` at time 0 and :math:`hF_0` at times ``1..m`` (level 1), placed by
    :func:`~.structured_block_encoding.structured_embedding`.

    Returns
    -------
    ndarray, shape (2**n_sys,)
        Not normalised; ``n_sys`` = time, level and factor wires.
    """
    lay = structured_layout(problem.size, level, steps, idle)
    s, m = problem.size, lay.steps
    dim = carleman_dimension(s, lay.level)
    blocks = np.zeros((m + lay.idle + 1, dim))
    blocks[0] = lift(problem.u_in, lay.level)
    blocks[1 : m + 1, :s] = (T / m) * problem.F0[0]
    rhs = np.zeros(2**lay.system_wires)
    rhs[structured_embedding(s, lay.level, lay.steps, lay.idle)] = blocks.reshape(-1)
    return rhs


def encoding_alpha(problem: PolynomialODE, T: float, level: int, steps: int, idle: int | None):
    """:math:`\\lambda` of the :class:`~.StructuredEulerEncoding` of these settings."""
    lay = structured_layout(problem.size, level, steps, idle)
    F1, F2 = problem.F1.toarray(), problem.F2.toarray()
    return float(np.sum(encoding_weights(lay, problem.F0[0], F1, F2, float(T))))


def structured_kappa(
    problem: PolynomialODE,
    T: float,
    level: int,
    steps: int,
    idle: int | None,
    mode: str | None = None,
) -> tuple[float, str]:
    """Condition number :math:`\\kappa` of :math:`L/\\lambda` for the 1/x polynomial.

    Parameters
    ----------
    mode : {None, "exact", "bound"}
        ``"exact"``: :math:`\\lambda/\\sigma_{\\min}(L)\\,(1 + 10^{-6})` (dense SVD up to
        :data:`DENSE_SVD_LIMIT` rows, else ARPACK on :math:`L^{-1}`). ``"bound"``: Lemma 3 of
        arXiv:2011.03185, :math:`\\kappa(L) \\le 3(m+p+1)`, with
        :math:`\\sigma_{\\max}(L) \\ge \\sqrt{1 + \\|I + hA\\|^2}` (the column of :math:`L` through
        the top right singular vector of :math:`I + hA`), so
        :math:`\\kappa = \\lambda\\, 3(m+p+1)/\\sqrt{1 + \\|I + hA\\|^2}`; valid when
        :math:`\\|I + hA\\| \\le 1` (warns otherwise). ``None``: ``"exact"`` up to
        :data:`EXACT_KAPPA_LIMIT` rows, else ``"bound"``.

    Returns
    -------
    kappa : float
    source : str
        ``"exact"`` or ``"bound"``.
    """
    lay = structured_layout(problem.size, level, steps, idle)
    m, p, N = lay.steps, lay.idle, lay.level
    alpha = encoding_alpha(problem, T, N, m, p)
    rows = (m + p + 1) * carleman_dimension(problem.size, N)
    if mode is None:
        mode = "exact" if rows <= EXACT_KAPPA_LIMIT else "bound"
    if mode == "exact":
        L, _ = euler_system(problem, N, T, m, p)
        if rows <= DENSE_SVD_LIMIT:
            sigma_min = float(np.linalg.svd(L.toarray(), compute_uv=False)[-1])
        else:
            sigma_min = smallest_singular_value(L)
        return alpha / sigma_min * (1.0 + KAPPA_SLACK), "exact"
    if mode != "bound":
        raise ValueError(f"kappa must be None, 'exact', 'bound' or a number > 1; got {mode!r}")
    step_norm = _step_matrix_norm(problem, N, T, m)
    _warn_lemma3(step_norm, stacklevel=3)
    return _lemma3_kappa(alpha, m, p, step_norm), "bound"


# ----------------------------------------------------------------------------------------------
# The template


class StructuredFlowSolver(FullDataHashMixin, Operation):
    """Gradient-flow solver: :math:`|B\\rangle`, then real-part QSVT inversion of the structured
    block encoding of the Euler–Carleman matrix :math:`L` (module docstring).

    Parameters
    ----------
    problem : PolynomialODE
        :math:`du/dt = F_0 + F_1 u + F_2 (u \\otimes u)`, :math:`u(0) = u_{\\rm in}`; constant
        forcing only.
    T : float
        Evolution time; :math:`h = T/m`.
    level : int
        Carleman truncation level ``N``.
    steps : int
        Euler steps ``m``.
    idle : int, optional
        Idle steps ``p``; default ``m``.
    precision : float
        Relative accuracy of the 1/x polynomial, in (0, 1).
    kappa : float or {None, "exact", "bound"}
        Condition number of :math:`L/\\lambda` for the polynomial (:func:`structured_kappa`):
        ``None`` measures :math:`\\lambda/\\sigma_{\\min}(L)` up to :data:`EXACT_KAPPA_LIMIT` rows
        and uses Lemma 3's bound beyond; a number ``> 1`` is used as given.
    wires : sequence
        :func:`structured_solver_wires` wires: ``r, flag``, then the encoding's registers.

    Raises
    ------
    ValueError
        For a piecewise forcing, a bad ``precision`` or ``kappa``, or a wrong number of wires.

    Notes
    -----
    ``op.data`` holds ``F0`` (s,), ``F1`` (s, s), ``F2`` (s, s^2), ``u_in`` (s,), ``T`` and the
    QSVT phases (d + 1,); the hyperparameters are scalars (``level``, ``steps``, ``idle``,
    ``precision``, ``kappa`` and its source).

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.05], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    >>> n = structured_solver_wires(1, level=2, steps=2)
    >>> op = StructuredFlowSolver(problem, 0.5, 2, 2, precision=1e-2, wires=range(n))
    >>> op.resources().block_encoding_calls == op.degree
    True
    """

    grad_method = None
    num_params = 6
    ndim_params = (1, 2, 2, 1, 0, 1)
    resource_keys = {"size", "level", "steps", "idle", "degree"}

    def __init__(
        self,
        problem: PolynomialODE,
        T: float,
        level: int,
        steps: int,
        idle: int | None = None,
        precision: float = DEFAULT_PRECISION,
        kappa: float | str | None = None,
        wires: object = None,
        id=None,
    ) -> None:
        check_structured_problem(problem, T, "the structured solver")
        if (
            isinstance(precision, bool)
            or not np.isscalar(precision)
            or not np.isfinite(precision)
            or not 0 < precision < 1
        ):
            raise ValueError(f"precision must lie in (0, 1); got {precision!r}")
        level = as_count(level, "level")
        steps = as_count(steps, "steps")
        idle = steps if idle is None else as_count(idle, "idle", minimum=0)
        if wires is None:
            n = structured_solver_wires(problem.size, level, steps, idle)
            raise ValueError(f"wires are required: {n} wires (r, flag, the encoding's registers)")
        layout = structured_solver_layout(problem.size, level, steps, idle, wires)
        if kappa is None or isinstance(kappa, str):
            kappa_value, source = structured_kappa(problem, float(T), level, steps, idle, kappa)
        else:
            if isinstance(kappa, bool) or not np.isscalar(kappa):
                raise ValueError(
                    f"kappa must be None, 'exact', 'bound' or a number > 1; got {kappa!r}"
                )
            kappa_value, source = float(kappa), "given"
            if not np.isfinite(kappa_value) or kappa_value <= 1:
                raise ValueError(f"kappa must be a finite number > 1; got {kappa!r}")
        angles = inverse_angles(kappa_value, float(precision))
        self._hyperparameters = {
            "level": level,
            "steps": steps,
            "idle": idle,
            "precision": float(precision),
            "kappa": float(kappa_value),
            "kappa_source": source,
        }
        super().__init__(
            problem.F0[0].copy(),
            problem.F1.toarray(),
            problem.F2.toarray(),
            problem.u_in.copy(),
            float(T),
            np.array(angles.angles, dtype=np.float64),
            wires=layout.wires,
            id=id,
        )

    # -- accessors -----------------------------------------------------------------------------

    @property
    def problem(self) -> PolynomialODE:
        """The ODE, rebuilt from ``op.data``."""
        F0, F1, F2, u_in = (np.asarray(x, dtype=np.float64) for x in self.data[:4])
        return PolynomialODE(F0=F0, F1=F1, F2=F2, u_in=u_in)

    @property
    def T(self) -> float:
        """Evolution time."""
        return float(self.data[4])

    @property
    def angles(self) -> np.ndarray:
        """The ``qml.QSVT`` projector phases, shape (d + 1,)."""
        return np.asarray(self.data[5], dtype=np.float64)

    @property
    def degree(self) -> int:
        """Polynomial degree ``d`` = calls to the encoding (or its adjoint)."""
        return len(self.data[5]) - 1

    @property
    def kappa(self) -> float:
        """Condition number the polynomial inverts."""
        return float(self.hyperparameters["kappa"])

    @property
    def layout(self) -> StructuredSolverLayout:
        """Register layout of the operation's wires."""
        hp = self.hyperparameters
        return structured_solver_layout(
            np.shape(self.data[1])[0], hp["level"], hp["steps"], hp["idle"], self.wires
        )

    def encoding(self) -> StructuredEulerEncoding:
        """The :class:`~.StructuredEulerEncoding` on the encoding's wires (not queued)."""
        hp = self.hyperparameters
        with qml.QueuingManager.stop_recording():
            return StructuredEulerEncoding(
                self.problem,
                self.T,
                hp["level"],
                hp["steps"],
                hp["idle"],
                wires=self.layout.encoding_wires,
            )

    @property
    def alpha(self) -> float:
        """:math:`\\lambda`, the encoding's subnormalisation."""
        hp = self.hyperparameters
        return encoding_alpha(self.problem, self.T, hp["level"], hp["steps"], hp["idle"])

    def inverse_angles(self) -> InverseAngles:
        """The 1/x polynomial and its phases (cached by ``inverse_angles``)."""
        hp = self.hyperparameters
        return inverse_angles(hp["kappa"], hp["precision"])

    def rhs(self) -> np.ndarray:
        """:func:`embedded_rhs`: :math:`B` on the system register, not normalised."""
        hp = self.hyperparameters
        return embedded_rhs(self.problem, self.T, hp["level"], hp["steps"], hp["idle"])

    @property
    def resource_params(self) -> dict:
        hp = self.hyperparameters
        return {
            "size": int(np.shape(self.data[1])[0]),
            "level": hp["level"],
            "steps": hp["steps"],
            "idle": hp["idle"],
            "degree": self.degree,
        }

    # -- decomposition -------------------------------------------------------------------------

    @staticmethod
    def compute_decomposition(*data, wires: Wires, **hyperparameters) -> list:
        """:class:`~.NormalizedStatePrep` of :math:`B` on the system wires, ``H_r``, then
        projector phases (MCX, ``MultiRZ(2 phi)`` on ``[flag, r]``, MCX) alternating with
        :math:`U^\\dagger, U, U^\\dagger, \\dots` (``qml.QSVT``'s order with :math:`U_A = U^\\dagger`
        for the encoding :math:`U` of :math:`L/\\lambda`), ``H_r``."""
        F0, F1, F2, u_in = (np.asarray(x, dtype=np.float64) for x in data[:4])
        T = float(data[4])
        angles = np.asarray(data[5], dtype=np.float64)
        hp = hyperparameters
        level, steps, idle = hp["level"], hp["steps"], hp["idle"]
        problem = PolynomialODE(F0=F0, F1=F1, F2=F2, u_in=u_in)
        layout = structured_solver_layout(F1.shape[0], level, steps, idle, wires)
        r, flag = layout.real_part_wire, layout.flag_wire
        controls = list(layout.ancilla_wires)
        with qml.QueuingManager.stop_recording():
            forward = StructuredEulerEncoding(
                problem, T, level, steps, idle, wires=layout.encoding_wires
            )
            backward = qml.adjoint(forward)

            def phase(phi: float) -> list:
                mcx = qml.MultiControlledX(
                    wires=controls + [flag], control_values=[0] * len(controls)
                )
                return [mcx, qml.MultiRZ(2.0 * phi, wires=[flag, r]), mcx]

            ops = [
                NormalizedStatePrep(
                    embedded_rhs(problem, T, level, steps, idle), wires=layout.system_wires
                ),
                qml.Hadamard(r),
                *phase(angles[0]),
            ]
            for k, phi in enumerate(angles[1:]):
                ops.append(backward if k % 2 == 0 else forward)
                ops.extend(phase(phi))
            ops.append(qml.Hadamard(r))
        return queued(ops)

    def resources(self) -> TemplateResources:
        """State preparation, ``d`` encoding calls, ``2(d+1)`` MCX, ``d+1`` ``MultiRZ(2)``, 2 H."""
        layout = self.layout
        controls = len(layout.ancilla_wires)
        prep = NormalizedStatePrep.prep_resources(len(layout.system_wires))
        d = self.degree
        gates = Counter(prep.gates)
        gates[f"MultiControlledX({controls + 1})"] += 2 * (d + 1)
        gates["MultiRZ(2)"] += d + 1
        gates["Hadamard"] += 2
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=d,
            gates=dict(gates),
            block_encoding=self.encoding().resources(),
            notes=f"real-part QSVT inversion over the structured encoding, kappa = "
            f"{self.kappa:.6g} ({self.hyperparameters['kappa_source']}), lambda = "
            f"{self.alpha:.6g}",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "StructuredFlow"

    def _flatten(self):
        hp = self.hyperparameters
        keys = ("level", "steps", "idle", "precision", "kappa", "kappa_source")
        meta = tuple((k, hp[k]) for k in keys)
        return self.data, (self.wires, meta)

    @classmethod
    def _unflatten(cls, data, metadata):
        F0, F1, F2, u_in, T, _ = data
        problem = PolynomialODE(F0=F0, F1=F1, F2=F2, u_in=u_in)
        meta = dict(metadata[1])
        source = meta.pop("kappa_source")
        op = cls(problem, T, wires=metadata[0], **meta)
        op._hyperparameters["kappa_source"] = source
        return op


__all__ = [
    "DEFAULT_PRECISION",
    "EXACT_KAPPA_LIMIT",
    "StructuredFlowSolver",
    "StructuredSolverLayout",
    "embedded_rhs",
    "encoding_alpha",
    "structured_kappa",
    "structured_solver_layout",
    "structured_solver_wires",
    "structured_success_branch",
]
