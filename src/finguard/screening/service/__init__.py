"""Fuzzy name screening (issue #3): normalised names, indexed candidates, explained scores."""

from finguard.screening.service.matcher import Feature, NameScreener, ScreenHit, ScreenQuery, Thresholds

__all__ = ["Feature", "NameScreener", "ScreenHit", "ScreenQuery", "Thresholds"]
