"""Diagnostics layer: Hessian spectra, dissipation after pruning, resource estimates, plots."""

from pennylane_qsgd.diagnostics.dissipation import (
    DissipationRecord,
    dissipative_divergent_sums,
    negative_fraction,
    per_mode_factor,
    track_dissipation,
    window_ratio_hook,
)
from pennylane_qsgd.diagnostics.resource_plots import plot_resources
from pennylane_qsgd.diagnostics.resources import estimate_window, inverse_degree
from pennylane_qsgd.diagnostics.solver_resources import solver_estimate
from pennylane_qsgd.diagnostics.spectra import (
    SpectralDensity,
    exact_spectrum,
    hessian_spectrum,
    lanczos,
    slq_density,
)
from pennylane_qsgd.diagnostics.spectrum_job import run_spectrum_job
from pennylane_qsgd.diagnostics.window_accuracy import WindowAccuracy, window_accuracy
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions, WindowEstimate

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
