"""The spectrum job at the paper's scale: CIFAR from disk, checkpoints, resume, bad input."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from _cifar_files import write_tiny_cifar

from pennylane_qsgd import data
from pennylane_qsgd.cli import main
from pennylane_qsgd.data import load_digits_tensors
from pennylane_qsgd.diagnostics.device_memory import largest_fitting_batch
from pennylane_qsgd.diagnostics.dissipation import window_ratio_hook
from pennylane_qsgd.diagnostics.spectrum_job import PAPER_FINETUNE, run_spectrum_job
from pennylane_qsgd.models import build_model, load_pretrained
from pennylane_qsgd.optim.pruning import global_l1_prune

TINY_RESNET = {"depth": 8, "widen_factor": 1}
MLP = {"arch": "mlp", "n_train": 128, "measure_size": 64, "per_layer_steps": 0, "threads": 1}


def _quiet(**kw):
    return run_spectrum_job(stream=io.StringIO(), progress=False, **kw)


def test_cifar_pipeline_on_a_tiny_release(tmp_path, monkeypatch):
    written = write_tiny_cifar(tmp_path / "data", "cifar100", per_class=1)
    monkeypatch.setitem(data.CIFAR_RELEASES, "cifar100", written["release"])
    result = _quiet(
        arch="resnet32-4",
        data="cifar100",
        data_root=tmp_path / "data",
        model_kwargs=TINY_RESNET,
        n_train=16,
        batch=8,
        measure_size=4,
        steps=1,
        lanczos_steps=3,
        per_layer_steps=2,
        pretrain_epochs=0,
        device="cpu",
        threads=1,
        output_dir=tmp_path / "out",
    )
    cfg = result.config
    for key in ("lr", "momentum", "weight_decay"):  # the authors' fine-tuning
        assert cfg[key] == PAPER_FINETUNE[key]
    saved = json.loads((tmp_path / "out" / "spectrum.json").read_text())
    assert saved["summary"]["batch_norm_during_hvp"].startswith("eval")
    assert len(saved["records"]) == 2
    layers = saved["records"][0]["extra"]["per_layer"]
    model = build_model("resnet32-4", num_classes=100, **TINY_RESNET)
    global_l1_prune(model, amount=0.9)
    names = [n for n, _ in model.named_parameters() if n.endswith("weight_orig")]
    assert layers and all(n in names for n in layers)  # layers pruned away entirely drop out
    assert sorted(layers, key=names.index) == list(layers)
    assert all(lo <= hi for lo, hi in layers.values())
    for name in ("density", "factor", "negative", "modes", "layers"):
        assert (tmp_path / "out" / f"{name}.png").stat().st_size > 0
    assert not list((tmp_path / "out").glob("slq-step*.pt"))  # removed once measured


def test_pretrained_checkpoint_is_the_starting_point(tmp_path):
    torch.manual_seed(3)
    ref = build_model("mlp", hidden=(32, 32))
    torch.save({"state_dict": ref.state_dict()}, tmp_path / "ckpt.pt")
    result = _quiet(steps=0, pretrained=tmp_path / "ckpt.pt", output_dir=tmp_path / "out", **MLP)
    split = load_digits_tensors(seed=0)
    with torch.no_grad():
        acc = int((ref(split.x_test).argmax(1) == split.y_test).sum()) / len(split.y_test)
    assert result.summary["test_accuracy_dense"] == pytest.approx(acc, abs=1e-12)
    assert result.config["pretrain_epochs"] == 0


def test_pretrained_mismatch_lists_the_keys(tmp_path):
    torch.save(build_model("mlp", hidden=(16,)).state_dict(), tmp_path / "small.pt")
    with pytest.raises(ValueError) as info:
        _quiet(steps=0, pretrained=tmp_path / "small.pt", output_dir=tmp_path / "o", **MLP)
    msg = str(info.value)
    assert "missing (2): 4.weight, 4.bias" in msg
    assert "2.weight (10, 16) != (32, 32)" in msg
    assert not (tmp_path / "o" / "spectrum.json").exists()


def test_load_pretrained_accepts_pruned_and_wrapped_state(tmp_path):
    src = build_model("mlp", hidden=(8,))
    global_l1_prune(src, amount=0.5)
    state = {f"module.{k}": v for k, v in src.state_dict().items()}
    torch.save(state, tmp_path / "p.pt")
    dst = load_pretrained(build_model("mlp", hidden=(8,)), str(tmp_path / "p.pt"))
    x = torch.randn(5, 64)
    torch.testing.assert_close(dst(x), src(x))


def _interrupting_hook(fail_at: int | None):
    hook, calls = window_ratio_hook(), {"n": 0}

    def wrapped(*args):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise KeyboardInterrupt
        return hook(*args)

    return wrapped


def test_interrupted_job_resumes_to_the_same_records(tmp_path):
    opts = dict(steps=4, method="exact", **MLP)
    ref = _quiet(output_dir=tmp_path / "ref", ratio_hook=_interrupting_hook(None), **opts)
    with pytest.raises(KeyboardInterrupt):  # during the measurement of step 2
        _quiet(output_dir=tmp_path / "run", ratio_hook=_interrupting_hook(3), **opts)
    state = torch.load(tmp_path / "run" / "resume.pt", weights_only=True)
    assert state["next_step"] == 2 and len(state["records"]) == 2
    assert not (tmp_path / "run" / "spectrum.json").exists()
    out = _quiet(
        output_dir=tmp_path / "run", ratio_hook=_interrupting_hook(None), resume=True, **opts
    )
    assert [r.step for r in out.records] == [0, 1, 2, 3, 4]
    for a, b in zip(out.records, ref.records, strict=True):
        np.testing.assert_allclose(
            [a.loss, a.lambda_min, a.lambda_max, a.dissipation_ratio],
            [b.loss, b.lambda_min, b.lambda_max, b.dissipation_ratio],
            rtol=1e-9,
        )
    with pytest.raises(ValueError, match="other options \\(seed\\)"):
        _quiet(output_dir=tmp_path / "run", resume=True, seed=1, **opts)


def test_nan_loss_is_a_clear_error_and_the_resume_file_stays(tmp_path):
    with pytest.raises(FloatingPointError, match="training loss is nan at fine-tuning step 1"):
        _quiet(steps=3, lr=1e38, every=10, output_dir=tmp_path, **MLP)
    state = torch.load(tmp_path / "resume.pt", weights_only=True)
    assert state["next_step"] == 1  # written after step 0, not overwritten by step 1


def test_largest_fitting_batch_bisects():
    def fake(limit):
        def try_batch(b):
            if b > limit:
                raise torch.OutOfMemoryError("fake")

        return try_batch

    assert largest_fitting_batch(fake(37), 512) == 37
    assert largest_fitting_batch(fake(37), 512, multiple=4) == 36
    assert largest_fitting_batch(fake(0), 64) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "cifar100"], "data must be one of ('digits',) for arch='mlp'"),
        (["--arch", "resnet32-4", "--data", "cifar100"], "needs data_root"),
        (["--arch", "resnet32-4", "--data", "cifar100", "--data-root", "."], "not found"),
        (["--device", "tpu"], "device must be 'cpu', 'cuda' or 'cuda:N'"),
    ],
)
def test_cli_rejects_bad_data_and_device(argv, message, tmp_path, capsys):
    code = main(["spectrum", "--output-dir", str(tmp_path), "--no-progress", *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_out_of_memory_suggests_the_largest_batch_that_fits(tmp_path, monkeypatch):
    from pennylane_qsgd.diagnostics import spectrum_job
    from pennylane_qsgd.diagnostics.device_memory import DeviceMemoryError

    def no_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("fake: the measurement does not fit")

    real_hvp = spectrum_job.hessian_vector_product

    def hvp_up_to_5(model, loss_fn, batch, support, mode="auto"):
        if len(batch[1]) > 5:
            raise torch.OutOfMemoryError("fake")
        return real_hvp(model, loss_fn, batch, support, mode=mode)

    monkeypatch.setattr(spectrum_job, "track_dissipation", no_memory)
    monkeypatch.setattr(spectrum_job, "hessian_vector_product", hvp_up_to_5)
    with pytest.raises(DeviceMemoryError, match="the largest that fits is about 5: rerun with"):
        _quiet(steps=1, output_dir=tmp_path, pretrain_epochs=0, **MLP)
