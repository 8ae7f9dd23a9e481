"""``python -m finguard.compile build | status``: the mypyc build of the screening hot modules (finguard.compiled)."""

import sys

from finguard.compiled import main

if __name__ == "__main__":
    sys.exit(main())
