"""Diagnostics layer: Hessian spectra, dissipation after pruning, resource estimates, plots."""

from pennylane_qsgd.diagnostics.dissipation import (
    DissipationRecord,
    dissipative_divergent_sums,
    negative_fraction,
    per_mode_factor,
    track_dissipation,
    window_ratio_hook,
)
from pennylane_qsgd.diagnostics.resources import (
    WindowAssumptions,
    WindowEstimate,
    estimate_window,
    inverse_degree,
    plot_resources,
    solver_estimate,
)
from pennylane_qsgd.diagnostics.spectra import (
    SpectralDensity,
    exact_spectrum,
    hessian_spectrum,
    lanczos,
    slq_density,
)
from pennylane_qsgd.diagnostics.spectrum_job import run_spectrum_job
from pennylane_qsgd.diagnostics.window_accuracy import WindowAccuracy, window_accuracy

__all__ = [
    "WindowAccuracy",
    "window_accuracy",
    "DissipationRecord",
    "SpectralDensity",
    "WindowAssumptions",
    "WindowEstimate",
    "dissipative_divergent_sums",
    "estimate_window",
    "exact_spectrum",
    "hessian_spectrum",
    "inverse_degree",
    "lanczos",
    "negative_fraction",
    "per_mode_factor",
    "plot_resources",
    "run_spectrum_job",
    "slq_density",
    "solver_estimate",
    "track_dissipation",
    "window_ratio_hook",
]
