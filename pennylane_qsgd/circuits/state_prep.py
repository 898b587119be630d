"""Validated, explicitly normalised state preparation of the right-hand side :math:`|B\\rangle`.

``qml.StatePrep`` neither normalises nor validates by default: an
unnormalised :math:`B` would silently give wrong probabilities. :class:`NormalizedStatePrep`
checks the vector (finite, non-zero, fits the wires), pads it with zeros, divides it by its norm and
keeps the norm :math:`\\|B\\|` as a hyperparameter, so the solver can turn amplitudes back into the
solution's scale.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import StatePrepBase
from pennylane.wires import Wires

from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.resources import TemplateResources


def normalized_state(vector: object, num_wires: int) -> tuple[np.ndarray, float]:
    """Pad ``vector`` with zeros to ``2**num_wires`` entries and normalise it.

    Parameters
    ----------
    vector : array_like, shape (k,), ``1 <= k <= 2**num_wires``
        Real or complex amplitudes (any non-zero norm).
    num_wires : int

    Returns
    -------
    state : ndarray, shape (2**num_wires,)
        Unit vector (complex if ``vector`` is complex, else float).
    norm : float
        :math:`\\|\\text{vector}\\|_2`.

    Raises
    ------
    ValueError
        If ``vector`` is not 1-D, has NaN/Inf, is longer than ``2**num_wires`` or is zero.
    """
    arr = np.asarray(vector)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"vector must be a non-empty 1-D array; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"vector must be numeric; got dtype {arr.dtype}")
    dtype = np.complex128 if np.iscomplexobj(arr) else np.float64
    arr = arr.astype(dtype)
    if not np.all(np.isfinite(arr)):
        raise ValueError("vector contains NaN or Inf entries")
    dim = 2**num_wires
    if arr.size > dim:
        raise ValueError(
            f"vector has {arr.size} entries, more than 2**{num_wires} = {dim} amplitudes of the wires"
        )
    peak = float(np.max(np.abs(arr)))
    if peak == 0.0:
        raise ValueError("vector is zero and cannot be normalised into a quantum state")
    # Divide by the largest entry first: squares of tiny (or huge) entries would under/overflow.
    unit = arr / peak
    unit_norm = float(np.linalg.norm(unit))
    state = np.zeros(dim, dtype=dtype)
    state[: arr.size] = unit / unit_norm
    return state, peak * unit_norm


class NormalizedStatePrep(FullDataHashMixin, StatePrepBase):
    """Prepare :math:`|B\\rangle = B/\\|B\\|` (zero-padded) on ``wires`` from :math:`|0\\dots0\\rangle`.

    Parameters
    ----------
    vector : array_like, shape (k,), ``k <= 2**len(wires)``
        The unnormalised vector :math:`B`.
    wires : sequence
        Big-endian: ``vector[i]`` is the amplitude of the basis state ``i``.

    Notes
    -----
    Decomposes into ``qml.StatePrep`` of the normalised vector (Möttönen's circuit from
    :math:`|0\\rangle`). Like every state preparation it is only defined on wires in
    :math:`|0\\dots0\\rangle`; the native kernel refuses other inputs.

    Examples
    --------
    >>> op = NormalizedStatePrep([3.0, 4.0], wires=[0])
    >>> op.norm, np.round(op.data[0], 2).tolist()
    (5.0, [0.6, 0.8])
    """

    num_params = 1
    ndim_params = (1,)

    def __init__(self, vector: object, wires: object, id=None) -> None:
        wires = Wires(wires)
        if len(wires) == 0:
            raise ValueError("wires must hold at least one wire")
        state, norm = normalized_state(vector, len(wires))
        self._hyperparameters = {"norm": norm}
        super().__init__(state, wires=wires, id=id)

    @property
    def norm(self) -> float:
        """:math:`\\|B\\|` before normalisation."""
        return float(self.hyperparameters["norm"])

    def state_vector(self, wire_order=None):  # noqa: D102
        return qml.StatePrep(self.data[0], wires=self.wires).state_vector(wire_order=wire_order)

    @staticmethod
    def compute_decomposition(state: np.ndarray, wires: Wires, norm: float) -> list:  # noqa: D102
        with qml.QueuingManager.stop_recording():
            ops = [qml.StatePrep(state, wires=wires, validate_norm=True)]
        return queued(ops)

    def resources(self) -> TemplateResources:
        """Möttönen's preparation: :math:`2(2^n - 1)` rotations, :math:`2^{n+1} - 4` CNOTs."""
        return self.prep_resources(len(self.wires))

    @staticmethod
    def prep_resources(n: int) -> TemplateResources:
        """:meth:`resources` of a preparation on ``n`` wires."""
        return TemplateResources(
            logical_qubits=n,
            gates={"RY": 2**n - 1, "RZ": 2**n - 1, "CNOT": max(2 ** (n + 1) - 4, 0)},
            notes="Möttönen state preparation (upper bound; real vectors need no RZ)",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or f"|B⟩[{np.size(self.data[0])}]"

    def _flatten(self):
        return (self.data[0] * self.norm,), (self.wires, ())

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(data[0], wires=metadata[0])


__all__ = [
    "normalized_state",
    "NormalizedStatePrep",
]
