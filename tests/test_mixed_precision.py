"""Mixed-precision forward passes for the spectra: measured against float32 and the exact Hessian."""

import io
import json

import numpy as np
import pytest
import torch
from _spectra_models import small_batch, small_cnn
from torch import nn

from pennylane_qsgd.diagnostics.mixed_precision import (
    check_forward_precision,
    parse_forward_dtype,
)
from pennylane_qsgd.diagnostics.spectra import default_support, hessian_spectrum
from pennylane_qsgd.diagnostics.spectrum_job import run_spectrum_job
from pennylane_qsgd.optim.taylor import hessian_vector_product, support_loss

LOSS = nn.functional.cross_entropy


@pytest.fixture(scope="module")
def cnn32():
    """The small CNN in float32 (autocast leaves float64 tensors alone) and its batch."""
    net = small_cnn().float().eval()
    x, y = small_batch(16)
    return net, (x.float(), y), default_support(net)


def _exact_hessian(net, batch, support) -> np.ndarray:
    f = support_loss(net, LOSS, batch, support)
    theta = support.gather(net).double()
    return torch.autograd.functional.hessian(lambda t: f(t), theta).numpy()


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_mixed_products_are_close_to_float32_but_not_equal(cnn32, dtype):
    net, batch, support = cnn32
    v = torch.from_numpy(np.random.default_rng(0).standard_normal(support.size))
    ref = hessian_vector_product(net, LOSS, batch, support, mode="reverse")(v)
    mixed = hessian_vector_product(
        net, LOSS, batch, support, forward_dtype=parse_forward_dtype(dtype)
    )(v)
    rel = float((mixed - ref).norm() / ref.norm())
    unit = {"bfloat16": 2.0**-8, "float16": 2.0**-11}[dtype]
    # the forward pass really ran in reduced precision, and the error is of its rounding's size
    assert 0.0 < rel < 50 * unit


def test_check_passes_and_its_float32_ritz_values_bound_the_exact_spectrum(cnn32):
    net, batch, support = cnn32
    check = check_forward_precision(net, LOSS, batch, support, "float16", steps=12, seed=0)
    assert check.passed and 0.0 < check.deviation <= check.tolerance
    eig, vecs = np.linalg.eigh(_exact_hessian(net, batch, support))
    ritz = np.array(check.ritz_float32)
    span = eig.max() - eig.min()
    # Ritz values lie inside the spectrum (float32 products: a small relative slack)
    assert eig.min() - 1e-4 * span <= ritz.min() and ritz.max() <= eig.max() + 1e-4 * span
    assert check.spectral_radius == pytest.approx(np.abs(ritz).max())
    # the quadrature reproduces the first moments of the exact density seen from the start
    v0 = np.random.default_rng(0).choice([-1.0, 1.0], size=support.size)
    w_exact = (vecs.T @ v0) ** 2 / support.size
    for k in (1, 2, 3):
        assert np.sum(np.array(check.weights_float32) * ritz**k) == pytest.approx(
            np.sum(w_exact * eig**k), rel=1e-3, abs=1e-4 * check.spectral_radius**k
        )
    assert json.loads(json.dumps(check.to_dict()))["forward_dtype"] == "float16"


def test_a_tight_tolerance_fails_with_the_measured_deviation(cnn32):
    net, batch, support = cnn32
    check = check_forward_precision(net, LOSS, batch, support, "bfloat16", steps=6, tolerance=1e-9)
    assert not check.passed
    with pytest.raises(ValueError, match="bfloat16 forward pass moves the Hessian's spectrum"):
        check.raise_if_failed()


@pytest.mark.parametrize("bad", ["fp8", torch.float64, "half"])
def test_bad_forward_dtypes_are_refused(bad):
    with pytest.raises(ValueError, match="forward_dtype must be one of"):
        parse_forward_dtype(bad)


def test_forward_mode_and_exact_spectra_refuse_mixed_precision(cnn32):
    net, batch, support = cnn32
    with pytest.raises(ValueError, match="double backward"):
        hessian_vector_product(
            net, LOSS, batch, support, mode="forward", forward_dtype=torch.bfloat16
        )
    with pytest.raises(ValueError, match="applies to method='slq' only"):
        hessian_spectrum(net, LOSS, batch, support, method="exact", forward_dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="reduced precision"):
        check_forward_precision(net, LOSS, batch, support, "float32")


def test_spectrum_job_records_the_check_and_refuses_it_with_exact_spectra(tmp_path):
    options = dict(
        steps=1,
        lr=0.1,
        pretrain_epochs=1,
        n_train=200,
        method="slq",
        lanczos_steps=12,
        probes=2,
        per_layer_steps=0,
        output_dir=tmp_path,
        progress=False,
        plots=False,
        ratio_hook=lambda *a: 0.0,
    )
    with pytest.raises(ValueError, match="above the tolerance 1e-09"):
        run_spectrum_job(**options, forward_dtype="bfloat16", precision_tolerance=1e-9)
    assert not (tmp_path / "spectrum.json").exists()
    out = io.StringIO()
    result = run_spectrum_job(**options, stream=out, forward_dtype="float16")
    check = json.loads((tmp_path / "spectrum.json").read_text())["summary"]["forward_precision"]
    assert check["passed"] and check["forward_dtype"] == "float16"
    assert result.summary["forward_precision"]["deviation"] == check["deviation"]
    assert "forward pass in float16" in out.getvalue()
    with pytest.raises(ValueError, match="needs method='slq'"):
        run_spectrum_job(method="exact", forward_dtype="float16", output_dir=tmp_path)
