"""A broken variant of the reference client in the command form (one child per case):
`--client-cmd "python -m realtime_conformance.conformance.clients.by_command
create_before_output"`, so the suite's own tests show a command client's bug caught just as
an in-process one is.
(refclient.driver cannot offer this itself: the variants live in the suite, above it.)
"""

from __future__ import annotations

import asyncio
import logging
import sys

from realtime_conformance.conformance.clients.broken import BROKEN
from realtime_conformance.refclient.driver import serve, stdin_lines


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in BROKEN:
        print(f"usage: python -m {__spec__.name} NAME ({', '.join(BROKEN)})", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    make, _bug = BROKEN[argv[0]]
    asyncio.run(serve(stdin_lines(), sys.stdout, make()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
