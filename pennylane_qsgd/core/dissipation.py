"""Dissipation of a quadratic ODE: the quantities that decide whether Carleman linearisation converges.

Section 2 of Liu et al., PNAS 118, e2026805118 (2021), arXiv:2011.03185:

.. math::

    R = \\frac{1}{|\\mathrm{Re}\\,\\lambda_1|}
        \\left( \\|u_{\\rm in}\\| \\|F_2\\| + \\frac{\\|F_0\\|}{\\|u_{\\rm in}\\|} \\right),

with :math:`\\lambda_1` the eigenvalue of :math:`F_1` of largest real part (required negative) and
:math:`\\|F_0\\| = \\max_t \\|F_0(t)\\|`. :math:`R < 1` is the regime of the paper's guarantees; it holds
exactly when :math:`\\|u_{\\rm in}\\| \\in (r_-, r_+)`,
:math:`r_\\pm = (|\\mathrm{Re}\\,\\lambda_1| \\pm \\sqrt{|\\mathrm{Re}\\,\\lambda_1|^2 - 4 \\|F_2\\|\\|F_0\\|})
/ (2\\|F_2\\|)`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.core.norms import max_forcing_norm, spectral_norm
from pennylane_qsgd.core.problem import PolynomialODE

# Dense eigen-decomposition up to this size; ARPACK above.
_DENSE_EIG_LIMIT = 1500
# An eigenvector matrix with a condition number above this is treated as non-diagonalisable.
_DIAGONALISABLE_COND = 1e10


class NonDiagonalisableWarning(UserWarning):
    """F1 is (numerically) not diagonalisable, an assumption of the PNAS error analysis."""


def leading_eigenvalue(F1: sp.sparray | np.ndarray, check_diagonalisable: bool = True) -> complex:
    """The eigenvalue :math:`\\lambda_1` of :math:`F_1` with the largest real part.

    Parameters
    ----------
    F1 : sparse or dense matrix, shape (s, s)
    check_diagonalisable : bool
        For dense-size matrices, warn (:class:`NonDiagonalisableWarning`) when the eigenvector
        matrix is numerically singular.

    Returns
    -------
    complex
    """
    s = F1.shape[0]
    if s <= _DENSE_EIG_LIMIT:
        dense = F1.toarray() if sp.issparse(F1) else np.asarray(F1, dtype=np.float64)
        if np.allclose(dense, dense.T):
            return complex(np.linalg.eigvalsh(dense)[-1])
        vals, vecs = np.linalg.eig(dense)
        cond = np.linalg.cond(vecs) if check_diagonalisable else 0.0
        if cond > _DIAGONALISABLE_COND:
            warnings.warn(
                "F1 is numerically not diagonalisable (eigenvector condition number "
                f"{cond:.3g}); the PNAS bounds assume it is",
                NonDiagonalisableWarning,
                stacklevel=2,
            )
        return complex(vals[np.argmax(vals.real)])
    matrix = sp.csr_array(F1, dtype=np.float64)
    symmetric = abs(matrix - matrix.T).max() <= 1e-12 * max(abs(matrix).max(), 1.0)
    if symmetric:
        val = spla.eigsh(matrix, k=1, which="LA", return_eigenvectors=False, tol=1e-10)
    else:
        val = spla.eigs(matrix, k=1, which="LR", return_eigenvectors=False, tol=1e-10)
    return complex(val[0])


@dataclass(frozen=True)
class Dissipation:
    """Dissipation summary of a problem (PNAS section 2).

    Attributes
    ----------
    re_lambda1 : float
        Largest real part of the spectrum of F1 (negative for a dissipative problem).
    norm_F0, norm_F1, norm_F2 : float
        Spectral norms; ``norm_F0`` is the maximum over the forcing pieces.
    norm_u_in : float
    R : float
        The ratio R (``inf`` when ``re_lambda1 >= 0`` or ``u_in == 0 != F0``).
    r_minus, r_plus : float
        The interval of ``||u_in||`` in which ``R < 1`` (``nan`` when it is empty).
    """

    re_lambda1: float
    norm_F0: float
    norm_F1: float
    norm_F2: float
    norm_u_in: float
    R: float
    r_minus: float
    r_plus: float

    @property
    def is_dissipative(self) -> bool:
        """``Re lambda_1 < 0``: the linear part damps every mode."""
        return self.re_lambda1 < 0

    @property
    def is_provable(self) -> bool:
        """``R < 1``: the regime of the PNAS convergence theorem."""
        return bool(self.R < 1)

    @property
    def lemma_gamma_range(self) -> tuple[float, float]:
        """Ends of the interval of rescalings :math:`u = \\gamma v` that meet PNAS Lemmas 1-2.

        :math:`(\\max(\\|u_{\\rm in}\\|, r_-), r_+)`: there :math:`\\|v_{\\rm in}\\| < 1` and
        :math:`\\gamma\\|F_2\\| + \\|F_0\\|/\\gamma < |\\mathrm{Re}\\,\\lambda_1|`. Non-empty
        exactly when ``R < 1``.
        """
        return max(self.norm_u_in, self.r_minus), self.r_plus


def dissipation_ratio_from_norms(
    re_lambda1: float, norm_F0: float, norm_F2: float, norm_u_in: float
) -> float:
    """R from the four scalars it depends on."""
    if re_lambda1 >= 0:
        return float("inf")
    if norm_u_in == 0:
        return 0.0 if norm_F0 == 0 else float("inf")
    return (norm_u_in * norm_F2 + norm_F0 / norm_u_in) / abs(re_lambda1)


def provable_interval(re_lambda1: float, norm_F0: float, norm_F2: float) -> tuple[float, float]:
    """The interval :math:`(r_-, r_+)` of :math:`\\|u_{\\rm in}\\|` for which ``R < 1``.

    Returns ``(nan, nan)`` when no initial norm gives ``R < 1`` (``Re lambda_1 >= 0`` or
    :math:`|\\mathrm{Re}\\,\\lambda_1|^2 \\le 4\\|F_2\\|\\|F_0\\|`).
    """
    a = -re_lambda1
    if a <= 0:
        return float("nan"), float("nan")
    if norm_F2 == 0:
        return norm_F0 / a, float("inf")
    disc = a * a - 4.0 * norm_F2 * norm_F0
    if disc <= 0:
        return float("nan"), float("nan")
    root = np.sqrt(disc)
    # r- from r- r+ = ||F0||/||F2||: the textbook form cancels catastrophically for small ||F2||.
    with np.errstate(over="ignore"):  # a subnormal ||F2|| puts r+ at inf, its limit
        r_plus = (a + root) / (2.0 * norm_F2)
    return float(2.0 * norm_F0 / (a + root)), float(r_plus)


def _leading_eigenvalue_and_norm(F1: sp.sparray | np.ndarray) -> tuple[complex, float]:
    """:math:`(\\lambda_1, \\|F_1\\|)`; one ``eigvalsh`` serves both for a dense-size symmetric F1.

    Every QSGD window has such an F1 (:math:`-\\eta` times a Hessian), where a separate SVD for the
    norm would cost several times the eigenvalues.
    """
    if F1.shape[0] <= _DENSE_EIG_LIMIT:
        dense = F1.toarray() if sp.issparse(F1) else np.asarray(F1, dtype=np.float64)
        if np.allclose(dense, dense.T):
            vals = np.linalg.eigvalsh(dense)
            return complex(vals[-1]), float(max(abs(vals[0]), abs(vals[-1])))
    return leading_eigenvalue(F1), spectral_norm(F1)


def driven_coordinates(problem: PolynomialODE) -> np.ndarray:
    """Mask of the coordinates whose rows of F1 and F2 are zero, shape (s,).

    Such a coordinate obeys :math:`du_i/dt = F_{0,i}(t)`: an input (a held boundary value), not
    a state; each contributes an eigenvalue 0 of :math:`F_1` that damps nothing.
    """
    rows_f1 = np.diff(problem.F1.indptr) > 0
    rows_f2 = np.diff(problem.F2.indptr) > 0
    return ~(rows_f1 | rows_f2)


def dissipation(problem: PolynomialODE, *, exclude_driven: bool = False) -> Dissipation:
    """All dissipation quantities of ``problem`` (spectral norms, Re lambda_1, R, (r-, r+)).

    Parameters
    ----------
    problem : PolynomialODE
    exclude_driven : bool, optional
        Take :math:`\\lambda_1` over the other coordinates only, leaving out the zero modes of
        :func:`driven_coordinates` (the boundary rows of a grid that keeps its Dirichlet points).
        :math:`F_1` is block triangular in (driven, other) order, so this is the spectrum with
        those zeros removed, as ``carleman_burgers.m`` computes R for PNAS Fig. 1. The norms are
        those of the full matrices either way.
    """
    lam, n1 = _leading_eigenvalue_and_norm(problem.F1)
    keep = ~driven_coordinates(problem) if exclude_driven else None
    if keep is not None and not keep.all():
        if not keep.any():
            raise ValueError("every coordinate is driven (F1 and F2 are zero); no lambda_1 left")
        lam = leading_eigenvalue(problem.F1[keep][:, keep])
    n0 = max_forcing_norm(problem.F0)
    n2 = spectral_norm(problem.F2)
    nu = float(np.linalg.norm(problem.u_in))
    r_minus, r_plus = provable_interval(lam.real, n0, n2)
    return Dissipation(
        re_lambda1=lam.real,
        norm_F0=n0,
        norm_F1=n1,
        norm_F2=n2,
        norm_u_in=nu,
        R=dissipation_ratio_from_norms(lam.real, n0, n2, nu),
        r_minus=r_minus,
        r_plus=r_plus,
    )


def dissipation_ratio(problem: PolynomialODE) -> float:
    """The ratio R of PNAS section 2 (``inf`` for a non-dissipative ``F1``)."""
    return dissipation(problem).R


def rescaling_factor(problem: PolynomialODE, target_norm: float = 0.5) -> float:
    """The factor :math:`\\gamma` with :math:`\\|u_{\\rm in}\\|/\\gamma` = ``target_norm``.

    Rescaling :math:`u = \\gamma v` leaves R unchanged and brings the initial state inside the unit
    ball, where the truncation error :math:`\\|v_{\\rm in}\\|^{N+1}` decays with the level N.

    Parameters
    ----------
    problem : PolynomialODE
    target_norm : float
        Desired :math:`\\|v_{\\rm in}\\|`, in (0, 1).

    Returns
    -------
    float
        ``gamma > 0`` (1 when ``u_in == 0``).
    """
    if not 0 < target_norm < 1:
        raise ValueError(f"target_norm must lie in (0, 1); got {target_norm}")
    norm = float(np.linalg.norm(problem.u_in))
    return norm / target_norm if norm > 0 else 1.0


def lemma_rescaling_factor(problem: PolynomialODE) -> float:
    """The factor :math:`\\gamma` that puts ``problem`` in the normalisation of PNAS Lemmas 1 and 2.

    Those lemmas are proved for a problem rescaled (:math:`u = \\gamma v`) so that
    :math:`\\|v_{\\rm in}\\| < 1` and :math:`\\gamma\\|F_2\\| + \\|F_0\\|/\\gamma <
    |\\mathrm{Re}\\,\\lambda_1|`, i.e. :math:`\\gamma \\in (\\max(\\|u_{\\rm in}\\|, r_-), r_+)`,
    an interval that is non-empty exactly when ``R < 1``. Evaluated on a problem outside that
    normalisation the lemmas' formulas are not bounds. This returns the geometric mean of the
    interval's ends (twice its lower end when :math:`r_+ = \\infty`, 1 for a zero problem).

    Raises
    ------
    ValueError
        When ``R >= 1``: no rescaling brings the problem into the lemmas' hypotheses.
    """
    info = dissipation(problem)
    if not info.is_provable:
        raise ValueError(
            f"R = {info.R:.4g} >= 1: no rescaling satisfies the hypotheses of PNAS Lemmas 1-2"
        )
    low, high = info.lemma_gamma_range
    if not np.isfinite(high):
        return 2.0 * low if low > 0 else 1.0
    return float(np.sqrt(low * high))


def rescale_to_unit_ball(
    problem: PolynomialODE, target_norm: float = 0.5
) -> tuple[PolynomialODE, float]:
    """The rescaled problem for :math:`v = u/\\gamma` and the factor :math:`\\gamma` used."""
    gamma = rescaling_factor(problem, target_norm)
    return problem.rescaled(gamma), gamma
