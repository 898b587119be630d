r"""Iterative solvers for the reduced QSP phases: fixed point with Anderson mixing, and Newton.

:math:`F(\psi) = c` (:mod:`~pennylane_qsgd.core.qsp_forward`) is solved by the fixed-point
iteration :math:`\psi \leftarrow \psi - \tfrac12 (F(\psi) - c)` of arXiv:2209.10162, sped up by
Anderson mixing (Walker and Ni, SIAM J. Numer. Anal. 49, 1715 (2011)), or by Newton's method
(Dong, Lin, Ni, Wang, arXiv:2307.12468), whose Jacobian costs :math:`O(d^2 \log d)` plus an
:math:`O(d^3)` solve.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.fft import dct
from scipy.linalg import LinAlgError, lu_factor, lu_solve

from pennylane_qsgd.core.polynomials import chebyshev_sup_bounds
from pennylane_qsgd.core.qsp_forward import forward

# After every coefficient residual is below tol, up to this many more iterations while the
# residual polynomial's sup norm exceeds _POLISH_FACTOR * tol.
_POLISH_ITER = 4
_POLISH_FACTOR = 100.0


def jacobian(psi: np.ndarray, degree: int) -> np.ndarray:
    r""":math:`\partial F_k / \partial \psi_l`, shape (m + 1, m + 1).

    At the :math:`m + 1` positive nodes :math:`x_l = \cos\theta_l`,
    :math:`\theta_l = (2l+1)\pi / (4(m+1))`, of the :math:`2(m+1)`-point Chebyshev–Gauss grid
    (which determine a polynomial of degree :math:`\le d` and known parity), the row vector
    :math:`q_j` (the product up to :math:`e^{i\phi_j Z}`) is propagated forwards and the column
    :math:`v_j` (everything to its right, applied to the mirror image) backwards. A phase
    :math:`\phi_j`, :math:`j < d/2`, occurs twice in :math:`U`, so
    :math:`\partial_{\phi_j}\langle0|U|0\rangle = 2i\, q_j Z v_j`; the middle phase of an even
    sequence occurs once. One DCT-IV (odd) or DCT-II (even) per row gives the coefficients.
    """
    parity = degree % 2
    m = degree // 2
    n = m + 1
    theta = (2.0 * np.arange(n) + 1.0) * np.pi / (4.0 * n)
    x, isx = np.cos(theta), 1j * np.sin(theta)
    e = np.exp(1j * psi[::-1])  # e^{i phi_j}, j = 0..m
    n_steps = m if parity else max(m - 1, 0)
    q0 = np.empty((n_steps + 1, n), dtype=complex)
    q1 = np.empty_like(q0)
    q0[0], q1[0] = e[0], 0.0
    for j in range(1, n_steps + 1):
        q0[j] = (x * q0[j - 1] + isx * q1[j - 1]) * e[j]
        q1[j] = (isx * q0[j - 1] + x * q1[j - 1]) * e[j].conjugate()
    r0, r1 = q0[n_steps], q1[n_steps]
    deriv = np.empty((n, n))  # row j: d Im<0|U|0> / d phi_j at the nodes
    if parity:
        c0, c1 = x * r0 + isx * r1, isx * r0 + x * r1  # W r^T
    elif m == 0:
        deriv[0] = r0.real
        c0 = c1 = None
    else:
        w0, w1 = x * r0 + isx * r1, isx * r0 + x * r1  # r W
        em = e[m]
        deriv[m] = (em * w0 * w0 - em.conjugate() * w1 * w1).real
        a0, a1 = em * w0, em.conjugate() * w1
        c0, c1 = x * a0 + isx * a1, isx * a0 + x * a1  # W e^{i phi_m Z} (rW)^T
    if c0 is not None:
        for j in range(n_steps, -1, -1):
            deriv[j] = 2.0 * (q0[j] * c0 - q1[j] * c1).real
            a0, a1 = e[j] * c0, e[j].conjugate() * c1
            c0, c1 = x * a0 + isx * a1, isx * a0 + x * a1  # W e^{i phi_j Z} v_j
    jac = dct(deriv, type=4 if parity else 2, axis=-1) / n  # row j: dF / dphi_j
    return jac[::-1].T  # columns in psi order (psi_k = phi_{m-k})


def max_abs(v: np.ndarray) -> float:
    return float(np.max(np.abs(v)))


def residual_sup(res: np.ndarray, degree: int) -> float:
    """Upper bound on :math:`\\max_{[-1,1]} |\\sum_k r_k T_{2k+p}|` of a residual, one DCT."""
    full = np.zeros(degree + 1)
    full[degree % 2 :: 2] = res
    if degree % 2 == 0:
        full[0] *= 0.5  # undo the doubled T_0 entry
    return chebyshev_sup_bounds(full)[1]


def anderson(
    target: np.ndarray,
    degree: int,
    tol: float,
    max_iter: int,
    memory: int,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Fixed-point iteration :math:`g(\psi) = \psi - \tfrac12(F(\psi) - c)` with Anderson mixing.

    ``memory = 0`` is the plain iteration of arXiv:2209.10162. Otherwise the next iterate is
    :math:`g_k - \Delta G\,\gamma` with :math:`\gamma` minimising
    :math:`\|f_k - \Delta F \gamma\|_2` over the last ``memory`` differences of
    :math:`f = g(\psi) - \psi` and :math:`g` (Walker and Ni 2011, Algorithm AA); the history is
    dropped when a step increases the residual tenfold. Returns the best iterate, its residual
    and the iteration count. ``start``: the first iterate (default :math:`\psi = 0`).
    """
    psi = np.zeros_like(target) if start is None else start
    res = forward(psi, degree) - target
    best_psi, best_res = psi, res
    d_f: deque[np.ndarray] = deque(maxlen=memory)
    d_g: deque[np.ndarray] = deque(maxlen=memory)
    f_prev = g_prev = None
    it = 0
    extra = 0
    while it < max_iter:
        if max_abs(best_res) <= tol:
            # Coefficient residuals below tol can still add up coherently (at degree 10^6,
            # 5e5 of them); a few more iterations bring the residual polynomial itself down.
            if extra >= _POLISH_ITER or residual_sup(best_res, degree) <= _POLISH_FACTOR * tol:
                break
            extra += 1
        it += 1
        f = -0.5 * res
        g = psi + f
        if memory and f_prev is not None:
            d_f.append(f - f_prev)
            d_g.append(g - g_prev)
        f_prev, g_prev = f, g
        if d_f:
            mat_f = np.stack(d_f, axis=1)
            q, r = np.linalg.qr(mat_f)
            gamma = np.linalg.lstsq(r, q.T @ f, rcond=None)[0]
            psi = g - np.stack(d_g, axis=1) @ gamma
        else:
            psi = g
        res = forward(psi, degree) - target
        if max_abs(res) < max_abs(best_res):
            best_psi, best_res = psi, res
        elif max_abs(res) > 10.0 * max_abs(best_res):
            psi, res = best_psi, best_res  # restart the mixing from the best point
            d_f.clear()
            d_g.clear()
            f_prev = g_prev = None
    return best_psi, best_res, it


def newton(
    target: np.ndarray, degree: int, tol: float, max_iter: int, psi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Newton's method on :math:`F(\psi) = c` with step halving (arXiv:2307.12468)."""
    res = forward(psi, degree) - target
    it = 0
    while max_abs(res) > tol and it < max_iter:
        it += 1
        try:
            step = lu_solve(lu_factor(jacobian(psi, degree), check_finite=False), res)
        except (LinAlgError, ValueError):
            break  # singular Jacobian: reported by the caller with the residual
        old = max_abs(res)
        for _ in range(40):
            trial = psi - step
            trial_res = forward(trial, degree) - target
            if max_abs(trial_res) < old:
                break
            step = 0.5 * step
        else:
            break  # no decrease: round-off floor or stagnation
        psi, res = trial, trial_res
    return psi, res, it


def l1_residual(res: np.ndarray, parity: int) -> float:
    """l1 norm of the true Chebyshev-coefficient residual (undoing the doubled T_0 entry)."""
    r = np.abs(res)
    if parity == 0:
        r = r.copy()
        r[0] *= 0.5
    return float(np.sum(r))
