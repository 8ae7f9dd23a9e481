"""The one ``CreditStore`` (SQLAlchemy Core), on SQLite and PostgreSQL.

Policies and models are append-only versions (a model's role changes, its body never does).
An application row holds the decision as made: outcome, line, band, score, reasons, the figures
behind the limit, the features, the policy and model versions, and where its tax data came
from (source, as-of date, digest). Stages are rows of their own, one per stage reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from finguard.core.db import begin_write
from finguard.core.errors import Conflict
from finguard.credit.model.decision import Application, Decision
from finguard.credit.store.tables import credit_application, credit_model, credit_policy, credit_stage


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _decision_columns(d: Decision) -> dict[str, Any]:
    return {
        "line_fen": d.line_fen,
        "rate_min_bp": d.rate_band_bp[0] if d.rate_band_bp else None,
        "rate_max_bp": d.rate_band_bp[1] if d.rate_band_bp else None,
        "score": d.score,
        "pd": d.pd,
        "grade": d.grade.value,
        "reasons": [{"code": r.code, "kind": r.kind, "zh": r.zh, "en": r.en} for r in d.reasons],
        "limits": d.limits,
        "features": d.features,
        "policy_version": d.policy_version,
        "model_version": d.model_version,
    }


class SqlCreditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- policy ----
    def latest_policy(self) -> tuple[int, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(credit_policy.c.version, credit_policy.c.body).order_by(credit_policy.c.version.desc()).limit(1)
            ).first()
        return (int(row.version), dict(row.body)) if row else None

    def add_policy(self, doc: dict[str, Any], *, created_by: str, at: datetime) -> int:
        """The next version; Conflict when another writer took that version first."""
        try:
            with begin_write(self.engine) as conn:
                version = int(conn.execute(select(func.coalesce(func.max(credit_policy.c.version), 0))).scalar_one()) + 1
                conn.execute(
                    insert(credit_policy).values(version=version, body={**doc, "version": version}, created_by=created_by, created_at=at)
                )
        except IntegrityError:
            raise Conflict("another policy version was written at the same time; read it and try again") from None
        return version

    def policy_history(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(credit_policy).order_by(credit_policy.c.version.desc())).mappings().all()
        return [{**r, "created_at": _aware(r["created_at"])} for r in rows]

    # ---- models ----
    def models_in_role(self) -> dict[str, dict[str, Any]]:
        """The champion and the challenger (when there is one), in one read."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(credit_model).where(credit_model.c.role.in_(("champion", "challenger")))
                                .order_by(credit_model.c.created_at)).mappings().all()  # fmt: skip
        return {r["role"]: dict(r) for r in rows}

    def model(self, role: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(credit_model).where(credit_model.c.role == role).order_by(credit_model.c.created_at.desc()).limit(1))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def model_version(self, version: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(credit_model).where(credit_model.c.version == version)).mappings().first()
        return dict(row) if row else None

    def add_model(self, doc: dict[str, Any], *, role: str, created_by: str, at: datetime) -> None:
        try:
            self._add_model(doc, role=role, created_by=created_by, at=at)
        except IntegrityError:
            raise Conflict(f"model version {doc['version']} already exists; versions are never overwritten") from None

    def _add_model(self, doc: dict[str, Any], *, role: str, created_by: str, at: datetime) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(
                insert(credit_model).values(
                    version=doc["version"],
                    role=role,
                    body=doc,
                    data_fingerprint=doc.get("data_fingerprint", ""),
                    created_by=created_by,
                    created_at=at,
                )
            )

    def set_model_role(self, version: str, role: str) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(update(credit_model).where(credit_model.c.version == version).values(role=role))

    def models(self) -> list[dict[str, Any]]:
        cols = [
            credit_model.c.version,
            credit_model.c.role,
            credit_model.c.data_fingerprint,
            credit_model.c.created_by,
            credit_model.c.created_at,
            credit_model.c.body,
        ]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(credit_model.c.created_at.desc())).mappings().all()
        return [
            {k: v for k, v in r.items() if k != "body"}
            | {"metrics": r["body"].get("metrics", {}), "trained_on": r["body"].get("trained_on", "")}
            for r in rows
        ]

    # ---- applications ----
    def add_application(self, app: Application, *, channel: str, created_by: str, outcome: Mapping[str, Any]) -> int:
        """The application with its outcome and every stage so far, in one transaction."""
        values: dict[str, Any] = {k: v for k, v in outcome.items() if k not in ("decision", "stages")}
        if outcome.get("decision") is not None:
            values.update(_decision_columns(outcome["decision"]))
        stages: Mapping[str, datetime] = outcome["stages"]
        with begin_write(self.engine) as conn:
            app_id = int(
                conn.execute(
                    insert(credit_application)
                    .values(
                        uscc=app.uscc,
                        requested_fen=app.requested_fen,
                        term_months=app.term_months,
                        purpose=app.purpose,
                        own_funds_fen=app.own_funds_fen,
                        other_wc_loans_fen=app.other_wc_loans_fen,
                        channel=channel,
                        created_by=created_by,
                        received_at=stages["received"],
                        **values,
                    )
                    .returning(credit_application.c.id)
                ).scalar_one()
            )
            rows = [{"application_id": app_id, "stage": s, "at": at, "actor": created_by if s == "received" else "system"}
                    for s, at in stages.items()]  # fmt: skip
            conn.execute(insert(credit_stage), rows)
        return app_id

    def add_stage(self, app_id: int, stage: str, at: datetime, actor: str, account: str | None = None) -> None:
        """A later stage (signed, disbursed, with the account paid into); the status follows it."""
        values: dict[str, Any] = {"status": stage} | ({"disbursed_account": account} if account else {})
        with begin_write(self.engine) as conn:
            conn.execute(insert(credit_stage).values(application_id=app_id, stage=stage, at=at, actor=actor))
            conn.execute(update(credit_application).where(credit_application.c.id == app_id).values(**values))

    def settle_referral(self, app_id: int, *, outcome: str, stage: str, at: datetime, actor: str, note: str,
                        reasons: list[dict[str, str]]) -> bool:
        """A referred application's outcome from the person who decided it, with its stage; only
        while it is still referred (False: it was settled already, nothing changed)."""
        with begin_write(self.engine) as conn:
            done = conn.execute(
                update(credit_application)
                .where(credit_application.c.id == app_id, credit_application.c.outcome == "refer")
                .values(outcome=outcome, status="decided", reasons=reasons)
            ).rowcount
            if done != 1:
                return False
            conn.execute(insert(credit_stage).values(application_id=app_id, stage=stage, at=at, actor=actor, note=note))
        return True

    def referred(self, *, limit: int) -> list[int]:
        """Ids of the applications still waiting for a person, oldest first."""
        a = credit_application
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(select(a.c.id).where(a.c.outcome == "refer").order_by(a.c.id).limit(limit)).scalars()]

    def application(self, app_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(credit_application).where(credit_application.c.id == app_id)).mappings().first()
            if row is None:
                return None
            stages = (
                conn.execute(
                    select(credit_stage.c.stage, credit_stage.c.at, credit_stage.c.actor, credit_stage.c.note)
                    .where(credit_stage.c.application_id == app_id)
                    .order_by(credit_stage.c.at, credit_stage.c.id)
                )
                .mappings()
                .all()
            )
        out = dict(row)
        out["received_at"] = _aware(out["received_at"])
        out["stages"] = [{"stage": s["stage"], "at": _aware(s["at"]), "actor": s["actor"], "note": s["note"]} for s in stages]
        return out

    def applications(self, *, limit: int, offset: int) -> list[dict[str, Any]]:
        cols = [
            credit_application.c[n]
            for n in ("id", "uscc", "firm_name", "requested_fen", "status", "outcome", "line_fen", "score", "grade", "received_at")
        ]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(credit_application.c.id.desc()).limit(limit).offset(offset)).mappings().all()
        return [{**r, "received_at": _aware(r["received_at"])} for r in rows]

    def stages_since(self, since: datetime) -> list[dict[str, Any]]:
        """Applications received since ``since`` with their outcome and stages (for timeliness)."""
        a, s = credit_application, credit_stage
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.c.id, a.c.outcome, s.c.stage, s.c.at).join(s, s.c.application_id == a.c.id)
                .where(a.c.received_at >= since).order_by(a.c.id, s.c.at)
            ).all()  # fmt: skip
        out: dict[int, dict[str, Any]] = {}
        for r in rows:
            item = out.setdefault(int(r.id), {"id": int(r.id), "outcome": r.outcome, "stages": []})
            item["stages"].append({"stage": r.stage, "at": _aware(r.at)})
        return list(out.values())
