r"""Training a pruned network with QSGD
===================================

Liu et al. [#Liu2024]_ propose to let a fault-tolerant quantum computer run the *fine-tuning* of a
large, heavily pruned neural network: a window of :math:`T` gradient steps on the surviving
weights becomes one sparse linear system, which a quantum linear solver inverts and tomography
reads back. In this demo we run that loop end to end on a small classifier of handwritten digits,
with :class:`~pennylane_qsgd.QSGD` as a drop-in replacement for ``torch.optim.SGD`` and every
quantum circuit simulated on the ``qsgd.sim`` device. We inspect what each window did, how many
download shots it needs, and how the result compares with plain gradient descent from the same
start.

.. note::

    Nothing here runs on quantum hardware. ``qsgd.sim`` simulates the solver and the tomography
    classically, with the polynomial approximation error, the post-selection probability and the
    shot noise they would have on a fault-tolerant device. The point is to *measure* the
    algorithm's errors and costs on a real model, not to train faster.

The pipeline
------------

The paper's recipe has five stages:

1. **Dense pre-training** with an ordinary classical optimizer.
2. **Magnitude pruning**: keep only the largest 10% of the weights. The surviving weights form the
   *support* :math:`S` of size :math:`s`; only they are trained from now on.
3. **A window of gradient descent as a differential equation.** Around the weights
   :math:`\bar\theta` at the start of the window, the gradient on :math:`S` is expanded in a Taylor
   series, :math:`\nabla L(\bar\theta + d) \approx g + H d + \tfrac12 T_3[d, d]`. Gradient descent
   with learning rate :math:`\eta` is then the forward-Euler discretisation (step 1) of the
   gradient flow

   .. math::

       \frac{du}{dt} = F_0 + F_1 u + F_2 (u \otimes u), \qquad
       F_1 = -\eta \left(H - T_3[\bar\theta, \cdot\,]\right), \quad
       F_2 = -\tfrac{\eta}{2}\, T_3,

   with :math:`u = \theta_S` and :math:`F_0` collecting the constant terms. With ``order=1``
   (the default) :math:`T_3` is dropped and the flow is linear; with ``order=2`` it is quadratic
   and Carleman linearisation turns it into a larger linear one [#Liu2021]_.
4. **A quantum linear solve.** All Euler steps of the window, plus some idle steps that copy the
   final state, form one block-bidiagonal linear system :math:`L Y = B`. A quantum singular value
   transformation (QSVT) applies a polynomial approximation of :math:`1/x` to a block encoding of
   :math:`L`, and post-selection on the idle time steps leaves the register in the state
   :math:`u(T)/\|u(T)\|`. Amplitude amplification raises the probability of that event.
5. **Download.** Tomography of the output state (magnitudes from computational-basis samples,
   signs from an interference circuit, the norm from an extra reference coordinate) gives the
   new weights, which are written back into the model. Then the next window starts.

The paper's efficiency argument needs the flow to be *dissipative* (every mode decays), and the
paper reports numerical evidence that dissipation dominates the first steps after pruning of large
ResNets. We will check what happens on our small network.

Data and a dense model
----------------------

We use scikit-learn's bundled digits (1797 images of 8x8 pixels, no download needed), split and
standardised by :func:`pennylane_qsgd.data.load_digits_tensors`, and a one-hidden-layer ReLU
network built by :func:`pennylane_qsgd.models.mlp`. Everything is full-batch, so "SGD" below means
plain gradient descent and every run is reproducible.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from pennylane_qsgd import QSGD, Support, taylor_coefficients
from pennylane_qsgd.data import load_digits_tensors
from pennylane_qsgd.models import mlp
from pennylane_qsgd.optim import NonDissipativeWindowError, global_l1_prune, sparsity

# The tensors are tiny: one thread avoids oversubscribing the CPU.
torch.set_num_threads(1)
torch.manual_seed(0)

data = load_digits_tensors(seed=0)
x_train, y_train, x_test, y_test = data
print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, {data.num_classes} classes")

HIDDEN = 8


def make_model():
    return mlp(64, (HIDDEN,), 10)


def train_loss(model):
    with torch.no_grad():
        return float(nn.functional.cross_entropy(model(x_train), y_train))


def test_accuracy(model):
    with torch.no_grad():
        return float((model(x_test).argmax(dim=1) == y_test).float().mean())


model = make_model()
pretrain = torch.optim.SGD(model.parameters(), lr=0.5)
for _ in range(300):
    pretrain.zero_grad()
    nn.functional.cross_entropy(model(x_train), y_train).backward()
    pretrain.step()

print(f"dense model: loss {train_loss(model):.4f}, test accuracy {test_accuracy(model):.3f}")

######################################################################
# Before pruning, we look at the curvature of the loss at the pre-trained weights: the Hessian on
# all :math:`610` weights. :class:`~pennylane_qsgd.Support` selects weights of a module (here all
# of them) and :func:`~pennylane_qsgd.taylor_coefficients` returns the gradient and the Hessian on
# that selection as numpy arrays, computed with ``torch.func``.

loss_fn = nn.functional.cross_entropy
dense_support = Support.all(model)
dense_coeffs = taylor_coefficients(model, loss_fn, (x_train, y_train), dense_support, order=1)
dense_eigs = np.linalg.eigvalsh(dense_coeffs.H)
print(
    f"dense: s = {dense_support.size}, Hessian spectrum [{dense_eigs[0]:.3g}, {dense_eigs[-1]:.3g}]"
)

######################################################################
# Pruning
# -------
#
# :func:`~pennylane_qsgd.optim.global_l1_prune` applies global unstructured L1 pruning with
# ``torch.nn.utils.prune``, as in the paper: the 90% smallest-magnitude weights, pooled over all
# linear (and convolution) layers except the classifier head, are masked; the head and the biases
# stay dense. In our two-layer network only the first layer is pruned. Each pruned layer carries
# a trainable ``weight_orig`` and a ``weight_mask`` buffer, and a forward pre-hook multiplies the
# two; an optimizer updates ``weight_orig``, and the mask keeps the pruned entries out of the
# forward pass.

pruned_names = global_l1_prune(model, amount=0.9)
print(pruned_names)
print(sparsity(model))
print(f"pruned model: loss {train_loss(model):.4f}, test accuracy {test_accuracy(model):.3f}")

######################################################################
# Pruning a trained network costs accuracy; the fine-tuning windows below must recover it. We will
# train several copies of this pruned model from the same start. A pruned module cannot be
# deep-copied (its ``weight`` is computed by the hook), so a copy is a fresh network with the same
# pruning parametrisation into which we load the state dict, masks included.


def pruned_copy(source):
    copy = make_model()
    for name in pruned_names:
        layer = name.removesuffix(".weight_orig")
        prune.identity(copy.get_submodule(layer), "weight")
    copy.load_state_dict(source.state_dict())
    return copy


pruned = pruned_copy(model)

######################################################################
# Curvature after pruning
# -----------------------
#
# The support :math:`S` of the windows is every weight that survived: the unmasked entries of the
# pruned layer plus the biases and the dense head. For ``order=1`` the linear part of the flow is
# :math:`F_1 = -\eta H`, so its eigenvalue of largest real part is
# :math:`\mathrm{Re}\,\lambda_1 = -\eta\,\lambda_{\min}(H)`. The flow is dissipative exactly when
# the Hessian on :math:`S` is positive definite.

LR = 0.1
support = Support.from_masks(pruned, include_unmasked=True)
coeffs = taylor_coefficients(pruned, loss_fn, (x_train, y_train), support, order=1)
eigs = np.linalg.eigvalsh(coeffs.H)
print(f"support size s = {support.size}")
print(f"Hessian spectrum on S: [{eigs[0]:.4f}, {eigs[-1]:.4f}]")
print(f"negative eigenvalues: {np.mean(eigs < 0):.1%}")
print(f"Re lambda_1 = -lr * lambda_min = {-LR * eigs[0]:.5f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
bins = np.linspace(min(dense_eigs[0], eigs[0]), max(dense_eigs[-1], eigs[-1]), 60)
ax.hist(dense_eigs, bins=bins, alpha=0.6, label=f"dense, all {dense_support.size} weights")
ax.hist(eigs, bins=bins, alpha=0.6, label=f"pruned, support of {support.size} weights")
ax.axvline(0.0, color="k", lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("Hessian eigenvalue")
ax.set_ylabel("count")
ax.set_title("Curvature of the training loss before and after pruning")
ax.legend()
fig.tight_layout()
plt.show()

######################################################################
# A sizeable fraction of the Hessian eigenvalues on :math:`S` is negative, though small in
# magnitude: pruning moved the weights away from the minimum the dense training had approached, to
# a point where the loss is not convex in every direction. The windows below will therefore *not*
# be dissipative: along the negative-curvature directions the gradient flow grows, slowly.
#
# Fine-tuning with QSGD
# ---------------------
#
# :class:`~pennylane_qsgd.QSGD` is a ``torch.optim.Optimizer``. The options that matter here:
#
# - ``lr`` and ``window``: each ``step()`` stands for ``window`` gradient steps with learning
#   rate ``lr``;
# - ``masks``: the pruned module, so that the support is read from its ``weight_mask`` buffers and
#   pruned entries stay pruned (without it QSGD finds the masks itself when the closure first runs
#   the model; passing the module makes ``support()`` know them before the first step);
# - ``order``: 1 (quadratic loss model, linear flow) or 2 (cubic model, Carleman linearisation;
#   this stores :math:`s^3` third derivatives, so combine it with ``max_support``);
# - ``fidelity``: the fidelity of ``qsgd.sim``. ``"native"`` (default) applies the QSVT polynomial,
#   block encodings and amplification as the exact sparse linear maps the circuit implements, on a
#   state vector; ``"gates"`` decomposes everything to gates (only feasible for a handful of
#   weights); ``"ideal"`` replaces the QSVT polynomial by an exact solve of the linear system;
# - ``shots``: download shots per window, or ``None`` to read the solver's output state exactly;
# - ``on_nondissipative``: what to do with a window that is not dissipative (see below).
#
# Like ``torch.optim.LBFGS``, ``step`` takes a closure that re-evaluates the loss; it needs no
# ``backward`` call (torch's usual closure with ``zero_grad`` and ``backward`` works too), since the
# optimizer differentiates the returned loss itself. We start with an
# exact download, to separate the solver from the tomography.

WINDOW = 10
WINDOWS = 4

quantum = pruned_copy(pruned)
qsgd = QSGD(quantum.parameters(), lr=LR, window=WINDOW, fidelity="native", masks=quantum, seed=0)


def quantum_closure():
    return loss_fn(quantum(x_train), y_train)


######################################################################
# Side by side, plain gradient descent from the same pruned start. ``torch.optim.SGD`` updates
# ``weight_orig`` too; the gradient of a pruned entry is zero (the mask multiplies it), so it
# trains exactly the same support.
#
# For each window we also measure how far the QSGD window lands from 10 true gradient steps taken
# from the *same* window start (on a throw-away copy). That difference has two sources: the
# quadratic Taylor model of the loss, and the polynomial approximation of :math:`1/x` inside QSVT
# (relative accuracy ``precision=1e-6`` by default).

classical = pruned_copy(pruned)
sgd = torch.optim.SGD(classical.parameters(), lr=LR)


def flat_weights(module):
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def gradient_steps(module, steps):
    opt = torch.optim.SGD(module.parameters(), lr=LR)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(module(x_train), y_train).backward()
        opt.step()


sgd_curve = {"step": [0], "loss": [train_loss(classical)], "accuracy": [test_accuracy(classical)]}
qsgd_curve = {"step": [0], "loss": [train_loss(quantum)], "accuracy": [test_accuracy(quantum)]}
update_norm, gap_to_gd = [], []

for window in range(WINDOWS):
    before = flat_weights(quantum)
    reference = pruned_copy(quantum)
    gradient_steps(reference, WINDOW)
    qsgd.step(quantum_closure)
    after = flat_weights(quantum)
    update_norm.append(float(torch.linalg.vector_norm(after - before)))
    gap_to_gd.append(float(torch.linalg.vector_norm(after - flat_weights(reference))))
    qsgd_curve["step"].append((window + 1) * WINDOW)
    qsgd_curve["loss"].append(train_loss(quantum))
    qsgd_curve["accuracy"].append(test_accuracy(quantum))
    for k in range(WINDOW):
        sgd.zero_grad()
        loss_fn(classical(x_train), y_train).backward()
        sgd.step()
        sgd_curve["step"].append(window * WINDOW + k + 1)
        sgd_curve["loss"].append(train_loss(classical))
        sgd_curve["accuracy"].append(test_accuracy(classical))

######################################################################
# What a window reports
# ---------------------
#
# Every ``step`` appends a :class:`~pennylane_qsgd.WindowReport` to ``qsgd.reports``. Here is the
# first one in full:

for field, value in qsgd.reports[0].to_dict().items():
    print(f"{field:>20}: {value}")

######################################################################
# and the main fields of every window:

header = (
    f"{'win':>3} {'action':>22} {'s':>4} {'lam_min':>8} {'neg':>5} {'Re l1':>8} {'R':>5} "
    f"{'m':>3} {'p':>3} {'kappa':>6} {'bound':>5} {'P':>7} {'rnds':>4} {'qb':>3} {'deg':>4} "
    f"{'update':>7} {'model err':>9} {'gap to GD':>9}"
)
print(header)
for r, update, gap in zip(qsgd.reports, update_norm, gap_to_gd, strict=True):
    print(
        f"{r.window:>3} {r.action:>22} {r.support_size:>4} {r.lambda_min:8.4f} "
        f"{r.negative_fraction:5.2f} {r.re_lambda1:8.5f} {r.R:5.3g} {r.euler_steps:>3} "
        f"{r.idle_steps:>3} {r.kappa:6.1f} {r.kappa_bound:5.0f} {r.success_probability:7.4f} "
        f"{r.amplification_rounds:>4} {r.qubits:>3} {r.polynomial_degree:>4} "
        f"{update:7.3f} {r.taylor_model_error:9.2e} {gap:9.2e}"
    )

######################################################################
# How to read these columns:
#
# - ``lambda_min`` and ``negative_fraction`` describe the Hessian on :math:`S` at the window start,
#   and ``re_lambda1`` :math:`= -\eta\,\lambda_{\min}` is positive: the flow is **not dissipative**,
#   so the dissipation ratio :math:`R` of [#Liu2021]_ is infinite and ``action`` reads
#   ``"quantum-nondissipative"``. With the default ``on_nondissipative="run"`` the window is solved
#   on the device anyway. The linear system is still well posed and the solve still exact; what is
#   lost is the paper's *guarantee* that the condition number and the success probability stay
#   bounded independently of how the weights evolve. Here the growth along the most negative
#   direction over one window is at most a factor :math:`e^{\eta |\lambda_{\min}| T}`, about 1.15
#   in the first window and closer to 1 afterwards.
# - ``euler_steps`` :math:`m` and ``idle_steps`` :math:`p`: the default Euler step is
#   :math:`h = \min(1, 1/\|F_1\|)`; here :math:`\eta\,\|H\| < 1`, so :math:`h = 1` and the
#   :math:`m = 10` Euler steps are exactly 10 gradient steps on the quadratic model. The idle
#   steps fill the time register up to a power of two (32 slots, 5 qubits).
# - ``kappa`` is the condition number the inversion polynomial was built for (the normalisation of
#   the block encoding of :math:`L` over its smallest singular value, which is computed
#   numerically at this size). Next to it, the bound :math:`3(m + p + 1)` of [#Liu2021]_, which is guaranteed only when
#   every Euler step contracts, :math:`\|I + hA\| \le 1`. That fails along negative-curvature
#   directions, yet the actual value stays well below the bound.
# - ``success_probability`` :math:`P` is the probability that one run of the solver lands on the
#   idle time steps with the QSVT flag set; ``amplification_rounds`` :math:`\approx
#   \pi / (4\sqrt{P})` rounds of amplitude amplification bring it close to one.
# - ``qubits`` counts the logical qubits of one solver run: the system register (the weights on
#   :math:`S` plus the reference coordinate, :math:`\lceil \log_2(s + 1) \rceil` qubits), the time
#   register and two ancillas of the QSVT. ``polynomial_degree`` is the number of calls to the
#   block encoding of :math:`L` per run, which grows like :math:`\kappa \log(1/\epsilon)`.
# - The last three columns are ours, measured in the loop above, except ``taylor_model_error``:
#   ``update`` is the distance the weights moved in the window; ``taylor_model_error`` compares
#   the solver's output with an accurate integration (scipy) of the continuous-time flow of the
#   same quadratic model, so it measures the forward-Euler discretisation; ``gap to GD`` compares
#   the window with 10 true gradient steps from the same weights, so it measures the quadratic
#   model of the loss. Both stay more than an order of magnitude below the update.
#
# QSGD beside SGD
# ---------------
#
# With an exact download, QSGD follows gradient descent closely: inside each window it descends
# the quadratic model of the loss, and each new window re-expands the loss at the current weights.

# sphinx_gallery_thumbnail_number = 2
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
for ax, key, label in ((ax_loss, "loss", "training loss"), (ax_acc, "accuracy", "test accuracy")):
    ax.plot(sgd_curve["step"], sgd_curve[key], "-", color="C0", label="SGD (every step)")
    ax.plot(qsgd_curve["step"], qsgd_curve[key], "o", color="C1", ms=7, label="QSGD (window ends)")
    for k in range(WINDOWS + 1):
        ax.axvline(k * WINDOW, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel("gradient steps after pruning")
    ax.set_ylabel(label)
ax_loss.legend()
fig.suptitle(f"Digits MLP 64-{HIDDEN}-10, 90% pruned: windows of {WINDOW} steps on qsgd.sim")
fig.tight_layout()
plt.show()

######################################################################
# Download shots
# --------------
#
# Reading the weights back costs measurements. The tomography estimates the :math:`s + 1`
# amplitudes of the normalised output state (weights and reference coordinate); its error
# relative to the norm of the weights scales like :math:`\sqrt{s/N_{\rm shots}}`, and every shot
# needs a successful solver run. We repeat the fine-tuning from the same pruned start with two
# shot budgets.
#
# These runs use ``fidelity="ideal"``: the QSVT polynomial is replaced by an exact solve of the same
# linear system, which is cheaper to simulate; post-selection, amplification and the shot sampling
# of the download are simulated exactly as before. The two fidelities give the same output state up to
# the polynomial's relative accuracy (``precision=1e-6``), far below the shot noise we study.

SHOT_BUDGETS = (10_000, 1_000_000)
shot_runs = {}
for shots in SHOT_BUDGETS:
    student = pruned_copy(pruned)
    opt = QSGD(
        student.parameters(),
        lr=LR,
        window=WINDOW,
        fidelity="ideal",
        shots=shots,
        masks=student,
        seed=1,
    )
    curve = {"loss": [train_loss(student)], "accuracy": [test_accuracy(student)]}
    for _ in range(WINDOWS):
        opt.step(lambda student=student: loss_fn(student(x_train), y_train))
        curve["loss"].append(train_loss(student))
        curve["accuracy"].append(test_accuracy(student))
    shot_runs[shots] = (curve, opt.reports)

norm_theta = float(np.linalg.norm(coeffs.theta_bar))
print(f"|theta_S| at the pruned start: {norm_theta:.2f}")
print(f"{'shots':>9} {'window':>6} {'download err':>12} {'relative':>8} {'solver runs':>11}")
for _, reports in shot_runs.values():
    for r in reports:
        print(
            f"{r.shots:>9} {r.window:>6} {r.download_error:12.4f} "
            f"{r.download_error / norm_theta:8.2%} {r.solver_calls:11.3g}"
        )

######################################################################
# ``download_error`` is the distance between the downloaded weights and the solver's exact output.
# A hundred times more shots make it ten times smaller, as the :math:`\sqrt{s/N_{\rm shots}}` law
# says. With :math:`10^4` shots it is larger than the update of a window (see ``update`` above):
# each window then moves the weights by more noise than signal, and training slows down markedly.
# With :math:`10^6` shots the error is about one per cent of the weights' norm. That is still
# comparable to the update of the later windows, yet the loss follows the exact-download run
# closely: the update points downhill, while the tomography error is spread over all :math:`s`
# directions and changes the loss only at second order.
#
# ``solver_calls`` is the expected number of solver runs behind those shots: with :math:`r`
# amplification rounds one shot costs :math:`2r + 1` runs (17 for :math:`r = 8`), each of them
# calling the block encoding of :math:`L` several hundred times. Reading :math:`s` weights to a
# relative accuracy :math:`\epsilon` takes of order :math:`s/\epsilon^2` shots, so the download
# multiplies the cost of one solve by a large factor; on a real device it, not the linear solve,
# sets the price of a window.

steps = [k * WINDOW for k in range(WINDOWS + 1)]
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
for ax, key, label in ((ax_loss, "loss", "training loss"), (ax_acc, "accuracy", "test accuracy")):
    ax.plot(sgd_curve["step"], sgd_curve[key], "-", color="C0", label="SGD")
    ax.plot(steps, qsgd_curve[key], "o-", color="C1", label="QSGD, exact download")
    for i, (shots, (curve, _)) in enumerate(shot_runs.items()):
        budget = f"$10^{round(np.log10(shots))}$"
        ax.plot(steps, curve[key], "s--", color=f"C{i + 2}", label=f"QSGD, {budget} shots")
    ax.set_xlabel("gradient steps after pruning")
    ax.set_ylabel(label)
ax_loss.legend()
fig.suptitle("Effect of the download shots on fine-tuning")
fig.tight_layout()
plt.show()

######################################################################
# When the window is not dissipative
# ----------------------------------
#
# ``on_nondissipative`` chooses what happens when :math:`\mathrm{Re}\,\lambda_1 \geq 0`:
# ``"run"`` (default) solves the window anyway and records it, as above; ``"classical"`` runs the
# :math:`T` gradient steps classically instead (the report then has ``action="classical"`` and no
# quantum costs); ``"raise"`` raises :class:`~pennylane_qsgd.optim.NonDissipativeWindowError` and
# leaves the parameters untouched, since ``step`` restores them on any error.

strict_model = pruned_copy(pruned)
strict = QSGD(
    strict_model.parameters(),
    lr=LR,
    window=WINDOW,
    masks=strict_model,
    on_nondissipative="raise",
)
before = flat_weights(strict_model)
try:
    strict.step(lambda: loss_fn(strict_model(x_train), y_train))
except NonDissipativeWindowError as error:
    print(f"NonDissipativeWindowError: {error}")
print("parameters unchanged:", torch.equal(before, flat_weights(strict_model)))

######################################################################
# One way to make the flow dissipative is weight decay: it adds :math:`w_d I` to the Hessian, so
# any :math:`w_d > |\lambda_{\min}|` shifts the whole spectrum to the positive side, at the price
# of a different objective (one that also pulls the weights towards zero). The dissipation ratio
# :math:`R` then becomes finite; for a linear flow (``order=1``, no :math:`F_2`) it reads
# :math:`R = \|F_0\| / (\|u_{\rm in}\|\, |\mathrm{Re}\,\lambda_1|)`. We only need the window's
# dissipation figures here, so this window runs at ``fidelity="ideal"``, which replaces the QSVT
# polynomial by an exact solve of the same linear system (post-selection and sampling are still
# simulated).

decay = 2 * abs(eigs[0])
damped_model = pruned_copy(pruned)
damped = QSGD(
    damped_model.parameters(),
    lr=LR,
    window=WINDOW,
    fidelity="ideal",
    weight_decay=decay,
    masks=damped_model,
)
damped.step(lambda: loss_fn(damped_model(x_train), y_train))
r = damped.reports[-1]
print(
    f"weight decay {decay:.3f}: action {r.action}, Re lambda_1 = {r.re_lambda1:.5f}, R = {r.R:.3g}"
)

######################################################################
# With :math:`w_d = 2|\lambda_{\min}|` the window is dissipative and :math:`R < 1`: the regime
# of the convergence theorem of [#Liu2021]_, on which its bounds on the condition number, the
# success probability and, for a quadratic flow (``order=2``), the Carleman truncation error
# rest. Without weight decay, the small network of this demo does not reach that regime
# after pruning. Liu et al. report that for CIFAR ResNets with millions of weights the
# *dissipative modes dominate* the first steps after pruning, a statement about the bulk of the
# Hessian spectrum that is compatible with a minority of small negative modes like ours. The
# strict criterion :math:`\mathrm{Re}\,\lambda_1 < 0` fails as soon as a single mode has negative
# curvature, and QSGD reports it rather than hiding it.
#
# Conclusion
# ----------
#
# We pre-trained and pruned a small network, then fine-tuned its surviving weights with
# :class:`~pennylane_qsgd.QSGD`, whose every step solves a window of gradient descent as one linear
# system through a simulated QSVT solver and reads the weights back by tomography. With an exact
# download QSGD tracks gradient descent to within the Taylor-model error; with finite shots the
# tomography error dominates unless the budget grows with the support. Each window's report puts
# the dissipation, the condition number, the success probability, the qubit count and the download
# error side by side, so the same loop can be pointed at your own model to see where the
# algorithm's assumptions hold and what it would cost.
#
# References
# ----------
#
# .. [#Liu2024]
#
#     Junyu Liu, Minzhao Liu, Jin-Peng Liu, Ziyu Ye, Yunfei Wang, Yuri Alexeev, Jens Eisert,
#     Liang Jiang. "Towards provably efficient quantum algorithms for large-scale
#     machine-learning models". Nature Communications 15, 434 (2024).
#     `doi:10.1038/s41467-023-43957-x <https://doi.org/10.1038/s41467-023-43957-x>`__,
#     `arXiv:2303.03428 <https://arxiv.org/abs/2303.03428>`__.
#
# .. [#Liu2021]
#
#     Jin-Peng Liu, Herman Øie Kolden, Hari K. Krovi, Nuno F. Loureiro, Konstantina Trivisa,
#     Andrew M. Childs. "Efficient quantum algorithm for dissipative nonlinear differential
#     equations". Proceedings of the National Academy of Sciences 118, e2026805118 (2021).
#     `doi:10.1073/pnas.2026805118 <https://doi.org/10.1073/pnas.2026805118>`__,
#     `arXiv:2011.03185 <https://arxiv.org/abs/2011.03185>`__.
