"""The finguard command line."""
