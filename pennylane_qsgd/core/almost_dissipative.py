"""Windows that are only almost dissipative: the exponential shift and a Lyapunov certificate.

Shift. Substituting :math:`u = e^{ct}v` into :math:`du/dt = F_0(t) + F_1u + F_2(u \\otimes u)`:
:math:`ce^{ct}v + e^{ct}\\dot v = F_0 + e^{ct}F_1v + e^{2ct}F_2(v \\otimes v)`, so

.. math::

    \\frac{dv}{dt} = e^{-ct}F_0(t) + (F_1 - cI)\\,v + e^{ct}F_2\\,(v \\otimes v),
    \\qquad v(0) = u_{\\rm in}.

For :math:`c \\ge \\max(0, \\mathrm{Re}\\,\\lambda_1)` the linear part is dissipative (strictly for
:math:`c > \\mathrm{Re}\\,\\lambda_1`); the forcing decays (:math:`\\max_t\\|e^{-ct}F_0\\| = \\|F_0\\|`)
and the quadratic term grows (:math:`\\max_{t \\le T}\\|e^{ct}F_2\\| = e^{cT}\\|F_2\\|`), both now
time-dependent. With these maxima the shifted ratio is

.. math::

    R_c = \\frac{\\|u_{\\rm in}\\|e^{cT}\\|F_2\\| + \\|F_0\\|/\\|u_{\\rm in}\\|}{c - \\mathrm{Re}\\,\\lambda_1}.

The price: the solver returns :math:`v(T) = e^{-cT}u(T)`, so :math:`q = \\|u_{\\rm in}\\|/\\|v(T)\\|`
grows by :math:`e^{cT}`; Lemma 5's success probability :math:`\\propto 1/q^2` shrinks by
:math:`e^{-2cT}` and amplitude amplification needs :math:`e^{cT}` times the rounds (the query
count's factor). :func:`minimal_shift` takes the smallest :math:`c` with :math:`R_c \\le` a target.
The time-dependent :math:`e^{ct}F_2` is outside the PNAS lemmas as stated (constant :math:`F_2`);
their proofs only use :math:`\\max_t\\|F_2(t)\\|`, which is what :math:`R_c` holds.

Lyapunov certificate (Krovi, arXiv:2202.01054, who replaces :math:`\\mathrm{Re}\\,\\lambda_1` by the
logarithmic norm; a quadratic Lyapunov function turns a Hurwitz :math:`F_1` into one with a negative
log-norm). For :math:`P \\succ 0` with :math:`F_1^TP + PF_1 = -Q \\prec 0`
(``scipy.linalg.solve_continuous_lyapunov``) and :math:`S = P^{1/2}`, the variables
:math:`w = Su` obey the same kind of ODE with :math:`F_1' = SF_1S^{-1}`, :math:`F_0' = SF_0`,
:math:`F_2' = SF_2(S^{-1} \\otimes S^{-1})`, and :math:`\\mu(F_1') = -\\lambda_{\\min}(Q, P)/2 < 0`
(the largest eigenvalue of :math:`(F_1' + F_1'^T)/2`). The ratio :math:`R_P` with :math:`\\mu` in
place of :math:`\\mathrm{Re}\\,\\lambda_1` and norms of the primed quantities certifies Lemma 1 in the
:math:`P`-norm; back in :math:`u`, errors are multiplied by :math:`\\|S^{-1}\\|`. Among the
candidates :math:`P = I` (plain log-norm), the Lyapunov solution for :math:`Q = I`, and the modal
metric of a diagonalisable :math:`F_1` (where :math:`\\mu = \\mathrm{Re}\\,\\lambda_1`), the one with
the smallest certified truncation bound is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.optimize import brentq

from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.dissipation import (
    Dissipation,
    dissipation,
    dissipation_ratio_from_norms,
    provable_interval,
)
from pennylane_qsgd.core.euler import check_horizon, step_times
from pennylane_qsgd.core.norms import max_forcing_norm, spectral_norm
from pennylane_qsgd.core.problem import PolynomialODE

DEFAULT_TARGET = 0.99
"""Largest shifted ratio :math:`R_c` accepted by :func:`minimal_shift`."""


def shifted_ratio(
    re_lambda1: float, norm_F0: float, norm_F2: float, norm_u_in: float, c: float, T: float
) -> float:
    """:math:`R_c` of the module docstring (``inf`` when :math:`c \\le \\mathrm{Re}\\,\\lambda_1`)."""
    if c <= re_lambda1:
        return float("inf")
    if norm_u_in == 0:
        return 0.0 if norm_F0 == 0 else float("inf")
    with np.errstate(over="ignore"):
        grown = norm_u_in * math.exp(min(c * T, 700.0)) * norm_F2
    return (grown + norm_F0 / norm_u_in) / (c - re_lambda1)


def _smallest_shift(
    rate: float, norm_F0: float, norm_F2: float, norm_u: float, T: float, target: float
) -> float:
    """Smallest :math:`c \\ge \\max(0, \\text{rate})` with :math:`R_c \\le` target, else ``inf``.

    :math:`g(c) = \\text{target}(c - \\text{rate}) - \\|u\\|\\|F_2\\|e^{cT} - \\|F_0\\|/\\|u\\|` is
    concave; the feasible set is the interval where it is non-negative.
    """
    if norm_u == 0:
        return max(0.0, rate) if norm_F0 == 0 else float("inf")
    a, b = norm_u * norm_F2, norm_F0 / norm_u

    def g(c: float) -> float:
        return target * (c - rate) - a * math.exp(min(c * T, 700.0)) - b

    lo = max(0.0, rate)
    if a == 0 and b == 0:  # R_c = 0 for every c > rate: the infimum, nudged into the open set
        return lo if lo > rate else rate + 1e-12 * max(1.0, abs(rate))
    if lo > rate and g(lo) >= 0:
        return lo
    if a == 0:
        peak = lo + 2.0 * (b / target + abs(rate)) + 1.0  # g is linear and increasing
    else:
        peak = math.log(target / (a * T)) / T if target > a * T else -math.inf
    if peak <= lo or g(peak) < 0:
        return float("inf")
    c = float(brentq(g, max(lo, rate), peak, xtol=1e-14, rtol=1e-12))
    step = 1e-15 * max(1.0, abs(rate), abs(c))
    for _ in range(64):  # a root within rounding of the infeasible side (e.g. tiny a and b)
        if c > rate and g(c) >= 0:
            return c
        c, step = c + step, 2.0 * step
    return c


@dataclass(frozen=True)
class Shift:
    """The shift :math:`u = e^{ct}v` of a window and its price (:func:`minimal_shift`).

    Attributes
    ----------
    c : float
        Shift rate (1/time), ``inf`` when no shift reaches the target.
    T : float
        Window length.
    re_lambda1 : float
        :math:`\\mathrm{Re}\\,\\lambda_1(F_1)` before the shift.
    ratio : float
        :math:`R_c` (``inf`` when ``c`` is).
    """

    c: float
    T: float
    re_lambda1: float
    ratio: float

    @property
    def penalty(self) -> float:
        """:math:`e^{cT}`: the factor on :math:`q` and on the amplification rounds (``inf`` past
        float range)."""
        with np.errstate(over="ignore"):
            return float(np.exp(self.c * self.T))

    @property
    def success_factor(self) -> float:
        """:math:`e^{-2cT}`: the factor on Lemma 5's success probability."""
        return float(np.exp(-2.0 * self.c * self.T))

    @property
    def is_finite(self) -> bool:
        """A shift reaches the target."""
        return bool(np.isfinite(self.c))


def minimal_shift(
    problem: PolynomialODE,
    T: float,
    target: float = DEFAULT_TARGET,
    info: Dissipation | None = None,
) -> Shift:
    """Smallest :math:`c \\ge \\max(0, \\mathrm{Re}\\,\\lambda_1)` with :math:`R_c \\le` ``target``.

    Parameters
    ----------
    problem : PolynomialODE
    T : float
        Window length (time units of the problem).
    target : float
        In (0, 1).
    info : Dissipation, optional
        ``dissipation(problem)`` when the caller already has it (saves the eigenvalue solve).
    """
    info = dissipation(problem) if info is None else info
    return shift_from_norms(info.re_lambda1, info.norm_F0, info.norm_F2, info.norm_u_in, T, target)


def shift_from_norms(
    re_lambda1: float,
    norm_F0: float,
    norm_F2: float,
    norm_u_in: float,
    T: float,
    target: float = DEFAULT_TARGET,
) -> Shift:
    """:func:`minimal_shift` from the four scalars it depends on (e.g. a Lanczos estimate of
    :math:`\\mathrm{Re}\\,\\lambda_1` for a matrix-free window)."""
    T = check_horizon(T)
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1); got {target}")
    c = _smallest_shift(re_lambda1, norm_F0, norm_F2, norm_u_in, T, target)
    ratio = shifted_ratio(re_lambda1, norm_F0, norm_F2, norm_u_in, c, T)
    return Shift(c=c, T=T, re_lambda1=re_lambda1, ratio=ratio)


def shifted_problem(problem: PolynomialODE, c: float, T: float, steps: int) -> PolynomialODE:
    """The linear problem for :math:`v = e^{-ct}u` as Euler reads it (forcing at step starts).

    :math:`e^{-ct}F_0(t)` is sampled at the left ends :math:`t_k = kT/m` of the ``steps`` Euler
    steps, one forcing piece per step: :func:`~pennylane_qsgd.core.euler.solve_euler` with the same
    ``T`` and ``steps`` is then exactly forward Euler for the time-dependent shifted ODE.

    Raises
    ------
    ValueError
        For a quadratic problem: :math:`e^{ct}F_2` is time-dependent, which
        :class:`~pennylane_qsgd.core.problem.PolynomialODE` does not represent.
    """
    T = check_horizon(T)
    steps = as_count(steps, "steps")
    if not np.isfinite(c):
        raise ValueError(f"c must be finite; got {c}")
    if not problem.is_linear:
        raise ValueError(
            "shifted_problem needs F2 = 0: the shifted quadratic term e^{ct} F2 is time-dependent"
        )
    times = step_times(T, steps)
    pieces = problem.F0[problem.forcing_piece(times)] * np.exp(-c * times)[:, None]
    F1 = problem.F1 - c * sp.identity(problem.size, format="csr")
    return PolynomialODE(pieces, F1, problem.F2, problem.u_in, forcing_times=times)


# ----------------------------------------------------------------------------------------------
# Lyapunov certificate


@dataclass(frozen=True)
class LyapunovCertificate:
    """A metric :math:`P = S^TS` in which the (shifted) window is certified (module docstring).

    Attributes
    ----------
    metric : str
        ``"identity"``, ``"lyapunov"`` or ``"modal"``.
    S : ndarray, shape (s, s)
        :math:`P^{1/2}` (or the modal change of basis).
    c : float
        Shift rate the certificate is for (0: none).
    mu : float
        :math:`\\mu(S(F_1 - cI)S^{-1})`, negative.
    ratio : float
        :math:`R_P` (``inf`` when ``mu >= 0`` or the interval is empty).
    norm_F0, norm_F2, norm_u_in : float
        :math:`\\|SF_0\\|`, :math:`e^{cT}\\|SF_2(S^{-1}\\otimes S^{-1})\\|`, :math:`\\|Su_{\\rm in}\\|`.
    inverse_norm : float
        :math:`\\|S^{-1}\\|`: converts errors in :math:`w` to errors in :math:`u`.
    T : float
    """

    metric: str
    S: np.ndarray
    c: float
    mu: float
    ratio: float
    norm_F0: float
    norm_F2: float
    norm_u_in: float
    inverse_norm: float
    T: float

    @property
    def is_certified(self) -> bool:
        """:math:`R_P < 1`."""
        return bool(self.ratio < 1)

    def truncation_bound(self, level: int, t: float | None = None) -> float:
        """Certified bound on :math:`\\|u(t) - y_1(t)\\|` at Carleman level ``N`` (``inf`` if none).

        Lemma 1 in :math:`w` after the rescaling :math:`\\gamma = r_+` that minimises it
        (as :func:`~pennylane_qsgd.core.bounds.lemma_bounds`),
        :math:`tN\\|F_2'\\|\\|w_{\\rm in}\\|^{N+1}\\gamma^{1-N}`, times :math:`\\|S^{-1}\\|` and,
        for a shift, :math:`e^{ct}` (:math:`u = e^{ct}v`).
        """
        level = as_count(level, "level")
        t = self.T if t is None else float(t)
        if not self.is_certified:
            return float("inf")
        low, high = provable_interval(self.mu, self.norm_F0, self.norm_F2)
        low = max(low, self.norm_u_in)
        if low == 0:
            return 0.0
        gamma = high if np.isfinite(high) else 2.0 * low
        w_err = t * level * self.norm_F2 * self.norm_u_in ** (level + 1) * gamma ** (1 - level)
        return float(w_err * self.inverse_norm * np.exp(self.c * t))


def _metric_candidates(F1: np.ndarray) -> list[tuple[str, np.ndarray]]:
    s = F1.shape[0]
    out = [("identity", np.eye(s))]
    if np.max(np.linalg.eigvals(F1).real) < 0:
        P = sla.solve_continuous_lyapunov(F1.T, -np.eye(s))
        lam, V = np.linalg.eigh(0.5 * (P + P.T))
        if lam[0] > 0:
            out.append(("lyapunov", (V * np.sqrt(lam)) @ V.T))
    vals, vecs = np.linalg.eig(F1)
    if np.linalg.cond(vecs) < 1e8 and not np.allclose(F1, F1.T):
        # Real modal basis: columns Re v, Im v of each complex pair; F1 becomes block-normal.
        cols, used = [], np.zeros(s, bool)
        for i in np.argsort(-vals.imag):
            if used[i]:
                continue
            used[i] = True
            if abs(vals[i].imag) > 1e-12:
                j = int(np.argmin(np.abs(vals - vals[i].conj()) + used * 1e300))
                used[j] = True
                cols += [vecs[:, i].real, vecs[:, i].imag]
            else:
                cols.append(vecs[:, i].real)
        basis = np.column_stack(cols)
        if np.linalg.cond(basis) < 1e8:
            out.append(("modal", np.linalg.inv(basis)))
    return out


def _certificate(
    problem: PolynomialODE, name: str, S: np.ndarray, c: float, T: float
) -> LyapunovCertificate:
    F1 = problem.F1.toarray() - c * np.eye(problem.size)
    S_inv = np.linalg.inv(S)
    F1w = S @ F1 @ S_inv
    mu = float(np.linalg.eigvalsh(0.5 * (F1w + F1w.T))[-1])
    s = problem.size
    if problem.F2.nnz == 0:
        F2w = np.zeros((1, 1))
    elif name == "identity":
        F2w = problem.F2
    else:  # S F2 (S^-1 (x) S^-1) through the (s, s, s) tensor, never the s^2 x s^2 Kronecker
        F2t = problem.F2.toarray().reshape(s, s, s)
        F2w = np.einsum("ia,abc,bj,ck->ijk", S, F2t, S_inv, S_inv, optimize=True).reshape(s, -1)
    n2 = spectral_norm(F2w) * float(np.exp(c * T))
    n0 = max_forcing_norm(problem.F0 @ S.T)
    nu = float(np.linalg.norm(S @ problem.u_in))
    if mu >= 0 or nu == 0:
        ratio = float("inf") if (mu >= 0 or n0 > 0) else 0.0
    else:
        ratio = (nu * n2 + n0 / nu) / abs(mu)
    return LyapunovCertificate(
        metric=name,
        S=S,
        c=c,
        mu=mu,
        ratio=ratio,
        norm_F0=n0,
        norm_F2=n2,
        norm_u_in=nu,
        inverse_norm=float(np.linalg.norm(S_inv, 2)),
        T=T,
    )


def lyapunov_certificate(
    problem: PolynomialODE, T: float, c: float = 0.0, level: int = 2
) -> LyapunovCertificate:
    """The metric with the smallest certified Lemma-1 bound at level ``level`` for shift ``c``.

    Parameters
    ----------
    problem : PolynomialODE
        Dense-size window (the metric is a dense ``s x s`` matrix).
    T : float
        Window length.
    c : float
        Shift rate (``>= 0``); the certificate is for :math:`F_1 - cI`.
    level : int
        Carleman level whose bound selects the metric.
    """
    T = check_horizon(T)
    if not np.isfinite(c) or c < 0:
        raise ValueError(f"c must be a finite non-negative shift; got {c}")
    F1 = problem.F1.toarray() - c * np.eye(problem.size)
    best = None
    for name, S in _metric_candidates(F1):
        cert = _certificate(problem, name, S, c, T)
        key = (cert.truncation_bound(level), cert.ratio)
        if best is None or key < best[0]:
            best = (key, cert)
    return best[1]


# ----------------------------------------------------------------------------------------------
# Classification


@dataclass(frozen=True)
class WindowClass:
    """Classification of one window (:func:`classify_window`).

    Attributes
    ----------
    kind : str
        ``"dissipative"`` (R < 1), ``"almost-dissipative"`` (a finite shift gives
        :math:`R_c < 1`, at a penalty), or ``"divergent"``.
    R : float
        The PNAS ratio of the window as given.
    shift : Shift
        The smallest shift (``c = 0`` for a dissipative window).
    certificate : LyapunovCertificate or None
        The best metric for that shift (``None`` when the shift is infinite); above
        :data:`DENSE_METRIC_LIMIT` weights only the identity metric (plain log-norm) is tried.
    """

    kind: str
    R: float
    shift: Shift
    certificate: LyapunovCertificate | None

    @property
    def penalty(self) -> float:
        """:math:`e^{cT}` on :math:`q` and on the query count (1 when dissipative)."""
        return self.shift.penalty

    @property
    def certified(self) -> bool:
        """The Lyapunov metric certifies the shifted window (:math:`R_P < 1`)."""
        return self.certificate is not None and self.certificate.is_certified

    def summary(self) -> str:
        """One line: kind, R, c, R_c, penalty, certificate."""
        cert = (
            f", {self.certificate.metric} metric R_P = {self.certificate.ratio:.3g}"
            if self.certificate is not None
            else ""
        )
        return (
            f"{self.kind}: R = {self.R:.3g}, c = {self.shift.c:.3g}, "
            f"R_c = {self.shift.ratio:.3g}, penalty e^(cT) = {self.penalty:.3g}{cert}"
        )


DENSE_METRIC_LIMIT = 60
"""Largest support for which the dense metrics (and the (s, s, s) tensor of F2) are computed."""


def _kind(R: float, shift: Shift) -> tuple[str, Shift]:
    if R < 1:
        return "dissipative", Shift(c=0.0, T=shift.T, re_lambda1=shift.re_lambda1, ratio=R)
    return ("almost-dissipative" if shift.is_finite else "divergent"), shift


def classify_from_norms(
    re_lambda1: float,
    norm_F0: float,
    norm_F2: float,
    norm_u_in: float,
    T: float,
    target: float = DEFAULT_TARGET,
) -> WindowClass:
    """:func:`classify_window` from the four scalars alone, without a certificate.

    For a window whose :math:`F_1` is never formed (matrix-free): kind, R and the shift follow
    from :math:`\\mathrm{Re}\\,\\lambda_1` and the norms; ``certificate`` is ``None``.
    """
    R = dissipation_ratio_from_norms(re_lambda1, norm_F0, norm_F2, norm_u_in)
    shift = shift_from_norms(re_lambda1, norm_F0, norm_F2, norm_u_in, T, target)
    kind, shift = _kind(R, shift)
    return WindowClass(kind=kind, R=R, shift=shift, certificate=None)


def classify_window(
    problem: PolynomialODE,
    T: float,
    target: float = DEFAULT_TARGET,
    level: int = 2,
    info: Dissipation | None = None,
) -> WindowClass:
    """Dissipative / almost-dissipative / divergent, with the numbers (module docstring).

    ``info``: ``dissipation(problem)`` when the caller already has it (saves the eigenvalues).
    """
    T = check_horizon(T)
    info = dissipation(problem) if info is None else info
    kind, shift = _kind(info.R, minimal_shift(problem, T, target, info))
    R = info.R
    cert = None
    if shift.is_finite:
        c = shift.c
        if c <= shift.re_lambda1:  # c = max(0, Re l1) exactly: nudge into the open half-line
            c = shift.re_lambda1 + 1e-12 * max(1.0, abs(shift.re_lambda1))
        if problem.size <= DENSE_METRIC_LIMIT:
            cert = lyapunov_certificate(problem, T, c, level)
        else:  # the plain log-norm only (exact for the symmetric F1 of a QSGD window)
            cert = _certificate(problem, "identity", np.eye(problem.size), c, T)
    return WindowClass(kind=kind, R=R, shift=shift, certificate=cert)


__all__ = [
    "DEFAULT_TARGET",
    "DENSE_METRIC_LIMIT",
    "LyapunovCertificate",
    "Shift",
    "WindowClass",
    "classify_from_norms",
    "classify_window",
    "lyapunov_certificate",
    "minimal_shift",
    "shift_from_norms",
    "shifted_problem",
    "shifted_ratio",
]
