"""``qsgd train --arch``: matrix-free QSGD windows on a pruned CIFAR ResNet beside SGD."""

import json
import warnings

import pytest
from _cifar_files import write_tiny_cifar

from pennylane_qsgd import data
from pennylane_qsgd.cli import main


def test_resnet_run_on_a_tiny_cifar100_release_tracks_sgd_on_the_first_window(
    tmp_path, monkeypatch
):
    written = write_tiny_cifar(tmp_path / "cifar", "cifar100", per_class=1)
    monkeypatch.setitem(data.CIFAR_RELEASES, "cifar100", written["release"])
    out = tmp_path / "out"
    args = ["train", "--arch", "resnet8-1", "--data", "cifar100", "--data-root"]
    args += [str(tmp_path / "cifar"), "--device", "cpu", "--windows", "1", "--window", "3"]
    args += ["--lr", "0.05", "--shots", "0", "--batch", "8", "--n-test", "8"]
    args += ["--pretrain-epochs", "0", "--output-dir", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a random-label batch need not be dissipative
        assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["data"] == "cifar100" and report["device"] == "cpu"
    # 90 % of the conv weights pruned, head and biases/batch norm kept: far below the 78k weights
    assert 0 < report["support_size"] < 20_000
    (row,) = report["windows"]
    assert 0.0 <= row["test_accuracy_qsgd"] <= 1.0 and row["euler_steps"] == 3
    # Independent reference: torch SGD's own loss decrease over the window. The linearised
    # window must reproduce it to a few per cent (its error is second order in lr * T).
    decrease_sgd = report["start"]["loss"] - row["loss_sgd"]
    decrease_qsgd = report["start"]["loss"] - row["loss_qsgd"]
    assert decrease_sgd > 0
    assert decrease_qsgd == pytest.approx(decrease_sgd, rel=0.05)
    assert row["relative_distance"] < report["track_threshold"]
    assert report["first_untracked_window"] is None


def test_mlp_rejects_resnet_only_options_and_resnets_reject_order_two(tmp_path):
    with pytest.raises(ValueError, match="--data-root"):
        main(["train", "--data-root", "/nowhere", "--windows", "1"])
    with pytest.raises(ValueError, match="--order"):
        main(["train", "--arch", "resnet8-1", "--order", "2", "--output-dir", str(tmp_path)])
