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


TARGETS: tuple[Target, ...] = (
    Target("decided", "received", timedelta(seconds=1), "受理后1秒内作出审批决定", "decided within 1 second of receipt"),
    Target("signed", "decided", timedelta(days=3), "批准后3天内签约", "signed within 3 days of approval"),
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
        start = at.get(t.after)
        if start is None or (t.stage in ("signed", "disbursed") and outcome != "approve"):
            continue
        due = start + t.within
        reached = at.get(t.stage)
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
