r"""Symmetric quantum signal processing (QSP) phase factors from Chebyshev coefficients.

Convention (the :math:`W_x` convention of Dong, Lin, Ni and Wang, arXiv:2209.10162). For phases
:math:`\Phi = (\phi_0, \dots, \phi_d)` and :math:`x \in [-1, 1]`,

.. math::

    U(x, \Phi) = e^{i\phi_0 Z} \prod_{j=1}^{d} \left[ W(x)\, e^{i\phi_j Z} \right],
    \qquad
    W(x) = e^{i \arccos(x) X} = \begin{pmatrix} x & i\sqrt{1-x^2} \\
                                               i\sqrt{1-x^2} & x \end{pmatrix}.

:math:`\langle 0|U(x,\Phi)|0\rangle = p(x) + i f(x)` with real polynomials :math:`p, f` of degree
:math:`\le d` and parity :math:`d \bmod 2`. The phases are **symmetric**,
:math:`\phi_j = \phi_{d-j}`, and the target polynomial is the **imaginary part**

.. math::

    f(x) = \operatorname{Im} \langle 0|U(x,\Phi)|0\rangle .

Every real :math:`f` of degree :math:`d`, parity :math:`d \bmod 2` and :math:`\max|f| < 1` has
such phases (Wang, Dong, Lin, arXiv:2110.04993); :func:`qsp_phases` finds the ones connected to
:math:`\Phi = 0`.

Solver. The :math:`\tilde d = \lfloor d/2 \rfloor + 1` free ("reduced") phases
:math:`\psi_k = \phi_{\lfloor d/2 \rfloor - k}` are matched to the :math:`\tilde d` Chebyshev
coefficients :math:`c_k` of :math:`T_{2k + d \bmod 2}` in :math:`f`. With :math:`F(\psi)` the same
coefficients of :math:`\operatorname{Im}\langle0|U|0\rangle` (the :math:`T_0` entry doubled, so
that :math:`F'(0) = 2I`), the equations :math:`F(\psi) = c` are solved by the fixed-point
iteration :math:`\psi \leftarrow \psi - \tfrac12 (F(\psi) - c)` of arXiv:2209.10162, sped up by
Anderson mixing (Walker and Ni, SIAM J. Numer. Anal. 49, 1715 (2011)), with Newton's method
(Dong, Lin, Ni, Wang, arXiv:2307.12468) as the fallback.

:math:`F` costs :math:`O(d \log^2 d)`: the symmetric product is :math:`U = A\,W\,A^T` (odd
:math:`d`) or :math:`A\,e^{i\phi_{d/2} Z} A^T` (even), the half-product :math:`A` is an SU(2)
matrix of Laurent polynomials in :math:`e^{i\arccos x}`, multiplied out by a balanced product tree
with FFT interpolation between levels, and one FFT returns the Chebyshev coefficients. The Newton
Jacobian costs :math:`O(d^2 \log d)` plus an :math:`O(d^3)` solve.

QSVT. :func:`wx_to_qsvt_angles` converts the phases to the angles of PennyLane's ``qml.QSVT``
with ``qml.PCPhase`` projectors. For a Hermitian :math:`A`, :math:`\|A\| \le 1`, block-encoded by
``qml.BlockEncode``, the top-left block of the QSVT unitary with angles :math:`\theta` is
:math:`f(A) - i\,p(A)`, and with angles :math:`-\theta` it is :math:`f(A) + i\,p(A)`. Hence
:math:`\tfrac12[U_{QSVT}(\theta) + U_{QSVT}(-\theta)]` has top-left block exactly :math:`f(A)`
(the real-part trick: one ancilla, Hadamard, select :math:`\theta` / :math:`-\theta`, Hadamard).
"""

from __future__ import annotations

import os
from collections import deque

import numpy as np
import scipy.fft as sp_fft
from scipy.fft import dct
from scipy.linalg import LinAlgError, lu_factor, lu_solve

from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    _as_coefficients,
    chebyshev_sup_bounds,
    chebyshev_sup_norm,
)

#: Largest sup norm of the target that :func:`qsp_phases` accepts.
MAX_SUP_NORM = 1.0 - 1e-6

_ANDERSON_MEMORY = 5
# After every coefficient residual is below tol, up to this many more iterations while the
# residual polynomial's sup norm exceeds _POLISH_FACTOR * tol.
_POLISH_ITER = 4
_POLISH_FACTOR = 100.0
# FFT threads: the product tree's transforms are batched over many rows and split well.
_WORKERS = min(2, os.cpu_count() or 1)
_NEWTON_FALLBACK_ITER = 30


class QSPConvergenceError(RuntimeError):
    """The phase iteration did not reach the requested tolerance.

    Attributes
    ----------
    residual : float
        Final l1 norm of the Chebyshev-coefficient residual (a bound on the sup error).
    iterations : int
        Iterations performed.
    """

    def __init__(self, message: str, residual: float, iterations: int) -> None:
        super().__init__(message)
        self.residual = residual
        self.iterations = iterations


# ----------------------------------------------------------------------------------------------
# Forward map F (phases -> Chebyshev coefficients) and its Jacobian


def _full_phases(psi: np.ndarray, degree: int) -> np.ndarray:
    r"""Symmetric :math:`\phi_0..\phi_d` from the reduced phases :math:`\psi_k = \phi_{m-k}`."""
    half = psi[::-1]  # phi_0 .. phi_m
    m = degree // 2
    return np.concatenate([half, half[: degree - m][::-1]])


def _half_step(values: np.ndarray) -> np.ndarray:
    """Polynomials of degree <= G/2 in z on the G roots of unity -> the 2G roots (last axis).

    The new points are the old ones turned by :math:`e^{i\\pi/G}`: one FFT, a phase ramp on the
    coefficients (all frequencies are non-negative, so none aliases) and one inverse FFT of the
    same length G, interleaved with the old values.
    """
    g = values.shape[-1]
    spec = sp_fft.fft(values, axis=-1, workers=_WORKERS)
    spec *= np.exp(1j * np.pi * np.arange(g) / g)
    out = np.empty(values.shape[:-1] + (g, 2), dtype=complex)
    out[..., 0] = values
    out[..., 1] = sp_fft.ifft(spec, axis=-1, workers=_WORKERS, overwrite_x=True)
    return out.reshape(values.shape[:-1] + (2 * g,))


def _renormalise(alpha: np.ndarray, beta: np.ndarray) -> None:
    """Scale :math:`(\\alpha, \\beta)` to :math:`|\\alpha|^2 + |\\beta|^2 = 1` in place.

    Every partial product is in SU(2) at every sample; a norm error left by rounding is carried,
    multiplied, into every later level, where unbiased rounding alone stays at the level of one
    product. At degree 10^6 this took the sup error of the solved phases from 1.5e-10 to 1.0e-10.
    """
    scale = 1.0 / np.sqrt(alpha.real**2 + alpha.imag**2 + beta.real**2 + beta.imag**2)
    alpha *= scale
    beta *= scale


def _su2_product(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    r"""First row :math:`(\alpha, \beta)` of :math:`\prod_j W(\cos\theta)\, e^{i\phi_j Z}`.

    Every factor and partial product of ``L`` factors has the SU(2) form
    :math:`\begin{pmatrix}\alpha & \beta\\ -\bar\beta & \bar\alpha\end{pmatrix}` with
    :math:`\alpha, \beta` Laurent polynomials in :math:`e^{i\theta}` of degree ``L`` and parity
    ``L``, i.e. :math:`\alpha = e^{-iL\theta} P(z)`, :math:`\beta = e^{-iL\theta} Q(z)` with
    polynomials :math:`P, Q` of degree ``L`` in :math:`z = e^{2i\theta}`. The product of a block
    ``(P_1, Q_1, L_1)`` with a block ``(P_2, Q_2, L_2)`` on :math:`|z| = 1` is

    .. math::

        P = P_1 P_2 - Q_1\, z^{L_2} \bar Q_2, \qquad Q = P_1 Q_2 + Q_1\, z^{L_2} \bar P_2,
        \qquad L = L_1 + L_2 .

    A balanced product tree multiplies neighbouring blocks pointwise at the ``G`` roots of unity
    (``G`` twice the largest block length; identity blocks, ``L = 0``, pad to a power of two),
    doubling the grid by :func:`_half_step` before each level: :math:`O(n \log^2 n)` work on
    arrays of ``2 n`` points, a quarter of the full-circle samples of :math:`\alpha, \beta`.

    Returns
    -------
    P, Q : numpy.ndarray (complex), shape (G,)
        Values at :math:`z_j = e^{2\pi i j/G}`, ``G = 2 * 2**ceil(log2(len(phi)))`` (1 if empty).
    L : int
        ``len(phi)``.
    """
    n = phi.size
    if n == 0:
        return np.ones(1, dtype=complex), np.zeros(1, dtype=complex), 0
    size = 1 << (n - 1).bit_length()
    e = np.exp(1j * phi)
    # One factor: P = e^{i phi} (z + 1)/2, Q = e^{-i phi} (z - 1)/2, at z = 1 and z = -1: exact
    # values, where sampled cos/sin would carry a rounding that every factor repeats coherently.
    P = np.zeros((size, 2), dtype=complex)
    Q = np.zeros((size, 2), dtype=complex)
    P[:n, 0] = e
    Q[:n, 1] = -e.conjugate()
    P[n:] = 1.0  # identity padding
    lengths = np.zeros(size, dtype=np.int64)
    lengths[:n] = 1
    g = 2
    while P.shape[0] > 1:
        P, Q = _half_step(P), _half_step(Q)
        g *= 2
        right = lengths[1::2]
        # z^{L_2} at the g roots: one row per distinct L_2 (full, partial and identity blocks).
        distinct, which = np.unique(right, return_inverse=True)
        powers = np.exp(2j * np.pi * ((distinct[:, None] * np.arange(g)) % g) / g)[which]
        p1, p2, q1, q2 = P[0::2], P[1::2], Q[0::2], Q[1::2]
        P = p1 * p2 - q1 * (powers * q2.conjugate())
        Q = p1 * q2 + q1 * (powers * p2.conjugate())
        _renormalise(P, Q)
        lengths = lengths[0::2] + right
    return P[0], Q[0], n


def _on_circle(values: np.ndarray, length: int, points: int) -> np.ndarray:
    """:math:`e^{-iL\\theta} P(e^{2i\\theta})` at :math:`\\theta_k = 2\\pi k/N` from P at G roots.

    ``points`` (N) even with ``N/2 >= G``: P's coefficients, zero-padded, give P at the N/2 roots,
    which :math:`z = e^{2i\\theta}` runs through twice.
    """
    g = values.size
    spec = np.zeros(points // 2, dtype=complex)
    spec[:g] = sp_fft.fft(values, workers=_WORKERS) / g
    half = sp_fft.ifft(spec, workers=_WORKERS) * (points // 2)
    # e^{-i L theta_k} with L k reduced mod N first: exp of L theta itself (up to ~3e6 rad at
    # degree 10^6) would lose ~1e-10 absolute, the same order as the coefficients sought.
    turns = (length * np.arange(points, dtype=np.int64)) % points
    return np.exp(-2j * np.pi * turns / points) * np.concatenate([half, half])


def _forward(psi: np.ndarray, degree: int) -> np.ndarray:
    r""":math:`F(\psi)`: Chebyshev coefficients of :math:`T_{2k+p}` in
    :math:`\operatorname{Im}\langle 0|U|0\rangle`, the :math:`T_0` one doubled; shape (m + 1,).

    With :math:`(r_0, r_1) = \langle 0|e^{i\phi_0 Z} \prod_{j=1}^{n} W e^{i\phi_j Z}`:
    odd :math:`d = 2m+1` (:math:`n = m`): :math:`\langle0|U|0\rangle = r W r^T`; even
    :math:`d = 2m` (:math:`n = m - 1`): :math:`(rW)\, e^{i\phi_m Z} (rW)^T`. The entry, a polynomial
    in :math:`\cos\theta`, is even in :math:`\theta`: :math:`\sum_k a_k e^{ik\theta}` with
    :math:`a_k = a_{-k}`, so its Chebyshev coefficients are :math:`a_0` and :math:`2a_k`; it has
    degree ``d``, so ``N >= 2d + 2`` samples on the circle determine it.
    """
    parity = degree % 2
    m = degree // 2
    phi = psi[::-1]  # phi_0 .. phi_m
    n_factors = m if parity else max(m - 1, 0)
    P, Q, length = _su2_product(phi[1 : n_factors + 1])
    points = max(4, 1 << (2 * degree + 1).bit_length(), 2 * P.size)
    e0 = np.exp(1j * phi[0])
    r0 = e0 * _on_circle(P, length, points)
    r1 = e0 * _on_circle(Q, length, points)
    theta = 2.0 * np.pi * np.arange(points) / points
    c, isn = np.cos(theta), 1j * np.sin(theta)
    if parity:
        entry = c * (r0 * r0 + r1 * r1) + 2.0 * isn * r0 * r1
    elif m == 0:
        entry = r0  # d = 0: U = e^{i phi_0 Z}
    else:
        w0, w1 = c * r0 + isn * r1, isn * r0 + c * r1
        em = np.exp(1j * phi[m])
        entry = em * w0 * w0 + em.conjugate() * w1 * w1
    laurent = sp_fft.fft(entry, workers=_WORKERS) / entry.size
    return 2.0 * laurent[parity : degree + 1 : 2].imag


def _jacobian(psi: np.ndarray, degree: int) -> np.ndarray:
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


# ----------------------------------------------------------------------------------------------
# Iterations


def _max_abs(v: np.ndarray) -> float:
    return float(np.max(np.abs(v)))


def _residual_sup(res: np.ndarray, degree: int) -> float:
    """Upper bound on :math:`\\max_{[-1,1]} |\\sum_k r_k T_{2k+p}|` of a residual, one DCT."""
    full = np.zeros(degree + 1)
    full[degree % 2 :: 2] = res
    if degree % 2 == 0:
        full[0] *= 0.5  # undo the doubled T_0 entry
    return chebyshev_sup_bounds(full)[1]


def _anderson(
    target: np.ndarray, degree: int, tol: float, max_iter: int, memory: int
) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Fixed-point iteration :math:`g(\psi) = \psi - \tfrac12(F(\psi) - c)` with Anderson mixing.

    ``memory = 0`` is the plain iteration of arXiv:2209.10162. Otherwise the next iterate is
    :math:`g_k - \Delta G\,\gamma` with :math:`\gamma` minimising
    :math:`\|f_k - \Delta F \gamma\|_2` over the last ``memory`` differences of
    :math:`f = g(\psi) - \psi` and :math:`g` (Walker and Ni 2011, Algorithm AA); the history is
    dropped when a step increases the residual tenfold. Returns the best iterate, its residual
    and the iteration count.
    """
    psi = np.zeros_like(target)
    res = _forward(psi, degree) - target
    best_psi, best_res = psi, res
    d_f: deque[np.ndarray] = deque(maxlen=memory)
    d_g: deque[np.ndarray] = deque(maxlen=memory)
    f_prev = g_prev = None
    it = 0
    extra = 0
    while it < max_iter:
        if _max_abs(best_res) <= tol:
            # Coefficient residuals below tol can still add up coherently (at degree 10^6,
            # 5e5 of them); a few more iterations bring the residual polynomial itself down.
            if extra >= _POLISH_ITER or _residual_sup(best_res, degree) <= _POLISH_FACTOR * tol:
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
        res = _forward(psi, degree) - target
        if _max_abs(res) < _max_abs(best_res):
            best_psi, best_res = psi, res
        elif _max_abs(res) > 10.0 * _max_abs(best_res):
            psi, res = best_psi, best_res  # restart the mixing from the best point
            d_f.clear()
            d_g.clear()
            f_prev = g_prev = None
    return best_psi, best_res, it


def _newton(
    target: np.ndarray, degree: int, tol: float, max_iter: int, psi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Newton's method on :math:`F(\psi) = c` with step halving (arXiv:2307.12468)."""
    res = _forward(psi, degree) - target
    it = 0
    while _max_abs(res) > tol and it < max_iter:
        it += 1
        try:
            step = lu_solve(lu_factor(_jacobian(psi, degree), check_finite=False), res)
        except (LinAlgError, ValueError):
            break  # singular Jacobian: reported by the caller with the residual
        old = _max_abs(res)
        for _ in range(40):
            trial = psi - step
            trial_res = _forward(trial, degree) - target
            if _max_abs(trial_res) < old:
                break
            step = 0.5 * step
        else:
            break  # no decrease: round-off floor or stagnation
        psi, res = trial, trial_res
    return psi, res, it


def _l1_residual(res: np.ndarray, parity: int) -> float:
    """l1 norm of the true Chebyshev-coefficient residual (undoing the doubled T_0 entry)."""
    r = np.abs(res)
    if parity == 0:
        r = r.copy()
        r[0] *= 0.5
    return float(np.sum(r))


# ----------------------------------------------------------------------------------------------
# Public API


def _target_coefficients(
    poly_or_coeffs: ChebyshevPolynomial | np.ndarray, parity: int | None
) -> tuple[np.ndarray, int]:
    """Validated full Chebyshev coefficient vector (trailing zeros trimmed) and its parity."""
    if isinstance(poly_or_coeffs, ChebyshevPolynomial):
        if parity is not None and parity != poly_or_coeffs.parity:
            raise ValueError(
                f"parity={parity!r} contradicts the polynomial's parity {poly_or_coeffs.parity}"
            )
        coeffs = np.array(poly_or_coeffs.coeffs)
        parity = poly_or_coeffs.parity
    else:
        try:
            coeffs = np.array(poly_or_coeffs, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"poly_or_coeffs must be a ChebyshevPolynomial or real Chebyshev coefficients; "
                f"got {type(poly_or_coeffs).__name__}"
            ) from err
        coeffs = _as_coefficients(coeffs, "poly_or_coeffs")
    nonzero = np.nonzero(coeffs)[0]
    last = int(nonzero[-1]) if nonzero.size else 0
    if parity is None:
        parity = last % 2
    if parity not in (0, 1):
        raise ValueError(f"parity must be 0 (even), 1 (odd) or None; got {parity!r}")
    wrong = coeffs[1 - parity :: 2]
    if wrong.size and _max_abs(wrong) > 1e-14 * max(1.0, _max_abs(coeffs)):
        raise ValueError(
            f"the polynomial has no definite parity: its coefficients of parity {1 - parity} are "
            f"non-zero (largest {_max_abs(wrong):.3e}); QSP needs an even or an odd polynomial"
        )
    degree = max(last, parity)
    if degree % 2 != parity:
        degree += 1
    out = np.zeros(degree + 1)
    out[parity : min(degree + 1, coeffs.size) : 2] = coeffs[parity : degree + 1 : 2]
    return out, parity


def qsp_phases(
    poly_or_coeffs: ChebyshevPolynomial | np.ndarray,
    parity: int | None = None,
    tol: float = 1e-13,
    max_iter: int | None = None,
    method: str = "auto",
) -> np.ndarray:
    r"""Symmetric :math:`W_x` phases :math:`\Phi` whose entry has imaginary part :math:`f(x)`.

    Solves :math:`\operatorname{Im}\langle 0|U(x,\Phi)|0\rangle = f(x)` on :math:`[-1, 1]`
    (convention and method in the module docstring).

    Parameters
    ----------
    poly_or_coeffs : ChebyshevPolynomial or array_like, shape (d + 1,)
        The target :math:`f = \sum_n c_n T_n` in the Chebyshev basis (never monomials). Trailing
        zeros are dropped: ``d`` is the index of the last non-zero coefficient (plus one if that
        has the wrong parity).
    parity : int, optional
        0 (even) or 1 (odd); inferred from the degree when omitted.
    tol : float
        Stop when every Chebyshev-coefficient residual :math:`|F(\psi) - c|` is at most ``tol``.
        The sup error on :math:`[-1, 1]` is at most the l1 residual, about ``tol * d / 10`` in
        practice (degree 2001, tol 1e-13: ~1e-11).
    max_iter : int, optional
        Iteration cap: default 300 for "auto" (then up to 30 Newton steps), 5000 for
        "fixed_point", 50 for "newton".
    method : {"auto", "fixed_point", "newton"}
        "auto": fixed-point iteration with Anderson mixing, Newton if that stalls (robust up to
        :math:`\max|f| = 1 - 10^{-6}`, ~10–40 cheap iterations); "fixed_point": the plain
        iteration (slow as :math:`\max|f| \to 1`); "newton": Newton from :math:`\psi = 0`.

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        Phases :math:`\phi_0, \dots, \phi_d` with :math:`\phi_j = \phi_{d-j}`.

    Raises
    ------
    TypeError
        For input that is not numeric.
    ValueError
        For non-finite or non-1-D coefficients, no definite parity, :math:`\max_{[-1,1]}|f| \ge
        1 - 10^{-6}` (checked on a dense grid), a bad ``tol`` or an unknown ``method``.
    QSPConvergenceError
        If the residual does not fall below ``tol`` (the message gives the residual).

    Examples
    --------
    >>> coeffs = [0.0, 0.3, 0.0, -0.2]
    >>> phases = qsp_phases(coeffs)
    >>> x = np.linspace(-1, 1, 5)
    >>> target = np.polynomial.chebyshev.chebval(x, coeffs)
    >>> bool(np.allclose(qsp_unitary_entry(phases, x).imag, target, atol=1e-12))
    True
    """
    if method not in ("auto", "fixed_point", "newton"):
        raise ValueError(f"method must be 'auto', 'fixed_point' or 'newton'; got {method!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol}")
    if max_iter is not None and (int(max_iter) != max_iter or max_iter < 0):
        raise ValueError(f"max_iter must be a non-negative integer; got {max_iter}")
    coeffs, parity = _target_coefficients(poly_or_coeffs, parity)
    sup, upper = chebyshev_sup_bounds(coeffs)
    if upper >= MAX_SUP_NORM:
        sup = chebyshev_sup_norm(coeffs)  # refine only near the threshold
    if sup >= MAX_SUP_NORM:
        raise ValueError(
            f"the target polynomial has max|f| = {sup:.8f} on [-1, 1]; QSP needs max|f| < 1 and "
            f"this solver accepts max|f| < {MAX_SUP_NORM}: rescale the polynomial"
        )
    degree = coeffs.size - 1
    # Newton's Jacobian has (d/2 + 1)^2 entries (the fixed-point iteration only O(d))
    check_memory(
        8 * (degree // 2 + 1) ** 2 if method != "fixed_point" else 64 * (degree + 1),
        f"QSP phases of a degree-{degree} polynomial",
        "Lower the degree (for an inversion polynomial: a smaller kappa or a looser precision).",
    )
    target = coeffs[parity::2].copy()
    if parity == 0:
        target[0] *= 2.0  # F's T_0 entry is doubled (module docstring)

    if method == "newton":
        cap = 50 if max_iter is None else int(max_iter)
        psi, res, it = _newton(target, degree, tol, cap, np.zeros_like(target))
    else:
        memory = _ANDERSON_MEMORY if method == "auto" else 0
        cap = (300 if method == "auto" else 5000) if max_iter is None else int(max_iter)
        psi, res, it = _anderson(target, degree, tol, cap, memory)
        if method == "auto" and _max_abs(res) > tol:
            psi, res, extra = _newton(target, degree, tol, _NEWTON_FALLBACK_ITER, psi)
            it += extra
    if _max_abs(res) > tol:
        residual = _l1_residual(res, parity)
        raise QSPConvergenceError(
            f"QSP phase iteration ({method}) did not converge after {it} iterations: largest "
            f"coefficient residual {_max_abs(res):.3e} > tol={tol:.1e} (l1 residual "
            f"{residual:.3e}; degree {degree}, max|f| = {sup:.6f})",
            residual,
            it,
        )
    return _full_phases(psi, degree)


def qsp_unitary_entry(phases: np.ndarray, x: np.ndarray | float) -> np.ndarray:
    r""":math:`\langle 0|U(x,\Phi)|0\rangle` by sequential 2x2 products (any phases).

    The first row of the running product is multiplied by :math:`W(x)` and
    :math:`e^{i\phi_j Z}` one factor at a time: the reference evaluation of the convention in the
    module docstring, independent of the solver's symmetry, product tree and FFTs. O(d) vector
    operations on arrays the size of ``x``.

    Parameters
    ----------
    phases : array_like, shape (d + 1,)
        :math:`\phi_0, \dots, \phi_d` (not necessarily symmetric).
    x : float or array_like of any shape, entries in [-1, 1]
        Signal values.

    Returns
    -------
    numpy.ndarray (complex), the shape of ``x``
    """
    phi = np.asarray(phases, dtype=np.float64)
    if phi.ndim != 1 or phi.size == 0 or not np.all(np.isfinite(phi)):
        raise ValueError(f"phases must be a non-empty finite 1-D array; got shape {phi.shape}")
    xa = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(xa)) or np.any(np.abs(xa) > 1.0):
        raise ValueError("x must lie in [-1, 1]")
    x_flat = xa.reshape(-1)
    isx = 1j * np.sqrt(1.0 - x_flat * x_flat)
    # First row (r0, r1) of the running product, right-multiplied by W(x) and e^{i phi Z}.
    r0 = np.full(x_flat.shape, np.exp(1j * phi[0]))
    r1 = np.zeros(x_flat.shape, dtype=complex)
    for p in phi[1:]:
        r0, r1 = (
            (x_flat * r0 + isx * r1) * np.exp(1j * p),
            (isx * r0 + x_flat * r1) * np.exp(-1j * p),
        )
    return r0.reshape(xa.shape)


def qsp_chebyshev_coefficients(phases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Chebyshev coefficients of :math:`p = \operatorname{Re}` and :math:`f = \operatorname{Im}`
    of :math:`\langle 0|U(x,\Phi)|0\rangle` (any phases).

    The entry is evaluated by :func:`qsp_unitary_entry` at the :math:`d + 1` Chebyshev–Gauss nodes
    and transformed back by one DCT-II (exact up to rounding: both parts have degree
    :math:`\le d`).

    Parameters
    ----------
    phases : array_like, shape (d + 1,)

    Returns
    -------
    tuple of numpy.ndarray, each shape (d + 1,)
        ``(p_coeffs, f_coeffs)``. With the angles of :func:`wx_to_qsvt_angles` the QSVT block is
        :math:`f(A) - i\,p(A)`.
    """
    phi = np.asarray(phases, dtype=np.float64)
    n = phi.size
    theta = (2.0 * np.arange(n) + 1.0) * np.pi / (2.0 * n)
    entry = qsp_unitary_entry(phi, np.cos(theta))
    out = []
    for part in (entry.real, entry.imag):
        c = dct(part, type=2) / n
        c[0] *= 0.5
        out.append(c)
    return out[0], out[1]


def wx_to_qsvt_angles(phases: np.ndarray) -> np.ndarray:
    r"""Angles for PennyLane's ``qml.QSVT`` with ``qml.PCPhase`` projectors from :math:`W_x` phases.

    PennyLane's QSVT interleaves ``PCPhase(theta_k)`` (:math:`e^{i\theta_k(2\Pi - I)}`, i.e.
    :math:`e^{i\theta_k Z}` on each singular-value subspace) with the block encoding, which acts
    there as the reflection :math:`R(x) = \begin{pmatrix} x & \sqrt{1-x^2}\\ \sqrt{1-x^2} & -x
    \end{pmatrix}` (arXiv:2105.02859, Appendix A.2). Since
    :math:`R(x) = -i\, e^{i\pi Z/4}\, W(x)\, e^{i\pi Z/4}` and :math:`e^{i\pi Z} = -I`, the angles

    .. math::

        \theta_0 = \phi_0 - \bigl(2 + (d+1) \bmod 4\bigr)\tfrac{\pi}{2}, \quad
        \theta_j = \phi_j + \tfrac{\pi}{2}\ (0 < j < d), \quad
        \theta_d = \phi_d - \tfrac{\pi}{2}

    (:math:`\theta_0 = \phi_0 - \pi/2` when :math:`d = 0`) turn the scalar sequence into
    :math:`-i\,\langle 0|U(x,\Phi)|0\rangle = f(x) - i\,p(x)`. For :math:`d \ge 1` they equal
    PennyLane's ``transform_angles(phi_re, "QSP", "QSVT")`` of its real-part QSP phases
    ``phi_re = phases - pi/4 * (e_0 + e_d)`` (whose single-angle case does not apply).

    So for Hermitian :math:`A` (:math:`\|A\| \le 1`) block-encoded by ``qml.BlockEncode`` the
    QSVT top-left block is :math:`f(A) - i\,p(A)` with angles :math:`\theta` and
    :math:`f(A) + i\,p(A)` with :math:`-\theta` (the complex-conjugate sequence: the block
    encoding is real on each subspace); their average is :math:`f(A)`.

    Parameters
    ----------
    phases : array_like, shape (d + 1,)
        :math:`W_x` phases (e.g. from :func:`qsp_phases`).

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        ``angles`` for ``[qml.PCPhase(a, dim, wires) for a in angles]`` in PennyLane's order.
    """
    phi = np.asarray(phases, dtype=np.float64)
    if phi.ndim != 1 or phi.size == 0 or not np.all(np.isfinite(phi)):
        raise ValueError(f"phases must be a non-empty finite 1-D array; got shape {phi.shape}")
    d = phi.size - 1
    if d == 0:
        return phi - np.pi / 2
    theta = phi + np.pi / 2
    theta[0] = phi[0] - (2 + (d + 1) % 4) * np.pi / 2
    theta[-1] = phi[-1] - np.pi / 2
    return theta
