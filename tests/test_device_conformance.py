"""PennyLane's own device conformance suite (``pl-device-test``) run against ``qsgd.sim``.

The suite ships inside PennyLane (``pennylane/devices/tests``) as a pytest plugin with its own
``conftest.py`` and ``pytest.ini``; ``pl-device-test`` runs ``pytest <that folder> --device=...``.
We do the same in a subprocess, so that its options and markers do not mix with ours:

* analytic mode: the whole suite;
* ``--shots=10000``: the files that exercise sampling (measurements, return types, tracker, gates
  measured through expectation values, parameter-shift gradients). The remaining files only repeat
  the analytic checks with looser tolerances; the full sampled run passes too but doubles the time.

Skips come from the suite itself (capabilities we do not declare: backprop, qutrits, CV, the old
device API, jax when it is not installed); a failure or error fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pennylane as qml
import pytest

SUITE = Path(qml.__file__).parent / "devices" / "tests"

SAMPLING_FILES = [
    "test_measurements.py",
    "test_return_system.py",
    "test_tracker.py",
    "test_gates_with_expval.py",
    "test_gradients_autograd.py",
]


def run_suite(tmp_path: Path, files: list[str], extra: list[str]) -> dict[str, int]:
    """Run the suite on ``files`` (all if empty); return the counts of its summary line."""
    targets = [str(SUITE / f) for f in files] or [str(SUITE)]
    cmd = [sys.executable, "-m", "pytest", *targets, "--device=qsgd.sim", "--no-flaky-report"]
    cmd += ["-q", "--tb=short", "-p", "no:cacheprovider", "-W", "ignore", *extra]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    tail = proc.stdout[-6000:] + proc.stderr[-2000:]
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    counts = {kind: int(num) for num, kind in re.findall(r"(\d+) (\w+)", summary)}
    assert proc.returncode == 0, f"conformance suite failed ({summary}):\n{tail}"
    return counts


@pytest.mark.slow
def test_conformance_analytic(tmp_path):
    counts = run_suite(tmp_path, [], [])
    assert counts.get("failed", 0) == 0 and counts.get("error", 0) == 0
    assert counts["passed"] >= 380, counts  # the suite really ran (389 passed in 0.45.1)


@pytest.mark.slow
def test_conformance_with_shots(tmp_path):
    counts = run_suite(tmp_path, SAMPLING_FILES, ["--shots=10000"])
    assert counts.get("failed", 0) == 0 and counts.get("error", 0) == 0
    assert counts["passed"] >= 130, counts  # 143 passed in 0.45.1
