import sys

fail = True

if fail:
    sys.exit("FAIL")
