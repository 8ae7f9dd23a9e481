"""Every user-visible string of the pages, one table per language (read from the gettext catalogues,
see :mod:`finguard.core.i18n_catalog` and docs/i18n.md), and the language choice.

The verdict advice itself comes from :data:`finguard.lists.model.check.PUBLIC_ADVICE` (through
:func:`finguard.lists.model.check.public_view`); the strings here are the page around it.
"""

from __future__ import annotations

import re
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


# Sentences a service writes in English (match explanations): (pattern, catalogue key). A capability
# registers its own at import; ``explained`` fills the key's text from the pattern's named groups.
PATTERNS: list[tuple[re.Pattern[str], str]] = []


def register_pattern(pattern: str, key: str) -> None:
    PATTERNS.append((re.compile(pattern), key))


def _unquoted(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def explained(lang: str, text: str) -> str:
    """``text`` (a service's English sentence) in ``lang``: the first registered pattern that matches
    the whole of it gives the catalogue key; each group's value goes through ``word_<value>`` (spaces
    as ``_``) when the catalogue has it. English, or no pattern: the text as it is."""
    if lang == "en":
        return text
    t = messages(lang)
    for pattern, key in PATTERNS:
        found = pattern.fullmatch(text)
        if found and key in t:
            groups = {k: t.get("word_" + (v or "").replace(" ", "_"), _unquoted(v or "")) for k, v in found.groupdict().items()}
            try:
                return t[key].format(**groups)
            except (KeyError, IndexError, ValueError):
                return text
    return text


def summary_text(lang: str, kind: str, summary: str, details: object) -> str:
    """An alert's or case's summary in ``lang``: the catalogue's ``alert_summary_<kind>`` filled from
    its details (``{outcome_text}`` is ``outcome`` through ``staff_outcome_<value>`` /
    ``staff_screen_<value>``, likewise every string field), else the stored (English) summary. The
    stored summary stays the English one, so English pages show it unchanged. Without a template,
    the details' own text in ``lang`` when the service stored one (``summary_zh``, ``reason.zh``)."""
    t = messages(lang)
    template = t.get(f"alert_summary_{kind}")
    if lang == "en" or not isinstance(details, dict):
        return summary
    if not template:
        # a service that wrote the sentence in both languages: ``summary_<lang>`` (robots) or
        # ``reason: {en, zh}`` (monitors)
        reason = details.get("reason")
        own = details.get(f"summary_{lang}") or (reason.get(lang) if isinstance(reason, dict) else None)
        return own if isinstance(own, str) and own else summary
    fields: dict[str, object] = {}
    for key, value in details.items():
        if isinstance(value, (list, tuple)):
            value = "、".join(str(v) for v in value)
        fields[key] = value
        if isinstance(value, str):
            fields[f"{key}_text"] = t.get(f"staff_{key}_{value}") or t.get(f"staff_screen_{value}") or value
    try:
        return template.format(**fields)
    except (KeyError, ValueError, IndexError, TypeError):
        return summary


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
