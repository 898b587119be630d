"""``python -m pennylane_qsgd`` runs the ``qsgd`` command."""

import sys

from pennylane_qsgd.cli import main

sys.exit(main())
