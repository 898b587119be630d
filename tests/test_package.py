"""The package root: lazy re-exports, and the core importable without PennyLane or torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pennylane_qsgd


def test_core_does_not_load_pennylane_or_torch():
    code = (
        "import sys, pennylane_qsgd.core; print(sorted({'torch', 'pennylane'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_exported_name_resolves_to_its_defining_object():
    import pennylane_qsgd.circuits as circuits
    import pennylane_qsgd.core as core
    import pennylane_qsgd.device as device
    import pennylane_qsgd.optim as optim

    for name in pennylane_qsgd.__all__:
        value = getattr(pennylane_qsgd, name)
        if name == "__version__":
            assert isinstance(value, str)
            continue
        homes = [m for m in (circuits, core, device, optim) if name in getattr(m, "__all__", [])]
        assert homes and all(getattr(m, name) is value for m in homes), name
    assert set(pennylane_qsgd.__all__) <= set(dir(pennylane_qsgd))


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pennylane_qsgd.nope  # noqa: B018
