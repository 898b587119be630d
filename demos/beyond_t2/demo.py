r"""Beyond the T² wall: linear combination of Hamiltonian simulation for training windows
=====================================================================================

The quantum training window of Liu et al. [#liu2024]_ solves the gradient flow of the unpruned
weights by Carleman linearisation, forward Euler and a quantum linear solver [#liu2021]_. Forward
Euler is what makes it cost :math:`T^2`: the step must shrink like :math:`\varepsilon/T`, so the
number of steps, the condition number of the Euler system and the solver's cost all grow like
:math:`T^2/\varepsilon`.

A dissipative linear ODE :math:`du/dt = Au + b` (Hermitian part of :math:`A` negative
semidefinite) does not need a time grid at all. Linear combination of Hamiltonian simulation
(LCHS) [#all2023]_ [#acl2023]_ writes the propagator as an integral of unitaries,

.. math::

    e^{At} = \int_{\mathbb R} f(k)\, e^{-it(kL_A + H_A)}\, dk, \qquad
    -A = L_A + iH_A,\ L_A \succeq 0,

so a quadrature over :math:`k` turns it into an LCU of Hamiltonian simulations, whose cost is
linear in :math:`t`. In this demo we

* compare both routes on the same small windows against the exact flow,
* count block-encoding queries of one window as :math:`T` grows from 10 to :math:`10^4`, with
  An–Childs–Lin's kernel and with Low and Somma's [#ls2025]_,
* run the ``LCHSEvolution`` circuit, and ``LCHSSolver`` with its forcing, on ``qsgd.sim``,
* train a model with ``QSGD(route="lchs")`` beside the Euler route,
* and classify a window that is only almost dissipative.
"""

import matplotlib.pyplot as plt
import numpy as np
import pennylane as qml
import scipy.linalg as sla
import torch

import pennylane_qsgd.device.kernels_lchs  # noqa: F401  (registers the native kernel)
from pennylane_qsgd.circuits.lchs import LCHSEvolution
from pennylane_qsgd.circuits.lchs_solver import LCHSSolver
from pennylane_qsgd.core import PolynomialODE, integrate_ode, solve_euler
from pennylane_qsgd.core.almost_dissipative import classify_window
from pennylane_qsgd.core.lchs import lchs_quadrature
from pennylane_qsgd.core.lchs_twins import lchs_solve
from pennylane_qsgd.diagnostics.lchs_resources import compare_routes, route_slopes
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions
from pennylane_qsgd.optim import QSGD

######################################################################
# The same window, two routes
# ---------------------------
#
# An order-1 window is a linear ODE: :math:`F_1 = -\eta H` with a positive definite Hessian
# :math:`H` on the support, and a constant forcing :math:`F_0`. We take a small random one and
# solve it to :math:`\varepsilon = 10^{-2}` both ways: forward Euler with the step of the paper's
# Lemma 2, :math:`h = \varepsilon/(3T(\|F_1\| + \|F_0\|)^2)` at level 1, and LCHS with the
# grid its own stated error bound picks.

rng = np.random.default_rng(7)
s = 4
Q, _ = np.linalg.qr(rng.standard_normal((s, s)))
F1 = -Q @ np.diag(rng.uniform(0.05, 0.5, s)) @ Q.T
F0 = 0.05 * rng.standard_normal(s)
u_in = rng.standard_normal(s)
problem = PolynomialODE(F0, F1, np.zeros((s, s * s)), u_in)

eps = 1e-2
norms = (np.linalg.norm(F1, 2) + np.linalg.norm(F0)) ** 2
for T in (1.0, 4.0, 16.0, 64.0):
    exact = integrate_ode(problem, T)
    steps = int(np.ceil(T / (eps / (3 * T * norms))))
    euler = solve_euler(problem, 1, T, steps, 0).u_final
    sol = lchs_solve(F1, u_in, T, eps, b=F0)
    print(
        f"T = {T:3.0f}: Euler {steps:7d} steps, error {np.linalg.norm(euler - exact):.1e}; "
        f"LCHS {sol.quadrature.num_nodes:4d} nodes, error {np.linalg.norm(sol.u - exact):.1e} "
        f"(stated bound {sol.error_bound:.1e})"
    )

######################################################################
# Euler's step count grows like :math:`T^2`, and each step is a block of the linear system whose
# condition number grows with it. The LCHS grid grows linearly in :math:`T`: its step in
# :math:`k` must resolve :math:`e^{-itkL_A}`, and its cutoff depends only on
# :math:`\varepsilon`.

######################################################################
# Queries of one window as T grows
# --------------------------------
#
# With the resource model of the paper's ResNet-32 window (the same assumptions and the same
# :math:`\varepsilon` for both routes), ``compare_routes`` counts block-encoding calls and
# T gates of the Euler + QSVT route and of the LCHS route.

routes = compare_routes(WindowAssumptions(params=7_450_000), steps=(10, 100, 1000, 10_000))
slopes = route_slopes(routes)
print(
    f"slopes: Euler {slopes.euler_calls:.2f}, LCHS {slopes.lchs_calls:.2f}, "
    f"LCHS with the Low-Somma kernel {slopes.ls_calls:.2f}"
)

fig, ax = plt.subplots(figsize=(6, 4))
Ts = [r.T for r in routes]
ax.loglog(Ts, [r.euler_calls for r in routes], "-o", label="Euler + QSVT inversion")
ax.loglog(Ts, [r.lchs_calls for r in routes], "-s", label="LCHS (An-Childs-Lin kernel)")
ax.loglog(Ts, [r.ls_calls for r in routes], "-^", label="LCHS (Low-Somma kernel)")
ax.set_xlabel("window length T (SGD steps)")
ax.set_ylabel("block-encoding calls")
ax.legend()
ax.grid(True, which="both", alpha=0.3)
plt.show()

######################################################################
# The circuit
# -----------
#
# ``LCHSEvolution`` prepares the quadrature weights on a node register, runs *one* Hamiltonian
# simulation of the block-diagonal :math:`\sum_j |j\rangle\langle j| \otimes (k_jL_A + H_A)` (all
# nodes at once, the select of the LCU) and unprepares. On a two-dimensional generator the
# success block, rescaled by the LCU's normalisation, is :math:`e^{At}`:

A = np.array([[-0.5, 0.3], [-0.3, -0.2]])
t = 0.5
wires = [*range(LCHSEvolution.node_qubits(A, t, eps=5e-2)), "l", "r", "a", "s"]
dev = qml.device("qsgd.sim", wires=wires)


@qml.qnode(dev)
def evolve(column):
    qml.BasisState(np.array([column]), wires=["s"])
    LCHSEvolution(A, t, wires=wires, eps=5e-2)
    return qml.state()


op = LCHSEvolution(A, t, wires=wires, eps=5e-2)
block = np.column_stack([evolve(c)[:2] for c in (0, 1)]) / op.block_scale
print(f"{len(wires)} qubits, {op.layout.quadrature.num_nodes} nodes")
print(f"||block - expm(At)|| = {np.linalg.norm(block - sla.expm(A * t), 2):.1e}")

######################################################################
# With the forcing: ``LCHSSolver`` prepares :math:`u(T)` of :math:`du/dt = Au + b`. Duhamel's
# integral becomes more branches of the same LCU: the homogeneous one and one per Gauss node
# :math:`s_r`, each evolved for :math:`T - s_r` by the same single Hamiltonian simulation (the
# times are folded into the select Hamiltonian).

b, u0 = np.array([0.0, 0.4]), np.array([1.0, 0.0])
nr, nk = LCHSSolver.register_sizes(A, u0, b, t, eps=5e-2, order=2)
forced = LCHSSolver(A, u0, b, t, wires=range(nr + nk + 4), eps=5e-2, order=2)


@qml.qnode(qml.device("qsgd.sim", wires=forced.wires))
def solve():
    qml.apply(forced)
    return qml.state()


exact = sla.expm(A * t) @ u0 + np.linalg.solve(A, (sla.expm(A * t) - np.eye(2)) @ b)
got = solve()[:2] / forced.block_scale
print(f"{len(forced.wires)} qubits: ||u - u(T)|| = {np.linalg.norm(got - exact):.1e}")

######################################################################
# Training windows by LCHS
# ------------------------
#
# ``QSGD(route="lchs")`` solves each window's Carleman system :math:`dy/dt = Ay + b` by LCHS
# instead of Euler and a linear solver: the exact flow at ``fidelity="ideal"``, the quadrature's
# classical twin at ``"native"``. It checks the log-norm of the rescaled generator per window; a
# small positive one is paid by the shift :math:`A - cI` (success probability times
# :math:`e^{-2cT}`), a large one sends the window back to the Euler route with a warning. On a
# least-squares model the window's flow is linear, so both routes can be checked against the
# closed form. The Euler route with ``euler_steps=window`` lands on SGD's steps; LCHS follows the
# continuous flow, with no grid at all.

torch.manual_seed(0)
x, y = torch.randn(32, 3), torch.randn(32, 1)
start = torch.nn.Linear(3, 1).state_dict()


def one_window(route: str, **options) -> None:
    model = torch.nn.Linear(3, 1)
    model.load_state_dict(start)
    opt = QSGD(model.parameters(), lr=0.1, window=10, fidelity="native", route=route, **options)

    def closure():
        opt.zero_grad()
        return torch.nn.functional.mse_loss(model(x), y)

    opt.step(closure)
    r = opt.reports[-1]
    print(
        f"{route:5s}: loss {closure().item():.4f}, |u - flow| {r.taylor_model_error:.1e}, "
        f"{r.polynomial_degree} block-encoding calls per run, success probability "
        f"{r.success_probability:.3f}, log-norm {r.lchs_log_norm}, shift {r.lchs_shift:.2g}"
    )


one_window("euler", euler_steps=10)
one_window("lchs")

######################################################################
# Windows that are only almost dissipative
# ----------------------------------------
#
# After pruning, a fraction of the Hessian's eigenvalues is negative, so
# :math:`\mathrm{Re}\,\lambda_1(F_1) > 0` and the paper's ratio :math:`R` is infinite. The shift
# :math:`u = e^{ct}v` makes the linear part dissipative at the price :math:`e^{cT}` on the success
# amplitude; ``classify_window`` finds the smallest such :math:`c` and reports the price.

lam, V = np.linalg.eigh(F1)
F1_bad = F1 + (0.03 - lam[-1]) * np.outer(V[:, -1], V[:, -1])  # one mode grows: Re l1 = 0.03
window = PolynomialODE(F0, F1_bad, np.zeros((s, s * s)), u_in)
for T in (5.0, 20.0):
    print(f"T = {T:4.0f}: " + classify_window(window, T).summary())

######################################################################
# The grid for the windows above, for reference: its size grows linearly in :math:`t`.

for t in (10.0, 100.0, 1000.0):
    print(f"t = {t:6.0f}: {lchs_quadrature(t, 0.5, 1e-6).num_nodes} nodes")

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
# .. [#all2023] D. An, J.-P. Liu, L. Lin, "Linear combination of Hamiltonian simulation for
#    nonunitary dynamics with optimal state preparation cost", PRL 131, 150603 (2023).
#
# .. [#acl2023] D. An, A. M. Childs, L. Lin, "Quantum algorithm for linear non-unitary dynamics
#    with near-optimal dependence on all parameters", arXiv:2312.03916 (2023).
#
# .. [#ls2025] G. H. Low, R. D. Somma, "Optimal quantum simulation of linear non-unitary
#    dynamics", arXiv:2508.19238 (2025).
