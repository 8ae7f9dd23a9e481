"""Qualifiers: facts besides the name that raise or lower a hit's score, each explained.

Every function returns a :class:`Qualifier` (value, contribution, explanation) or ``None`` when
the fact is missing on either side; a missing fact never changes a score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from finguard.screening.model.names import fold

BIRTH_EXACT = 0.05
BIRTH_YEAR = 0.03
BIRTH_MISMATCH = -0.15
COUNTRY_MATCH = 0.03
COUNTRY_MISMATCH = -0.05
KIND_MISMATCH = -0.2
GENDER_MISMATCH = -0.1
LEGAL_FORM_MATCH = 0.02
LEGAL_FORM_MISMATCH = -0.05


@dataclass(frozen=True, slots=True)
class Qualifier:
    name: str
    value: float
    contribution: float
    explanation: str


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_ISO_DATE = re.compile(r"(1[89]\d\d|20\d\d)-(\d\d)-(\d\d)")


def birth_years(values: tuple[str, ...]) -> tuple[frozenset[int], frozenset[str]]:
    """Years (ranges expanded) and ISO dates found in birth-date texts as the lists give them.

    ``("1960-1962",)`` -> years 1960, 1961, 1962; ``("1965-04-12",)`` -> 1965 and ``1965-04-12``;
    ``("circa 1958",)`` -> 1958.
    """
    years: set[int] = set()
    dates: set[str] = set()
    for value in values:
        if m := _ISO_DATE.fullmatch(value.strip()):
            dates.add(m.group(0))
            years.add(int(m.group(1)))
            continue
        found = [int(y) for y in _YEAR.findall(value)]
        if len(found) == 2 and ("to" in value.lower() or re.fullmatch(r"\s*\d{4}\s*-\s*\d{4}\s*", value)):
            lo, hi = sorted(found)
            if hi - lo <= 20:
                years.update(range(lo, hi + 1))
                continue
        years.update(found)
    return frozenset(years), frozenset(dates)


def birth_date(query: str | None, listed: tuple[frozenset[int], frozenset[str]]) -> Qualifier | None:
    if not query:
        return None
    years, dates = listed
    if not years:
        return None
    q_years, q_dates = birth_years((query,))
    if not q_years:
        return None
    if q_dates and q_dates & dates:
        return Qualifier("birth_date", 1.0, BIRTH_EXACT, f"birth date {next(iter(q_dates & dates))} is the listed one")
    if q_years & years:
        return Qualifier("birth_date", 1.0, BIRTH_YEAR, f"birth year {min(q_years & years)} is a listed one")
    gap = min(abs(a - b) for a in q_years for b in years)
    if gap <= 1:
        return Qualifier("birth_date", 0.5, 0.0, f"birth year differs by {gap} from the listed {_years(years)}: neither raised nor lowered")
    return Qualifier("birth_date", 0.0, BIRTH_MISMATCH, f"birth year {min(q_years)} differs from the listed {_years(years)}")


def _years(years: frozenset[int]) -> str:
    ordered = sorted(years)
    return str(ordered[0]) if len(ordered) == 1 else f"{ordered[0]}-{ordered[-1]}"


_COUNTRIES: dict[str, tuple[str, ...]] = {
    "china": ("cn", "chn", "chinese", "prc", "peoples republic of china", "中国", "中华人民共和国", "mainland china"),
    "hong kong": ("hk", "hkg", "hong kong sar", "hong kong china", "香港"),
    "macau": ("mo", "mac", "macao", "澳门"),
    "taiwan": ("tw", "twn", "taiwanese", "台湾", "republic of china"),
    "russia": ("ru", "rus", "russian", "russian federation", "俄罗斯"),
    "iran": ("ir", "irn", "iranian", "iran islamic republic of", "islamic republic of iran", "伊朗"),
    "iraq": ("iq", "irq", "iraqi"),
    "syria": ("sy", "syr", "syrian", "syrian arab republic"),
    "north korea": (
        "kp",
        "prk",
        "dprk",
        "korea north",
        "democratic peoples republic of korea",
        "korea democratic peoples republic of",
        "north korean",
        "朝鲜",
    ),
    "south korea": ("kr", "kor", "korea south", "republic of korea", "korea republic of", "south korean", "韩国"),
    "afghanistan": ("af", "afg", "afghan"),
    "pakistan": ("pk", "pak", "pakistani"),
    "india": ("in", "ind", "indian"),
    "venezuela": ("ve", "ven", "venezuelan", "venezuela bolivarian republic of"),
    "cuba": ("cu", "cub", "cuban"),
    "mexico": ("mx", "mex", "mexican"),
    "colombia": ("co", "col", "colombian"),
    "lebanon": ("lb", "lbn", "lebanese"),
    "yemen": ("ye", "yem", "yemeni"),
    "libya": ("ly", "lby", "libyan"),
    "sudan": ("sd", "sdn", "sudanese"),
    "somalia": ("so", "som", "somali"),
    "saudi arabia": ("sa", "sau", "saudi"),
    "united arab emirates": ("ae", "are", "uae", "emirati"),
    "turkey": ("tr", "tur", "turkish", "turkiye"),
    "ukraine": ("ua", "ukr", "ukrainian"),
    "belarus": ("by", "blr", "belarusian"),
    "united states": ("us", "usa", "american", "united states of america"),
    "united kingdom": ("gb", "gbr", "uk", "british", "great britain"),
    "germany": ("de", "deu", "german"),
    "france": ("fr", "fra", "french"),
    "egypt": ("eg", "egy", "egyptian"),
    "jordan": ("jo", "jor", "jordanian"),
    "kuwait": ("kw", "kwt", "kuwaiti"),
    "qatar": ("qa", "qat", "qatari"),
    "nigeria": ("ng", "nga", "nigerian"),
    "myanmar": ("mm", "mmr", "burma", "burmese"),
    "singapore": ("sg", "sgp", "singaporean"),
    "malaysia": ("my", "mys", "malaysian"),
    "indonesia": ("id", "idn", "indonesian"),
    "philippines": ("ph", "phl", "filipino"),
    "japan": ("jp", "jpn", "japanese", "日本"),
    "vietnam": ("vn", "vnm", "viet nam", "vietnamese"),
    "thailand": ("th", "tha", "thai"),
    "cambodia": ("kh", "khm", "cambodian"),
    "tunisia": ("tn", "tun", "tunisian"),
    "algeria": ("dz", "dza", "algerian"),
    "morocco": ("ma", "mar", "moroccan"),
    "mali": ("ml", "mli", "malian"),
    "nicaragua": ("ni", "nic", "nicaraguan"),
    "spain": ("es", "esp", "spanish"),
    "italy": ("it", "ita", "italian"),
    "canada": ("ca", "can", "canadian"),
    "australia": ("au", "aus", "australian"),
    "brazil": ("br", "bra", "brazilian"),
    "kazakhstan": ("kz", "kaz", "kazakh"),
    "uzbekistan": ("uz", "uzb", "uzbek"),
    "tajikistan": ("tj", "tjk", "tajik"),
    "kyrgyzstan": ("kg", "kgz", "kyrgyz"),
    "azerbaijan": ("az", "aze", "azerbaijani"),
    "georgia": ("ge", "geo", "georgian"),
    "armenia": ("am", "arm", "armenian"),
    "cyprus": ("cy", "cyp", "cypriot"),
    "greece": ("gr", "grc", "greek"),
    "israel": ("il", "isr", "israeli"),
    "bahrain": ("bh", "bhr", "bahraini"),
    "oman": ("om", "omn", "omani"),
    "panama": ("pa", "pan", "panamanian"),
    "eritrea": ("er", "eri", "eritrean"),
    "ethiopia": ("et", "eth", "ethiopian"),
    "kenya": ("ke", "ken", "kenyan"),
    "zimbabwe": ("zw", "zwe", "zimbabwean"),
    "congo": ("cg", "cog", "republic of the congo"),
    "democratic republic of the congo": ("cd", "cod", "drc", "congo democratic republic of the", "congolese"),
    "central african republic": ("cf", "caf"),
    "south sudan": ("ss", "ssd", "south sudanese"),
    "bosnia and herzegovina": ("ba", "bih", "bosnian"),
    "serbia": ("rs", "srb", "serbian"),
    "switzerland": ("ch", "che", "swiss"),
    "netherlands": ("nl", "nld", "dutch"),
    "belgium": ("be", "bel", "belgian"),
}
_COUNTRY_ALIASES = {alias: name for name, aliases in _COUNTRIES.items() for alias in (name, *aliases)}
_NON_WORD = re.compile(r"[^\w]+")


def country_key(value: str) -> str:
    """A canonical country name: ``"CN"``, ``"China"``, ``"Chinese"`` and ``"中国"`` all give ``"china"``.

    Unknown countries come back folded (``"Bhutan"`` -> ``"bhutan"``), so two equal texts still agree.
    """
    text = _NON_WORD.sub(" ", fold(value)).strip()
    text = text.replace("the ", "") if text.startswith("the ") else text
    return _COUNTRY_ALIASES.get(text, text)


def country(query: str | None, listed: frozenset[str]) -> Qualifier | None:
    if not query or not listed:
        return None
    key = country_key(query)
    if not key:
        return None
    if key in listed:
        return Qualifier("country", 1.0, COUNTRY_MATCH, f"country {key!r} is a listed nationality or country")
    shown = ", ".join(sorted(listed)[:4])
    return Qualifier("country", 0.0, COUNTRY_MISMATCH, f"country {key!r} is not among the listed ones ({shown})")


def kind(query: str | None, listed: str) -> Qualifier | None:
    if query not in ("person", "organisation"):
        return None
    if query == listed:
        return Qualifier("kind_mismatch", 0.0, 0.0, f"both are a {listed}")
    return Qualifier("kind_mismatch", 1.0, KIND_MISMATCH, f"the query is a {query}, the listed entry a {listed}")


def gender_key(value: str | None) -> str | None:
    if not value:
        return None
    text = fold(value).strip()
    if text in ("m", "male", "man", "男", "mr"):
        return "male"
    if text in ("f", "female", "woman", "女", "ms", "mrs"):
        return "female"
    return None


def gender(query: str | None, listed: str | None) -> Qualifier | None:
    q, g = gender_key(query), gender_key(listed)
    if q is None or g is None:
        return None
    if q == g:
        return Qualifier("gender", 1.0, 0.0, f"both {q}")
    return Qualifier("gender", 0.0, GENDER_MISMATCH, f"the query is {q}, the listed person {g}")


_LEGAL_CLASSES: dict[str, tuple[str, ...]] = {
    "有限公司": ("limited", "company"),
    "有限责任公司": ("limited", "llc", "company"),
    "股份有限公司": ("limited", "jsc", "company", "corporation", "incorporated"),
    "集团有限公司": ("limited", "company"),
    "公司": ("company", "corporation", "incorporated"),
    "分公司": ("company",),
    "株式会社": ("company", "jsc", "corporation", "limited"),
    "会社": ("corporation", "company"),  # a bare 会社: North Korean firms' Corporation (stop 27)
    "corporation": ("corporation", "incorporated", "company"),
    "incorporated": ("corporation", "incorporated", "company"),
}
_DESCRIPTIVE = {"集团", "控股", "group", "holding", "establishment"}


def _classes(forms: tuple[str, ...]) -> set[str]:
    if "kg" in forms:  # "GmbH & Co. KG": the Co. is the partnership's, a KG is no company of that name ("AMAN COMPANY")
        forms = tuple(f for f in forms if f != "company")
    return {c for f in forms if f not in _DESCRIPTIVE for c in _LEGAL_CLASSES.get(f, (f,))}


def legal_form(query: tuple[str, ...], listed: tuple[str, ...]) -> Qualifier | None:
    """Same legal form raises a little; clearly different forms (LLC against GmbH) lower a little.

    Descriptive words (group, holding, 集团, 控股) never count against a hit, and Chinese forms are
    compared by meaning (``有限公司`` agrees with ``Co., Ltd.``).
    """
    q, g = _classes(query), _classes(listed)
    if not q or not g:
        return None
    if q & g:
        return Qualifier("legal_form", 1.0, LEGAL_FORM_MATCH, f"same legal form ({', '.join(sorted(q & g))})")
    return Qualifier("legal_form", 0.0, LEGAL_FORM_MISMATCH, f"different legal forms: {', '.join(query)} against {', '.join(listed)}")
