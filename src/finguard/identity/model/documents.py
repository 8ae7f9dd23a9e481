"""Identity documents checked by their structure: every problem is named.

A structural check proves a number *could* have been issued, never that it *was*: an invented
resident ID number with a correct check digit passes.  Whether a name and an ID number belong
together is the registry's question (``identity.service.registry``).

Kinds: ``resident_id`` (居民身份证号码, GB 11643: 18 digits, or the old 15 that are upgraded),
``uscc`` (统一社会信用代码, GB 32100), ``bank_card`` (Luhn + the BIN table in ``bins.py``),
``passport`` (PRC by letter series, others by the ICAO 9303 character rules), and the permits:
``hk_macao_permit`` (往来港澳通行证, mainland residents), ``hk_macao_resident_permit``
(港澳居民来往内地通行证), ``taiwan_travel_permit`` (大陆居民往来台湾通行证) and
``taiwan_resident_permit`` (台湾居民来往大陆通行证).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from stdnum import luhn
from stdnum.cn import ric, uscc

from finguard.core.identifiers import age_at
from finguard.identity.model.bins import lookup_bin


class DocumentKind(StrEnum):
    RESIDENT_ID = "resident_id"
    USCC = "uscc"
    BANK_CARD = "bank_card"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    HK_MACAO_RESIDENT_PERMIT = "hk_macao_resident_permit"
    TAIWAN_TRAVEL_PERMIT = "taiwan_travel_permit"
    TAIWAN_RESIDENT_PERMIT = "taiwan_resident_permit"


@dataclass(frozen=True, slots=True)
class Problem:
    """One named problem. ``warning`` problems are reported but do not make the number invalid."""

    code: str
    en: str
    zh: str
    warning: bool = False


@dataclass(frozen=True, slots=True)
class DocumentCheck:
    kind: DocumentKind
    number: str
    problems: tuple[Problem, ...] = ()
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not any(not p.warning for p in self.problems)


# GB/T 2260 province-level codes (first two digits of a resident ID or USCC region).
PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾",
}  # fmt: skip

_FULLWIDTH = str.maketrans("", "", " -\u3000")


def clean(raw: str) -> str:
    """NFKC (full-width digits become ASCII), upper case, spaces and hyphens removed."""
    return unicodedata.normalize("NFKC", raw).translate(_FULLWIDTH).upper()


def _p(code: str, en: str, zh: str, *, warning: bool = False) -> Problem:
    return Problem(code, en, zh, warning)


_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_check_digit(body17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, _RIC_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def upgrade_resident_id(number15: str) -> str:
    """The 18-digit form of a 15-digit number (births 1900-1999; the check digit computed)."""
    body = number15[:6] + "19" + number15[6:]
    return body + resident_check_digit(body)


def check_resident_id(raw: str, at: dt.date) -> DocumentCheck:
    """Length, characters, birth date (real, not after ``at``), province, region, check digit.

    Facts: birth date, gender (the 17th digit odd: male), age at ``at``, region, and for a
    15-digit number its 18-digit form.
    """
    number = clean(raw)
    kind = DocumentKind.RESIDENT_ID
    facts: dict[str, str] = {}
    if len(number) == 15:
        if not number.isdigit():
            return DocumentCheck(kind, number, (_p("characters", "a 15-digit number has digits only", "15位号码只能包含数字"),))
        facts["upgraded"] = upgrade_resident_id(number)
        full = facts["upgraded"]
    elif len(number) == 18:
        if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
            return DocumentCheck(kind, number, (_p("characters", "17 digits then a digit or X", "前17位须为数字，末位为数字或X"),))
        full = number
    else:
        return DocumentCheck(
            kind, number, (_p("length", f"18 (or the old 15) characters, got {len(number)}", f"应为18位（或旧15位），实际{len(number)}位"),)
        )
    problems: list[Problem] = []
    try:
        birth: dt.date | None = dt.date(int(full[6:10]), int(full[10:12]), int(full[12:14]))
    except ValueError:
        birth = None
        problems.append(_p("birth_date", f"digits 7-14 are not a real date ({full[6:14]})", f"第7-14位不是有效日期（{full[6:14]}）"))
    if birth is not None:
        if birth > at:
            problems.append(_p("birth_date_future", f"birth date {birth} is after {at}", f"出生日期{birth}晚于{at}"))
        elif birth.year < 1900:
            problems.append(_p("birth_date_past", f"birth year {birth.year} is before 1900", f"出生年份{birth.year}早于1900年"))
        else:
            facts["birth_date"] = birth.isoformat()
            facts["age"] = str(age_at(birth, at))
    facts["gender"] = "male" if int(full[16]) % 2 else "female"
    province = PROVINCES.get(full[:2])
    if province is None:
        problems.append(_p("province", f"{full[:2]} is not a province code", f"{full[:2]}不是有效的省级行政区划代码"))
    else:
        facts["province"] = province
        if birth is not None:
            try:
                place = ric.get_birth_place(full)
                facts["region"] = "".join(place.get(k, "") for k in ("province", "prefecture", "county"))
            except (ric.ValidationError, KeyError, ValueError):
                problems.append(
                    _p(
                        "region",
                        f"region {full[:6]} is not in the GB/T 2260 table for {birth.year}",
                        f"行政区划代码{full[:6]}在{birth.year}年的表中不存在",
                        warning=True,
                    )
                )
    if len(number) == 18:
        expected = resident_check_digit(full[:17])
        if expected != full[17]:
            problems.append(_p("check_digit", f"check digit is {full[17]}, expected {expected}", f"校验位为{full[17]}，应为{expected}"))
    return DocumentCheck(kind, number, tuple(problems), facts)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code_check(body8: str) -> str | None:
    """GB 11714 check character of the 9-character organisation code inside a USCC."""
    total = 0
    for ch, w in zip(body8, _ORG_WEIGHTS, strict=True):
        if ch.isdigit():
            total += int(ch) * w
        elif "A" <= ch <= "Z":
            total += (ord(ch) - ord("A") + 10) * w
        else:
            return None
    r = 11 - total % 11
    return "0" if r == 11 else "X" if r == 10 else str(r)


def check_uscc(raw: str) -> DocumentCheck:
    number = clean(raw)
    kind = DocumentKind.USCC
    if len(number) != 18:
        return DocumentCheck(kind, number, (_p("length", f"18 characters, got {len(number)}", f"应为18位，实际{len(number)}位"),))
    bad = sorted({c for c in number if c not in _USCC_CHARS})
    if bad:
        return DocumentCheck(
            kind,
            number,
            (
                _p(
                    "characters",
                    f"not allowed: {''.join(bad)} (I, O, S, V, Z are never used)",
                    f"含不允许的字符：{''.join(bad)}（不使用I、O、S、V、Z）",
                ),
            ),
        )
    problems: list[Problem] = []
    if not number[2:8].isdigit():
        problems.append(_p("region", "characters 3-8 (the region code) must be digits", "第3-8位（行政区划码）须为数字"))
    elif number[2:4] not in PROVINCES and number[2:8] != "100000":
        problems.append(_p("province", f"{number[2:4]} is not a province code", f"{number[2:4]}不是有效的省级行政区划代码"))
    org_check = _org_code_check(number[8:16])
    if org_check is not None and org_check != number[16]:
        problems.append(
            _p(
                "org_code_check",
                f"organisation code check is {number[16]}, expected {org_check}",
                f"组织机构代码校验码为{number[16]}，应为{org_check}",
            )
        )
    expected = uscc.calc_check_digit(number[:17])
    if expected != number[17]:
        problems.append(_p("check_digit", f"check character is {number[17]}, expected {expected}", f"校验码为{number[17]}，应为{expected}"))
    return DocumentCheck(kind, number, tuple(problems), {"organisation_code": number[8:17], "region": number[2:8]})


def check_bank_card(raw: str) -> DocumentCheck:
    number = clean(raw)
    kind = DocumentKind.BANK_CARD
    if not number.isdigit():
        return DocumentCheck(kind, number, (_p("characters", "digits only", "只能包含数字"),))
    if not 12 <= len(number) <= 19:
        return DocumentCheck(kind, number, (_p("length", f"12 to 19 digits, got {len(number)}", f"应为12至19位，实际{len(number)}位"),))
    problems: list[Problem] = []
    if not luhn.is_valid(number):
        problems.append(
            _p("luhn", "the Luhn check digit is wrong (a digit mistyped or two swapped)", "Luhn校验失败（可能输错或颠倒了数字）")
        )
    facts: dict[str, str] = {}
    found = lookup_bin(number)
    if found is None:
        problems.append(
            _p("bin_unknown", f"issuer prefix {number[:6]} is not in the BIN table", f"发卡行识别码{number[:6]}不在BIN表中", warning=True)
        )
    else:
        facts.update(scheme=found.scheme, issuer=found.issuer, card_type=found.card_type)
        if found.lengths and len(number) not in found.lengths:
            allowed = ", ".join(str(n) for n in found.lengths)
            problems.append(_p("length_for_bin", f"{found.scheme} cards have {allowed} digits", f"{found.scheme}卡号应为{allowed}位"))
    return DocumentCheck(kind, number, tuple(problems), facts)


# PRC passports by series: E + 8 digits (ordinary e-passport), E + letter (not I, O) + 7 digits
# (since 2017), G + 8 digits (ordinary, before 2012), D/S/P + 7 digits and DE/SE/PE + 7 digits
# (diplomatic, service, public affairs).
_CN_PASSPORT = re.compile(r"^(E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[DSP]\d{7}|[DSP]E\d{7})$")
_ICAO_NUMBER = re.compile(r"^[A-Z0-9]{5,9}$")
_PERMITS: dict[DocumentKind, tuple[re.Pattern[str], str, str]] = {
    DocumentKind.HK_MACAO_PERMIT: (
        re.compile(r"^(C\d{8}|C[A-HJ-NP-Z]\d{7})$"),
        "C + 8 digits, or C + a letter + 7 digits",
        "C加8位数字，或C加1位字母加7位数字",
    ),
    DocumentKind.HK_MACAO_RESIDENT_PERMIT: (
        re.compile(r"^[HM](\d{8}|\d{10})$"),
        "H (Hong Kong) or M (Macao) + 8 digits (old cards 10)",
        "H（香港）或M（澳门）加8位数字（旧证10位）",
    ),
    DocumentKind.TAIWAN_TRAVEL_PERMIT: (re.compile(r"^L\d{8}$"), "L + 8 digits", "L加8位数字"),
    DocumentKind.TAIWAN_RESIDENT_PERMIT: (
        re.compile(r"^(\d{8}|\d{10}(\([A-Z]\))?)$"),
        "8 digits (old booklets 10, with an optional letter in brackets)",
        "8位数字（旧版10位，可带括号字母）",
    ),
}


def check_passport(raw: str, country: str = "CN") -> DocumentCheck:
    number = clean(raw)
    kind = DocumentKind.PASSPORT
    country = clean(country)
    if not re.fullmatch(r"[A-Z]{3}|[A-Z]{2}", country):
        return DocumentCheck(
            kind, number, (_p("country", "an ISO 3166 alpha-2 or alpha-3 country code", "应为ISO 3166两位或三位国家代码"),)
        )
    if country in ("CN", "CHN"):
        if not _CN_PASSPORT.fullmatch(number):
            return DocumentCheck(
                kind,
                number,
                (
                    _p(
                        "format",
                        "a PRC passport number is E + 8 digits, E + letter + 7 digits, G + 8 digits, or D/S/P(E) + 7 digits",
                        "中国护照号应为E加8位数字、E加字母加7位数字、G加8位数字，或D/S/P(E)加7位数字",
                    ),
                ),
            )
        return DocumentCheck(kind, number, (), {"country": "CN", "series": number[0] if number[1].isdigit() else number[:2]})
    if not _ICAO_NUMBER.fullmatch(number):
        return DocumentCheck(kind, number, (_p("format", "5 to 9 letters or digits (ICAO 9303)", "应为5至9位字母或数字（ICAO 9303）"),))
    return DocumentCheck(kind, number, (), {"country": country})


def check_permit(kind: DocumentKind, raw: str) -> DocumentCheck:
    number = clean(raw)
    pattern, en, zh = _PERMITS[kind]
    if not pattern.fullmatch(number):
        return DocumentCheck(kind, number, (_p("format", f"expected {en}", f"格式应为{zh}"),))
    facts = {"region": "Hong Kong" if number[0] == "H" else "Macao"} if kind is DocumentKind.HK_MACAO_RESIDENT_PERMIT else {}
    return DocumentCheck(kind, number, (), facts)


def check_document(kind: DocumentKind, raw: str, *, at: dt.date, country: str = "CN") -> DocumentCheck:
    """Check ``raw`` as a document of ``kind``; ``at`` is the date ages and "future" refer to."""
    if kind is DocumentKind.RESIDENT_ID:
        return check_resident_id(raw, at)
    if kind is DocumentKind.USCC:
        return check_uscc(raw)
    if kind is DocumentKind.BANK_CARD:
        return check_bank_card(raw)
    if kind is DocumentKind.PASSPORT:
        return check_passport(raw, country)
    return check_permit(kind, raw)
