"""The spectrum job end to end on a tiny setting, and its command-line front end."""

import argparse
import io
import json

import numpy as np
import pytest
import torch

from pennylane_qsgd.cli import spectrum as cli
from pennylane_qsgd.diagnostics.plots import density_grid, plot_all
from pennylane_qsgd.diagnostics.spectra import SpectralDensity
from pennylane_qsgd.diagnostics.spectrum_job import format_table, run_spectrum_job

PNG = b"\x89PNG\r\n\x1a\n"


def test_job_end_to_end_tiny(tmp_path):
    out = io.StringIO()
    result = run_spectrum_job(
        steps=3,
        lr=0.1,
        pretrain_epochs=2,
        n_train=300,
        output_dir=tmp_path,
        progress=False,
        stream=out,
    )
    data = json.loads((tmp_path / "spectrum.json").read_text())
    assert [r["step"] for r in data["records"]] == [0, 1, 2, 3]
    assert data["config"]["arch"] == "mlp" and data["config"]["steps"] == 3
    summary = data["summary"]
    assert summary["pruned_fraction"] == pytest.approx(0.9, abs=1e-3)
    # two hidden layers of 64x32 and 32x32 weights, 10% of them kept
    assert summary["support_size"] == round(0.1 * (64 * 32 + 32 * 32))
    assert summary["method"] == "exact"
    for name in ("density", "factor", "negative"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == PNG
    # the stored eigenvalues reproduce the stored measures
    for rec in data["records"]:
        dens = SpectralDensity.from_dict(rec["spectrum"])
        eig = dens.eigenvalues
        assert eig.size == summary["support_size"]
        lr, t = rec["lr"], rec["step"] + 1
        assert np.isclose(rec["per_mode_factor"], np.mean(np.abs(1 - lr * eig) ** t))
        assert np.isclose(rec["lambda_max"], eig.max())
    # the figures also draw from the JSON records
    again = plot_all(data["records"], tmp_path / "again")
    assert all(p.read_bytes()[:8] == PNG for p in again.values())
    grid, dens_grid, sigma = density_grid(data["records"])
    assert dens_grid.shape == (4, grid.size) and sigma > 0
    assert np.allclose(np.trapezoid(dens_grid, grid, axis=1), 1.0, atol=1e-3)
    text = out.getvalue()
    assert "support s = 307" in text and "f(t)" in text
    assert "rough estimate" not in text  # exact spectra (or 64 x 8 SLQ nodes)
    assert len(result.records) == 4 and result.paths["json"].endswith("spectrum.json")


def test_job_resnet_starts_and_measures(tmp_path):
    # a depth-8 ResNet stands in for resnet32-4: same pipeline (generated data, SLQ)
    out = io.StringIO()
    result = run_spectrum_job(
        arch="resnet32-4",
        steps=1,
        n_train=4,
        batch=2,
        lanczos_steps=3,
        probes=1,
        output_dir=tmp_path,
        progress=False,
        plots=False,
        stream=out,
        model_kwargs={"depth": 8, "widen_factor": 1},
    )
    # 3 SLQ nodes: the printed summary says the spectra are rough
    assert "rough estimate: SLQ with 1 probe(s) x 3 Lanczos steps" in out.getvalue()
    rec = result.records[0]
    assert rec.method == "slq" and rec.dim == result.summary["support_size"]
    assert len(rec.spectrum["nodes"]) == 3
    assert (tmp_path / "spectrum.json").exists()


def test_job_rejects_bad_options(tmp_path):
    with pytest.raises(ValueError, match="arch"):
        run_spectrum_job(arch="vgg", output_dir=tmp_path)
    with pytest.raises(ValueError, match="sparsity"):
        run_spectrum_job(sparsity_level=1.5, output_dir=tmp_path)
    with pytest.raises(ValueError, match="probes"):
        run_spectrum_job(probes=0, output_dir=tmp_path)


def test_cli_parser_and_run(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="qsgd")
    sub = parser.add_subparsers(dest="command")
    cli.add_parser(sub)
    args = parser.parse_args(
        [
            "spectrum",
            "--steps",
            "1",
            "--every",
            "1",
            "--pretrain-epochs",
            "1",
            "--n-train",
            "200",
            "--output-dir",
            str(tmp_path),
            "--no-progress",
            "--no-plots",
            "--threads",
            "1",
        ]
    )
    assert args.func is cli.run and args.arch == "mlp" and args.steps == 1
    threads = torch.get_num_threads()
    assert cli.run(args) == 0
    assert torch.get_num_threads() == threads
    assert "spectrum.json" in capsys.readouterr().out
    assert not (tmp_path / "density.png").exists()
    bad = parser.parse_args(["spectrum", "--lr", "-1", "--output-dir", str(tmp_path)])
    assert cli.run(bad) == 2
    assert "lr" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["spectrum", "--arch", "vgg"])


def test_format_table_rows():
    from pennylane_qsgd.diagnostics.dissipation import measure

    dens = SpectralDensity.from_eigenvalues(np.array([-1.0, 0.5, 2.0]))
    recs = [measure(dens, 0.1, k, loss=0.25) for k in range(3)]
    recs[1].dissipation_ratio = 0.75
    lines = format_table(recs).splitlines()
    assert len(lines) == 4 and lines[0].split()[0] == "step"
    cols = lines[2].split()
    assert cols[0] == "1" and float(cols[2]) == -1.0 and float(cols[3]) == 2.0
    assert float(cols[4]) == pytest.approx(100 / 3, abs=0.1) and cols[7] == "0.75"
    assert lines[1].split()[7] == "-" and lines[1].split()[8:] == ["-", "-"]


def test_cli_architectures_match_the_job_and_the_models():
    # The parser repeats the names so that it imports no torch: keep the three lists equal.
    from pennylane_qsgd.diagnostics.spectrum_job import DEFAULTS
    from pennylane_qsgd.models import ARCHITECTURES

    assert set(cli.ARCHS) == set(DEFAULTS) == set(ARCHITECTURES)
