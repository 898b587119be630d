r"""Solving the Euler–Carleman linear system with QSVT
==================================================

The quantum training algorithm of Liu et al. [#liu2024]_ replaces a window of gradient steps by a
single linear system: the training dynamics become a dissipative quadratic ODE, Carleman
linearisation and forward Euler turn that ODE into :math:`L Y = B`, and a quantum linear solver
prepares a state proportional to :math:`Y`, whose last time slices hold the new weights. This is
the construction of Liu, Kolden, Krovi, Loureiro, Trivisa and Childs for dissipative nonlinear
ODEs [#liu2021]_.

In this demo we solve such a system with the quantum singular value transformation (QSVT)
[#gilyen2019]_ [#martyn2021]_ on the ``qsgd.sim`` device of ``pennylane_qsgd``, one ingredient at a
time (PennyLane's `Intro to QSVT <https://pennylane.ai/qml/demos/tutorial_intro_qsvt>`__ covers
the basics):

#. the Euler–Carleman matrix :math:`L` of a small quadratic ODE,
#. a block encoding of :math:`L` with an explicit subnormalisation :math:`\alpha`,
#. an odd polynomial approximation of :math:`1/x` and its QSVT phase angles,
#. the inversion circuit, and why it needs one more ancilla to take a real part,
#. the success probability and its amplification,
#. the whole pipeline as one template, ``GradientFlowSolver``, simulated natively and gate by gate.

At every step the quantum output is compared with numpy's dense solve of :math:`L Y = B`.

The linear system
-----------------

We take a quadratic ODE :math:`du/dt = F_0 + F_1 u + F_2 (u \otimes u)` with :math:`s = 2`
variables, weak forcing and a damped linear part. Its dissipation ratio :math:`R` (see the companion
demo on Carleman linearisation) is well below 1.
"""

import matplotlib.pyplot as plt
import numpy as np
import pennylane as qml
import scipy.sparse as sp

from pennylane_qsgd.circuits import (
    DenseBlockEncoding,
    GradientFlowSolver,
    NormalizedStatePrep,
    QSVTInverse,
    SuccessAmplification,
    amplification_rounds,
    amplified_probability,
    ideal_solution,
    inverse_angles,
    required_wires,
    success_branch,
    success_oracle,
)
from pennylane_qsgd.core import (
    PolynomialODE,
    carleman_matrix,
    condition_number_bound,
    dissipation,
    euler_system,
    integrate_ode,
    inverse_polynomial,
    qsp_phases,
    qsp_unitary_entry,
    solve_euler,
    spectral_norm,
    success_probability_bound,
    wx_to_qsvt_angles,
)

rng = np.random.default_rng(0)
s = 2
problem = PolynomialODE(
    F0=0.05 * rng.normal(size=s),
    F1=-np.eye(s) + 0.1 * rng.normal(size=(s, s)),
    F2=-0.1 * rng.normal(size=(s, s * s)),
    u_in=[0.3, -0.2],
)
print(f"R = {dissipation(problem).R:.3f}")

######################################################################
# With Carleman level :math:`N`, the state :math:`y = [u; u^{\otimes 2}; \dots; u^{\otimes N}]` has
# :math:`\Delta = s + \dots + s^N` entries and obeys :math:`dy/dt = A y + b`. Forward Euler with
# :math:`m` steps of size :math:`h = T/m`, followed by :math:`p` idle steps that copy the final
# state, stacks all time slices into one vector :math:`Y = [y_0; y_1; \dots; y_{m+p}]` with
#
# .. math::
#
#     L = \sum_{k} |k\rangle\langle k| \otimes I
#         - \sum_{k=1}^{m} |k\rangle\langle k-1| \otimes (I + hA)
#         - \sum_{k=m+1}^{m+p} |k\rangle\langle k-1| \otimes I,
#     \qquad
#     B = |0\rangle \otimes y_{\rm in} + \sum_{k=1}^{m} h\, |k\rangle \otimes b.
#
# The idle steps are there for the read-out: every idle slice holds the final state, so measuring
# the time register in the idle block succeeds with a probability that does not shrink with
# :math:`m`. We start with :math:`N = 2`, :math:`m = 4` and :math:`p = 3`.

N, T, m, p = 2, 0.5, 4, 3
L, B = euler_system(problem, N, T, m, p)
delta = s + s**2
print(
    f"L: {L.shape[0]} x {L.shape[1]}, {L.nnz} non-zeros; (m + p + 1) Delta = {(m + p + 1) * delta}"
)

Y = np.linalg.solve(L.toarray(), B)
y_final = solve_euler(problem, N, T, m, p).u_final
print("last slice of Y, level 1:", Y[-delta:][:s])
print("forward substitution    :", y_final)

sigma = np.linalg.svd(L.toarray(), compute_uv=False)
print(f"kappa(L) = {sigma[0] / sigma[-1]:.2f} <= 3 (m + p + 1) = {condition_number_bound(m, p)}")

fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.spy(L.toarray(), markersize=2.5)
ax.set_title(f"Euler–Carleman matrix L ($N = {N}$, $m = {m}$, $p = {p}$)")
plt.tight_layout()
plt.show()

######################################################################
# :math:`L` is unit lower block-bidiagonal: the diagonal holds identities, the first sub-diagonal
# holds :math:`-(I + hA)` in the Euler rows and :math:`-I` in the idle rows. A classical computer
# solves it by forward substitution, slice after slice, which is what ``solve_euler`` does. Lemma 3
# of the PNAS paper bounds its condition number by :math:`3(m + p + 1)`, which fixes the cost of a
# quantum solve.
#
# A block encoding with an explicit subnormalisation
# --------------------------------------------------
#
# A unitary :math:`U_L` *block-encodes* :math:`L` if its top-left block is :math:`L/\alpha` for some
# :math:`\alpha \ge \|L\|`:
#
# .. math::
#
#     U_L = \begin{pmatrix} L/\alpha & \ast \\ \ast & \ast \end{pmatrix}.
#
# :math:`\alpha` matters: QSVT acts on the singular values of :math:`L/\alpha`, so every downstream
# quantity (the polynomial's domain, its degree, the success probability) depends on it. Here it
# comes from a norm bound. :math:`L = I - S` with :math:`S` a block shift whose blocks are
# :math:`I + hA` and :math:`I`, so :math:`\|L\| \le 1 + \max(1, \|I + hA\|)`:

h = T / m
step_norm = spectral_norm(sp.identity(delta) + h * carleman_matrix(problem, N))
alpha = 1.0 + max(1.0, step_norm)
print(f"||I + hA|| = {step_norm:.4f}, alpha = {alpha}, ||L|| = {sigma[0]:.4f}")

######################################################################
# ``DenseBlockEncoding`` builds the unitary dilation of :math:`L/\alpha` on one ancilla plus the
# system wires. Its matrix must have a power-of-two size, so we pad :math:`L` with an identity block
# and :math:`B` with zeros; the padding leaves the solution on the original coordinates unchanged
# and adds singular values equal to 1, inside the range of the others. The encoding checks
# :math:`\alpha \ge \|L\|` and refuses anything smaller.

n_sys = int(np.ceil(np.log2(L.shape[0])))
dim = 2**n_sys
L_pad = sp.block_diag([L, sp.identity(dim - L.shape[0])]).toarray()
B_pad = np.concatenate([B, np.zeros(dim - B.size)])
system = list(range(n_sys))

encoding = DenseBlockEncoding(L_pad, alpha, wires=["a", *system])
top_left = qml.matrix(encoding, wire_order=["a", *system])[:dim, :dim]
print(
    f"{n_sys} system wires; top-left block equals L / alpha:", np.allclose(top_left, L_pad / alpha)
)
try:
    DenseBlockEncoding(L_pad, 1.5, wires=["a", *system])
except ValueError as err:
    print("alpha = 1.5 refused:", err)

######################################################################
# PennyLane's ``qml.BlockEncode`` takes the same matrix without complaint, but it rescales it
# silently when :math:`\|L\| > 1`, so the factor would have to be reverse-engineered from the
# unitary:

silent = qml.matrix(qml.BlockEncode(L_pad, wires=["a", *system]), wire_order=["a", *system])
factor = L_pad[0, 0] / silent[0, 0].real
print(f"qml.BlockEncode encodes L / {factor:.3f}:", np.allclose(silent[:dim, :dim] * factor, L_pad))

######################################################################
# The polynomial and its phase angles
# -----------------------------------
#
# The singular values of :math:`L/\alpha` lie in :math:`[1/\kappa, 1]` with
# :math:`\kappa = \alpha / \sigma_{\min}(L)`. QSVT applies an odd polynomial :math:`P` to them, so
# we need :math:`P(x) \approx \text{scale}/(\kappa x)` on that interval and :math:`|P| \le 1` on all
# of :math:`[-1, 1]`. ``inverse_polynomial`` builds the optimal-degree construction of Lin and Tong
# [#lintong2020]_ directly in the Chebyshev basis, with degree about :math:`\kappa \ln(2/\epsilon)`
# for relative accuracy :math:`\epsilon`. The polynomial overshoots inside
# :math:`(-1/\kappa, 1/\kappa)`, where no singular value lives, so its scale is chosen to keep
# :math:`\max |P| = 0.9`.

kappa = alpha / sigma[-1]
eps = 1e-6
poly = inverse_polynomial(kappa, eps)
print(f"kappa = {kappa:.3f}: degree {poly.degree}, scale {poly.scale:.4f}")
print(
    f"|P - scale/(kappa x)| <= {poly.target_error:.2e} on [1/kappa, 1]; "
    f"max|P| on [-1, 1] = {poly.sup_norm():.3f}"
)

######################################################################
# The phases come from the Chebyshev coefficients, never from monomial ones. The same bounded
# polynomial written in the monomial basis has huge coefficients of alternating sign, which double
# precision cannot cancel:

monomial = np.polynomial.chebyshev.cheb2poly(poly.coeffs)
print(f"largest monomial coefficient: {np.abs(monomial).max():.1e}")

######################################################################
# ``qsp_phases`` solves for symmetric phases :math:`\Phi` whose single-qubit QSP sequence has
# :math:`P` as the imaginary part of its :math:`\langle 0|U(x, \Phi)|0\rangle` entry;
# ``qsp_unitary_entry`` multiplies the :math:`2 \times 2` matrices one by one, an independent check
# of the phases. ``wx_to_qsvt_angles`` converts them to the ``qml.PCPhase`` angles of PennyLane's
# QSVT convention; ``inverse_angles`` does all three steps and caches the result.

phases = qsp_phases(poly)
x = np.linspace(-1.0, 1.0, 4001)
qsp_error = np.max(np.abs(qsp_unitary_entry(phases, x).imag - poly(x)))
print(f"{phases.size} phases; max |Im <0|U(x)|0> - P(x)| on [-1, 1] = {qsp_error:.1e}")
angles = inverse_angles(kappa, eps)
print(
    "inverse_angles gives the same angles:", np.allclose(wx_to_qsvt_angles(phases), angles.angles)
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
target = np.where(np.abs(x) > 0.02, poly.scale / (kappa * np.where(x == 0, 1, x)), np.nan)
ax1.plot(x, target, color="0.6", lw=3, label=r"scale$/(\kappa x)$")
ax1.plot(x, poly(x), color="C0", label=f"$P(x)$, degree {poly.degree}")
ax1.axvspan(-1 / kappa, 1 / kappa, color="0.92")
ax1.plot(sigma / alpha, np.zeros_like(sigma), "|", color="C3", ms=12, label=r"$\sigma_i(L)/\alpha$")
ax1.set_ylim(-1.05, 1.05)
ax1.set_xlabel("$x$")
ax1.set_title("Odd polynomial approximation of $1/x$")
ax1.legend(loc="lower right")
domain = np.linspace(1 / kappa, 1.0, 2000)
ax2.semilogy(domain, np.abs(poly(domain) - poly.scale / (kappa * domain)), label="$|P - $target$|$")
ax2.semilogy(
    domain,
    np.abs(qsp_unitary_entry(phases, domain).imag - poly.scale / (kappa * domain)),
    ":",
    label="from the phases",
)
ax2.axhline(poly.target_error, color="k", ls="--", lw=0.8, label="guaranteed bound")
ax2.set_xlabel(r"$x \in [1/\kappa, 1]$")
ax2.set_title("Approximation error on the singular values' range")
ax2.legend()
plt.tight_layout()
plt.show()

######################################################################
# Left, the shaded band :math:`|x| < 1/\kappa` is where :math:`P` departs from :math:`1/x` (it must:
# :math:`P` is a bounded polynomial); the red ticks are the singular values of :math:`L/\alpha`, all
# outside it. Right, the error oscillates below the guaranteed :math:`\epsilon \cdot \text{scale}`,
# and the QSP product built from the phases reproduces the polynomial to about :math:`10^{-12}`.
#
# Inversion and the real-part step
# --------------------------------
#
# :math:`L` is not Hermitian. With the singular value decomposition
# :math:`L = \sum_i \sigma_i |w_i\rangle\langle v_i|`, QSVT with an odd polynomial on the block
# encoding of :math:`L^\dagger` gives
#
# .. math::
#
#     P^{(SV)}(L^\dagger/\alpha) = \sum_i P(\sigma_i/\alpha)\, |v_i\rangle\langle w_i|
#     \approx \sum_i \frac{\text{scale}\,\alpha}{\kappa\,\sigma_i} |v_i\rangle\langle w_i|
#     = \frac{\text{scale}\,\alpha}{\kappa} L^{-1}.
#
# There is a catch. A QSVT sequence with our angles has the block :math:`P^{(SV)} - i\,Q^{(SV)}`
# (both applied to :math:`L^\dagger/\alpha`), where :math:`Q` is a second polynomial fixed by the
# phases, which we did not choose and which is not small. The sequence with the negated angles has
# the complex-conjugate block, so their average is exactly :math:`P^{(SV)}`. ``QSVTInverse``
# implements this average as a linear combination of unitaries with one more ancilla ``r``: a
# Hadamard on ``r``, every projector phase controlled by ``r`` in sign (a ``MultiRZ`` on ``r`` and
# the encoding ancilla ``a``), and a final Hadamard. The branch :math:`r = 0, a = 0` then holds
# :math:`P^{(SV)}(L^\dagger/\alpha) |B\rangle` and the branch :math:`r = 1, a = 0` holds
# :math:`Q^{(SV)}(L^\dagger/\alpha) |B\rangle` up to a phase.

wires = ["r", "a", *system]


def inversion_circuit():
    NormalizedStatePrep(B_pad, wires=system)
    QSVTInverse(L_pad, alpha, angles.angles, wires=wires)
    return qml.state()


native = qml.device("qsgd.sim", wires=wires, fidelity="native")
state = np.asarray(qml.QNode(inversion_circuit, native)()).reshape(2, 2, dim)
print(qml.draw(qml.QNode(inversion_circuit, native))())

success = state[0, 0]
Y_pad = np.linalg.solve(L_pad, B_pad)
direction_error = np.linalg.norm(success / np.linalg.norm(success) - Y_pad / np.linalg.norm(Y_pad))
print(f"r = 0, a = 0 against numpy's solve of L Y = B: error {direction_error:.1e}")
print(f"imaginary part left in the branch: {np.abs(success.imag).max():.1e}")
for label, branch in (("r=0, a=0 (Re P)", state[0, 0]), ("r=1, a=0 (Q)", state[1, 0])):
    print(f"probability of {label}: {np.sum(np.abs(branch) ** 2):.4f}")
print(f"probability of a=1: {np.sum(np.abs(state[:, 1]) ** 2):.4f}")

######################################################################
# The normalised success branch agrees with the dense solve to better than :math:`10^{-6}`, the size
# of the polynomial error. It carries only about 5% of the probability, while the :math:`Q` branch
# carries more than 60%: without the real-part step the output would be dominated by a vector that
# has nothing to do with :math:`L^{-1}B`.
#
# The average of the two conjugate sequences can also be checked against PennyLane's own
# ``qml.QSVT``, which takes the block encoding of :math:`L^\dagger` and the ``qml.PCPhase``
# projectors directly. We run both sequences on ``lightning.qubit`` and average their
# :math:`a = 0` blocks:

adjoint_encoding = DenseBlockEncoding(L_pad.T, alpha, wires=["a", *system])
lightning = qml.device("lightning.qubit", wires=["a", *system])


@qml.qnode(lightning)
def pennylane_qsvt(sign):
    qml.StatePrep(B_pad / np.linalg.norm(B_pad), wires=system)
    projectors = [qml.PCPhase(sign * phi, dim=dim, wires=["a", *system]) for phi in angles.angles]
    qml.QSVT(adjoint_encoding, projectors)
    return qml.state()


average = (pennylane_qsvt(1.0)[:dim] + pennylane_qsvt(-1.0)[:dim]) / 2
print(f"qml.QSVT average vs QSVTInverse, largest difference: {np.abs(average - success).max():.1e}")

######################################################################
# Success probability
# -------------------
#
# Post-selecting :math:`r = 0, a = 0` succeeds with probability
#
# .. math::
#
#     P_{\rm flag} = \left(\frac{\text{scale}\,\alpha}{\kappa}\right)^2
#     \frac{\|L^{-1} B\|^2}{\|B\|^2},
#
# up to the polynomial error. Since :math:`\alpha/\kappa = \sigma_{\min}(L)`, the factor after
# :math:`\text{scale}^2` lies between :math:`1/\kappa(L)^2` and 1: it is largest when :math:`B`
# points along the direction that :math:`L` shrinks most (where :math:`L^{-1}` amplifies most), and
# smallest when :math:`B` points along the directions that :math:`L` stretches.

predicted = (angles.scale * alpha / kappa * np.linalg.norm(Y_pad) / np.linalg.norm(B_pad)) ** 2
print(f"P_flag measured {np.sum(np.abs(success) ** 2):.6f}, predicted {predicted:.6f}")

######################################################################
# Reading out the weights needs two more conditions: the time register in the idle block, where
# every slice holds the final state, and the Carleman register at level 1, where :math:`u` lives.
# With :math:`p + 1` slices out of :math:`m + p + 1` holding :math:`y_m`, the PNAS paper's Lemma 5
# keeps this fraction bounded below. Both conditions are checked at once by an oracle that flips the
# sign of the success states, and amplitude amplification [#brassard2002]_ raises the total success
# probability :math:`P = \sin^2\theta` to :math:`\sin^2((2k + 1)\theta)` after :math:`k` rounds,
# each of which calls the solver twice. The whole pipeline comes as one template.
#
# The whole solver: GradientFlowSolver
# ------------------------------------
#
# ``GradientFlowSolver`` takes the ODE, the time :math:`T`, the level :math:`N` and the number of
# Euler steps, and lays out the registers itself: ``r`` and ``a``, a time register of
# :math:`2^t \ge m + p + 1` slots whose top wire flags the idle block, a Carleman register whose
# all-zero level wires mean level 1, and the system wires. It prepares :math:`|B\rangle`, picks
# :math:`\alpha` from the norm bound above (with a 1% margin), computes :math:`\kappa` from the
# smallest singular value, and inverts with the real-part QSVT sequence around the block encoding
# of :math:`L` (``encoding="dense"``, the dilation above; ``"structured"`` is the LCU built from
# :math:`F_0, F_1, F_2`). We go one level up, :math:`N = 3`, over
# :math:`T = 1` with :math:`m = 8` steps.

N, T, m = 3, 1.0, 8
n_wires = required_wires(s, N, m)


def make_solver():
    with qml.QueuingManager.stop_recording():
        return GradientFlowSolver(
            problem, T=T, carleman_level=N, steps=m, precision=eps, wires=range(n_wires)
        )


solver = make_solver()
info = solver.info()
layout = info.layout
print(f"{n_wires} wires: r = {layout.real_part_wire}, a = {layout.encoding_wire}, ", end="")
print(f"time {layout.time_wires.tolist()}, level {layout.level_wires.tolist()}, ", end="")
print(f"system {layout.system_wires.tolist()}; idle steps p = {layout.idle}")
print(f"alpha = {info.alpha:.3f}, kappa = {info.kappa:.2f}, Lemma 3: {info.kappa_bound:.0f}")
print(f"degree {info.degree} = calls to the block encoding of L")
print(f"success condition (wire: value): {info.success_condition}")
print(f"success probability {info.success_probability:.5f}", end=" ")
print(f"(with an exact inverse: {info.ideal_success_probability:.5f})")

######################################################################
# The success probability is the product of a flag probability, as in the previous section, and the
# probability of the time and level conditions given the flag. The second factor is what Lemma 5 of
# the PNAS paper bounds from below, through :math:`q = \|u_{\rm in}\| / \|u(T)\|`:

ideal = ideal_solution(solver)
lemma5 = success_probability_bound(m, layout.idle, N, ideal.euler.q)
print(f"time and level conditions: {ideal.subset_probability:.3f} >= Lemma 5: {lemma5:.4f}")
print(f"flag (exact inverse): {ideal.flag_probability:.4f}")


def solver_state(fidelity, rounds=0):
    device = qml.device("qsgd.sim", wires=n_wires, fidelity=fidelity)

    @qml.qnode(device)
    def circuit():
        qml.apply(make_solver())
        if rounds:
            oracle = success_oracle(layout.success_condition)
            SuccessAmplification(make_solver(), oracle, iters=rounds)
        return qml.state()

    return np.asarray(circuit())


output, probability = success_branch(solver, solver_state("native"))
L3, B3 = euler_system(problem, N, T, m, layout.idle)
Y3 = np.linalg.solve(L3.toarray(), B3)
delta3 = s + s**2 + s**3
u_dense = Y3[-delta3:][:s]
u_exact = integrate_ode(problem, T)
print(f"success probability on qsgd.sim: {probability:.5f}")
print("quantum output u(T)/|u(T)|    :", np.round(output.real, 6))
print("numpy solve of L Y = B        :", np.round(u_dense / np.linalg.norm(u_dense), 6))
print("ODE (integrate_ode), normalised:", np.round(u_exact / np.linalg.norm(u_exact), 6))

######################################################################
# The quantum output matches the dense solve to the polynomial's accuracy; both differ from the
# exact ODE solution in the third decimal, which is the Euler error of :math:`m = 8` steps (the
# Carleman demo measures it against Lemma 2). The state holds the direction of :math:`u(T)`; its
# norm and signs are recovered by the download step of the training algorithm, which is a separate
# topic.
#
# Amplitude amplification
# -----------------------
#
# With :math:`P \approx 0.005`, the rotation angle is :math:`\theta = \arcsin\sqrt{P}` and the best
# number of rounds is :math:`k = \lfloor \pi / (4\theta) \rfloor`. ``SuccessAmplification`` is
# PennyLane's ``qml.AmplitudeAmplification`` with the oracle ``success_oracle`` (a ``qml.FlipSign``
# on the success wires), applied natively by ``qsgd.sim``. We run it for every number of rounds up
# to twice the optimum.

theta = np.arcsin(np.sqrt(info.success_probability))
best = amplification_rounds(info.success_probability)
P_best = amplified_probability(info.success_probability, best)
print(f"theta = {theta:.4f} rad, best k = {best}, P_k = {P_best:.4f}")

rounds = np.arange(0, 2 * best + 3)
measured = [success_branch(solver, solver_state("native", k))[1] for k in rounds]
k_fine = np.linspace(0, rounds[-1], 400)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(k_fine, np.sin((2 * k_fine + 1) * theta) ** 2, color="0.6", label=r"$\sin^2((2k+1)\theta)$")
ax.plot(rounds, measured, "o", color="C0", label="qsgd.sim, native")
ax.axvline(
    best, color="C3", ls="--", lw=0.8, label=f"$k = \\lfloor \\pi/4\\theta \\rfloor = {best}$"
)
ax.set_xlabel("amplification rounds $k$")
ax.set_ylabel("success probability")
ax.set_title("Amplifying the success event of GradientFlowSolver")
ax.legend()
plt.tight_layout()
plt.show()

formula = np.sin((2 * rounds + 1) * theta) ** 2
deviation = np.abs(np.array(measured) - formula).max()
print(f"largest deviation from the rotation formula: {deviation:.1e}")

######################################################################
# The simulated probabilities agree with the rotation formula to within :math:`10^{-12}`: the
# solver, the oracle and the reflections form an exact two-dimensional rotation, and :math:`k = 11`
# rounds take the success probability from 0.5% to above 99.9%. Amplification also leaves the
# normalised output untouched, since it only rotates within the span of the success and failure
# components.

amplified_output, amplified_prob = success_branch(solver, solver_state("native", best))
change = np.abs(amplified_output - output).max()
print(
    f"after {best} rounds: P = {amplified_prob:.5f}, change of the normalised output {change:.1e}"
)

######################################################################
# Native and gate-level simulation agree
# --------------------------------------
#
# ``qsgd.sim`` has three fidelities. At ``fidelity="gates"`` every template is decomposed down to gates
# (the state preparation into rotations and CNOTs, the block encoding into one ``QubitUnitary`` per
# call) and the circuit runs on ``lightning.qubit``. At the default ``fidelity="native"`` the templates
# are applied as the linear maps they implement, with sparse products and Chebyshev recurrences and
# no dense unitary, which is what makes windows beyond a few qubits simulable. (The third fidelity,
# ``"ideal"``, replaces the polynomial by an exact solve for windows far beyond any state vector.)
# Gates and native must agree to rounding, on every amplitude:

for k in (0, 1):
    gates = solver_state("gates", k)
    native_state = solver_state("native", k)
    print(
        f"k = {k}: largest amplitude difference, gates vs native: "
        f"{np.abs(gates - native_state).max():.1e}"
    )

######################################################################
# Conclusion
# ----------
#
# We solved the Euler–Carleman system of a nonlinear ODE with QSVT, piece by piece: a block encoding
# whose subnormalisation is stated rather than guessed, a :math:`1/x` polynomial in the Chebyshev
# basis with its phases, an inversion circuit that takes the real part of the QSVT block with one
# extra ancilla, and amplitude amplification of the read-out event. ``GradientFlowSolver`` packages
# these steps, and ``qsgd.sim`` runs it either gate by gate or natively, with the same amplitudes.
# Its output agrees with numpy's dense solve up to the polynomial's accuracy.
#
# The costs visible here are those of the full algorithm: the degree grows like
# :math:`\kappa \log(1/\epsilon)` with :math:`\kappa` linear in the number of time steps (Lemma 3),
# and amplification costs :math:`O(1/\sqrt{P})` solver calls. In the quantum training algorithm of
# Liu et al. [#liu2024]_ this solve is repeated for every window of gradient steps.
#
# References
# ----------
#
# .. [#liu2024]
#
#     Junyu Liu, Minzhao Liu, Jin-Peng Liu, Ziyu Ye, Yunfei Wang, Yuri Alexeev, Jens Eisert, and
#     Liang Jiang, "Towards provably efficient quantum algorithms for large-scale machine-learning
#     models", `Nature Communications 15, 434 <https://doi.org/10.1038/s41467-023-43957-x>`__
#     (2024), `arXiv:2303.03428 <https://arxiv.org/abs/2303.03428>`__.
#
# .. [#liu2021]
#
#     Jin-Peng Liu, Herman Øie Kolden, Hari K. Krovi, Nuno F. Loureiro, Konstantina Trivisa, and
#     Andrew M. Childs, "Efficient quantum algorithm for dissipative nonlinear differential
#     equations", `PNAS 118, e2026805118 <https://doi.org/10.1073/pnas.2026805118>`__ (2021),
#     `arXiv:2011.03185 <https://arxiv.org/abs/2011.03185>`__.
#
# .. [#gilyen2019]
#
#     András Gilyén, Yuan Su, Guang Hao Low, and Nathan Wiebe, "Quantum singular value
#     transformation and beyond: exponential improvements for quantum matrix arithmetics",
#     Proceedings of the 51st Annual ACM SIGACT Symposium on Theory of Computing (2019),
#     `arXiv:1806.01838 <https://arxiv.org/abs/1806.01838>`__.
#
# .. [#martyn2021]
#
#     John M. Martyn, Zane M. Rossi, Andrew K. Tan, and Isaac L. Chuang, "Grand unification of
#     quantum algorithms", `PRX Quantum 2, 040203 <https://doi.org/10.1103/PRXQuantum.2.040203>`__
#     (2021).
#
# .. [#lintong2020]
#
#     Lin Lin and Yu Tong, "Optimal polynomial based quantum eigenstate filtering with application
#     to solving quantum linear systems",
#     `Quantum 4, 361 <https://doi.org/10.22331/q-2020-11-11-361>`__ (2020).
#
# .. [#brassard2002]
#
#     Gilles Brassard, Peter Høyer, Michele Mosca, and Alain Tapp, "Quantum amplitude amplification
#     and estimation", Contemporary Mathematics 305, 53 (2002),
#     `arXiv:quant-ph/0005055 <https://arxiv.org/abs/quant-ph/0005055>`__.
