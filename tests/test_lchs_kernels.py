"""LCHS kernels: Low–Somma's closed-form error and tail against numerical integrals, and both
kernels' grids against the matrix exponential."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
from _problems import dissipative_generator
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from pennylane_qsgd.core.lchs import lchs_quadrature
from pennylane_qsgd.core.lchs_cost import lchs_cost
from pennylane_qsgd.core.lchs_kernels import ACLKernel, low_somma_kernel, make_kernel
from pennylane_qsgd.core.lchs_twins import lchs_propagator


def _transform(kernel, x: float) -> complex:
    """:math:`\\int g(k) e^{-ikx} dk` by scipy's oscillatory quadrature (independent of the rule)."""
    re = quad(lambda k: (kernel(k) * np.exp(-1j * k * x)).real, -np.inf, np.inf, limit=500)[0]
    im = quad(lambda k: (kernel(k) * np.exp(-1j * k * x)).imag, -np.inf, np.inf, limit=500)[0]
    return re + 1j * im


@pytest.mark.parametrize("eps, c", [(1e-3, 0.5), (1e-5, 1.0), (1e-4, 2.0)])
def test_low_somma_error_is_its_stated_bound_and_nearly_tight(eps, c):
    kernel = low_somma_kernel(eps, c)
    assert kernel.approximation_error == pytest.approx(eps, rel=1e-6)
    xs = np.linspace(0.0, 6.0, 13)
    errs = [abs(_transform(kernel, x) - np.exp(-x)) for x in xs]
    assert max(errs) <= kernel.approximation_error * (1 + 1e-6)
    assert max(errs) >= 0.01 * kernel.approximation_error  # the bound is not vacuous


def test_acl_kernel_is_exact():
    kernel = ACLKernel(0.75)
    for x in (0.0, 0.7, 3.0):
        assert abs(_transform(kernel, x) - np.exp(-x)) < 1e-7


@pytest.mark.parametrize("name", ["acl", "low-somma"])
def test_tail_bounds_hold(name):
    kernel = make_kernel(name, 1e-6)
    for K in (5.0, 20.0, 60.0):
        tail = 2 * quad(lambda k: abs(kernel(k)), K, np.inf, limit=500)[0]
        assert tail <= kernel.tail_bound(K) * (1 + 1e-9)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    dim=st.integers(1, 4),
    t=st.floats(0.05, 5.0),
    eps=st.sampled_from([1e-3, 1e-6, 1e-9]),
)
def test_low_somma_grid_matches_expm_on_non_normal_generators(seed, dim, t, eps):
    A = dissipative_generator(seed, dim, complex_=True)
    norm_L = float(np.linalg.eigvalsh(-(A + A.conj().T) / 2)[-1])
    grid = lchs_quadrature(t, norm_L, eps, kernel="low-somma")
    assert grid.error_bound <= eps and grid.kernel_error > 0
    err = np.linalg.norm(lchs_propagator(A, grid) - sla.expm(A * t), 2)
    assert err <= grid.error_bound


def test_low_somma_cutoff_grows_like_one_logarithm():
    """K / log(1/eps) stays bounded for Low–Somma and grows for ACL (exponent 1/beta)."""
    ratios = {}
    for name in ("acl", "low-somma"):
        ks = [lchs_quadrature(1.0, 1.0, eps, kernel=name).cutoff for eps in (1e-4, 1e-12)]
        ratios[name] = (ks[1] / np.log(1e12)) / (ks[0] / np.log(1e4))
    assert ratios["low-somma"] < 1.3 < ratios["acl"]
    acl = lchs_cost(1000.0, 1e-6, 0.01, 0.0)
    ls = lchs_cost(1000.0, 1e-6, 0.01, 0.0, kernel="low-somma")
    assert ls.queries < acl.queries


def test_bad_kernel_is_named():
    with pytest.raises(ValueError, match="kernel must be one of"):
        lchs_quadrature(1.0, 1.0, 1e-3, kernel="gauss")
    with pytest.raises(ValueError, match="c must be"):
        low_somma_kernel(1e-3, c=-1.0)
