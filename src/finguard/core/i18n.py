"""Every user-visible string of the pages, one table per language (read from the gettext catalogues,
see :mod:`finguard.core.i18n_catalog` and docs/i18n.md), and the language choice.

The verdict advice itself comes from :data:`finguard.lists.model.check.PUBLIC_ADVICE` (through
:func:`finguard.lists.model.check.public_view`); the strings here are the page around it.
"""

from __future__ import annotations

import sys

from finguard.core.i18n_catalog import PO_LOCALE, read_catalogue

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

# The HTML ``lang`` attribute / Content-Language for each page language.
HTML_LANG = {"zh": "zh-CN", "en": "en"}


# Every page string, one table per language: the gettext catalogues (core/locale/*/LC_MESSAGES/
# finguard.po, read with Babel) plus any key a capability still registers from a Python dict.
CATALOGUE: dict[str, dict[str, str]] = {lang: read_catalogue(lang) for lang in PO_LOCALE}
MESSAGES: dict[str, dict[str, str]] = {lang: dict(table) for lang, table in CATALOGUE.items()}
# (file, tables) of every register() call, for ``python -m finguard.core.i18n_catalog sync``
REGISTERED: list[tuple[str, dict[str, dict[str, str]]]] = []


def register(tables: dict[str, dict[str, str]]) -> None:
    """Strings from a Python dict (the style before the catalogues; a merged branch may still use it).

    A key the catalogue lacks is served from the dict until ``python -m finguard.core.i18n_catalog
    sync`` moves it into the .po files; a key the catalogue has keeps the catalogue's text.
    """
    REGISTERED.append((sys._getframe(1).f_code.co_filename, tables))
    for lang, table in tables.items():
        target = MESSAGES.setdefault(lang, {})
        known = CATALOGUE.get(lang, {})
        for key, text in table.items():
            if key not in known:
                target[key] = text


def section(lang: str, prefix: str) -> dict[str, str]:
    """A capability's strings in ``lang`` with their ``prefix`` dropped (``robots_nav`` -> ``nav``)."""
    return {k.removeprefix(prefix): v for k, v in messages(lang).items() if k.startswith(prefix)}


def messages(lang: str) -> dict[str, str]:
    return MESSAGES.get(lang, MESSAGES[DEFAULT_LANGUAGE])


def _from_accept_language(header: str) -> str | None:
    """The supported language the browser prefers most, or None."""
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, pos, primary))
    return min(ranked)[2] if ranked else None


def choose_language(explicit: str | None, accept_language: str | None) -> str:
    """An explicit ``lang`` wins; then the Accept-Language header; then Chinese."""
    if explicit:
        value = explicit.strip().lower()
        if value in LANGUAGES:
            return value
    if accept_language:
        found = _from_accept_language(accept_language)
        if found:
            return found
    return DEFAULT_LANGUAGE


# The staff pages' strings (``finguard.app.staff``), kept apart from the public page's and merged
# into MESSAGES so one table per language serves both.
