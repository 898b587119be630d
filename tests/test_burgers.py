"""PNAS Fig. 1 (arXiv:2011.03185) against an independent transcription of ``carleman_burgers.m``.

The script's recipe is rebuilt here with dense numpy arrays and Fortran-order linear indices (as
MATLAB indexes), its Carleman matrix rebuilt densely at every Euler step as the script does, and
its reference ODE integrated by scipy with the forcing interpolated linearly between the samples
(the script's ``interp1``). Nothing below reuses the package's Burgers or Carleman code.
"""

from __future__ import annotations

import json
from functools import reduce

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pennylane_qsgd.cli import main
from pennylane_qsgd.core.burgers import PNAS_FIG1, PNAS_FIG1_STEPS, BurgersSetup
from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.core.error_curves import error_curves, reference_trajectory


def script_setup(nx: int, nt: int, T: float = 3.0, re0: float = 20.0):
    """F0 samples (nt, nx), F1, F2, u0 and R exactly as carleman_burgers.m builds them."""
    L0, U0 = 1.0, 1 / np.sqrt(nx - 1)
    nu = U0 * L0 / re0
    dx = L0 / (nx - 1)
    xs = np.linspace(-L0 / 2, L0 / 2, nx)
    ts = np.linspace(0.0, T, nt)
    F0 = U0 * np.exp(-((xs - L0 / 4) ** 2) / (2 * (L0 / 32) ** 2)) * np.cos(2 * np.pi * ts)[:, None]
    F1 = np.zeros(nx * nx)
    F1[1 :: nx + 1] = nu / dx**2  # MATLAB F1(1+1:nx+1:end), 0-based here
    F1[nx :: nx + 1] = nu / dx**2
    F1[0 :: nx + 1] = -2 * nu / dx**2
    F1 = F1.reshape(nx, nx, order="F")
    F2 = np.zeros(nx * nx**2)
    F2[nx**2 + nx :: nx**2 + nx + 1] = -1 / (4 * dx)
    F2[1 :: nx**2 + nx + 1] = 1 / (4 * dx)
    F2 = F2.reshape(nx, nx**2, order="F")
    F1[[0, -1], :] = 0
    F2[[0, -1], :] = 0
    u0 = -U0 * np.sin(2 * np.pi * xs / L0)
    lambdas = np.linalg.eigvals(F1)
    lam = np.max(lambdas[lambdas != 0].real)
    f0 = np.max(np.linalg.norm(F0, axis=1))
    R = (np.linalg.norm(u0) * np.linalg.norm(F2, 2) + f0 / np.linalg.norm(u0)) / abs(lam)
    return ts, F0, F1, F2, u0, R


def kronp(a: np.ndarray, p: int) -> np.ndarray:
    return reduce(np.kron, [a] * p) if p else np.ones((1, 1))


def script_carleman_euler(ts, F0, F1, F2, u0, N):
    """The script's Euler loop: y_{k+1} = y_k + dt (A_N(t_k) y_k + b_N(t_k)), A rebuilt densely."""
    nx = u0.size
    sizes = [nx**i for i in range(1, N + 1)]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    eye = np.eye(nx)

    def ksum(F, i):
        return sum(
            np.kron(np.kron(kronp(eye, p - 1), F), kronp(eye, i - p)) for p in range(1, i + 1)
        )

    fixed = np.zeros((starts[-1], starts[-1]))
    for i in range(1, N + 1):
        fixed[starts[i - 1] : starts[i], starts[i - 1] : starts[i]] = ksum(F1, i)
        if i < N:
            fixed[starts[i - 1] : starts[i], starts[i] : starts[i + 1]] = ksum(F2, i)
    y = np.concatenate([kronp(u0[None, :], i)[0] for i in range(1, N + 1)])
    us = [y[:nx].copy()]
    dt = ts[1] - ts[0]
    # The forcing blocks are linear in F0: sum_r F0_r (block of e_r) is the script's rebuild.
    unit_blocks = [[ksum(eye[:, [r]], i) for r in range(nx)] for i in range(2, N + 1)]
    for k in range(ts.size - 1):
        A = fixed.copy()
        for i in range(2, N + 1):
            block = sum(F0[k, r] * unit_blocks[i - 2][r] for r in range(nx))
            A[starts[i - 1] : starts[i], starts[i - 2] : starts[i - 1]] = block
        b = np.zeros(starts[-1])
        b[:nx] = F0[k]
        y = y + dt * (A @ y + b)
        us.append(y[:nx].copy())
    return np.array(us)


def script_reference(ts, F0, F1, F2, u0):
    """The script's ODE reference: forcing interpolated linearly between the samples."""

    def rhs(t, u):
        k = min(int(np.searchsorted(ts, t, side="right")) - 1, ts.size - 2)
        w = (t - ts[k]) / (ts[k + 1] - ts[k])
        f = (1 - w) * F0[k] + w * F0[k + 1]
        return f + F1 @ u + F2 @ np.kron(u, u)

    sol = solve_ivp(rhs, (ts[0], ts[-1]), u0, t_eval=ts, rtol=1e-11, atol=1e-13, method="DOP853")
    return sol.y.T


def test_fig1_problem_and_R_are_the_scripts():
    ts, F0, F1, F2, u0, R = script_setup(16, PNAS_FIG1_STEPS + 1)
    problem = PNAS_FIG1.problem()
    np.testing.assert_allclose(problem.F1.toarray(), F1, rtol=1e-14, atol=0)
    np.testing.assert_allclose(problem.F2.toarray(), F2, rtol=1e-14, atol=0)
    np.testing.assert_allclose(problem.u_in, u0, rtol=1e-13, atol=1e-16)
    # One forcing piece per Euler step, read at the step's start t_k (the script's ts(k)).
    np.testing.assert_allclose(problem.forcing_times, ts[:-1], rtol=1e-13, atol=0)
    np.testing.assert_allclose(problem.F0, F0[:-1], rtol=1e-12, atol=1e-17)
    assert dissipation(problem, exclude_driven=True).R == pytest.approx(R, rel=1e-12)
    # Keeping the boundary rows' zero modes makes the problem look non-dissipative.
    assert dissipation(problem).R == np.inf


@pytest.mark.parametrize(
    ("nx", "nt", "T", "levels"), [(16, PNAS_FIG1_STEPS + 1, 3.0, (1, 2)), (6, 401, 0.3, (3, 4))]
)
def test_error_curves_match_the_scripts_computation(nx, nt, T, levels):
    ts, F0, F1, F2, u0, _ = script_setup(nx, nt, T)
    setup = PNAS_FIG1.with_options(
        points=nx, velocity=1 / np.sqrt(nx - 1), duration=T, pieces=nt - 1
    )
    problem = setup.problem()
    times, reference = reference_trajectory(problem, T, nt - 1, setup.source)
    np.testing.assert_allclose(times, ts, rtol=1e-13, atol=1e-15)
    script_ref = script_reference(ts, F0, F1, F2, u0)
    curves = error_curves(problem, levels, T, nt - 1, reference=reference)
    for curve in curves:
        script_u = script_carleman_euler(ts, F0, F1, F2, u0, curve.level)
        np.testing.assert_allclose(curve.trajectory, script_u, rtol=1e-9, atol=1e-12)
        script_error = np.linalg.norm(script_u - script_ref, axis=1)
        # Fig. 1 to three significant digits: the curve and its maximum over time.
        assert curve.max_error == pytest.approx(np.max(script_error), rel=1e-3)
        np.testing.assert_allclose(curve.error[1:], script_error[1:], rtol=1e-3)


def test_cli_burgers_pnas_prints_R_and_draws_the_figure(tmp_path, capsys):
    out, figure = tmp_path / "fig1.json", tmp_path / "fig1.png"
    argv = ["carleman", "--example", "burgers-pnas", "--levels", "1", "2"]
    assert main([*argv, "--figure", str(figure), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    R = script_setup(16, PNAS_FIG1_STEPS + 1)[-1]
    assert f"R = {R:.2f} (as carleman_burgers.m prints it)" in printed
    data = json.loads(out.read_text())
    assert [c["level"] for c in data["curves"]] == [1, 2]
    assert data["curves"][0]["max_error"] > data["curves"][1]["max_error"]
    assert figure.stat().st_size > 10_000


def test_cli_generic_burgers_options(capsys):
    argv = ["carleman", "--example", "burgers", "--points", "7", "--boundaries", "included"]
    argv += ["--reynolds", "10", "--velocity", "0.5", "--forcing", "periodic", "--steps", "100"]
    assert main([*argv, "--forcing-sample", "start", "--levels", "1", "2", "--T", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert (
        "7 points (boundaries included)" in printed and "100 pieces read at their start" in printed
    )
    assert "Lemma 1" in printed  # the generic example keeps the Lemma table
    with pytest.raises(SystemExit, match="burgers"):
        main(["carleman", "--example", "logistic", "--points", "5"])
    with pytest.raises(SystemExit, match="points"):
        main(["carleman", "--example", "burgers", "--points", "2"])


def test_setup_validates_and_orders_its_grid():
    for bad in (
        dict(boundaries="periodic"),
        dict(forcing="sine"),
        dict(points=4, boundaries="included"),
        dict(reynolds=0.0),
        dict(pieces=0),
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            BurgersSetup(**bad)
    included = BurgersSetup(points=9, boundaries="included")
    excluded = BurgersSetup(points=7)
    # The same physical grid: the included form adds the two ends.
    np.testing.assert_allclose(included.x[1:-1], excluded.x, rtol=0, atol=1e-15)
    assert included.x[0] == -0.5 and included.x[-1] == pytest.approx(0.5)
    assert included.driven.tolist() == [True] + [False] * 7 + [True]
    # Interior rows agree; the included form's boundary rows are zero.
    np.testing.assert_allclose(
        included.problem().F1.toarray()[1:-1, 1:-1], excluded.problem().F1.toarray(), atol=1e-12
    )
