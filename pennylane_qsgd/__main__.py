"""``python -m pennylane_qsgd`` runs the ``qsgd`` command."""

import sys

from pennylane_qsgd.cli import main

if __name__ == "__main__":
    sys.exit(main())
