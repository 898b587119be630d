"""Order of the demo folders in the gallery: from the mathematics to training and its cost."""

from __future__ import annotations

from pathlib import Path

ORDER = (
    "carleman_linearisation",
    "qsvt_linear_solver",
    "training_pruned_network",
    "dissipation_after_pruning",
    "order2_windows",
    "resource_estimates",
    "beyond_t2",
)


def demo_order(path: str) -> tuple[int, str]:
    """Sort key of sphinx-gallery's ``subsection_order``: listed folders first, then by name."""
    name = Path(path).name
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)
