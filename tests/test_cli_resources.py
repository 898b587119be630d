"""``qsgd resources``: table, assumptions, plot and JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pennylane_qsgd.cli import build_parser, main
from pennylane_qsgd.cli.resources import DEFAULT_STEPS, DEFAULTS
from pennylane_qsgd.diagnostics import resources as model
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions


def test_resources_subcommand_registered():
    args = build_parser().parse_args(["resources", "--params", "100", "--steps", "10"])
    assert args.command == "resources"
    assert args.params == [100] and args.steps == [10]


def test_parser_defaults_are_the_model_defaults():
    a = WindowAssumptions(params=1)
    for key, value in vars(DEFAULTS).items():
        assert getattr(a, key) == value, key
    assert tuple(DEFAULT_STEPS) == model.DEFAULT_STEPS
    args = build_parser().parse_args(["resources"])
    assert args.params is None and args.steps == list(DEFAULT_STEPS) and args.eps == a.eps


def test_resources_writes_table_plot_and_json(tmp_path, capsys):
    rc = main(
        [
            "resources",
            "--params",
            "20000",
            "--steps",
            "10",
            "100",
            "1000",
            "--eps",
            "1e-3",
            "--sparsity",
            "0.95",
            "--output-dir",
            str(tmp_path),
            "--json",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "Assumptions and model:" in out
    for stated in ("sparsity = 0.95", "QRAM", "||F1|| = lr * lambda_max", "Lemma 5", "FLOPs"):
        assert stated in out
    assert "s = 1,000 unpruned weights" in out
    assert "T-count" in out and "BE calls" in out and "log-log slope" in out
    png = tmp_path / "resources.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "resources.json").read_text())
    (rows,) = data["tables"].values()
    assert [r["T"] for r in rows] == [10, 100, 1000]
    # The classical line is T * 3 n batch; the quantum calls grow faster than T.
    assert rows[-1]["classical_flops"] == pytest.approx(1000 * 3 * 20000 * 512)
    ratio = rows[-1]["block_encoding_calls"] / rows[0]["block_encoding_calls"]
    assert ratio > 100**1.8


def test_default_models_are_the_paper_resnets(tmp_path, capsys):
    rc = main(["resources", "--steps", "10", "100", "--no-plot", "--output-dir", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "n = 7,450,000" in out and "n = 103,300,000" in out
    assert "s = 745,000" in out and "s = 10,330,000" in out
    assert not (tmp_path / "resources.png").exists()


def test_bad_input_exits_with_the_argument_named(tmp_path):
    with pytest.raises(SystemExit, match="sparsity"):
        main(["resources", "--params", "10", "--sparsity", "1.5", "--output-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="steps"):
        main(["resources", "--params", "10", "--steps", "0", "--output-dir", str(tmp_path)])


def test_resources_prints_and_writes_both_routes(tmp_path, capsys):
    args = ["resources", "--params", "20000", "--steps", "100", "1000", "10000", "--no-plot"]
    rc = main([*args, "--output-dir", str(tmp_path), "--json"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "LCHS route" in out and "LCHS T-count" in out and "crossover T" in out
    data = json.loads((tmp_path / "resources.json").read_text())
    (routes,) = data["routes"].values()
    (table,) = data["tables"].values()
    assert [r["T"] for r in routes["rows"]] == [100, 1000, 10000]
    # The Euler column is the table's own estimate; LCHS queries are linear in T (up to logs)
    # and Euler's quadratic, so over the last decade the slopes are near 1 and 2.
    assert [r["euler_calls"] for r in routes["rows"]] == [r["block_encoding_calls"] for r in table]
    slopes = routes["slopes"]
    assert 0.8 < slopes["lchs_calls"] < 1.4 and 1.8 < slopes["euler_calls"] < 2.4
    ratio = routes["rows"][-1]["lchs_calls"] / routes["rows"][-2]["lchs_calls"]
    assert slopes["lchs_calls"] == pytest.approx(np.log10(ratio), rel=1e-9)
