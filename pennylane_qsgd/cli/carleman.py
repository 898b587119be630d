"""``qsgd carleman``: measured errors of the Euler–Carleman pipeline against the PNAS bounds."""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from pennylane_qsgd.core.bounds import (
    condition_number_bound,
    lemma_bounds,
    max_step_size,
    success_probability_bound,
)
from pennylane_qsgd.core.burgers import (
    BOUNDARY_FORMS,
    FORCING_KINDS,
    FORCING_SAMPLES,
    PNAS_FIG1,
    PNAS_FIG1_STEPS,
    BurgersSetup,
)
from pennylane_qsgd.core.carleman import carleman_dimension
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.conditioning import condition_number
from pennylane_qsgd.core.dissipation import Dissipation, dissipation, rescale_to_unit_ball
from pennylane_qsgd.core.error_curves import ErrorCurve, error_curves, reference_trajectory
from pennylane_qsgd.core.euler import euler_system, solve_euler
from pennylane_qsgd.core.examples import EXAMPLES, load_problem
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode

# The condition number is measured only for systems up to this many unknowns.
KAPPA_LIMIT = 2_000_000
# Default Euler steps never fewer than this, whatever the step-size condition allows.
MIN_STEPS = 100


@dataclass(frozen=True)
class CarlemanRow:
    """One line of the table: level N and each measured quantity beside its PNAS bound."""

    level: int
    dimension: int
    steps: int
    idle: int
    h: float
    R: float
    carleman_error: float
    carleman_bound: float
    euler_error: float
    euler_bound: float
    kappa: float | None
    kappa_bound: float
    success_probability: float
    success_bound: float
    seconds: float


def row_steps(problem: PolynomialODE, level: int, T: float, h: float | None) -> int:
    """Euler steps for step ``h`` (default: the smaller of 1/(N ||F1||) and T/100)."""
    step = min(max_step_size(problem, level), T / MIN_STEPS) if h is None else h
    return max(1, math.ceil(T / step - 1e-12))


def carleman_row(
    problem: PolynomialODE,
    level: int,
    T: float,
    h: float | None,
    idle: int | None,
    *,
    info: Dissipation | None = None,
    exact: np.ndarray | None = None,
) -> CarlemanRow:
    """Measure every error of one truncation level and put it beside its bound.

    ``info`` (``dissipation(problem)``) and ``exact`` (``integrate_ode(problem, T)``) do not
    depend on the level: pass them when measuring several levels of the same problem.
    """
    start = time.perf_counter()
    info = dissipation(problem) if info is None else info
    exact = integrate_ode(problem, T) if exact is None else exact
    steps = row_steps(problem, level, T, h)
    step = T / steps
    idle_steps = steps if idle is None else idle
    s = problem.size
    flow = carleman_flow(problem, level, T)[:s]
    euler = solve_euler(problem, level, T, steps, idle_steps)
    lemmas = lemma_bounds(problem, level, T, step, info)
    kappa = None
    dim = carleman_dimension(s, level)
    if dim * (steps + idle_steps + 1) <= KAPPA_LIMIT:
        L, _ = euler_system(problem, level, T, steps, idle_steps)
        kappa = condition_number(L).kappa
    return CarlemanRow(
        level=level,
        dimension=dim,
        steps=steps,
        idle=idle_steps,
        h=step,
        R=info.R,
        carleman_error=float(np.linalg.norm(flow - exact)),
        carleman_bound=float("nan") if lemmas is None else lemmas.truncation,
        euler_error=float(np.linalg.norm(euler.u_final - flow)),
        euler_bound=float("nan") if lemmas is None else lemmas.euler,
        kappa=kappa,
        kappa_bound=condition_number_bound(steps, idle_steps),
        success_probability=euler.success_probability,
        success_bound=(
            success_probability_bound(steps, idle_steps, level, euler.q)
            if np.isfinite(euler.q)
            else float("nan")
        ),
        seconds=time.perf_counter() - start,
    )


def format_table(rows: list[CarlemanRow]) -> str:
    """Render the rows as a fixed-width text table."""
    header = (
        f"{'N':>2} {'Delta':>7} {'m':>6} {'R':>8} {'carleman err':>12} {'Lemma 1':>10} "
        f"{'euler err':>10} {'Lemma 2':>10} {'kappa':>9} {'Lemma 3':>8} {'P':>9} {'Lemma 5':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        kappa = f"{r.kappa:9.3g}" if r.kappa is not None else f"{'-':>9}"
        lemma1 = f"{r.carleman_bound:10.3e}" if np.isfinite(r.carleman_bound) else f"{'-':>10}"
        lemma2 = f"{r.euler_bound:10.3e}" if np.isfinite(r.euler_bound) else f"{'-':>10}"
        lines.append(
            f"{r.level:>2} {r.dimension:>7} {r.steps:>6} {r.R:8.3g} {r.carleman_error:12.3e} "
            f"{lemma1} {r.euler_error:10.3e} {lemma2} {kappa} "
            f"{r.kappa_bound:8.3g} {r.success_probability:9.3e} {r.success_bound:9.3e}"
        )
    return "\n".join(lines)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "carleman",
        help="Carleman and Euler errors against the PNAS bounds for a built-in or saved problem",
        description=(
            "For each truncation level N: the dissipation ratio R, the Carleman truncation error "
            "against PNAS Lemma 1, the forward-Euler error against Lemma 2, the condition number "
            "of the Euler system against Lemma 3 and the success probability against Lemma 5. "
            "Errors are Euclidean norms at time T, in the units of the (possibly rescaled) problem."
        ),
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--example",
        choices=sorted(EXAMPLES),
        default="burgers",
        help="built-in problem; burgers-pnas is PNAS Fig. 1 exactly (see the Burgers options)",
    )
    source.add_argument("--file", help=".npz file with F0, F1, F2, u_in (see load_problem)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3, 4], help="levels N")
    parser.add_argument("--T", type=float, default=None, help="final time (default 3)")
    step = parser.add_mutually_exclusive_group()
    step.add_argument(
        "--h",
        type=float,
        default=None,
        help="Euler step (default: the smaller of 1/(N ||F1||) and T/100)",
    )
    step.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"Euler steps m, h = T/m (default for burgers-pnas: {PNAS_FIG1_STEPS})",
    )
    parser.add_argument("--idle", type=int, default=None, help="idle steps p (default m)")
    parser.add_argument(
        "--rescale",
        type=float,
        default=None,
        metavar="NORM",
        help="solve for v = u/gamma with ||v_in|| = NORM in (0, 1) (R is unchanged)",
    )
    parser.add_argument("--json", help="also write the table to this JSON file")
    curve = parser.add_argument_group(
        "error over time (PNAS Fig. 1)",
        "The combined Carleman + Euler error ||y_1(t_k) - u(t_k)|| at every Euler step and its "
        "maximum over time; on by default for burgers-pnas, which then skips the Lemma table "
        "unless --lemmas is given.",
    )
    curve.add_argument(
        "--curve", action="store_true", help="print the time-maximum combined error per level"
    )
    curve.add_argument("--figure", help="draw PNAS Fig. 1 into this image file (implies --curve)")
    curve.add_argument(
        "--lemmas",
        action="store_true",
        help="with burgers-pnas: also print the Lemma table (slow at 3,999 forcing pieces)",
    )
    burgers = parser.add_argument_group(
        "Burgers options",
        "For --example burgers (defaults: 16 interior points, Re 20, U0 1, constant forcing) and "
        "burgers-pnas (defaults: PNAS Fig. 1, as carleman_burgers.m sets it up).",
    )
    burgers.add_argument("--points", type=int, help="grid points (see --boundaries)")
    burgers.add_argument(
        "--boundaries",
        choices=BOUNDARY_FORMS,
        help="'included': --points counts both boundaries, kept as zero rows (PNAS Fig. 1); "
        "'excluded': interior points only",
    )
    burgers.add_argument("--reynolds", type=float, help="Reynolds number Re = U0 L0 / nu")
    burgers.add_argument("--velocity", type=float, help="U0, amplitude of u_in and the source")
    burgers.add_argument("--length", type=float, help="domain length L0")
    burgers.add_argument("--forcing", choices=FORCING_KINDS, help="source in time")
    burgers.add_argument("--forcing-period", type=float, help="period of the periodic source")
    burgers.add_argument(
        "--forcing-pieces",
        type=int,
        help="constant pieces of the periodic source over T (default: one per Euler step)",
    )
    burgers.add_argument(
        "--forcing-sample",
        choices=FORCING_SAMPLES,
        help="read each piece of the periodic source at its start or its middle",
    )
    return parser


_BURGERS_OPTIONS = {
    "points": "points",
    "boundaries": "boundaries",
    "reynolds": "reynolds",
    "velocity": "velocity",
    "length": "length",
    "forcing": "forcing",
    "forcing_period": "period",
    "forcing_sample": "sample",
}


def burgers_setup(args: argparse.Namespace, T: float, steps: int | None) -> BurgersSetup | None:
    """The Burgers set-up the options describe, or None for the other problems."""
    given = {
        field: getattr(args, option)
        for option, field in _BURGERS_OPTIONS.items()
        if getattr(args, option, None) is not None
    }
    if args.file or args.example not in ("burgers", "burgers-pnas"):
        if given or args.forcing_pieces is not None:
            raise SystemExit("the Burgers options apply to --example burgers or burgers-pnas only")
        return None
    base = PNAS_FIG1 if args.example == "burgers-pnas" else BurgersSetup()
    pieces = args.forcing_pieces
    if pieces is None:
        sample = given.get("sample", base.sample)
        pieces = steps if steps is not None and sample == "start" else base.pieces
    try:
        return base.with_options(duration=T, pieces=pieces, **given)
    except ValueError as err:
        raise SystemExit(str(err)) from err


def format_curve_table(curves: list[ErrorCurve], dimensions: list[int]) -> str:
    """The time-maximum and final combined errors per level, as text."""
    header = f"{'N':>2} {'Delta':>7} {'m':>6} {'max_t error':>12} {'error at T':>12} {'seconds':>8}"
    lines = [header, "-" * len(header)]
    for curve, dim in zip(curves, dimensions, strict=True):
        lines.append(
            f"{curve.level:>2} {dim:>7} {curve.times.size - 1:>6} {curve.max_error:12.4e} "
            f"{curve.final_error:12.4e} {curve.seconds:8.2f}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    for level in args.levels:
        if level < 1:
            raise SystemExit(f"levels must be positive integers; got {level}")
    pnas = not args.file and args.example == "burgers-pnas"
    T = (PNAS_FIG1.duration if pnas else 3.0) if args.T is None else args.T
    if not np.isfinite(T) or T <= 0:
        raise SystemExit(f"--T must be a positive time; got {T}")
    if args.steps is not None and args.steps < 1:
        raise SystemExit(f"--steps must be a positive integer; got {args.steps}")
    steps = args.steps
    if steps is None and pnas and args.h is None:
        steps = round(PNAS_FIG1_STEPS * T / PNAS_FIG1.duration)
    setup = burgers_setup(args, T, steps)
    if setup is not None:
        problem = setup.problem()
    else:
        problem = load_problem(args.file) if args.file else EXAMPLES[args.example]()
    name = args.file or args.example
    gamma = 1.0
    if args.rescale is not None:
        problem, gamma = rescale_to_unit_ball(problem, args.rescale)
    # With the boundaries kept as zero rows their zero eigenvalues damp nothing: R leaves them
    # out, as carleman_burgers.m does.
    driven = setup is not None and setup.boundaries == "included"
    info = dissipation(problem, exclude_driven=driven)
    print(
        f"problem: {name}, s = {problem.size}, T = {T}, gamma = {gamma:.4g}, "
        f"Re(lambda_1) = {info.re_lambda1:.4g}"
        + (" (boundary zero modes left out)" if driven else "")
        + f", ||F0|| = {info.norm_F0:.4g}, "
        f"||F1|| = {info.norm_F1:.4g}, ||F2|| = {info.norm_F2:.4g}, ||u_in|| = {info.norm_u_in:.4g}, "
        f"R = {info.R:.4g} ({'inside' if info.is_provable else 'outside'} the proven regime R < 1)"
    )
    if setup is not None:
        print(
            f"burgers: {setup.points} points (boundaries {setup.boundaries}), dx = {setup.dx:.6g}, "
            f"Re = {setup.reynolds:g}, U0 = {setup.velocity:.6g}, nu = {setup.viscosity:.6g}, "
            f"forcing {setup.forcing}"
            + (
                f" (period {setup.period:g}, {setup.pieces} pieces read at their {setup.sample})"
                if setup.forcing == "periodic"
                else ""
            )
        )
        print(f"R = {info.R:.2f} (as carleman_burgers.m prints it)")
    want_curve = args.curve or args.figure is not None or pnas
    if not pnas or args.lemmas:
        exact = integrate_ode(problem, T)
        h = T / steps if steps is not None else args.h
        rows = []
        for level in args.levels:
            rows.append(carleman_row(problem, level, T, h, args.idle, info=info, exact=exact))
            print(f"  level {level} done in {rows[-1].seconds:.1f} s", flush=True)
        print(format_table(rows))
        print(
            "Lemmas 1-2 are evaluated after rescaling into their hypotheses and reported in the "
            "problem's units; '-' where R >= 1 (they do not apply). "
            "kappa '-' : the system is too large to measure; Lemma 3 still bounds it. "
            "P: success probability of the post-selected idle block, level 1."
        )
    else:
        rows = []
    curves: list[ErrorCurve] = []
    if want_curve:
        m = steps if steps is not None else row_steps(problem, max(args.levels), T, args.h)
        # The reference integrates the continuous source that the Euler steps sample.
        source = None
        if setup is not None and setup.forcing == "periodic":
            source = (lambda t: setup.source(t) / gamma) if gamma != 1.0 else setup.source
        times, reference = reference_trajectory(problem, T, m, source)
        curves = error_curves(problem, args.levels, T, m, reference=reference, progress=True)
        print(
            f"combined Carleman + Euler error ||y_1(t_k) - u(t_k)||_2 over the {m} Euler steps "
            f"(h = {T / m:.6g}), against solve_ivp of the ODE:"
        )
        dims = [carleman_dimension(problem.size, c.level) for c in curves]
        print(format_curve_table(curves, dims))
        if args.figure:
            from pennylane_qsgd.cli.carleman_figure import draw_burgers_figure

            draw_burgers_figure(args.figure, curves, reference, info.R, setup, gamma)
            print(f"figure written to {args.figure}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "problem": name,
                    "gamma": gamma,
                    "R": info.R,
                    "rows": [asdict(r) for r in rows],
                    "curves": [
                        {
                            "level": c.level,
                            "max_error": c.max_error,
                            "final_error": c.final_error,
                            "seconds": c.seconds,
                        }
                        for c in curves
                    ],
                },
                fh,
                indent=2,
            )
    return 0
