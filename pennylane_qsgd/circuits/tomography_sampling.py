"""Sampling for :func:`~.tomography.estimate_real_vector`: argument checks, the device, counts.

Distributions over the measured wires come back big-endian, as exact probabilities
(``shots=None``) or as outcome counts gathered in batches of at most
:data:`MAX_SHOTS_PER_EXECUTION` shots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.wires import Wires

MAX_SHOTS_PER_EXECUTION = 1 << 20
"""Largest number of shots sampled in one device execution (bounds the (shots, wires) samples)."""


def check_shots(shots: object) -> int | None:
    if shots is None:
        return None
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer):
        raise TypeError(f"shots must be a positive integer or None; got {shots!r}")
    if shots < 2:
        raise ValueError(f"shots must be >= 2 (at least one per stage) or None; got {shots}")
    return int(shots)


def check_postselect(postselect: Mapping[Any, int] | None, register: Wires) -> dict[Any, int]:
    if postselect is None:
        return {}
    if not isinstance(postselect, Mapping):
        raise TypeError(
            f"postselect must be a mapping wire -> 0/1; got {type(postselect).__name__}"
        )
    out = {}
    for wire, val in postselect.items():
        if isinstance(val, bool) or val not in (0, 1):
            raise ValueError(f"postselect values must be 0 or 1; got {val!r} for wire {wire!r}")
        if wire in register:
            raise ValueError(f"postselect wire {wire!r} is also a register wire")
        out[wire] = int(val)
    return out


def pick_ancilla(device: Any, used: Wires) -> Any:
    dev_wires = getattr(device, "wires", None)
    if dev_wires is not None and not isinstance(device, str):
        for wire in dev_wires:
            if wire not in used:
                return wire
        raise ValueError(
            f"device has no wire free for the sign ancilla: its wires {dev_wires.tolist()} are "
            f"all used by the register and the preparation; give the device one more wire"
        )
    labels = used.tolist()
    if all(isinstance(w, int | np.integer) and not isinstance(w, bool) for w in labels):
        return int(max(labels)) + 1
    label = "tomography_ancilla"
    while label in labels:
        label += "_"
    return label


def resolve_device(
    device: Any,
    needed: Wires,
    seed: int | None,
    device_options: Mapping[str, Any] | None,
) -> Any:
    if isinstance(device, str):
        kwargs = dict(device_options or {})
        if seed is not None:
            kwargs["seed"] = seed
        return qml.device(device, wires=needed, **kwargs)
    if seed is not None:
        raise ValueError(
            "seed is used only when device is given by name (it seeds the device built here); "
            f"seed the device instance {device!r} itself"
        )
    if device_options:
        raise ValueError("device_options are used only when device is given by name")
    if not hasattr(device, "execute"):
        raise TypeError(f"device must be a PennyLane device or a device name; got {device!r}")
    dev_wires = getattr(device, "wires", None)
    if dev_wires is not None:
        missing = [w for w in needed if w not in dev_wires]
        if missing:
            raise ValueError(
                f"wires {missing} (register, preparation, flags or ancilla) are not wires of the "
                f"device, which has {dev_wires.tolist()}"
            )
    return device


def bits_to_index(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim == 1:
        samples = samples[:, None]
    weights = 1 << np.arange(samples.shape[1] - 1, -1, -1, dtype=np.int64)
    return samples @ weights


def sampled_distribution(
    device: Any, body: Callable[[], None], measured: Wires, shots: int | None
) -> np.ndarray:
    """Exact probabilities (``shots=None``) or outcome counts over ``measured``, big-endian."""
    if shots is None:

        @qml.qnode(device)
        def exact() -> Any:
            body()
            return qml.probs(wires=measured)

        return np.asarray(qml.set_shots(exact, None)(), dtype=np.float64)

    @qml.qnode(device)
    def sampled() -> Any:
        body()
        return qml.sample(wires=measured)

    counts = np.zeros(2 ** len(measured), dtype=np.int64)
    remaining = shots
    while remaining > 0:
        batch = min(remaining, MAX_SHOTS_PER_EXECUTION)
        samples = qml.set_shots(sampled, batch)()
        counts += np.bincount(bits_to_index(samples), minlength=counts.size)
        remaining -= batch
    return counts.astype(np.float64)


def condition_on_flags(dist: np.ndarray, leading: int, flags: Sequence[int], n: int) -> np.ndarray:
    """Rows of ``dist`` (over ``leading`` bits, the flags, then ``n`` register bits) at the flag values."""
    flag_index = 0
    for bit in flags:
        flag_index = 2 * flag_index + bit
    table = dist.reshape(2**leading, 2 ** len(flags), 2**n)
    return table[:, flag_index, :]


__all__ = [
    "MAX_SHOTS_PER_EXECUTION",
    "bits_to_index",
    "check_postselect",
    "check_shots",
    "condition_on_flags",
    "pick_ancilla",
    "resolve_device",
    "sampled_distribution",
]
