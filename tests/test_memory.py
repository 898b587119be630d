"""The memory budget refuses oversized embeddings before allocating."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from pennylane_qsgd.core.carleman import carleman_matrix, carleman_memory_estimate, lift
from pennylane_qsgd.core.euler import euler_system, solve_euler
from pennylane_qsgd.core.memory import (
    MemoryBudgetError,
    check_memory,
    format_bytes,
    memory_limit_bytes,
    parse_bytes,
)
from pennylane_qsgd.core.problem import PolynomialODE


@pytest.mark.parametrize(
    ("text", "value"),
    [("1024", 1024), ("2G", 2 * 2**30), ("512m", 512 * 2**20), ("1.5GiB", 3 * 2**29), ("3K", 3072)],
)
def test_parse_bytes(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1G", "0", "2X"])
def test_parse_bytes_rejects(text):
    with pytest.raises(ValueError):
        parse_bytes(text)


def test_default_limit_is_capped(monkeypatch):
    monkeypatch.delenv("QSGD_MEMORY_LIMIT", raising=False)
    with open("/proc/meminfo", encoding="ascii") as handle:
        fields = dict(line.split(":", 1) for line in handle)
    available = int(fields["MemAvailable"].split()[0]) * 1024
    limit = memory_limit_bytes()
    assert limit <= 8 * 2**30
    # the available memory moves between the two reads; allow 5 %
    assert limit <= 0.525 * available
    assert limit >= min(8 * 2**30, 0.475 * available)


def test_environment_override(monkeypatch):
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "3M")
    assert memory_limit_bytes() == 3 * 2**20
    check_memory(3 * 2**20, "exactly at the limit")
    with pytest.raises(MemoryBudgetError, match=r"3\.00 MiB.*Lower the thing") as info:
        check_memory(5 * 2**20, "a test array", "Lower the thing.")
    assert "5.00 MiB" in str(info.value) and "a test array" in str(info.value)
    assert isinstance(info.value, MemoryError)
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "plenty")
    with pytest.raises(ValueError, match="QSGD_MEMORY_LIMIT"):
        memory_limit_bytes()


def big_sparse_problem(s: int) -> PolynomialODE:
    rng = np.random.default_rng(0)
    F1 = -sp.identity(s, format="csr")
    F2 = sp.random(s, s * s, density=5.0 / (s * s), random_state=rng)
    return PolynomialODE(np.zeros(s), F1, F2, rng.standard_normal(s) / s)


def test_oversized_carleman_refused_fast_before_allocating(monkeypatch):
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "1G")
    problem = big_sparse_problem(2000)
    estimate = carleman_memory_estimate(problem, 4)
    assert estimate > 2**40  # s^3 entries of the level-4 diagonal alone
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(MemoryBudgetError) as info:
            carleman_matrix(problem, 4)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 16 * 2**20
    message = str(info.value)
    assert format_bytes(estimate) in message
    assert "1.00 GiB" in message and "level" in message


def test_lift_and_euler_are_guarded(monkeypatch):
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "1M")
    problem = big_sparse_problem(60)
    with pytest.raises(MemoryBudgetError, match="lifted vector"):
        lift(problem.u_in, 4)  # 60^4 * 8 bytes ~ 99 MiB
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "64M")
    with pytest.raises(MemoryBudgetError, match="Euler system.*solve_euler"):
        euler_system(problem, 2, 1.0, 200)
    with pytest.raises(MemoryBudgetError, match="store_history"):
        solve_euler(problem, 2, 1.0, 2000, store_history=True)
    sol = solve_euler(problem, 2, 1.0, 2000)  # fits without the history
    assert sol.history is None and np.all(np.isfinite(sol.u_final))
