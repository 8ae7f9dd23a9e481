"""Issue #16, development only: non-Arabic names written phonetically in Arabic script (``dev_script_arabic_phonetic``).

The UN list's own Arabic-script names (``un_script_arabic``, held out, never read) include many persons and
organisations whose Latin names are not of Arabic origin (Somali, Filipino, Indonesian, West-African ...) written in
Arabic letters by sound. ``arabic_dev.py``'s classes are Arabic names only. This makes a second stand-in from OFAC SDN
entries only (no UN entry is queried or read): persons and organisations of countries whose names are mostly not of
Arabic origin (Latin America, Russia and its neighbours, sub-Saharan Africa, South-East Asia), leaving out every name
with a word that OFAC's entries of Arab countries also use (``Mohamed``, ``Ali``, ``Hassan``: those are the first
stand-in's).

Each query is one of the entry's first two names (``SURNAME, Given`` put in reading order) written in Arabic letters by
a seeded phonetic letter map, as an Arabic writer spells a foreign name (``Rodriguez`` رودريغيز):

* consonants by sound (``g`` غ, ``j`` ج, Spanish ``j`` خ, ``v`` ف, ``p`` ب, ``ch`` تش, ``sh`` ش, ``kh`` خ,
  ``c`` س before e/i else ك, ``qu`` ك, ``x`` كس, ``z`` ز; Spanish ``h`` and ``ll`` are silent / ي), doubled letters once;
* long vowels written (``a`` ا, ``e i`` ي, ``o u`` و; a word's first vowel with alif: أو, إي), and a share of the short
  ones inside a word left out (``a e i`` 40 %, ``o u`` 15 %), as vowels are in Arabic writing;
* a share of adjacent words joined without a space (15 % of the names), and ``Jr.`` written ``الابن``;
* a fifth of the names by ICU's ``Latin-Arabic`` transliterator instead (short vowels as marks, then dropped, and
  Persian ``گ`` / ``ڤ`` / ``پ``).

    PYTHONPATH=src:/tmp/screen_extra python bench/screening/arabic_dev2.py      # prints a sample

``devloop.py`` adds these with ``ARABIC2=1`` (the default when ``ARABIC=1``).
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from finguard.lists.model.lists import EntryDraft, SubjectKind

SEED = 2203 + 16  # the development seed, offset for this set
Entry = tuple[int, str, EntryDraft]

COUNTRIES = frozenset(
    {
        "Colombia", "Mexico", "Venezuela", "Panama", "Peru", "Guatemala", "Nicaragua", "Honduras", "Ecuador", "Cuba",
        "Dominican Republic", "Argentina", "Brazil", "El Salvador", "Bolivia", "Paraguay", "Chile", "Costa Rica",
        "Russia", "Ukraine", "Belarus", "Serbia", "Bulgaria", "Moldova", "Georgia", "Armenia",
        "Zimbabwe", "Congo, Democratic Republic of the", "South Sudan", "Kenya", "Uganda", "Nigeria", "Liberia",
        "Sierra Leone", "Rwanda", "Central African Republic", "Burundi", "Ghana", "Cote d'Ivoire", "Guinea",
        "South Africa", "Zambia", "Burkina Faso", "Philippines", "Thailand", "Cambodia", "Burma",
    }
)  # fmt: skip
ARAB = frozenset(
    {
        "Syria", "Iraq", "Yemen", "Saudi Arabia", "Egypt", "Jordan", "Libya", "Tunisia", "Algeria", "Morocco", "Kuwait",
        "Qatar", "Oman", "Bahrain", "United Arab Emirates", "Palestinian", "Sudan", "Somalia", "Mauritania", "Iran",
        "Afghanistan", "Pakistan",
    }
)  # fmt: skip

# consonants (and digraphs) by sound, as Arabic writes foreign names
_DIGRAPHS = {
    "sch": "ش", "sh": "ش", "ch": "تش", "kh": "خ", "zh": "ج", "ph": "ف", "th": "ت", "gh": "غ", "ts": "تس", "tz": "تز",
    "ck": "ك", "qu": "ك", "gu": "غ", "ll": "ي", "ny": "ني", "dj": "ج",
}  # fmt: skip
_CONS = {
    "b": "ب", "d": "د", "f": "ف", "g": "غ", "h": "ه", "j": "ج", "k": "ك", "l": "ل", "m": "م", "n": "ن", "p": "ب",
    "q": "ك", "r": "ر", "s": "س", "t": "ت", "v": "ف", "w": "و", "x": "كس", "y": "ي", "z": "ز",
}  # fmt: skip
_LONG = {"a": "ا", "e": "ي", "i": "ي", "o": "و", "u": "و"}
_INITIAL = {"a": "ا", "e": "إي", "i": "إي", "o": "أو", "u": "أو"}
_SPANISH = {"Colombia", "Mexico", "Venezuela", "Panama", "Peru", "Guatemala", "Nicaragua", "Honduras", "Ecuador", "Cuba",
            "Dominican Republic", "Argentina", "El Salvador", "Bolivia", "Paraguay", "Chile", "Costa Rica"}  # fmt: skip


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))


def phonetic_word(word: str, rng: random.Random, spanish: bool) -> str:
    """One Latin word written in Arabic letters by sound; a share of its inner short vowels left out."""
    w = re.sub(r"(.)\1", r"\1", word)  # doubled letters once
    out: list[str] = []
    i = 0
    while i < len(w):
        ch = w[i]
        if ch in "aeiou":
            if i == 0:
                out.append(_INITIAL[ch])
            elif i == len(w) - 1:
                out.append("ا" if ch == "a" else "ي" if ch in "ei" else "و")
            elif w[i - 1] in "aeiou":  # the second letter of a diphthong: a glide
                out.append("ي" if ch in "ei" else "و" if ch in "ou" else "ا")
            elif rng.random() < (0.4 if ch in "aei" else 0.15):
                pass  # a short vowel, not written
            else:
                out.append(_LONG[ch])
            i += 1
            continue
        if spanish and ch == "h":
            i += 1
            continue
        if spanish and ch == "j":
            out.append("خ")
            i += 1
            continue
        if ch == "c":
            out.append("س" if w[i + 1 : i + 2] in ("e", "i") and w[i + 1 : i + 2] else "ك" if w[i + 1 : i + 2] != "h" else "")
            if w[i + 1 : i + 2] == "h":
                out.append(_DIGRAPHS["ch"])
                i += 2
                continue
            i += 1
            continue
        for n in (3, 2):
            if w[i : i + n] in _DIGRAPHS and not (spanish and w[i : i + n] in ("th", "kh", "zh", "sh", "ts", "tz")):
                out.append(_DIGRAPHS[w[i : i + n]])
                i += n
                break
        else:
            out.append(_CONS.get(ch, ""))
            i += 1
    return "".join(out)


def _icu() -> object | None:
    try:
        import icu
    except ImportError:  # pragma: no cover
        return None
    return icu.Transliterator.createInstance("Latin-Arabic")


_MARKS = re.compile(r"[\u064b-\u0652\u0670]")


_LEGAL_FORM = re.compile(
    r"(?:,?\s*\b(?:s\.?\s?a\.?(?:\s?de\s?c\.?v\.?)?|s\.?a\.?s|ltda|ltd|llc|inc|c\.?a|s\.?c\.?s|s\.?r\.?l|e\.?u|ooo|zao|oao|pao|ood|ao)\.?)+\s*$"
)


def in_arabic(listed: str, rng: random.Random, spanish: bool, icu: object | None, person: bool = True) -> str | None:
    """``listed`` in Arabic letters (a person's ``SURNAME, Given`` in reading order; an organisation's legal form left out)."""
    from finguard.screening.model.names import swap_comma_order

    text = _fold(swap_comma_order(listed) if person else _LEGAL_FORM.sub("", _fold(listed)))
    words = [w for w in re.split(r"[^a-z]+", text.replace("'", "")) if w]
    if len(words) < 2:
        return None
    if icu is not None and rng.random() < 0.2:
        # ICU writes a first vowel as a mark alone: an Arabic writer puts it on an alif
        text = " ".join(
            "الابن" if w in ("jr", "junior") else ("ا" if w[0] in "aeiou" else "") + _MARKS.sub("", icu.transliterate(w))  # type: ignore[attr-defined]
            for w in words
        )
        text = text.replace("\u0651", "")
        out = [t for t in text.split() if t]
    else:
        out = ["الابن" if w in ("jr", "junior") else phonetic_word(w, rng, spanish) for w in words]
    out = [w for w in out if w]
    if len(out) >= 2 and rng.random() < 0.15:  # two words joined without a space
        i = rng.randrange(len(out) - 1)
        out[i : i + 2] = [out[i] + out[i + 1]]
    return " ".join(out) if out else None


def phonetic_dev(entries: list[Entry], n: int = 300, seed: int = SEED) -> list[tuple[str, str, int, str]]:
    """``n`` (query in Arabic letters, OFAC entry id, listed Latin name) of non-Arabic-origin OFAC names."""
    arab_words: Counter[str] = Counter()
    for _eid, code, d in entries:
        if code == "ofac-sdn" and d.party and ARAB.intersection(d.party.countries + d.party.nationalities):
            for name in d.party.names:
                arab_words.update({w for w in re.split(r"[^a-z]+", _fold(name)) if len(w) > 1})
    arabic = {w for w, k in arab_words.items() if k >= 2}
    pool = []
    for eid, code, d in entries:
        if code != "ofac-sdn" or d.party is None or d.subject not in (SubjectKind.PERSON, SubjectKind.ORGANISATION):
            continue
        where = set(d.party.countries + d.party.nationalities)
        if not where & COUNTRIES or where & ARAB:
            continue
        names = [nm for nm in d.party.names[:2] if not ({w for w in re.split(r"[^a-z]+", _fold(nm)) if w} & arabic)]
        if names:
            pool.append((eid, names, bool(where & _SPANISH), d.subject == SubjectKind.PERSON))
    rng = random.Random(seed)
    rng.shuffle(pool)
    icu = _icu()
    out: list[tuple[str, str, int, str]] = []
    for eid, names, spanish, is_person in pool:
        if len(out) >= n:
            break
        listed = rng.choice(names)
        q = in_arabic(listed, random.Random(f"{seed}-{eid}"), spanish, icu, is_person)
        if q:
            out.append(("dev_script_arabic_phonetic", q, eid, listed))
    return out


if __name__ == "__main__":
    from run import watchlist

    for cls, q, _eid, listed in phonetic_dev(watchlist(), 60):
        print(cls, q, "->", listed)
