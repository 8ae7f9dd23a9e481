"""Financial education: field events per branch and the public education pages' content.

A field event is what a branch did on a day (place, staff, leaflets handed out, questions
answered, photos); totals are by branch and by campaign. The public pages (the eight rights of
financial consumers, how telecom fraud works, what the police never ask for) are content here,
in Chinese and English; the page that shows them counts its views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput


@dataclass(frozen=True, slots=True)
class FieldEvent:
    branch: str
    campaign: str
    day: date
    place: str
    staff: tuple[str, ...]
    leaflets: int
    questions: int
    photos: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "campaign": self.campaign, "day": self.day.isoformat(), "place": self.place,
                "staff": list(self.staff), "leaflets": self.leaflets, "questions": self.questions, "photos": list(self.photos)}


def parse_event(data: Mapping[str, Any], line: int | None = None) -> FieldEvent:
    problems: list[FieldProblem] = []

    def text(name: str, limit: int) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
            problems.append(FieldProblem(name, f"must be a non-empty text of at most {limit} characters", line))
            return ""
        return value.strip()

    def count(name: str) -> int:
        value = data.get(name, 0)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000_000:
            problems.append(FieldProblem(name, "must be a whole number from 0 to 10,000,000", line))
            return 0
        return value

    def names(name: str) -> tuple[str, ...]:
        value = data.get(name, [])
        items = [x.strip() for x in value.split(";")] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(x, str) and len(x) <= 200 for x in items) or len(items) > 100:
            problems.append(FieldProblem(name, "must be a list of names (or one text separated by ;), at most 100", line))
            return ()
        return tuple(x.strip() for x in items if x.strip())

    branch, campaign, place = text("branch", 64), text("campaign", 64), text("place", 200)
    day = date(1970, 1, 1)
    try:
        day = date.fromisoformat(str(data.get("day", "")))
    except ValueError:
        problems.append(FieldProblem("day", "must be a date YYYY-MM-DD", line))
    staff, photos = names("staff"), names("photos")
    leaflets, questions = count("leaflets"), count("questions")
    if problems:
        raise InvalidInput("invalid field event", problems=problems)
    return FieldEvent(branch, campaign, day, place, staff, leaflets, questions, photos)


def totals(events: Iterable[FieldEvent], by: str) -> list[dict[str, Any]]:
    """Events, leaflets and questions answered per ``branch`` or ``campaign``, largest first."""
    if by not in ("branch", "campaign"):
        raise InvalidInput.for_field("by", "must be branch or campaign")
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        key = e.branch if by == "branch" else e.campaign
        row = out.setdefault(key, {by: key, "events": 0, "leaflets": 0, "questions": 0, "staff": set()})
        row["events"] += 1
        row["leaflets"] += e.leaflets
        row["questions"] += e.questions
        row["staff"].update(e.staff)
    rows = [{**r, "staff": len(r["staff"])} for r in out.values()]
    return sorted(rows, key=lambda r: (-r["events"], r[by]))


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    title_zh: str
    title_en: str
    points_zh: tuple[str, ...]
    points_en: tuple[str, ...]


TOPICS: dict[str, Topic] = {t.slug: t for t in (
    Topic(
        "rights", "金融消费者的八项权利", "The eight rights of financial consumers",
        ("财产安全权：您的资金和财产安全受到保护。", "知情权：您有权了解产品和服务的真实情况，包括费用和风险。",
         "自主选择权：您可以自主选择金融产品和服务，不受强制搭售。", "公平交易权：交易条件应当公平，不得设置不合理条款。",
         "依法求偿权：权益受损时，您有权依法要求赔偿。", "受教育权：您有权获得金融知识教育。",
         "受尊重权：您的人格尊严和民族风俗习惯应受尊重。", "信息安全权：您的个人信息应当被依法保护，不被泄露或滥用。"),
        ("Security of property: your money and assets are protected.",
         "To be informed: you may know the true terms of a product, its fees and its risks.",
         "To choose: you choose products and services freely; nothing may be forced on you as a bundle.",
         "Fair dealing: the terms must be fair, with no unreasonable clauses.",
         "To claim redress: when your rights are harmed you may claim compensation under the law.",
         "To financial education: you may learn what you need to know about money.",
         "To respect: your dignity and customs are respected.",
         "Security of information: your personal data is protected, never leaked or misused."),
    ),
    Topic(
        "telecom-fraud", "电信网络诈骗是怎样得手的", "How telecom fraud works",
        ("骗子冒充客服、公检法、亲友或领导，先取得您的信任。", "再制造紧急情况：账户涉案、快递丢失、亲人出事、贷款额度、刷单返利。",
         "然后诱导您转账到“安全账户”、下载共享屏幕软件或说出验证码。",
         "凡是要求转账、要验证码、要共享屏幕的，都是诈骗。先挂断，再拨打官方电话或 96110 核实。"),
        ("Fraudsters pose as customer service, police, prosecutors, relatives or your boss to win your trust.",
         "Then they invent an emergency: your account is in a case, a parcel is lost, a relative is hurt, "
         "a loan offer, paid 'tasks'.",
         "Then they ask you to move money to a 'safe account', install screen-sharing apps or read out a verification code.",
         "Anyone asking for a transfer, a code or your screen is a fraudster. Hang up and call the official number or 96110."),
    ),
    Topic(
        "police-never-ask", "警方从不会要求您做的事", "What the police never ask you to do",
        ("警方不会通过电话、短信或社交软件办案。", "警方不会要求您把钱转到“安全账户”或任何个人账户。",
         "警方不会索要您的银行卡密码或短信验证码。", "警方不会通过视频出示“通缉令”“逮捕令”。"),
        ("The police never handle a case over the phone, by text message or on a chat app.",
         "The police never ask you to move money to a 'safe account' or anyone's account.",
         "The police never ask for your card PIN or a verification code.",
         "The police never show you a 'warrant' over a video call."),
    ),
)}
