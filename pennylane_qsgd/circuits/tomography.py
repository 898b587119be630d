"""Download: l2 tomography of a real-amplitude state prepared by any PennyLane subcircuit.

The vector-state tomography of Kerenidis and Prakash (arXiv:1808.09266, Algorithm 4.1 and
Theorem 4.1) in two stages, for a state :math:`|\\psi\\rangle = \\sum_i \\psi_i |i\\rangle` with real
amplitudes on a register of :math:`n` qubits (:math:`s = 2^n` entries):

1. **Magnitudes.** Sample the register in the computational basis :math:`N_1` times;
   :math:`|\\hat\\psi_i| = \\sqrt{n_i / N_1}`.
2. **Signs.** With an ancilla, prepare
   :math:`(|0\\rangle|\\psi\\rangle + |1\\rangle|\\varphi\\rangle)/\\sqrt 2`,
   :math:`|\\varphi\\rangle = \\sum_i |\\hat\\psi_i| |i\\rangle`, by a controlled preparation of each,
   apply a Hadamard to the ancilla and sample :math:`N_2` times. Outcome :math:`(b, i)` has
   probability :math:`(\\psi_i + (-1)^b \\varphi_i)^2/4`, so
   :math:`\\mathrm{sign}(\\hat\\psi_i) = +1` when :math:`n_{0,i} \\ge n_{1,i}` and :math:`-1` otherwise.

The estimate :math:`\\hat\\psi_i = \\mathrm{sign}_i \\sqrt{n_i/N_1}` has unit norm. Kerenidis–Prakash
prove :math:`\\|\\hat\\psi - \\psi\\| \\le \\epsilon` with probability :math:`\\ge 1 - 1/s^{0.83}` for
:math:`N_1 = N_2 = 36\\, s \\ln s / \\epsilon^2` (:func:`~.tomography_counts.recommended_shots`). In practice the error is
dominated by stage 1: by the delta method :math:`\\mathbb{E}\\|\\hat\\psi-\\psi\\|^2 \\approx (s-1)/(4 N_1)`,
i.e. an rms error near :math:`\\sqrt{s/(2N)}` for :math:`N = N_1 + N_2` shots split evenly
(``benchmarks/bench_tomography.py``).

The circuits only assume that ``prepare`` is a unitary subcircuit mapping :math:`|0\\dots0\\rangle`
to :math:`|\\psi\\rangle` whose controlled version (:func:`pennylane.ctrl`) the device can run, and
that it leaves every wire outside the register and the post-selected flags back in
:math:`|0\\rangle`. Solver outputs that are only correct after post-selection are handled by the
``postselect`` argument (shots whose flags differ are discarded, and the interference is rebalanced
by the measured success probability).

Sign and scale of the underlying vector :math:`u` (the state is :math:`u/\\|u\\|`) are the job of
:mod:`pennylane_qsgd.circuits.reference_coordinate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.wires import Wires

from pennylane_qsgd.circuits.tomography_counts import (
    GLOBAL_SIGNS,
    GlobalSign,
    apply_global_sign,
    l2_distance,
    magnitudes_from_counts,
    signs_from_counts,
)
from pennylane_qsgd.circuits.tomography_sampling import (
    check_postselect,
    check_shots,
    condition_on_flags,
    pick_ancilla,
    resolve_device,
    sampled_distribution,
)

PrepareFn = Callable[[Wires], Any]


@dataclass(frozen=True, eq=False)
class TomographyResult:
    """The outcome of :func:`estimate_real_vector`.

    Attributes
    ----------
    estimate : numpy.ndarray, shape (s,)
        Unit-norm estimate of :math:`\\psi`, global sign fixed by the ``global_sign`` convention.
    shots_used : int
        Shots executed over all circuits (both stages, including post-selection failures); 0 for
        the analytic path.
    magnitude_shots : int
        Shots of stage 1 (computational-basis sampling).
    sign_shots : int
        Shots of stage 2 (interference circuit).
    success_probability : float
        Post-selection success probability of the preparation: the fraction of stage-1 shots
        kept (exact on the analytic path; 1 without ``postselect``).
    l2_error : float or None
        :math:`\\|\\hat\\psi - r/\\|r\\|\\|` for the given reference :math:`r`; minimised over the
        global sign unless ``global_sign="measured"``. None without a reference.
    """

    estimate: np.ndarray
    shots_used: int
    magnitude_shots: int
    sign_shots: int
    success_probability: float
    l2_error: float | None = None

    @property
    def analytic(self) -> bool:
        """True when the estimate was read from exact probabilities (``shots=None``)."""
        return self.shots_used == 0


# ----------------------------------------------------------------------------------------------
# Circuits: functions that queue operations, to be called inside a QNode or a tape.


def sign_interference(
    prepare: PrepareFn,
    magnitudes: np.ndarray,
    wires: Sequence[Any] | Wires,
    ancilla: Any,
    success_probability: float = 1.0,
    postselect: Mapping[Any, int] | None = None,
) -> None:
    """Queue the stage-2 interference circuit of Algorithm 4.1 (arXiv:1808.09266).

    .. math::

        |0\\rangle|0\\rangle \\xrightarrow{R_Y(\\theta)} (\\alpha|0\\rangle + \\beta|1\\rangle)|0\\rangle
        \\xrightarrow{C_0(\\text{prepare}),\\, C_1(\\varphi)}
        \\alpha|0\\rangle|\\psi\\rangle + \\beta|1\\rangle|\\varphi\\rangle
        \\xrightarrow{H} \\tfrac{1}{\\sqrt 2}\\sum_{b,i}(\\alpha\\psi_i + (-1)^b\\beta\\varphi_i)|b\\rangle|i\\rangle,

    with :math:`\\tan(\\theta/2) = \\beta/\\alpha = \\sqrt{P}` so that both branches carry equal weight
    after post-selection (:math:`\\theta = \\pi/2`, a Hadamard, when :math:`P = 1`).

    Parameters
    ----------
    prepare : callable
        ``prepare(wires)`` queues the preparation of :math:`|\\psi\\rangle` (controlled on ancilla 0).
    magnitudes : array_like, shape (2**len(wires),)
        :math:`\\varphi_i \\ge 0`, normalised here.
    wires : sequence
        The register.
    ancilla : hashable
        The interference qubit (not used by ``prepare``).
    success_probability : float, optional
        :math:`P \\in (0, 1]`, the post-selection success probability of ``prepare``.
    postselect : mapping, optional
        Flag wire -> required value; in the :math:`\\varphi` branch the flags that must read 1 are
        flipped so that both branches pass the post-selection.
    """
    wires = Wires(wires)
    phi = np.asarray(magnitudes, dtype=np.float64)
    phi = phi / np.linalg.norm(phi)
    theta = 2.0 * math.atan(math.sqrt(success_probability))
    qml.RY(theta, wires=ancilla)
    qml.ctrl(prepare, control=ancilla, control_values=0)(wires)
    qml.ctrl(qml.StatePrep, control=ancilla, control_values=1)(phi, wires=wires)
    for flag, val in (postselect or {}).items():
        if val == 1:
            qml.ctrl(qml.PauliX, control=ancilla, control_values=1)(wires=flag)
    qml.Hadamard(wires=ancilla)


# ----------------------------------------------------------------------------------------------
# The public estimator.


def estimate_real_vector(
    prepare: PrepareFn,
    wires: Sequence[Any] | Wires,
    device: Any,
    shots: int | None,
    seed: int | None = None,
    reference: np.ndarray | None = None,
    *,
    ancilla: Any = None,
    postselect: Mapping[Any, int] | None = None,
    global_sign: GlobalSign = "largest",
    sign_fraction: float = 0.5,
    device_options: Mapping[str, Any] | None = None,
) -> TomographyResult:
    """Estimate the real unit vector :math:`\\psi` that ``prepare`` loads into ``wires``.

    Algorithm 4.1 of Kerenidis and Prakash, arXiv:1808.09266 (module docstring): stage 1 samples
    the register (``qml.sample``) for magnitudes, stage 2 runs :func:`sign_interference` for signs.

    Parameters
    ----------
    prepare : callable
        ``prepare(wires)`` queues a unitary preparation :math:`|0\\rangle \\mapsto |\\psi\\rangle` on
        the register (e.g. ``lambda w: qml.StatePrep(v, wires=w)``, an ``AmplitudeEmbedding``, a
        solver template). It may use further work wires; those not listed in ``postselect`` must
        end in :math:`|0\\rangle`. Its controlled version must be runnable on the device.
    wires : sequence
        The register, most significant qubit first (PennyLane's order); ``s = 2**len(wires)``.
    device : str or pennylane device
        A device name (built here with exactly the wires needed, ``seed`` and ``device_options``)
        or a device instance (its wires, if fixed, must include the register, the preparation's
        wires, the flags and the ancilla).
    shots : int or None
        Total shots over both stages, ``>= 2``. ``None``: analytic, from exact probabilities; the
        estimate is then exact (to rounding) up to the global sign convention.
    seed : int, optional
        Seed of the device built from a name (not allowed with a device instance).
    reference : array_like, shape (s,), optional
        The expected vector (any non-zero multiple of it); sets ``l2_error``.
    ancilla : hashable, optional
        Wire for the sign stage; default: the first free device wire, else a new label.
    postselect : mapping, optional
        Flag wire -> value that marks success of ``prepare``; other shots are discarded
        (they still count in ``shots_used``).
    global_sign : {"largest", "first", "measured"}, optional
        How the global sign is fixed (:func:`apply_global_sign`). The interference measures signs
        relative to the controlled ``prepare``, so ``"measured"`` returns the prepared phase when
        ``prepare`` is exactly real (e.g. ``StatePrep`` of a real vector); ``"largest"`` (default)
        is the convention-free choice; ``"first"`` suits a reference coordinate in position 0
        (whose recovery, :func:`~pennylane_qsgd.circuits.reference_coordinate.from_reference_coordinate`,
        does not depend on the global sign anyway).
    sign_fraction : float, optional
        Fraction of ``shots`` given to stage 2, in (0, 1); 0.5 as in Algorithm 4.1.
    device_options : mapping, optional
        Extra keyword arguments for ``qml.device`` when ``device`` is a name (e.g. ``level``).

    Returns
    -------
    TomographyResult

    Raises
    ------
    ValueError, TypeError
        For bad shots, wires, reference, options, or a post-selection that never succeeded.

    Examples
    --------
    >>> import numpy as np, pennylane as qml
    >>> v = np.array([0.6, -0.8, 0.0, 0.0])
    >>> res = estimate_real_vector(lambda w: qml.StatePrep(v, wires=w), [0, 1],
    ...                            "default.qubit", shots=None, global_sign="measured")
    >>> np.round(res.estimate, 12).tolist()
    [0.6, -0.8, 0.0, 0.0]
    """
    if not callable(prepare):
        raise TypeError(f"prepare must be a callable prepare(wires); got {prepare!r}")
    try:
        register = Wires(wires)
    except qml.wires.WireError as err:
        raise ValueError(f"wires must be distinct hashable labels; got {wires!r}") from err
    if len(register) == 0:
        raise ValueError("wires must name at least one qubit")
    n = len(register)
    s = 2**n
    shots = check_shots(shots)
    if global_sign not in GLOBAL_SIGNS:
        raise ValueError(f"global_sign must be one of {GLOBAL_SIGNS}; got {global_sign!r}")
    sign_fraction = float(sign_fraction)
    if not 0.0 < sign_fraction < 1.0:
        raise ValueError(f"sign_fraction must lie in (0, 1); got {sign_fraction}")
    flags = check_postselect(postselect, register)
    flag_wires = Wires(list(flags))
    flag_values = [flags[w] for w in flag_wires]
    ref = None
    if reference is not None:
        ref = np.asarray(reference, dtype=np.float64)
        if ref.shape != (s,):
            raise ValueError(f"reference must have shape ({s},) for {n} wires; got {ref.shape}")
        if not np.all(np.isfinite(ref)) or not np.any(ref):
            raise ValueError("reference must be finite and non-zero")

    # Discover the wires the preparation touches, then choose the ancilla outside them.
    prep_wires = qml.tape.make_qscript(prepare)(register).wires
    used = Wires.all_wires([register, prep_wires, flag_wires])
    if ancilla is None:
        ancilla = pick_ancilla(device, used)
    elif ancilla in used:
        raise ValueError(
            f"ancilla {ancilla!r} is already used by the register, the preparation or the flags"
        )
    dev = resolve_device(device, Wires.all_wires([used, Wires(ancilla)]), seed, device_options)

    if shots is None:
        mag_shots = sign_shots = 0
    else:
        sign_shots = min(max(1, round(shots * sign_fraction)), shots - 1)
        mag_shots = shots - sign_shots

    # Stage 1: magnitudes from computational-basis statistics, conditioned on the flags.
    dist = sampled_distribution(
        dev, lambda: prepare(register), Wires.all_wires([flag_wires, register]), mag_shots or None
    )
    kept = condition_on_flags(dist, 0, flag_values, n)[0]
    total = dist.sum()
    success = float(kept.sum() / total) if total > 0 else 0.0
    if success <= 0.0:
        raise ValueError(
            f"post-selection on {flags} never succeeded in {mag_shots} shots; raise the shots"
        )
    magnitudes = magnitudes_from_counts(kept)

    # Stage 2: signs from the interference with the non-negative reference state.
    def interference() -> None:
        sign_interference(prepare, magnitudes, register, ancilla, success, flags)

    dist2 = sampled_distribution(
        dev,
        interference,
        Wires.all_wires([Wires(ancilla), flag_wires, register]),
        sign_shots or None,
    )
    both = condition_on_flags(dist2, 1, flag_values, n)
    signs = signs_from_counts(both[0], both[1])

    estimate = apply_global_sign(signs * magnitudes, global_sign)
    estimate.setflags(write=False)
    error = None
    if ref is not None:
        error = l2_distance(estimate, ref, up_to_sign=global_sign != "measured")
    return TomographyResult(
        estimate=estimate,
        shots_used=int(mag_shots + sign_shots),
        magnitude_shots=int(mag_shots),
        sign_shots=int(sign_shots),
        success_probability=success,
        l2_error=error,
    )


__all__ = [
    "estimate_real_vector",
    "PrepareFn",
    "sign_interference",
    "TomographyResult",
]
