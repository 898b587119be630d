"""The block-encoding interface of the Euler–Carleman matrix :math:`L`, and the encoding registry.

A block encoding of :math:`L` (PNAS, arXiv:2011.03185, equations (4.8)-(4.10)) is a unitary
:math:`U` on ancilla and system registers with

.. math::

    (\\langle 0|_{\\rm anc} \\otimes I)\\, U\\, (|0\\rangle_{\\rm anc} \\otimes I)\\big|_{\\rm valid}
    = L / \\alpha ,

where "valid" is the image of the core's coordinates of :math:`L` (time block ``k``, Carleman
coordinate) in the system register, given by :meth:`EulerEncoding.embedding_for`; :math:`U` maps the
valid subspace into itself (Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Definition 43; the
registers, :math:`\\alpha` and the signal state of Qualtran's ``BlockEncoding`` bloqs).

Every encoding is an :class:`EulerEncoding` built as ``Enc(problem, T, carleman_level, steps,
idle, wires=...)`` and states

* :attr:`~EulerEncoding.alpha`: the subnormalisation;
* its registers: :meth:`~EulerEncoding.register_widths` (ancilla registers first, all 0 on the
  block; then ``time`` (MSB first), ``level`` (0 on Carleman level 1) and the rest of the system);
* :meth:`~EulerEncoding.embedding_for`: where each coordinate of :math:`L` sits in the system register;
* ``resources()``: counted from the operation's own decomposition;
* its classical twins: the block is :math:`L/\\alpha` from the core (the same for every encoding),
  and :meth:`~EulerEncoding.apply_unitary` applies :math:`U` or :math:`U^\\dagger` exactly, as the
  native kernel and the solver's garbage branches use it.

Adding an encoding is one subclass (its gates and twins) and one :func:`register_encoding`; the
solver :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver` then takes ``encoding=name``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.data_hash import FullDataHashMixin
from pennylane_qsgd.circuits.matrix_functions import sparse_operator
from pennylane_qsgd.circuits.resources import TemplateResources, decomposition_resources
from pennylane_qsgd.circuits.solver_policy import euler_twin
from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.problem import PolynomialODE

ENCODINGS: dict[str, type[EulerEncoding]] = {}
"""Registered encodings of :math:`L` by name (:func:`register_encoding`)."""


def register_encoding(name: str, cls: type[EulerEncoding]) -> None:
    """Make ``cls`` available as ``GradientFlowSolver(..., encoding=name)``.

    Raises
    ------
    TypeError
        If ``cls`` is not an :class:`EulerEncoding` subclass.
    """
    if not (isinstance(cls, type) and issubclass(cls, EulerEncoding)):
        raise TypeError(f"cls must be a subclass of EulerEncoding; got {cls!r}")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}")
    ENCODINGS[name] = cls


def encoding_class(name: str) -> type[EulerEncoding]:
    """The encoding registered as ``name``; ValueError naming the registered ones otherwise."""
    if name not in ENCODINGS:
        raise ValueError(f"encoding must be one of {sorted(ENCODINGS)}; got {name!r}")
    return ENCODINGS[name]


# ----------------------------------------------------------------------------------------------
# Problem <-> operation data (numeric arrays only)


def pack_problem(problem: PolynomialODE) -> tuple[np.ndarray, ...]:
    """``op.data`` of a problem: F0 pieces, F1 and F2 as COO triples, ``u_in``, forcing times."""
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


def unpack_problem(data: tuple) -> PolynomialODE:
    """Inverse of :func:`pack_problem` (reads the first nine entries of ``data``)."""
    F0, r1, c1, v1, r2, c2, v2, u_in, times = (np.asarray(d) for d in data[:9])
    s = u_in.shape[0]
    F1 = sp.csr_array((v1, (r1, c1)), shape=(s, s))
    F2 = sp.csr_array((v2, (r2, c2)), shape=(s, s * s))
    return PolynomialODE(F0, F1, F2, u_in, times if F0.shape[0] > 1 else None)


def check_time(T: object) -> float:
    """``T`` as a float if it is a positive finite time; ValueError naming it otherwise."""
    if isinstance(T, bool) or not np.isscalar(T) or not np.isfinite(T) or float(T) <= 0:
        raise ValueError(f"T must be a positive finite time; got {T!r}")
    return float(T)


# ----------------------------------------------------------------------------------------------
# The interface


class EulerEncoding(FullDataHashMixin, Operation):
    """Block encoding of the Euler–Carleman matrix :math:`L` (module docstring).

    Parameters
    ----------
    problem : PolynomialODE
    T : float
        Evolution time; :math:`h = T/m`.
    carleman_level : int
        Carleman truncation ``N``.
    steps, idle : int
        Euler steps ``m`` and idle steps ``p``.
    wires : sequence
        ``num_wires_for(s, N, m, p)`` wires, registers in the order of
        :meth:`register_widths`.

    Notes
    -----
    Subclasses set :attr:`ancilla_registers` and implement :meth:`register_widths`,
    :meth:`embedding_for`, :attr:`alpha`, ``compute_decomposition`` and :meth:`apply_unitary`.
    """

    grad_method = None
    num_params = 9
    ancilla_registers: ClassVar[tuple[str, ...]] = ()
    """Registers that are 0 on the encoded block, in wire order (they come first)."""

    def __init__(
        self,
        problem: PolynomialODE,
        T: float,
        carleman_level: int,
        steps: int,
        idle: int,
        wires: object = None,
        id=None,
    ) -> None:
        if not isinstance(problem, PolynomialODE):
            raise TypeError(f"problem must be a PolynomialODE; got {type(problem).__name__}")
        self._hyperparameters = {
            "T": check_time(T),
            "carleman_level": as_count(carleman_level, "carleman_level"),
            "steps": as_count(steps, "steps"),
            "idle": as_count(idle, "idle", minimum=0),
        }
        widths = self.register_widths(problem.size, *self._settings())
        n = int(sum(widths.values()))
        if wires is None or len(Wires(wires)) != n:
            got = "none" if wires is None else len(Wires(wires))
            raise ValueError(
                f"{type(self).__name__} needs {n} wires (registers {widths}) for s = "
                f"{problem.size}, carleman_level {self._settings()[0]}, steps "
                f"{self._settings()[1]}, idle {self._settings()[2]}; got {got}"
            )
        super().__init__(*pack_problem(problem), wires=wires, id=id)

    def _settings(self) -> tuple[int, int, int]:
        hp = self._hyperparameters
        return hp["carleman_level"], hp["steps"], hp["idle"]

    # -- what every encoding states ------------------------------------------------------------

    @classmethod
    def register_widths(cls, size: int, carleman_level: int, steps: int, idle: int) -> dict:
        """Qubits per register, in wire order: :attr:`ancilla_registers`, then ``time``,
        ``level`` and the other system registers."""
        raise NotImplementedError

    @classmethod
    def embedding_for(cls, size: int, carleman_level: int, steps: int, idle: int) -> np.ndarray:
        """Index in the system register (big-endian over the system wires) of each coordinate
        of :math:`L` (``core.euler.euler_system`` order), shape ((m+p+1) Δ,)."""
        raise NotImplementedError

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\alpha \\ge \\|L\\|_2`."""
        raise NotImplementedError

    def apply_unitary(self, state: np.ndarray, adjoint: bool = False) -> np.ndarray:
        """Classical twin of :math:`U` (or :math:`U^\\dagger`): ``state`` of shape
        (2**ancillas, 2**system, k), the operation's wires first; returns the same shape."""
        raise NotImplementedError

    # -- derived ---------------------------------------------------------------------------------

    @classmethod
    def num_wires_for(cls, size: int, carleman_level: int, steps: int, idle: int) -> int:
        """Wires of the encoding for ``(s, N, m, p)``."""
        return int(sum(cls.register_widths(size, carleman_level, steps, idle).values()))

    @property
    def problem(self) -> PolynomialODE:
        """The ODE, rebuilt from ``op.data``."""
        return unpack_problem(self.data)

    def embedding(self) -> np.ndarray:
        """:meth:`embedding_for` of this operation's settings."""
        return self.embedding_for(self.problem.size, *self._settings())

    @property
    def registers(self) -> dict[str, Wires]:
        """The wires of each register, in wire order."""
        widths = self.register_widths(self.problem.size, *self._settings())
        out, start = {}, 0
        for name, width in widths.items():
            out[name] = Wires(self.wires[start : start + width])
            start += width
        return out

    @property
    def ancilla_wires(self) -> Wires:
        """Wires that are 0 on the encoded block (the signal state)."""
        regs = self.registers
        return sum((regs[name] for name in self.ancilla_registers), Wires([]))

    @property
    def system_wires(self) -> Wires:
        """Wires on which :math:`L` acts."""
        return Wires([w for w in self.wires if w not in self.ancilla_wires])

    def resources(self) -> TemplateResources:
        """Gate counts of one call, ``name(wires)``, from the operation's own decomposition."""
        return decomposition_resources(
            self, f"{type(self).__name__}: block encoding of L, alpha = {self.alpha:.6g}"
        )

    def block_products(self) -> tuple:
        """``(apply, apply_adjoint)`` of the block :math:`L/\\alpha` on the core's coordinates
        (the same for every encoding): here sparse products with ``core.euler.euler_system``'s
        :math:`L`; an encoding whose structure gives them without :math:`L` overrides this."""
        hp = self.hyperparameters
        twin = euler_twin(self.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"])
        if twin.L is None:
            raise ValueError(
                f"the {type(self).__name__} twin needs L, and the window has {twin.rows} rows: "
                "use an encoding with matrix-free products (encoding='structured') or "
                'fidelity="ideal"'
            )
        return sparse_operator(twin.L, self.alpha)

    def garbage(self, vectors: np.ndarray) -> np.ndarray:
        """:math:`(I - \\Pi)\\, U^\\dagger (|0\\rangle_{\\rm anc} \\otimes g)` for each column ``g``.

        ``vectors``: shape (2**system, k). Returns shape (2**ancillas, 2**system, k) with the
        ancilla-0 row zero. The QSVT inversion leaves its non-block amplitude in this form
        (:class:`~pennylane_qsgd.circuits.linear_maps.RealPartOutput`, with
        :math:`U_X = U^\\dagger`).
        """
        n_anc = len(self.ancilla_wires)
        state = np.zeros((2**n_anc,) + vectors.shape, dtype=np.complex128)
        state[0] = vectors
        out = self.apply_unitary(state, adjoint=True)
        out[0] = 0.0
        return out

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        s, N = np.shape(self.data[7])[0], self.hyperparameters["carleman_level"]
        return base_label or f"BE(L)[{type(self).__name__}, s={s}, N={N}]"

    def _flatten(self):
        return self.data, (self.wires, tuple(self.hyperparameters.items()))

    @classmethod
    def _unflatten(cls, data, metadata):
        hp = dict(metadata[1])
        problem = unpack_problem(data)
        return cls(problem, hp.pop("T"), hp.pop("carleman_level"), wires=metadata[0], **hp)


__all__ = [
    "ENCODINGS",
    "EulerEncoding",
    "check_time",
    "encoding_class",
    "pack_problem",
    "register_encoding",
    "unpack_problem",
]
