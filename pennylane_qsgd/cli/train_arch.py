"""``qsgd train --arch resnet32-4``: matrix-free QSGD windows on a pruned CIFAR ResNet beside SGD.

The model is pre-trained (or loaded with ``--pretrained``), 90 % globally L1-pruned with the head
kept dense (as in the spectrum job), then fine-tuned on one fixed batch of ``--batch`` training
images twice from the same start: QSGD order-1 windows at the ideal fidelity on the whole
unpruned support (matrix-free: one Hessian-vector product per Euler step) with the download's
tomography noise (``--shots``; 0 reads the solver output exactly), and ``torch.optim.SGD`` with
the same learning rate, ``--window`` steps per window. Batch norm uses its running statistics
during fine-tuning (``eval()``), so both optimizers descend the same deterministic loss.

Per window: the loss on the batch and the test accuracy of both models, and the distance
:math:`\\|\\theta_Q - \\theta_S\\|` of the weights relative to SGD's own displacement
:math:`\\|\\theta_S - \\theta_0\\|` since the start. The first window where it exceeds
``--track-threshold`` is where QSGD stops tracking SGD.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from pennylane_qsgd.diagnostics.distributed import resolve_device
from pennylane_qsgd.diagnostics.spectrum_job import (
    classification_accuracy,
    job_data,
    pretrain_dense,
)
from pennylane_qsgd.models import build_model, cifar_resnet, load_pretrained
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.qsgd import QSGD

__all__ = ["ARCH_DATA", "run_arch_training"]

#: Data sets each ``--arch`` of ``qsgd train`` accepts (the first is the default).
ARCH_DATA = {
    "resnet32-4": ("generated", "cifar100", "cifar10"),
    "resnet8-1": ("generated", "cifar100", "cifar10"),
}

#: Builders of the ``--arch`` choices: the paper's model, and a small one (78k weights) for tests.
_BUILDERS = {
    "resnet32-4": lambda num_classes: build_model("resnet32-4", num_classes=num_classes),
    "resnet8-1": lambda num_classes: cifar_resnet(8, 1, num_classes),
}


def _flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1).double().cpu() for p in model.parameters()])


def run_arch_training(args: argparse.Namespace, progress: bool = True) -> dict:
    """Run the ResNet comparison described in the module notes; returns the report.

    ``args`` are the parsed options of ``qsgd train`` (``arch``, ``data``, ``data_root``,
    ``download``, ``device``, ``pretrained``, ``lr``, ``window``, ``windows``, ``shots``,
    ``sparsity``, ``seed``, ``output_dir``, ``batch``, ``n_train``, ``n_test``,
    ``pretrain_epochs``, ``track_threshold``). The report is written to
    ``output_dir/report.json`` after every window, so an interrupted run keeps what it did.
    """
    if args.order != 1:
        raise ValueError(
            f"--arch {args.arch} runs order-1 matrix-free windows; got --order {args.order}"
        )
    data = args.data or ARCH_DATA[args.arch][0]
    if data not in ARCH_DATA[args.arch]:
        raise ValueError(
            f"--data must be one of {ARCH_DATA[args.arch]} for --arch {args.arch}; got {data!r}"
        )
    if data != "generated" and args.data_root is None:
        raise ValueError(f"--data {data} needs --data-root PATH (the folder of the python release)")
    if not 0 < args.track_threshold:
        raise ValueError(f"--track-threshold must be positive; got {args.track_threshold}")
    dev = resolve_device(args.device)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    cfg = {
        "n_train": args.n_train
        if args.n_train is not None
        else (64 if data == "generated" else None),
        "seed": args.seed,
        "data": data,
        "download": args.download,
        "data_root": args.data_root,
    }
    x_tr, y_tr, x_te, y_te, num_classes, augment = job_data(cfg)
    if args.n_test is not None:
        x_te, y_te = x_te[: args.n_test], y_te[: args.n_test]
    model = _BUILDERS[args.arch](num_classes)
    if args.pretrained is not None:
        load_pretrained(model, args.pretrained)
    model.to(dev)
    if args.pretrain_epochs > 0:
        pretrain_dense(
            model, x_tr, y_tr, args.pretrain_epochs, args.batch, gen, dev, augment, progress
        )
    head = {"test_accuracy_dense": classification_accuracy(model, x_te, y_te, dev)}
    global_l1_prune(model, amount=args.sparsity)
    model.eval()  # running batch-norm statistics: a deterministic loss for both optimizers
    head["test_accuracy_pruned"] = classification_accuracy(model, x_te, y_te, dev)
    xb, yb = x_tr[: args.batch].to(dev), y_tr[: args.batch].to(dev)
    classical = copy.deepcopy(model)
    sgd = torch.optim.SGD(classical.parameters(), lr=args.lr)
    qsgd = QSGD(
        model.parameters(),
        lr=args.lr,
        window=args.window,
        fidelity="ideal",
        matrix_free=True,
        shots=args.shots or None,
        masks=model,
        seed=args.seed,
    )
    theta0 = _flat(model)

    def quantum_closure():
        return nn.functional.cross_entropy(model(xb), yb)

    def loss_of(net: nn.Module) -> float:
        with torch.no_grad():
            return float(nn.functional.cross_entropy(net(xb), yb))

    report = {
        "config": {k: v for k, v in vars(args).items() if not callable(v)} | {"data": data},
        "device": str(dev),
        "support_size": None,
        "start": {"loss": loss_of(model), **head},
        "windows": [],
        "track_threshold": args.track_threshold,
        "first_untracked_window": None,
    }
    bar = tqdm(range(args.windows), desc="windows", disable=not progress)
    for k in bar:
        start = time.perf_counter()
        qsgd.step(quantum_closure)
        quantum_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(args.window):
            sgd.zero_grad()
            nn.functional.cross_entropy(classical(xb), yb).backward()
            sgd.step()
        classical_seconds = time.perf_counter() - start
        w = qsgd.reports[-1]
        theta_q, theta_s = _flat(model), _flat(classical)
        distance = float((theta_q - theta_s).norm())
        moved = float((theta_s - theta0).norm())
        relative = distance / moved if moved > 0 else (0.0 if distance == 0 else float("inf"))
        row = {
            "window": k,
            "step": (k + 1) * args.window,
            "loss_qsgd": loss_of(model),
            "loss_sgd": loss_of(classical),
            "test_accuracy_qsgd": classification_accuracy(model, x_te, y_te, dev),
            "test_accuracy_sgd": classification_accuracy(classical, x_te, y_te, dev),
            "distance": distance,
            "relative_distance": relative,
            "download_error": w.download_error,
            # the tomography model: sqrt(s / shots) ||theta|| (0 for an exact download)
            "download_error_model": (w.support_size / w.shots) ** 0.5 * float(theta_q.norm())
            if w.shots
            else 0.0,
            "shots": w.shots,
            "lambda_min": w.lambda_min,
            "euler_steps": w.euler_steps,
            "qsgd_seconds": quantum_seconds,
            "sgd_seconds": classical_seconds,
        }
        report["support_size"] = w.support_size
        report["windows"].append(row)
        if report["first_untracked_window"] is None and relative > args.track_threshold:
            report["first_untracked_window"] = k
        bar.set_postfix(loss_q=f"{row['loss_qsgd']:.4g}", loss_s=f"{row['loss_sgd']:.4g}")
        (out / "report.json").write_text(json.dumps(report, indent=2))
    return report
