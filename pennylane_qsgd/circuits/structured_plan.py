"""The plan of the structured LCU encoding of :math:`L`: registers, terms, SELECT steps.

Shared by the gate decomposition (:mod:`.structured_block_encoding`) and its classical twin
(:mod:`.structured_twin`), so that both apply the same steps. The construction is described in
:mod:`.structured_block_encoding`; the LCU weights are in :mod:`.structured_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pennylane.wires import Wires

from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.euler import step_times
from pennylane_qsgd.core.problem import PolynomialODE

REGISTERS = ("index", "time_flag", "level_flag", "f_ancilla", "time", "level", "factors")
"""Register names in wire order."""

ANCILLA_REGISTERS = REGISTERS[:4]
"""Registers that are 0 on the encoded block."""


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


Intervals = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Flip:
    """X on ``flag`` where ``register`` lies in ``fail`` (intervals), for index values ``index``."""

    flag: str
    register: str
    fail: Intervals
    index: Intervals


@dataclass(frozen=True)
class Encode:
    """The dilation of ``kind`` on ``f_ancilla`` and ``factors`` for index value ``index``;
    ``pieces`` pairs each forcing piece with the time-register values that use it."""

    kind: str
    factors: tuple[int, ...]
    index: int
    pieces: tuple[tuple[int, Intervals], ...]


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
    index: Intervals


@dataclass(frozen=True)
class StructuredLayout:
    """Register sizes and LCU terms of the structured encoding for ``(s, N, m, p)``.

    Attributes
    ----------
    size, level, steps, idle : int
    terms : tuple of (kind, i)
        ``("identity", 0)``, ``("shift", 0)``, ``("F1", i)`` for ``i = 1..N``, ``("F2", i)`` for
        ``i = 1..N-1``, ``("F0", i)`` for ``i = 1..N`` (``N >= 2``).
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
        """Total wires of the encoding."""
        return int(sum(self.widths.values()))

    def split(self, wires) -> dict:
        """``wires`` cut into the registers of :data:`REGISTERS`."""
        out, start = {}, 0
        for name in REGISTERS:
            out[name] = Wires(wires[start : start + self.widths[name]])
            start += self.widths[name]
        return out

    def plan(self, schedule: Intervals | tuple = ((0, ((0, 1 << 30),)),)) -> tuple:
        """The SELECT steps in application order; ``schedule``: :func:`forcing_schedule`."""
        N, m, p = self.level, self.steps, self.idle
        K = len(self.terms)
        level_size = 2 ** self.widths["level"]
        time_size = 2 ** self.widths["time"]
        steps: list = [
            Flip("time_flag", "time", ((m + p, time_size),), ((1, 2),)),
            Flip("time_flag", "time", ((m, time_size),), ((2, K),)),
        ]
        everywhere = ((0, ((0, time_size),)),)
        for ell, (kind, i) in enumerate(self.terms):
            if kind == "identity" or kind == "shift":
                continue
            lo, hi = {"F1": (i - 1, N), "F2": (i, N), "F0": (max(i - 2, 0), N - 1)}[kind]
            fail = tuple(iv for iv in ((0, lo), (hi, level_size)) if iv[0] < iv[1])
            if fail:
                steps.append(Flip("level_flag", "level", fail, ((ell, ell + 1),)))
            f = i - 1  # 0-based factor
            if kind == "F1":
                steps.append(Encode("F1", (f,), ell, everywhere))
            elif kind == "F2":
                steps.append(Encode("F2", (f, f + 1), ell, everywhere))
                if f + 1 < N - 1:
                    steps.append(Cycle(f + 1, N - 1, False, ell))
                steps.append(Increment("level", -1, ((ell, ell + 1),)))
            else:
                if f < N - 1:
                    steps.append(Cycle(f, N - 1, True, ell))
                steps.append(Encode("F0", (f,), ell, tuple(schedule)))
                steps.append(Increment("level", 1, ((ell, ell + 1),)))
        steps.append(Increment("time", 1, ((1, K),)))
        return tuple(steps)


def structured_layout(size: int, level: int, steps: int, idle: int) -> StructuredLayout:
    """The :class:`StructuredLayout` of an ``s``-variable problem, level ``N``, ``m, p`` steps."""
    s = as_count(size, "size")
    N = as_count(level, "carleman_level")
    m = as_count(steps, "steps")
    p = as_count(idle, "idle", minimum=0)
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


def forcing_schedule(problem: PolynomialODE, T: float, steps: int, time_bits: int) -> tuple:
    """Forcing piece of each time-register value: ``((piece, intervals), ...)``.

    Value ``j < m`` is the source time of Euler step ``j + 1`` and uses the piece active at
    :math:`t_j = jh` (as ``core.euler.euler_system``); values ``>= m`` are flagged away and get
    the last piece.
    """
    pieces = np.asarray(problem.forcing_piece(step_times(T, steps))).reshape(-1)
    out = []
    for q in np.unique(pieces):
        js = np.flatnonzero(pieces == q)
        hi = 2**time_bits if q == pieces[-1] else int(js[-1]) + 1
        out.append((int(q), ((int(js[0]) if out else 0, hi),)))
    return tuple(out)


def structured_embedding(size: int, level: int, steps: int, idle: int) -> np.ndarray:
    """Basis-state indices of the valid subspace, in the order of ``L``'s coordinates.

    Coordinate ``k * Δ + offset_j + a`` (time ``k``, level ``j``, multi-index ``a`` of
    :math:`u^{\\otimes j}`) is :math:`|k\\rangle_{\\rm time}|j-1\\rangle_{\\rm level}|a_1\\rangle
    \\cdots|a_j\\rangle|0\\rangle\\cdots|0\\rangle` with the ancillas 0.

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


__all__ = [
    "ANCILLA_REGISTERS",
    "REGISTERS",
    "Cycle",
    "Encode",
    "Flip",
    "Increment",
    "StructuredLayout",
    "dyadic_blocks",
    "forcing_schedule",
    "structured_embedding",
    "structured_layout",
]
