"""The case pages' strings: ``cases_*`` (staff pages) and ``complaint_*`` (the public complaint
form) in the gettext catalogues (core/locale, see docs/i18n.md)."""

from __future__ import annotations

from finguard.core.i18n import section


def cases_text(lang: str) -> dict[str, str]:
    return section(lang, "cases_")


def complaint_text(lang: str) -> dict[str, str]:
    return section(lang, "complaint_")
