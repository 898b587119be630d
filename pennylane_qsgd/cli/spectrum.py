"""``qsgd spectrum``: Hessian spectra and dissipation measures over fine-tuning after pruning.

Runs :func:`pennylane_qsgd.diagnostics.spectrum_job.run_spectrum_job`; see its docstring for the
pipeline. Examples::

    qsgd spectrum                                   # digits MLP, 30 steps, exact spectra
    qsgd spectrum --arch resnet32-4 --steps 2       # 7.45M ResNet, generated data, SLQ
    qsgd spectrum --lr 0.05 --every 5 --output-dir runs/mlp
    qsgd spectrum --arch resnet32-4 --data cifar100 --data-root ~/data --device cuda
    torchrun --nproc-per-node 2 -m pennylane_qsgd.cli.spectrum --arch resnet32-4 --device cpu
"""

from __future__ import annotations

import argparse
import sys

from pennylane_qsgd.cli import add_data_device_arguments

#: The architectures of :data:`pennylane_qsgd.diagnostics.spectrum_job.DEFAULTS`.
ARCHS = ("mlp", "resnet32-4", "resnet422-4")

DESCRIPTION = (
    "Pre-train a model, prune 90% of its weights by global L1 magnitude, fine-tune it "
    "classically and record the Hessian spectrum on the unpruned weights with the dissipation "
    "measures of Liu et al. 2024 (mean per-mode factor, negative fraction) at every step. "
    "Writes spectrum.json and PNG figures."
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``spectrum`` sub-command on ``subparsers`` and return its parser.

    Nothing heavy (torch) is imported here, so building the ``qsgd`` parser stays fast.
    """
    parser = subparsers.add_parser(
        "spectrum",
        help="Hessian spectra and dissipation measures after pruning",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "--arch", choices=ARCHS, default="mlp", help="model and data (default: mlp)"
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="fine-tuning steps (mlp: 30, resnet32-4: 2)"
    )
    parser.add_argument(
        "--lr", type=float, default=None, help="fine-tuning learning rate (mlp: 0.1, resnet: 0.01)"
    )
    parser.add_argument(
        "--sparsity", type=float, default=0.9, help="fraction of weights pruned (default: 0.9)"
    )
    parser.add_argument(
        "--method",
        choices=("auto", "exact", "slq"),
        default=None,
        help="spectrum method (mlp: auto = exact when the support is small; resnet: slq)",
    )
    parser.add_argument(
        "--output-dir", default="qsgd-spectrum", help="output folder (default: qsgd-spectrum)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--batch", type=int, default=None, help="minibatch size (mlp: 64, resnet32-4: 8)"
    )
    parser.add_argument(
        "--lanczos-steps", type=int, default=None, help="Lanczos steps per SLQ probe"
    )
    parser.add_argument("--probes", type=int, default=None, help="SLQ probes")
    parser.add_argument("--every", type=int, default=1, help="measure every N steps (default 1)")
    parser.add_argument(
        "--pretrain-epochs", type=int, default=None, help="epochs of dense pre-training"
    )
    parser.add_argument(
        "--n-train", type=int, default=None, help="number of training samples to use"
    )
    parser.add_argument(
        "--measure-size",
        type=int,
        default=None,
        help="samples of the fixed batch whose Hessian is measured (mlp: 512, resnet: batch)",
    )
    parser.add_argument(
        "--momentum", type=float, default=None, help="SGD momentum (default 0; cifar: 0.9)"
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=None,
        help="SGD weight decay (default 0; cifar: 2e-4)",
    )
    add_data_device_arguments(parser, ("digits", "generated", "cifar100", "cifar10"))
    parser.add_argument(
        "--per-layer-steps",
        type=int,
        default=None,
        help="Lanczos steps of the per-layer spectra (mlp: 16, resnet: 0 = off)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from resume.pt (and an interrupted SLQ) in --output-dir",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    parser.add_argument(
        "--hvp-mode",
        choices=("auto", "forward", "reverse"),
        default=None,
        help="Hessian-vector products: forward-over-reverse, double backward or auto",
    )
    parser.add_argument(
        "--forward-dtype",
        choices=("float32", "bfloat16", "float16"),
        default="float32",
        help="precision of the SLQ products' forward pass; a reduced one only after a check "
        "against float32 on the job's model (default float32)",
    )
    parser.add_argument(
        "--precision-tolerance",
        type=float,
        default=1e-2,
        help="largest deviation of --forward-dtype's spectrum (extreme Ritz values, density) "
        "from float32's, relative to the spectral radius (default 1e-2)",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the job from parsed arguments; 0 on success, 2 on invalid options."""
    from pennylane_qsgd.diagnostics.device_memory import DeviceMemoryError
    from pennylane_qsgd.diagnostics.spectrum_job import run_spectrum_job

    try:
        run_spectrum_job(
            arch=args.arch,
            steps=args.steps,
            lr=args.lr,
            sparsity_level=args.sparsity,
            method=args.method,
            output_dir=args.output_dir,
            seed=args.seed,
            batch=args.batch,
            lanczos_steps=args.lanczos_steps,
            probes=args.probes,
            every=args.every,
            pretrain_epochs=args.pretrain_epochs,
            n_train=args.n_train,
            momentum=args.momentum,
            weight_decay=args.weight_decay,
            threads=args.threads,
            hvp_mode=args.hvp_mode,
            measure_size=args.measure_size,
            plots=not args.no_plots,
            progress=not args.no_progress,
            data=args.data,
            data_root=args.data_root,
            download=args.download,
            device=args.device,
            pretrained=args.pretrained,
            per_layer_steps=args.per_layer_steps,
            resume=args.resume,
            forward_dtype=args.forward_dtype,
            precision_tolerance=args.precision_tolerance,
        )
    except ValueError as err:
        print(f"qsgd spectrum: error: {err}", file=sys.stderr)
        return 2
    except (FloatingPointError, DeviceMemoryError) as err:
        print(f"qsgd spectrum: error: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m pennylane_qsgd.cli.spectrum``)."""
    parser = argparse.ArgumentParser(prog="qsgd")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["spectrum", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
