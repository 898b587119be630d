r"""Carleman linearisation of dissipative nonlinear ODEs
====================================================

A quantum computer evolves amplitudes linearly, yet gradient descent on a neural network is a
nonlinear dynamical system. The quantum training algorithm of Liu et al. [#liu2024]_ bridges the gap
in the way Liu, Kolden, Krovi, Loureiro, Trivisa and Childs [#liu2021]_ proposed for dissipative
nonlinear differential equations: a window of training steps becomes a quadratic ODE, *Carleman
linearisation* turns that ODE into a linear one of higher dimension, forward Euler turns the linear
ODE into one linear system, and a quantum linear solver produces the final state.

Truncating the Carleman system at a finite level :math:`N` and discretising time both cost accuracy.
The PNAS paper bounds the two errors (its Lemmas 1 and 2) when the ODE is *dissipative enough*, a
condition summarised by one number, the ratio :math:`R`. In this demo we use the classical core of
``pennylane_qsgd`` to

* build the Carleman matrix and check the identity it rests on,
* measure the truncation error as a function of :math:`N` against Lemma 1,
* measure the forward-Euler error against Lemma 2,
* sweep :math:`R` across 1 and watch Carleman linearisation stop converging,
* and look at a Burgers equation that sits far outside the proven regime.

Everything here is numpy and scipy; the quantum solve of the same linear system is the subject of
the companion demo on the QSVT linear solver.

The quadratic ODE and its dissipation ratio
-------------------------------------------

Every layer of the package solves

.. math::

    \frac{du}{dt} = F_0 + F_1 u + F_2 (u \otimes u), \qquad u(0) = u_{\rm in} \in \mathbb{R}^s,

with :math:`F_1` an :math:`s \times s` matrix and :math:`F_2` an :math:`s \times s^2` matrix acting
on the Kronecker square. For the training problem, :math:`F_0, F_1, F_2` come from the gradient,
Hessian and third derivatives of the loss on the unpruned weights, multiplied by the learning rate.

Let :math:`\lambda_1` be the eigenvalue of :math:`F_1` with the largest real part. The ODE is
dissipative when :math:`\mathrm{Re}\,\lambda_1 < 0`, and the PNAS analysis measures how strongly the
linear damping dominates the nonlinearity and the forcing with

.. math::

    R = \frac{1}{|\mathrm{Re}\,\lambda_1|}
        \left( \|u_{\rm in}\|\, \|F_2\| + \frac{\|F_0\|}{\|u_{\rm in}\|} \right)

(spectral norms). The paper's guarantees are for :math:`R < 1`.

We start with a small random problem with :math:`s = 3` variables: a symmetric negative-definite
:math:`F_1` with eigenvalues :math:`-1, -1.5, -2`, a random quadratic part of spectral norm 1, a
weak forcing and an initial state of norm 0.5.
"""

import matplotlib.pyplot as plt
import numpy as np

from pennylane_qsgd.core import (
    PolynomialODE,
    burgers_problem,
    carleman_dimension,
    carleman_flow,
    carleman_forcing,
    carleman_matrix,
    dissipation,
    euler_error_bound,
    integrate_ode,
    lemma_bounds,
    lift,
    logistic_problem,
    logistic_solution,
    max_step_size,
    rescale_to_unit_ball,
    solve_euler,
    truncation_error_bound,
)

rng = np.random.default_rng(7)
s = 3

orthogonal, _ = np.linalg.qr(rng.normal(size=(s, s)))
F1 = -orthogonal @ np.diag([1.0, 1.5, 2.0]) @ orthogonal.T
F2 = rng.normal(size=(s, s * s))
F2 /= np.linalg.norm(F2, 2)
F0 = rng.normal(size=s)
F0 *= 0.05 / np.linalg.norm(F0)
u_in = rng.normal(size=s)
u_in *= 0.5 / np.linalg.norm(u_in)

problem = PolynomialODE(F0=F0, F1=F1, F2=F2, u_in=u_in)
info = dissipation(problem)
print(f"Re(lambda_1) = {info.re_lambda1:.3f}")
print(f"||F0|| = {info.norm_F0:.3f}, ||F1|| = {info.norm_F1:.3f}, ||F2|| = {info.norm_F2:.3f}")
print(f"||u_in|| = {info.norm_u_in:.3f}  ->  R = {info.R:.3f}")
print(f"R < 1 holds for ||u_in|| in ({info.r_minus:.4f}, {info.r_plus:.4f})")

######################################################################
# With :math:`|\mathrm{Re}\,\lambda_1| = 1`, :math:`\|u_{\rm in}\| = 0.5`, :math:`\|F_2\| = 1` and
# :math:`\|F_0\| = 0.05` we get :math:`R = 0.5 + 0.1 = 0.6`, inside the proven regime. The interval
# :math:`(r_-, r_+)` is the set of initial norms for which :math:`R < 1` with the same coefficients.
#
# Choosing the scale of the state
# -------------------------------
#
# A rescaling :math:`u = \gamma v` multiplies :math:`F_2` by :math:`\gamma` and divides :math:`F_0`
# by :math:`\gamma`; :math:`R` does not change. The error analysis of the PNAS paper, however, works
# in a normalisation where the state is small and the linear damping beats the other two terms
# outright:
#
# .. math::
#
#     \|v_{\rm in}\| < 1 \quad\text{and}\quad \|F_2\| + \|F_0\| \le |\mathrm{Re}\,\lambda_1|
#     \quad\text{(after rescaling)}.
#
# The lemmas below are proved for a problem in this normalisation, where the linear damping controls
# the truncated Carleman system level by level. The second condition is not scale invariant: after
# rescaling its left-hand side reads :math:`\gamma\|F_2\| + \|F_0\|/\gamma`, which is at most
# :math:`|\mathrm{Re}\,\lambda_1|` exactly for :math:`\gamma \in [r_-, r_+]`. Since :math:`R < 1`
# means :math:`\|u_{\rm in}\| < r_+`, the choice :math:`\gamma = r_+` satisfies both conditions and
# gives the smallest admissible :math:`\|v_{\rm in}\| = \|u_{\rm in}\| / r_+`. Our problem needs it:
# :math:`\|F_2\| + \|F_0\| = 1.05` exceeds :math:`|\mathrm{Re}\,\lambda_1| = 1`.

gamma = info.r_plus
normalised = problem.rescaled(gamma)
norm_info = dissipation(normalised)
print(f"gamma = r+ = {gamma:.4f}: ||v_in|| = {norm_info.norm_u_in:.4f}, R = {norm_info.R:.3f}")
print(f"||F2|| + ||F0|| = {norm_info.norm_F2 + norm_info.norm_F0:.4f} <= |Re(lambda_1)| = 1")

######################################################################
# The Carleman matrix
# -------------------
#
# Carleman linearisation follows the tensor powers :math:`y_j = u^{\otimes j}`. Differentiating
# :math:`u^{\otimes j}` with the product rule and substituting the ODE gives
#
# .. math::
#
#     \frac{d y_j}{dt} = A^j_{j-1} y_{j-1} + A^j_j y_j + A^j_{j+1} y_{j+1},
#
# where each block is a sum of :math:`j` Kronecker products, e.g.
# :math:`A^j_j = \sum_{i=1}^{j} I^{\otimes (i-1)} \otimes F_1 \otimes I^{\otimes (j-i)}`, and the
# forcing couples level :math:`j` to level :math:`j-1` (with a constant term :math:`F_0` at level
# 1). The system is linear but infinite: level :math:`j` always needs level :math:`j+1`. Truncating
# at level :math:`N` (dropping :math:`A^N_{N+1} y_{N+1}`) leaves the linear ODE
# :math:`dy/dt = A y + b` of dimension :math:`\Delta = s + s^2 + \dots + s^N`.
#
# Before truncation the identity is exact, so we can check it: on the lifted vector
# :math:`[u; u^{\otimes 2}; \dots; u^{\otimes N}]` of any :math:`u`, the first block of
# :math:`A y + b` is the right-hand side of the ODE, and the second block is the derivative of
# :math:`u \otimes u`, :math:`f \otimes u + u \otimes f` with :math:`f = du/dt`.

N = 3
A = carleman_matrix(problem, N)
b = carleman_forcing(problem, N)
u = rng.normal(size=s)
dy = A @ lift(u, N) + b
f = problem.rhs(0.0, u)
print(f"Delta = {carleman_dimension(s, N)}, A has shape {A.shape} and {A.nnz} non-zeros")
print("level 1 is du/dt:", np.allclose(dy[:s], f))
print("level 2 is d(u x u)/dt:", np.allclose(dy[s : s + s * s], np.kron(f, u) + np.kron(u, f)))

fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.spy(A.toarray(), markersize=3, color="C0")
for edge in np.cumsum([s**j for j in range(1, N)]):
    ax.axhline(edge - 0.5, color="0.7", lw=0.8)
    ax.axvline(edge - 0.5, color="0.7", lw=0.8)
ax.set_title(f"Carleman matrix A, s = {s}, N = {N}")
plt.tight_layout()
plt.show()

######################################################################
# The lines separate the levels of sizes 3, 9 and 27. The matrix is block tridiagonal: the diagonal
# blocks hold copies of :math:`F_1`, the blocks above the diagonal hold :math:`F_2` (which raises
# the tensor degree by one) and those below hold :math:`F_0` (which lowers it).
#
# Truncation error against Lemma 1
# --------------------------------
#
# Let :math:`y(t)` be the exact solution of the truncated system, started from the lifted initial
# state. Lemma 1 of the PNAS paper states that, in the normalisation above,
#
# .. math::
#
#     \|u^{\otimes j}(t) - y_j(t)\| \le t\, N \|F_2\|\, \|u_{\rm in}\|^{N+1},
#     \qquad j = 1, \dots, N.
#
# From here on we work with the normalised problem (all errors are in units of :math:`v`). We
# compare :math:`y_1(T)`, computed by ``carleman_flow`` with a sparse matrix exponential, against a
# tight-tolerance ``scipy.integrate.solve_ivp`` solution of the nonlinear ODE (``integrate_ode``).

T = 1.0
exact = integrate_ode(normalised, T)
levels = np.arange(1, 8)
truncation = [np.linalg.norm(carleman_flow(normalised, n, T)[:s] - exact) for n in levels]
lemma1 = [truncation_error_bound(normalised, n, T) for n in levels]
for n, err, bound in zip(levels, truncation, lemma1, strict=True):
    print(f"N = {n}: |y_1(T) - v(T)| = {err:.2e}   Lemma 1: {bound:.2e}")

######################################################################
# The bound decays like :math:`\|v_{\rm in}\|^{N+1} \approx 0.53^{N+1}`; the measured error falls
# faster, by a factor of about 5 to 50 per level.
#
# Forward Euler against Lemma 2
# -----------------------------
#
# The quantum algorithm does not exponentiate :math:`A`. It discretises :math:`dy/dt = Ay + b` with
# :math:`m` forward-Euler steps of size :math:`h = T/m`, which become the rows of one sparse linear
# system. Lemma 2 bounds the Euler error for :math:`h \le 1/(N\|F_1\|)`:
#
# .. math::
#
#     \|y(T) - \hat y^m\| \le 3 N^{2.5}\, T h \left[(\|F_2\| + \|F_1\| + \|F_0\|)^2
#     + \|F_0'\|\right],
#
# with :math:`F_0' = 0` for our constant forcing. ``solve_euler`` performs the same recursion
# :math:`y_k = (I + hA) y_{k-1} + hb` as the linear system, by forward substitution, so we can
# compare it with the exact Carleman flow for a range of step sizes.

euler_levels = (2, 4)
steps_grid = np.array([10, 20, 40, 80, 160, 320, 640])
euler_errors, euler_bounds = {}, {}
for n in euler_levels:
    flow = carleman_flow(normalised, n, T)[:s]
    euler_errors[n] = [
        np.linalg.norm(solve_euler(normalised, n, T, m, idle=0).u_final - flow) for m in steps_grid
    ]
    euler_bounds[n] = [euler_error_bound(normalised, n, T, T / m) for m in steps_grid]
    h_max = max_step_size(normalised, n)
    print(f"N = {n}: largest step allowed by Lemma 2, 1/(N ||F1||) = {h_max:.3f}")

h_grid = T / steps_grid
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
ax1.semilogy(levels, truncation, "o-", label="measured $|y_1(T) - v(T)|$")
ax1.semilogy(levels, lemma1, "s--", label="Lemma 1 bound")
ax1.set_xlabel("truncation level $N$")
ax1.set_ylabel("error at $T = 1$")
ax1.set_title(f"Carleman truncation ($R = {info.R:.2f}$)")
ax1.legend()
for colour, marker, n in zip(("C0", "C1"), ("o", "x"), euler_levels, strict=True):
    ax2.loglog(h_grid, euler_errors[n], marker + "-", color=colour, label=f"measured, $N = {n}$")
    ax2.loglog(h_grid, euler_bounds[n], "--", color=colour, label=f"Lemma 2, $N = {n}$")
ax2.set_xlabel("Euler step $h$")
ax2.set_ylabel(r"$|\hat y^m_1 - y_1(T)|$")
ax2.set_title("Forward-Euler error")
ax2.legend(fontsize=8)
plt.tight_layout()
plt.show()

######################################################################
# Both errors behave as the lemmas predict: the truncation error decays geometrically in :math:`N`,
# the Euler error is first order in :math:`h`. The two measured Euler curves lie on top of each
# other: the error of the level-1 block hardly depends on :math:`N`, whereas the bound grows like
# :math:`N^{2.5}`. The bounds are upper bounds and far from tight: Lemma 2 overestimates the Euler
# error by three to four orders of magnitude here, because it is written in terms of norms of
# :math:`F_0, F_1, F_2` and a worst-case growth with :math:`N`. The quantum algorithm sizes
# :math:`h`, and with it the number of time steps that drives the condition number and the cost,
# from such bounds; measuring the actual error on the problem at hand, as done here, can save orders
# of magnitude in time steps.
#
# The total error of the pipeline is the sum of the two:

for n in (1, 2, 4, 6):
    m = 400
    total = np.linalg.norm(solve_euler(normalised, n, T, m, idle=0).u_final - exact)
    print(f"N = {n}, m = {m}: |Euler-Carleman - v(T)| = {total:.2e}")

######################################################################
# At :math:`m = 400` the Euler error (about :math:`3 \times 10^{-4}`) dominates from :math:`N = 3`
# on: more levels no longer help unless the step shrinks as well.
#
# Crossing R = 1
# --------------
#
# What goes wrong when :math:`R > 1`? The logistic equation
#
# .. math::
#
#     \frac{du}{dt} = -a u - b u^2, \qquad u(0) = u_0 > 0,
#
# makes the answer visible. Its solution
# :math:`u(t) = a u_0 e^{-at} / (a + b u_0 (1 - e^{-at}))` decays to zero for every :math:`b > 0`:
# nothing about the dynamics changes at any particular value of :math:`b`. Here
# :math:`R = b u_0 / a`.
#
# The Carleman system of a scalar unforced equation has a simple interpretation: the truncated
# solution :math:`y_1(t)` is the Taylor polynomial of order :math:`N` of :math:`u(t)` in the initial
# value :math:`u_0` (level :math:`j` carries the terms of degree :math:`j` and higher, and
# truncation only removes terms of degree above :math:`N`). Expanding the closed form,
#
# .. math::
#
#     u(t) = u_0 e^{-at} \sum_{k \ge 0} \left( -\frac{b u_0}{a} (1 - e^{-at}) \right)^k,
#
# so the Carleman error is the tail of a geometric series of ratio :math:`R (1 - e^{-at})`. It
# converges for all times exactly when :math:`R < 1`; for :math:`R > 1` it diverges once
# :math:`e^{-at} < 1 - 1/R`, because the solution, seen as a function of a complex initial value,
# has a pole inside the disc of radius :math:`|u_0|`. We first check the identity on the library's
# output.

a, u0, T_long = 1.0, 0.5, 4.0
b_check = 2.4  # R = 1.2
logistic = logistic_problem(decay=a, quadratic=b_check, u_in=u0)
ratio = -b_check * u0 * (1 - np.exp(-a * T_long)) / a
for n in (1, 2, 4, 8):
    taylor = u0 * np.exp(-a * T_long) * sum(ratio**k for k in range(n))
    print(f"N = {n}: y_1(T) = {carleman_flow(logistic, n, T_long)[0]:+.12f}, Taylor {taylor:+.12f}")

######################################################################
# The truncated Carleman solution and the partial sums agree to machine precision.
#
# For the sweep we need Lemma 1 in the units of :math:`u`. ``lemma_bounds`` does exactly this: it
# evaluates each lemma on the problem rescaled by an admissible :math:`\gamma` (for Lemma 1 the best
# one, :math:`\gamma \to r_+`; with no forcing :math:`r_- = 0` and :math:`r_+ = a/b`) and multiplies
# by :math:`\gamma` to return to :math:`u`. It returns ``None`` for :math:`R \ge 1`. The
# closed-form solution ``logistic_solution`` serves as the reference (it agrees with
# ``integrate_ode`` to about :math:`10^{-15}` and has no tolerance floor).


def lemma1_bound(ode, level, t):
    """Lemma 1 in the units of ``ode`` (NaN where R >= 1 and the lemma does not apply)."""
    bounds = lemma_bounds(ode, level, t, t / 100)
    return np.nan if bounds is None else bounds.truncation


print(
    "closed form - integrate_ode:",
    logistic_solution(T_long, a, b_check, u0) - integrate_ode(logistic, T_long)[0],
)

######################################################################
# Now the sweep: we vary :math:`b` so that :math:`R` runs from 0.1 to 2 at :math:`u_0 = 0.5` and
# :math:`T = 4`, and measure the truncation error for several levels.

R_grid = np.linspace(0.1, 2.0, 39)
sweep_levels = (2, 4, 8, 16)
sweep = {n: [] for n in sweep_levels}
sweep_bound = {n: [] for n in sweep_levels}
for R in R_grid:
    b_R = R * a / u0
    ode = logistic_problem(decay=a, quadratic=b_R, u_in=u0)
    reference = logistic_solution(T_long, a, b_R, u0)
    for n in sweep_levels:
        sweep[n].append(abs(carleman_flow(ode, n, T_long)[0] - reference))
        sweep_bound[n].append(lemma1_bound(ode, n, T_long) if R < 1 else np.nan)

R_values = (0.5, 0.9, 1.1, 1.5)
by_level = np.arange(1, 21)
curves = {}
for R in R_values:
    b_R = R * a / u0
    ode = logistic_problem(decay=a, quadratic=b_R, u_in=u0)
    reference = logistic_solution(T_long, a, b_R, u0)
    curves[R] = [abs(carleman_flow(ode, n, T_long)[0] - reference) for n in by_level]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
provable = R_grid < 1
for colour, n in zip(("C0", "C1", "C2", "C3"), sweep_levels, strict=True):
    ax1.semilogy(R_grid, sweep[n], "-", color=colour, label=f"measured, $N = {n}$")
    ax1.semilogy(R_grid[provable], np.array(sweep_bound[n])[provable], ":", color=colour)
ax1.plot([], [], "k:", label="Lemma 1")
ax1.axvspan(1.0, R_grid[-1], color="0.9")
ax1.axvline(1 / (1 - np.exp(-a * T_long)), color="k", lw=0.8, ls="--")
ax1.set_xlabel("dissipation ratio $R$")
ax1.set_ylabel("truncation error at $T = 4$")
ax1.set_title("Logistic equation: error against $R$")
ax1.legend(fontsize=8)
for R in R_values:
    ax2.semilogy(by_level, curves[R], "o-", ms=3, label=f"$R = {R}$")
ax2.set_xlabel("truncation level $N$")
ax2.set_ylabel("truncation error at $T = 4$")
ax2.set_title("Logistic equation: error against $N$")
ax2.legend()
plt.tight_layout()
plt.show()

######################################################################
# On the left, the grey region is :math:`R > 1`, where Lemma 1 (dotted) no longer applies, and the
# dashed line marks :math:`R = 1/(1 - e^{-aT})`, where the series ratio reaches 1 at :math:`T = 4`.
# Below :math:`R = 1` more levels always help and the bound holds; beyond the dashed line the order
# of the curves flips and :math:`N = 16` is the *worst* choice. The right panel shows the same
# crossover as a function of :math:`N`: geometric decay for :math:`R = 0.5`, slow decay for
# :math:`R = 0.9`, and growth for :math:`R = 1.1` and :math:`1.5`, even though the true solution
# decays quietly in all four cases. For :math:`R > 1` a finite horizon still converges, but only up
# to a time that shrinks as :math:`R` grows; :math:`R < 1` is what makes the convergence uniform in
# time.
#
# The dotted lines are Lemma 1 in its normalisation. Its formula is not scale invariant, and applied
# to the problem in its original units, where :math:`\|F_2\| = b` exceeds
# :math:`|\mathrm{Re}\,\lambda_1| = a` as soon as :math:`R > 1/2`, it is no bound at all close to
# :math:`R = 1`, even though :math:`R < 1` and :math:`\|u_{\rm in}\| = 0.5 < 1`:

b_close = 0.95 * a / u0
ode = logistic_problem(decay=a, quadratic=b_close, u_in=u0)
measured = abs(carleman_flow(ode, 16, T_long)[0] - logistic_solution(T_long, a, b_close, u0))
print(f"R = 0.95, N = 16: measured {measured:.2e}")
print(f"  lemma_bounds (gamma -> r+):   {lemma1_bound(ode, 16, T_long):.2e}")
print(f"  same formula, original units: {truncation_error_bound(ode, 16, T_long):.2e}")

######################################################################
# Always rescale before reading a bound off the lemmas.
#
# Outside the proven regime: Burgers' equation
# --------------------------------------------
#
# :math:`R < 1` is sufficient, not necessary. The PNAS paper illustrates the method on a forced
# viscous Burgers equation, discretised with central differences; ``burgers_problem`` builds it in
# that set-up. We use 8 interior grid points at Reynolds number 20 and, as the ``qsgd carleman``
# command does, rescale the state into the unit ball first (for :math:`R > 1` there is no
# normalisation in which the lemmas hold, so any scale will do).

burgers, gamma = rescale_to_unit_ball(burgers_problem(points=8, reynolds=20.0), target_norm=0.5)
burgers_info = dissipation(burgers)
print(f"Burgers, s = {burgers.size}: R = {burgers_info.R:.1f}, gamma = {gamma:.2f}")
T_burgers = 1.0
burgers_exact = integrate_ode(burgers, T_burgers)
for n in range(1, 5):
    err = np.linalg.norm(carleman_flow(burgers, n, T_burgers)[: burgers.size] - burgers_exact)
    print(f"N = {n} (Delta = {carleman_dimension(burgers.size, n)}): error = {err:.2e}")

######################################################################
# With :math:`R \approx 19` none of the lemmas apply, yet the truncation error still falls with
# the level over this horizon, if slowly. :math:`R` combines worst-case norms, and the nonlinear
# dynamics of this problem are much milder than :math:`\|F_2\|` suggests. The price of leaving the
# proven regime is the loss of a guarantee, not necessarily of accuracy, and the only way to know is
# to measure, which is what ``qsgd carleman`` and the functions above do for any problem.
#
# Conclusion
# ----------
#
# Carleman linearisation replaces a quadratic ODE in :math:`s` variables by a linear ODE of
# dimension :math:`\Delta = O(s^N)`, at a truncation error that decays geometrically in :math:`N`
# when the dissipation ratio :math:`R` is below 1, and forward Euler adds an error linear in the
# step. Both bounds of the PNAS paper hold on our examples once the state is rescaled into the
# normalisation of their proofs, with the Euler bound very loose. For :math:`R > 1` a decaying
# solution is no protection: the truncation error can grow with the level. For the quantum training
# algorithm of Liu et al. [#liu2024]_ this is the dissipation condition on the early training steps
# after pruning; ``pennylane_qsgd`` reports :math:`R` for each training window for that reason.
# Feeding the Euler–Carleman linear system to a quantum linear solver is the next step, shown in the
# QSVT linear-solver demo.
#
# References
# ----------
#
# .. [#liu2021]
#
#     Jin-Peng Liu, Herman Øie Kolden, Hari K. Krovi, Nuno F. Loureiro, Konstantina Trivisa, and
#     Andrew M. Childs, "Efficient quantum algorithm for dissipative nonlinear differential
#     equations", `PNAS 118, e2026805118 <https://doi.org/10.1073/pnas.2026805118>`__ (2021),
#     `arXiv:2011.03185 <https://arxiv.org/abs/2011.03185>`__.
#
# .. [#liu2024]
#
#     Junyu Liu, Minzhao Liu, Jin-Peng Liu, Ziyu Ye, Yunfei Wang, Yuri Alexeev, Jens Eisert, and
#     Liang Jiang, "Towards provably efficient quantum algorithms for large-scale machine-learning
#     models", `Nature Communications 15, 434 <https://doi.org/10.1038/s41467-023-43957-x>`__
#     (2024), `arXiv:2303.03428 <https://arxiv.org/abs/2303.03428>`__.
