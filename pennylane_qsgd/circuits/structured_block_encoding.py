"""Structured (LCU) block encoding of the Euler–Carleman matrix :math:`L` as a circuit.

The forward-Euler matrix of :func:`pennylane_qsgd.core.euler.euler_system` (equations (4.8)-(4.10)
of arXiv:2011.03185, constant forcing) is

.. math::

    L = I - D' \\otimes I - h\\, D_m \\otimes A, \\qquad
    A = \\sum_{i=1}^{N} [\\,j \\ge i\\,] F_1^{(i)}
      + \\sum_{i=1}^{N-1} [\\,j \\ge i\\,] F_2^{(i)}
      + \\sum_{i=1}^{N} [\\,j \\ge i\\,] F_0^{(i)},

with :math:`D' = \\sum_{k=1}^{m+p} |k\\rangle\\langle k-1|`, :math:`D_m = \\sum_{k=1}^{m}
|k\\rangle\\langle k-1|`, and the Kronecker-sum blocks of :mod:`pennylane_qsgd.core.carleman`
regrouped by tensor factor ``i``: :math:`F_1^{(i)}` is :math:`F_1` on factor ``i`` of every
level :math:`j \\ge i`; :math:`F_2^{(i)}` contracts factors ``i, i+1`` of a level ``j+1`` vector
into factor ``i`` (levels :math:`j \\ge i`); :math:`F_0^{(i)}` inserts :math:`F_0` as factor ``i``
of a level ``j`` vector built from level ``j-1`` (:math:`2 \\le j`, :math:`i \\le j`). One LCU
term per factor, not per (level, factor) pair.

Registers (wire order of :class:`StructuredEulerEncoding`, all ancillas first)
------------------------------------------------------------------------------
``index`` (:math:`\\lceil\\log_2 K\\rceil` qubits, ``K`` LCU terms), ``time_flag``, ``level_flag``,
``f_ancilla`` (the ancilla of the small :class:`~.DenseBlockEncoding` of :math:`F_0, F_1, F_2`),
``time`` (:math:`t = \\lceil\\log_2(m+p+1)\\rceil`), ``level`` (:math:`\\lceil\\log_2 N\\rceil`,
holding ``j - 1``), then ``N`` factors of :math:`b = \\max(1, \\lceil\\log_2 s\\rceil)` qubits.
Level ``j``'s vector (``np.kron`` order) sits in factors ``1..j``, factors ``j+1..N`` in
:math:`|0\\rangle` (:func:`structured_embedding`). The valid subspace: time :math:`< m+p+1`,
level :math:`< N`, unused factors zero, padded coordinates (:math:`\\ge s`) zero.

Terms (each a unitary; a flag is flipped where the term must vanish), in index order
------------------------------------------------------------------------------------
* identity, weight 1: :math:`I`.
* shift, weight 1: time increment; time flag if :math:`k \\ge m+p`.
* ``F1, i`` (``i = 1..N``), weight :math:`h\\alpha_1`: the :math:`F_1` encoding on factor ``i``;
  level flag unless :math:`i-1 \\le j-1 < N`; time increment, time flag if :math:`k \\ge m`.
* ``F2, i`` (``i = 1..N-1``), weight :math:`h\\alpha_2`: the :math:`F_2` encoding on factors
  ``i, i+1`` (result in ``i``, factor ``i+1`` left in :math:`|0\\rangle`); cyclic shift of factors
  ``i+1..N`` down (the emptied factor goes last); level decrement; level flag unless
  :math:`i \\le j-1 < N`; time as for ``F1``.
* ``F0, i`` (``i = 1..N``, only for :math:`N \\ge 2`), weight :math:`h\\alpha_0`: cyclic shift of
  factors ``i..N`` up (the empty last factor comes to ``i``); the :math:`|F_0\\rangle\\langle 0|`
  encoding on factor ``i``; level increment; level flag unless :math:`i-2 \\le j-1 \\le N-2`; time
  as for ``F1``.

:math:`\\alpha_F = (1 + 10^{-6})\\|F\\|_2` for :math:`F = F_1, F_2, F_0` (:data:`DILATION_MARGIN`;
zero matrices are encoded with subnormalisation 1 and weight 0, so the registers depend only on
``(s, N, m, p)``). The non-identity terms carry the sign
``-1``, which is folded into the left preparation:
:math:`U = \\text{PREP}_L^\\dagger\\, \\text{SELECT}\\, \\text{PREP}_R` with
:math:`\\text{PREP}_R|0\\rangle = \\sum_\\ell \\sqrt{w_\\ell/\\lambda}|\\ell\\rangle`,
:math:`\\text{PREP}_L|0\\rangle = \\sum_\\ell \\sigma_\\ell\\sqrt{w_\\ell/\\lambda}|\\ell\\rangle`,
so (Childs–Wiebe LCU; Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Lemma 52)

.. math::

    (\\langle 0|_{\\rm anc} \\otimes I)\\, U\\, (|0\\rangle_{\\rm anc} \\otimes I)
    \\big|_{\\rm valid} = L / \\lambda, \\qquad
    \\lambda = 2 + h\\big(N\\alpha_1 + (N-1)\\alpha_2 + N\\alpha_0\\big) \\ge \\|L\\|_2,

(no :math:`F_0` terms for ``N = 1``, where the forcing is part of ``B`` only), and the block maps the valid subspace into itself and the invalid subspace into itself. The time
conditions and the time increment are shared by all terms (controlled on dyadic intervals of index
values), so one call costs :math:`O(t \\log K)` multi-controlled X gates on the time register,
:math:`O(N^2 b)` controlled SWAPs, :math:`O(N \\log N)` gates on the level register, ``K``
controlled dense encodings of :math:`2^{b+1}` or :math:`2^{2b+1}` entries and two
:math:`\\lceil\\log_2 K\\rceil`-qubit state preparations: polylogarithmic in the dimension
:math:`(m+p+1)\\Delta` for fixed ``N``; doubling ``m + p + 1`` adds one qubit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits._data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding, unitary_dilation
from pennylane_qsgd.circuits.resources import TemplateResources, bits
from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.problem import PolynomialODE

DILATION_MARGIN = 1e-6
"""Relative margin of each small encoding's ``alpha`` over :math:`\\|F\\|_2`: keeps
:math:`\\sqrt{1 - \\sigma^2}` in the dilation well conditioned (at :math:`\\sigma = 1` it amplifies
rounding to ~1e-8), at a relative cost of 1e-6 in :math:`\\lambda`."""

REGISTERS = ("index", "time_flag", "level_flag", "f_ancilla", "time", "level", "factors")
"""Register names in wire order."""


def _value_bits(value: int, width: int) -> list[int]:
    """Big-endian bits of ``value`` on ``width`` bits."""
    return [(value >> (width - 1 - q)) & 1 for q in range(width)]


def dyadic_blocks(lo: int, hi: int, width: int) -> list[tuple[int, int]]:
    """Split the integer interval ``[lo, hi)`` of a ``width``-bit register into aligned blocks.

    Returns
    -------
    list of (prefix, length)
        Each block is the set of values whose top ``length`` bits equal ``prefix``; at most
        ``2 * width`` blocks, so a condition "value in [lo, hi)" costs ``O(width)`` controlled
        gates.
    """
    lo, hi = max(int(lo), 0), min(int(hi), 2**width)
    blocks = []
    while lo < hi:
        size = lo & -lo if lo else 2**width
        while lo + size > hi:
            size //= 2
        free = size.bit_length() - 1
        blocks.append((lo >> free, width - free))
        lo += size
    return blocks


# ----------------------------------------------------------------------------------------------
# The SELECT plan: abstract steps shared by the gate decomposition and the native kernel


@dataclass(frozen=True)
class Flip:
    """X on ``flag`` where ``register`` lies in ``fail`` (intervals), for index values ``index``."""

    flag: str
    register: str
    fail: tuple[tuple[int, int], ...]
    index: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Encode:
    """The dilation of ``kind`` (``"F1"``, ``"F2"``, ``"F0"``) on ``f_ancilla`` and ``factors``."""

    kind: str
    factors: tuple[int, ...]
    index: int


@dataclass(frozen=True)
class Cycle:
    """Cyclic shift of factors ``first..last`` (0-based): ``up`` moves ``last`` to ``first``."""

    first: int
    last: int
    up: bool
    index: int


@dataclass(frozen=True)
class Increment:
    """``register += delta`` (mod its size) for index values in ``index`` (intervals)."""

    register: str
    delta: int
    index: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class StructuredLayout:
    """Register sizes and LCU terms of the structured encoding for ``(s, N, m, p)``.

    Attributes
    ----------
    size, level, steps, idle : int
        ``s``, ``N``, ``m``, ``p``.
    terms : tuple of (kind, i)
        LCU terms in index order: ``("identity", 0)``, ``("shift", 0)``, ``("F1", i)`` for
        ``i = 1..N``, ``("F2", i)`` for ``i = 1..N-1``, ``("F0", i)`` for ``i = 1..N`` (``N >= 2``).
    widths : dict[str, int]
        Qubits per register (:data:`REGISTERS`); ``factors`` is ``N * b``.
    factor_bits : int
        ``b``.
    """

    size: int
    level: int
    steps: int
    idle: int
    terms: tuple[tuple[str, int], ...]
    widths: dict
    factor_bits: int

    @property
    def num_wires(self) -> int:
        """Total wires of the operation."""
        return int(sum(self.widths.values()))

    @property
    def system_wires(self) -> int:
        """Wires of the encoded system: time, level and factors."""
        return self.widths["time"] + self.widths["level"] + self.widths["factors"]

    def split(self, wires: Wires) -> dict[str, Wires]:
        """``wires`` cut into the registers of :data:`REGISTERS`."""
        out, start = {}, 0
        for name in REGISTERS:
            out[name] = Wires(wires[start : start + self.widths[name]])
            start += self.widths[name]
        return out

    def plan(self) -> tuple:
        """The SELECT steps, in application order (module docstring)."""
        N, m, p = self.level, self.steps, self.idle
        K = len(self.terms)
        time_size = 2 ** self.widths["time"]
        level_size = 2 ** self.widths["level"]
        steps: list = [
            Flip("time_flag", "time", ((m + p, time_size),), ((1, 2),)),
            Flip("time_flag", "time", ((m, time_size),), ((2, K),)),
        ]
        for ell, (kind, i) in enumerate(self.terms):
            if kind == "F1":
                lo, hi = i - 1, N
            elif kind == "F2":
                lo, hi = i, N
            elif kind == "F0":
                lo, hi = max(i - 2, 0), N - 1
            else:
                continue
            fail = tuple(iv for iv in ((0, lo), (hi, level_size)) if iv[0] < iv[1])
            if fail:
                steps.append(Flip("level_flag", "level", fail, ((ell, ell + 1),)))
            f = i - 1  # 0-based factor
            if kind == "F1":
                steps.append(Encode("F1", (f,), ell))
            elif kind == "F2":
                steps.append(Encode("F2", (f, f + 1), ell))
                if f + 1 < N - 1:
                    steps.append(Cycle(f + 1, N - 1, False, ell))
                steps.append(Increment("level", -1, ((ell, ell + 1),)))
            else:
                if f < N - 1:
                    steps.append(Cycle(f, N - 1, True, ell))
                steps.append(Encode("F0", (f,), ell))
                steps.append(Increment("level", 1, ((ell, ell + 1),)))
        steps.append(Increment("time", 1, ((1, K),)))
        return tuple(steps)


def structured_layout(
    size: int, level: int, steps: int, idle: int | None = None
) -> StructuredLayout:
    """The :class:`StructuredLayout` of an ``s``-variable problem, level ``N``, ``m, p`` steps.

    ``idle=None`` means ``p = m`` (as in :func:`~pennylane_qsgd.core.euler.euler_system`).
    """
    s = as_count(size, "size")
    N = as_count(level, "level")
    m = as_count(steps, "steps")
    p = m if idle is None else as_count(idle, "idle", minimum=0)
    terms = [("identity", 0), ("shift", 0)]
    terms += [("F1", i) for i in range(1, N + 1)]
    terms += [("F2", i) for i in range(1, N)]
    if N >= 2:
        terms += [("F0", i) for i in range(1, N + 1)]
    b = max(bits(s), 1)
    widths = {
        "index": bits(len(terms)),
        "time_flag": 1,
        "level_flag": 1,
        "f_ancilla": 1,
        "time": max(bits(m + p + 1), 1),
        "level": bits(N),
        "factors": N * b,
    }
    return StructuredLayout(s, N, m, p, tuple(terms), widths, b)


def structured_embedding(size: int, level: int, steps: int, idle: int | None = None) -> np.ndarray:
    """Basis-state indices of the valid subspace, in the order of ``L``'s coordinates.

    Coordinate ``k * Δ + offset_j + a`` of :math:`Y` (time ``k``, level ``j``, multi-index ``a`` of
    :math:`u^{\\otimes j}` in ``np.kron`` order) is the basis state
    :math:`|0\\rangle_{\\rm anc}|k\\rangle_{\\rm time}|j-1\\rangle_{\\rm level}|a_1\\rangle \\cdots
    |a_j\\rangle|0\\rangle \\cdots|0\\rangle` of :class:`StructuredEulerEncoding`'s wires; since the
    ancillas come first, its index is the same in the system register and in the whole register.

    Returns
    -------
    ndarray of int64, shape ((m+p+1) Δ,)
    """
    lay = structured_layout(size, level, steps, idle)
    s, N, b = lay.size, lay.level, lay.factor_bits
    fbits = lay.widths["factors"]
    per_level = []
    for j in range(1, N + 1):
        digits = np.indices((s,) * j).reshape(j, -1).astype(np.int64)
        shifts = np.array([b * (N - q) for q in range(1, j + 1)], dtype=np.int64)
        per_level.append((np.int64(j - 1) << fbits) + (digits << shifts[:, None]).sum(axis=0))
    within = np.concatenate(per_level)
    times = np.arange(lay.steps + lay.idle + 1, dtype=np.int64)
    shift = lay.widths["level"] + fbits
    return ((times[:, None] << shift) + within[None, :]).reshape(-1)


# ----------------------------------------------------------------------------------------------
# The small encoded matrices


def factor_matrices(
    F0: np.ndarray, F1: np.ndarray, F2: np.ndarray, factor_bits: int
) -> dict[str, tuple[np.ndarray, float, float]]:
    """The padded matrices encoded on one or two factors, their ``alpha`` and spectral norm.

    ``F1``: :math:`F_1` padded to :math:`2^b`. ``F2``: :math:`2^{2b}` square with
    ``M[a 2^b, c 2^b + d] = F2[a, c s + d]`` (result in the first factor, second factor left in
    :math:`|0\\rangle`). ``F0``: :math:`|F_0\\rangle\\langle 0|` padded to :math:`2^b`.
    ``alpha = (1 + DILATION_MARGIN) ||M||_2`` (1 for a zero matrix).

    Returns
    -------
    dict kind -> (M, alpha, norm)
    """
    s = F1.shape[0]
    B = 2**factor_bits
    M1 = np.zeros((B, B))
    M1[:s, :s] = F1
    M2 = np.zeros((B, B, B, B))
    M2[:s, 0, :s, :s] = F2.reshape(s, s, s)
    M2 = M2.reshape(B * B, B * B)
    M0 = np.zeros((B, B))
    M0[:s, 0] = F0
    out = {}
    for kind, M in (("F0", M0), ("F1", M1), ("F2", M2)):
        norm = float(np.linalg.norm(M, 2))
        out[kind] = (M, norm * (1.0 + DILATION_MARGIN) if norm > 0 else 1.0, norm)
    return out


def lcu_weights(layout: StructuredLayout, T: float, mats: dict) -> np.ndarray:
    """Weights :math:`w_\\ell` of the terms: 1, 1, then :math:`h\\alpha_F` (0 for a zero ``F``)."""
    h = T / layout.steps
    w = []
    for kind, _ in layout.terms:
        if kind in ("identity", "shift"):
            w.append(1.0)
        else:
            _, alpha, norm = mats[kind]
            w.append(h * alpha if norm > 0 else 0.0)
    return np.asarray(w)


def encoding_weights(
    layout: StructuredLayout, F0: np.ndarray, F1: np.ndarray, F2: np.ndarray, T: float
) -> np.ndarray:
    """:func:`lcu_weights` of the :func:`factor_matrices` of ``F0, F1, F2``; they sum to
    :math:`\\lambda`."""
    return lcu_weights(layout, T, factor_matrices(F0, F1, F2, layout.factor_bits))


# ----------------------------------------------------------------------------------------------
# The operation


def check_structured_problem(problem: object, T: object, what: str) -> None:
    """TypeError/ValueError unless ``problem`` is a constant-forcing ODE and ``T`` a positive time."""
    if not isinstance(problem, PolynomialODE):
        raise TypeError(f"problem must be a PolynomialODE; got {type(problem).__name__}")
    if problem.is_time_dependent:
        raise ValueError(
            f"{what} supports a constant forcing only; problem has {problem.F0.shape[0]} "
            f"forcing pieces (forcing_times {problem.forcing_times.tolist()})"
        )
    if isinstance(T, bool) or not np.isscalar(T) or not np.isfinite(T) or float(T) <= 0:
        raise ValueError(f"T must be a positive finite time; got {T!r}")


class StructuredEulerEncoding(FullDataHashMixin, Operation):
    """Block encoding of the Euler–Carleman matrix :math:`L` by an LCU of structured terms.

    :math:`(\\langle 0|_{\\rm anc} \\otimes I) U (|0\\rangle_{\\rm anc} \\otimes I)` restricted to
    the valid subspace (:func:`structured_embedding`) equals :math:`L/\\lambda` with ``L`` from
    :func:`~pennylane_qsgd.core.euler.euler_system` and :math:`\\lambda` = :attr:`alpha` (module
    docstring). Cost polylogarithmic in the dimension for fixed ``N``; the small matrices
    :math:`F_0, F_1, F_2` are encoded densely on one (two for :math:`F_2`) tensor factors.

    Parameters
    ----------
    problem : PolynomialODE
        Constant forcing only (one row of ``F0``).
    T : float
        Evolution time; :math:`h = T/m`.
    level : int
        Carleman level ``N``.
    steps : int
        Euler steps ``m``.
    idle : int, optional
        Idle steps ``p``; default ``m``.
    wires : sequence
        ``structured_layout(s, N, m, p).num_wires`` wires, registers in the order of
        :data:`REGISTERS`.

    Raises
    ------
    ValueError
        For a piecewise forcing, a wrong number of wires, or a non-positive ``T``.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.1, 0.0], F1=-np.eye(2), F2=np.zeros((2, 4)), u_in=[0.3, 0.1])
    >>> lay = structured_layout(2, level=2, steps=2, idle=1)
    >>> op = StructuredEulerEncoding(problem, 1.0, 2, 2, 1, wires=range(lay.num_wires))
    >>> round(op.alpha, 4)  # 2 + h (1 + 1e-6) (N ||F1|| + N ||F0||), h = 0.5
    3.1
    """

    grad_method = None
    num_params = 4
    ndim_params = (1, 2, 2, 0)
    resource_keys = {"size", "level", "steps", "idle"}

    def __init__(
        self,
        problem: PolynomialODE,
        T: float,
        level: int,
        steps: int,
        idle: int | None = None,
        wires: object = None,
        id=None,
    ) -> None:
        check_structured_problem(problem, T, "the structured encoding")
        lay = structured_layout(problem.size, level, steps, idle)
        wires = Wires(wires)
        if len(wires) != lay.num_wires:
            raise ValueError(
                f"wires must hold {lay.num_wires} wires for s = {lay.size}, level {lay.level}, "
                f"steps {lay.steps}, idle {lay.idle} (registers {lay.widths}); got {len(wires)}"
            )
        self._hyperparameters = {"level": lay.level, "steps": lay.steps, "idle": lay.idle}
        super().__init__(
            problem.F0[0].copy(),
            problem.F1.toarray(),
            problem.F2.toarray(),
            float(T),
            wires=wires,
            id=id,
        )

    # -- structure ----------------------------------------------------------------------------

    @property
    def layout(self) -> StructuredLayout:
        """Register sizes and terms."""
        hp = self.hyperparameters
        return structured_layout(self.data[1].shape[0], hp["level"], hp["steps"], hp["idle"])

    @property
    def registers(self) -> dict[str, Wires]:
        """The wires of each register (:data:`REGISTERS`)."""
        return self.layout.split(self.wires)

    @property
    def h(self) -> float:
        """Euler step :math:`T/m`."""
        return float(self.data[3]) / self.hyperparameters["steps"]

    @property
    def weights(self) -> np.ndarray:
        """LCU weights :math:`w_\\ell` in index order."""
        return encoding_weights(self.layout, *self.data[:3], float(self.data[3]))

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\lambda = \\sum_\\ell w_\\ell`."""
        return float(np.sum(self.weights))

    @property
    def resource_params(self) -> dict:
        hp = self.hyperparameters
        return {"size": int(self.data[1].shape[0]), **hp}

    def embedding(self) -> np.ndarray:
        """:func:`structured_embedding` of this operation."""
        lay = self.layout
        return structured_embedding(lay.size, lay.level, lay.steps, lay.idle)

    # -- decomposition ------------------------------------------------------------------------

    @staticmethod
    def compute_decomposition(F0, F1, F2, T, wires, level, steps, idle) -> list:  # noqa: D102
        F0, F1, F2 = (np.asarray(x, dtype=np.float64) for x in (F0, F1, F2))
        lay = structured_layout(F1.shape[0], level, steps, idle)
        with qml.QueuingManager.stop_recording():
            mats = factor_matrices(F0, F1, F2, lay.factor_bits)
            vectors = _prep_vectors(lay, lcu_weights(lay, float(T), mats))
            ops = _gates(lay, vectors, mats, Wires(wires))
        return queued(ops)

    def resources(self) -> TemplateResources:
        """Gate counts of one call, by ``name(wires)`` at the level of this decomposition."""
        with qml.QueuingManager.stop_recording():
            ops = self.decomposition()
        counts = Counter(f"{op.name}({len(op.wires)})" for op in ops)
        return TemplateResources(
            logical_qubits=len(self.wires),
            gates=dict(counts),
            notes=f"structured LCU encoding of L, {len(self.layout.terms)} terms, "
            f"lambda = {self.alpha:.6g}",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "BE(L)"

    def _flatten(self):
        hp = self.hyperparameters
        return self.data, (
            self.wires,
            (("level", hp["level"]), ("steps", hp["steps"]), ("idle", hp["idle"])),
        )

    @classmethod
    def _unflatten(cls, data, metadata):
        F0, F1, F2, T = data
        problem = PolynomialODE(F0=F0, F1=F1, F2=F2, u_in=np.zeros(np.shape(F1)[0]))
        return cls(problem, T, wires=metadata[0], **dict(metadata[1]))


def prepare_vectors(
    layout: StructuredLayout, F0: np.ndarray, F1: np.ndarray, F2: np.ndarray, T: float
) -> tuple[np.ndarray, np.ndarray]:
    """Amplitudes of :math:`\\text{PREP}_R|0\\rangle` and :math:`\\text{PREP}_L|0\\rangle`.

    Returns
    -------
    right, left : ndarray, shape (2**k,)
        :math:`\\sqrt{w_\\ell/\\lambda}` and :math:`\\sigma_\\ell\\sqrt{w_\\ell/\\lambda}`
        (:math:`\\sigma_\\ell = -1` for every term but the identity), zero-padded to the index
        register.
    """
    return _prep_vectors(layout, encoding_weights(layout, F0, F1, F2, T))


def _prep_vectors(layout: StructuredLayout, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    right = np.zeros(2 ** layout.widths["index"])
    right[: w.size] = np.sqrt(w / w.sum())
    left = right.copy()
    left[1 : w.size] *= -1.0
    return right, left


def _controls(wires: Wires, blocks: list[tuple[int, int]]) -> list[tuple[list, list[int]]]:
    """(control wires, control values) of each dyadic block on ``wires``."""
    return [(list(wires[:length]), _value_bits(prefix, length)) for prefix, length in blocks]


def _x(target, controls: list, values: list[int]):
    if not controls:
        return qml.PauliX(target)
    return qml.MultiControlledX(wires=controls + [target], control_values=values)


def _gates(lay, vectors, mats, wires) -> list:
    reg = lay.split(wires)
    k = lay.widths["index"]
    b = lay.factor_bits
    factors = [reg["factors"][q * b : (q + 1) * b] for q in range(lay.level)]

    def index_ctrl(ell):
        return list(reg["index"]), _value_bits(ell, k)

    ops = [qml.MottonenStatePreparation(vectors[0], wires=reg["index"])]
    for step in lay.plan():
        if isinstance(step, Flip):
            target = reg[step.flag][0]
            rw = reg[step.register]
            for lo_i, hi_i in step.index:
                for ic, iv in _controls(reg["index"], dyadic_blocks(lo_i, hi_i, k)):
                    for lo, hi in step.fail:
                        for rc, rv in _controls(rw, dyadic_blocks(lo, hi, len(rw))):
                            ops.append(_x(target, ic + rc, iv + rv))
        elif isinstance(step, Encode):
            M, alpha, _ = mats[step.kind]
            enc_wires = reg["f_ancilla"] + sum((factors[f] for f in step.factors), Wires([]))
            enc = DenseBlockEncoding(M, alpha, wires=enc_wires, validate=False)
            c, v = index_ctrl(step.index)
            ops.append(qml.ctrl(enc, control=c, control_values=v))
        elif isinstance(step, Cycle):
            pairs = (
                range(step.last - 1, step.first - 1, -1)
                if step.up
                else range(step.first, step.last)
            )
            c, v = index_ctrl(step.index)
            for q in pairs:
                for w1, w2 in zip(factors[q], factors[q + 1], strict=True):
                    ops.append(qml.ctrl(qml.SWAP([w1, w2]), control=c, control_values=v))
        else:  # Increment
            rw = list(reg[step.register])
            bit = 1 if step.delta > 0 else 0
            for lo_i, hi_i in step.index:
                for ic, iv in _controls(reg["index"], dyadic_blocks(lo_i, hi_i, k)):
                    for q in range(len(rw)):
                        lower = rw[q + 1 :]
                        ops.append(_x(rw[q], ic + lower, iv + [bit] * len(lower)))
    ops.append(qml.adjoint(qml.MottonenStatePreparation(vectors[1], wires=reg["index"])))
    return ops


def factor_dilations(op: StructuredEulerEncoding) -> dict[str, np.ndarray]:
    """The unitary dilations of the ``F0``, ``F1``, ``F2`` encodings of ``op`` (dense, small)."""
    mats = factor_matrices(
        *(np.asarray(x, dtype=np.float64) for x in op.data[:3]), op.layout.factor_bits
    )
    return {kind: unitary_dilation(M, alpha) for kind, (M, alpha, _) in mats.items()}
