"""Text keys shared by the lists and screening: the exact name key."""

from __future__ import annotations

import unicodedata

# A name longer than this is cut before analysis: no real name is, and the work stays bounded.
MAX_NAME_INPUT = 10_000


def name_key(name: str) -> str:
    """NFKC, case-folded, accents and punctuation removed, tokens sorted.

    ``"MADURO MOROS, Nicolás"`` and ``"Nicolas Maduro Moros"`` give the same key. Han characters
    are kept as they are (one token per run). Returns ``""`` for a name with no letters.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name[:MAX_NAME_INPUT])).casefold()
    chars = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat.startswith("M"):
            continue
        chars.append(ch if cat[0] in "LN" else " ")
    return " ".join(sorted("".join(chars).split()))
