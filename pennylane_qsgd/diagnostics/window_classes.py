"""Window classes along a fine-tuning run: dissipative, almost dissipative (at what price), divergent.

The ``qsgd spectrum`` job measures the Hessian on the support at every few steps; this module turns
each measurement into the class of the order-1 QSGD window of :data:`CLASSIFY_WINDOW` steps that
would start there (:mod:`pennylane_qsgd.core.almost_dissipative`), two ways:

* :func:`classifying_hook` (the small MLP): the window's flow
  :math:`du/dt = -\\eta(g + H(u - \\bar\\theta))` on at most ``max_support`` weights, formed
  exactly, then :func:`~pennylane_qsgd.core.almost_dissipative.classify_window` (shift, Lyapunov
  certificate) and whether LCHS applies to it as it is (:math:`\\lambda_{\\min}(H) \\ge 0`);
* :func:`norms_hook` + :func:`classify_records` (any model): the gradient norm and the weight
  norm on the support at the measurement, and the record's extreme eigenvalues, into
  :func:`~pennylane_qsgd.core.almost_dissipative.classify_from_norms` with
  :math:`\\mathrm{Re}\\,\\lambda_1 = -\\eta\\lambda_{\\min}` and the upper bound
  :math:`\\|F_0\\| \\le \\eta(\\|g\\| + \\max|\\lambda|\\,\\|\\bar\\theta\\|)` (R grows with
  :math:`\\|F_0\\|`, so the class is conservative). Certified only with exact eigenvalues (SLQ's
  Ritz values are estimates, not bounds).

:func:`class_summary` condenses the records into the fractions and penalties of the job's JSON.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pennylane_qsgd.core.almost_dissipative import (
    WindowClass,
    classify_from_norms,
    classify_window,
)
from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.diagnostics.dissipation import DissipationRecord, RatioHook
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import build_problem, gradient_on_support, taylor_coefficients

CLASSIFY_WINDOW = 10
"""Window length T (gradient steps) of the classified windows: QSGD's default ``window``."""

CLASSES = ("dissipative", "almost-dissipative", "divergent")


def class_fields(wc: WindowClass, certified: bool | None = None) -> dict[str, Any]:
    """The class, the shift, its penalty :math:`e^{cT}` and the shifted ratio, JSON-ready."""

    def num(x: float) -> float | str:
        return float(x) if math.isfinite(x) else str(float(x))

    return {
        "window_class": wc.kind,
        "shift_c": num(wc.shift.c),
        "shift_penalty": num(wc.penalty),
        "shifted_R": num(wc.shift.ratio),
        "certified": bool(wc.certified if certified is None else certified),
    }


def classifying_hook(max_support: int = 256, T: int = CLASSIFY_WINDOW) -> RatioHook:
    """A ``ratio_hook``: R of the window flow and its class (module docstring, first way)."""

    def hook(module, loss_fn, batch, support, lr):
        window = support
        if support.size > max_support:
            window = Support.top_k(module, max_support, within=support)
        coeffs = taylor_coefficients(module, loss_fn, batch, window, order=1)
        problem = build_problem(coeffs, lr)
        info = dissipation(problem)
        wc = classify_window(problem, float(T), info=info)
        lam_min = float(np.linalg.eigvalsh(coeffs.H)[0])
        return info.R, {
            "window_support": window.size,
            "re_lambda1": info.re_lambda1,
            "class_source": "exact window",
            "lchs_applies": lam_min >= 0,
            **class_fields(wc),
        }

    return hook


def norms_hook() -> RatioHook:
    """A ``ratio_hook`` recording :math:`\\|g\\|` and :math:`\\|\\bar\\theta\\|` on the support (R
    is left ``nan`` here and filled in by :func:`classify_records`)."""

    def hook(module, loss_fn, batch, support, lr):
        g = gradient_on_support(module, loss_fn, batch, support)
        theta = support.gather(module).double()
        return float("nan"), {
            "grad_norm": float(g.norm()),
            "weight_norm": float(theta.norm()),
        }

    return hook


def classify_records(records: list[DissipationRecord], T: int = CLASSIFY_WINDOW) -> None:
    """Fill class and R into records that carry ``grad_norm`` (module docstring, second way)."""
    for r in records:
        if "grad_norm" not in r.extra or "window_class" in r.extra:
            continue
        lam_abs = max(abs(r.lambda_min), abs(r.lambda_max))
        norm_u = r.extra["weight_norm"]
        norm_F0 = r.lr * (r.extra["grad_norm"] + lam_abs * norm_u)
        wc = classify_from_norms(-r.lr * r.lambda_min, norm_F0, 0.0, norm_u, float(T))
        r.dissipation_ratio = float(wc.R)
        exact = r.method == "exact"
        r.extra.update(
            class_source="norms (extreme eigenvalues, ||g||, ||theta||)",
            lchs_applies=bool(exact and r.lambda_min >= 0),
            **class_fields(wc, certified=exact and wc.kind != "divergent"),
        )


def class_summary(records: list[DissipationRecord], T: int = CLASSIFY_WINDOW) -> dict[str, Any]:
    """Fractions of windows per class, certified and LCHS-ready, and the shift penalties.

    ``penalty_median``/``penalty_max``: :math:`e^{cT}` over the almost-dissipative windows (the
    factor on :math:`q` and on the amplification rounds), ``None`` when there is none.
    """
    rows = [r.extra for r in records if "window_class" in r.extra]
    if not rows:
        return {"window": T, "classified": 0}
    n = len(rows)
    out: dict[str, Any] = {"window": T, "classified": n, "source": rows[0]["class_source"]}
    for kind in CLASSES:
        out[kind] = sum(x["window_class"] == kind for x in rows) / n
    out["certified"] = sum(bool(x["certified"]) for x in rows) / n
    out["lchs_applies"] = sum(bool(x["lchs_applies"]) for x in rows) / n
    penalties = [
        float(x["shift_penalty"]) for x in rows if x["window_class"] == "almost-dissipative"
    ]
    out["penalty_median"] = float(np.median(penalties)) if penalties else None
    out["penalty_max"] = float(np.max(penalties)) if penalties else None
    return out


def format_class_summary(summary: dict[str, Any]) -> str:
    """One line for the job's printout."""
    if not summary.get("classified"):
        return "window classes: none classified"
    pen = summary["penalty_median"]
    pen_txt = "" if pen is None else f", shift penalty e^(cT) median {pen:.3g} max "
    pen_txt += "" if pen is None else f"{summary['penalty_max']:.3g}"
    return (
        f"window classes (T = {summary['window']}, {summary['source']}): "
        f"dissipative {100 * summary['dissipative']:.0f}%, almost dissipative "
        f"{100 * summary['almost-dissipative']:.0f}%, divergent {100 * summary['divergent']:.0f}%; "
        f"certified {100 * summary['certified']:.0f}%, LCHS as is {100 * summary['lchs_applies']:.0f}%"
        + pen_txt
    )


__all__ = [
    "CLASSES",
    "CLASSIFY_WINDOW",
    "class_fields",
    "class_summary",
    "classify_records",
    "classifying_hook",
    "format_class_summary",
    "norms_hook",
]
