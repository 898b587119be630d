"""What block encodings built from other block encodings share: parts, wires, twin, resources.

A *block encoding* here is any operation ``U`` with

* ``alpha``: its subnormalisation;
* ``ancilla_wires``: the wires that are :math:`|0\\rangle` on the block (the signal state), the
  operation's first wires;
* ``system_wires``: the others, on which the encoded matrix acts;

so that :math:`(\\langle 0|_{\\rm anc} \\otimes I)\\, U\\, (|0\\rangle_{\\rm anc} \\otimes I) =
M / \\alpha` (Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Definition 43). The package's
:class:`~.DenseBlockEncoding`, every :class:`~.EulerEncoding` and the combinators built on
:class:`CompositeEncoding` (:class:`~.product_encoding.ProductEncoding`,
:class:`~.combination_encoding.LinearCombinationEncoding`) are such operations, so the combinators
nest.

:func:`encoded_matrix` is the classical twin of every one of them: the matrix :math:`M` (not
divided by :math:`\\alpha`) on the system register, from the parts' twins for a composite, never
from the composite's own unitary.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pennylane as qml
from pennylane.operation import Operation, Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin
from pennylane_qsgd.circuits.resources import TemplateResources, decomposition_resources


def check_block_encoding(op: object, name: str = "encoding") -> Operator:
    """``op`` if it states ``alpha``, ``ancilla_wires`` and ``system_wires``; else TypeError."""
    missing = [a for a in ("alpha", "ancilla_wires", "system_wires") if not hasattr(op, a)]
    if not isinstance(op, Operator) or missing:
        raise TypeError(
            f"{name} must be a block-encoding operation (alpha, ancilla_wires, system_wires); "
            f"got {type(op).__name__}" + (f" without {', '.join(missing)}" if missing else "")
        )
    return op


def encoded_matrix(op: Operator) -> np.ndarray:
    """The matrix :math:`M` that ``op`` block-encodes as :math:`M/\\alpha`, shape (2**n, 2**n)
    over ``op.system_wires`` (big-endian).

    A composite's twin (:meth:`CompositeEncoding.encoded_matrix`), the stored matrix of a
    :class:`~.DenseBlockEncoding`, and otherwise :math:`\\alpha` times the ancilla-0 block of the
    operation's matrix (small operations only).
    """
    op = check_block_encoding(op, "op")
    if isinstance(op, CompositeEncoding):
        return op.encoded_matrix()
    if isinstance(op, DenseBlockEncoding):
        return np.asarray(op.data[0], dtype=np.complex128)
    unitary = qml.matrix(op, wire_order=op.ancilla_wires + op.system_wires)
    dim = 2 ** len(op.system_wires)
    return op.alpha * unitary[:dim, :dim]


class CompositeEncoding(FullDataHashMixin, Operation):
    """Base of block encodings whose decomposition calls other block encodings (module docstring).

    Subclasses build their wires as ``leading wires + the parts' ancillas + system`` and
    implement :attr:`alpha`, :meth:`encoded_matrix`, ``compute_decomposition`` and, when they
    carry data of their own, :attr:`own_data` and its setter. ``op.data`` is the subclass's own data
    followed by every part's data, so the hash and the parameter binding see all of it.
    """

    grad_method = None
    num_own_params = 0
    """Entries of ``op.data`` that belong to the composite itself (they come first)."""

    def _init_parts(
        self, parts: Sequence[Operator], leading: Wires, shared_ancillas: bool
    ) -> Wires:
        """Check the parts, store copies out of the queue, and return the operation's wires."""
        parts = tuple(check_block_encoding(op, f"encodings[{i}]") for i, op in enumerate(parts))
        if not parts:
            raise ValueError("encodings must hold at least one block encoding; got none")
        system = Wires(parts[0].system_wires)
        ancillas = Wires([])
        for i, op in enumerate(parts):
            if Wires(op.system_wires) != system:
                raise ValueError(
                    f"encodings[{i}] acts on system wires {op.system_wires.tolist()}, "
                    f"encodings[0] on {system.tolist()}: the parts must share the system register"
                )
            anc = Wires(op.ancilla_wires)
            if not shared_ancillas and set(anc) & set(ancillas):
                raise ValueError(
                    f"encodings[{i}] reuses ancilla wires {sorted(set(anc) & set(ancillas))}; "
                    "the factors of a product need their own ancillas"
                )
            ancillas = Wires.all_wires([ancillas, anc])
        clash = set(leading) & set(Wires.all_wires([ancillas, system]))
        if clash:
            raise ValueError(f"wires {sorted(clash)} are used by the encodings already")
        for op in parts:
            qml.QueuingManager.remove(op)
        self.hyperparameters["encodings"] = parts
        self.hyperparameters["ancillas"] = ancillas
        return Wires.all_wires([leading, ancillas, system])

    # -- data: own entries, then the parts' ------------------------------------------------------

    @property
    def own_data(self) -> tuple:
        """The composite's own entries of ``op.data`` (none by default)."""
        return ()

    @own_data.setter
    def own_data(self, values: tuple) -> None:
        pass

    @property
    def data(self) -> tuple:
        """Own data, then each part's ``data`` in order."""
        return tuple(self.own_data) + tuple(d for op in self.encodings for d in op.data)

    @data.setter
    def data(self, new_data) -> None:
        new_data = tuple(new_data)
        self.own_data = new_data[: self.num_own_params]
        rest = new_data[self.num_own_params :]
        for op in self.encodings:
            n = len(op.data)
            if n:
                op.data = rest[:n]
                rest = rest[n:]

    def __copy__(self) -> CompositeEncoding:
        # The parts are copied too, so that binding new data to a copy leaves ``self`` alone.
        new = type(self).__new__(type(self))
        for attr, value in vars(self).items():
            setattr(new, attr, value)
        new._hyperparameters = dict(self.hyperparameters)
        new._hyperparameters["encodings"] = tuple(copy.copy(op) for op in self.encodings)
        return new

    # -- the block-encoding interface ------------------------------------------------------------

    @property
    def encodings(self) -> tuple[Operator, ...]:
        """The parts, in the order they were given."""
        return self.hyperparameters["encodings"]

    @property
    def system_wires(self) -> Wires:
        """Wires on which the encoded matrix acts (the parts' common system register)."""
        return Wires(self.encodings[0].system_wires)

    @property
    def ancilla_wires(self) -> Wires:
        """Wires that are 0 on the block: everything but the system register, in wire order."""
        system = set(self.system_wires)
        return Wires([w for w in self.wires if w not in system])

    @property
    def registers(self) -> dict[str, Wires]:
        """``leading`` (the composite's own ancillas), ``ancilla`` (the parts') and ``system``."""
        n_lead = len(self.wires) - len(self.hyperparameters["ancillas"]) - len(self.system_wires)
        return {
            "leading": Wires(self.wires[:n_lead]),
            "ancilla": Wires(self.hyperparameters["ancillas"]),
            "system": self.system_wires,
        }

    @property
    def alpha(self) -> float:
        """Subnormalisation of the composite."""
        raise NotImplementedError

    def encoded_matrix(self) -> np.ndarray:
        """Classical twin: the encoded matrix :math:`M` from the parts' :func:`encoded_matrix`."""
        raise NotImplementedError

    def part_matrices(self) -> list[np.ndarray]:
        """:func:`encoded_matrix` of each part."""
        return [encoded_matrix(op) for op in self.encodings]

    def resources(self) -> TemplateResources:
        """Gate counts of one call from the operation's own decomposition (parts as gates)."""
        return decomposition_resources(
            self,
            f"{type(self).__name__} of {len(self.encodings)} block encodings, "
            f"alpha = {self.alpha:.6g}",
        )

    def map_wires(self, wire_map: dict) -> CompositeEncoding:  # noqa: D102
        return self._rebuild(
            [op.map_wires(wire_map) for op in self.encodings],
            [wire_map.get(w, w) for w in self.registers["leading"]],
        )

    def _rebuild(self, parts: list, leading: list) -> CompositeEncoding:
        raise NotImplementedError

    def _flatten(self):
        return (*self.own_data, *self.encodings), (self.registers["leading"],)

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or f"{type(self).__name__}[{len(self.encodings)}]"


__all__ = ["CompositeEncoding", "check_block_encoding", "encoded_matrix"]
