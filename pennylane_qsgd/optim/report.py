"""The per-window report of :class:`~pennylane_qsgd.optim.qsgd.QSGD`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

__all__ = ["NON_FINITE_REASONS", "WindowReport"]

NON_FINITE_REASONS = {
    "R": (
        "the window's flow is not dissipative (Re lambda_1 >= 0), so R is unbounded "
        "(nan: not computed, a low-rank order-2 window never forms F2); window_class and "
        "shift_penalty say whether a shift u = e^{ct} v makes it so, and its price"
    ),
    "shift_c": "inf: divergent (no shift c gives R_c below the target); nan: not classified",
    "shift_penalty": "inf: divergent, or e^{cT} beyond float range; nan: not classified",
    "shifted_R": "inf: divergent (no finite shift); nan: not classified",
    "kappa": "no linear system was solved (classical or matrix-free window)",
    "kappa_bound": "no linear system was solved (classical window)",
    "success_probability": "no linear system was solved (classical window)",
}
"""Why a field of a report can be ``inf`` or ``nan``; :meth:`WindowReport.to_dict` writes it."""


@dataclass(frozen=True)
class WindowReport:
    """What one ``QSGD.step`` did, measured beside the bounds it is supposed to respect.

    Attributes
    ----------
    window : int
        Index of the window (0-based, over the optimizer's lifetime).
    group : int
        Parameter group index.
    steps : int
        Gradient steps the window advanced (its length ``T``).
    action : str
        ``"quantum"`` (solved on qsgd.sim), ``"quantum-nondissipative"`` (solved although
        ``Re lambda_1 >= 0``), or ``"classical"`` (fallback to ``T`` plain gradient steps).
    support_size : int
        ``s``, the number of weights updated.
    order, carleman_level : int
        Taylor order of the gradient model (1 or 2) and Carleman truncation level N.
    loss : float
        Loss at the window start (closure value, before the window).
    R : float
        Dissipation ratio of the window's flow (PNAS section 2); ``inf`` if not dissipative.
    re_lambda1 : float
        Largest real part of the spectrum of F1 (1/step).
    lambda_min : float or None
        Smallest Hessian eigenvalue on S (None when the Hessian is matrix-free).
    negative_fraction : float or None
        Fraction of negative Hessian eigenvalues on S.
    euler_steps, idle_steps : int
        ``m`` and ``p`` of the Euler system.
    truncation_bound, euler_bound : float or None
        PNAS Lemma 1 and Lemma 2 bounds for the window, in the units of the weights (the lemmas
        evaluated after rescaling into their hypotheses); None when ``R >= 1``.
    taylor_model_error : float or None
        :math:`\\|u_{\\rm Euler}(T) - u_{\\rm ODE}(T)\\|` of the Taylor-model flow, measured with
        scipy (None for large s).
    kappa, kappa_bound : float
        Condition number used by the solver and Lemma 3's bound.
    success_probability : float
        Probability of the success event of one solver run.
    amplification_rounds : int
    shots : int
        Download shots (0 when analytic).
    solver_calls : float
        Expected solver runs behind those shots.
    download_error : float
        Distance of the downloaded weights to the solver's exact output.
    qubits, polynomial_degree : int
        Logical qubits and block-encoding calls per solver run.
    encoding : str
        Block encoding of :math:`L` the solver used (``"none"`` when no circuit ran).
    order2_route : str
        How an order-2 window was solved: ``"dense"`` (Taylor tensors and the Carleman matrix)
        or ``"lowrank"`` (third-derivative products, level-2 block kept low rank); ``"none"`` for
        order 1 and classical windows.
    level2_discarded : float
        Low-rank route: Frobenius norm of the level-2 block dropped over the window (summed over
        the Euler steps, in weight units squared); 0 otherwise.
    level2_rank : int
        Low-rank route: largest rank of the level-2 block over the window; 0 otherwise.
    solver_route : str
        ``"euler"`` (forward Euler and a linear solver) or ``"lchs"`` (linear combination of
        Hamiltonian simulation, :mod:`~pennylane_qsgd.optim.lchs_window`).
    lchs_log_norm : float or None
        Where ``route="lchs"`` was asked: :math:`\\lambda_{\\max}` of the Hermitian part of the
        rescaled Carleman matrix (1/step). LCHS applies when it is :math:`\\le 0`; otherwise the
        window ran on the Euler route. None when not checked.
    lchs_shift : float
        LCHS route: the shift :math:`c = \\mu(A)` of a window with a positive log-norm (LCHS of
        :math:`A - cI`, success probability times :math:`e^{-2cT}`); 0 otherwise.
    wall_time : float
        Seconds spent in the window.
    window_class : str
        ``"dissipative"`` (R < 1), ``"almost-dissipative"`` (a shift :math:`u = e^{ct}v` gives
        :math:`R_c < 1`), ``"divergent"`` (no shift does), or ``"unclassified"``
        (:func:`~pennylane_qsgd.core.almost_dissipative.classify_window`).
    shift_c : float
        Smallest shift rate c (1/step); 0 for a dissipative window, ``inf`` for a divergent one.
    shift_penalty : float
        :math:`e^{cT}`: the factor on :math:`q` and on the amplification rounds (1 when
        dissipative).
    shifted_R : float
        :math:`R_c`, the ratio after the shift (R itself for a dissipative window).
    certified : bool
        A Lyapunov metric certifies the (shifted) window, :math:`R_P < 1`; always False for a
        matrix-free window, whose Lanczos estimate of :math:`\\mathrm{Re}\\,\\lambda_1` is
        not a bound.
    """

    window: int
    group: int
    steps: int
    action: str
    support_size: int
    order: int
    carleman_level: int
    loss: float
    R: float
    re_lambda1: float
    lambda_min: float | None
    negative_fraction: float | None
    euler_steps: int
    idle_steps: int
    truncation_bound: float | None
    euler_bound: float | None
    taylor_model_error: float | None
    kappa: float
    kappa_bound: float
    success_probability: float
    amplification_rounds: int
    shots: int
    solver_calls: float
    download_error: float
    qubits: int
    polynomial_degree: int
    wall_time: float
    encoding: str = "none"
    window_class: str = "unclassified"
    shift_c: float = float("nan")
    shift_penalty: float = float("nan")
    shifted_R: float = float("nan")
    certified: bool = False
    order2_route: str = "none"
    level2_discarded: float = 0.0
    level2_rank: int = 0
    solver_route: str = "euler"
    lchs_log_norm: float | None = None
    lchs_shift: float = 0.0

    def to_dict(self) -> dict:
        """A dictionary that is strict JSON (``json.dumps(..., allow_nan=False)`` accepts it).

        A non-finite float becomes ``None``, and ``"non_finite"`` maps that field to its value
        and the reason, e.g. ``{"R": "inf: the window's flow is not dissipative ..."}``.
        """
        out = asdict(self)
        why = {}
        for name, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                reason = NON_FINITE_REASONS.get(name, "not a finite number")
                why[name] = f"{value}: {reason}"
                out[name] = None
        out["non_finite"] = why
        return out

    @classmethod
    def from_dict(cls, data: dict) -> WindowReport:
        """Inverse of :meth:`to_dict` (non-finite values restored from ``"non_finite"``)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for name, text in (data.get("non_finite") or {}).items():
            if name in names:
                values[name] = float(str(text).split(":", 1)[0])
        return cls(**values)
