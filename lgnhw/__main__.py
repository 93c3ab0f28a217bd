"""``python -m lgnhw``: the ``lgnhw`` command."""

import sys

from .cli import main

sys.exit(main())
