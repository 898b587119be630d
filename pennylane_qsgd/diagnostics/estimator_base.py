"""The base of the :mod:`pennylane.estimator` operators of :mod:`.estimator_ops` and its helpers.

:class:`ModelOp` is a resource operator defined by keyword parameters only and tracked under its
class name, so that any of them can be kept as a leaf through ``gate_set``.
"""

from __future__ import annotations

import pennylane.estimator as qre
from pennylane.estimator.resource_operator import CompressedResourceOp, GateCount


def gate_count(rep: CompressedResourceOp, count: int) -> list[GateCount]:
    count = int(count)
    return [GateCount(rep, count)] if count > 0 else []


def controlled(base: CompressedResourceOp, num_ctrl_wires: int = 1) -> CompressedResourceOp:
    """``base`` controlled on ``num_ctrl_wires`` wires (all on 1)."""
    return qre.resource_rep(
        qre.Controlled,
        {"base_cmpr_op": base, "num_ctrl_wires": int(num_ctrl_wires), "num_zero_ctrl": 0},
    )


def controlled_ry(
    num_ctrl_wires: int, num_zero_ctrl: int
) -> tuple[list[GateCount], CompressedResourceOp]:
    """For a ``controlled_resource_decomp`` in which only the ``CRY`` rotations take the control:
    the ``X`` pairs around the ``num_zero_ctrl`` zero-controls, and the ``RY`` controlled on
    ``num_ctrl_wires + 1`` wires (the added controls and the rotation's own)."""
    flips = gate_count(qre.resource_rep(qre.X), 2 * int(num_zero_ctrl))
    return flips, controlled(qre.resource_rep(qre.RY), int(num_ctrl_wires) + 1)


def mcx(controls: int) -> CompressedResourceOp:
    """``MultiControlledX`` on ``controls`` control wires (at least one)."""
    return qre.resource_rep(
        qre.MultiControlledX, {"num_ctrl_wires": max(int(controls), 1), "num_zero_ctrl": 0}
    )


class ModelOp(qre.ResourceOperator):
    """Resource operator defined by keyword parameters only; tracked under its class name."""

    resource_keys: set = set()

    def __init__(self, wires=None, **params) -> None:
        missing = set(self.resource_keys) - set(params)
        extra = set(params) - set(self.resource_keys)
        if missing or extra:
            raise TypeError(
                f"{type(self).__name__} takes {sorted(self.resource_keys)}; missing "
                f"{sorted(missing)}, unexpected {sorted(extra)}"
            )
        self._params = dict(params)
        self.num_wires = self.wires_of(**params)
        super().__init__(wires=wires)

    @property
    def resource_params(self) -> dict:
        return dict(self._params)

    @classmethod
    def resource_rep(cls, **params) -> CompressedResourceOp:
        return CompressedResourceOp(cls, cls.wires_of(**params), params)

    @classmethod
    def tracking_name(cls, *args, **kwargs) -> str:
        return cls.__name__

    @classmethod
    def wires_of(cls, **params) -> int:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def resource_decomp(cls, **params) -> list[GateCount]:  # pragma: no cover
        raise NotImplementedError


class WiresOp(ModelOp):
    """:class:`ModelOp` on ``num_wires`` qubits, its only parameter."""

    resource_keys = {"num_wires"}

    @classmethod
    def wires_of(cls, num_wires: int) -> int:
        return int(num_wires)


__all__ = ["ModelOp", "WiresOp", "controlled", "controlled_ry", "gate_count", "mcx"]
