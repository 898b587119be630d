"""``qsgd train``: fine-tune a pruned network with QSGD on ``qsgd.sim``, side by side with SGD.

The default run needs no argument and no network: scikit-learn's bundled digits, a small MLP, dense
pre-training, global L1 pruning to 90%, then windows of QSGD next to plain SGD from the same pruned
start. It prints a table per window, writes ``report.json`` and ``training.png`` to the output
directory, and checkpoints after every window (``--resume`` continues an interrupted run to the same
result).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune
from tqdm import tqdm

from pennylane_qsgd.cli import add_data_device_arguments
from pennylane_qsgd.cli.train_arch import ARCH_DATA, run_arch_training
from pennylane_qsgd.data import load_digits_tensors
from pennylane_qsgd.device.simulate import FIDELITIES
from pennylane_qsgd.models import mlp
from pennylane_qsgd.optim.closure_taylor import gather_values
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.qsgd import QSGD
from pennylane_qsgd.optim.window_routes import ROUTES

__all__ = ["CHECKPOINT", "TrainConfig", "add_parser", "run", "run_training"]

CHECKPOINT = "checkpoint.pt"

DESCRIPTION = __doc__.replace("``", "")
"""The module docstring as plain text for ``qsgd train --help`` (no reStructuredText)."""


@dataclass(frozen=True)
class TrainConfig:
    """Settings of ``qsgd train`` (see ``qsgd train --help`` for each)."""

    hidden: int = 16
    sparsity: float = 0.9
    pretrain_steps: int = 300
    pretrain_lr: float = 0.5
    lr: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 0.0
    window: int = 10
    windows: int = 5
    order: int = 1
    fidelity: str = "native"
    route: str = "euler"
    shots: int | None = 1_000_000
    precision: float = 1e-6
    max_support: int | None = None
    seed: int = 0
    output_dir: str = "qsgd-output"


def _build_pruned_model(config: TrainConfig, pruned_names: list[str] | None = None) -> nn.Module:
    model = mlp(64, (config.hidden,), 10)
    if pruned_names is not None:
        # Re-create the pruning parametrisation so that a checkpoint's state dict loads.
        for name in pruned_names:
            module_name, _, tensor = name.removesuffix("_orig").rpartition(".")
            prune.identity(model.get_submodule(module_name), tensor)
    return model


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def _loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(nn.functional.cross_entropy(model(x), y))


def _pretrain(config: TrainConfig, data) -> tuple[nn.Module, list[str]]:
    torch.manual_seed(config.seed)
    model = _build_pruned_model(config)
    opt = torch.optim.SGD(model.parameters(), lr=config.pretrain_lr)
    for _ in range(config.pretrain_steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(data.x_train), data.y_train).backward()
        opt.step()
    names = global_l1_prune(model, amount=config.sparsity)
    return model, names


def run_training(config: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Run (or resume) the job; returns the JSON report as a dictionary.

    Parameters
    ----------
    config : TrainConfig
    resume : bool
        Continue from ``output_dir/checkpoint.pt`` if it exists (its config must match).
    progress : bool
        Show a progress bar and print the per-window table.
    """
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_default_dtype(torch.float32)
    data = load_digits_tensors(seed=config.seed)
    x, y = data.x_train, data.y_train
    checkpoint_path = out / CHECKPOINT
    state = None
    if resume and not checkpoint_path.exists() and progress:
        print(f"no checkpoint in {out}: starting a new run")
    if resume and checkpoint_path.exists():
        state = torch.load(checkpoint_path, weights_only=False)
        # The number of windows may grow between runs; everything else must match (options
        # added since the checkpoint was written count with their defaults).
        current = asdict(config)
        saved = {**asdict(TrainConfig()), **state["config"]}
        changed = sorted(k for k in current if k != "windows" and saved[k] != current[k])
        if changed:
            raise ValueError(
                f"{checkpoint_path} was written with another configuration ({', '.join(changed)} "
                "differ); use the same options or another --output-dir"
            )
        if state["window"] > config.windows:
            raise ValueError(
                f"{checkpoint_path} already holds {state['window']} windows; ask for "
                f"--windows >= {state['window']} (the report covers every window run)"
            )
    if state is None:
        base, names = _pretrain(config, data)
        weights = {"quantum": base.state_dict(), "classical": base.state_dict()}
        history = []
        start_window = 0
        start = {
            "step": 0,
            "loss": _loss(base, x, y),
            "test_accuracy": _accuracy(base, data.x_test, data.y_test),
        }
    else:
        names, weights = state["pruned"], state
        history = state["history"]
        start_window = state["window"]
        start = state["start"]
    quantum = _build_pruned_model(config, names)
    classical = _build_pruned_model(config, names)
    quantum.load_state_dict(weights["quantum"])
    classical.load_state_dict(weights["classical"])
    qsgd = QSGD(
        quantum.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        window=config.window,
        order=config.order,
        fidelity=config.fidelity,
        route=config.route,
        shots=config.shots,
        precision=config.precision,
        max_support=config.max_support,
        masks=quantum,
        seed=config.seed,
    )
    sgd = torch.optim.SGD(
        classical.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
    )
    if state is not None:
        qsgd.load_state_dict(state["qsgd"])
        sgd.load_state_dict(state["sgd"])

    def quantum_closure():
        return nn.functional.cross_entropy(quantum(x), y)

    if progress and start_window == 0:
        print(_header())
    bar = tqdm(
        range(start_window, config.windows), desc="windows", disable=not progress, leave=False
    )
    try:
        for window in bar:
            started = time.perf_counter()
            # The support of this window (with max_support it is chosen from the current
            # magnitudes, so it must be read before the step changes them).
            entries = qsgd.support()
            reference = qsgd.gradient_descent_reference(quantum_closure)
            qsgd.step(quantum_closure)
            report = qsgd.reports[-1]
            after = gather_values(entries).cpu().numpy()
            window_error = float(np.linalg.norm(after - reference))
            for _ in range(config.window):
                sgd.zero_grad()
                nn.functional.cross_entropy(classical(x), y).backward()
                sgd.step()
            row = {
                "window": window,
                "step": (window + 1) * config.window,
                "loss_qsgd": _loss(quantum, x, y),
                "loss_sgd": _loss(classical, x, y),
                "test_accuracy_qsgd": _accuracy(quantum, data.x_test, data.y_test),
                "test_accuracy_sgd": _accuracy(classical, data.x_test, data.y_test),
                "error_vs_gd": window_error,
                "seconds": time.perf_counter() - started,
                "report": report.to_dict(),
            }
            history.append(row)
            if progress:
                tqdm.write(_format_row(row))
            torch.save(
                {
                    "config": asdict(config),
                    "pruned": names,
                    "window": window + 1,
                    "quantum": quantum.state_dict(),
                    "classical": classical.state_dict(),
                    "qsgd": qsgd.state_dict(),
                    "sgd": sgd.state_dict(),
                    "history": history,
                    "start": start,
                },
                checkpoint_path,
            )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: {len(history)} windows saved in {checkpoint_path}; "
            "run again with --resume to continue"
        )
        raise
    result = {"config": asdict(config), "start": start, "windows": history}
    result["classes"] = _class_summary(history)
    (out / "report.json").write_text(json.dumps(_strict_json(result), indent=2, allow_nan=False))
    _plot(start, history, config, out / "training.png")
    if progress:
        print(_format_class_summary(result["classes"]))
        print(f"wrote {out / 'report.json'} and {out / 'training.png'}")
    return result


_SHORT_CLASS = {"dissipative": "dis", "almost-dissipative": "alm", "divergent": "div"}
"""Table abbreviations of the window classes (anything else, e.g. unclassified, prints '?')."""


def _class_summary(history: list[dict]) -> dict:
    """Window classes of a run: counts, the fraction with a finite shift, the penalty range.

    Parameters
    ----------
    history : list of dict
        The rows of ``report.json`` (each with ``"report"``, a
        :meth:`~pennylane_qsgd.optim.report.WindowReport.to_dict`).

    Returns
    -------
    dict
        ``counts`` per class; ``fraction_shiftable``: windows that are dissipative or
        almost-dissipative (a finite shift makes them dissipative); ``fraction_certified``:
        windows with a Lyapunov certificate; ``penalty_min``, ``penalty_max``: range of
        :math:`e^{cT}` over the shiftable windows (``None`` when there are none).
    """
    reports = [row["report"] for row in history]
    counts: dict[str, int] = {}
    for r in reports:
        kind = r.get("window_class", "unclassified")
        counts[kind] = counts.get(kind, 0) + 1
    shiftable = [
        r for r in reports if r.get("window_class") in ("dissipative", "almost-dissipative")
    ]
    penalties = [r["shift_penalty"] for r in shiftable if r.get("shift_penalty") is not None]
    n = max(len(reports), 1)
    return {
        "windows": len(reports),
        "counts": counts,
        "fraction_shiftable": len(shiftable) / n,
        "fraction_certified": sum(bool(r.get("certified")) for r in reports) / n,
        "penalty_min": min(penalties) if penalties else None,
        "penalty_max": max(penalties) if penalties else None,
    }


def _format_class_summary(summary: dict) -> str:
    """One line for the end of a run (:func:`_class_summary`)."""
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items()))
    lo, hi = summary["penalty_min"], summary["penalty_max"]
    penalty = "none" if lo is None else f"{lo:.3g} .. {hi:.3g}"
    return (
        f"windows dissipative or almost-dissipative: {summary['fraction_shiftable']:.0%} "
        f"({counts}); Lyapunov-certified {summary['fraction_certified']:.0%}; "
        f"penalty e^(cT) {penalty}"
    )


def _class_cell(report: dict, width: int) -> str:
    """Class and penalty in one compact cell, e.g. ``alm 1.23`` (``-``: no finite shift)."""
    kind = _SHORT_CLASS.get(report.get("window_class"), "?")
    penalty = report.get("shift_penalty")
    return f"{kind} {'-' if penalty is None else f'{penalty:.3g}'}".rjust(width)


def _strict_json(value):
    """``value`` with every non-finite float replaced by None (report.json is strict JSON).

    A dictionary that held one gains ``"non_finite": {key: "inf"}`` (merged with the one
    :meth:`WindowReport.to_dict` already writes, which also gives the reason).
    """
    if isinstance(value, dict):
        out = {k: _strict_json(v) for k, v in value.items()}
        bad = {k: str(v) for k, v in value.items() if isinstance(v, float) and not math.isfinite(v)}
        if bad:
            out["non_finite"] = {**bad, **out.get("non_finite", {})}
        return out
    if isinstance(value, list | tuple):
        return [_strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _strict_json(value.item())
    return value


def _num(value, spec: str, width: int) -> str:
    """Format a number of the table; None (a non-finite report field) prints as '-'."""
    return f"{'-':>{width}}" if value is None else f"{value:{width}{spec}}"


def _header() -> str:
    return (
        f"{'win':>3} {'step':>4} {'loss QSGD':>9} {'loss SGD':>9} {'acc QSGD':>8} {'acc SGD':>8} "
        f"{'R':>8} {'class e^cT':>10} {'lam_min':>8} {'neg':>5} {'err vs GD':>9} {'P':>8} {'shots':>8} {'s':>4} "
        f"{'qubits':>6} {'sec':>5}"
    )


def _format_row(row: dict) -> str:
    r = row["report"]
    return (
        f"{row['window']:>3} {row['step']:>4} {row['loss_qsgd']:9.4f} {row['loss_sgd']:9.4f} "
        f"{row['test_accuracy_qsgd']:8.3f} {row['test_accuracy_sgd']:8.3f} "
        f"{_num(r['R'], '.3g', 8)} {_class_cell(r, 10)} {_num(r['lambda_min'], '.3g', 8)} "
        f"{_num(r['negative_fraction'], '.2f', 5)} {row['error_vs_gd']:9.2e} "
        f"{_num(r['success_probability'], '.2e', 8)} {r['shots']:>8} {r['support_size']:>4} "
        f"{r['qubits']:>6} {row['seconds']:5.1f}"
    )


def _plot(start: dict, history: list[dict], config: TrainConfig, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [0] + [row["step"] for row in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(
        steps, [start["loss"]] + [r["loss_qsgd"] for r in history], "o-", label="QSGD (qsgd.sim)"
    )
    left.plot(steps, [start["loss"]] + [r["loss_sgd"] for r in history], "s--", label="SGD")
    left.set_xlabel("gradient steps after pruning")
    left.set_ylabel("training loss")
    left.legend()
    acc0 = [start["test_accuracy"]]
    right.plot(
        steps, acc0 + [r["test_accuracy_qsgd"] for r in history], "o-", label="QSGD (qsgd.sim)"
    )
    right.plot(steps, acc0 + [r["test_accuracy_sgd"] for r in history], "s--", label="SGD")
    right.set_xlabel("gradient steps after pruning")
    right.set_ylabel("test accuracy")
    right.legend()
    shots = "exact download" if config.shots is None else f"{config.shots:.0e} shots"
    fig.suptitle(
        f"digits MLP 64-{config.hidden}-10, {config.sparsity:.0%} pruned, windows of "
        f"{config.window} steps, fidelity {config.fidelity}, {shots}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


#: The options that set :class:`TrainConfig` fields: (field, type, help, choices).
CONFIG_OPTIONS: tuple[tuple[str, type, str, tuple | None], ...] = (
    ("hidden", int, "hidden width", None),
    ("sparsity", float, "fraction of weights pruned (global L1, last layer kept)", None),
    ("pretrain_steps", int, "dense SGD steps before pruning", None),
    ("lr", float, "fine-tuning learning rate", None),
    (
        "momentum",
        float,
        "momentum of QSGD and of the SGD baseline (the paper fine-tunes with 0.9)",
        None,
    ),
    ("weight_decay", float, "L2 weight decay of both optimizers (the paper uses 2e-4)", None),
    ("window", int, "gradient steps per QSGD window", None),
    ("windows", int, "number of windows", None),
    ("order", int, "Taylor order of the gradient model (2: third derivatives, Carleman)", (1, 2)),
    ("fidelity", str, "simulation fidelity of qsgd.sim for each window", FIDELITIES),
    (
        "route",
        str,
        "how a window's flow is solved: euler (Carleman-Euler system, QSVT inversion) or lchs "
        "(linear combination of Hamiltonian simulations; ideal and native fidelities)",
        ROUTES,
    ),
    ("shots", int, "download shots per window (0: exact download)", None),
    ("max_support", int, "keep only the largest unpruned weights in the support", None),
    ("seed", int, "seed of data split, model and shots", None),
    ("output_dir", str, "where report.json, training.png and the checkpoint go", None),
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = subparsers.add_parser(
        "train",
        help="fine-tune a pruned digits MLP with QSGD on qsgd.sim beside SGD",
        description=DESCRIPTION,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for name, kind, text, choices in CONFIG_OPTIONS:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            choices=choices,
            default=getattr(defaults, name),
            help=text,
        )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the checkpoint in the output directory"
    )
    _add_arch_arguments(parser)
    return parser


def _add_arch_arguments(parser: argparse.ArgumentParser) -> None:
    """``--arch`` and the options of the ResNet runs (:mod:`pennylane_qsgd.cli.train_arch`)."""
    parser.add_argument(
        "--arch",
        choices=("mlp", *ARCH_DATA),
        default="mlp",
        help="model: the digits MLP, or a pruned CIFAR ResNet fine-tuned by matrix-free order-1 "
        "windows at the ideal fidelity (resnet8-1 is a small one)",
    )
    add_data_device_arguments(parser, ("digits", *ARCH_DATA["resnet32-4"]))
    group = parser.add_argument_group("ResNet runs (--arch other than mlp)")
    group.add_argument("--batch", type=int, default=64, help="fixed fine-tuning batch (images)")
    group.add_argument("--n-train", type=int, default=None, help="training images kept")
    group.add_argument("--n-test", type=int, default=None, help="test images kept")
    group.add_argument(
        "--pretrain-epochs", type=int, default=1, help="Adam epochs before pruning (0: none)"
    )
    group.add_argument(
        "--track-threshold",
        type=float,
        default=0.1,
        help="QSGD stops tracking SGD at the first window where |theta_Q - theta_S| exceeds "
        "this fraction of SGD's displacement |theta_S - theta_0|",
    )


def _select_model_data(args: argparse.Namespace) -> str:
    """The run ``qsgd train`` does: ``"mlp"`` (digits) or a ResNet; rejects mixed options."""
    if args.arch != "mlp":
        return args.arch
    extra = {
        "--data": args.data not in (None, "digits"),
        "--data-root": args.data_root is not None,
        "--download": args.download,
        "--device": args.device not in (None, "cpu"),
        "--pretrained": args.pretrained is not None,
    }
    given = [name for name, used in extra.items() if used]
    if given:
        raise ValueError(f"{', '.join(given)} need --arch resnet8-1 or resnet32-4 (got --arch mlp)")
    return "mlp"


def run(args: argparse.Namespace) -> int:
    if _select_model_data(args) != "mlp":
        run_arch_training(args)
        return 0
    names = {f.name for f in fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in names}
    if values.get("shots") == 0:
        values["shots"] = None
    run_training(TrainConfig(**values), resume=args.resume)
    return 0
