"""Exact spectra, Lanczos and stochastic Lanczos quadrature against dense references."""

import json

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.func import functional_call

from pennylane_qsgd.diagnostics.spectra import (
    SpectralDensity,
    exact_spectrum,
    gauss_quadrature,
    hessian_spectrum,
    lanczos,
    slq_density,
)
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support


def random_symmetric(n, seed, outliers=()):
    """Symmetric matrix with a semicircle-like bulk in about [-1, 2.5] and given outliers."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eig = rng.uniform(-1.0, 2.5, size=n)
    eig[: len(outliers)] = outliers
    return (q * eig) @ q.T, np.sort(eig)


def tridiag(alpha, beta):
    return np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)


# ------------------------------------------------------------------------------- exact


def test_exact_spectrum_inputs_agree():
    a, eig = random_symmetric(30, 0)
    ref = sla.eigvalsh(a)
    assert np.allclose(ref, eig)
    assert np.allclose(exact_spectrum(a), ref)
    assert np.allclose(exact_spectrum(lambda v: a @ v, 30), ref)
    assert np.allclose(exact_spectrum(sp.csr_array(a)), ref)
    assert np.allclose(exact_spectrum(torch.as_tensor(a)), ref)


def test_exact_spectrum_refusals():
    with pytest.raises(ValueError, match="too large"):
        exact_spectrum(lambda v: v, 5000)
    with pytest.raises(ValueError, match="too large"):
        exact_spectrum(np.eye(10), max_dim=5)
    with pytest.raises(ValueError, match="dim"):
        exact_spectrum(lambda v: v)
    with pytest.raises(ValueError, match="not symmetric"):
        exact_spectrum(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        exact_spectrum(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        exact_spectrum(lambda v: v[:-1], 4)


# ------------------------------------------------------------------------------- Lanczos


def test_lanczos_diagonal_full_krylov_recovers_diagonal():
    d = np.array([-2.0, -0.5, 0.1, 1.0, 3.0, 7.0])
    alpha, beta = lanczos(lambda v: d * v, 6, 6, v0=np.ones(6))
    assert alpha.shape == (6,) and beta.shape == (5,)
    assert np.all(beta > 0)
    assert np.allclose(sla.eigvalsh(tridiag(alpha, beta)), d)


def test_lanczos_stops_on_invariant_subspace():
    # v0 spans only 2 eigenvectors of the diagonal matrix: the Krylov space has dimension 2
    d = np.arange(1.0, 9.0)
    v0 = np.zeros(8)
    v0[[1, 5]] = 1.0
    alpha, beta = lanczos(lambda v: d * v, 8, 8, v0=v0)
    assert alpha.size == 2
    assert np.allclose(sla.eigvalsh(tridiag(alpha, beta)), [2.0, 6.0])


def test_lanczos_is_a_projection():
    # T = V^T A V: rebuild V by running the three-term recurrence on the output
    a, _ = random_symmetric(40, 1)
    v0 = np.random.default_rng(2).normal(size=40)
    alpha, beta = lanczos(lambda v: a @ v, 40, 12, v0=v0)
    v = [v0 / np.linalg.norm(v0)]
    w = a @ v[0] - alpha[0] * v[0]
    for j in range(11):
        v.append(w / beta[j])
        w = a @ v[-1] - alpha[j + 1] * v[-1] - beta[j] * v[-2]
    basis = np.array(v).T
    assert np.allclose(basis.T @ basis, np.eye(12), atol=1e-8)
    assert np.allclose(basis.T @ a @ basis, tridiag(alpha, beta), atol=1e-8)


def test_lanczos_extreme_ritz_values_converge():
    d = np.concatenate([np.linspace(-1.0, 2.5, 500), [4.0, 6.0]])
    alpha, beta = lanczos(lambda v: d * v, d.size, 40, seed=3)
    theta = sla.eigvalsh(tridiag(alpha, beta))
    assert abs(theta[-1] - 6.0) < 1e-8 and abs(theta[-2] - 4.0) < 1e-6
    assert abs(theta[0] + 1.0) < 1e-2
    assert theta[0] >= -1.0 - 1e-12 and theta[-1] <= 6.0 + 1e-12  # Ritz values interlace


def test_lanczos_float32_basis_matches():
    a, _ = random_symmetric(60, 4)
    ref = lanczos(lambda v: a @ v, 60, 20, seed=1)
    low = lanczos(lambda v: a @ v, 60, 20, seed=1, basis_dtype=np.float32)
    assert np.allclose(ref[0], low[0], atol=1e-5) and np.allclose(ref[1], low[1], atol=1e-5)


def test_lanczos_bad_input():
    with pytest.raises(ValueError, match="v0"):
        lanczos(lambda v: v, 3, 2, v0=np.zeros(3))
    with pytest.raises(ValueError, match="v0"):
        lanczos(lambda v: v, 3, 2, v0=np.ones(4))
    with pytest.raises(ValueError, match="steps"):
        lanczos(lambda v: v, 3, 0)


# ------------------------------------------------------------------------------- SLQ


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 40), m=st.integers(1, 6))
def test_gauss_quadrature_is_exact_to_degree_2m_minus_1(seed, n, m):
    a, _ = random_symmetric(n, seed)
    v = np.random.default_rng(seed + 1).normal(size=n)
    alpha, beta = lanczos(lambda x: a @ x, n, m, v0=v)
    nodes, weights = gauss_quadrature(alpha, beta)
    assert np.isclose(weights.sum(), 1.0)
    u = v / np.linalg.norm(v)
    for j in range(2 * alpha.size):
        ref = u @ np.linalg.matrix_power(a, j) @ u
        assert np.isclose(np.sum(weights * nodes**j), ref, rtol=1e-7, atol=1e-7 * 3.0**j)


def test_slq_moments_within_hutchinson_error():
    n, probes = 300, 64
    a, _ = random_symmetric(n, 7, outliers=(5.0, 4.0))
    dens = slq_density(lambda v: a @ v, n, steps=20, probes=probes, seed=11)
    moments = dens.moments(6)
    assert np.isclose(moments[0], 1.0)
    for j in range(1, 7):
        mj = np.linalg.matrix_power(a, j)
        exact = np.trace(mj) / n
        # Rademacher Hutchinson: Var(v^T M v) = 2 sum_{i != k} M_ik^2
        sd = np.sqrt(2.0 * (np.sum(mj**2) - np.sum(np.diag(mj) ** 2)) / probes) / n
        assert abs(moments[j] - exact) < 5 * sd + 1e-9


def test_slq_extremes_and_density():
    n = 400
    a, eig = random_symmetric(n, 8, outliers=(6.0, -1.5))
    dens = slq_density(lambda v: a @ v, n, steps=40, probes=4, seed=0)
    lo, hi = dens.extremes
    assert abs(hi - eig[-1]) < 1e-6 and abs(lo - eig[0]) < 1e-4
    assert dens.nodes.size == 160 and dens.probe_sizes == (40,) * 4
    grid = np.linspace(-4.0, 9.0, 4001)
    rho = dens.density(grid, 0.1)
    assert np.isclose(np.trapezoid(rho, grid), 1.0, atol=1e-6)
    # mass of the broadened density below 0 estimates the fraction of negative eigenvalues
    neg = np.trapezoid(rho[grid < 0], grid[grid < 0])
    assert abs(neg - np.mean(eig < 0)) < 0.05


def test_slq_full_krylov_nodes_are_eigenvalues():
    a, eig = random_symmetric(12, 9)
    dens = slq_density(lambda v: a @ v, 12, steps=50, probes=3, seed=2)
    assert dens.probe_sizes == (12, 12, 12)
    assert np.allclose(np.sort(dens.nodes[:12]), eig, atol=1e-8)


def test_spectral_density_from_eigenvalues_and_json():
    eig = np.array([3.0, -1.0, 0.5, 2.0])
    dens = SpectralDensity.from_eigenvalues(eig)
    assert dens.is_exact and np.array_equal(dens.eigenvalues, np.sort(eig))
    assert np.allclose(dens.moments(3), [np.mean(eig**j) for j in range(4)])
    assert dens.extremes == (-1.0, 3.0)
    back = SpectralDensity.from_dict(json.loads(json.dumps(dens.to_dict())))
    assert np.array_equal(back.nodes, dens.nodes) and back.method == "exact"
    with pytest.raises(ValueError, match="sigma"):
        dens.density(np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="shape"):
        SpectralDensity(np.zeros(3), np.zeros(2), 3)
    with pytest.raises(ValueError, match="Ritz"):
        _ = slq_density(lambda v: v, 4, steps=2, probes=1).eigenvalues


# ------------------------------------------------------------------------------- torch models


def _pruned_mlp(seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(6, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 3),
    ).double()
    global_l1_prune(net, amount=0.5)
    x = torch.randn(20, 6, dtype=torch.float64)
    y = torch.randint(3, (20,))
    return net, (x, y)


def _reference_hessian(net, batch, support):
    """Full Hessian w.r.t. every pruned weight_orig by torch.autograd.functional, then restricted."""
    params = dict(net.named_parameters())
    names = list(support.parameter_names)
    shapes = [params[n].shape for n in names]
    sizes = [params[n].numel() for n in names]
    flat0 = torch.cat([params[n].detach().reshape(-1) for n in names])

    def loss(flat):
        tensors = dict(params)
        for name, chunk, shape in zip(names, flat.split(sizes), shapes, strict=True):
            tensors[name] = chunk.reshape(shape)
        return torch.nn.functional.cross_entropy(functional_call(net, tensors, batch[0]), batch[1])

    full = torch.autograd.functional.hessian(loss, flat0).numpy()
    offsets = np.cumsum([0] + sizes[:-1])
    keep = np.concatenate(
        [off + idx.numpy() for off, (_, idx) in zip(offsets, support.entries, strict=True)]
    )
    return full[np.ix_(keep, keep)]


def test_hessian_spectrum_exact_on_pruned_model():
    net, batch = _pruned_mlp()
    support = Support.from_masks(net)
    ref = sla.eigvalsh(_reference_hessian(net, batch, support))
    dens = hessian_spectrum(net, torch.nn.functional.cross_entropy, batch, method="exact")
    assert dens.dim == support.size == 24 + 32  # half of the two hidden layers' weights
    assert np.allclose(dens.eigenvalues, ref, atol=1e-10)


def test_hessian_spectrum_slq_on_small_model():
    net, batch = _pruned_mlp(1)
    support = Support.from_masks(net)
    h = _reference_hessian(net, batch, support)
    eig = sla.eigvalsh(h)
    dens = hessian_spectrum(
        net, torch.nn.functional.cross_entropy, batch, method="slq", steps=14, probes=10, seed=4
    )
    lo, hi = dens.extremes
    assert abs(hi - eig[-1]) < 1e-8 and abs(lo - eig[0]) < 1e-8
    n = support.size
    for j in range(1, 5):
        mj = np.linalg.matrix_power(h, j)
        sd = np.sqrt(2.0 * (np.sum(mj**2) - np.sum(np.diag(mj) ** 2)) / 10) / n
        assert abs(dens.moments(j)[j] - np.trace(mj) / n) < 5 * sd + 1e-12


def test_hessian_spectrum_unpruned_uses_all_weights():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2).double()
    x, y = torch.randn(10, 3, dtype=torch.float64), torch.randn(10, 2, dtype=torch.float64)
    dens = hessian_spectrum(net, torch.nn.functional.mse_loss, (x, y))
    # MSE of a linear map: H = (2/(N m)) (I_m kron [x 1]^T [x 1]) over weight and bias
    xa = torch.cat([x, torch.ones(10, 1, dtype=torch.float64)], 1).numpy()
    g = 2.0 / (10 * 2) * xa.T @ xa
    assert dens.dim == 8
    assert np.allclose(dens.eigenvalues, np.sort(np.repeat(sla.eigvalsh(g), 2)), atol=1e-10)
    with pytest.raises(ValueError, match="method"):
        hessian_spectrum(net, torch.nn.functional.mse_loss, (x, y), method="power")
    with pytest.raises(ValueError, match="too large"):
        hessian_spectrum(net, torch.nn.functional.mse_loss, (x, y), max_exact_dim=4)
