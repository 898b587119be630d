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
:math:`N_1 = N_2 = 36\\, s \\ln s / \\epsilon^2` (:func:`recommended_shots`). In practice the error is
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
from typing import Any, Literal

import numpy as np
import pennylane as qml
from pennylane.wires import Wires

PrepareFn = Callable[[Wires], Any]
GlobalSign = Literal["largest", "first", "measured"]

#: Samples per stage in Theorem 4.1 of arXiv:1808.09266: :math:`36\\, s \\ln s/\\epsilon^2`.
KP_CONSTANT = 36.0

# Largest number of shots sampled in one device execution (bounds the (shots, wires) sample array).
_MAX_SHOTS_PER_EXECUTION = 1 << 20

_GLOBAL_SIGNS = ("largest", "first", "measured")


def recommended_shots(s: int, eps: float, delta: float = 0.01) -> int:
    """Total shots (both stages) for l2 error :math:`\\le \\epsilon` with probability :math:`1-\\delta`.

    .. math::

        N_{\\rm total} = 2 \\left\\lceil 36\\, s \\ln(s/\\delta) / \\epsilon^2 \\right\\rceil .

    Kerenidis and Prakash (arXiv:1808.09266, Algorithm 4.1, Theorem 4.1) use
    :math:`36\\, s \\ln s/\\epsilon^2` samples in each of the two stages and obtain failure probability
    at most :math:`s^{-0.83}`; their union bound over the :math:`s` entries gives the
    :math:`O(s \\log(s/\\delta)/\\epsilon^2)` form for a prescribed :math:`\\delta` (cf. the discussion
    of sample-based pure-state tomography in van Apeldoorn, Cornelissen, Gilyén and Nannicini,
    arXiv:2207.08800, whose query-based methods improve the :math:`\\epsilon` dependence).
    Keeping the constant 36 with :math:`\\ln(s/\\delta)` is conservative: for
    :math:`\\delta \\le s^{-0.83}` it is at least the Kerenidis–Prakash count. The observed error is
    usually far smaller (module docstring).

    Parameters
    ----------
    s : int
        Number of amplitudes, ``>= 1``.
    eps : float
        Target l2 error of the unit vector, in (0, 2].
    delta : float, optional
        Failure probability, in (0, 1).

    Returns
    -------
    int
    """
    if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
        raise ValueError(f"s must be a positive integer; got {s!r}")
    eps = float(eps)
    if not np.isfinite(eps) or not 0.0 < eps <= 2.0:
        raise ValueError(f"eps must lie in (0, 2]; got {eps!r}")
    delta = float(delta)
    if not np.isfinite(delta) or not 0.0 < delta < 1.0:
        raise ValueError(f"delta must lie in (0, 1); got {delta!r}")
    per_stage = math.ceil(KP_CONSTANT * int(s) * math.log(int(s) / delta) / eps**2)
    return 2 * per_stage


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
# Classical post-processing: arrays in, arrays out.


def magnitudes_from_counts(counts: np.ndarray) -> np.ndarray:
    """Stage 1 of Algorithm 4.1 (arXiv:1808.09266): :math:`|\\hat\\psi_i| = \\sqrt{n_i / \\sum_j n_j}`.

    Parameters
    ----------
    counts : array_like, shape (s,)
        Non-negative outcome counts or probabilities (any non-zero total).

    Returns
    -------
    numpy.ndarray, shape (s,)
        Unit-norm, non-negative.
    """
    n = np.asarray(counts, dtype=np.float64)
    if n.ndim != 1 or n.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D array; got shape {n.shape}")
    if not np.all(np.isfinite(n)) or np.any(n < 0):
        raise ValueError("counts must be finite and non-negative")
    total = n.sum()
    if total <= 0:
        raise ValueError("counts sum to zero: no outcome was observed")
    return np.sqrt(n / total)


def signs_from_counts(counts0: np.ndarray, counts1: np.ndarray) -> np.ndarray:
    """Stage 2 of Algorithm 4.1 (arXiv:1808.09266): sign +1 where :math:`n_{0,i} \\ge n_{1,i}`, else -1.

    Parameters
    ----------
    counts0, counts1 : array_like, shape (s,)
        Counts (or probabilities) of ancilla outcome 0 and 1 at each register index, after the
        final Hadamard on the ancilla.

    Returns
    -------
    numpy.ndarray, shape (s,)
        Entries in ``{-1.0, +1.0}``.
    """
    a = np.asarray(counts0, dtype=np.float64)
    b = np.asarray(counts1, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"counts0 and counts1 must be 1-D of equal shape; got {a.shape} and {b.shape}"
        )
    return np.where(a >= b, 1.0, -1.0)


def apply_global_sign(vector: np.ndarray, convention: GlobalSign) -> np.ndarray:
    """Fix the global sign of a real vector (a state is defined only up to it).

    Parameters
    ----------
    vector : array_like, shape (s,)
    convention : {"largest", "first", "measured"}
        ``"largest"``: the entry of largest magnitude (first one on ties) is made non-negative.
        ``"first"``: entry 0 is made non-negative (the reference-coordinate layout of
        :func:`~pennylane_qsgd.circuits.reference_coordinate.with_reference_coordinate` with a
        positive value). ``"measured"``: unchanged.

    Returns
    -------
    numpy.ndarray, shape (s,)
    """
    vec = np.asarray(vector, dtype=np.float64)
    if convention not in _GLOBAL_SIGNS:
        raise ValueError(f"global_sign must be one of {_GLOBAL_SIGNS}; got {convention!r}")
    if convention == "measured" or vec.size == 0:
        return vec.copy()
    pivot = int(np.argmax(np.abs(vec))) if convention == "largest" else 0
    return -vec if vec[pivot] < 0 else vec.copy()


def l2_distance(estimate: np.ndarray, reference: np.ndarray, up_to_sign: bool = True) -> float:
    """:math:`\\|\\hat\\psi - r/\\|r\\|\\|`, minimised over :math:`\\pm r` when ``up_to_sign``."""
    est = np.asarray(estimate, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    ref = ref / np.linalg.norm(ref)
    err = float(np.linalg.norm(est - ref))
    if up_to_sign:
        err = min(err, float(np.linalg.norm(est + ref)))
    return err


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
# Execution helpers.


def _check_shots(shots: object) -> int | None:
    if shots is None:
        return None
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer):
        raise TypeError(f"shots must be a positive integer or None; got {shots!r}")
    if shots < 2:
        raise ValueError(f"shots must be >= 2 (at least one per stage) or None; got {shots}")
    return int(shots)


def _check_postselect(postselect: Mapping[Any, int] | None, register: Wires) -> dict[Any, int]:
    if postselect is None:
        return {}
    if not isinstance(postselect, Mapping):
        raise TypeError(
            f"postselect must be a mapping wire -> 0/1; got {type(postselect).__name__}"
        )
    out = {}
    for wire, val in postselect.items():
        if isinstance(val, bool) or val not in (0, 1):
            raise ValueError(f"postselect values must be 0 or 1; got {val!r} for wire {wire!r}")
        if wire in register:
            raise ValueError(f"postselect wire {wire!r} is also a register wire")
        out[wire] = int(val)
    return out


def _pick_ancilla(device: Any, used: Wires) -> Any:
    dev_wires = getattr(device, "wires", None)
    if dev_wires is not None and not isinstance(device, str):
        for wire in dev_wires:
            if wire not in used:
                return wire
        raise ValueError(
            f"device has no wire free for the sign ancilla: its wires {dev_wires.tolist()} are "
            f"all used by the register and the preparation; give the device one more wire"
        )
    labels = used.tolist()
    if all(isinstance(w, int | np.integer) and not isinstance(w, bool) for w in labels):
        return int(max(labels)) + 1
    label = "tomography_ancilla"
    while label in labels:
        label += "_"
    return label


def _resolve_device(
    device: Any,
    needed: Wires,
    seed: int | None,
    device_options: Mapping[str, Any] | None,
) -> Any:
    if isinstance(device, str):
        kwargs = dict(device_options or {})
        if seed is not None:
            kwargs["seed"] = seed
        return qml.device(device, wires=needed, **kwargs)
    if seed is not None:
        raise ValueError(
            "seed is used only when device is given by name (it seeds the device built here); "
            f"seed the device instance {device!r} itself"
        )
    if device_options:
        raise ValueError("device_options are used only when device is given by name")
    if not hasattr(device, "execute"):
        raise TypeError(f"device must be a PennyLane device or a device name; got {device!r}")
    dev_wires = getattr(device, "wires", None)
    if dev_wires is not None:
        missing = [w for w in needed if w not in dev_wires]
        if missing:
            raise ValueError(
                f"wires {missing} (register, preparation, flags or ancilla) are not wires of the "
                f"device, which has {dev_wires.tolist()}"
            )
    return device


def _bits_to_index(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim == 1:
        samples = samples[:, None]
    weights = 1 << np.arange(samples.shape[1] - 1, -1, -1, dtype=np.int64)
    return samples @ weights


def _distribution(
    device: Any, body: Callable[[], None], measured: Wires, shots: int | None
) -> np.ndarray:
    """Exact probabilities (``shots=None``) or outcome counts over ``measured``, big-endian."""
    if shots is None:

        @qml.qnode(device)
        def exact() -> Any:
            body()
            return qml.probs(wires=measured)

        return np.asarray(qml.set_shots(exact, None)(), dtype=np.float64)

    @qml.qnode(device)
    def sampled() -> Any:
        body()
        return qml.sample(wires=measured)

    counts = np.zeros(2 ** len(measured), dtype=np.int64)
    remaining = shots
    while remaining > 0:
        batch = min(remaining, _MAX_SHOTS_PER_EXECUTION)
        samples = qml.set_shots(sampled, batch)()
        counts += np.bincount(_bits_to_index(samples), minlength=counts.size)
        remaining -= batch
    return counts.astype(np.float64)


def _condition(dist: np.ndarray, leading: int, flags: Sequence[int], n: int) -> np.ndarray:
    """Rows of ``dist`` (over ``leading`` bits, the flags, then ``n`` register bits) at the flag values."""
    flag_index = 0
    for bit in flags:
        flag_index = 2 * flag_index + bit
    table = dist.reshape(2**leading, 2 ** len(flags), 2**n)
    return table[:, flag_index, :]


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
    shots = _check_shots(shots)
    if global_sign not in _GLOBAL_SIGNS:
        raise ValueError(f"global_sign must be one of {_GLOBAL_SIGNS}; got {global_sign!r}")
    sign_fraction = float(sign_fraction)
    if not 0.0 < sign_fraction < 1.0:
        raise ValueError(f"sign_fraction must lie in (0, 1); got {sign_fraction}")
    flags = _check_postselect(postselect, register)
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
        ancilla = _pick_ancilla(device, used)
    elif ancilla in used:
        raise ValueError(
            f"ancilla {ancilla!r} is already used by the register, the preparation or the flags"
        )
    dev = _resolve_device(device, Wires.all_wires([used, Wires(ancilla)]), seed, device_options)

    if shots is None:
        mag_shots = sign_shots = 0
    else:
        sign_shots = min(max(1, round(shots * sign_fraction)), shots - 1)
        mag_shots = shots - sign_shots

    # Stage 1: magnitudes from computational-basis statistics, conditioned on the flags.
    dist = _distribution(
        dev, lambda: prepare(register), Wires.all_wires([flag_wires, register]), mag_shots or None
    )
    kept = _condition(dist, 0, flag_values, n)[0]
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

    dist2 = _distribution(
        dev,
        interference,
        Wires.all_wires([Wires(ancilla), flag_wires, register]),
        sign_shots or None,
    )
    both = _condition(dist2, 1, flag_values, n)
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
    "KP_CONSTANT",
    "apply_global_sign",
    "estimate_real_vector",
    "GlobalSign",
    "l2_distance",
    "magnitudes_from_counts",
    "PrepareFn",
    "recommended_shots",
    "sign_interference",
    "signs_from_counts",
    "TomographyResult",
]
