"""Synthetic demo lists in Chinese formats, made with a fixed seed, so every outcome shows at once."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stdnum import luhn
from stdnum.cn import ric

from finguard.core.identifiers import IdType
from finguard.lists.model.lists import EntryDraft, Identifier, ListKind, Party, RiskLevel, SubjectKind
from finguard.lists.service.importers import ParsedRow


@dataclass(frozen=True, slots=True)
class DemoList:
    code: str
    name: str
    kind: ListKind
    owner: str
    level: RiskLevel
    description: str


DEMO_LISTS = (
    DemoList(
        "police-fraud",
        "公安电诈涉案账户 Police-reported fraud accounts",
        ListKind.FRAUD_ACCOUNT,
        "公安反诈中心 (demo)",
        RiskLevel.CRITICAL,
        "Accounts reported by the police for telecom fraud (synthetic demo data).",
    ),
    DemoList(
        "mule-cards",
        "涉诈买卖卡 Mule cards",
        ListKind.MULE_ACCOUNT,
        "本行风控部 (demo)",
        RiskLevel.HIGH,
        "Cards sold or rented to fraud rings (synthetic demo data).",
    ),
    DemoList(
        "fraud-phones",
        "涉诈电话 Fraud phone numbers",
        ListKind.FRAUD_ACCOUNT,
        "工信部反诈 (demo)",
        RiskLevel.MEDIUM,
        "Phone numbers reported in fraud calls (synthetic demo data).",
    ),
    DemoList(
        "dishonest-debtors",
        "失信被执行人 Dishonest judgment debtors",
        ListKind.DISHONEST_DEBTOR,
        "最高人民法院 (demo)",
        RiskLevel.MEDIUM,
        "Court-listed dishonest judgment debtors (synthetic demo data).",
    ),
    DemoList(
        "internal-watch",
        "本行关注名单 Internal watch list",
        ListKind.INTERNAL,
        "本行风控部 (demo)",
        RiskLevel.MEDIUM,
        "The bank's own watch list (synthetic demo data).",
    ),
    DemoList(
        "verified-payees",
        "已核实收款人 Verified payees",
        ListKind.ALLOW,
        "本行运营部 (demo)",
        RiskLevel.HIGH,
        "Payees the bank verified in person (synthetic demo data).",
    ),
)

# Fixed values a newcomer can type to see each outcome (also in the README).
DEMO_FRAUD_ACCOUNT = "6222021001122334455"  # police-fraud, critical -> block
DEMO_MULE_CARD = "6228480402564890018"  # mule-cards, high -> block
DEMO_FRAUD_PHONE = "+8613912345678"  # fraud-phones, medium -> warn
DEMO_DEBTOR_ID = "11010519491231002X"  # dishonest-debtors, medium -> warn
DEMO_VERIFIED_ACCOUNT = "6217000010002000300"  # internal-watch medium, verified-payees high -> pass
DEMO_CLEAN_ACCOUNT = "6222000011112222999"  # on no list -> pass

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏辉建华志强宇浩然子涵欣怡梓轩思远晓东海燕丹建国"
_AREAS = ("110105", "310115", "440305", "330106", "510107", "420106", "320102", "370202", "350203", "610113")


def _card(rng: random.Random, prefix: str = "622848") -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(12 - len(prefix) + 6))
    return body + luhn.calc_check_digit(body)


def _id_number(rng: random.Random) -> str:
    born = datetime(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    body = f"{rng.choice(_AREAS)}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _ident(code: str, key: str, id_type: IdType, value: str, reason: str, listed: datetime) -> EntryDraft:
    return EntryDraft(
        key=key,
        subject=SubjectKind.IDENTIFIER,
        identifiers=(Identifier(id_type, value),),
        reason=reason,
        source=f"demo:{code}",
        evidence_ref=f"DEMO-{key}",
        listed_at=listed,
    )


def demo_rows(code: str, size: int = 2000, seed: int = 96110) -> Iterator[ParsedRow]:
    """The rows of one demo list, deterministic for a seed."""
    rng = random.Random(f"{seed}:{code}")
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def when() -> datetime:
        return start + timedelta(minutes=rng.randrange(0, 300_000))

    line = 0
    if code == "police-fraud":
        yield ParsedRow(1, _ident(code, "acct-demo", IdType.ACCOUNT, DEMO_FRAUD_ACCOUNT, "涉电信诈骗 telecom fraud", when()))
        for line in range(2, size + 2):
            acct = "62" + "".join(rng.choice("0123456789") for _ in range(17))
            yield ParsedRow(line, _ident(code, f"acct-{acct}", IdType.ACCOUNT, acct, "涉电信诈骗 telecom fraud", when()))
    elif code == "mule-cards":
        yield ParsedRow(1, _ident(code, "card-demo", IdType.CARD, DEMO_MULE_CARD, "出租出借银行卡 rented-out card", when()))
        for line in range(2, size + 2):
            card = _card(rng)
            yield ParsedRow(line, _ident(code, f"card-{card}", IdType.CARD, card, "出租出借银行卡 rented-out card", when()))
    elif code == "fraud-phones":
        yield ParsedRow(1, _ident(code, "phone-demo", IdType.PHONE, DEMO_FRAUD_PHONE, "冒充客服诈骗来电 fake customer service", when()))
        for line in range(2, size + 2):
            phone = "+86" + rng.choice(("139", "138", "186", "177", "152")) + "".join(rng.choice("0123456789") for _ in range(8))
            yield ParsedRow(line, _ident(code, f"phone-{phone}", IdType.PHONE, phone, "冒充客服诈骗来电 fake customer service", when()))
    elif code == "dishonest-debtors":
        demo = Party(names=("张伟", "Zhang Wei"), birth_dates=("1949-12-31",), nationalities=("CN",))
        yield ParsedRow(
            1,
            EntryDraft(
                "debtor-demo",
                SubjectKind.PERSON,
                (Identifier(IdType.ID_NUMBER, DEMO_DEBTOR_ID),),
                demo,
                reason="失信被执行人 dishonest judgment debtor",
                source="demo:court",
                evidence_ref="(2026)京0105执123号",
                listed_at=when(),
            ),
        )
        for line in range(2, size + 2):
            idn = _id_number(rng)
            party = Party(names=(_name(rng),), birth_dates=(f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}",), nationalities=("CN",))
            yield ParsedRow(
                line,
                EntryDraft(
                    f"debtor-{idn}",
                    SubjectKind.PERSON,
                    (Identifier(IdType.ID_NUMBER, idn),),
                    party,
                    reason="失信被执行人 dishonest judgment debtor",
                    source="demo:court",
                    evidence_ref=f"(2026)执{line}号",
                    listed_at=when(),
                ),
            )
    elif code == "internal-watch":
        yield ParsedRow(1, _ident(code, "watch-demo", IdType.ACCOUNT, DEMO_VERIFIED_ACCOUNT, "短期内频繁大额转入转出 rapid in-out", when()))
    elif code == "verified-payees":
        yield ParsedRow(
            1, _ident(code, "verified-demo", IdType.ACCOUNT, DEMO_VERIFIED_ACCOUNT, "柜面核实：供应商对公结算户 verified supplier", when())
        )
