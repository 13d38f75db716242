"""Entry for ``python -m ltc_assess`` and the PyInstaller bundle."""

import sys

from ltc_assess.cli import main

sys.exit(main())
