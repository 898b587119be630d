"""Sign and scale of a downloaded vector: the reference coordinate and the known-norm path.

A solver returns the normalised state :math:`|u(T)\\rangle = u(T)/\\|u(T)\\|`; tomography recovers
that direction (:mod:`pennylane_qsgd.circuits.tomography`), not the vector. Two ways to get the
vector back (the download of the weights):

(a) **Reference coordinate.** Append a coordinate :math:`u_0` with :math:`du_0/dt = -a u_0`
    (:math:`a = 0` by default, so :math:`u_0` stays equal to the chosen value :math:`c`). The solver
    then prepares :math:`(u_0(T), u(T)) / \\sqrt{u_0(T)^2 + \\|u(T)\\|^2}` and

    .. math::

        u(T) = u_0(T) \\, \\frac{\\psi_{1:}}{\\psi_0}, \\qquad u_0(T) = c\\, e^{-a T},

    which is invariant under :math:`\\psi \\to -\\psi`: sign and scale come for free. To first
    order in the tomography error :math:`\\epsilon = \\|\\hat\\psi - \\psi\\|`, the relative error of
    :math:`u` is at most :math:`\\epsilon (u_0^2 + \\|u\\|^2)/(|u_0| \\|u\\|)` (see
    :func:`reference_error_gain`), smallest (:math:`2\\epsilon`) for :math:`|u_0(T)| = \\|u(T)\\|`:
    choose :math:`c` near the expected :math:`\\|u(T)\\|` (:math:`\\|u_{\\rm in}\\|` is a good guess for
    a dissipative window).

(b) **Known norm.** When :math:`\\|u(T)\\|` is known by other means (a conserved quantity, a
    classical estimate, or the post-selection probability when the solver's normalisation is
    known), :func:`rescale_to_norm` scales the direction; the global sign is then the one fixed by
    the tomography's sign convention (use ``global_sign="measured"`` to keep the prepared phase).

The extra coordinate leaves the Carleman system of the original variables unchanged: the new row of
:math:`F_1` is :math:`-a e_0`, and :math:`F_0, F_2` vanish on every row and column that involves
:math:`u_0`, so the entries of :math:`y_j = w^{\\otimes j}` built only from :math:`u` form a closed
subsystem equal to the original Carleman system (same truncation error, PNAS Lemma 1). Two
quantities do change and should be computed on the **original** problem: with :math:`a = 0` the
augmented :math:`F_1` has the eigenvalue 0 (not dissipative in the sense of arXiv:2011.03185, section
2; pick :math:`0 < a \\le |\\mathrm{Re}\\,\\lambda_1|` to keep :math:`\\lambda_1`), and
:math:`\\|w_{\\rm in}\\| = \\sqrt{c^2 + \\|u_{\\rm in}\\|^2}` enters :math:`R` and the error bounds.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.problem import PolynomialODE


def _positive_finite(value: object, name: str, allow_zero: bool = False) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number; got {value!r}") from None
    if not np.isfinite(out) or out < 0 or (out == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {bound} finite number; got {value!r}")
    return out


def _nonzero_finite(value: object, name: str) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number; got {value!r}") from None
    if not np.isfinite(out) or out == 0:
        raise ValueError(f"{name} must be a non-zero finite number; got {value!r}")
    return out


def with_reference_coordinate(
    problem: PolynomialODE, value: float, decay: float = 0.0
) -> PolynomialODE:
    """The ODE for :math:`w = (u_0, u)` with a reference coordinate :math:`u_0` in position 0.

    .. math::

        \\frac{du_0}{dt} = -a u_0, \\quad u_0(0) = c; \\qquad
        \\frac{du}{dt} = F_0(t) + F_1 u + F_2 (u \\otimes u).

    Parameters
    ----------
    problem : PolynomialODE
        The original equation, ``s`` variables.
    value : float
        :math:`c \\ne 0`, the initial value of the reference coordinate (same unit as :math:`u`).
    decay : float, optional
        :math:`a \\ge 0` (1/time). With the default 0 the coordinate is constant; a positive value
        keeps the augmented :math:`F_1` dissipative, and :math:`u_0(T) = c e^{-aT}`
        (:func:`reference_value`).

    Returns
    -------
    PolynomialODE
        ``s + 1`` variables: ``F0`` of shape (K, s+1) with a zero column 0, ``F1`` of shape
        (s+1, s+1) block-diagonal ``diag(-a, F1)``, ``F2`` of shape (s+1, (s+1)**2) with entry
        ``(i, a*s + b)`` moved to ``(i+1, (a+1)*(s+1) + (b+1))`` (row-major ``np.kron`` order), and
        ``u_in = (c, u_in)``. The forcing times are kept.

    Examples
    --------
    >>> from pennylane_qsgd.core.examples import logistic_problem
    >>> augmented = with_reference_coordinate(logistic_problem(), value=0.5)
    >>> augmented.size, augmented.u_in.tolist()
    (2, [0.5, 0.5])
    """
    if not isinstance(problem, PolynomialODE):
        raise TypeError(f"problem must be a PolynomialODE; got {type(problem).__name__}")
    c = _nonzero_finite(value, "value")
    a = _positive_finite(decay, "decay", allow_zero=True)
    s = problem.size
    t = s + 1

    F0 = np.zeros((problem.F0.shape[0], t))
    F0[:, 1:] = problem.F0

    F1 = sp.block_diag([sp.csr_array([[-a]]), problem.F1], format="csr")

    F2 = problem.F2.tocoo()
    left, right = np.divmod(F2.col.astype(np.int64), s)
    cols = (left + 1) * t + (right + 1)
    F2_aug = sp.csr_array((F2.data, (F2.row.astype(np.int64) + 1, cols)), shape=(t, t * t))

    u_in = np.concatenate([[c], problem.u_in])
    times = problem.forcing_times if problem.is_time_dependent else None
    return PolynomialODE(F0, F1, F2_aug, u_in, times)


def reference_value(value: float, T: float, decay: float = 0.0) -> float:
    """The reference coordinate at time ``T``: :math:`u_0(T) = c e^{-aT}`.

    Parameters
    ----------
    value : float
        :math:`c`, as passed to :func:`with_reference_coordinate`.
    T : float
        Final time, ``>= 0``.
    decay : float, optional
        :math:`a`, as passed to :func:`with_reference_coordinate`.
    """
    c = _nonzero_finite(value, "value")
    T = _positive_finite(T, "T", allow_zero=True)
    a = _positive_finite(decay, "decay", allow_zero=True)
    return c * float(np.exp(-a * T))


def from_reference_coordinate(vector: np.ndarray, value: float) -> np.ndarray:
    """Recover :math:`u = u_0 \\psi_{1:}/\\psi_0` from a state whose coordinate 0 is the reference.

    Parameters
    ----------
    vector : array_like, shape (s+1,)
        Any non-zero multiple of :math:`(u_0, u)`: the normalised state, its tomography estimate,
        or either with the opposite sign.
    value : float
        The value of the reference coordinate at the time the state describes
        (:func:`reference_value`; ``c`` itself when the coordinate is constant).

    Returns
    -------
    numpy.ndarray, shape (s,)

    Raises
    ------
    ValueError
        If ``vector`` is not a finite 1-D array of length >= 2, or ``vector[0] == 0`` (the
        reference amplitude was not resolved: raise the shots or move ``value`` towards
        :math:`\\|u\\|`).
    """
    vec = np.asarray(vector, dtype=np.float64)
    if vec.ndim != 1 or vec.size < 2:
        raise ValueError(f"vector must be 1-D with at least 2 entries; got shape {vec.shape}")
    if not np.all(np.isfinite(vec)):
        raise ValueError("vector contains NaN or Inf entries")
    c = _nonzero_finite(value, "value")
    if vec[0] == 0.0:
        raise ValueError(
            "vector[0] (the reference coordinate) is 0; the reference amplitude was not resolved"
        )
    return c * vec[1:] / vec[0]


def reference_error_gain(value: float, norm: float) -> float:
    """First-order amplification of the tomography error by :func:`from_reference_coordinate`.

    For :math:`\\psi = (u_0, u)/N`, :math:`N = \\sqrt{u_0^2 + \\|u\\|^2}`, and an estimate with
    :math:`\\|\\hat\\psi - \\psi\\| = \\epsilon`,
    :math:`\\hat u - u = N(\\delta\\psi_{1:} - (u/u_0)\\,\\delta\\psi_0) + O(\\epsilon^2)`, whose norm is at most
    :math:`\\epsilon N^2/|u_0|`. Relative to :math:`\\|u\\|`:

    .. math::

        \\frac{\\|\\hat u - u\\|}{\\|u\\|} \\le \\epsilon\\, \\frac{u_0^2 + \\|u\\|^2}{|u_0|\\,\\|u\\|},

    minimal (:math:`2\\epsilon`) at :math:`|u_0| = \\|u\\|`.

    Parameters
    ----------
    value : float
        :math:`u_0` at the time the state describes.
    norm : float
        :math:`\\|u\\| > 0` at that time.
    """
    c = abs(_nonzero_finite(value, "value"))
    r = _positive_finite(norm, "norm")
    return (c * c + r * r) / (c * r)


def rescale_to_norm(direction: np.ndarray, norm: float) -> np.ndarray:
    """The known-norm path: :math:`u = \\|u\\|\\, \\hat\\psi / \\|\\hat\\psi\\|`.

    Parameters
    ----------
    direction : array_like, shape (s,)
        A non-zero estimate of the direction (e.g. ``TomographyResult.estimate``); its global sign
        is kept.
    norm : float
        :math:`\\|u\\| \\ge 0`, known by other means.

    Returns
    -------
    numpy.ndarray, shape (s,)
    """
    vec = np.asarray(direction, dtype=np.float64)
    if vec.ndim != 1 or vec.size == 0:
        raise ValueError(f"direction must be a non-empty 1-D array; got shape {vec.shape}")
    if not np.all(np.isfinite(vec)):
        raise ValueError("direction contains NaN or Inf entries")
    length = float(np.linalg.norm(vec))
    if length == 0.0:
        raise ValueError("direction is the zero vector")
    r = _positive_finite(norm, "norm", allow_zero=True)
    return r * vec / length


__all__ = [
    "from_reference_coordinate",
    "reference_error_gain",
    "reference_value",
    "rescale_to_norm",
    "with_reference_coordinate",
]
