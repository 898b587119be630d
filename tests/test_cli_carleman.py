"""The ``qsgd carleman`` job, end to end on small settings."""

import json

import numpy as np
import pytest

from pennylane_qsgd.cli import main
from pennylane_qsgd.cli.carleman import carleman_row
from pennylane_qsgd.core.examples import burgers_problem, logistic_problem, logistic_solution


def test_logistic_table_respects_every_bound(tmp_path, capsys):
    out = tmp_path / "table.json"
    assert (
        main(["carleman", "--example", "logistic", "--levels", "1", "2", "3", "--json", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "Lemma 1" in printed and "R = 0.25" in printed
    rows = json.loads(out.read_text())["rows"]
    errors = [r["carleman_error"] for r in rows]
    assert errors[0] > errors[1] > errors[2]
    for r in rows:
        assert r["carleman_error"] <= r["carleman_bound"]
        assert r["euler_error"] <= r["euler_bound"]
        assert r["kappa"] <= r["kappa_bound"]
        assert r["success_probability"] >= r["success_bound"]


def test_level_one_logistic_error_is_the_distance_to_the_closed_form():
    # At level 1 the truncated flow is u_in * exp(-t): its error is known in closed form.
    row = carleman_row(logistic_problem(), 1, 3.0, None, None)
    assert row.carleman_error == pytest.approx(
        abs(0.5 * np.exp(-3.0) - logistic_solution(3.0)), rel=1e-7
    )


def test_burgers_error_falls_with_level_outside_the_proven_regime():
    problem = burgers_problem()
    rows = [carleman_row(problem, level, 1.0, None, None) for level in (1, 2, 3)]
    assert rows[0].R > 10
    assert rows[0].carleman_error > rows[1].carleman_error > rows[2].carleman_error


def test_npz_input_and_rescaling(tmp_path, capsys):
    problem = logistic_problem(u_in=0.8)
    path = tmp_path / "p.npz"
    np.savez(
        path, F0=problem.F0[0], F1=problem.F1.toarray(), F2=problem.F2.toarray(), u_in=problem.u_in
    )
    assert main(["carleman", "--file", str(path), "--levels", "2", "--rescale", "0.5"]) == 0
    assert "gamma = 1.6" in capsys.readouterr().out


def test_shared_dissipation_and_reference_leave_the_row_unchanged():
    # What run() computes once for every level gives the same row as the row's own computation.
    from dataclasses import asdict

    from pennylane_qsgd.core.dissipation import dissipation
    from pennylane_qsgd.core.reference import integrate_ode

    problem = logistic_problem()
    shared = dict(info=dissipation(problem), exact=integrate_ode(problem, 2.0))
    own = asdict(carleman_row(problem, 2, 2.0, None, None))
    given = asdict(carleman_row(problem, 2, 2.0, None, None, **shared))
    own.pop("seconds"), given.pop("seconds")
    assert own == given
