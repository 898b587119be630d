"""Error, conditioning and success-probability bounds of the Carleman-Euler algorithm.

Each function states the lemma it evaluates, from Liu, Kolden, Krovi, Loureiro, Trivisa and Childs,
"Efficient quantum algorithm for dissipative nonlinear differential equations", PNAS 118,
e2026805118 (2021), arXiv:2011.03185. The lemmas assume the problem is dissipative (``R < 1``,
see ``pennylane_qsgd.core.dissipation``) and, for the Euler lemmas, the step-size condition
:math:`h \\le 1/(N \\|F_1\\|)`. Norms are spectral norms; :math:`\\|F_0\\|` is the largest norm over
the pieces of a piecewise-constant forcing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.dissipation import Dissipation, dissipation
from pennylane_qsgd.core.norms import max_forcing_norm, spectral_norm
from pennylane_qsgd.core.problem import PolynomialODE


class StepSizeWarning(UserWarning):
    """The Euler step exceeds :math:`1/(N\\|F_1\\|)`, outside the hypotheses of Lemmas 2 and 3."""


def forcing_norm(problem: PolynomialODE) -> float:
    """:math:`\\|F_0\\| = \\max_t \\|F_0(t)\\|`, the largest Euclidean norm over forcing pieces."""
    return max_forcing_norm(problem.F0)


def _check_time(t: object, name: str) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number; got {t!r}")
    t = float(t)
    if not np.isfinite(t) or t < 0:
        raise ValueError(f"{name} must be a finite non-negative time; got {t}")
    return t


def truncation_error_bound(problem: PolynomialODE, level: int, t: float) -> float:
    """Carleman truncation error bound of Lemma 1 (arXiv:2011.03185).

    .. math:: \\|u^{\\otimes j}(t) - y_j(t)\\| \\le \\|\\eta(t)\\| \\le t\\, N \\|F_2\\|\\,
              \\|u_{\\rm in}\\|^{N+1}, \\qquad j = 1..N,

    where :math:`y` solves the level-``N`` Carleman ODE exactly. The formula evaluated on
    ``problem`` as given; it is a bound only inside the lemma's normalisation (``R < 1``,
    :math:`\\|u_{\\rm in}\\| < 1` and :math:`\\|F_2\\| + \\|F_0\\| < |\\mathrm{Re}\\,\\lambda_1|`).
    :func:`lemma_bounds` rescales first and returns a bound in the problem's own units.
    """
    level = as_count(level, "level")
    t = _check_time(t, "t")
    norm_u = float(np.linalg.norm(problem.u_in))
    return t * level * spectral_norm(problem.F2) * norm_u ** (level + 1)


def euler_error_bound(problem: PolynomialODE, level: int, T: float, h: float) -> float:
    """Global forward-Euler error bound of Lemma 2 (arXiv:2011.03185).

    .. math:: \\|y(T) - \\hat y^m\\| \\le 3 N^{2.5}\\, T h \\left[(\\|F_2\\| + \\|F_1\\| +
              \\|F_0\\|)^2 + \\|F_0'\\|\\right]

    between the exact Carleman ODE solution and the Euler iterate, for :math:`h \\le 1/(N\\|F_1\\|)`.
    :math:`\\|F_0\\|` is the maximum over forcing pieces. A piecewise-constant forcing has
    :math:`F_0' = 0` inside each piece, which is what is used here; the jumps between pieces are not
    covered by the lemma (their effect is at most one step of size ``h`` per jump).
    """
    level = as_count(level, "level")
    T = _check_time(T, "T")
    h = _check_time(h, "h")
    total = spectral_norm(problem.F2) + spectral_norm(problem.F1) + forcing_norm(problem)
    derivative = 0.0  # F0 is constant on each piece
    return 3.0 * level**2.5 * T * h * (total**2 + derivative)


@dataclass(frozen=True)
class LemmaBounds:
    """Lemma 1 and 2 bounds in the units of the problem they were asked for.

    Attributes
    ----------
    truncation, euler : float
        Bounds on :math:`\\|u(T) - y_1(T)\\|` (Lemma 1) and on the level-1 part of
        :math:`\\|y(T) - \\hat y^m\\|` (Lemma 2), both in the units of ``u``.
    gamma_truncation, gamma_euler : float
        The rescalings :math:`u = \\gamma v` under which each lemma gives its smallest bound.
    """

    truncation: float
    euler: float
    gamma_truncation: float
    gamma_euler: float


def lemma_bounds(
    problem: PolynomialODE, level: int, T: float, h: float, info: Dissipation | None = None
) -> LemmaBounds | None:
    """Lemmas 1 and 2 (arXiv:2011.03185) as true bounds for ``problem`` in its own units.

    The lemmas hold for every rescaled problem :math:`v = u/\\gamma` with
    :math:`\\|v_{\\rm in}\\| < 1` and :math:`\\gamma\\|F_2\\| + \\|F_0\\|/\\gamma <
    |\\mathrm{Re}\\,\\lambda_1|`, i.e. :math:`\\gamma \\in (\\max(\\|u_{\\rm in}\\|, r_-),
    r_+)` (non-empty exactly when ``R < 1``); an error on ``v`` is :math:`1/\\gamma` times the
    error on ``u``. Every admissible :math:`\\gamma` gives a bound on ``u``, so the infimum over the
    interval does too. In ``u`` units Lemma 1 reads :math:`t N \\|F_2\\| \\|u_{\\rm in}\\|^{N+1}
    \\gamma^{1-N}`, smallest at :math:`\\gamma \\to r_+`; Lemma 2 reads
    :math:`3 N^{2.5} T h\\,(\\gamma\\|F_2\\| + \\|F_1\\| + \\|F_0\\|/\\gamma)^2 \\gamma`, minimised
    numerically. :func:`truncation_error_bound` and :func:`euler_error_bound` evaluate the
    formulas on the problem as given, which bounds nothing outside the normalisation (e.g. the
    logistic equation with :math:`\\|F_2\\| + \\|F_0\\| > |\\mathrm{Re}\\,\\lambda_1|`).

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Carleman truncation level ``N``.
    T, h : float
        Final time and Euler step (time units of the problem).
    info : Dissipation, optional
        ``dissipation(problem)`` when already computed.

    Returns
    -------
    LemmaBounds or None
        ``None`` when ``R >= 1`` (the lemmas do not apply).
    """
    level = as_count(level, "level")
    T, h = _check_time(T, "T"), _check_time(h, "h")
    info = dissipation(problem) if info is None else info
    if not info.is_provable:
        return None
    low, high = info.lemma_gamma_range
    if low == 0:  # u_in = 0 and F0 = 0: u stays 0 and both errors vanish
        return LemmaBounds(0.0, 0.0, 1.0, 1.0)
    a, c, b = info.norm_F2, info.norm_F1, info.norm_F0
    gamma_t = high if np.isfinite(high) else 2.0 * low
    truncation = T * level * a * info.norm_u_in ** (level + 1) * gamma_t ** (1 - level)

    def euler_in_u(log_gamma: float) -> float:
        gamma = float(np.exp(log_gamma))
        return 3.0 * level**2.5 * T * h * (a * gamma + c + b / gamma) ** 2 * gamma

    upper = high if np.isfinite(high) else 1e6 * low
    best = minimize_scalar(euler_in_u, bounds=(np.log(low), np.log(upper)), method="bounded")
    log_gamma_e = min([np.log(low), np.log(upper), float(best.x)], key=euler_in_u)
    return LemmaBounds(
        truncation=truncation,
        euler=euler_in_u(log_gamma_e),
        gamma_truncation=gamma_t,
        gamma_euler=float(np.exp(log_gamma_e)),
    )


def condition_number_bound(steps: int, idle: int) -> float:
    """Condition number bound of Lemma 3 (arXiv:2011.03185): :math:`\\kappa(L) \\le 3(m+p+1)`.

    Holds when :math:`\\|I + hA\\| \\le 1` (dissipative ``A``, ``h <= 1/(N ||F1||)``).
    """
    m = as_count(steps, "steps")
    p = as_count(idle, "idle", minimum=0)
    return 3.0 * (m + p + 1)


def success_probability_bound(steps: int, idle: int, level: int, q: float) -> float:
    """Lower bound of Lemma 5 (arXiv:2011.03185) on the success probability.

    .. math:: P \\ge \\frac{p + 1}{9 (m + p + 1) N q^2}, \\qquad
              q = \\|u_{\\rm in}\\| / \\|u(T)\\|,

    the probability of finding the time register in the idle block and the level register at 1.
    """
    m = as_count(steps, "steps")
    p = as_count(idle, "idle", minimum=0)
    level = as_count(level, "level")
    q = float(q)
    if not np.isfinite(q) or q <= 0:
        raise ValueError(f"q must be a positive finite ratio ||u_in|| / ||u(T)||; got {q}")
    return (p + 1) / (9.0 * (m + p + 1) * level * q**2)


def max_step_size(problem: PolynomialODE, level: int) -> float:
    """Largest Euler step allowed by Lemmas 2 and 3 (arXiv:2011.03185): :math:`1/(N\\|F_1\\|)`.

    ``inf`` when :math:`F_1 = 0`.
    """
    level = as_count(level, "level")
    norm = spectral_norm(problem.F1)
    return np.inf if norm == 0 else 1.0 / (level * norm)


def check_step_size(problem: PolynomialODE, level: int, h: float, stacklevel: int = 2) -> bool:
    """Warn (:class:`StepSizeWarning`) when ``h > 1/(N ||F1||)``; return whether ``h`` is allowed.

    A warning, not an error: Euler may still be stable for a larger step, the bounds of Lemmas 2
    and 3 just no longer apply. ``stacklevel`` is passed to :func:`warnings.warn`.
    """
    limit = max_step_size(problem, level)
    if h > limit:
        warnings.warn(
            f"Euler step h = {h:.6g} exceeds 1/(N ||F1||) = {limit:.6g} (N = {level}, "
            f"||F1|| = {1.0 / (level * limit):.6g}); the error and condition-number bounds of "
            "arXiv:2011.03185 (Lemmas 2, 3) do not hold. Use more steps.",
            StepSizeWarning,
            stacklevel=stacklevel,
        )
        return False
    return True
