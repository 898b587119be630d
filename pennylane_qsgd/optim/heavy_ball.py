"""SGD with momentum (heavy ball, Nesterov) as a quadratic ODE on the state :math:`(\\theta, v)`.

``torch.optim.SGD`` with momentum :math:`\\mu`, dampening :math:`\\tau` and the gradient
:math:`G(\\theta)` (weight decay and the ``maximize`` sign included) updates

.. math::

    v_{k+1} = \\mu v_k + (1 - \\tau) G(\\theta_k), \\qquad
    \\theta_{k+1} = \\theta_k - \\eta\\,\\bigl(v_{k+1}\\ \\text{or, Nesterov,}\\
    G(\\theta_k) + \\mu v_{k+1}\\bigr).

Written as :math:`x_{k+1} = x_k + F(x_k)` for :math:`x = (\\theta, v)` of dimension ``2 s``, ``F`` is
as polynomial as ``G``: with the Taylor model :math:`G(\\theta) = c + L\\theta + Q(\\theta\\otimes
\\theta)` it is the quadratic right-hand side

.. math::

    F_\\theta = -a\\,G(\\theta) - b\\,v, \\qquad F_v = (1 - \\tau)\\,G(\\theta) + (\\mu - 1)\\,v,

with :math:`a = \\eta(1-\\tau),\\ b = \\eta\\mu` (heavy ball) or
:math:`a = \\eta(1 + \\mu(1-\\tau)),\\ b = \\eta\\mu^2` (Nesterov). One Euler step of length 1 of
:math:`dx/dt = F(x)` is one SGD step, so a window with ``euler_steps = window`` reproduces ``T``
steps of ``torch.optim.SGD`` on the Taylor model, and the whole Carleman pipeline applies
unchanged to the ``2 s``-dimensional system.

torch starts a missing buffer with :math:`v_1 = G(\\theta_0)` (no dampening on the first step);
the same first step follows from the formula above with
:math:`v_0 = (\\tau/\\mu)\\,G(\\theta_0)` (:func:`fresh_velocity`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.taylor import TaylorCoefficients, check_lr, constant_terms

__all__ = ["fresh_velocity", "momentum_coefficients", "momentum_problem", "sgd_step"]


def momentum_coefficients(
    lr: float, momentum: float, dampening: float, nesterov: bool
) -> tuple[float, float]:
    """``(a, b)`` of the module docstring: :math:`F_\\theta = -a G - b v`."""
    if nesterov:
        return lr * (1.0 + momentum * (1.0 - dampening)), lr * momentum**2
    return lr * (1.0 - dampening), lr * momentum


def fresh_velocity(gradient: np.ndarray, momentum: float, dampening: float) -> np.ndarray:
    """The state :math:`v_0 = (\\tau/\\mu) G(\\theta_0)` that stands for a missing torch buffer.

    Parameters
    ----------
    gradient : ndarray, shape (k,)
        :math:`G(\\theta_0)` on the entries without a buffer (weight decay included).
    momentum, dampening : float
        :math:`\\mu > 0` and :math:`\\tau`.
    """
    return (dampening / momentum) * np.asarray(gradient, dtype=np.float64)


def sgd_step(
    theta: np.ndarray,
    velocity: np.ndarray | None,
    gradient: np.ndarray,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One step of ``torch.optim.SGD`` on vectors, in the variables of this module.

    Parameters
    ----------
    theta : ndarray, shape (s,)
    velocity : ndarray, shape (s,) or None
        :math:`v_k` (None without momentum).
    gradient : ndarray, shape (s,)
        :math:`G(\\theta_k)`, weight decay and the maximize sign included.

    Returns
    -------
    (theta, velocity)
        :math:`(\\theta_{k+1}, v_{k+1})`.
    """
    if momentum == 0:
        return theta - lr * gradient, None
    velocity = momentum * velocity + (1.0 - dampening) * gradient
    step = gradient + momentum * velocity if nesterov else velocity
    return theta - lr * step, velocity


def momentum_problem(
    coeffs: TaylorCoefficients,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    velocity: np.ndarray,
    forcing: np.ndarray | None = None,
) -> PolynomialODE:
    """The heavy-ball (or Nesterov) flow of the Taylor model, state :math:`x = (\\theta, v)`.

    Parameters
    ----------
    coeffs : TaylorCoefficients
        The model of :math:`G` on S (weight decay included).
    lr, momentum, dampening, nesterov
        As in ``torch.optim.SGD`` (``momentum > 0``).
    velocity : ndarray, shape (s,)
        :math:`v_0` (the momentum buffers on S, or :func:`fresh_velocity`).
    forcing : ndarray, shape (K, s), optional
        Constant terms :math:`c_k` of a stochastic window, one per gradient step (replacing
        ``c``); piece ``k`` acts on ``[k, k+1)``.

    Returns
    -------
    PolynomialODE
        Size ``2 s``, ``u_in = (theta_bar, velocity)``, ``F2`` sparse (only the
        :math:`\\theta \\otimes \\theta` block is non-zero).
    """
    eta = check_lr(lr)
    if not momentum > 0:
        raise ValueError(f"momentum_problem needs momentum > 0; got {momentum}")
    s = coeffs.size
    a, b = momentum_coefficients(eta, momentum, dampening, nesterov)
    shift, lin = constant_terms(coeffs)
    c = coeffs.g + shift
    rows = c[None, :] if forcing is None else np.asarray(forcing, dtype=np.float64)
    F0 = np.concatenate([-a * rows, (1.0 - dampening) * rows], axis=1)
    eye = np.eye(s)
    F1 = np.block([[-a * lin, -b * eye], [(1.0 - dampening) * lin, (momentum - 1.0) * eye]])
    if coeffs.T3 is None:
        F2 = sp.csr_array((2 * s, 4 * s * s))
    else:
        quad = sp.coo_array(0.5 * coeffs.T3.reshape(s, s * s))
        # column b s + c of theta (x) theta is column b (2s) + c of x (x) x (np.kron order)
        cols = (quad.col // s) * (2 * s) + quad.col % s
        F2 = sp.csr_array(
            (
                np.concatenate([-a * quad.data, (1.0 - dampening) * quad.data]),
                (np.concatenate([quad.row, quad.row + s]), np.concatenate([cols, cols])),
            ),
            shape=(2 * s, 4 * s * s),
        )
    u_in = np.concatenate([coeffs.theta_bar, np.asarray(velocity, dtype=np.float64)])
    if forcing is None:
        return PolynomialODE(F0[0], F1, F2, u_in)
    return PolynomialODE(F0, F1, F2, u_in, np.arange(rows.shape[0], dtype=np.float64))
