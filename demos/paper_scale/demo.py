r"""The paper's experiments at scale: CIFAR-100 ResNets, GPUs and several processes
===============================================================================

The evidence that Liu et al. [#liu2024]_ give for their quantum training windows comes from large
networks: ResNets of 7.45M and 103.3M parameters trained on CIFAR-100, pruned to 90 %, whose
Hessian spectrum on the surviving weights is followed step by step during fine-tuning. The
quantum ODE solver underneath [#liu2021]_ is efficient only while that spectrum keeps the flow
(almost) dissipative, so these spectra decide where the algorithm may be used.

This demo plans such a run and executes the same pipeline on a miniature of it:

* the supports of the two ResNets after pruning, and the memory a spectrum of them needs;
* the job ``qsgd spectrum`` (pre-training or a checkpoint, 90 % global L1 pruning, the authors'
  fine-tuning, a stochastic Lanczos quadrature (SLQ) [#ghorbani2019]_ of the Hessian at every
  step) run on a small ResNet with generated CIFAR-shaped images, so that it needs no download;
* a mixed-precision forward pass, allowed only after it is measured against float32;
* the commands for the real runs: CIFAR-100 from disk, one GPU, several processes with
  ``torchrun``, and interruptions.

Everything here runs on a laptop CPU in about a minute; the full runs are listed with their cost
at the end.
"""

import io
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from pennylane_qsgd.diagnostics import run_spectrum_job
from pennylane_qsgd.diagnostics.plots import density_grid
from pennylane_qsgd.models import build_model, parameter_count

######################################################################
# The two networks and their supports
# -----------------------------------
#
# The paper prunes the convolution and linear weights globally by magnitude, keeping the
# classifier head dense, and trains only the surviving weights: the support :math:`S` whose
# Hessian matters. With 90 % pruning it holds a tenth of the prunable weights.


def prunable_weights(model: nn.Module) -> int:
    """Weights of the convolutions and linear layers, the last one (the head) excepted."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    return sum(m.weight.numel() for m in layers[:-1])


supports = {}
for arch in ("resnet32-4", "resnet422-4"):
    with torch.device("meta"):  # shapes only: no 0.4 GB of weights to count them
        model = build_model(arch)
    supports[arch] = round(0.1 * prunable_weights(model))
    print(f"{arch}: {parameter_count(model):,} parameters, support s = {supports[arch]:,}")
    del model

######################################################################
# An SLQ probe of :math:`m` Lanczos steps keeps its :math:`m` basis vectors of length :math:`s`
# (float64 up to :math:`10^6` weights, float32 above); that, the model and the batch's
# activations are the memory of a measurement. Each Lanczos step costs one Hessian-vector product,
# about two gradients of the measurement batch.

print(f"{'model':12s} {'steps':>6s} {'basis':>9s} {'checkpoint':>11s}")
for arch, s in supports.items():
    bytes_per = 8 if s <= 1_000_000 else 4
    for steps in (64, 256):
        gb = steps * s * bytes_per / 1e9
        print(f"{arch:12s} {steps:6d} {gb:7.2f} GB {gb:9.2f} GB")

######################################################################
# The pipeline on a miniature
# ---------------------------
#
# ``run_spectrum_job`` is what ``qsgd spectrum`` calls. The ``resnet32-4`` architecture with
# ``depth=8, widen_factor=1`` is the same code at 93k parameters; without ``data`` it trains on
# generated images. Every step it measures the Hessian on the support with SLQ (here one probe of
# 12 Lanczos steps, a rough density: the job says so) and derives the paper's measures: the
# negative fraction and the mean per-mode factor :math:`\frac1n\sum_i |1-\eta\lambda_i|^t`
# against 1.
#
# We also ask for a ``bfloat16`` forward pass. The job first runs 12 Lanczos steps from one start
# vector with float32 products and with the reduced forward pass, and goes on only if the extreme
# Ritz values and the two quadratures of the density agree within 1 % of the spectral radius
# (``precision_tolerance``); otherwise it stops before measuring anything.

log = io.StringIO()
result = run_spectrum_job(
    arch="resnet32-4",
    model_kwargs={"depth": 8, "widen_factor": 1},
    steps=1,
    batch=8,
    n_train=32,
    measure_size=8,
    pretrain_epochs=1,
    lanczos_steps=12,
    probes=1,
    per_layer_steps=0,
    output_dir=tempfile.mkdtemp(prefix="qsgd-paper-scale-"),
    forward_dtype="bfloat16",
    plots=False,
    progress=False,
    stream=log,
)
print(log.getvalue())

check = result.summary["forward_precision"]
print(
    f"bfloat16 vs float32: extremes moved by {check['extremes_shift']:.1e}, density by "
    f"{check['wasserstein']:.1e} of the spectral radius (tolerance {check['tolerance']:.0e})"
)

######################################################################
# The density of each measured step, as in the paper's Fig. 2, from the records the job wrote to
# ``spectrum.json`` (a Gaussian-smoothed SLQ quadrature):

grid, dens, sigma = density_grid(result.records)
fig, ax = plt.subplots(figsize=(6, 3.5))
for step, row in zip([r.step for r in result.records], dens, strict=True):
    ax.plot(grid, row, label=f"step {step}")
ax.axvline(0.0, color="k", lw=0.8)
ax.set_xlabel(r"Hessian eigenvalue $\lambda$")
ax.set_ylabel("density")
ax.set_yscale("log")
ax.set_ylim(1e-3 * dens.max(), 2 * dens.max())
ax.legend()
plt.tight_layout()
plt.show()

negative = np.array([r.negative_fraction for r in result.records])
print(f"negative fraction per step: {np.round(negative, 3)}")

######################################################################
# On generated images the network learns little, and its Hessian is nearly symmetric around zero:
# a large negative fraction, the opposite of the paper's trained ResNets. The figures of the paper
# need the real data and a trained starting point, which is what the commands below are for.
#
# The real runs
# -------------
#
# **Data.** The job reads the python-pickle release of CIFAR-100 from a folder (checked against
# the release's MD5 sums); ``--download`` lets torchvision fetch it where there is internet:
#
# .. code-block:: bash
#
#    qsgd spectrum --arch resnet32-4 --data cifar100 --data-root ~/data \
#        --pretrained resnet32-4-cifar100.pt --device cuda \
#        --steps 20 --lanczos-steps 64 --probes 1 --per-layer-steps 16 \
#        --output-dir runs/resnet32-4
#
# With ``--data cifar100`` the fine-tuning takes the authors' settings (SGD, lr 0.01, momentum
# 0.9, weight decay 2e-4, batch 512) and the Hessian is measured on a fixed batch of 512 training
# images with batch norm in eval mode. ``--pretrained`` takes a ``state_dict`` of the unpruned
# network; mismatching keys are listed.
#
# **Several processes.** Under ``torchrun`` every rank takes its shard of the measurement batch
# and the Hessian-vector products are averaged by one ``all_reduce`` (NCCL on GPUs, gloo on
# CPUs); the result equals the single-process run to float rounding:
#
# .. code-block:: bash
#
#    torchrun --nproc-per-node 4 -m pennylane_qsgd.cli.spectrum --arch resnet32-4 \
#        --data cifar100 --data-root ~/data --device cuda --output-dir runs/r32
#
# **Interruptions.** ``resume.pt`` is rewritten after every fine-tuning step and each SLQ probe
# checkpoints its Lanczos state every minute; ``--resume`` continues where the run stopped with
# the same coefficients.
#
# **Cost.** Measured on two CPU cores (ResNet-32-4, batch 8): 9 s per Lanczos step with one
# process, 3.2 s with two gloo processes; a gradient takes 3.9 s and a Hessian-vector product
# about twice that. The GPU figures come from ``benchmarks/gpu_check.sh``, which times one SLQ
# probe of 64 steps at batch 512 on ResNet-32-4, a ResNet-422-4 product with its peak memory, and
# the CPU/GPU agreement of the first Lanczos coefficients; see the scale page of the
# documentation for its output and for the full tables.

######################################################################
# References
# ----------
#
# .. [#liu2024] J. Liu, M. Liu, J.-P. Liu, Z. Ye, Y. Wang, Y. Alexeev, J. Eisert, L. Jiang,
#    "Towards provably efficient quantum algorithms for large-scale machine-learning models",
#    Nature Communications 15, 434 (2024).
#
# .. [#liu2021] J.-P. Liu, H. Ø. Kolden, H. K. Krovi, N. F. Loureiro, K. Trivisa, A. M. Childs,
#    "Efficient quantum algorithm for dissipative nonlinear differential equations",
#    PNAS 118, e2026805118 (2021).
#
# .. [#ghorbani2019] B. Ghorbani, S. Krishnan, Y. Xiao, "An investigation into neural net
#    optimization via Hessian eigenvalue density", ICML (2019).
