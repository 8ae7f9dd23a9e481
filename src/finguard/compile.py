"""``python -m finguard.compile build | status``: the mypyc build of the hot modules (screening, the guard) (finguard.compiled)."""

import sys

from finguard.compiled import main

if __name__ == "__main__":
    sys.exit(main())
