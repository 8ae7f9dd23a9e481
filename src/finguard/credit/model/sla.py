"""Approval timeliness (审批时效): each stage against its service-level target.

A target is the longest time allowed from one stage to the next (``from_stage -> stage``). A stage
reached late is a breach; a stage still pending past its due time is an open breach. Only the
stages an application should reach count: a refusal is never expected to be signed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Target:
    stage: str
    after: str
    within: timedelta
    zh: str
    en: str
    also: tuple[str, ...] = ()  # other stages that count as reaching it (refused for approved)
    after_also: tuple[str, ...] = ()  # later stages that restart the clock when present


# A referred application (``referred``: the machine approved it but a person must) is approved or
# refused from its ``loan_approval`` case within this; the case's due time is the same target.
APPROVAL = Target("approved", "referred", timedelta(hours=24), "转人工后24小时内完成审批",
                  "approved or refused within 24 hours of referral", also=("refused",))  # fmt: skip
TARGETS: tuple[Target, ...] = (
    Target("decided", "received", timedelta(seconds=1), "受理后1秒内作出审批决定", "decided within 1 second of receipt"),
    APPROVAL,
    Target("signed", "decided", timedelta(days=3), "批准后3天内签约", "signed within 3 days of approval", after_also=("approved",)),
    Target("disbursed", "signed", timedelta(days=1), "签约后1天内放款", "disbursed within 1 day of signing"),
)


@dataclass(frozen=True, slots=True)
class Breach:
    application_id: int
    stage: str
    due: datetime
    reached: datetime | None  # None: still pending
    late_by: timedelta
    zh: str
    en: str


def breaches(application_id: int, outcome: str | None, stages: Sequence[Mapping[str, object]], now: datetime,
             targets: Sequence[Target] = TARGETS) -> list[Breach]:  # fmt: skip
    at: dict[str, datetime] = {str(s["stage"]): s["at"] for s in stages if isinstance(s["at"], datetime)}
    out = []
    for t in targets:
        start = max((at[s] for s in (t.after, *t.after_also) if s in at), default=None)
        if start is None or (t.stage in ("signed", "disbursed") and outcome != "approve"):
            continue
        due = start + t.within
        reached = next((at[s] for s in (t.stage, *t.also) if s in at), None)
        end = reached if reached is not None else now
        if end > due:
            late = end - due
            state_zh = "已延误" if reached is not None else "仍未完成，已超时"
            state_en = "was late by" if reached is not None else "is still pending, overdue by"
            out.append(Breach(application_id, t.stage, due, reached, late, f"未达到时效要求（{t.zh}）：{state_zh}{_human_zh(late)}。",
                              f"Missed the target ({t.en}): {state_en} {_human_en(late)}."))  # fmt: skip
    return out


def _human_en(d: timedelta) -> str:
    s = d.total_seconds()
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s" if s < 120 else f"{s / 3600:.1f} h"


def _human_zh(d: timedelta) -> str:
    s = d.total_seconds()
    return f"{s * 1000:.0f}毫秒" if s < 1 else f"{s:.1f}秒" if s < 120 else f"{s / 3600:.1f}小时"
