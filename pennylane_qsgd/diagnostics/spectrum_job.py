"""The ``qsgd spectrum`` job: Hessian spectra and dissipation over fine-tuning after pruning.

The classical half of the pipeline of arXiv:2303.03428 (Methods, Figs. 2-3): dense pre-training,
global unstructured L1 pruning of the convolution and linear weights (the head excluded), then
classical fine-tuning with the Hessian spectrum on the unpruned weights and the dissipation
measures of :mod:`pennylane_qsgd.diagnostics.dissipation` recorded every few steps. It shows
whether, and for how many steps, the dynamics after pruning are dissipative enough for the
quantum windows.

Two settings are built in:

- ``arch="mlp"`` (default): a 64-32-32-10 MLP on scikit-learn's digits, exact spectra of the
  Hessian of the loss on 512 training digits (the support of the two 90%-pruned hidden layers has about
  300 weights); well under a minute on two cores.
- ``arch="resnet32-4"`` (or ``"resnet422-4"``): the paper's 7.45M (103.3M) parameter ResNet on
  generated CIFAR-shaped data (:func:`pennylane_qsgd.data.cifar_like`), SLQ densities with small
  defaults (batch 8, a few Lanczos steps, one probe) so that a measurement takes seconds to
  minutes on a CPU.

With ``data="cifar100"`` (or ``"cifar10"``) and ``data_root`` the ResNets run the paper's
pipeline on the real data set (:func:`pennylane_qsgd.data.load_cifar_tensors`): dense
pre-training or a user's checkpoint (``pretrained``), 90% global L1 pruning without the head,
then fine-tuning with the authors' settings (:data:`PAPER_FINETUNE`: SGD with lr 0.01, momentum
0.9, weight decay 2e-4, batch 512, crop-and-flip augmentation) and the spectrum of the Hessian on
a fixed batch of 512 training images at every step.

**Batch norm** is in eval mode (running statistics) while the Hessian is measured, as in the
paper's code: the spectrum is that of the network as it predicts, and a data-parallel product
(several ranks under ``torchrun``) is exactly that of the whole batch. Training steps use the
batch statistics as usual.

Long runs resume: with ``resume=True`` the job continues from ``resume.pt`` in the output folder
(written atomically after every fine-tuning step, with the model, the optimizer and the records so
far), and an interrupted SLQ measurement continues from its own ``slq-step{k}.pt``.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import nn
from tqdm.auto import tqdm

from pennylane_qsgd.data import (
    CIFAR_RELEASES,
    augment_cifar,
    cifar_like,
    load_cifar_tensors,
    load_digits_tensors,
)
from pennylane_qsgd.diagnostics import distributed as dd
from pennylane_qsgd.diagnostics.checkpoint import atomic_torch_save, atomic_write_text, torch_load
from pennylane_qsgd.diagnostics.device_memory import DeviceMemoryError, largest_fitting_batch
from pennylane_qsgd.diagnostics.dissipation import (
    DissipationRecord,
    RatioHook,
    records_to_json,
    track_dissipation,
)
from pennylane_qsgd.diagnostics.mixed_precision import (
    DEFAULT_TOLERANCE,
    check_forward_precision,
    parse_forward_dtype,
)
from pennylane_qsgd.diagnostics.plots import plot_all
from pennylane_qsgd.diagnostics.spectra import default_support
from pennylane_qsgd.diagnostics.window_classes import (
    class_summary,
    classify_records,
    classifying_hook,
    format_class_summary,
    norms_hook,
)
from pennylane_qsgd.models import build_model, load_pretrained, parameter_count
from pennylane_qsgd.optim.pruning import global_l1_prune, sparsity
from pennylane_qsgd.optim.taylor import gradient_on_support, hessian_vector_product

#: Below this many SLQ nodes (probes x Lanczos steps) the job labels its spectra as rough.
ROUGH_SLQ_NODES = 64

#: Per-architecture defaults (None in :func:`run_spectrum_job` means "take these").
DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {
        # two pruned hidden layers: the Hessian of one ReLU layer alone is a Gauss-Newton
        # matrix (the net is piecewise linear in it), positive semi-definite, with no
        # negative curvature to see
        "model_kwargs": {"hidden": (32, 32)},
        "lr": 0.1,
        "batch": 64,
        "pretrain_epochs": 10,
        "lanczos_steps": 64,
        "probes": 8,
        "method": "auto",
        "n_train": None,
        "measure_size": 512,
        "steps": 30,
    },
    # the ResNets: sized so that a measurement takes minutes on two CPU cores; double backward
    # is about twice as fast as forward-over-reverse through batch norm on CPU
    # (benchmarks/bench_hessian.py)
    "resnet32-4": {
        "lr": 0.01,
        "batch": 8,
        "pretrain_epochs": 1,
        "lanczos_steps": 8,
        "probes": 1,
        "method": "slq",
        "n_train": 32,
        "measure_size": 8,
        "steps": 2,
        "hvp_mode": "reverse",
    },
    "resnet422-4": {
        "lr": 0.01,
        "batch": 4,
        "pretrain_epochs": 1,
        "lanczos_steps": 4,
        "probes": 1,
        "method": "slq",
        "n_train": 8,
        "measure_size": 4,
        "steps": 1,
        "hvp_mode": "reverse",
    },
}


#: The fine-tuning of the authors' scripts, the defaults with real CIFAR data (``data="cifar*"``).
PAPER_FINETUNE: dict[str, Any] = {
    "lr": 0.01,
    "momentum": 0.9,
    "weight_decay": 2e-4,
    "batch": 512,
    "measure_size": 512,
    "steps": 20,
    "lanczos_steps": 64,
    "probes": 1,
    "n_train": None,
    "pretrain_epochs": 1,
}

#: Data sets each architecture accepts (the first is the default).
DATA_CHOICES: dict[str, tuple[str, ...]] = {
    "mlp": ("digits",),
    "resnet32-4": ("generated", "cifar100", "cifar10"),
    "resnet422-4": ("generated", "cifar100", "cifar10"),
}

#: Options that a resume file must share with the run that resumes it.
RESUME_KEYS = (
    "arch",
    "data",
    "seed",
    "sparsity",
    "model_kwargs",
    "n_train",
    "batch",
    "measure_size",
    "pretrained",
    "pretrain_epochs",
    "forward_dtype",
)


@dataclass
class SpectrumJobResult:
    """Everything the job produced.

    Attributes
    ----------
    config : dict
        The resolved options.
    records : list of DissipationRecord
        One per measurement step.
    summary : dict
        Sizes, accuracies, sparsity, the length of the early dissipative window, timings.
    paths : dict of str to str
        ``"json"`` and the figures (``"density"``, ``"factor"``, ``"negative"``).
    """

    config: dict
    records: list[DissipationRecord]
    summary: dict
    paths: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-serialisable form (the content of ``spectrum.json``)."""
        return {
            "config": self.config,
            "summary": self.summary,
            "records": records_to_json(self.records),
        }


def classification_accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device, batch: int = 512
) -> float:
    was_training = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            pred = model(x[i : i + batch].to(device)).argmax(1).cpu()
            correct += int((pred == y[i : i + batch]).sum())
    model.train(was_training)
    return correct / max(len(x), 1)


def pretrain_dense(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    batch: int,
    gen,
    device: torch.device,
    augment: Callable | None = None,
    progress: bool = False,
) -> float:
    """Dense pre-training with Adam (lr 1e-2 for the MLP, 1e-3 otherwise); returns the last loss."""
    lr = 1e-2 if x.dim() == 2 else 1e-3
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    loss = torch.tensor(float("nan"))
    per_epoch = -(-len(x) // batch)
    bar = tqdm(total=epochs * per_epoch, desc="pre-training", disable=not progress, leave=False)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            bar.update(1)
            idx = perm[i : i + batch]
            xb = x[idx] if augment is None else augment(x[idx], gen)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb.to(device)), y[idx].to(device))
            loss.backward()
            opt.step()
    bar.close()
    return float(loss.detach())


def job_data(cfg: dict):
    """Train/test tensors (CPU), the number of classes and the augmentation (or None)."""
    n_train, seed, name = cfg["n_train"], cfg["seed"], cfg["data"]
    if name == "digits":
        split = load_digits_tensors(seed=seed)
        x_tr, y_tr = split.x_train, split.y_train
        if n_train is not None:
            x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
        return x_tr, y_tr, split.x_test, split.y_test, 10, None
    if name == "generated":
        x_tr, y_tr = cifar_like(n_train, seed=seed)
        x_te, y_te = cifar_like(max(n_train, 16), seed=seed + 1)
        return x_tr, y_tr, x_te, y_te, 100, None
    # rank 0 downloads (if asked) before the others read
    if cfg["download"] and dd.rank() != 0:
        torch.distributed.barrier()
    split = load_cifar_tensors(name, cfg["data_root"], cfg["download"], n_train=n_train)
    if cfg["download"] and dd.rank() == 0 and dd.world_size() > 1:
        torch.distributed.barrier()

    def augment(xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return augment_cifar(xb, name, gen)

    return split.x_train, split.y_train, split.x_test, split.y_test, split.num_classes, augment


def _early_window(records: list[DissipationRecord]) -> int | None:
    """Steps ``t`` for which the mean per-mode factor stays below 1 (None if it never exceeds 1)."""
    for r in records:
        if r.per_mode_factor > 1.0:
            return r.step
    return None


def _class_cells(r: DissipationRecord) -> str:
    """Class (dissipative / almost / divergent) and shift penalty of the window starting here."""
    kind = r.extra.get("window_class")
    if kind is None:
        return f"{'-':>8} {'-':>7}"
    short = {"dissipative": "dissip", "almost-dissipative": "almost"}.get(kind, "diverg")
    return f"{short:>8} {float(r.extra['shift_penalty']):>7.3g}"


def format_table(records: list[DissipationRecord]) -> str:
    """A short fixed-width table of the measures (one row per measurement)."""
    head = (
        f"{'step':>4} {'loss':>8} {'lam_min':>9} {'lam_max':>9} {'neg%':>6} "
        f"{'f(1)':>7} {'f(t)':>9} {'R':>7} {'class':>8} {'e^(cT)':>7}"
    )
    rows = [head]
    for r in records:
        ratio = "-" if r.dissipation_ratio is None else f"{r.dissipation_ratio:.3g}"
        rows.append(
            f"{r.step:>4} {r.loss:>8.4f} {r.lambda_min:>9.3g} {r.lambda_max:>9.3g} "
            f"{100 * r.negative_fraction:>6.1f} {r.factor_one_step:>7.4f} "
            f"{r.per_mode_factor:>9.4g} {ratio:>7} {_class_cells(r)}"
        )
    return "\n".join(rows)


def run_spectrum_job(
    arch: str = "mlp",
    steps: int | None = None,
    lr: float | None = None,
    sparsity_level: float = 0.9,
    method: str | None = None,
    output_dir: str | Path = "qsgd-spectrum",
    seed: int = 0,
    batch: int | None = None,
    lanczos_steps: int | None = None,
    probes: int | None = None,
    *,
    every: int = 1,
    pretrain_epochs: int | None = None,
    n_train: int | None = None,
    momentum: float | None = None,
    weight_decay: float | None = None,
    max_exact_dim: int = 2048,
    plots: bool = True,
    progress: bool = True,
    stream: TextIO | None = None,
    ratio_hook: RatioHook | None = None,
    threads: int | None = None,
    model_kwargs: dict | None = None,
    hvp_mode: str | None = None,
    measure_size: int | None = None,
    data: str | None = None,
    data_root: str | Path | None = None,
    download: bool = False,
    device: str | None = None,
    pretrained: str | Path | None = None,
    per_layer_steps: int | None = None,
    resume: bool = False,
    forward_dtype: str = "float32",
    precision_tolerance: float = DEFAULT_TOLERANCE,
) -> SpectrumJobResult:
    """Pre-train, prune, fine-tune and record the Hessian spectrum and dissipation measures.

    Parameters
    ----------
    arch : {"mlp", "resnet32-4", "resnet422-4"}
        Model and data (digits for the MLP, generated CIFAR-shaped data for the ResNets).
    steps : int, optional
        Fine-tuning steps after pruning (default 30 for the MLP, 2 for resnet32-4).
    lr : float, optional
        Fine-tuning learning rate :math:`\\eta` of SGD, also used in the measures (default 0.1
        for the MLP, 0.01 for the ResNets, the paper's value).
    sparsity_level : float
        Fraction of the conv/linear weights pruned (the head excluded), default 0.9.
    method : {"auto", "exact", "slq"}, optional
        Spectrum method; ``"auto"`` is exact up to ``max_exact_dim`` weights.
    output_dir : path
        Receives ``spectrum.json`` and the PNG figures.
    seed : int
        Seeds the data split, the initialisation, the batch order and the SLQ probes.
    batch : int, optional
        Minibatch size of pre-training and fine-tuning (64 for the MLP, 8 for resnet32-4).
    lanczos_steps, probes : int, optional
        SLQ options.
    every : int
        Measure every ``every`` steps.
    pretrain_epochs : int, optional
        Epochs of dense pre-training (Adam).
    n_train : int, optional
        Training samples (all 1347 digits; 32 generated images for resnet32-4).
    momentum, weight_decay : float
        Of the fine-tuning SGD (default plain SGD, the dynamics the measures describe).
    max_exact_dim : int
        Threshold of ``method="auto"``.
    plots : bool
        Write the figures.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    stream : text stream, optional
        Where the summary table is printed (default stdout; pass ``io.StringIO()`` to silence).
    ratio_hook : callable, optional
        R of the window starting at each measurement (see
        :func:`~pennylane_qsgd.diagnostics.dissipation.track_dissipation`); by default the
        window classes: :func:`~pennylane_qsgd.diagnostics.window_classes.classifying_hook` for
        the MLP (exact window flow), :func:`~pennylane_qsgd.diagnostics.window_classes.norms_hook`
        otherwise (classified from norms after the run).
    threads : int, optional
        ``torch.set_num_threads`` for the run (restored afterwards).
    model_kwargs : dict, optional
        Overrides of the architecture's builder arguments (the MLP of the job has two hidden
        layers of 32 by default).
    hvp_mode : {"auto", "forward", "reverse"}, optional
        Differentiation scheme of the Hessian-vector products (default: the architecture's).
    measure_size : int, optional
        The Hessian of every step is that of the loss on the first ``measure_size`` training
        samples (512 digits for the MLP, one batch for the ResNets).
    data : {"digits", "generated", "cifar100", "cifar10"}, optional
        The data set (default: digits for the MLP, generated images for the ResNets). The CIFAR
        sets need ``data_root`` and switch the defaults to :data:`PAPER_FINETUNE`.
    data_root : path, optional
        Folder of the CIFAR python release (see :func:`pennylane_qsgd.data.read_cifar`).
    download : bool
        Let torchvision download the CIFAR release into ``data_root`` if it is not there.
    device : {"cpu", "cuda", "cuda:N"}, optional
        Where the model, the products and the Lanczos vectors live (default: ``cuda`` when
        available). Under ``torchrun`` every rank uses its ``cuda:LOCAL_RANK`` (NCCL) or the CPU
        (gloo) and the Hessian products are data-parallel
        (:class:`~pennylane_qsgd.diagnostics.distributed.ShardedHessian`); rank 0 writes.
    pretrained : path, optional
        A ``state_dict`` of the unpruned architecture to start from instead of pre-training
        (:func:`pennylane_qsgd.models.load_pretrained`; mismatching keys are listed).
    per_layer_steps : int, optional
        Lanczos steps of the per-layer spectra at every measurement (0: none; default 16 for
        the MLP, 0 for the ResNets, whose ~35 layers cost that many products each).
    resume : bool
        Continue from ``resume.pt`` in ``output_dir`` if it is there.
    forward_dtype : {"float32", "bfloat16", "float16"}
        Precision of the forward pass of the SLQ products. A reduced one is used only after
        :func:`~pennylane_qsgd.diagnostics.mixed_precision.check_forward_precision` on the pruned
        model and the measurement batch finds the Lanczos spectrum within
        ``precision_tolerance`` of float32 (relative to the spectral radius); the check is in
        the JSON summary (``"forward_precision"``), a failed check stops the job.
    precision_tolerance : float
        See ``forward_dtype`` (default 1e-2).

    Returns
    -------
    SpectrumJobResult

    Raises
    ------
    ValueError
        Bad options, a missing or corrupt data set (:class:`~pennylane_qsgd.data.DatasetError`),
        a checkpoint that does not fit the architecture, a resume file of another run.
    FloatingPointError
        A NaN or infinite loss during fine-tuning (the resume file keeps the step before).
    DeviceMemoryError
        A batch that does not fit in the device memory, with the largest that fits.
    """
    if arch not in DEFAULTS:
        raise ValueError(f"arch must be one of {sorted(DEFAULTS)}; got arch={arch!r}")
    if not 0.0 <= float(sparsity_level) < 1.0:
        raise ValueError(f"sparsity_level must lie in [0, 1); got {sparsity_level!r}")
    data = DATA_CHOICES[arch][0] if data is None else data
    if data not in DATA_CHOICES[arch]:
        raise ValueError(
            f"data must be one of {DATA_CHOICES[arch]} for arch={arch!r}; got {data!r}"
        )
    if data in CIFAR_RELEASES and data_root is None:
        raise ValueError(f"data={data!r} needs data_root (--data-root), the folder of the release")
    d = dict(DEFAULTS[arch])
    d.update(PAPER_FINETUNE if data in CIFAR_RELEASES else {})
    if pretrained is not None:
        d["pretrain_epochs"] = 0
    cfg = {
        "arch": arch,
        "steps": d["steps"] if steps is None else int(steps),
        "lr": d["lr"] if lr is None else float(lr),
        "sparsity": float(sparsity_level),
        "method": d["method"] if method is None else method,
        "seed": int(seed),
        "batch": d["batch"] if batch is None else int(batch),
        "lanczos_steps": d["lanczos_steps"] if lanczos_steps is None else int(lanczos_steps),
        "probes": d["probes"] if probes is None else int(probes),
        "every": int(every),
        "pretrain_epochs": int(
            d["pretrain_epochs"] if pretrain_epochs is None else pretrain_epochs
        ),
        "n_train": d["n_train"] if n_train is None else int(n_train),
        "momentum": float(d.get("momentum", 0.0) if momentum is None else momentum),
        "weight_decay": float(d.get("weight_decay", 0.0) if weight_decay is None else weight_decay),
        "max_exact_dim": int(max_exact_dim),
        "model_kwargs": dict(d.get("model_kwargs", {}) if model_kwargs is None else model_kwargs),
        "hvp_mode": d.get("hvp_mode", "auto") if hvp_mode is None else hvp_mode,
        "measure_size": d["measure_size"] if measure_size is None else int(measure_size),
        "data": data,
        "data_root": None if data_root is None else str(data_root),
        "download": bool(download),
        "device": None if device is None else str(device),
        "pretrained": None if pretrained is None else str(pretrained),
        "per_layer_steps": int(
            (16 if arch == "mlp" else 0) if per_layer_steps is None else per_layer_steps
        ),
        "resume": bool(resume),
        "forward_dtype": str(forward_dtype),
        "precision_tolerance": float(precision_tolerance),
    }
    parse_forward_dtype(cfg["forward_dtype"])  # a clear error before any work
    if cfg["forward_dtype"] != "float32" and cfg["method"] != "slq":
        raise ValueError(
            f"forward_dtype={forward_dtype!r} needs method='slq' (the exact spectrum is "
            f"float32); got method={cfg['method']!r}"
        )
    if cfg["per_layer_steps"] < 0:
        raise ValueError(f"per_layer_steps must be >= 0; got {per_layer_steps!r}")
    for key in ("steps", "batch", "lanczos_steps", "probes", "every", "measure_size"):
        if cfg[key] < (0 if key == "steps" else 1):
            raise ValueError(f"{key} must be a positive integer; got {key}={cfg[key]!r}")
    if not cfg["lr"] > 0:
        raise ValueError(f"lr must be positive; got lr={cfg['lr']!r}")
    if cfg["method"] not in ("auto", "exact", "slq"):
        raise ValueError(f"method must be 'auto', 'exact' or 'slq'; got method={method!r}")
    if cfg["hvp_mode"] not in ("auto", "forward", "reverse"):
        raise ValueError(
            f"hvp_mode must be 'auto', 'forward' or 'reverse'; got hvp_mode={hvp_mode!r}"
        )
    if cfg["pretrain_epochs"] < 0:
        raise ValueError(f"pretrain_epochs must be >= 0; got {pretrain_epochs!r}")
    dev = dd.resolve_device(cfg["device"])
    cfg["device"] = str(dev)
    created_group = dd.init_from_env(dev)
    dd.configure_cuda_precision(dev)
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stream = sys.stdout if stream is None else stream
    if dd.rank() != 0:  # rank 0 reports and writes
        stream, plots, progress = io.StringIO(), False, False
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        if ratio_hook is None:  # the window classes (diagnostics.window_classes)
            ratio_hook = classifying_hook() if cfg["arch"] == "mlp" else norms_hook()
        return _run(cfg, dev, out_dir, plots, progress, stream, ratio_hook)
    finally:
        torch.set_num_threads(old_threads)
        if created_group:
            torch.distributed.destroy_process_group()


def _checked_forward_dtype(
    cfg: dict, model: nn.Module, support, measure_batch, head: dict
) -> torch.dtype | None:
    """The forward dtype of the products, after the precision check (recorded in ``head``)."""
    dtype = parse_forward_dtype(cfg["forward_dtype"])
    if dtype is None:
        return None
    if "forward_precision" not in head:  # a resumed run was checked before
        was_training = model.training
        model.eval()  # as the products are taken
        try:
            check = check_forward_precision(
                model,
                nn.functional.cross_entropy,
                measure_batch,
                support,
                dtype,
                steps=min(16, cfg["lanczos_steps"]),
                seed=cfg["seed"],
                tolerance=cfg["precision_tolerance"],
            )
        finally:
            model.train(was_training)
        check.raise_if_failed()
        head["forward_precision"] = check.to_dict()
    return dtype


def _load_resume(path: Path, key: dict) -> dict | None:
    """The resume state of ``path`` (None if there is none); refuses one of another run."""
    if not path.exists():
        return None
    state = torch_load(path)
    if state.get("key") != key:
        diff = sorted(k for k in key if state.get("key", {}).get(k) != key[k])
        raise ValueError(
            f"resume file {path} was written by a run with other options ({', '.join(diff)}); "
            "use another output_dir, remove the file, or drop --resume"
        )
    return state


def _oom_error(cfg: dict, model: nn.Module, support, x, y, dev: torch.device) -> DeviceMemoryError:
    """A DeviceMemoryError suggesting the largest batch whose product and gradient fit."""
    world = dd.world_size()
    loss_fn = nn.functional.cross_entropy
    was_training = model.training

    def try_batch(b: int) -> None:
        per_rank = (x[: b // world].to(dev), y[: b // world].to(dev))
        model.eval()
        try:
            v = torch.ones(support.size, dtype=torch.float64, device=dev)
            hessian_vector_product(model, loss_fn, per_rank, support, mode=cfg["hvp_mode"])(v)
            gradient_on_support(model, loss_fn, per_rank, support)
        finally:
            model.train(was_training)

    if dev.type == "cuda":
        torch.cuda.empty_cache()
    upper = max(cfg["batch"], cfg["measure_size"])
    best = largest_fitting_batch(try_batch, min(upper, len(x)) + world, multiple=world)
    where = str(dev)
    if dev.type == "cuda":
        free, total = torch.cuda.mem_get_info(dev)
        where += f" ({free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB)"
    hint = (
        f"the largest that fits is about {best}: rerun with --batch {best} --measure-size {best}"
        if best
        else f"not even {world} sample(s) per rank fit: use a smaller model or --device cpu"
    )
    return DeviceMemoryError(
        f"out of memory on {where} at batch {cfg['batch']} / measurement batch "
        f"{cfg['measure_size']} ({world} rank(s)); {hint} (the resume file, if any, is intact)"
    )


def _run(
    cfg: dict,
    dev: torch.device,
    out_dir: Path,
    plots: bool,
    progress: bool,
    stream: TextIO,
    ratio_hook: Callable | None,
) -> SpectrumJobResult:
    t0 = time.perf_counter()
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    x_tr, y_tr, x_te, y_te, num_classes, augment = job_data(cfg)
    model = build_model(cfg["arch"], num_classes=num_classes, **cfg["model_kwargs"])
    n_params = parameter_count(model)
    key = {k: cfg[k] for k in RESUME_KEYS}
    resume_path = out_dir / "resume.pt"
    state = _load_resume(resume_path, key) if cfg["resume"] else None

    def factory(params):
        return torch.optim.SGD(
            params, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weight_decay"]
        )

    optimizer = None
    start, previous = 0, []
    support = None
    try:
        if state is None:
            if cfg["pretrained"] is not None:
                load_pretrained(model, cfg["pretrained"])
            model.to(dev)
            epochs = int(cfg["pretrain_epochs"])
            pre_loss = pretrain_dense(
                model, x_tr, y_tr, epochs, cfg["batch"], gen, dev, augment, progress
            )
            head = {"pretrain_last_loss": pre_loss}
            head["test_accuracy_dense"] = classification_accuracy(model, x_te, y_te, dev)
            global_l1_prune(model, amount=cfg["sparsity"])
            dd.broadcast_module(model)
            head["test_accuracy_pruned"] = classification_accuracy(model, x_te, y_te, dev)
        else:
            # the same pruning re-parametrisation, then the saved weights and masks
            global_l1_prune(model, amount=cfg["sparsity"])
            model.load_state_dict(state["model"])
            model.to(dev)
            optimizer = factory(model.parameters())
            optimizer.load_state_dict(state["optimizer"])
            start = int(state["next_step"])
            previous = [DissipationRecord.from_dict(r) for r in state["records"]]
            head = dict(state["head"])
        support = default_support(model)

        # a fixed measurement batch, so that the spectra of different steps are comparable
        m = min(cfg["measure_size"], len(x_tr))
        measure_batch = (x_tr[:m].to(dev), y_tr[:m].to(dev))
        forward_dtype = _checked_forward_dtype(cfg, model, support, measure_batch, head)
        t_setup = time.perf_counter() - t0

        def batches(step: int):
            first = (step * cfg["batch"]) % len(x_tr)
            idx = torch.arange(first, first + cfg["batch"]) % len(x_tr)
            xb = x_tr[idx]
            if augment is not None:  # seeded by the step: a resumed run sees the same batches
                xb = augment(xb, torch.Generator().manual_seed(cfg["seed"] * 1_000_003 + step))
            return xb.to(dev), y_tr[idx].to(dev)

        def save(step: int, opt: torch.optim.Optimizer, records: list) -> None:
            if dd.rank() == 0:
                atomic_torch_save(
                    {
                        "key": key,
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "next_step": step + 1,
                        "records": records_to_json([*previous, *records]),
                        "head": head,
                    },
                    resume_path,
                )

        bar = tqdm(
            total=cfg["steps"],
            initial=min(start, cfg["steps"]),
            desc=f"spectrum {cfg['arch']}",
            disable=not progress,
            leave=False,
        )
        records = track_dissipation(
            model,
            nn.functional.cross_entropy,
            batches,
            factory,
            cfg["steps"],
            every=cfg["every"],
            method=cfg["method"],
            support=support,
            measure_batch=measure_batch,
            lanczos_steps=cfg["lanczos_steps"],
            probes=cfg["probes"],
            seed=cfg["seed"],
            max_exact_dim=cfg["max_exact_dim"],
            eval_mode=True,
            ratio_hook=ratio_hook,
            progress=lambda _step: bar.update(1),
            hvp_mode=cfg["hvp_mode"],
            forward_dtype=forward_dtype,
            per_layer_steps=cfg["per_layer_steps"],
            start_step=start,
            checkpoint_dir=out_dir,
            spectrum_progress=progress,
            before_measure=dd.broadcast_module,
            after_step=save,
            optimizer=optimizer,
        )
        bar.close()
    except torch.OutOfMemoryError as err:
        if support is None:
            support = default_support(model)
        raise _oom_error(cfg, model, support, x_tr, y_tr, dev) from err
    records = [*previous, *records]
    classify_records(records)

    report = sparsity(model)
    summary = {
        "parameters": n_params,
        "support_size": support.size,
        "pruned_fraction": report.pruned_fraction,
        "overall_sparsity": report.overall,
        **head,
        "test_accuracy_finetuned": classification_accuracy(model, x_te, y_te, dev),
        "method": records[0].method if records else cfg["method"],
        "early_window_steps": _early_window(records),
        "window_classes": class_summary(records),
        "device": str(dev),
        "world_size": dd.world_size(),
        "batch_norm_during_hvp": "eval (running statistics)",
        "setup_s": t_setup,
        "measure_s": float(sum(r.wall_s for r in records)),
        "total_s": 0.0,
    }
    result = SpectrumJobResult(dict(cfg), records, summary)
    if dd.rank() != 0:
        return result
    if plots and records:
        result.paths.update({k: str(p) for k, p in plot_all(records, out_dir).items()})
    summary["total_s"] = time.perf_counter() - t0
    json_path = atomic_write_text(out_dir / "spectrum.json", json.dumps(result.to_dict(), indent=1))
    result.paths["json"] = str(json_path)

    print(_header(cfg, summary), file=stream)
    print(format_table(records), file=stream)
    print(format_class_summary(summary["window_classes"]), file=stream)
    print(f"wrote {json_path}" + (" and figures" if plots else ""), file=stream)
    return result


def _header(cfg: dict, s: dict) -> str:
    window = s["early_window_steps"]
    if window is None:
        window_txt = "mean per-mode factor below 1 at every measured step"
    else:
        window_txt = f"mean per-mode factor first above 1 at step {window}"
    text = (
        f"{cfg['arch']}: {s['parameters']:,} parameters, {s['pruned_fraction']:.0%} of the "
        f"prunable weights pruned, support s = {s['support_size']:,}; spectra: {s['method']}\n"
        f"test accuracy dense {s['test_accuracy_dense']:.3f}, pruned "
        f"{s['test_accuracy_pruned']:.3f}, fine-tuned {s['test_accuracy_finetuned']:.3f}; "
        f"lr {cfg['lr']}: {window_txt}\n"
        f"data {cfg['data']}, device {s['device']} x {s['world_size']} rank(s); batch norm in "
        "eval mode during the Hessian products"
    )
    check = s.get("forward_precision")
    if check:
        text += (
            f"\nforward pass in {check['forward_dtype']}: extreme Ritz values and density within "
            f"{check['deviation']:.2g} of the spectral radius of float32's (tolerance "
            f"{check['tolerance']:.2g}, {check['steps']} Lanczos steps)"
        )
    if "slq" in str(s["method"]) and cfg["probes"] * cfg["lanczos_steps"] < ROUGH_SLQ_NODES:
        text += (
            f"\nrough estimate: SLQ with {cfg['probes']} probe(s) x {cfg['lanczos_steps']} Lanczos "
            f"steps resolves the density with {cfg['probes'] * cfg['lanczos_steps']} nodes; the "
            "negative fraction and lambda_min can be far off (use e.g. --probes 8 "
            "--lanczos-steps 64 for figures)"
        )
    return text
