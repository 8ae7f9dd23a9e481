"""The robots page's strings: ``robots_*`` in the gettext catalogues (core/locale, see docs/i18n.md)."""

from __future__ import annotations

from finguard.core.i18n import section

# What the page shows of a run's counts (the others stay in the API and the CLI).
SHOWN_COUNTS = ("alerts", "cases_opened", "cases_escalated", "instruments_added", "stale", "recovered", "day", "rows",
                "applied", "unchanged", "failed", "added", "delisted")


def robots_text(lang: str) -> dict[str, str]:
    return section(lang, "robots_")
