"""finguard: keeps bank customers' money safe."""

__version__ = "0.1.0"
