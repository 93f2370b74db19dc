# Fails for negative x (a bad flag value) and, to imitate a crash that a
# later attempt does not meet, for any x listed in the CRASH_ON
# environment variable (comma-separated). A value listed in TERM_ON makes
# the trial stop itself with SIGTERM, as a user's kill would.

import os
import signal
import sys

x = 0


def listed(name: str) -> bool:
    return str(x) in os.environ.get(name, "").split(",")


if x < 0:
    sys.exit(f"x must not be negative (got {x})")
if listed("CRASH_ON"):
    sys.exit(f"crashed at x={x}")
if listed("TERM_ON"):
    os.kill(os.getpid(), signal.SIGTERM)
print(f"loss: {(x - 1) ** 2}")
