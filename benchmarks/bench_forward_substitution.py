"""Forward substitution (solve_euler) against scipy's sparse direct solvers on the same L Y = B.

For total sizes Δ·(m+p+1) from 1e4 to 1e6 (s = 10, N = 3, Δ = 1110, p = m), each solver runs in a
fresh interpreter so that its peak memory is its own. Reported per size:

- wall time of the solve alone (the forward substitution includes building the stored part of A;
  ``spsolve`` and ``spsolve_triangular`` get ``L`` and ``B`` ready-made, their build time is shown
  separately);
- peak resident memory above the resident memory just before the solve (Linux VmHWM after a
  reset through /proc/self/clear_refs; tracemalloc peak where that is not available);
- the largest difference between the two histories Y.

Usage::

    python benchmarks/bench_forward_substitution.py [--sizes 1e4,1e5,1e6] [--timeout 600]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

S, LEVEL, T = 10, 3, 1.0


def build_problem():
    from pennylane_qsgd.core.problem import PolynomialODE

    rng = np.random.default_rng(0)
    F1 = -sp.identity(S) + 0.2 * sp.random(S, S, density=0.3, random_state=rng)
    F2 = 0.1 * sp.random(S, S * S, density=0.05, random_state=rng)
    u = rng.standard_normal(S)
    return PolynomialODE(0.05 * rng.standard_normal(S), F1, F2, 0.5 * u / np.linalg.norm(u))


def blocks_for(size: float) -> tuple[int, int]:
    """(m, p) with p = m and (m + p + 1) Δ closest to ``size``."""
    from pennylane_qsgd.core.carleman import carleman_dimension

    dim = carleman_dimension(S, LEVEL)
    m = max(1, round((size / dim - 1) / 2))
    return m, m


def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakMemory:
    """Peak bytes allocated inside the block above the level at entry.

    The larger of the resident-set high-water mark (reset through /proc/self/clear_refs; sees
    SuperLU's C allocations) and the tracemalloc peak (sees every numpy array, even when it reuses
    memory freed earlier).
    """

    def __enter__(self) -> PeakMemory:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
                handle.write("5")
            self.base = _rss_kib("VmRSS")
        except OSError:
            self.base = None
        tracemalloc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if self.base is not None:
            self.peak = max(self.peak, 1024 * (_rss_kib("VmHWM") - self.base))


def measure(solve) -> tuple[object, float, int]:
    """(result, wall seconds, peak bytes): one traced run for memory, one untraced for time."""
    with PeakMemory() as mem:
        solve()
    start = time.perf_counter()
    result = solve()
    return result, time.perf_counter() - start, mem.peak


def worker(method: str, size: float) -> dict:
    from pennylane_qsgd.core.bounds import StepSizeWarning
    from pennylane_qsgd.core.euler import euler_system, solve_euler

    warnings.simplefilter("ignore", StepSizeWarning)
    problem = build_problem()
    m, p = blocks_for(size)
    out = {"method": method, "m": m, "p": p}
    if method == "forward":
        sol, out["time"], out["peak"] = measure(
            lambda: solve_euler(problem, LEVEL, T, m, p, store_history=True)
        )
        _, _, out["peak_no_history"] = measure(lambda: solve_euler(problem, LEVEL, T, m, p))
        out["n"] = sol.history.size
        return out
    start = time.perf_counter()
    L, B = euler_system(problem, LEVEL, T, m, p)
    L = sp.csc_array(L) if method == "spsolve" else sp.csr_array(L)
    out["build"] = time.perf_counter() - start
    out["nnz"] = int(L.nnz)
    if method == "spsolve":
        Y, out["time"], out["peak"] = measure(lambda: spla.spsolve(L, B))
    else:
        Y, out["time"], out["peak"] = measure(
            lambda: spla.spsolve_triangular(L, B, lower=True, unit_diagonal=True)
        )
    reference = solve_euler(problem, LEVEL, T, m, p, store_history=True).history.reshape(-1)
    out["max_diff"] = float(np.max(np.abs(Y - reference)))
    out["n"] = int(B.size)
    return out


def run(method: str, size: float, timeout: float, memory_cap: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--size", str(size)]
    # A fixed mmap threshold makes glibc return large blocks at free, so the RSS peak is honest.
    env = dict(os.environ, QSGD_MEMORY_LIMIT=str(memory_cap), MALLOC_MMAP_THRESHOLD_="131072")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, preexec_fn=limit
        )
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"> {timeout:.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        kind = "out of memory" if "MemoryError" in tail[0] else tail[0][:40]
        return {"method": method, "error": kind}
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt_time(result: dict) -> str:
    return result.get("error") or f"{result['time']:.3f}"


def fmt_mem(result: dict, key: str = "peak") -> str:
    return "-" if "error" in result else f"{result[key] / 2**20:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,3e4,1e5,3e5,1e6")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--memory-cap", default="12G", help="address-space cap per solver")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.size)))
        return

    from pennylane_qsgd.core.memory import parse_bytes

    cap = parse_bytes(args.memory_cap)
    header = (
        f"{'n = Δ(m+p+1)':>13} {'m=p':>5} {'nnz(L)':>9} | {'fwd s':>7} {'spsolve s':>10} "
        f"{'speedup':>8} {'tri s':>8} | {'fwd MiB':>8} {'(no Y)':>7} {'spsolve MiB':>11} "
        f"{'ratio':>6} {'tri MiB':>8} | {'build L s':>9} {'max|ΔY|':>8}"
    )
    print(f"s = {S}, N = {LEVEL}, T = {T}; times are wall seconds, memory is peak MiB above entry")
    print(header)
    print("-" * len(header))
    for size in (float(x) for x in args.sizes.split(",")):
        fwd = run("forward", size, args.timeout, cap)
        direct = run("spsolve", size, args.timeout, cap)
        tri = run("triangular", size, args.timeout, cap)
        ok = "error" not in fwd and "error" not in direct
        speed = f"{direct['time'] / fwd['time']:.1f}x" if ok else "-"
        ratio = f"{direct['peak'] / max(fwd['peak'], 1):.1f}x" if ok else "-"
        build = direct.get("build", tri.get("build"))
        diff = direct.get("max_diff", tri.get("max_diff"))
        print(
            f"{fwd.get('n', direct.get('n', size)):>13.0f} {fwd.get('m', '?'):>5} "
            f"{direct.get('nnz', tri.get('nnz', 0)):>9} | {fmt_time(fwd):>7} "
            f"{fmt_time(direct):>10} {speed:>8} {fmt_time(tri):>8} | {fmt_mem(fwd):>8} "
            f"{fmt_mem(fwd, 'peak_no_history'):>7} {fmt_mem(direct):>11} {ratio:>6} "
            f"{fmt_mem(tri):>8} | {'-' if build is None else f'{build:.2f}':>9} "
            f"{'-' if diff is None else f'{diff:.1e}':>8}",
            flush=True,
        )


if __name__ == "__main__":
    main()
