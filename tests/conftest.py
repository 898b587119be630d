"""Test-suite configuration: hypothesis profiles.

``CI=true`` (set by every CI service) loads the ``ci`` profile: derandomized, so a run is
reproducible and a test cannot pass or fail by the draw of its examples. Locally the default
profile draws fresh examples; ``HYPOTHESIS_PROFILE=ci`` (or ``dev``) picks a profile explicitly,
and ``pytest --hypothesis-seed=N`` repeats a random run.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)

_default = "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))
