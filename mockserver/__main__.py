"""`python -m realtime_conformance.mockserver`: see mockserver.cli."""

import sys

from realtime_conformance.mockserver.cli import main

sys.exit(main())
