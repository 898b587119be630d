"""Mathematical core: numpy/scipy only (no PennyLane, no torch)."""
