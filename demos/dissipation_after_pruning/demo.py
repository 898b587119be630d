r"""Dissipation after pruning: the Hessian spectrum on the surviving weights
========================================================================

The quantum training algorithm of Liu et al. [#liu2024]_ replaces a window of gradient-descent
steps by the solution of a nonlinear ODE, and the quantum ODE solver behind it [#liu2021]_ is only
efficient when that ODE is *dissipative*: small perturbations of the weights must shrink rather
than grow. The paper's empirical case for this rests on one observation: right after a network is
magnitude-pruned, the Hessian of the loss restricted to the surviving weights has a spectrum that is
nearly all positive, so that gradient descent contracts most directions during the first steps of
fine-tuning.

This demo measures that claim on a model small enough for exact linear algebra, with the diagnostics
of ``pennylane_qsgd``:

* the Hessian spectrum on the unpruned weights, before and after pruning
  (:func:`~pennylane_qsgd.diagnostics.hessian_spectrum`);
* the fraction of negative eigenvalues and the mean per-mode factor of the gradient-descent map
  (:func:`~pennylane_qsgd.diagnostics.negative_fraction`,
  :func:`~pennylane_qsgd.diagnostics.per_mode_factor`);
* the same measures along classical fine-tuning
  (:func:`~pennylane_qsgd.diagnostics.track_dissipation`);
* the dissipation ratio :math:`R` that the convergence proof of the ODE solver actually needs;
* and, at the end, how the same job runs on the 7.45M-parameter ResNet of the paper, where exact
  spectra are out of reach and stochastic Lanczos quadrature takes over.

We report what we measure. In short: on this network the spectrum after pruning is dominated by
positive curvature, and the paper's averaged criterion holds, but about a quarter of the eigenvalues
are (slightly) negative, so the stricter criterion of the convergence proof fails.

What "dissipative" means here
-----------------------------

Near a point :math:`\bar\theta` with gradient :math:`g` and Hessian :math:`H` on the support
:math:`S` of unpruned weights, one gradient step with learning rate :math:`\eta` maps a deviation
:math:`\delta` to :math:`(I - \eta H)\,\delta`. Writing :math:`H = \sum_i \lambda_i q_i q_i^T`, the
component along the eigenvector :math:`q_i` is multiplied by :math:`(1 - \eta\lambda_i)` at every
step, so after :math:`t` steps by :math:`|1 - \eta\lambda_i|^t`. A mode is *dissipative* when
:math:`|1-\eta\lambda_i| < 1`, i.e. :math:`0 < \eta\lambda_i < 2`, and *divergent* otherwise
(negative curvature, or a step too large for the curvature). Liu et al. summarise a spectrum by the
mean per-mode factor

.. math::

    \bar f(t) = \frac{1}{n} \sum_{i=1}^{n} |1 - \eta\lambda_i|^t ,

and call the first steps after pruning, where :math:`\bar f(t) < 1`, the early-stage window in which
the quantum algorithm should be used.

The convergence theorem of the Carleman solver asks for more. For the gradient flow
:math:`\dot u = F_0 + F_1 u + F_2 (u\otimes u)` with :math:`F_1 = -\eta H` (to first order), the
eigenvalue :math:`\lambda_1` of :math:`F_1` with the largest real part must be negative, i.e.
*every* Hessian eigenvalue positive, and the ratio

.. math::

    R = \frac{1}{|\mathrm{Re}\,\lambda_1|}\left(\|u_{\rm in}\|\,\|F_2\| +
        \frac{\|F_0\|}{\|u_{\rm in}\|}\right)

must be below 1. A single negative eigenvalue gives :math:`R = \infty`, however small it is. Both
criteria are measured below.

Pre-training and pruning a small network
----------------------------------------

We use scikit-learn's bundled handwritten digits (1797 images of :math:`8\times 8` pixels, no
download) and a fully connected network 64-32-32-10 with ReLU activations, 3466 parameters. It is
pre-trained densely with Adam, then 90% of the weights of the two hidden layers are removed by
global L1 (magnitude) pruning, as in the paper; the output layer and the biases stay dense. The
support :math:`S` of the quantum window is the set of surviving hidden-layer weights.
"""

import copy
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from pennylane_qsgd import Support, dissipation, global_l1_prune, taylor_coefficients
from pennylane_qsgd.data import load_digits_tensors
from pennylane_qsgd.diagnostics import (
    dissipative_divergent_sums,
    hessian_spectrum,
    negative_fraction,
    per_mode_factor,
    slq_density,
    track_dissipation,
)
from pennylane_qsgd.diagnostics.plots import density_grid, plot_all
from pennylane_qsgd.diagnostics.spectra import hessian_matvec
from pennylane_qsgd.diagnostics.spectrum_job import DEFAULTS, format_table
from pennylane_qsgd.models import build_model, parameter_count
from pennylane_qsgd.optim import build_problem

torch.manual_seed(0)
torch.set_num_threads(2)

digits = load_digits_tensors(seed=0)
x_train, y_train = digits.x_train, digits.y_train
loss_fn = nn.functional.cross_entropy


def accuracy(model):
    with torch.no_grad():
        return float((model(digits.x_test).argmax(1) == digits.y_test).float().mean())


model = build_model("mlp", hidden=(32, 32))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
order = torch.Generator().manual_seed(0)
for _epoch in range(10):
    perm = torch.randperm(len(x_train), generator=order)
    for i in range(0, len(x_train), 64):
        idx = perm[i : i + 64]
        optimizer.zero_grad()
        loss_fn(model(x_train[idx]), y_train[idx]).backward()
        optimizer.step()

dense = copy.deepcopy(model)  # kept to compare with the spectrum before pruning
acc_dense = accuracy(model)
global_l1_prune(model, amount=0.9)  # the last layer is excluded by default
support = Support.from_masks(model)

print(f"parameters: {parameter_count(model)}, unpruned hidden weights s = {support.size}")
print(f"test accuracy: dense {acc_dense:.3f}, right after pruning {accuracy(model):.3f}")

######################################################################
# Pruning costs accuracy, and the fine-tuning that follows has to recover it. The support holds
# about 300 weights: small enough to form the Hessian on :math:`S` column by column (one
# Hessian-vector product per weight, batched with ``torch.func``) and diagonalise it exactly.
#
# The spectrum before and after pruning
# -------------------------------------
#
# To see what pruning does to the curvature, we compare the Hessian on the *same* coordinates
# before and after: on the dense model we select the weights that are about to survive, on the
# pruned model the same weights with the other 90% set to zero. Both Hessians are those of the loss
# on a fixed set of 512 training digits.

measure_batch = (x_train[:512], y_train[:512])
# the same flat indices, named as plain weights on the dense copy
dense_support = Support([(name.removesuffix("_orig"), idx) for name, idx in support.entries])

before = hessian_spectrum(dense, loss_fn, measure_batch, dense_support, method="exact")
after = hessian_spectrum(model, loss_fn, measure_batch, support, method="exact")

lr = 0.1  # the fine-tuning learning rate used below
print(f"{'':>15} {'lambda_min':>11} {'lambda_max':>11} {'negative':>9} {'f(1)':>8}")
for name, spec in (("before pruning", before), ("after pruning", after)):
    lo, hi = spec.extremes
    # eigenvalues within 1e-6 of the largest magnitude count as zero (flat directions)
    neg = negative_fraction(spec, tol=1e-6 * max(abs(lo), abs(hi)))
    f1 = per_mode_factor(spec, lr, 1)
    print(f"{name:>15} {lo:>11.4f} {hi:>11.4f} {neg:>9.1%} {f1:>8.4f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, spec, title in zip(axes, (before, after), ("before pruning", "after pruning"), strict=True):
    ax.hist(spec.eigenvalues, bins=60, color="C0" if spec is before else "C1")
    ax.axvline(0.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel(r"Hessian eigenvalue $\lambda$ on the support")
    ax.set_title(f"{title} (s = {support.size})")
axes[0].set_ylabel("count")
plt.tight_layout()
plt.show()

######################################################################
# Before pruning the dense network sits near a minimum of the training loss: the curvature on
# these coordinates is tiny (largest eigenvalue about 0.02) and about a quarter of the eigenvalues
# are negative, though none below :math:`-10^{-3}`. Pruning throws the model far from
# that minimum; the curvature on the surviving weights grows by more than an order of magnitude.
# Most eigenvalues are positive and all the large ones are; the negative ones form a tail reaching
# about an eighth of the largest positive eigenvalue.
#
# So on this model the spectrum after pruning is *dominated* by positive curvature, but it is
# not "nearly all positive" in the sense of counting eigenvalues: between a fifth and a third of
# them are negative (the exact fraction depends on the batch and the step; 25-30% here).
#
# Which modes shrink, and for how long
# ------------------------------------
#
# The split of the per-mode factor into dissipative and divergent modes
# (:func:`~pennylane_qsgd.diagnostics.dissipative_divergent_sums`) makes the competition explicit.
# With the spectrum frozen at its value right after pruning, :math:`\bar f(t)` is a sum of decaying
# exponentials (the positive modes) and growing ones (the negative modes). The growing ones win
# eventually; the question is when. The learning rate sets the clock: a larger :math:`\eta`
# damps the positive modes faster but also makes the negative ones grow faster.

ts = np.arange(1, 3001)
fig, ax = plt.subplots(figsize=(6.4, 4.0))
for eta in (0.1, 0.5, 2.0):
    split = dissipative_divergent_sums(after, eta, t=1)
    f = per_mode_factor(after, eta, ts)
    above = np.nonzero(f > 1.0)[0]
    window = int(ts[above[0]]) if above.size else None
    print(
        f"lr = {eta:<4}: dissipative modes {split.dissipative_fraction:.1%}, divergent "
        f"{split.divergent_fraction:.1%}; mean factor first above 1 at t = {window}"
    )
    line = ax.semilogx(ts, f, label=rf"$\eta = {eta}$")[0]
    if window is not None:
        ax.plot(window, 1.0, "o", color=line.get_color())
ax.axhline(1.0, color="k", lw=0.8)
ax.set_ylim(0.85, 1.3)
ax.set_xlabel("t (gradient steps, Hessian frozen after pruning)")
ax.set_ylabel(r"mean per-mode factor $\bar f(t)$")
ax.legend()
plt.tight_layout()
plt.show()

######################################################################
# The dots mark where :math:`\bar f(t)` first exceeds 1. With the learning rate used for fine-tuning
# below, :math:`\eta = 0.1`, the early-stage window is long here, about 240 steps; it shrinks to
# about 50 steps at :math:`\eta = 0.5` and 14 at :math:`\eta = 2`. This is an extrapolation with a
# frozen Hessian; the real spectrum moves as the weights are fine-tuned, which is what we measure
# next.
#
# Along fine-tuning
# -----------------
#
# :func:`~pennylane_qsgd.diagnostics.track_dissipation` runs classical fine-tuning (here plain SGD,
# :math:`\eta = 0.1`, minibatches of 64) and, every few steps, measures the exact spectrum on the
# support for the fixed batch of 512 digits *before* the step's update. Each
# :class:`~pennylane_qsgd.diagnostics.DissipationRecord` holds the extremes, the negative fraction
# (eigenvalues below :math:`-10^{-6}\max|\lambda|`), the one-step factor :math:`\bar f(1)`, and
# :math:`\bar f(t)` evaluated with the spectrum measured at step :math:`t-1`.

# a fine-tuning copy, so that ``model`` keeps the weights right after pruning
tuned = copy.deepcopy(model)


def batches(step):
    start = (64 * step) % len(x_train)
    idx = torch.arange(start, start + 64) % len(x_train)
    return x_train[idx], y_train[idx]


records = track_dissipation(
    tuned,
    loss_fn,
    batches,
    lambda params: torch.optim.SGD(params, lr=lr),
    steps=30,
    every=6,
    method="exact",
    support=support,
    measure_batch=measure_batch,
)
print(format_table(records))  # the R column is filled when a ratio_hook is passed
print(f"test accuracy after 30 steps of fine-tuning: {accuracy(tuned):.3f}")

######################################################################
# The same figures as the ``qsgd spectrum`` command writes are available as PNG files from
# :func:`~pennylane_qsgd.diagnostics.plots.plot_all`; here we draw them with pyplot from the
# records, using :func:`~pennylane_qsgd.diagnostics.plots.density_grid` for the broadened spectral
# densities.

out_dir = tempfile.mkdtemp(prefix="qsgd-dissipation-")
written = plot_all(records, out_dir)
print("plot_all wrote:", ", ".join(sorted(written)))

# sphinx_gallery_thumbnail_number = 3
grid, densities, sigma = density_grid(records)
steps = np.array([r.step for r in records])
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
image = axes[0].imshow(
    np.log10(np.maximum(densities.T, densities.max() * 1e-6)),
    origin="lower",
    aspect="auto",
    extent=(steps[0] - 3, steps[-1] + 3, grid[0], grid[-1]),
)
fig.colorbar(image, ax=axes[0], label="log10 density")
axes[0].axhline(0.0, color="w", lw=0.6, ls="--")
axes[0].set_xlabel("step after pruning")
axes[0].set_ylabel("Hessian eigenvalue")
axes[0].set_title(f"exact spectra, broadened by {sigma:.2g}")
axes[1].plot(steps, [r.negative_fraction for r in records], "o-")
axes[1].set_ylim(0, 0.5)
axes[1].set_xlabel("step after pruning")
axes[1].set_ylabel("fraction of negative eigenvalues")
axes[2].plot(steps + 1, [r.per_mode_factor for r in records], "o-", label=r"$\bar f(t)$")
axes[2].plot(steps + 1, [r.factor_one_step for r in records], "s--", label=r"$\bar f(1)$")
axes[2].axhline(1.0, color="k", lw=0.8)
axes[2].set_xlabel("t (steps after pruning)")
axes[2].set_ylabel("mean per-mode factor")
axes[2].legend()
plt.tight_layout()
plt.show()

######################################################################
# Over the first 30 steps the loss falls, the largest eigenvalue stays near 0.5, the negative
# tail shrinks slowly and the negative fraction stays in the 20-30% range. The mean per-mode factor
# stays below 1 throughout: by the paper's averaged criterion these steps are in the early-stage
# window. Because :math:`\eta\lambda_{\max} \approx 0.05`, each step damps the positive modes only
# by a few per cent and :math:`\bar f(1)` is close to 1; the contraction accumulates over many
# steps.
#
# The ratio R of the convergence proof
# ------------------------------------
#
# Next we build the ODE that a window would hand to the quantum solver and evaluate the quantity
# that the theorem of Liu et al. (PNAS) needs. At order 1 (a quadratic model of the loss) the
# window's flow is linear, :math:`F_2 = 0`, with :math:`F_1 = -\eta H` and
# :math:`F_0 = -\eta(g - H\bar\theta)` in the variable :math:`u = \theta_S`.
# :func:`~pennylane_qsgd.dissipation` returns :math:`\mathrm{Re}\,\lambda_1`, the norms and
# :math:`R`.
#
# Weight decay :math:`w` adds :math:`w I` to the Hessian and shifts the whole spectrum to the right;
# it is the simplest way to remove the negative tail, at the price of changing the objective.

print(f"{'weight decay':>12} {'Re lambda_1':>12} {'||F0||':>9} {'||u_in||':>9} {'R':>8}")
for wd in (0.0, 0.1, 0.2):
    coeffs = taylor_coefficients(model, loss_fn, measure_batch, support, order=1, weight_decay=wd)
    info = dissipation(build_problem(coeffs, lr))
    print(
        f"{wd:>12g} {info.re_lambda1:>12.5f} {info.norm_F0:>9.4f} {info.norm_u_in:>9.3f} "
        f"{info.R:>8.3g}"
    )

######################################################################
# Without weight decay :math:`\mathrm{Re}\,\lambda_1 = -\eta\lambda_{\min} > 0`, so
# :math:`R = \infty`: the window is outside the regime of the convergence proof even though, on
# average, it contracts. The proof needs weight decay larger than
# :math:`|\lambda_{\min}| \approx 0.08` before :math:`\mathrm{Re}\,\lambda_1` turns negative, and
# at :math:`w = 0.1` the damping is still too weak for the forcing term (:math:`R \approx 5`).
# Only at :math:`w = 0.2`, a thousand times the paper's weight decay of :math:`2\times 10^{-4}`,
# does :math:`R` drop below 1. These are the numbers of this model; the point is that the mean
# per-mode factor and :math:`R` measure different things, and only the second is covered by the
# error bounds.
#
# Exact spectra against stochastic Lanczos quadrature
# ---------------------------------------------------
#
# On the ResNets of the paper the support has about 745,000 weights and the Hessian cannot be
# formed. The diagnostics then use stochastic Lanczos quadrature (SLQ) [#ghorbani2019]_: a few
# random probe vectors, each starting a Lanczos iteration of :math:`m` Hessian-vector products, give
# Ritz values and Gauss quadrature weights whose average approximates the spectral density. We can
# check it against the exact spectrum on our support.

matvec = hessian_matvec(model, loss_fn, measure_batch, support, mode="reverse")
slq = slq_density(matvec, support.size, steps=30, probes=4, seed=0)

print(
    f"{'':>6} {'lambda_min':>11} {'lambda_max':>11} {'<lambda>':>10} {'<lambda^2>':>11} {'neg.':>6}"
)
for name, spec in (("exact", after), ("SLQ", slq)):
    lo, hi = spec.extremes
    m1, m2 = spec.moments(2)[1:]
    neg = negative_fraction(spec, tol=1e-6 * max(abs(lo), abs(hi)))
    print(f"{name:>6} {lo:>11.4f} {hi:>11.4f} {m1:>10.5f} {m2:>11.6f} {neg:>6.1%}")

grid = np.linspace(-0.15, 0.7, 400)
fig, ax = plt.subplots(figsize=(6.4, 3.8))
ax.plot(grid, after.density(grid, 0.01), label=f"exact ({support.size} eigenvalues)")
ax.plot(grid, slq.density(grid, 0.01), "--", label="SLQ (4 probes x 30 Lanczos steps)")
ax.axvline(0.0, color="k", lw=0.8)
ax.set_yscale("log")
ax.set_ylim(1e-2, None)
ax.set_xlabel(r"Hessian eigenvalue $\lambda$")
ax.set_ylabel("density (Gaussian broadening 0.01)")
ax.legend()
plt.tight_layout()
plt.show()

######################################################################
# With 120 Hessian-vector products instead of 307, SLQ finds the extreme eigenvalues to four digits
# and the low moments to a few per cent; the fraction of negative eigenvalues, which depends on
# where the quadrature nodes fall near zero, is much rougher. On the large models we therefore
# trust the extremes and the per-mode factor (a smooth function of the spectrum), and read the
# negative fraction as an indication.
#
# How to run it on the 7.45M-parameter ResNet
# -------------------------------------------
#
# The paper's smaller model is a CIFAR ResNet of depth 32 with widening factor 4
# (:func:`pennylane_qsgd.models.cifar_resnet`). Building it takes a moment, and shows the size of
# the problem: global 90% pruning of its convolution weights leaves a support of about 0.74M
# weights.

resnet = build_model("resnet32-4")
prunable = sum(m.weight.numel() for m in resnet.modules() if isinstance(m, nn.Conv2d))
print(f"resnet32-4: {parameter_count(resnet):,} parameters, {prunable:,} convolution weights")
print(f"a 90% pruned support keeps about {round(0.1 * prunable):,} of them")
print("defaults of `qsgd spectrum --arch resnet32-4`:", DEFAULTS["resnet32-4"])
del resnet

######################################################################
# The whole pipeline of this demo, for that model, is one command:
#
# .. code-block:: bash
#
#     qsgd spectrum --arch resnet32-4 --steps 2 --output-dir runs/resnet32
#
# It runs :func:`~pennylane_qsgd.diagnostics.run_spectrum_job`, which
#
# 1. generates CIFAR-shaped data (32 images of :math:`3\times32\times32` pixels in 100 classes,
#    smooth class templates plus noise: there is no network access, so this is *not* CIFAR-100 and
#    the spectra are not the paper's),
# 2. pre-trains the network densely for one epoch with Adam,
# 3. prunes 90% of the convolution weights by global L1 magnitude (the linear head stays dense),
# 4. fine-tunes with SGD at the paper's :math:`\eta = 0.01` and, before every step, estimates the
#    Hessian density on the support by SLQ: ``--lanczos-steps`` Hessian-vector products per
#    probe, ``--probes`` probes, each product a double backward pass through the network on a
#    batch of ``--measure-size`` images,
# 5. writes ``spectrum.json`` (every record, with its Ritz values and weights) and the three
#    figures of this demo.
#
# The defaults (8 Lanczos steps, one probe, batches of 8 images) are sized so that a measurement
# takes about a minute on a CPU core; they give the extreme eigenvalues roughly and the density
# coarsely. For results worth plotting, raise them, e.g.
# ``--lanczos-steps 64 --probes 8 --measure-size 256 --steps 30 --every 5``; the cost grows
# linearly in each of the first three, so this is a job for a GPU or for a long CPU run.
# ``--arch resnet422-4`` selects the 103.3M-parameter model in the same way.
#
# Conclusions
# -----------
#
# On a pruned digits network we find the picture of Liu et al. in its averaged form: after pruning,
# the curvature on the surviving weights is dominated by positive eigenvalues and the mean per-mode
# factor of gradient descent stays below 1 for many steps. The count of negative eigenvalues is not
# small, though (20-30% here), and any negative eigenvalue puts the window outside the regime of the
# Carleman solver's convergence proof (:math:`R = \infty`) unless a large ridge term is added. Both
# numbers are worth reporting for any model one intends to train this way; ``pennylane_qsgd``
# measures them exactly on small supports and by SLQ on large ones.
#
# References
# ----------
#
# .. [#liu2024]
#
#     J. Liu, M. Liu, J.-P. Liu, Z. Ye, Y. Wang, Y. Alexeev, J. Eisert and L. Jiang,
#     "Towards provably efficient quantum algorithms for large-scale machine-learning models",
#     Nature Communications 15, 434 (2024). `arXiv:2303.03428 <https://arxiv.org/abs/2303.03428>`__.
#
# .. [#liu2021]
#
#     J.-P. Liu, H. Ø. Kolden, H. K. Krovi, N. F. Loureiro, K. Trivisa and A. M. Childs,
#     "Efficient quantum algorithm for dissipative nonlinear differential equations",
#     PNAS 118, e2026805118 (2021). `arXiv:2011.03185 <https://arxiv.org/abs/2011.03185>`__.
#
# .. [#ghorbani2019]
#
#     B. Ghorbani, S. Krishnan and Y. Xiao, "An investigation into neural net optimization via
#     Hessian eigenvalue density", ICML 2019.
#     `arXiv:1901.10159 <https://arxiv.org/abs/1901.10159>`__.
