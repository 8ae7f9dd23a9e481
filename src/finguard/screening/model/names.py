"""Name normalisation: the small steps that turn a name as typed into forms that can be compared.

Two things live here:

* :func:`name_key`, the exact key the store indexes (order, case, accents and punctuation ignored).
* The steps of the fuzzy screening pipeline (issue #3), each a small pure function:

  ============================  ===============================================================
  :func:`clean_text`            NFKC (full-width -> half-width), control and format characters
                                removed, whitespace collapsed
  :func:`fold`                  case folding and accents removed (``Nicolás`` -> ``nicolas``)
  :func:`to_simplified`         traditional -> simplified Chinese (OpenCC ``t2s``)
  :func:`han_to_pinyin`         Han -> pinyin syllables, with or without tones; family names with
                                special readings (单 shan, 曾 zeng, 解 xie ...) read as names
  :func:`split_han_name`        family name / given name split of a Chinese name (复姓 aware)
  :func:`transliterate`         other scripts -> Latin (anyascii: Cyrillic, Arabic, Greek ...)
  :func:`swap_comma_order`      ``SURNAME, Given`` -> ``Given SURNAME``
  :func:`strip_legal_forms`     ``Co., Ltd.``, ``GmbH``, ``有限公司``, ``A.Ş.``, ``Α.Ε.``, ``주식회사`` ... removed and returned
  :func:`strip_tone_numbers`    ``xi2 jin4ping2`` -> ``xi jinping``
  :func:`segment_pinyin`        ``xijinping`` -> ``["xi", "jin", "ping"]``
  :func:`wade_giles_to_pinyin`  ``tse`` -> ``ze``, ``tung`` -> ``dong``, ``hsiao`` -> ``xiao``
  :func:`cantonese_surname`     ``Chan`` -> ``chen``, ``Wong`` -> ``huang`` (family names only)
  :func:`numbers_as_digits`     ``brigade fourty four`` -> ``brigade 44`` (cardinals and ordinals)
  :func:`phonetic_key`          a coarse sound key (``Mohamed``/``Muhammad`` -> ``mhmt``)
  :func:`transcription_key`     a foreign name read back from Chinese characters, as a sound key
  :func:`korean_key`            romanised Korean syllables with RR / McCune-Reischauer differences removed
  :func:`skeleton`              consonant skeleton, for names from scripts that omit vowels
  ============================  ===============================================================

:func:`analyse_name` runs the pipeline and returns a :class:`NameForm`: the name's comparable
variants (token tuples in ASCII lower case), the legal forms it carried and the scripts it used.
Nothing here does I/O; everything is total: any ``str`` gives a :class:`NameForm`, possibly with
no variants (a name of only punctuation or emoji).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from opencc import OpenCC

from finguard.core.text import MAX_NAME_INPUT, name_key  # noqa: F401  (re-exported: the exact key beside the analysis)
from finguard.screening.model import scripts as sc

MAX_SCREEN_NAME = 1_000  # longer names are refused by the screener: no real name is that long
MAX_TOKENS = 24  # tokens kept per variant; the rest of a very long name is ignored


# -- step 1: Unicode clean-up ---------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """NFKC-normalise, drop control / format / private-use characters, collapse whitespace.

    NFKC folds full-width Latin and digits to ASCII (``ＨＵＡＷＥＩ`` -> ``HUAWEI``) and
    compatibility ideographs to their unified form. Line breaks and tabs become spaces; zero-width
    joiners, bidi marks and other invisible characters disappear.
    """
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isspace():
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Co", "Cs", "Cn"):
            continue
        out.append(ch)
    return _SPACE.sub(" ", "".join(out)).strip()


def fold(text: str) -> str:
    """Case-fold and remove accents: ``"MADURO MOROS, Nicolás"`` -> ``"maduro moros, nicolas"``.

    ``ß`` becomes ``ss`` (case folding), ``ø``/``ł``/``đ`` lose their stroke, pinyin tone marks
    disappear (``Xí Jìnpíng`` -> ``xi jinping``) and ``ü`` becomes ``u``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_STROKES)


_STROKES = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"})


# -- step 2: Chinese ------------------------------------------------------------------------------


is_han = sc.is_han  # a CJK unified ideograph (defined in scripts, which the Japanese reading needs it in too)


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese with OpenCC's ``t2s`` tables: ``華為技術`` -> ``华为技术``.

    Text without Han characters is returned unchanged (and costs nothing).
    """
    if not any(is_han(ch) for ch in text):
        return text
    converted: str = _t2s().convert(text)
    return converted


# Family names whose reading as a name differs from the character's most common reading.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "华": "hua",
    "任": "ren",
    "覃": "qin",
    "乐": "yue",
    "缪": "miao",
    "员": "yun",
    "重": "chong",
    "种": "chong",
    "秘": "bi",
    "召": "shao",
    "翟": "zhai",
    "柏": "bai",
    "纪": "ji",
    "宁": "ning",
    "车": "che",
    "那": "na",
    "句": "gou",
    "繁": "po",
    "折": "she",
    "朝": "chao",
    "乜": "nie",
    "牟": "mou",
    "眭": "sui",
    "隗": "wei",
    "黑": "he",
    "尉": "wei",
    "藏": "zang",
    "冼": "xian",
    "万": "wan",
    "长": "chang",
    "沈": "shen",
    "贾": "jia",
    "薄": "bo",
    "适": "kuo",
    "阚": "kan",
    "洗": "xian",
    "莘": "shen",
    "过": "guo",
    "能": "nai",
}
# Two-character family names (复姓), with their readings.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ouyang",
    "司马": "sima",
    "上官": "shangguan",
    "诸葛": "zhuge",
    "东方": "dongfang",
    "皇甫": "huangfu",
    "尉迟": "yuchi",
    "公孙": "gongsun",
    "慕容": "murong",
    "长孙": "zhangsun",
    "宇文": "yuwen",
    "司徒": "situ",
    "司空": "sikong",
    "夏侯": "xiahou",
    "令狐": "linghu",
    "澹台": "tantai",
    "单于": "chanyu",
    "万俟": "moqi",
    "轩辕": "xuanyuan",
    "端木": "duanmu",
    "西门": "ximen",
    "南宫": "nangong",
    "呼延": "huyan",
    "申屠": "shentu",
    "百里": "baili",
    "钟离": "zhongli",
    "闻人": "wenren",
    "赫连": "helian",
    "拓跋": "tuoba",
}


def han_to_pinyin(text: str, *, tones: bool = False, surname: bool = False) -> list[str]:
    """Pinyin syllables of the Han characters in ``text`` (other characters are dropped).

    ``tones=True`` gives tone numbers (``["xi2", "jin4", "ping2"]``); without, plain syllables.
    ``surname=True`` reads the leading family name as a name: ``单雄信`` -> ``shan xiong xin``
    (not ``dan``), ``曾国藩`` -> ``zeng guo fan`` (not ``ceng``), ``解缙`` -> ``xie jin``. ``ü`` is
    written ``u`` (``吕`` -> ``lu``), as most romanised lists do.
    """
    simple, syllables = _han_syllables(text, tones)
    return _as_surname(simple, list(syllables)) if surname and not tones else list(syllables)


def _han_readings(text: str) -> tuple[list[str], list[str]]:
    """``han_to_pinyin(text)`` and ``han_to_pinyin(text, surname=True)``, the characters read once."""
    simple, syllables = _han_syllables(text, False)
    return list(syllables), _as_surname(simple, list(syllables))


@lru_cache(maxsize=16384)
def _han_syllables(text: str, tones: bool) -> tuple[str, tuple[str, ...]]:
    """The Han characters of ``text`` simplified, and their pinyin syllables (``ü`` as ``u``).

    Kept per text: a company's city and trade name recur across names, and OpenCC and pypinyin
    cost tens of microseconds a name."""
    simple = "".join(ch for ch in to_simplified(text) if is_han(ch))
    if not simple:
        return "", ()
    # pypinyin's phrase dictionary takes a second to load: only a process that reads Han names pays.
    from pypinyin import Style, lazy_pinyin

    style = Style.TONE3 if tones else Style.NORMAL
    return simple, tuple(s.replace("v", "u") for s in lazy_pinyin(simple, style=style, errors="ignore"))


def _as_surname(simple: str, syllables: list[str]) -> list[str]:
    """``syllables`` (of ``simple``) with the leading family name read as a name (:func:`han_to_pinyin`)."""
    if not simple:
        return syllables
    family, _ = split_han_name(simple)
    if family in COMPOUND_SURNAMES:
        from pypinyin import lazy_pinyin

        reading = COMPOUND_SURNAMES[family]
        first = lazy_pinyin(family[0])[0].replace("v", "u")
        # keep syllable boundaries: "ouyang" -> ["ou", "yang"]
        if reading.startswith(first):
            syllables[0], syllables[1] = first, reading[len(first) :]
    elif family in SURNAME_READINGS:
        syllables[0] = SURNAME_READINGS[family]
    return syllables


def split_han_name(han: str) -> tuple[str, str]:
    """Family name and given name of a Chinese name: ``欧阳修`` -> ``("欧阳", "修")``.

    The family name is a known two-character family name when the name starts with one and is at
    least three characters long, otherwise the first character.
    """
    if len(han) >= 3 and han[:2] in COMPOUND_SURNAMES:
        return han[:2], han[2:]
    return han[:1], han[1:]


# -- step 3: other scripts ------------------------------------------------------------------------

_ABJAD_SCRIPTS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA", "THAI", "LAO", "KHMER")


def script_of(ch: str) -> str:
    """A coarse script name for a letter: ``LATIN``, ``HAN``, ``CYRILLIC``, ``ARABIC`` ... or ``""``."""
    if ch.isascii():
        return "LATIN" if ch.isalpha() else ""
    if is_han(ch):
        return "HAN"
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return ""
    if not unicodedata.category(ch).startswith("L"):
        return ""
    return name.split(" ", 1)[0]


def transliterate(text: str) -> str:
    """Romanise non-Latin, non-Han scripts with anyascii: ``Владимир Путин`` -> ``Vladimir Putin``.

    Arabic and Hebrew come out as consonant skeletons (``محمد علي`` -> ``mhmd `ly``), which is why
    names from those scripts are compared by :func:`skeleton`; the Hebrew vav is ``w`` (``מוחמד``
    -> ``mwhmd``), bet ``v``. Hangul syllable blocks are split
    (``김정은`` -> ``Gim Jeong Eun``). Symbols and emoji are dropped, not spelled out.
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif unicodedata.category(ch)[0] in "LMN":
            # vav is w: a vowel letter (o, u) or a consonant, and not bet (anyascii reads both v)
            latin = "w" if ch == "\u05d5" else anyascii(ch)
            if 0xAC00 <= ord(ch) <= 0xD7A3:  # Hangul syllable: one syllable of a name
                latin = " " + latin + " "
            out.append(latin)
        else:
            out.append(" ")
    return "".join(out)


# -- step 4: order and legal forms ----------------------------------------------------------------


def swap_comma_order(text: str) -> str:
    """``"MADURO MOROS, Nicolas"`` -> ``"Nicolas MADURO MOROS"``; other texts unchanged.

    Only a single comma with a name on each side is read as ``SURNAME, Given``.
    """
    parts = text.split(",")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return text
    return f"{parts[1].strip()} {parts[0].strip()}"


# Honorific titles (``Dr Sally Jones``, ``AL ZAWAHIRI, Dr. Ayman``, ``Haji Abdul Manan``), as tokens (folded, romanised,
# without dots). They say nothing of who is meant: two names equal but for them are equal (a namesake, not a near
# spelling; matcher._untitled). They stay in the compared tokens otherwise: a title with no counterpart is a word the
# other name lacks, as any other. Family names that are also titles (``SHEIKH``, ``KING``) are not on the list.
HONORIFICS = frozenset(
    {
        # English; German, Italian (``Pan``, ``Bay`` are family names too: not here)
        *("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "herr", "frau", "dott", "sig", "gospodin", "gospozha"),
        # Arabic, Persian, Urdu and Pashto honorifics as the lists write them in Latin letters
        *("haji", "hajji", "hadji", "alhaji", "alhaj", "mullah", "mulla", "maulvi", "mawlawi", "maulana", "mawlana", "qari"),
    }
)


# Legal forms (issue #16). Latin forms are keyed folded (fold: ``Ş`` -> ``s``, ``Ü`` -> ``u``) and without dots
# (``A.Ş.`` -> ``as``, ``s.r.o.`` -> ``sro``), one form per entry; the value is the form's comparable name (the legal-form
# qualifier compares them: ``jsc`` joint-stock, ``llc`` / ``limited`` limited liability, ``partnership`` ...). Greek,
# Hebrew and Hangul forms are keyed in their own script. Provenance: the forms added for issue #16 (Turkish, Greek,
# Korean, Japanese, Hebrew, Polish, Czech / Slovak, Nordic, Dutch / Belgian, Portuguese, Italian, French, German,
# Hungarian, Balkan, Indonesian, Gulf and Latin American forms) were checked against, and copied from, the organisation-
# type table of OpenSanctions' ``rigour`` package (MIT licence; ``rigour.names.org_types``, itself from OCCRP's list, the
# ISO 20275 Entity Legal Forms code list and Wikipedia's "Types of business entity"), at development time only: rigour is
# no dependency of finguard (see src/finguard/data/PROVENANCE.md).
_LEGAL_FORMS_LATIN = {
    "gongsi": "公司",  # pinyin of the Chinese forms: "Huawei Jishu Youxian Gongsi"
    "youxian": "有限",
    "youxiangongsi": "有限公司",
    "gufen": "股份",
    "co": "company",
    "company": "company",
    "cos": "company",
    "corp": "corporation",
    "corporation": "corporation",
    "inc": "incorporated",
    "incorporated": "incorporated",
    "ltd": "limited",
    "limited": "limited",
    "ltda": "limited",
    "llc": "llc",
    "plc": "plc",
    "llp": "llp",
    "lp": "lp",
    "gmbh": "gmbh",
    "ag": "ag",
    "kg": "kg",
    "sa": "sa",
    "sas": "sa",
    "sarl": "sarl",
    "srl": "srl",
    "spa": "spa",
    "bv": "bv",
    "nv": "nv",
    "oy": "oy",
    "ab": "ab",
    "asa": "asa",
    "jsc": "jsc",
    "ojsc": "jsc",
    "cjsc": "jsc",
    "pjsc": "jsc",
    "ooo": "llc",
    "zao": "jsc",
    "oao": "jsc",
    "pao": "jsc",
    "tov": "llc",
    "pte": "private",
    "pvt": "private",
    "pty": "private",
    "private": "private",
    "bhd": "berhad",
    "berhad": "berhad",
    "sdn": "berhad",
    "kft": "kft",
    "doo": "doo",
    "fze": "fz",
    "fzco": "fz",
    "fzc": "fz",
    "fzllc": "fz",
    "fzll": "fz",
    "est": "establishment",
    "establishment": "establishment",
    "group": "group",
    "holding": "holding",
    "holdings": "holding",
    "sociedad": "sociedad",
    "anonima": "sa",
    "cia": "company",
    "limitada": "limited",
    "dmcc": "fz",  # Dubai Multi Commodities Centre free-zone company
    "compania": "company",  # issue #16: Spanish, Portuguese, French (Compañía, Companhia, Compagnie)
    "companhia": "company",
    "compagnie": "company",
    "sl": "sl",
    # the words of legal forms as a name written in Cyrillic gives them once romanised ("Компания", "Компани")
    "kompaniya": "company",
    "kompaniia": "company",
    "kompania": "company",
    "kompaniy": "company",
    "kompani": "company",
    "kompany": "company",
    "kompanj": "company",
    "korporatsiya": "corporation",
    "korporatsiia": "corporation",
    "korporaciya": "corporation",
    "gruppa": "group",
    "grupp": "group",  # "Групп", as Russian writes Group after a name
    "kholding": "holding",
    # Inc. and Incorporated as Russian writes them ("Инк", "Инкорпорэйтед"): "Владимиров Инк" is a firm, not the words
    # "vladimirov ink" of a person's name
    "ink": "incorporated",
    "inkorporeyted": "incorporated",
    "inkorporeited": "incorporated",
    "inkorporejted": "incorporated",
    # -- issue #16 (rigour org_types, MIT; see above) --
    # Turkish: A.Ş. (anonim şirketi), Ltd. Şti. (limited şirketi)
    # anonim şirket is a société anonyme: "sa", as S.A. (a form that reads as a word of a name too, AS, A/S: the
    # matcher's rule on a query's legal form against a listed person counts it as it counts SA, not at all)
    "as": "sa",  # also Norwegian / Danish AS, Czech / Slovak a.s., Estonian AS
    "anonim": "sa",
    "sti": "llc",
    "sirketi": "company",
    # Nordic: Danish A/S, ApS, I/S, K/S, P/S, a.m.b.a.; Finnish Oyj; Swedish HB, KB; Icelandic ehf., hf.
    "a/s": "sa",
    "aps": "llc",
    "oyj": "jsc",
    "i/s": "partnership",
    "k/s": "partnership",
    "p/s": "partnership",
    "amba": "llc",
    "kb": "lp",  # kommanditbolag
    "ehf": "llc",
    "hf": "sa",  # hlutafélag
    # Polish (sp. z o.o. below), Czech / Slovak
    "spzoo": "llc",
    "sro": "llc",
    # Dutch and Belgian
    "vof": "partnership",
    "bvba": "llc",
    "cvba": "cooperative",
    "sprl": "llc",
    "scrl": "cooperative",
    "vzw": "association",
    "asbl": "association",
    # Portuguese and Brazilian
    "lda": "limited",
    "unipessoal": "limited",
    "sgps": "holding",
    "eireli": "limited",
    # Italian
    "snc": "partnership",  # also French
    "srls": "srl",
    "sapa": "partnership",
    "scarl": "cooperative",
    # French
    "eurl": "sarl",
    "sasu": "sa",
    "sci": "sci",
    "sca": "partnership",
    "scs": "partnership",
    "gie": "gie",
    "selarl": "sarl",
    "scop": "cooperative",
    # Spanish and Latin American
    "sau": "sa",
    "slu": "sl",
    "eirl": "limited",
    "saic": "sa",
    "saci": "sa",
    "cv": "lp",  # commanditaire vennootschap (Dutch, Indonesian); S.A. de C.V. below
    # German and Austrian
    "ohg": "partnership",
    "gbr": "partnership",
    "kgaa": "kg",
    "mbh": "gmbh",
    "aktiengesellschaft": "ag",
    # Hungarian
    "zrt": "jsc",
    "nyrt": "jsc",
    "bt": "lp",  # betéti társaság
    "kkt": "partnership",
    # Balkan, Baltic, Caucasus
    "ood": "llc",
    "eood": "llc",
    "shpk": "llc",
    "uab": "llc",
    "mmc": "llc",
    # Greek written in Latin letters (A.E., E.P.E., I.K.E., O.E., E.E.)
    "epe": "llc",
    "ike": "llc",
    "ae": "jsc",
    "oe": "partnership",
    "ee": "partnership",
    # Indian, Indonesian, Thai, Japanese and Korean romanised
    "opc": "private",
    "tbk": "jsc",
    "pcl": "plc",
    "kk": "株式会社",
    # Gulf and Levant
    "wll": "llc",
    "spc": "company",
    "saog": "jsc",
    "saoc": "jsc",
    "qsc": "jsc",
    "qpsc": "jsc",
    "psc": "jsc",
    "sal": "sa",
    # Greek, Hebrew in their scripts (folded: no accents, lower case)
    "αε": "jsc",
    "οε": "partnership",
    "εε": "partnership",
    "επε": "llc",
    "ικε": "llc",
    "בעמ": "limited",  # בע"מ, בע״מ: be'eravon mugbal
}
# Short forms that are also name words or syllables (Korean ``Ae``, ``Ike``, Dutch ``Vos``, Chinese ``Ou``): stripped
# only as written with dots (``A.E.``, ``I.K.E.``), never as a bare word.
_DOTTED_ONLY = frozenset({"ae", "oe", "ee", "ike", "ek", "ev", "eg", "vos", "dd", "sal", "kk", "bsc"})
# Short forms that are initials too, stripped only after a comma (``FORPRES, SC``) or with their dots (``S.C.``). (Not
# Russian ``AO``: ``GENBANK, AO`` is written as ``ZHANG, Ao`` is.)
_AFTER_COMMA_ONLY = frozenset({"sc"})
# Forms that lead a name only when it was turned round at its comma (``AL-BUSHAIR TRADING COMPANY, LTD`` written ``LTD
# AL-BUSHAIR TRADING COMPANY``, as a "Family, Given" swap turns it): stripped at the start, without their dots, when the
# name ends in a legal form too; abbreviations no firm's name opens with, and ``LIMITED`` before a name ending in ``CO.``
# (Hong Kong's and China's ``CO., LIMITED``; not before another form, Limited Brands, Inc., nor ``LIMITED LIABILITY``,
# nor before a single word: ``Limited Edition Co`` is a firm named Limited Edition, not ``EDITION CO., LIMITED``)
_TURNED_LEADING = frozenset({"ltd", "llc", "inc", "plc", "gmbh", "sarl", "ltda", "lda"})
# Forms only as a name in Cyrillic letters gives them once romanised (Russian Инк, Inc.): in Latin letters ``ink`` is an
# English word of a firm's name (``Blue Ink Ltd``, ``SQUID INK``), not a legal form
_ROMANISED_ONLY = frozenset({"ink"})
# Forms that are also a Chinese family name: Russian PAO is Pao (Wade-Giles Bao: OFAC's PAO, Yu Yi and PAO, Hua
# Chiang). Beside romanised Chinese syllables only, a bare one is the family name (Yu Yi PAO, PAO Yu Yi); beside any
# other word, or after a comma (MOSTOTREST, PAO; Mostotrest PAO; PAO ZVEZDA), the form, as before.
_FAMILY_FORMS = frozenset({"pao"})
_LEGAL_FORMS_LATIN.update(
    {
        "sc": "sc",
        "ek": "sole trader",
        "ev": "association",
        "eg": "cooperative",
        "vos": "partnership",
        "dd": "jsc",
        "bsc": "jsc",
    }
)
# Legal forms of several words, stripped as a whole at the end (before the one-word forms), as tokens of
# the folded, dot-collapsed text (``sp. z o.o.`` -> ``sp z oo``).
_LEGAL_PHRASES: dict[tuple[str, ...], str] = {
    ("ltd", "sti"): "llc",
    ("limited", "sirketi"): "llc",
    ("anonim", "sirketi"): "sa",
    ("sp", "z", "oo"): "llc",
    ("spz", "oo"): "llc",
    ("spolka", "z", "ograniczona", "odpowiedzialnoscia"): "llc",
    ("spolka", "akcyjna"): "sa",
    ("sp", "j"): "partnership",
    ("sp", "k"): "partnership",
    ("spol", "s", "ro"): "llc",
    ("sa", "de", "cv"): "sa",
    ("sab", "de", "cv"): "sa",
    ("sapi", "de", "cv"): "sa",
    ("s", "de", "rl"): "limited",
    ("s", "de", "rl", "de", "cv"): "limited",
    ("de", "cv"): "cv",  # S. de P.R. de R.L. de C.V., S.C. de R.L. de C.V.
    ("spr", "de", "rl"): "limited",
    ("sc", "de", "rl"): "limited",
    ("s", "de", "pr", "de", "rl"): "limited",
    ("s", "en", "c"): "partnership",  # sociedad en comandita
    ("sociedad", "por", "acciones", "simplificada"): "sa",
    ("sociedad", "anonima", "de", "capital", "variable"): "sa",
    ("sociedad", "de", "responsabilidad", "limitada"): "limited",
    # Russian forms written out in Latin letters, as OFAC writes them
    ("aktsionernoe", "obshchestvo"): "jsc",
    ("otkrytoe", "aktsionernoe", "obshchestvo"): "jsc",
    ("zakrytoe", "aktsionernoe", "obshchestvo"): "jsc",
    ("publichnoe", "aktsionernoe", "obshchestvo"): "jsc",
    ("obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"): "llc",
    ("obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"): "llc",
    ("kabushiki", "kaisha"): "株式会社",
    ("kabushiki", "gaisha"): "株式会社",
    ("godo", "kaisha"): "llc",
    ("yugen", "kaisha"): "limited",
    ("jusik", "hoesa"): "jsc",
    ("chusik", "hoesa"): "jsc",
    ("yuhan", "hoesa"): "llc",
    ("ανωνυμη", "εταιρεια"): "jsc",
    ("ομορρυθμη", "εταιρεια"): "partnership",
    ("ετερορρυθμη", "εταιρεια"): "partnership",
    ("εταιρεια", "περιορισμενης", "ευθυνης"): "llc",
    ("ιδιωτικη", "κεφαλαιουχικη", "εταιρεια"): "llc",
    ("μονοπροσωπη", "ικε"): "llc",
    ("μονοπροσωπη", "επε"): "llc",
}
_CONNECTORS = frozenset({"", "and", "&", "y", "e", "et", "und", "ve"})  # "& Co.", "Y CIA. S.C.S.", "GmbH und Co. KG"
_PHRASE_LENGTHS = sorted({len(k) for k in _LEGAL_PHRASES}, reverse=True)
_LEADING_LEGAL = {"ooo", "zao", "oao", "pao", "ojsc", "cjsc", "pjsc", "jsc", "tov", "pt", "pt.", "kompaniya", "kompaniia", "kompania"}
# Chinese, Japanese and Korean legal forms, longest first, as written after NFKC and t2s (``㈱`` is ``(株)``).
_LEGAL_FORMS_HAN = [
    ("股份有限公司", "股份有限公司"),
    ("有限责任公司", "有限责任公司"),
    ("集团有限公司", "集团有限公司"),
    ("集团股份", "集团"),
    ("有限公司", "有限公司"),
    ("株式会社", "株式会社"),
    ("控股集团", "集团"),
    ("集团公司", "集团"),
    ("分公司", "分公司"),
    ("集团", "集团"),
    ("公司", "公司"),
    ("控股", "控股"),
    ("有限会社", "limited"),  # issue #16 (rigour org_types, MIT): Japanese yūgen gaisha
    ("合同会社", "llc"),  # godo kaisha
    ("合资会社", "partnership"),  # 合資会社 after t2s
    ("合名会社", "partnership"),
    # a bare 会社 (贸易会社, 总会社) is how North Korean firms write Corporation in Han characters (stop 27): a form,
    # after the Japanese ones above; 总 before it is General (KOREA RYONBONG GENERAL CORPORATION)
    ("总会社", "会社"),
    ("会社", "会社"),
]
# a Japanese company: its name is not translated from its Mandarin reading (a bare 会社 is not one: see above)
_JAPANESE_FORM_MARKS = ("株式会社", "有限会社", "合同会社", "合资会社", "合名会社", "(株)", "(有)")
# Japanese and Korean forms are written first as often as last (株式会社東芝, 주식회사 카카오, (주)카카오): stripped at
# either end, attached or not. Hangul is compared composed (fold decomposes it). Issue #16, rigour org_types (MIT).
_LEGAL_AFFIXES_CJK = [
    ("유한책임회사", "llc"),  # yuhan chaegim hoesa
    ("주식회사", "jsc"),  # jusik hoesa
    ("유한회사", "llc"),  # yuhan hoesa
    ("합자회사", "partnership"),
    ("합명회사", "partnership"),
    ("사단법인", "association"),
    ("재단법인", "foundation"),
    ("(주)", "jsc"),
    ("(유)", "llc"),
    ("株式会社", "株式会社"),
    ("有限会社", "limited"),
    ("合同会社", "llc"),
    ("(株)", "株式会社"),
    ("(有)", "limited"),
]
_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")  # Latin abbreviations in analyse_name ("c.v.", "s.r.l.")
# letters each followed by a dot (``s.r.o.``, ``Α.Ε.``): an abbreviation, in any script
_DOTTED_LETTERS = re.compile(r"(?<!\w)(?:[^\W\d_]\.){2,}")
_HEBREW_QUOTES = str.maketrans("", "", '"\u05f4\u201d')  # בע"מ, בע״מ (gershayim), בע”מ


def _strip_cjk_forms(rest: str, forms: list[str]) -> str:
    """Han forms at the end; Japanese and Korean forms at either end (see :data:`_LEGAL_AFFIXES_CJK`)."""
    changed = True
    while changed:
        changed = False
        for suffix, form in _LEGAL_FORMS_HAN:
            if rest.endswith(suffix) and rest[: -len(suffix)].strip():
                rest = rest[: -len(suffix)].rstrip()
                forms.append(form)
                changed = True
                break
        for affix, form in _LEGAL_AFFIXES_CJK:
            if changed:
                break
            if rest.startswith(affix) and rest[len(affix) :].strip():
                rest = rest[len(affix) :].lstrip()
            elif rest.endswith(affix) and rest[: -len(affix)].strip():
                rest = rest[: -len(affix)].rstrip()
            else:
                continue
            forms.append(form)
            changed = True
    return rest


def legal_form_word(token: str) -> bool:
    """A folded Latin word that is a legal form's (``compania``, ``ltd``, ``kompaniya``): a name keeps it as a word when
    it leads the name or stands inside it (``COMPANIA DE IMPORTACION ... IBERIA``), yet it names no firm."""
    return token in _LEGAL_FORMS_LATIN


def _chinese_syllables(words: list[str]) -> bool:
    """One to three words, each romanised Chinese syllables (pinyin or Wade-Giles): a Chinese person's other names."""
    return 1 <= len(words) <= 3 and all(segment_pinyin(w) is not None or wade_giles_to_pinyin(w) is not None for w in words)


def strip_legal_forms(text: str, romanised: bool = False) -> tuple[str, tuple[str, ...]]:
    """Remove legal forms and return ``(rest, forms)``.

    Works on folded text (Latin, Greek, Hebrew, Hangul) and on simplified Chinese: ``"huawei technologies co.,
    ltd."`` -> ``("huawei technologies", ("company", "limited"))``; ``"华为技术有限公司"`` -> ``("华为技术",
    ("有限公司",))``; ``"aslan gul a.s."`` -> ``("aslan gul", ("jsc",))``. Latin, Greek and Hebrew forms are removed at
    the end (``sp. z o.o.``, ``Α.Ε.``, ``בע"מ``), and Russian-style forms at the start (``OOO Romashka``); Chinese forms
    at the end; Japanese and Korean ones at either end (``주식회사 카카오``, ``(株)東芝``). Short forms that are name
    words too (``AE``, ``IKE``) only with their dots. A name that is nothing but a legal form is returned unchanged.
    ``romanised``: ``text`` is a name romanised from Cyrillic letters, where ``ink`` is Инк (Inc.), not the English word.
    """
    forms: list[str] = []
    rest = text.strip()
    if any("\u1100" <= ch <= "\u11ff" for ch in rest):  # Hangul decomposed by fold: compare composed
        composed = unicodedata.normalize("NFC", rest)
        stripped = _strip_cjk_forms(composed, forms)
        rest = stripped if forms else rest
    else:
        rest = _strip_cjk_forms(rest, forms)
    # Latin (and Greek, Hebrew) tokens
    dotted = {m.group(0).replace(".", "") for m in _DOTTED_LETTERS.finditer(rest)}
    collapsed = _DOTTED_LETTERS.sub(lambda m: m.group(0).replace(".", ""), rest)
    spans = list(re.finditer(r"[^\s,]+", collapsed))
    tokens = [m.group(0) for m in spans]
    after_comma = [i > 0 and "," in collapsed[spans[i - 1].end() : m.start()] for i, m in enumerate(spans)]
    plain = [t.strip(".()&").translate(_HEBREW_QUOTES) for t in tokens]
    dotted |= {p.replace(".", "") for p in plain if "." in p}  # "a.s", "sp.z": dots inside a word
    plain = [p.replace(".", "") for p in plain]
    end = len(tokens)
    while end > 1:
        if plain[end - 1] in _CONNECTORS:
            end -= 1
            continue
        size = next((k for k in _PHRASE_LENGTHS if end - k >= 1 and tuple(plain[end - k : end]) in _LEGAL_PHRASES), 0)
        if size:
            forms.append(_LEGAL_PHRASES[tuple(plain[end - size : end])])
            end -= size
            continue
        word = plain[end - 1]
        after_article = word == "as" and word not in dotted and plain[end - 2] in ("al", "el", "ul")  # "Amr ibn al As"
        written = (word not in _DOTTED_ONLY or word in dotted) and (word not in _AFTER_COMMA_ONLY or after_comma[end - 1] or word in dotted)
        if word in _FAMILY_FORMS and not after_comma[end - 1] and word not in dotted and _chinese_syllables(plain[: end - 1]):
            break
        if word in _LEGAL_FORMS_LATIN and written and not after_article and (romanised or word not in _ROMANISED_ONLY):
            forms.append(_LEGAL_FORMS_LATIN[word])
            end -= 1
            continue
        break
    # a Latin form written with its dots leads a name turned round at its comma ("S.A. GUAMA" for "GUAMA, S.A.")
    abbreviated = dotted | {t[:-1] for t in tokens if t.endswith(".")}
    start = 0
    while start < end - 1:
        # a form of several words leading, its first written with its dots ("S.A. DE C.V. JARLINE" for "JARLINE, S.A.
        # DE C.V."; after another leading form, its last: "S.C. DE R.L. DE C.V."): as a whole, as at the end, not its
        # first word alone (which left "de cv" as words of the name)
        size = next(
            (
                k
                for k in _PHRASE_LENGTHS
                if start + k < end
                and (plain[start] in abbreviated or (start > 0 and plain[start + k - 1] in abbreviated))
                and tuple(plain[start : start + k]) in _LEGAL_PHRASES
            ),
            0,
        )
        if size:
            forms.append(_LEGAL_PHRASES[tuple(plain[start : start + size])])
            start += size
            continue
        # "LTD AL-BUSHAIR COMPANY", "LIMITED SINGH ... CO.": a form at both ends, the name turned round at its comma; not
        # before a word in brackets ("LIMITED (OMM) OCEAN ...": the listed name ends in "LIMITED (OMM)", kept as words)
        turned = (
            end < len(tokens)
            and not tokens[start + 1].startswith("(")
            and (
                plain[start] in _TURNED_LEADING
                or (plain[start] == "limited" and "company" in forms and plain[start + 1] != "liability" and end - start > 2)
            )
        )
        if not (turned or plain[start] in _LEADING_LEGAL or (plain[start] in _LEGAL_FORMS_LATIN and plain[start] in abbreviated)):
            break
        if plain[start] in _FAMILY_FORMS and plain[start] not in abbreviated and _chinese_syllables(plain[start + 1 : end]):
            break
        forms.append(_LEGAL_FORMS_LATIN.get(plain[start], plain[start]))
        start += 1
    if not forms:
        return text.strip(), ()
    if start == 0 and end == len(tokens):  # only Chinese, Japanese or Korean forms were removed
        return rest, tuple(reversed(forms))
    kept = " ".join(tokens[start:end]).strip(" ,")
    return kept, tuple(reversed(forms))


# -- step 5: romanised Chinese --------------------------------------------------------------------

PINYIN_SYLLABLES = frozenset(
    """a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ceng
    cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan
    cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo e ei en
    eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun
    guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin
    jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la
    lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo ma mai man
    mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang
    niao nie nin ning niu nong nou nu nuan nue nuo o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po
    pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua
    ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua
    shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie
    ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu
    xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha
    zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu
    zuan zui zun zuo""".split()
)
_TONE_TOKEN = re.compile(r"(?:[a-z]+[1-5])+")
_TONE_PIECE = re.compile(r"([a-z]+)[1-5]")


def strip_tone_numbers(token: str) -> str:
    """``"xi2"`` -> ``"xi"``, ``"jin4ping2"`` -> ``"jinping"``; tokens that are not numbered pinyin are unchanged."""
    if not _TONE_TOKEN.fullmatch(token):
        return token
    pieces = _TONE_PIECE.findall(token)
    if all(p in PINYIN_SYLLABLES for p in pieces):
        return "".join(pieces)
    return token


@lru_cache(maxsize=65536)
def segment_pinyin(token: str) -> tuple[str, ...] | None:
    """Split a run of pinyin into syllables, or ``None`` if it is not one: ``"xijinping"`` -> ``("xi", "jin", "ping")``.

    Prefers the split with the fewest syllables, then the one whose syllables start with a consonant
    (``"xian"`` stays one syllable; ``"jinan"`` is ``ji nan`` rather than ``jin an``).
    """
    n = len(token)
    if n == 0 or n > 30 or not token.isascii() or not token.isalpha():
        return None
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[0] = (0, 0, ())
    for i in range(n):
        cur = best[i]
        if cur is None:
            continue
        for j in range(i + 1, min(n, i + 6) + 1):
            piece = token[i:j]
            if piece not in PINYIN_SYLLABLES:
                continue
            vowel_start = 1 if piece[0] in "aeiou" and i > 0 else 0
            cand = (cur[0] + 1, cur[1] + vowel_start, (*cur[2], piece))
            old = best[j]
            if old is None or cand[:2] < old[:2]:
                best[j] = cand
    end = best[n]
    return end[2] if end else None


# Wade-Giles initials, longest first (apostrophes of aspiration are usually dropped in lists).
_WG_INITIALS = [
    ("ch'", "ch"),
    ("ts'", "c"),
    ("tz'", "c"),
    ("hs", "x"),
    ("ch", "zh"),
    ("ts", "z"),
    ("tz", "z"),
    ("sh", "sh"),
    ("ss", "s"),
    ("k'", "k"),
    ("p'", "p"),
    ("t'", "t"),
    ("k", "g"),
    ("p", "b"),
    ("t", "d"),
    ("j", "r"),
]
_WG_FINALS = [
    ("ieh", "ie"),
    ("ien", "ian"),
    ("iung", "iong"),
    ("ung", "ong"),
    ("ueh", "ue"),
    ("uei", "ui"),
    ("ih", "i"),
]


@lru_cache(maxsize=8192)
def wade_giles_to_pinyin(syllable: str) -> str | None:
    """One Wade-Giles syllable in pinyin, or ``None``: ``tse`` -> ``ze``, ``tung`` -> ``dong``, ``hsiao`` -> ``xiao``.

    Aspiration marks are usually missing in lists, so an unmarked ``t``/``p``/``k``/``ch``/``ts`` is
    read unaspirated (``Mao Tse-tung`` -> ``mao ze dong``; ``Teng Hsiao-ping`` -> ``deng xiao bing``,
    close to ``xiaoping``). ``ch``/``hs`` before ``i``/``ü`` give ``j``/``x``.
    """
    s = syllable.lower()
    initial, rest = "", s
    for wg, py in _WG_INITIALS:
        if s.startswith(wg):
            initial, rest = py, s[len(wg) :]
            break
    if rest.startswith("'"):
        rest = rest[1:]
    if not rest:
        return None
    if initial in ("zh", "ch") and rest[0] in "iu" and not rest.startswith("ih") and not rest.startswith("u"):
        initial = "j" if initial == "zh" else "q"
    final = rest
    for wg, py in _WG_FINALS:
        if rest.endswith(wg):
            final = rest[: -len(wg)] + py
            break
    if initial in ("z", "c", "s") and final in ("u", "ih"):
        final = "i"  # tzu -> zi, ssu -> si
    if initial in ("g", "k", "h") and final == "o":
        final = "e"  # ko -> ge, ho -> he
    if initial == "r" and final == "ih":
        final = "i"
    out = initial + final
    if s == "erh":
        out = "er"
    return out if out in PINYIN_SYLLABLES else None


# a syllable only Wade-Giles writes so, at any word's start or end: "WU, Nan Hsiung" (read "nan hsiung wu") has it in
# its middle word, not at the name's start or end, and is as Chinese as "LIN, Hsiung Wei"
# (``chi`` before a vowel: chia, chiang, chiao, chieh, chiu are Wade-Giles; pinyin writes ``ch`` + ``i`` only as ``chi``)
_WG_ONLY_HINT = re.compile(r"\b(?:hs|ts|tz|ss|chi[aeu])|(?:ieh|ien|ung|ih)\b|'")

# Cantonese (Hong Kong / Macau) and Korean spellings of common family names, with the Mandarin pinyin.
CANTONESE_SURNAMES: dict[str, str] = {
    "chan": "chen",
    "wong": "huang",
    "cheung": "zhang",
    "chung": "zhong",
    "lee": "li",
    "lau": "liu",
    "ng": "wu",
    "ho": "he",
    "tsang": "zeng",
    "leung": "liang",
    "lam": "lin",
    "chow": "zhou",
    "yip": "ye",
    "kwok": "guo",
    "tang": "deng",
    "lo": "luo",
    "mak": "mai",
    "tse": "xie",
    "yeung": "yang",
    "kwan": "guan",
    "fung": "feng",
    "tam": "tan",
    "choi": "cai",
    "szeto": "situ",
    "au": "ou",
    "tsui": "xu",
    "hui": "xu",
    "ko": "gao",
    "kong": "jiang",
    "chiu": "zhao",
    "siu": "xiao",
    "yuen": "yuan",
    "shum": "cen",
    "pang": "peng",
    "poon": "pan",
    "sin": "xian",
    "tsoi": "cai",
    "kim": "jin",
    "park": "piao",
}


# The commonest Chinese family names in pinyin (about 90% of the population), and the two-character ones.
CHINESE_SURNAMES = frozenset(
    """wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang han
    feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai du ye cheng wei su lu ding ren shen yao jin fu zhong
    tan jia xia fang bai zou meng xiong qin qiu hou shi dai qian tao hao kong yan mao shao gu kang wan niu duan lei hong
    long yin chang qiao lai wen pang fan gong ge liao ji ou mo mu shan xiang ning zhai che bi bao zhan nie geng guan
    rao rong an yi xue ni cui miao dou ran jing jiao ling le ba bian chai hua lian quan sheng shu tong zuo xi pu qi yue
    ruan min xing lou gan man sha mei hang chu zang leng di qu""".split()
) | frozenset(COMPOUND_SURNAMES.values())


def looks_chinese(tokens: tuple[str, ...]) -> bool:
    """Romanised Chinese: 2-4 tokens, all pinyin, one a common family name (``Zhang Xiu Ying``, ``LI, Ming``)."""
    tokens = tuple(t for t in tokens if not t.isdigit())
    if not 1 <= len(tokens) <= 4 or not any(t in CHINESE_SURNAMES for t in tokens):
        return False
    return all(segment_pinyin(t) is not None for t in tokens) and sum(len(segment_pinyin(t) or ()) for t in tokens) <= 4


def cantonese_surname(token: str) -> str | None:
    """The Mandarin pinyin of a Cantonese (or Korean) romanised family name: ``chan`` -> ``chen``."""
    return CANTONESE_SURNAMES.get(token)


# -- step 5b: numbers written as words ---------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7,
    "8th": 8, "9th": 9, "10th": 10,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000}


def numbers_as_digits(tokens: tuple[str, ...]) -> tuple[str, ...] | None:
    """Numbers and ordinals written as words, as digits: ``brigade fourty four`` -> ``brigade 44``.

    English cardinals up to the thousands (with the common misspelling ``fourty``), ordinals to
    ``tenth`` and ``1st`` .. ``10th``. ``None`` when the name has none.
    """
    if not any(t in _UNITS or t in _TENS or t in _ORDINALS for t in tokens):
        return None
    out: list[str] = []
    total = current = 0
    in_number = False

    def flush() -> None:
        nonlocal total, current, in_number
        if in_number:
            out.append(str(total + current))
        total = current = 0
        in_number = False

    for t in tokens:
        if t in _UNITS or t in _TENS:
            current += _UNITS.get(t, 0) + _TENS.get(t, 0)
            in_number = True
        elif t in _SCALES and in_number:
            if _SCALES[t] == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * 1000
                current = 0
        elif t == "and" and in_number:
            continue
        elif t in _ORDINALS:
            if in_number:
                current += _ORDINALS[t]
            else:
                current = _ORDINALS[t]
                in_number = True
            flush()
        else:
            flush()
            out.append(t)
    flush()
    return tuple(out)


# -- step 6: sound keys ---------------------------------------------------------------------------

_PHONETIC_RULES = [
    ("ph", "f"),
    ("ck", "k"),
    ("kh", "h"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("sch", "s"),
    ("sh", "s"),
    ("ch", "c"),
    ("zh", "c"),
    ("q", "k"),
    ("x", "ks"),
    ("z", "s"),
    ("j", "c"),
    ("v", "f"),
    ("w", "f"),
    ("c", "k"),
    ("d", "t"),
    ("b", "p"),
    ("g", "k"),
]
_VOWELS = set("aeiouy")


@lru_cache(maxsize=262144)
def phonetic_key(token: str) -> str:
    """A coarse sound key: first letter, then consonant classes with vowels and doubles removed.

    ``mohamed``, ``muhammad`` and ``mohammed`` all give ``mhmt``; ``hassan``/``hasan`` give ``hsn``.
    Voiced and voiceless pairs (``b``/``p``, ``d``/``t``, ``g``/``k``) share a class.
    """
    if not token:
        return ""
    t = token
    for a, b in _PHONETIC_RULES:
        if a in t:
            t = t.replace(a, b)
    first = t[0]
    out = [first]
    prev = first
    for ch in t[1:]:
        if ch in _VOWELS or ch == "h":
            prev = ch
            continue
        if ch != prev:
            out.append(ch)
        prev = ch
    return "".join(out)


_KOREAN_KEY_RULES = [
    ("ng", "N"), ("tch", "c"), ("jj", "c"), ("ch", "c"), ("j", "c"), ("kk", "k"), ("g", "k"), ("tt", "t"), ("d", "t"),
    ("pp", "p"), ("b", "p"), ("ss", "s"), ("sh", "s"), ("r", "l"), ("eo", "o"), ("eu", "u"), ("oo", "u"), ("ee", "i"),
    ("ae", "e"), ("N", "ng"),
]  # fmt: skip


@lru_cache(maxsize=65536)
def korean_key(token: str) -> str:
    """A romanised Korean syllable (or run of syllables) with the romanisations' differences removed.

    Revised Romanisation, McCune-Reischauer and the spellings people use differ in voicing
    (``g``/``k``, ``j``/``ch``, ``b``/``p``), ``r``/``l`` and the vowels ``eo``/``o``, ``eu``/``u``,
    ``oo``/``u``, ``ee``/``i``: ``jeong``, ``chong`` and ``jong`` give one key, ``myong`` and
    ``yong`` two.
    """
    t = token
    for a, b in _KOREAN_KEY_RULES:
        if a in t:
            t = t.replace(a, b)
    return t


@lru_cache(maxsize=65536)
def transcription_key(token: str) -> str:
    """What survives a foreign name's round trip through Chinese characters: :func:`phonetic_key` with ``l`` = ``r``.

    ``vlakimir`` (弗拉基米尔 read back) and ``vladimir`` give ``frkmr`` and ``frtmr``;
    ``kadrov`` (卡德罗夫) and ``kadyrov`` both ``ktrf``.
    """
    return phonetic_key(token.replace("l", "r"))


SKELETON_DIGRAPHS = (("ph", "f"), ("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"), ("sh", "s"))


@lru_cache(maxsize=262144)
def skeleton(token: str, letters: bool = False) -> str:
    """The consonant skeleton of a token (vowels, ``w`` and ``y`` removed, Latin digraphs read as one consonant).

    Arabic and Hebrew names romanised by a machine keep only consonants (``mhmd``); the same name
    romanised by a person has vowels (``mohamed``). Both give ``mhmd``.

    ``letters``: the token is a Hebrew word romanised letter by letter (anyascii: ``ש`` s, ``ח`` h,
    ``כ`` kh). Its ``s`` followed by ``h`` is two letters, ש and ח, not the digraph ``sh``: שחר
    (Shahar) is ``shr``, not ``sr`` (Suri). Only at the end of the word is the ``h`` dropped as
    before: a final ה is mostly a vowel letter (משה, Moshe: ``ms``; יהודה, Yehuda: ``hd``).
    """
    t = token.replace("`", "").replace("'", "")
    if letters:
        t = t.replace("kh", "k")  # כ: one letter
        for a, b in SKELETON_DIGRAPHS:
            if t.endswith(a):
                t = t[: -len(a)] + b
        t = t.replace("q", "k").replace("v", "w")
    else:
        for a, b in (*SKELETON_DIGRAPHS, ("q", "k"), ("v", "w")):
            t = t.replace(a, b)
    return _consonants(t)


def _consonants(t: str) -> str:
    out: list[str] = []
    for ch in t:
        if ch in "aeiouyw":
            continue
        if out and out[-1] == ch:
            continue
        out.append(ch)
    return "".join(out)


# a word of only vowels and weak letters has no skeleton: ``Oo`` (Burmese, ``KHINE, Oo Oo``), ``Aye``, ``Ei``; in Arabic
# letters ``أو`` / ``او`` (read ``w``, ``aw``), ``اي``. A listed word so, opening with a vowel, is keyed by the weak
# letters it has (never a skeleton's letter): o, u or w as ``_w`` (و), e, i or y as ``_y`` (ي); one of only a, none
WEAK_W = "_w"
WEAK_Y = "_y"
_WEAK_WORD = re.compile(r"[aeiouwy]+")


def weak_keys(token: str, query: bool = False) -> tuple[str, ...]:
    """The weak-letter keys of a word of only vowels and weak letters (its skeleton is ``""``), else ``()``.

    A listed Latin word of two letters or more opening with a vowel (``oo``: ``_w``; ``aye``: ``_y``; ``aeoi``: both;
    not ``wei``, ``yu``, which Arabic writes with a consonant و or ي) and a word read from Arabic letters opening with
    alif (``query``: ``aw``: ``_w``; ``ay``: ``_y``; ``w``, أو read without its hamza: ``_w``; not ``wyy``, ويي Wei) so
    keyed find each other.
    """
    if not _WEAK_WORD.fullmatch(token) or not (token == "w" or token[0] == "a" if query else len(token) >= 2 and token[0] in "aeiou"):
        return ()
    return ((WEAK_W,) if any(c in "ouw" for c in token) else ()) + ((WEAK_Y,) if any(c in "eiy" for c in token) else ())


_FRENCH_C = re.compile(r"(?<=.)c(?=[eiy])")
_DIGRAPH = dict(SKELETON_DIGRAPHS)


# the skeletons a Latin word gets as a foreign name's Arabic spelling (or without an opening al) are keys of this many
# consonants or more: two (``sn``, ``kn``) are many Arabic names' (Achwan read ``ashwan`` is صنايعي's ``sn``); but of two
# when the word has a letter no romanised Arabic name has (p, x; v but for Persian names): ``Pena`` ``bn``, ``Avila`` ``fl``
FOREIGN_MIN = 3
_NOT_ARABIC = re.compile(r"[pvx]")
_SPANISH_J = re.compile(r"j[eou]")
# j before a or i in a word of a Spanish ending (Grajales, Jacobo, Fajardo, Jaramillo), which no romanised Arabic name has
_SPANISH_JA = re.compile(r"j[ai].*(?:o|os|es|ez)$")
_FOREIGN_LETTERS = re.compile(r"[pvcxj]|zh")  # zh: Russian ж, written ج (Slizheuski سليجيوسكي)
_FOREIGN_C = re.compile(r"c(?=[eiy])")


def foreign_in_arabic(token: str) -> list[str]:
    """A Latin word as its letters come back from its Arabic-script spelling by sound (a name not of Arabic origin:
    ``Lopez`` لوبيز, ``Victor`` فيكتور, ``Carlos`` كارلوس, ``Sanchez`` سانتشيز / سانشيز, ``Gaxiola`` غاكسيولا).

    Arabic letters have no p, v, hard or soft c, x, ch or zh: writers use ب (b), ف (f), ك / س (k, s), كس (ks),
    تش or ش (tsh, sh) and ج (j). One spelling, or two when the word has ``ch`` (تش and ش); ``ck`` and ``cc`` are one k;
    a word with j also with j as Spanish says it, خ (``Juan`` خوان: kh), when it is j before e, o or u, or before a or i
    in a word of a Spanish ending (``Grajales``, ``Jacobo``).
    """
    # Spanish j is خ (kh): Juan خوان, Jose خوسيه, Ojeda أوخيدا; before e, o, u only (ja, ji open many Arab names as
    # romanised: Jamal, Jazairi, Najib), or in a word of a letter no romanised Arabic name has (Javier), or of a Spanish
    # ending (ja, ji: Grajales غرخاليس, Jacobo خاكوبو)
    spanish_j = (
        _SPANISH_J.search(token) is not None
        or ("j" in token and _NOT_ARABIC.search(token) is not None)
        or _SPANISH_JA.search(token) is not None
    )
    t = token.replace("ck", "k").replace("cc", "k").replace("p", "b").replace("v", "f").replace("x", "ks").replace("zh", "j")
    out = [t] if "ch" not in t else [t.replace("ch", ch) for ch in ("tsh", "sh")]
    out = [_FOREIGN_C.sub("s", w).replace("c", "k") for w in out]
    return out + [w.replace("j", "kh") for w in out] if spanish_j else out


def _hard_c_opening(t: str) -> bool:
    """A word of four letters or more opening with a hard c (ca, co, cu: ``Casa`` كاسا, ``Costa``, ``Cuba``), which no
    romanised Arabic name has: its Arabic-script skeleton of two consonants is a key too (``ks``, not only ``cs``). A
    single pinyin syllable (``cuan``, ``cong``) is no such word."""
    if len(t) < 4 or t[0] != "c" or t[1] not in "aou":
        return False
    syllables = segment_pinyin(t)
    return syllables is None or len(syllables) > 1


def other_skeletons(token: str) -> set[str]:
    """Skeletons of a Latin token read otherwise than :func:`skeleton` reads it, as a name in Arabic letters may be.

    * Its digraphs inside the word as two letters: ``Fathi`` is فتحي (t, h), ``Ishaq`` إسحاق (s, h), ``Adham`` أدهم
      (d, h), which :func:`skeleton` reads as ث, ش and ذ (``ft``, ``sk``, ``dm``); the Arabic letters give ``fth``,
      ``shk``, ``dhm``. A word's first two letters stay one consonant (``Shan``, ``Thabit``: a word opens with ش or ث).
    * ``c`` inside the word as French transcriptions write Maghreb names: ``s`` before e, i, y (``Yacine`` ياسين,
      ``Nacer`` ناصر), ``k`` elsewhere (``Yacoub`` يعقوب); ``ch`` stays (ش, also read as ``ch`` from Arabic letters).
      A word's first ``c`` is left as it is (pinyin ``Cai``, ``Cen``, ``Cong`` are no Arabic names).
    * French ``dj`` as one consonant, ``ج`` (``Djamel`` جمال: ``jml``, not ``djml``).

    Only the skeletons that differ from :func:`skeleton`'s, and only of ASCII tokens.
    """
    if not token.isascii():
        return set()
    base = skeleton(token)
    out: set[str] = set()
    t = token.replace("'", "").replace("`", "")
    head, rest = (_DIGRAPH[t[:2]], t[2:]) if t[:2] in _DIGRAPH else (t[:1], t[1:])
    if any(a in rest for a, _b in SKELETON_DIGRAPHS):
        out.add(_consonants((head + rest).replace("q", "k").replace("v", "w")))
    if "c" in t[1:]:
        french = t[:1] + _FRENCH_C.sub("s", t)[1:].replace("ck", "k").replace("ch", "\0").replace("c", "k").replace("\0", "ch")
        out.add(skeleton(french))
    if "dj" in t:  # French dj is one letter, ج (Djamel جمال, Khadidja خديجة, Hadj حاج), as j or g
        out.add(skeleton(t.replace("dj", "j")))
    if _FOREIGN_LETTERS.search(t):  # a foreign name written by sound in Arabic letters, which have no p, v, c, x, ch
        least = 2 if _NOT_ARABIC.search(t) or _hard_c_opening(t) else FOREIGN_MIN
        out.update(k for k in (skeleton(f) for f in foreign_in_arabic(t)) if len(k) >= least)
    if t[:2] == "al" and len(t) > 4 and (_NOT_ARABIC.search(t) or t[-1] == "o" or "ks" in t):
        # a foreign name opening with al (Alfonso, Alberto, Aleksandr, Alvaro) is written الفونسو in Arabic letters, which
        # a reader takes for the article and a word (al fns): the word is also found by what follows al. Only a word with a
        # sign of a foreign name (p, v, x, ks, a final o): an Arab name written joined (Alzahrani, Alhamid) read without
        # its article is a name of its own (Zahran, Hamid)
        out.update(k for k in (skeleton(t[2:]), *(skeleton(f) for f in foreign_in_arabic(t[2:]))) if len(k) >= FOREIGN_MIN)
    out.discard(base)
    out.discard("")
    return out


# -- the pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameVariant:
    """One comparable spelling of a name: ASCII lower-case tokens.

    ``kind`` says how it was made: ``latin`` (as written or transliterated), ``pinyin`` (from Han),
    ``sino`` (a romanised Chinese name regrouped: family name + given name), ``transcribed`` (a
    foreign name written in Chinese characters, read back: compared by :func:`transcription_key`), ``korean`` (a
    person's name in Hangul, romanised: compared syllable by syllable), ``skeleton`` (from a
    script written without vowels: compare consonant skeletons) or ``han`` (simplified Han text).
    """

    tokens: tuple[str, ...]
    kind: str = "latin"
    hebrew: bool = False  # a skeleton read from Hebrew letters (see similarity.Prepared.hebrew_short)
    pinyin: bool = False  # its pinyin words are read from Han characters: compared syllable by syllable
    # its one-letter tokens that the name wrote as a Latin letter standing alone (``C. MUN``): initials. A one-letter
    # syllable of a reading of another script (汪涛 read in Japanese, ``o to``; 오, ``o``) is a syllable, not an initial
    initials: frozenset[str] = frozenset()

    @property
    def compact(self) -> str:
        return "".join(self.tokens)


@dataclass(frozen=True, slots=True)
class NameForm:
    """What :func:`analyse_name` found: comparable variants, legal forms, scripts."""

    original: str
    variants: tuple[NameVariant, ...]
    legal_forms: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return bool(self.variants)


_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_HAN_NAME_SEPARATORS = " ·・•.()"  # and a place in parentheses after a firm's name: 华信船务(香港)
_ITERATION = re.compile(r"(.)々")


# what is left of a name once its legal forms are taken off is only initials (``h. c.``): a person's name was cut
_INITIALS_ONLY = re.compile(r"[\W_]*(?:[^\W\d_][\W_]+)*[^\W\d_]?[\W_]*")


def analyse_name(name: str, kind: str | None = None) -> NameForm:
    """Run every normalisation step and return the name's comparable variants.

    ``kind`` is ``"person"``, ``"organisation"`` or ``None`` (unknown): legal forms are removed
    unless the name is a person's; Chinese names get a family-name/given-name reading unless it
    is an organisation's.
    """
    text = clean_text(name[:MAX_NAME_INPUT])
    disguised = sc.confusable_skeleton(text)  # a Latin name in look-alike Cyrillic / Greek letters
    also: str | None = None
    if disguised is not None:
        if any(ch.isascii() and ch.isalpha() for ch in text):
            text = disguised  # Latin letters among Cyrillic ones: a disguise
        else:  # every letter has a Latin twin (Тарас Авраменко, Марко): read it as written and as a disguise
            also = disguised
    scripts = tuple(sorted({s for s in (script_of(ch) for ch in text) if s}))
    if not scripts:
        return NameForm(name, (), (), ())
    # 々 repeats the kanji before it (佐々木 is 佐佐木): written out, the name is all Han characters
    simple = to_simplified(_ITERATION.sub(r"\1\1", text)) if "HAN" in scripts else text
    legal: tuple[str, ...] = ()
    # a Japanese company (会社, (株)): its name read in Mandarin and translated (吉田建設, "jitian construction") is no
    # reading of it
    japanese_company = "HAN" in scripts and any(f in simple for f in _JAPANESE_FORM_MARKS)
    if kind != "person":
        stripped, legal = strip_legal_forms(fold(simple) if "HAN" not in scripts else simple)
        if legal and (kind == "organisation" or not _INITIALS_ONLY.fullmatch(stripped)):
            simple = stripped
        else:  # of a name of unknown kind, initials and a word that is a legal form too are a person's (H. C. PAO: Pao, Hua Chiang)
            legal = ()
    variants: list[NameVariant] = []
    han_only = "".join(ch for ch in simple if ch not in _HAN_NAME_SEPARATORS)
    if "HAN" in scripts and han_only and all(is_han(ch) for ch in han_only):
        person = kind != "organisation" and not legal
        variants.extend(_han_variants(han_only, person=person, translate=not japanese_company))
        if person and len(han_only) <= 6:  # a Japanese name in kanji reads otherwise than in Mandarin
            variants.extend(_extra_variants(sc.japanese(text), kind))
        if kind != "organisation":  # a foreign name in Chinese characters: 弗拉基米尔·普京
            variants.extend(_extra_variants(sc.foreign_han(simple), kind, "transcribed"))
    else:
        read, arabic_more = simple, []
        if "ARABIC" in scripts:  # Arabic letters read for their skeleton, a second time with Persian values (see scripts)
            simple = sc.arabic_prepare(simple)
            read, *arabic_more = sc.arabic_readings(simple)
            apart = sc.arabic_kunya_apart(simple)
            if apart != simple:  # ابوياسر: Abu Yasir beside the name as written (Abubakar)
                arabic_more.append(sc.arabic_readings(apart)[0])
            hamza = sc.arabic_hamza_article(simple)
            if hamza != simple:  # ألبغدادي: al-Baghdadi beside the name as written (ألطاف Altaf)
                arabic_more.append(sc.arabic_readings(hamza)[0])
        latin = fold(transliterate(_han_runs_to_pinyin(read) if "HAN" in scripts else read))
        dotted = {m.group(0).replace(".", "") for m in _DOTTED.finditer(latin)}  # "c.v.", "s.r.l.": abbreviations
        latin = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), latin)
        turned = False  # "PAO, Hua Chiang": the comma said which word is the family name (last once turned)
        if kind != "organisation":
            turned_latin = swap_comma_order(latin)
            turned, latin = turned_latin != latin, turned_latin
        raw_tokens = [t for t in _TOKEN_SPLIT.split(latin.replace("'", "").replace("`", "")) if t][:MAX_TOKENS]
        tokens = tuple(strip_tone_numbers(t) for t in raw_tokens)
        tokens = tuple(t for t in tokens if t)
        korean = kind != "organisation" and _korean_personal_name(simple, scripts)
        if tokens:
            abjad = any(s in _ABJAD_SCRIPTS for s in scripts)
            hebrew = abjad and "HEBREW" in scripts and "ARABIC" not in scripts
            variants.append(NameVariant(tokens, "skeleton" if abjad else "korean" if korean else "latin", hebrew))
            variants.extend(_extra_variants(arabic_more, kind, "skeleton"))
            if not abjad and not korean and kind != "organisation" and not legal:  # a legal form: not a Chinese person's name
                variants.extend(_sino_variants(latin, tokens, turned))
            digits = numbers_as_digits(tokens) if not abjad else None
            if digits and digits != tokens:
                variants.append(NameVariant(digits, "latin"))  # "Brigade Fourty-four" is "Brigade 44"
            if not abjad and any(_vowels_dropped(t) and t not in dotted for t in tokens):  # not an abbreviation (C.V.)
                variants.append(NameVariant(tokens, "skeleton"))  # vowels dropped ("Sayyed Kamal MSV"): compare consonants
        # kana are read from the name as written: simplified characters (岡 -> 冈) are not Japanese any more
        variants.extend(_extra_variants(_script_romanisations(simple, scripts, text), kind, "korean" if korean else "latin"))
    if also is not None:
        variants.extend(_extra_variants([also], kind))
    if kind != "person" and not legal and any(sc_ in scripts for sc_ in ("CYRILLIC", "GREEK")):
        # legal forms written in another script are recognised once romanised (ООО, Компания, Лимитед)
        variants, legal = _strip_romanised_legal_forms(variants)
    written = _written_initials(text)
    cleaned = (_with_initials(tuple(t for t in v.tokens if t)[:MAX_TOKENS], v, written) for v in variants)
    unique = tuple(dict.fromkeys(v for v in cleaned if v.tokens))
    return NameForm(name, unique, legal, scripts)


def _with_initials(tokens: tuple[str, ...], v: NameVariant, written: frozenset[str]) -> NameVariant:
    initials = frozenset(t for t in tokens if len(t) == 1 and t in written) if written else frozenset()
    return NameVariant(tokens, v.kind, v.hebrew, v.pinyin, initials)


_LETTER_RUN = re.compile(r"[^\W_]+")
_DOTTED_INITIAL_SCRIPTS = {"CYRILLIC": sc.cyrillic, "GREEK": sc.greek}


def _written_initials(text: str) -> frozenset[str]:
    """The letters ``text`` writes as initials, as the one-letter tokens they become: its Latin letters standing alone
    (``C. MUN``, ``N T Heath``), and the Cyrillic and Greek letters standing alone before a dot (``В. В. Путин``).

    A one-letter syllable of a reading of another script (汪涛 read in Japanese, ``o to``; 오) is not one, nor is a
    Cyrillic word of one letter without a dot (a preposition: ``с``, ``в``, ``о``).
    """
    text = text.replace("'", "").replace("`", "").replace("\u2019", "")
    out: set[str] = set()
    for m in _LETTER_RUN.finditer(text):
        letter = m.group()
        if len(letter) != 1:
            continue
        script = script_of(letter)
        if script == "LATIN":
            out.add(fold(letter))
        elif script in _DOTTED_INITIAL_SCRIPTS and text[m.end() : m.end() + 1] == ".":
            spellings = [transliterate(letter), *_DOTTED_INITIAL_SCRIPTS[script](letter)]
            out.update(r for r in (fold(x).strip() for x in spellings) if len(r) == 1)
    return frozenset(out)


def _strip_romanised_legal_forms(variants: list[NameVariant]) -> tuple[list[NameVariant], tuple[str, ...]]:
    out: list[NameVariant] = []
    legal: tuple[str, ...] = ()
    for v in variants:
        if v.kind != "latin":
            out.append(v)
            continue
        rest, forms = strip_legal_forms(" ".join(v.tokens), romanised=True)
        if forms:
            legal = legal or forms
            out.append(NameVariant(tuple(t for t in rest.split() if t), v.kind))
        else:
            out.append(v)
    return out, legal


_TITLES = frozenset({"mr", "mrs", "ms", "mss", "dr", "jr", "sr", "st", "mx", "pr", "prof", "sgt", "lt", "cpt", "hr", "fr"})


def _vowels_dropped(token: str) -> bool:
    """A token written without its vowels (``MSV``, ``Mhmd``), but perhaps the first (``Ahmd`` for ``Ahmed``).

    Three letters starting with a vowel are a name of their own (``Ong``, ``Eng``), not a vowel-less one.
    Two consonants are no word of a name (``NM`` for ``Naeem``); titles are written without vowels
    too, and are not names (``Dr``, ``Mrs``).
    """
    if not token.isalpha() or len(token) < 2 or token in _TITLES:
        return False
    if len(token) == 2:
        return not _VOWELS.intersection(token) and token[0] != token[1]
    return not _VOWELS.intersection(token[1:]) and (len(token) >= 4 or token[0] not in _VOWELS)


def _script_romanisations(text: str, scripts: tuple[str, ...], written: str | None = None) -> list[str]:
    """Other Latin spellings of a name in Cyrillic, Greek, Hebrew, Hangul or kana (see :mod:`.scripts`).

    ``written`` is the name before its Han characters were simplified (kana names are read from it).
    """
    out: list[str] = []
    if "CYRILLIC" in scripts:
        out.extend(sc.cyrillic(text))
    if "GREEK" in scripts:
        out.extend(sc.greek(text))
    if "HEBREW" in scripts:
        out.extend(sc.hebrew(text))
    if "HANGUL" in scripts:
        out.extend(sc.hangul(text))
    if "HIRAGANA" in scripts or "KATAKANA" in scripts:
        out.extend(sc.japanese(written or text))
    return out


def _korean_personal_name(text: str, scripts: tuple[str, ...]) -> bool:
    """A person's name in Hangul: one to three words of one to five syllables, nothing but Hangul.

    Its romanisations are compared syllable by syllable (:mod:`..service.similarity`): Korean
    names have no middle names, and a syllable that differs is another name (``yong`` / ``myong``).
    """
    if scripts != ("HANGUL",):
        return False
    words = text.split()
    return 1 <= len(words) <= 3 and all(1 <= len(w) <= 5 and all(0xAC00 <= ord(c) <= 0xD7A3 for c in w) for w in words)


def _extra_variants(spellings: list[str], kind: str | None, variant_kind: str = "latin") -> list[NameVariant]:
    out = []
    for spelling in spellings:
        latin = fold(spelling)
        if kind != "organisation":
            latin = swap_comma_order(latin)
        tokens = tuple(t for t in _TOKEN_SPLIT.split(latin.replace("'", "").replace("`", "")) if t)[:MAX_TOKENS]
        if tokens:
            out.append(NameVariant(tokens, variant_kind))
    return out


def _han_runs_to_pinyin(text: str) -> str:
    """Mixed-script text: each Han run becomes its pinyin syllables, separated by spaces."""
    out: list[str] = []
    run: list[str] = []
    for ch in text + " ":
        if is_han(ch):
            run.append(ch)
            continue
        if run:
            out.append(" " + " ".join(han_to_pinyin("".join(run))) + " ")
            run = []
        out.append(ch)
    return "".join(out).strip()


# Generic words of Chinese company names and how English names say them (the distinctive part is
# compared by its pinyin): 华为技术有限公司 <-> HUAWEI TECHNOLOGIES CO. LTD.
_HAN_GENERIC = {
    "技术": "technology", "科技": "technology", "集团": "group", "股份": "joint stock", "国际": "international",
    "贸易": "trading", "商贸": "trading", "投资": "investment", "控股": "holdings", "实业": "industrial", "工业": "industries",
    "电子": "electronics", "能源": "energy", "航运": "shipping", "船务": "shipping", "海运": "shipping", "物流": "logistics",
    "银行": "bank", "石油": "petroleum", "化工": "chemical", "机械": "machinery", "发展": "development", "工程": "engineering",
    "进出口": "import export", "电信": "telecom", "通信": "communications", "网络": "network", "软件": "software",
    "制造": "manufacturing", "矿业": "mining", "建设": "construction", "航空": "aviation", "电力": "power", "钢铁": "steel",
    "香港": "hong kong", "中国": "china", "北京": "beijing", "上海": "shanghai", "深圳": "shenzhen",
    # stop 27: words of Chinese and North Korean firms' names lists write in English
    "朝鲜": "korea", "联合": "joint", "工贸": "industry trade", "金属": "metal", "材料": "materials", "海事": "marine",
    "商业": "commercial", "设备": "equipment", "石化": "petrochemical", "制药": "pharmaceutical", "企业": "enterprise",
    "船舶": "ship", "开发": "development", "矿产": "mineral", "外贸": "foreign trade", "澳门": "macau",
}  # fmt: skip
# the English words of firm names the generic words above translate, and their other forms as lists write them: a
# firm's name without them (its distinctive part) is a key of its own (the screener's _firm_key)
HAN_GENERIC_ENGLISH = frozenset(
    {w for v in _HAN_GENERIC.values() for w in v.split()}
    | {"trade", "industry", "technologies", "holding", "investments", "chemicals", "metals", "material", "electronic",
       "united", "enterprises", "general", "hongkong", "hk", "and", "corporation", "company", "group", "limited", "co",
       "ltd", "corp", "shipping", "ships", "minerals", "telecommunications", "petrochemicals", "pharmaceuticals"}
)  # fmt: skip
_HAN_GENERIC_ORDER = sorted(_HAN_GENERIC, key=len, reverse=True)


def han_company_english(han: str) -> tuple[str, ...] | None:
    """``华为技术`` -> ``("huawei", "technology")``: the distinctive part in pinyin, generic words in English."""
    out: list[str] = []
    run: list[str] = []
    i = 0
    found = False
    while i < len(han):
        word = next((w for w in _HAN_GENERIC_ORDER if han.startswith(w, i)), None)
        if word is None:
            run.append(han[i])
            i += 1
            continue
        if run:
            out.append("".join(han_to_pinyin("".join(run))))
            run = []
        out.extend(_HAN_GENERIC[word].split())
        found = True
        i += len(word)
    if run:
        out.append("".join(han_to_pinyin("".join(run))))
    return tuple(out) if found else None


def _han_variants(han: str, *, person: bool, translate: bool = True) -> list[NameVariant]:
    out = [NameVariant((han,), "han")]
    if not person and translate:
        english = han_company_english(han)
        if english:
            out.append(NameVariant(english, "latin", pinyin=True))  # 南康科技 ("nankang technology") is not NANJING ...
    plain, named = _han_readings(han)
    if person and 2 <= len(han) <= 4:
        family, _ = split_han_name(han)
        k = len(family)
        out.append(NameVariant(("".join(named[:k]), "".join(named[k:])), "pinyin"))
        if named != plain:
            out.append(NameVariant(("".join(plain[:k]), "".join(plain[k:])), "pinyin"))
    else:  # an organisation, or a long name: one token, compared by spelling (and equal to a spaced pinyin's compact form)
        out.append(NameVariant(("".join(plain),), "pinyin"))
    return out


def _sino_variants(latin: str, tokens: tuple[str, ...], family_last: bool = False) -> list[NameVariant]:
    """Romanised Chinese names regrouped as ``family given``: spacing, Wade-Giles and Cantonese spellings.

    ``family_last``: the name was written ``FAMILY, Given`` and turned round at its comma (``PAO, Hua Chiang`` is ``hua
    chiang pao``): its last word is the family name, never a given name's syllable (not ``hua chiangpao``).
    """
    if len(tokens) > 4 or sum(len(t) for t in tokens) > 24:
        return []
    out: list[NameVariant] = []
    # Wade-Giles: "mao tse-tung" -> "mao zedong"; "teng hsiao-ping" -> "teng xiaoping" and "deng xiaobing"
    if _WG_ONLY_HINT.search(latin) or "-" in latin:
        words = [w for w in re.split(r"[\s,]+", latin) if w]
        kept: list[str] = []  # syllables that are already pinyin are kept
        full: list[str] = []  # every syllable read as Wade-Giles
        for word in words:
            parts = [p for p in word.replace("'", "").split("-") if p]
            if not parts:
                continue
            wg = [wade_giles_to_pinyin(p) for p in parts]
            py = [p if p in PINYIN_SYLLABLES and not _WG_ONLY_HINT.search(p) else w for p, w in zip(parts, wg, strict=True)]
            if any(p is None for p in py):
                kept = full = []
                break
            kept.append("".join(p for p in py if p))
            full.append("".join(w or p for p, w in zip(parts, wg, strict=True)))
        for converted in (kept, full):
            if converted and tuple(converted) != tokens:
                out.append(NameVariant(tuple(converted), "sino"))
            if family_last and len(converted) >= 3:  # PAO, Hua Chiang: also huajiang bao, the given name's syllables joined
                out.append(NameVariant(("".join(converted[:-1]), converted[-1]), "sino"))
    # Cantonese / Korean family names
    for i in (len(tokens) - 1,) if family_last else (0, len(tokens) - 1):
        mandarin = cantonese_surname(tokens[i])
        if mandarin and len(tokens) >= 2:
            swapped = list(tokens)
            swapped[i] = mandarin
            out.append(NameVariant(tuple(swapped), "sino"))
    # pinyin spacing: "zhang xiu ying" / "xijinping" -> "zhang xiuying" / "xi jinping" (family name first or last)
    segs = [segment_pinyin(t) for t in tokens]
    if all(s is not None for s in segs):
        syllables = [p for s in segs if s is not None for p in s]
        if 2 <= len(syllables) <= 4:
            parts = syllables if len(tokens) == 1 else list(tokens) if len(tokens) >= 3 else []
            if parts:
                first, last = parts[0] in CHINESE_SURNAMES, parts[-1] in CHINESE_SURNAMES
                if family_last and len(tokens) >= 2:
                    first, last = False, True  # the comma said so, whatever the words are
                if first or not last:
                    out.append(NameVariant((parts[0], "".join(parts[1:])), "sino"))
                if last or not first:
                    out.append(NameVariant(("".join(parts[:-1]), parts[-1]), "sino"))
    return [v for v in out if v.tokens != tokens]
