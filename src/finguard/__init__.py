"""finguard: keeps bank customers' money safe."""

from finguard import compiled as _compiled

__version__ = "0.1.0"

# the mypyc-compiled hot modules, when a current build is there (finguard.compiled): before any is imported
_compiled.install()
