"""Download: l2 tomography of real-amplitude states, and the reference-coordinate / known-norm paths."""

import math

import numpy as np
import pennylane as qml
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from pennylane_qsgd.circuits.reference_coordinate import (
    from_reference_coordinate,
    reference_error_gain,
    reference_value,
    rescale_to_norm,
    with_reference_coordinate,
)
from pennylane_qsgd.circuits.tomography import TomographyResult, estimate_real_vector
from pennylane_qsgd.circuits.tomography_counts import (
    apply_global_sign,
    magnitudes_from_counts,
    recommended_shots,
    signs_from_counts,
)
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.problem import PolynomialODE

DEVICES = ["default.qubit", "lightning.qubit"]


def unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def state_prep(v):
    return lambda w: qml.StatePrep(unit(v), wires=w)


def largest_positive(v):
    # Independent statement of the "largest" convention.
    v = np.asarray(v, dtype=float)
    return v if v[np.argmax(np.abs(v))] >= 0 else -v


def mixed_sign_vector(s, rng):
    """Entries bounded away from 0 (|v_i| in [1, 2] before normalising), random signs."""
    return unit(rng.choice([-1.0, 1.0], size=s) * rng.uniform(1.0, 2.0, size=s))


# ---------------------------------------------------------------------------------------------
# Analytic path


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4), seed=st.integers(0, 2**31 - 1))
def test_analytic_statePrep_is_exact(device, n, seed):
    v = unit(np.random.default_rng(seed).standard_normal(2**n))
    wires = list(range(n))
    measured = estimate_real_vector(state_prep(v), wires, device, None, global_sign="measured")
    np.testing.assert_allclose(measured.estimate, v, atol=1e-12)
    largest = estimate_real_vector(state_prep(v), wires, device, None, reference=v)
    np.testing.assert_allclose(largest.estimate, largest_positive(v), atol=1e-12)
    assert largest.l2_error < 1e-12
    assert largest.shots_used == 0 and largest.analytic
    assert largest.success_probability == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_analytic_amplitude_embedding_unnormalised_input(device):
    x = np.array([3.0, -1.0, 0.5, 0.0, -2.0, 0.25, 1.5, -0.75])
    prep = lambda w: qml.AmplitudeEmbedding(x, wires=w, normalize=True)  # noqa: E731
    res = estimate_real_vector(prep, ["a", "b", "c"], device, None, global_sign="measured")
    np.testing.assert_allclose(res.estimate, x / np.linalg.norm(x), atol=1e-12)


def test_analytic_global_sign_conventions():
    v = unit([0.3, -0.9, 0.1, 0.2])  # largest entry negative
    first_neg = unit([-0.3, 0.9, 0.1, 0.2])
    res = estimate_real_vector(state_prep(v), [0, 1], "default.qubit", None)
    np.testing.assert_allclose(res.estimate, -v, atol=1e-12)
    res = estimate_real_vector(
        state_prep(first_neg), [0, 1], "default.qubit", None, global_sign="first"
    )
    np.testing.assert_allclose(res.estimate, -first_neg, atol=1e-12)
    res = estimate_real_vector(
        state_prep(v), [0, 1], "default.qubit", None, reference=-v, global_sign="measured"
    )
    assert res.l2_error == pytest.approx(2.0)  # "measured" keeps the sign, so -v is far


# ---------------------------------------------------------------------------------------------
# Finite shots


@pytest.mark.parametrize("device", DEVICES)
def test_signs_recovered_for_mixed_sign_vector(device):
    rng = np.random.default_rng(7)
    v = mixed_sign_vector(16, rng)
    res = estimate_real_vector(
        state_prep(v), [0, 1, 2, 3], device, 20_000, seed=11, reference=v, global_sign="measured"
    )
    np.testing.assert_array_equal(np.sign(res.estimate), np.sign(v))
    assert res.shots_used == 20_000 == res.magnitude_shots + res.sign_shots
    assert res.l2_error < 0.1
    np.testing.assert_allclose(np.linalg.norm(res.estimate), 1.0, atol=1e-12)


def test_error_falls_like_sqrt_s_over_shots():
    s = 16
    v = mixed_sign_vector(s, np.random.default_rng(2024))
    shots_grid = np.array([1_000, 3_000, 10_000, 30_000, 100_000])
    seeds = range(6)
    mean_err, mean_sq = [], []
    for shots in shots_grid:
        errs = np.array(
            [
                estimate_real_vector(
                    state_prep(v), [0, 1, 2, 3], "lightning.qubit", int(shots), seed=k, reference=v
                ).l2_error
                for k in seeds
            ]
        )
        mean_err.append(errs.mean())
        mean_sq.append(np.mean(errs**2))
    mean_err, mean_sq = np.array(mean_err), np.array(mean_sq)
    slope = np.polyfit(np.log(shots_grid), np.log(mean_err), 1)[0]
    assert -0.65 <= slope <= -0.35, slope
    ratio = mean_err * np.sqrt(shots_grid / s)
    assert np.all((ratio > 0.4) & (ratio < 1.0)), ratio
    # Delta method for stage 1 (N1 = shots/2): E||err||^2 ~ sum_i (1 - p_i)/(4 N1) = (s-1)/(2 shots).
    predicted = (s - 1) / (2 * shots_grid)
    assert np.all((mean_sq / predicted > 0.6) & (mean_sq / predicted < 1.6)), mean_sq / predicted


def test_kerenidis_prakash_shot_count_reaches_eps():
    s, eps, delta = 16, 0.2, 0.1
    shots = recommended_shots(s, eps, delta)
    v = unit(np.random.default_rng(5).standard_normal(s))  # includes small entries
    for k in range(3):
        res = estimate_real_vector(
            state_prep(v), [0, 1, 2, 3], "lightning.qubit", shots, seed=k, reference=v
        )
        assert res.l2_error <= eps
        assert res.shots_used == shots


def test_fixed_seed_reproducible_and_sign_fraction():
    v = unit(np.arange(1.0, 9.0) * (-1.0) ** np.arange(8))
    run = lambda: estimate_real_vector(  # noqa: E731
        state_prep(v), [0, 1, 2], "default.qubit", 1001, seed=3, sign_fraction=0.25
    )
    a, b = run(), run()
    np.testing.assert_array_equal(a.estimate, b.estimate)
    assert (a.magnitude_shots, a.sign_shots, a.shots_used) == (751, 250, 1001)
    with pytest.raises(ValueError, match="read-only"):
        a.estimate[0] = 1.0


def test_device_instance_with_free_wire():
    v = mixed_sign_vector(4, np.random.default_rng(1))
    dev = qml.device("default.qubit", wires=["x", "y", "z"], seed=4)
    res = estimate_real_vector(
        state_prep(v), ["x", "y"], dev, 4000, reference=v, global_sign="measured"
    )
    np.testing.assert_array_equal(np.sign(res.estimate), np.sign(v))
    assert isinstance(res, TomographyResult)


# ---------------------------------------------------------------------------------------------
# Post-selected preparations (a solver's output is correct only when its flags read success)


def flagged_prep(psi, junk, probability, flag, success_value):
    """|flag=success>sqrt(P)|psi> + |flag=other>sqrt(1-P)|junk>, flag most significant."""
    blocks = [np.sqrt(probability) * unit(psi), np.sqrt(1 - probability) * unit(junk)]
    if success_value == 1:
        blocks.reverse()
    full = np.concatenate(blocks)
    return lambda w: qml.StatePrep(full, wires=[flag, *w])


@pytest.mark.parametrize("success_value", [0, 1])
def test_postselection_analytic_and_sampled(success_value):
    rng = np.random.default_rng(9)
    psi, junk = mixed_sign_vector(4, rng), rng.standard_normal(4)
    prep = flagged_prep(psi, junk, 0.3, "f", success_value)
    exact = estimate_real_vector(
        prep, [0, 1], "default.qubit", None, postselect={"f": success_value}, global_sign="measured"
    )
    np.testing.assert_allclose(exact.estimate, psi, atol=1e-12)
    assert exact.success_probability == pytest.approx(0.3, abs=1e-12)
    sampled = estimate_real_vector(
        prep,
        [0, 1],
        "default.qubit",
        40_000,
        seed=2,
        postselect={"f": success_value},
        reference=psi,
        global_sign="measured",
    )
    np.testing.assert_array_equal(np.sign(sampled.estimate), np.sign(psi))
    assert sampled.success_probability == pytest.approx(0.3, abs=0.02)
    assert sampled.l2_error < 0.06


def test_postselection_that_never_succeeds_raises():
    prep = lambda w: qml.PauliX("f")  # noqa: E731
    with pytest.raises(ValueError, match="never succeeded"):
        estimate_real_vector(prep, [0], "default.qubit", 100, seed=0, postselect={"f": 0})


# ---------------------------------------------------------------------------------------------
# Bad inputs


@pytest.mark.parametrize("shots", [0, 1, -10])
def test_bad_shot_counts_raise(shots):
    with pytest.raises(ValueError, match="shots"):
        estimate_real_vector(state_prep([1, 0]), [0], "default.qubit", shots)


@pytest.mark.parametrize("shots", [1.5, True, "100"])
def test_bad_shot_types_raise(shots):
    with pytest.raises(TypeError, match="shots"):
        estimate_real_vector(state_prep([1, 0]), [0], "default.qubit", shots)


def test_wrong_wires_raise():
    prep = state_prep([1, 0, 0, 0])
    dev = qml.device("default.qubit", wires=3)
    with pytest.raises(ValueError, match="not wires of the device"):
        estimate_real_vector(prep, [0, 7], dev, None)
    with pytest.raises(ValueError, match="no wire free"):
        estimate_real_vector(state_prep(np.ones(8)), [0, 1, 2], dev, None)
    with pytest.raises(ValueError, match="distinct"):
        estimate_real_vector(prep, [0, 0], "default.qubit", None)
    with pytest.raises(ValueError, match="at least one"):
        estimate_real_vector(prep, [], "default.qubit", None)
    with pytest.raises(ValueError, match="ancilla"):
        estimate_real_vector(prep, [0, 1], "default.qubit", None, ancilla=1)
    with pytest.raises(ValueError, match="register wire"):
        estimate_real_vector(prep, [0, 1], "default.qubit", None, postselect={1: 0})


def test_other_bad_inputs_raise():
    prep = state_prep([1, 0, 0, 0])
    dev = qml.device("default.qubit", wires=3)
    with pytest.raises(ValueError, match="seed"):
        estimate_real_vector(prep, [0, 1], dev, 100, seed=1)
    with pytest.raises(ValueError, match=r"reference must have shape \(4,\)"):
        estimate_real_vector(prep, [0, 1], "default.qubit", None, reference=[1.0, 0.0])
    with pytest.raises(ValueError, match="non-zero"):
        estimate_real_vector(prep, [0, 1], "default.qubit", None, reference=np.zeros(4))
    with pytest.raises(ValueError, match="global_sign"):
        estimate_real_vector(prep, [0, 1], "default.qubit", None, global_sign="positive")
    with pytest.raises(ValueError, match="sign_fraction"):
        estimate_real_vector(prep, [0, 1], "default.qubit", 100, sign_fraction=1.0)
    with pytest.raises(ValueError, match="postselect values"):
        estimate_real_vector(prep, [0, 1], "default.qubit", None, postselect={"f": 2})
    with pytest.raises(TypeError, match="prepare"):
        estimate_real_vector(np.ones(4), [0, 1], "default.qubit", None)
    with pytest.raises(TypeError, match="device"):
        estimate_real_vector(prep, [0, 1], object(), None)


# ---------------------------------------------------------------------------------------------
# Shot budget and post-processing


def test_recommended_shots_formula():
    assert recommended_shots(64, 0.1, 0.01) == 2 * math.ceil(36 * 64 * math.log(6400) / 0.01)
    # At delta = s^-0.83 it is at least the Kerenidis–Prakash count 2 * 36 s ln s / eps^2.
    for s in (2, 16, 256):
        assert recommended_shots(s, 0.3, s**-0.83) >= 2 * 36 * s * math.log(s) / 0.09
    assert recommended_shots(16, 0.05) > recommended_shots(16, 0.1) > recommended_shots(8, 0.1)
    for bad in [dict(s=0, eps=0.1), dict(s=4, eps=0.0), dict(s=4, eps=0.1, delta=1.0)]:
        with pytest.raises(ValueError):
            recommended_shots(**bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=16).filter(any))
def test_post_processing_properties(values):
    v = np.array(values) / 10.0
    psi = unit(v)
    mags = magnitudes_from_counts(psi**2 * 1000.0)
    np.testing.assert_allclose(mags, np.abs(psi), atol=1e-12)
    # Exact interference probabilities (psi_i +- |psi_i|)^2 / 4 give the exact signs of non-zeros.
    signs = signs_from_counts((psi + np.abs(psi)) ** 2 / 4, (psi - np.abs(psi)) ** 2 / 4)
    nonzero = psi != 0
    np.testing.assert_array_equal(signs[nonzero], np.sign(psi[nonzero]))
    for convention, pivot in [("largest", int(np.argmax(np.abs(psi)))), ("first", 0)]:
        fixed = apply_global_sign(psi, convention)
        assert fixed[pivot] >= 0
        assert np.allclose(fixed, psi) or np.allclose(fixed, -psi)
    np.testing.assert_array_equal(apply_global_sign(psi, "measured"), psi)


# ---------------------------------------------------------------------------------------------
# Reference coordinate and known norm


def dissipative_problem(rng, s, pieces=1):
    F1 = -2.0 * np.eye(s) + 0.3 * rng.standard_normal((s, s))
    F2 = 0.2 * sp.random_array((s, s * s), density=0.5, rng=rng).toarray()
    F0 = 0.2 * rng.standard_normal((pieces, s))
    times = np.arange(pieces) * 0.4 if pieces > 1 else None
    return PolynomialODE(F0 if pieces > 1 else F0[0], F1, F2, 0.5 * rng.standard_normal(s), times)


def explicit_rhs(problem):
    """du/dt from the dense tensors, written independently of PolynomialODE.rhs."""
    s = problem.size
    F1, F2 = problem.F1.toarray(), problem.F2.toarray().reshape(s, s, s)

    def rhs(t, u):
        k = np.searchsorted(problem.forcing_times, t, side="right") - 1
        return problem.F0[max(k, 0)] + F1 @ u + np.einsum("abc,b,c->a", F2, u, u)

    return rhs


@settings(max_examples=20, deadline=None)
@given(
    s=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
    value=st.floats(0.1, 3.0),
    decay=st.sampled_from([0.0, 0.7]),
)
def test_augmented_rhs_matches_original(s, seed, value, decay):
    rng = np.random.default_rng(seed)
    problem = dissipative_problem(rng, s, pieces=2)
    aug = with_reference_coordinate(problem, value, decay)
    assert aug.size == s + 1 and aug.F2.shape == (s + 1, (s + 1) ** 2)
    w = rng.standard_normal(s + 1)
    for t in (0.1, 0.5):
        expected = np.concatenate([[-decay * w[0]], explicit_rhs(problem)(t, w[1:])])
        np.testing.assert_allclose(aug.rhs(t, w), expected, atol=1e-12)
    np.testing.assert_array_equal(aug.u_in, np.concatenate([[value], problem.u_in]))
    np.testing.assert_array_equal(aug.forcing_times, problem.forcing_times)


@pytest.mark.parametrize("decay", [0.0, 0.5])
def test_reference_coordinate_round_trip_with_solve_ivp(decay):
    rng = np.random.default_rng(31)
    problem = dissipative_problem(rng, 3)
    c, T = 0.8, 1.5
    aug = with_reference_coordinate(problem, c, decay)
    tol = dict(rtol=1e-11, atol=1e-13, method="DOP853")
    u_T = solve_ivp(explicit_rhs(problem), (0, T), problem.u_in, **tol).y[:, -1]
    w_T = solve_ivp(explicit_rhs(aug), (0, T), aug.u_in, **tol).y[:, -1]
    np.testing.assert_allclose(w_T[1:], u_T, atol=1e-10)
    assert w_T[0] == pytest.approx(c * np.exp(-decay * T), abs=1e-11)
    assert reference_value(c, T, decay) == pytest.approx(c * np.exp(-decay * T))
    # The normalised output state and its negative both give u(T) back.
    psi = w_T / np.linalg.norm(w_T)
    for state in (psi, -psi):
        np.testing.assert_allclose(
            from_reference_coordinate(state, reference_value(c, T, decay)), u_T, atol=1e-9
        )


def test_reference_coordinate_keeps_carleman_system_of_original_variables():
    rng = np.random.default_rng(4)
    problem = dissipative_problem(rng, 2)
    aug = with_reference_coordinate(problem, 0.6, decay=0.3)
    # Level-2 truncated Carleman flows: the u-part of the augmented y_1 equals the original y_1.
    y = carleman_flow(problem, 2, 1.0)[:2]
    y_aug = carleman_flow(aug, 2, 1.0)[:3]
    np.testing.assert_allclose(y_aug[1:], y, atol=1e-10)
    assert y_aug[0] == pytest.approx(0.6 * np.exp(-0.3))


@pytest.mark.parametrize("value", [0.5, 1.0, 3.0])
def test_reference_coordinate_after_tomography_within_error_gain(value):
    rng = np.random.default_rng(12)
    u = rng.standard_normal(3)
    state = np.concatenate([[value], u])
    res = estimate_real_vector(
        state_prep(state),
        [0, 1],
        "default.qubit",
        200_000,
        seed=8,
        reference=state,
        global_sign="first",
    )
    u_hat = from_reference_coordinate(res.estimate, value)
    rel = np.linalg.norm(u_hat - u) / np.linalg.norm(u)
    assert rel <= 1.2 * reference_error_gain(value, np.linalg.norm(u)) * res.l2_error


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), value=st.floats(0.05, 20.0))
def test_reference_error_gain_bounds_first_order_error(seed, value):
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(5)
    psi = unit(np.concatenate([[value], u]))
    eps = 1e-7
    delta = rng.standard_normal(6)
    delta *= eps / np.linalg.norm(delta)
    u_hat = from_reference_coordinate(psi + delta, value)
    rel = np.linalg.norm(u_hat - u) / np.linalg.norm(u)
    gain = reference_error_gain(value, np.linalg.norm(u))
    assert rel <= gain * eps * (1 + 1e-4)
    assert gain >= 2.0 - 1e-12


def test_known_norm_path():
    v = np.array([0.2, -0.4, 0.4])
    np.testing.assert_allclose(rescale_to_norm(v, 6.0), 6.0 * v / 0.6)
    np.testing.assert_allclose(rescale_to_norm(-v, 0.0), np.zeros(3))
    with pytest.raises(ValueError, match="zero vector"):
        rescale_to_norm(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="norm"):
        rescale_to_norm(v, -1.0)


def test_reference_coordinate_bad_inputs():
    problem = PolynomialODE([0.0], [[-1.0]], [[0.0]], [0.5])
    with pytest.raises(ValueError, match="value"):
        with_reference_coordinate(problem, 0.0)
    with pytest.raises(ValueError, match="decay"):
        with_reference_coordinate(problem, 1.0, decay=-0.1)
    with pytest.raises(TypeError, match="PolynomialODE"):
        with_reference_coordinate("problem", 1.0)
    with pytest.raises(ValueError, match="reference coordinate"):
        from_reference_coordinate([0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="at least 2"):
        from_reference_coordinate([1.0], 1.0)


# ---------------------------------------------------------------------------------------------
# qsgd.sim, once the device exists


def _qsgd_sim_available():
    try:
        from pennylane_qsgd.device import QSGDSimulator  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _qsgd_sim_available(), reason="qsgd.sim device not available yet")
@pytest.mark.parametrize("fidelity", ["gates", "native", "ideal"])
def test_on_qsgd_sim(fidelity):
    opts = {"fidelity": fidelity}
    v = mixed_sign_vector(8, np.random.default_rng(21))
    exact = estimate_real_vector(
        state_prep(v), [0, 1, 2], "qsgd.sim", None, global_sign="measured", device_options=opts
    )
    np.testing.assert_allclose(exact.estimate, v, atol=1e-12)
    sampled = estimate_real_vector(
        state_prep(v),
        [0, 1, 2],
        "qsgd.sim",
        20_000,
        seed=1,
        reference=v,
        global_sign="measured",
        device_options=opts,
    )
    np.testing.assert_array_equal(np.sign(sampled.estimate), np.sign(v))
    assert sampled.l2_error < 0.08
    rng = np.random.default_rng(3)
    psi = mixed_sign_vector(4, rng)
    prep = flagged_prep(psi, rng.standard_normal(4), 0.4, "f", 1)
    flagged = estimate_real_vector(
        prep,
        [0, 1],
        "qsgd.sim",
        None,
        postselect={"f": 1},
        global_sign="measured",
        device_options=opts,
    )
    np.testing.assert_allclose(flagged.estimate, psi, atol=1e-12)
    assert flagged.success_probability == pytest.approx(0.4, abs=1e-12)
