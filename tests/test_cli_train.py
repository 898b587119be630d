"""The ``qsgd train`` job: outputs, and resuming an interrupted run to the same result."""

import json
import math

import pytest

from pennylane_qsgd.cli import main
from pennylane_qsgd.cli.train import (
    TrainConfig,
    _class_summary,
    _format_class_summary,
    run_training,
)
from pennylane_qsgd.optim.qsgd import QSGD

SMALL = dict(hidden=4, pretrain_steps=30, window=3, fidelity="ideal", shots=20000, seed=1)


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path, monkeypatch):
    full = run_training(
        TrainConfig(windows=3, output_dir=str(tmp_path / "a"), **SMALL), progress=False
    )
    interrupted = TrainConfig(windows=3, output_dir=str(tmp_path / "b"), **SMALL)
    real_step = QSGD.step
    calls = []

    def flaky_step(self, closure):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_step(self, closure)

    monkeypatch.setattr(QSGD, "step", flaky_step)
    with pytest.raises(KeyboardInterrupt):
        run_training(interrupted, progress=False)
    monkeypatch.setattr(QSGD, "step", real_step)
    resumed = run_training(interrupted, resume=True, progress=False)
    keys = ["loss_qsgd", "loss_sgd", "test_accuracy_qsgd", "error_vs_gd"]
    assert len(resumed["windows"]) == 3
    for a, b in zip(full["windows"], resumed["windows"], strict=True):
        assert [a[k] for k in keys] == [b[k] for k in keys]
        assert a["report"]["shots"] == b["report"]["shots"] > 0


def test_cli_writes_report_and_plot(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--hidden",
            "4",
            "--pretrain-steps",
            "30",
            "--window",
            "2",
            "--windows",
            "2",
            "--fidelity",
            "native",
            "--shots",
            "0",
            "--output-dir",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert len(report["windows"]) == 2
    first = report["windows"][0]
    # With an exact download the only gap to plain GD is Euler's h (1 here) and the polynomial.
    assert first["error_vs_gd"] < 1e-3
    assert (out / "training.png").stat().st_size > 10_000
    assert "loss QSGD" in capsys.readouterr().out
    with pytest.raises(ValueError, match="another configuration"):
        run_training(
            TrainConfig(
                windows=2,
                output_dir=str(out),
                hidden=5,
                pretrain_steps=30,
                window=2,
                fidelity="native",
                shots=None,
            ),
            resume=True,
            progress=False,
        )


def test_help_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "--momentum" in text and "--weight-decay" in text
    assert "``" not in text and ":class:" not in text


def test_report_is_strict_json_and_resume_keeps_it_consistent(tmp_path):
    config = TrainConfig(
        windows=1, output_dir=str(tmp_path), momentum=0.5, weight_decay=1e-3, **SMALL
    )
    run_training(config, progress=False)

    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")

    report = json.loads((tmp_path / "report.json").read_text(), parse_constant=refuse)
    assert report["config"]["momentum"] == 0.5 and len(report["windows"]) == 1
    # Resuming with more windows continues; the report's config is the one that ran.
    more = TrainConfig(**{**config.__dict__, "windows": 2})
    resumed = run_training(more, resume=True, progress=False)
    assert resumed["config"]["windows"] == 2 and len(resumed["windows"]) == 2
    assert resumed["windows"][0] == report["windows"][0]
    with pytest.raises(ValueError, match="already holds 2 windows"):
        run_training(config, resume=True, progress=False)


def test_strict_json_replaces_non_finite_numbers_and_says_so():
    from pennylane_qsgd.cli.train import _strict_json

    out = _strict_json({"loss": float("inf"), "rows": [{"x": float("nan"), "y": 1.0}]})
    assert out == {
        "loss": None,
        "non_finite": {"loss": "inf"},
        "rows": [{"x": None, "y": 1.0, "non_finite": {"x": "nan"}}],
    }
    json.dumps(out, allow_nan=False)


def test_table_and_report_carry_the_window_class(tmp_path, capsys):
    config = TrainConfig(windows=2, output_dir=str(tmp_path), **SMALL)
    result = run_training(config, progress=True)
    out = capsys.readouterr().out
    assert "class e^cT" in out and "windows dissipative or almost-dissipative:" in out
    saved = json.loads((tmp_path / "report.json").read_text())
    reports = [row["report"] for row in saved["windows"]]
    for r in reports:
        assert r["window_class"] in ("dissipative", "almost-dissipative", "divergent")
        if r["window_class"] == "dissipative":
            assert r["shift_c"] == 0.0 and r["shift_penalty"] == 1.0
        elif r["window_class"] == "almost-dissipative":
            assert r["shift_penalty"] == pytest.approx(math.exp(r["shift_c"] * r["steps"]))
    shiftable = [r for r in reports if r["window_class"] != "divergent"]
    assert saved["classes"]["fraction_shiftable"] == len(shiftable) / len(reports)
    assert saved["classes"] == result["classes"]


def test_class_summary_counts_fractions_and_penalty_range():
    def row(kind, penalty, certified):
        return {"report": {"window_class": kind, "shift_penalty": penalty, "certified": certified}}

    rows = [
        row("dissipative", 1.0, True),
        row("almost-dissipative", 3.5, True),
        row("almost-dissipative", 1.5, False),
        row("divergent", None, False),
    ]
    summary = _class_summary(rows)
    assert summary["counts"] == {"dissipative": 1, "almost-dissipative": 2, "divergent": 1}
    assert summary["fraction_shiftable"] == 0.75 and summary["fraction_certified"] == 0.5
    assert (summary["penalty_min"], summary["penalty_max"]) == (1.0, 3.5)
    line = _format_class_summary(summary)
    assert "75%" in line and "1 .. 3.5" in line
    assert _class_summary([])["penalty_min"] is None


def test_route_option_runs_the_windows_by_lchs(tmp_path):
    argv = ["train", "--hidden", "4", "--pretrain-steps", "30", "--window", "3", "--windows", "1"]
    argv += ["--fidelity", "ideal", "--shots", "0", "--seed", "1"]
    losses = {}
    for route in ("euler", "lchs"):
        out = tmp_path / route
        assert main([*argv, "--route", route, "--output-dir", str(out)]) == 0
        saved = json.loads((out / "report.json").read_text())
        assert saved["config"]["route"] == route
        (row,) = saved["windows"]
        assert row["report"]["solver_route"] == route
        losses[route] = (row["loss_qsgd"], row["loss_sgd"])
    # the LCHS window follows the continuous flow, the Euler window SGD's discrete steps: both
    # land next to the SGD baseline after three steps
    for loss_qsgd, loss_sgd in losses.values():
        assert loss_qsgd == pytest.approx(loss_sgd, rel=2e-2)
    with pytest.raises(SystemExit):
        main([*argv, "--route", "hhl"])
