"""Romanisations of names written in other scripts, beside the one :func:`names.transliterate` gives.

A name in Cyrillic, Greek, Arabic, Hangul or Japanese is written in Latin letters in several
ways, and a list or a customer file may hold any of them. Each function here returns the extra
Latin spellings (token tuples) of one name; :func:`names.analyse_name` adds them as variants.

=====================  ==========================================================================
Cyrillic               iuliia (MIT): ICAO Doc 9303 (passports), BGN/PCGN, Wikipedia, MVD 782,
                       GOST 7.79 (ISO 9); the Ukrainian national system (KMU 2010: г -> h, и -> y,
                       і -> i, ї -> yi, є -> ye) by its published table
Greek                  ELOT 743 / UN (``β`` -> v, ``η`` -> i, ``ου`` -> ou, ``μπ`` -> b ...),
                       and the classical transliteration (``β`` -> b, ``η`` -> e, ``φ`` -> ph,
                       ``γκ`` -> nk: ``Bladimeros``), beside anyascii's
Hebrew                 ISO 259 letter by letter in ASCII (``ywsp lwy``), beside anyascii's
                       modern values (``yvsf lvy``)
Arabic                 the article ``ال`` split off (``التكريتي`` -> ``al tkryty``), ``ة`` dropped (t after alif);
                       compared by consonant skeleton (vowels are not written); two letters never
                       read as one Latin digraph (``طه`` Taha: ``th``, not ``t``), ``ظ`` z; the
                       Persian / Urdu values of ``ث ذ ض`` (s, z, z) as a second reading, French
                       ``ش`` ch and Egyptian ``ج`` g as a third (not for names in Persian letters)
Hangul                 Revised Romanisation and McCune-Reischauer, by syllable, family name
                       spelled as people spell it (``김`` Kim, ``이`` Lee/Ri, ``박`` Park/Pak)
Japanese               kana by Hepburn (anyascii); kanji names read in Japanese with cutlet
                       (MIT; MeCab + UniDic Lite) when it is installed
Chinese characters     a foreign name transcribed into Chinese (``弗拉基米尔·普京``) read back in
for foreign names      Latin by the common characters of the Xinhua transcription tables
homoglyphs             Cyrillic and Greek letters that look like Latin ones (Unicode TR39
                       confusables), over the whole name: ``СНОUКА, Моnіr`` -> ``CHOUKA, Monir``
=====================  ==========================================================================

Everything here is pure (no I/O beyond the libraries' own packaged tables) and total.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from functools import lru_cache
from threading import Lock
from typing import Any

# -- homoglyphs -------------------------------------------------------------------------------------

# Cyrillic and Greek letters whose glyph is a Latin letter's (Unicode confusables.txt, TR39).
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
        "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
        "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
        "У": "Y", "Х": "X", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Һ": "H", "Ӏ": "I",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "κ": "k", "ι": "i", "τ": "t", "υ": "u", "χ": "x",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
        "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip


def confusable_skeleton(text: str) -> str | None:
    """The name with look-alike Cyrillic / Greek letters read as the Latin ones they imitate.

    ``None`` unless the result is all Latin and the name had Latin letters or every word mixes
    scripts the way a disguised Latin name does: a real Russian name (``Сергей``) has letters
    with no Latin twin and is left to transliteration.
    """
    mapped = text.translate(_CONFUSABLE)
    if mapped == text:
        return None
    letters = [ch for ch in mapped if ch.isalpha()]
    if not letters or not all(ch.isascii() for ch in letters):
        return None
    return mapped


# -- Cyrillic ---------------------------------------------------------------------------------------

_UKRAINIAN = re.compile(r"[ґєіїҐЄІЇ]")
_KMU = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z", "и": "y",
    "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "'": "", "’": "",
}  # fmt: skip
_UKRAINIAN_LEFT = str.maketrans(
    {"і": "i", "І": "I", "ї": "i", "Ї": "I", "є": "ie", "Є": "Ie", "ґ": "g", "Ґ": "G", "’": None, "”": None, "ʹ": None, "ʺ": None}
)
# GOST 7.79 System A is ISO 9, which writes є as ê (Єрошенко: Êrošenko, Erosenko without its marks), not ie
_UKRAINIAN_LEFT_ISO9 = str.maketrans({**{chr(k): v for k, v in _UKRAINIAN_LEFT.items()}, "є": "e", "Є": "E"})
_KMU_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def _kmu(word: str) -> str:
    """Ukrainian national romanisation (Cabinet of Ministers resolution 55, 2010)."""
    out = []
    for i, ch in enumerate(word.lower()):
        table = _KMU_INITIAL if i == 0 and ch in _KMU_INITIAL else _KMU
        out.append(table.get(ch, ch))
    return "".join(out).replace("zgh", "zgh")


@lru_cache(maxsize=1)
def _iuliia_schemas() -> list[tuple[Any, dict[int, Any]]]:
    """The schemas, each with how it is given the Ukrainian-only letters it leaves as they are."""
    try:
        import iuliia
    except ImportError:  # pragma: no cover - a declared dependency; tolerate its absence
        return []
    russian = [iuliia.ICAO_DOC_9303, iuliia.BGN_PCGN, iuliia.WIKIPEDIA, iuliia.MVD_782]
    return [*((schema, _UKRAINIAN_LEFT) for schema in russian), (iuliia.GOST_779, _UKRAINIAN_LEFT_ISO9)]


def cyrillic(text: str) -> list[str]:
    """The name in the common Cyrillic romanisations (ICAO 9303, BGN/PCGN, Wikipedia, MVD, GOST)."""
    # the Russian schemes leave Ukrainian-only letters as they are (Сніжана -> "Snіzhana" in some): those are read as
    # KMU does (ISO 9 as ISO 9 does); the marks some write for ь and ъ (Agaf’ya, Agafʹâ) are left out, as "'" is: they
    # do not split a word
    out = list(dict.fromkeys(schema.translate(text).translate(left) for schema, left in _iuliia_schemas()))
    if _UKRAINIAN.search(text) or "г" in text.lower() or _UKRAINIAN_SURNAME.search(text):
        out.append(" ".join(_kmu(w) for w in text.split()))
    if "дж" in text.lower():  # a foreign name written in Cyrillic: Джамал is Jamal, Маджид is Majid (as English writes it)
        out.append(_DZH.sub(lambda m: "J" if m.group(0)[0].isupper() else "j", out[0]))
    return out


_DZH = re.compile("dzh", re.IGNORECASE)
# a Ukrainian family name without Ukrainian-only letters (Кирило Симоненко: Kyrylo Symonenko)
_UKRAINIAN_SURNAME = re.compile(r"(?:енко|чук|юк|ишин|ський|цький)\b", re.IGNORECASE)


# -- Greek --------------------------------------------------------------------------------------------

_ELOT_PAIRS = [
    ("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("ηυ", "iv"), ("μπ", "b"), ("ντ", "d"), ("γκ", "g"), ("γγ", "ng"),
    ("γξ", "nx"), ("γχ", "nch"), ("αι", "ai"), ("ει", "ei"), ("οι", "oi"),
]  # fmt: skip
_ELOT = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i", "κ": "k", "λ": "l",
    "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f",
    "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip


# The classical (scholarly) transliteration, letter for letter: β b, η e, υ y (u after a vowel), φ ph, χ ch, ω o;
# γ before a velar is n. It is what ICU's Greek-Latin writes, and so lists romanised by the OpenSanctions stack.
_CLASSICAL_PAIRS = [("ου", "ou"), ("αυ", "au"), ("ευ", "eu"), ("ηυ", "eu"), ("γγ", "ng"), ("γκ", "nk"), ("γξ", "nx"), ("γχ", "nch")]
_CLASSICAL = {
    "α": "a", "β": "b", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "e", "θ": "th", "ι": "i", "κ": "k", "λ": "l",
    "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "ph",
    "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip


def greek(text: str) -> list[str]:
    """Modern Greek by ELOT 743 (the UN system): ``Βλαδίμηρος`` -> ``vladimiros``; and the classical
    transliteration (``Bladimeros``, ``Παρασκευή`` -> ``paraskeue``)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(ch))
    elot = plain
    for a, b in _ELOT_PAIRS:
        elot = elot.replace(a, b)
    elot = "".join(_ELOT.get(ch, ch) for ch in elot)
    classical = plain
    for a, b in _CLASSICAL_PAIRS:
        classical = classical.replace(a, b)
    classical = "".join(_CLASSICAL.get(ch, ch) for ch in classical)
    return [elot, elot.replace("ch", "h"), classical]


# -- Arabic ---------------------------------------------------------------------------------------------

# not before ``ڤ`` (v), a letter of foreign names only: ``الڤارو`` is Alvaro, one word
_ARTICLE = re.compile(r"(?<!\S)(ال)(?=\S{2,})(?!له(?:\s|$))(?!ڤ)")
# after عبد / أبو the article is sure, however its alif is written (a hamza on it, ``عبد ألمجيد``, is a common slip)
# (and the article written apart from the name after it, ``عبد ال رحمن``)
_ABD = re.compile(r"(?<!\S)(عبد|أبو|ابو)\s+[اأإ]ل\s*(?=\S{2,})")
# the article's alif left out after عبد (``عبدلرحمن``, ``عبدلعزيز``, as Quranic spelling writes it): Abd al-
_ABD_DEFECTIVE = re.compile(r"(?<!\S)عبدل(?=\S{3,})")
# a word opening with the article written with a hamza on its alif (``ألبغدادي``, a common slip): read also as the article;
# three letters or more after it (``ألمع`` Alma'a, ``ألين`` are names as written)
_HAMZA_ARTICLE = re.compile(r"(?<!\S)أل(?=\S{3,})")
# short vowels, tanwin, shadda, sukun, dagger alif and tatweel: written or not, the same name (``مُحَمَّد``, ``عبـد``)
_MARKS = re.compile(r"[\u064b-\u0652\u0670\u0640]")
# a kunya written joined to the name after it (``ابوياسر``, ``أبوقمر``: Abu Yasir, Abu Qamar); not before the article
# (``ابوالفضل`` is one name, Abolfazl), and a word of three letters or more after it (``ابوعلي`` Abu Ali); nor four
# letters or more and a final Persian yeh: a Persian family name made of a kunya, one word (``ابوطالبی`` Abutalebi,
# ``ابوترابی`` Abutorabi: of Abu Talib, not Abu Talebi); a shorter name keeps its kunya (``ابوعلی``, ``ابومهدی`` Abu Mahdi)
_KUNYA_JOINED = re.compile(r"(?<!\S)(أبو|ابو)(?=[^\sاأإآ]\S{2,})(?![^\sاأإآ]\S{3,}\u06cc(?!\S))")


def arabic_prepare(text: str) -> str:
    """Split the article off (``التكريتي`` -> ``ال تكريتي``) but keep theophoric names whole
    (``عبد الله`` -> ``عبدالله``, as lists write Abdallah; ``عبد ألمجيد``, ``عبد ال مجيد`` and ``عبدلمجيد`` too); drop
    ``ة`` (Urdu ``ۃ`` too), short vowels and tatweel (before anything else: ``عبـدُ الله`` is ``عبد الله``).
    After alif ``ة`` is read t, as lists write those names (``حياة`` Hayat, ``نجاة`` Najat, ``زكاة`` Zakat): the word
    would be left without a consonant."""
    text = _MARKS.sub("", text)
    text = _ABD.sub(r"\1ال", text)
    text = _ABD_DEFECTIVE.sub("عبدال", text)
    text = _ARTICLE.sub(r"\1 ", text)
    text = text.replace("اة", "ات").replace("اۃ", "ات")
    return text.replace("ة", "").replace("ۃ", "")


def arabic_kunya_apart(text: str) -> str:
    """``text`` (after :func:`arabic_prepare`) with a kunya joined to the next word written apart (``ابوياسر`` ->
    ``ابو ياسر``), as lists write Abu Yasir; the same text when it has none. The name as written is read too: lists
    also write some of them as one word (Abubakar)."""
    return _KUNYA_JOINED.sub(r"\1 ", text)


def arabic_hamza_article(text: str) -> str:
    """``text`` (after :func:`arabic_prepare`) with a word's opening ``أل`` read as the article (``حسن ألبغدادي`` ->
    ``حسن ال بغدادي``, Hassan al-Baghdadi), or the same text. The name as written is read too: some names open so
    (``ألطاف`` Altaf, ``ألفت`` Ulfat)."""
    return _ARTICLE.sub(r"\1 ", _HAMZA_ARTICLE.sub("ال", text))


# Arabic-script letters read otherwise than anyascii reads them, as lists spell names in Latin letters. Alif is a
# written vowel (``طاهر`` Tahir); ``ظ`` is z (ALA-LC's ẓ, and how lists write Zahir, Hafiz, Kazim: anyascii's dh).
_ARABIC_LETTERS = {"ا": "a", "ظ": "z"}
# Persian, Urdu, Pashto and Ottoman values of the Arabic interdentals and emphatic d: ``عثمان`` Usman, ``رضا`` Reza,
# ``ابوالفضل`` Abolfazl, ``ذاکر`` Zakir (Arabic: Uthman, Rida, Abu al-Fadl, Dhakir)
_ARABIC_PERSIAN = {"ث": "s", "ذ": "z", "ض": "z"}
_PERSIAN_LETTERS = frozenset(_ARABIC_PERSIAN)
# French (Maghreb, Lebanon) ``ش`` ch and Egyptian ``ج`` g: ``شاهين`` Chahine, ``جمال`` Gamal
_ARABIC_MAGHREB = {"ش": "ch", "ج": "g"}
_MAGHREB_LETTERS = frozenset(_ARABIC_MAGHREB)
# letters of Persian, Urdu and Pashto only (farsi yeh, keheh, pe, che, zhe, gaf, and the Pashto and Urdu ones): not an Arab name
_PERSIAN_ONLY = re.compile(r"[\u06cc\u06a9\u067e\u0686\u0698\u06af\u0679-\u0697\u069a-\u06a8\u06ba-\u06d3]")
_ARABIC_BLOCK = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


# (Urdu writes it ``ہ``, heh goal: ``عبدہ``)
_FINAL_HEH = re.compile(r"(?<=[^\s\u0627\u0648\u064a\u06cc\u0649\u0622\u0623\u0625\u0644])(?<=\S\S\S)[\u0647\u06c1](?!\S)")
_UNVOICED = "unvoiced"  # the reading without a word's final ه (its key is no letter)
_DIGRAPHS = "digraphs"  # the reading with a consonant and ه as one Latin digraph (its key is no letter)
_LATIN_PAIR = re.compile(r"[سكتدغ]ه")


def arabic_readings(text: str) -> list[str]:
    """A name in Arabic script (after :func:`arabic_prepare`) read letter by letter in Latin letters, for its consonant skeleton.

    anyascii's letters (``ث`` th, ``خ`` kh, ``ش`` sh, ``ح`` and ``ه`` h), except alif (a written vowel) and ``ظ`` (z).
    Two letters whose Latin letters would read as one digraph (``ط`` t + ``ه`` h in ``طه``, Taha) get a vowel between
    them, as every Latin spelling has: the skeleton of ``طاهر`` is then ``thr`` (Tahir), not ``tr``. A name with
    ``ث ذ ض`` is read a second time with their Persian and Urdu values (``رضا`` Reza beside Rida); one with ``ش ج``
    and no letter of Persian, Urdu or Pashto only, with French ``ش`` ch and Egyptian ``ج`` g (``شاهين`` Chahine,
    ``جمال`` Gamal). Only Arabic-script letters are read here; everything else is left as it is for
    :func:`names.transliterate`.
    """
    from anyascii import anyascii

    readings: list[dict[str, str]] = [{}] if not _PERSIAN_LETTERS.intersection(text) else [{}, _ARABIC_PERSIAN]
    if _MAGHREB_LETTERS.intersection(text) and not _PERSIAN_ONLY.search(text):
        readings.append(_ARABIC_MAGHREB)
    out = []
    # a word's final ه after a consonant is a vowel as often as a letter (عبده Abdu / Abduh, فاطمه Fatima / Fatemeh, as ة
    # is, which is dropped): the name is read once more without it (after a long vowel it is a letter: شاه Shah; الله kept)
    unvoiced = _FINAL_HEH.sub("", text)
    # a name with ``ڤ`` (v) is a foreign one, which a machine may have written letter by letter from its Latin spelling
    # (ICU's Latin-Arabic: Shved سهڤد, Ivanavich اڤنڤكه): read once more with س ك ت د غ before ه as the Latin digraphs
    letterwise = [{_DIGRAPHS: ""}] if "ڤ" in text and _LATIN_PAIR.search(text) else []
    for extra in readings + ([{_UNVOICED: ""}] if unvoiced != text else []) + letterwise:
        parts: list[str] = []
        last = ""
        for ch in unvoiced if _UNVOICED in extra else text:
            if not _ARABIC_BLOCK.match(ch):
                parts.append(ch)
                last = ""
                continue
            latin = extra.get(ch) or _ARABIC_LETTERS.get(ch) or anyascii(ch)
            if latin[:1] == "h" and last in "pkgdts" and last and _DIGRAPHS not in extra:
                parts.append("a")  # two letters, not a digraph
            parts.append(latin)
            last = latin[-1:] if latin else last
        out.append("".join(parts))
    return out


# -- Hebrew -----------------------------------------------------------------------------------------------

# ISO 259 (the scholarly system; ICU's Hebrew-Latin follows it) in ASCII: one Latin letter per Hebrew letter,
# vowels unwritten as in Hebrew (ו w, י y), the two gutturals alef and ayin silent.
_ISO259 = {
    "א": "", "ב": "b", "ג": "g", "ד": "d", "ה": "h", "ו": "w", "ז": "z", "ח": "h", "ט": "t", "י": "y", "כ": "k", "ך": "k",
    "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s", "ע": "", "פ": "p", "ף": "p", "צ": "s", "ץ": "s", "ק": "q",
    "ר": "r", "ש": "s", "ת": "t", "װ": "ww", "ױ": "wy", "ײ": "yy",
}  # fmt: skip
_HEBREW_LETTER = re.compile(r"[\u05d0-\u05ea\u05f0-\u05f2]")


def hebrew(text: str) -> list[str]:
    """A Hebrew name letter by letter as ISO 259 writes it in ASCII: ``יוסף לוי`` -> ``ywsp lwy``.

    Beside anyascii's reading in today's sounds (``yvsf lvy``: ב v, פ f, כ kh, צ ts), which
    :func:`names.transliterate` gives. Points (niqqud) and the geresh are dropped. A name with a
    tsadi is read a second time with it as z, ISO 259's ẓ and how Israelis write it (``צור`` Zur,
    ``צבי`` Zvi, ``יצחק`` Yizhak); the first reading's s is the Arabic sad it also writes (``נאצר``).
    """
    if not _HEBREW_LETTER.search(text):
        return []
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) or ch in "\u05f3\u05f4'\"":
            continue
        out.append(_ISO259.get(ch, ch if not _HEBREW_LETTER.match(ch) else ""))
    read = "".join(out)
    if "צ" in text or "ץ" in text:  # the letters' places are kept in ``out`` (a dropped letter is "")
        letters = [ch for ch in unicodedata.normalize("NFD", text) if not (unicodedata.combining(ch) or ch in "\u05f3\u05f4'\"")]
        return [read, "".join("z" if ch in "צץ" else got for ch, got in zip(letters, out, strict=True))]
    return [read]


# -- Hangul -----------------------------------------------------------------------------------------------

_INITIALS_RR = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_INITIALS_MR = ["k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch'", "k'", "t'", "p'", "h"]
_MEDIALS_RR = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"]
_MEDIALS_MR = ["a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i"]
_FINALS_RR = [
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]
# family names as people write them (passports, lists), not as RR spells them
_SURNAMES = {
    "김": ("kim",), "이": ("lee", "yi", "ri", "rhee"), "리": ("ri", "lee"), "박": ("park", "pak", "bak"), "최": ("choi", "choe"),
    "정": ("jung", "chong", "jeong"), "강": ("kang",), "조": ("cho", "jo"), "윤": ("yoon", "yun"), "장": ("jang", "chang"),
    "임": ("lim", "im"), "림": ("rim", "lim"), "한": ("han",), "오": ("oh", "o"), "서": ("seo", "suh", "so"), "신": ("shin", "sin"),
    "권": ("kwon", "gwon"), "황": ("hwang",), "안": ("ahn", "an"), "송": ("song",), "류": ("ryu", "yoo", "yu"), "유": ("yoo", "yu"),
    "홍": ("hong",), "전": ("jeon", "chon", "jun"), "고": ("ko", "go"), "문": ("moon", "mun"), "양": ("yang",), "손": ("son", "sohn"),
    "배": ("bae", "pae"), "백": ("baek", "paek"), "허": ("heo", "hur", "ho"), "노": ("noh", "no", "roh"), "로": ("ro", "roh"),
}  # fmt: skip


def _hangul_syllables(word: str, initials: list[str], medials: list[str]) -> list[str]:
    out = []
    for ch in word:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            out.append(ch)
            continue
        out.append(initials[code // 588] + medials[(code % 588) // 28] + _FINALS_RR[code % 28])
    return out


def hangul(text: str) -> list[str]:
    """Korean names by Revised Romanisation and McCune-Reischauer, the family name as people write it.

    ``김정은`` -> ``kim jongun`` / ``kim jeongeun``; ``리영호`` -> ``ri yongho``.
    """
    words = text.split()
    if len(words) == 1 and 2 <= len(words[0]) <= 4 and all(0xAC00 <= ord(c) <= 0xD7A3 for c in words[0]):
        words = [words[0][0], words[0][1:]]  # a Korean name of 2-4 syllables: one-syllable family name first
    out: list[str] = []
    # RR, McCune-Reischauer, and the mix most lists print (RR consonants, MR vowels: "Jong Un")
    for initials, medials in ((_INITIALS_RR, _MEDIALS_RR), (_INITIALS_MR, _MEDIALS_MR), (_INITIALS_RR, _MEDIALS_MR)):
        syllables = [[p.replace("'", "") for p in _hangul_syllables(w, initials, medials)] for w in words]
        parts = ["".join(x) for x in syllables]
        out.append(" ".join(parts))
        family = _SURNAMES.get(words[0]) if words else None
        for spelled in family or ():
            out.append(" ".join([spelled, *parts[1:]]))
            out.append(" ".join([spelled, *(p for x in syllables[1:] for p in x)]))  # "Kim Jong Un": one token a syllable
    return list(dict.fromkeys(out))


# -- Japanese -------------------------------------------------------------------------------------------

_KANA = re.compile(r"[\u3040-\u30ff]")


@lru_cache(maxsize=1)
def _katsu() -> Any:
    try:
        import cutlet  # MIT; MeCab (fugashi) with the UniDic Lite dictionary, all from PyPI wheels
    except Exception:  # optional: without it kanji are read as Mandarin only
        return None
    try:
        katsu = cutlet.Cutlet()
    except Exception:  # a broken dictionary install: read as Mandarin only
        return None
    katsu.use_foreign_spelling = False
    return katsu


@lru_cache(maxsize=1)
def _cutlet() -> Callable[[str], str] | None:
    katsu = _katsu()
    if katsu is None:
        return None
    convert: Callable[[str], str] = katsu.romaji
    return convert


_NAMES_LOCK = Lock()
GIVEN_READINGS = 2  # other readings of a kanji given name kept beside the tagger's first (幹: Tsuyoshi; Miki, Kara)
_GIVEN_PATHS = 8  # the tagger's best analyses of the given name read for them
_GIVEN_LEAD = 3  # a compound given name's leading parts are one syllable each (sou + tarou, ken + ichi)
_KANJI_READ_AS = ("名詞", "接頭辞")  # a kanji of a given name the tagger knows as no name: a noun's or a prefix's reading


NAME_READINGS = 4  # readings of a kanji given name taken from JMnedict beside the tagger's (知実: Satomi beside Tomomi)
# JMnedict's kanji given names (types given, fem, masc) and their kana, extracted once from the EDRDG's file by
# scripts/build_jmnedict_names.py and shipped with finguard (data/PROVENANCE.md): 143,501 forms, 0.9 MB gzipped
_NAMES_FILE = "jmnedict_given.tsv.gz"


@lru_cache(maxsize=1)
def _names_db() -> list[str]:
    """JMnedict (the EDRDG's Japanese names dictionary, CC BY-SA 4.0): one line per kanji given name, ``kanji<TAB>kana
    <TAB>kana...``, the kana in the dictionary's order, sorted by kanji form; read from the shipped file on the first
    kanji given name looked up (not at import). A sorted list searched by bisection, not a dict: ~14 MB and ~0.05-0.15 s
    to load where a dict took ~29 MB and ~0.2-0.3 s. A missing or unreadable file is a broken install: it raises rather than
    silently dropping the readings."""
    import gzip
    from importlib.resources import files

    with _NAMES_LOCK:
        data = files("finguard.screening").joinpath("data", _NAMES_FILE).read_bytes()
        return gzip.decompress(data).decode("utf-8").splitlines()


def _dictionary_readings(given: str) -> list[str]:
    """A kanji given name's readings as a given name in JMnedict, in kana, in the dictionary's order (知実: さとみ, ともざね,
    ともみ); none for a form JMnedict has no given name for."""
    lines = _names_db()
    key = given + "\t"  # a form's line sorts before any longer form's it is the start of: the tab is below every kanji
    i = bisect_left(lines, key)
    if i < len(lines) and lines[i].startswith(key):
        return lines[i][len(key) :].split("\t")
    return []


def _given_readings(text: str) -> tuple[str, list[str]] | None:
    """A kanji name's family name read once, and its given name's other readings: ``林 幹`` -> ``hayashi``, ``[miki ...]``.

    A kanji given name has several readings, and which one a person uses is not written (幹 is Miki,
    Tsuyoshi or Motoki; 淳 Jun or Atsushi; 聡太郎 Satoshi Tarou or Soutarou). MeCab's best analyses of
    the given name alone give them: a whole-word reading of any noun, or a reading whose every part is a
    given name in UniDic and all but the last one syllable (``sou`` + ``tarou``, written as one word as given
    names are: ``soutarou``; not ``hiroshi`` + ``yoshiko`` for 裕美子); a given name with no such reading, its
    kanji read one by one as nouns or prefixes (拓真: ``takushin``, ``takumakoto``, ``takuma``). The family
    name is the written first word, or the first word the tagger reads as a family name; a name it does not read
    so gets no other readings.
    """
    katsu = _katsu()
    if katsu is None:
        return None
    words = text.split()
    if len(words) == 2:
        family, given = words
    elif len(words) == 1:
        nodes = katsu.tagger(text)
        if len(nodes) < 2 or nodes[0].feature.pos4 != "姓":
            return None
        family = nodes[0].surface
        given = text[len(family) :]
    else:
        return None
    if not given or not all(is_kanji(ch) for ch in given):
        return None
    # the name dictionary only for a family name of two kanji or more, as most Japanese ones are (佐藤, 藤田) and almost
    # no Chinese one is (王, 李): its readings doubled a Han name's variants, and the Chinese names' cost CPU (p999
    # 8 ms -> 15 ms a query) for readings no Chinese name has
    return katsu.romaji(family).lower().replace("'", ""), list(_given_name_readings(given, len(family) > 1))


@lru_cache(maxsize=4096)
def _given_name_readings(given: str, dictionary: bool = True) -> tuple[str, ...]:
    """A kanji given name's readings from MeCab's best analyses of it alone (see :func:`_given_readings`).

    Kept per given name (the tagger's answer depends on nothing else): 翔太 or 裕美子 is read once for every
    family name it comes with, on the lists and in queries.
    """
    katsu = _katsu()
    out: list[str] = []
    by_kanji: list[str] = []  # kanji by kanji: 拓真 Takuma, which UniDic knows as no given name (taku + shin, taku + ma)
    for nodes in katsu.tagger.nbestToNodeList(given, _GIVEN_PATHS):
        parts = [t.surface.lower().replace("'", "") for t in katsu.romaji_tokens(nodes)]
        reading = "".join(parts)  # one word, as given names are written: Soutarou
        if not reading.isalpha() or not reading.isascii():
            continue
        if len(nodes) == len(given) > 1 and all(n.feature.pos1 in _KANJI_READ_AS for n in nodes) and reading not in by_kanji:
            by_kanji.append(reading)
        if not all(n.feature.pos1 == "名詞" for n in nodes) or (len(nodes) > 1 and any(n.feature.pos4 != "名" for n in nodes)):
            continue
        if any(len(p) > _GIVEN_LEAD for p in parts[:-1]):
            continue  # two given names run together (裕美子 as hiroshi + yoshiko), not a compound (聡太郎 as sou + tarou)
        if reading not in out:
            out.append(reading)
    out = out[: GIVEN_READINGS + 1]
    # the name dictionary's readings of the whole given name, which the tagger's dictionary may lack (知実 Satomi, 陽菜
    # Hina): a given name's reading is the bearer's choice, and a list writes the one the person uses
    extra = 0
    for kana in _dictionary_readings(given) if dictionary else ():
        reading = katsu.romaji(kana).lower().replace("'", "").replace(" ", "")
        if extra < NAME_READINGS and reading.isalpha() and reading.isascii() and reading not in out:
            out.append(reading)
            extra += 1
    if not out:  # no reading as a given name in either dictionary: the readings of its kanji one by one
        out = by_kanji[: GIVEN_READINGS + 1]
    return tuple(out)


def is_han(ch: str) -> bool:
    """A CJK unified ideograph (basic block, extension A, compatibility)."""
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x2FA1F


def is_kanji(ch: str) -> bool:
    """A Han character, or the iteration mark 々 Japanese names write with them (佐々木)."""
    return ch == "々" or is_han(ch)


def has_kana(text: str) -> bool:
    return bool(_KANA.search(text))


def japanese(text: str) -> list[str]:
    """A Japanese name (kanji, kana or both) read in Hepburn: ``小川 陽一`` -> ``ogawa youichi`` and ``ogawa yoichi``.

    Kept per name (:func:`_japanese`): the readings depend on the text alone, and MeCab's n-best
    analyses of a given name cost a few tenths of a millisecond per name.
    """
    return list(_japanese(text))


@lru_cache(maxsize=4096)
def _japanese(text: str) -> tuple[str, ...]:
    """:func:`japanese`, computed."""
    convert = _cutlet()
    if convert is None:
        return ()
    try:
        romaji = convert(text).lower().replace("'", "")  # "Ken'Ichi": the apostrophe only separates n from a vowel
    except Exception:  # the tagger refused the text: no Japanese reading
        return ()
    words = romaji.split()
    if len(words) < 2 or not romaji.isascii() or not all(w.isalpha() for w in words):
        return ()  # not read as a Japanese family + given name (a Chinese name, unknown characters)
    readings = [romaji]
    try:
        other = _given_readings(text)
    except Exception:  # a tagger without n-best analyses, or one that refused the text: the first reading only
        other = None
    if other is not None:
        family, given = other
        readings.extend(f"{family} {g}" for g in given if g != "".join(words[1:]))  # not the first reading again
    out: list[str] = []
    for r in readings:
        out.append(r)
        # long vowels as Hepburn without macrons writes them: Satou / Sato, Oota (太田) / Ota, Yuuki / Yuki
        out.append(r.replace("ou", "o").replace("oo", "o").replace("uu", "u").replace("ō", "o").replace("ū", "u"))
    return tuple(dict.fromkeys(out))


# -- foreign names written in Chinese characters ----------------------------------------------------------

# The Latin sound each character stands for when Chinese transcribes a foreign name (the Xinhua
# transcription tables' common characters: 弗拉基米尔·普京 Vladimir Putin, 谢尔盖 Sergei, 维奇 -vich).
# One spelling each, the commonest; characters that transcribe a lone consonant (斯 s, 克 k, 尔 r,
# 夫 v, 姆 m ...) give only the consonant. Compared through :func:`names.transcription_key`, which
# forgets what Chinese cannot write (voicing, l / r, doubled letters).
_TRANSCRIPTION = {
    "阿": "a", "埃": "e", "艾": "ai", "爱": "ai", "安": "an", "昂": "an", "奥": "o", "巴": "ba", "拜": "bai", "班": "ban",
    "邦": "bon", "鲍": "bo", "贝": "be", "本": "ben", "比": "bi", "彼": "pe", "宾": "bin", "波": "po", "博": "bo", "伯": "ber",
    "布": "b", "查": "cha", "察": "cha", "达": "da", "戴": "dai", "丹": "dan", "道": "do", "德": "d", "登": "den", "迪": "di",
    "蒂": "ti", "丁": "din", "东": "don", "杜": "du", "多": "do", "厄": "e", "恩": "n", "尔": "r", "法": "fa", "凡": "van",
    "菲": "fi", "费": "fe", "芬": "fin", "丰": "fon", "弗": "v", "福": "fo", "夫": "v", "盖": "gei", "甘": "gan", "冈": "gon",
    "戈": "go", "格": "g", "根": "gen", "古": "gu", "瓜": "gua", "哈": "kha", "海": "khai", "汉": "khan", "豪": "kho", "赫": "kh",
    "亨": "hen", "胡": "khu", "华": "hua", "惠": "wi", "霍": "kho", "吉": "gi", "基": "ki", "加": "ga", "杰": "je", "金": "kin",
    "津": "zhin", "京": "tin", "卡": "ka", "凯": "kai", "坎": "kan", "康": "kon", "科": "ko", "克": "k", "肯": "ken", "库": "ku",
    "拉": "la", "莱": "le", "兰": "lan", "朗": "lon", "劳": "lau", "勒": "le", "雷": "re", "里": "ri", "利": "li", "莉": "li",
    "丽": "li", "林": "lin", "琳": "lin", "卢": "lu", "鲁": "ru", "路": "lu", "伦": "len", "罗": "ro", "洛": "lo", "马": "ma",
    "迈": "mai", "曼": "man", "毛": "mao", "梅": "me", "门": "men", "蒙": "mon", "米": "mi", "敏": "min", "莫": "mo", "姆": "m",
    "穆": "mu", "纳": "na", "娜": "na", "奈": "nai", "南": "nan", "内": "ne", "尼": "ni", "宁": "nin", "努": "nu", "诺": "no",
    "欧": "o", "帕": "pa", "潘": "pan", "佩": "pe", "皮": "pi", "普": "pu", "奇": "ch", "契": "che", "乔": "jo", "切": "che",
    "钦": "chin", "琴": "chen", "丘": "chu", "萨": "sa", "塞": "se", "桑": "san", "瑟": "se", "森": "sen", "沙": "sha", "莎": "sa",
    "舍": "she", "申": "shen", "施": "shi", "史": "shi", "什": "sh", "舒": "shu", "斯": "s", "松": "son", "苏": "su", "索": "so",
    "塔": "ta", "泰": "tai", "坦": "tan", "汤": "tom", "特": "t", "提": "ti", "图": "tu", "托": "to", "瓦": "va", "万": "van",
    "威": "wi", "韦": "ve", "维": "vi", "温": "win", "沃": "vo", "乌": "u", "西": "si", "希": "khi", "夏": "sha", "谢": "se",
    "辛": "sin", "休": "hu", "雅": "ya", "亚": "ya", "扬": "yan", "耶": "ye", "叶": "ye", "伊": "i", "因": "in", "尤": "yu",
    "约": "yo", "扎": "za", "泽": "ze", "詹": "jan", "兹": "z", "茨": "ts", "卓": "jo", "佐": "zo", "季": "di", "莲": "len",
    "延": "yen", "绍": "sho", "历": "li", "滕": "ten", "山": "shan", "大": "da",
    # given names whose usual Chinese form departs from the syllable tables
    "弗拉基米尔": "vladimir", "德米特里": "dmitry", "米哈伊尔": "mikhail", "叶卡捷琳娜": "yekaterina", "亚历山大": "aleksandr",
    "亚历克谢": "aleksei", "阿列克谢": "aleksei", "阿列克桑德尔": "aleksandr",
    "舍夫": "shev", "珀": "po", "雷斯": "res", "贾": "ja", "谢夫": "shev", "赞": "zan", "姆赞": "mzan",
    "列": "le", "谢尔": "ser", "纳季": "nadi", "沙尔": "shar", "塞尔": "sel", "希姆": "khim", "西姆": "sim", "桑德": "sand",
    "登堡": "denberg", "堡": "burg", "里亚": "rya", "利亚": "lya", "娅": "ya", "妮": "ni", "芙": "f", "茜": "si", "黛": "dai",
}  # fmt: skip
_TRANSCRIPTION_KEYS = sorted(_TRANSCRIPTION, key=len, reverse=True)
FOREIGN_NAME_DOTS = "·・•‧"  # how Chinese separates the words of a foreign name: 弗拉基米尔·普京


def foreign_han(text: str) -> list[str]:
    """A foreign name written in Chinese characters, read back in Latin letters: ``弗拉基米尔·普京`` -> ``vladimir putin``.

    Only names written the way Chinese writes foreign names (words joined by a middle dot), every
    character of which is in the table; anything else gives nothing (a Chinese name is read as
    Chinese).
    """
    if not any(dot in text for dot in FOREIGN_NAME_DOTS):
        return []
    words = [w for w in re.split(f"[{FOREIGN_NAME_DOTS}\\s]+", text) if w]
    out: list[str] = []
    for word in words:
        latin: list[str] = []
        i = 0
        while i < len(word):
            key = next((k for k in _TRANSCRIPTION_KEYS if word.startswith(k, i)), None)
            if key is None:
                return []
            latin.append(_TRANSCRIPTION[key])
            i += len(key)
        out.append("".join(latin))
    return [" ".join(out)] if out else []
