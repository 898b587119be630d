"""The ``qsgd train`` job: outputs, and resuming an interrupted run to the same result."""

import json

import pytest

from pennylane_qsgd.cli import main
from pennylane_qsgd.cli.train import TrainConfig, run_training
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
