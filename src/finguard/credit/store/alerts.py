"""Credit alerts in the shared ``alert`` table; an open alert with the same fingerprint is not repeated."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, insert, select

from finguard.alerts.model import AlertDraft
from finguard.alerts.store import alert
from finguard.core.clock import utcnow
from finguard.core.db import begin_write


class SqlCreditAlerts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_alerts(self, drafts: Sequence[AlertDraft]) -> list[int]:
        if not drafts:
            return []
        now = utcnow()
        ids = []
        with begin_write(self.engine) as conn:
            subjects = sorted({d.subject for d in drafts})
            seen = {
                (r.kind, r.subject, (r.details or {}).get("fingerprint"))
                for r in conn.execute(
                    select(alert.c.kind, alert.c.subject, alert.c.details).where(alert.c.subject.in_(subjects), alert.c.status == "open")
                )
            }
            for d in drafts:
                if (d.kind, d.subject, d.details.get("fingerprint")) in seen:
                    continue
                row = {"kind": d.kind, "subject": d.subject[:300], "severity": d.severity, "status": "open", "summary": d.summary,
                       "details": d.details, "created_at": now, "source_seq": d.source_seq}  # fmt: skip
                ids.append(int(conn.execute(insert(alert).values(**row).returning(alert.c.id)).scalar_one()))
        return ids
