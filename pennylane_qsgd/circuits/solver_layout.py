"""One register layout for the gradient-flow solver, whatever its encoding and inverter.

``wires`` of a :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver`, in this order::

    inverter="qsvt":  r | flag (encodings with several ancillas) | encoding ancillas | encoding system
    inverter="hhl":   anc | clock (n_c wires) | d | time | level | system   (dense encoding only)

The encoding's system wires start with ``time`` (MSB first) and ``level`` (0 on Carleman level 1).
The success event (PNAS, arXiv:2011.03185, Theorem 1) is the inverter's flags (QSVT: ``r = 0``,
the encoding ancillas 0; HHL: ``anc = 1``, clock 0, ``d = 1``), the top time wire 1 (time slots
``K/2 .. K-1``, all idle copies of :math:`y_m` by :func:`~.solver_policy.default_idle`) and the
level wires 0; the system register then holds :math:`u_m/\\|u_m\\|` in the coordinates
:meth:`SolverLayout.success_index` names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pennylane.wires import Wires

from pennylane_qsgd.circuits.encoding import encoding_class
from pennylane_qsgd.circuits.hhl_arguments import MAX_CLOCK
from pennylane_qsgd.circuits.solver_policy import default_idle, time_wires

INVERTERS = ("qsvt", "hhl")
"""Linear-system inverters: real-part QSVT inversion, or HHL on the Hermitian dilation."""


@dataclass(frozen=True)
class SolverLayout:
    """Which wires of a :class:`~.GradientFlowSolver` hold which register.

    Attributes
    ----------
    inverter : {"qsvt", "hhl"}
    encoding : str
        Registered encoding name (:func:`~.encoding.encoding_class`).
    real_part_wire : wire label
        ``r`` (QSVT) or the rotation ancilla ``anc`` (HHL).
    flag_wire : wire label or None
        Holds "all encoding ancillas 0" during a QSVT phase (several ancillas only).
    clock_wires : Wires
        HHL phase-estimation clock (MSB first); empty for QSVT.
    registers : dict[str, Wires]
        The encoding's registers on these wires (for HHL, ``a`` is the dilation wire ``d``).
    ancilla_names : tuple of str
        The encoding's ancilla registers.
    size, level, steps, idle : int
        ``s``, Carleman ``N``, ``m``, ``p``.
    """

    inverter: str
    encoding: str
    real_part_wire: object
    flag_wire: object
    registers: dict
    ancilla_names: tuple
    size: int
    level: int
    steps: int
    idle: int
    clock_wires: Wires = field(default_factory=lambda: Wires([]))

    @property
    def ancilla_wires(self) -> Wires:
        """The encoding's ancillas (0 on its block)."""
        return sum((self.registers[n] for n in self.ancilla_names), Wires([]))

    @property
    def encoding_wire(self) -> object:
        """First encoding ancilla (the dense ``a``, or HHL's dilation wire ``d``)."""
        return self.ancilla_wires[0]

    @property
    def register_wires(self) -> Wires:
        """The encoding's system wires: where :math:`|B\\rangle` lives and :math:`L` acts."""
        return Wires([w for w in self.encoding_wires if w not in self.ancilla_wires])

    @property
    def encoding_wires(self) -> Wires:
        """All wires of the encoding."""
        return sum(self.registers.values(), Wires([]))

    @property
    def time_wires(self) -> Wires:
        """``t`` wires, most significant first."""
        return self.registers["time"]

    @property
    def level_wires(self) -> Wires:
        """Carleman level register (all 0 on level 1)."""
        return self.registers["level"]

    @property
    def system_wires(self) -> Wires:
        """Register wires after time and level (where level 1's :math:`u` lives)."""
        skip = self.time_wires + self.level_wires
        return Wires([w for w in self.register_wires if w not in skip])

    @property
    def wires(self) -> Wires:
        """All wires in the operation's order."""
        head = [self.real_part_wire] + ([] if self.flag_wire is None else [self.flag_wire])
        return Wires(head) + self.clock_wires + self.encoding_wires

    @property
    def time_slots(self) -> int:
        """:math:`K = 2^t`."""
        return 2 ** len(self.time_wires)

    @property
    def success_slots(self) -> range:
        """Time slots of the success event, ``K/2 .. m+p`` (all hold :math:`y_m`)."""
        return range(self.time_slots // 2, self.steps + self.idle + 1)

    @property
    def success_condition(self) -> dict:
        """Wire -> value of the success event (post-selection and amplification oracle)."""
        if self.inverter == "hhl":
            cond = {self.real_part_wire: 1}
            cond.update({w: 0 for w in self.clock_wires})
            cond[self.encoding_wire] = 1
        else:
            cond = {self.real_part_wire: 0}
            cond.update({w: 0 for w in self.ancilla_wires})
        cond[self.time_wires[0]] = 1
        cond.update({w: 0 for w in self.level_wires})
        return cond

    def register_index(self) -> np.ndarray:
        """Index in the register (big-endian over :attr:`register_wires`) of each coordinate of
        the core's history vector, shape ((m+p+1) Δ,): the encoding's embedding."""
        cls = encoding_class(self.encoding)
        return cls.embedding_for(self.size, self.level, self.steps, self.idle)

    def success_index(self) -> np.ndarray:
        """Register indices of :math:`u` (level 1) in each success slot, shape (slots, s)."""
        index = self.register_index().reshape(self.steps + self.idle + 1, -1)
        return index[self.success_slots.start :, : self.size]


def _check_clock(inverter: str, clock_qubits: object) -> int:
    if inverter not in INVERTERS:
        raise ValueError(f"inverter must be one of {INVERTERS}; got {inverter!r}")
    if inverter == "qsvt":
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


def _head(encoding: str, inverter: str, clock: int, size, level, steps, idle) -> tuple:
    cls = encoding_class(encoding)
    if inverter == "hhl" and encoding != "dense":
        raise ValueError(
            f"inverter='hhl' runs on the Hermitian dilation of L: use encoding='dense'; "
            f"got encoding={encoding!r}"
        )
    time_wires(steps, idle)
    widths = cls.register_widths(size, level, steps, idle)
    n_anc = sum(widths[n] for n in cls.ancilla_registers)
    flag = 1 if inverter == "qsvt" and n_anc > 1 else 0
    return cls, widths, 1 + flag + clock, flag


def required_wires(
    size: int,
    carleman_level: int,
    steps: int,
    idle: int | None = None,
    encoding: str = "dense",
    inverter: str = "qsvt",
    clock_qubits: int = 8,
) -> int:
    """Number of wires of a :class:`~.GradientFlowSolver` (module docstring)."""
    idle = default_idle(steps) if idle is None else idle
    clock = _check_clock(inverter, clock_qubits)
    _, widths, head, _ = _head(encoding, inverter, clock, size, carleman_level, steps, idle)
    return head + int(sum(widths.values()))


def solver_layout(
    size: int,
    carleman_level: int,
    steps: int,
    idle: int,
    wires: object,
    encoding: str = "dense",
    inverter: str = "qsvt",
    clock_qubits: int = 8,
) -> SolverLayout:
    """Assign ``wires`` to the registers of the module docstring."""
    wires = Wires(wires)
    clock = _check_clock(inverter, clock_qubits)
    cls, widths, head, flag = _head(encoding, inverter, clock, size, carleman_level, steps, idle)
    n = head + int(sum(widths.values()))
    if len(wires) != n:
        raise ValueError(
            f"the {inverter} solver with the {encoding} encoding needs {n} wires ({head} for the "
            f"inverter, registers {widths}); got {len(wires)}: {wires.tolist()}"
        )
    registers, start = {}, head
    for name, width in widths.items():
        registers[name] = wires[start : start + width]
        start += width
    return SolverLayout(
        inverter=inverter,
        encoding=encoding,
        real_part_wire=wires[0],
        flag_wire=wires[1] if flag else None,
        registers=registers,
        ancilla_names=tuple(cls.ancilla_registers),
        size=size,
        level=carleman_level,
        steps=steps,
        idle=idle,
        clock_wires=wires[1 : 1 + clock],
    )


__all__ = ["INVERTERS", "SolverLayout", "required_wires", "solver_layout"]
