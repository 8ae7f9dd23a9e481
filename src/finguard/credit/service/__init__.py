"""Credit use cases: apply (tax data -> decision), the later stages, policy and model versions.

Storage and the tax feed are declared here as Protocols; ``finguard.credit.store`` and
``finguard.credit.feed`` implement them. A feed that fails gives the application the outcome
``unavailable`` (recorded, never an approval). The champion scorecard decides; a challenger, when
one is registered, scores the same application in shadow and its score is kept beside.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from typing import Any, Protocol

from finguard.alerts.model import AlertDraft
from finguard.core.clock import utcnow
from finguard.core.errors import Conflict, FieldProblem, FinguardError, InvalidInput, NotFound, Unavailable
from finguard.credit.model.decision import (
    Application,
    Decision,
    Outcome,
    Reason,
    check_application,
    decide,
    referral_reasons,
)
from finguard.credit.model.features import tax_facts
from finguard.credit.model.policy import Policy, parse_policy, policy_to_doc
from finguard.credit.model.scorecard import Scorecard, scorecard_from_doc, scorecard_to_doc
from finguard.credit.model.sla import APPROVAL, Breach, breaches
from finguard.credit.model.taxdata import Grade, TaxRecord, normalise_uscc, record_to_doc

STAGES = ("received", "data_fetched", "scored", "decided", "referred", "approved", "refused", "signed", "disbursed")

log = logging.getLogger(__name__)
DEFAULT_MODEL = "scorecard-tax-v1.json"


class TaxFeed(Protocol):
    """A tax-bureau feed: the firm's record as of now. Raises NotFound or Unavailable."""

    def fetch(self, uscc: str) -> TaxRecord: ...


class AlertSink(Protocol):
    def add_alerts(self, drafts: Sequence[AlertDraft]) -> list[int]:
        """Store the drafts not already open (same kind, subject and fingerprint); their new ids."""
        ...


class CreditStore(Protocol):
    def latest_policy(self) -> tuple[int, dict[str, Any]] | None: ...
    def add_policy(self, doc: dict[str, Any], *, created_by: str, at: datetime) -> int: ...
    def policy_history(self) -> list[dict[str, Any]]: ...
    def model(self, role: str) -> dict[str, Any] | None: ...
    def model_version(self, version: str) -> dict[str, Any] | None: ...
    def add_model(self, doc: dict[str, Any], *, role: str, created_by: str, at: datetime) -> None: ...
    def set_model_role(self, version: str, role: str) -> None: ...
    def models(self) -> list[dict[str, Any]]: ...
    def models_in_role(self) -> dict[str, dict[str, Any]]: ...
    def add_application(self, app: Application, *, channel: str, created_by: str, outcome: Mapping[str, Any]) -> int: ...
    def add_stage(self, app_id: int, stage: str, at: datetime, actor: str, account: str | None = None) -> None: ...
    def application(self, app_id: int) -> dict[str, Any] | None: ...
    def stages_since(self, since: datetime) -> list[dict[str, Any]]: ...
    def applications(self, *, limit: int, offset: int) -> list[dict[str, Any]]: ...
    def settle_referral(self, app_id: int, *, outcome: str, stage: str, at: datetime, actor: str, note: str,
                        reasons: list[dict[str, str]]) -> bool: ...  # fmt: skip
    def referred(self, *, limit: int) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A referred application to put before a person (a ``loan_approval`` case)."""

    application_id: int
    subject: str
    summary: str
    severity: str  # high: two people (maker-checker)
    details: dict[str, Any]
    referred_at: datetime
    due: datetime


@dataclass(frozen=True, slots=True)
class ApprovalCase:
    id: int
    state: str
    disposition: str | None
    close_reason: str | None


class ApprovalQueue(Protocol):
    """Where referred applications wait for a person (the provider answers it with the case
    engine). ``open`` is idempotent per application: a second call returns the same case."""

    def open(self, request: ApprovalRequest) -> int: ...
    def find(self, application_id: int) -> ApprovalCase | None: ...


@dataclass(frozen=True, slots=True)
class FaceEvidence:
    """The signatory's photo on file (the ID photo) and a live capture taken at signing; never stored here."""

    photo: bytes
    capture: bytes


@dataclass(frozen=True, slots=True)
class FaceCheckResult:
    """``outcome``: match | no_match | retake | unavailable (the check could not run)."""

    outcome: str
    reason: str
    score: float | None = None
    reason_zh: str = ""  # the reason in plain words, when the check gives them
    reason_en: str = ""


class FaceRefused(Conflict):
    """Signing refused because the face check answered ``no_match`` or ``retake`` (409); carries
    the check's answer so a page can show it beside the two pictures."""

    def __init__(self, message: str, result: FaceCheckResult) -> None:
        super().__init__(message)
        self.result = result


class SigningFaceCheck(Protocol):
    """1:1 face verification of the signatory (the app wires ``finguard.identity`` here).

    Returns ``unavailable`` when the check cannot run; raises ``InvalidInput`` naming ``photo``
    or ``capture`` when a picture cannot be read."""

    def check(self, photo: bytes, capture: bytes, *, actor: str, channel: str) -> FaceCheckResult: ...


@dataclass(frozen=True, slots=True)
class ApplyResult:
    application_id: int
    outcome: str  # approve | refuse | unavailable
    decision: Decision | None
    stages: dict[str, datetime]
    challenger_score: float | None = None
    problem: str | None = None  # why the outcome is unavailable
    case_id: int | None = None  # the loan_approval case of a referred application

    @property
    def decision_ms(self) -> float:
        return (self.stages["decided"] - self.stages["received"]).total_seconds() * 1000


def record_digest(rec: TaxRecord) -> str:
    return hashlib.sha256(json.dumps(record_to_doc(rec), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def shipped_scorecard() -> Scorecard:
    """The scorecard shipped with finguard (trained on the synthetic portfolio, seed 7)."""
    text = resources.files("finguard.credit").joinpath("data", DEFAULT_MODEL).read_text(encoding="utf-8")
    return scorecard_from_doc(json.loads(text))


def reason_docs(d: Decision) -> list[dict[str, str]]:
    return [{"code": r.code, "kind": r.kind, "zh": r.zh, "en": r.en} for r in d.reasons]


class CreditService:
    def __init__(
        self,
        store: CreditStore,
        feed: TaxFeed,
        *,
        clock: Callable[[], datetime] | None = None,
        alerts: AlertSink | None = None,
        face_check: SigningFaceCheck | None = None,
        face_at_signing: bool = False,
        approvals: ApprovalQueue | None = None,
    ) -> None:
        self.store = store
        self.feed = feed
        self.alerts = alerts
        self.clock = clock or utcnow
        self.face_check = face_check
        self.face_at_signing = face_at_signing
        self.approvals = approvals
        self._policy: Policy | None = None
        self._models: dict[str, Scorecard | None] = {}

    # ---- policy ------------------------------------------------------------------------------
    def policy(self) -> Policy:
        latest = self.store.latest_policy()
        if latest is None:
            try:
                self.store.add_policy(policy_to_doc(Policy()), created_by="system", at=self.clock())
            except Conflict:
                pass  # another process stored the first version at the same moment
            latest = self.store.latest_policy()
            assert latest is not None
        version, doc = latest
        if self._policy is None or self._policy.version != version:
            self._policy = parse_policy(doc, version=version)
        return self._policy

    def set_policy(self, doc: Any, *, created_by: str) -> Policy:
        """A new policy version from the sections given (the rest kept); old versions stay."""
        if not isinstance(doc, Mapping):
            raise InvalidInput.for_field("policy", "must be a JSON object")
        current = self.policy()
        base = policy_to_doc(current)
        unknown = sorted(set(doc) - set(base))
        if unknown:
            raise InvalidInput(
                "the policy is not valid", problems=[FieldProblem(k, "is not a policy section (knockout, product, need)") for k in unknown]
            )
        merged = {
            k: {**base[k], **doc[k]} if isinstance(base[k], dict) and isinstance(doc.get(k), Mapping) else doc.get(k, base[k]) for k in base
        }
        parsed = parse_policy(merged, version=current.version + 1)
        self.store.add_policy(policy_to_doc(parsed), created_by=created_by, at=self.clock())
        self._policy = None
        return self.policy()

    # ---- models ------------------------------------------------------------------------------
    def champion(self) -> Scorecard:
        row = self.store.model("champion")
        if row is None:
            sc = shipped_scorecard()
            try:
                if self.store.model_version(sc.version) is None:
                    self.store.add_model(scorecard_to_doc(sc), role="champion", created_by="system", at=self.clock())
                else:
                    self.store.set_model_role(sc.version, "champion")
            except Conflict:
                pass  # another process registered it at the same moment
            return sc
        return self._cached(row)

    def scorecards(self) -> tuple[Scorecard, Scorecard | None]:
        """The champion and the challenger (None when there is none) in one read of the store."""
        rows = self.store.models_in_role()
        if "champion" not in rows:
            return self.champion(), self.challenger()
        challenger = rows.get("challenger")
        return self._cached(rows["champion"]), self._cached(challenger) if challenger else None

    def challenger(self) -> Scorecard | None:
        row = self.store.model("challenger")
        return self._cached(row) if row else None

    def _cached(self, row: Mapping[str, Any]) -> Scorecard:
        version = str(row["version"])
        sc = self._models.get(version)
        if sc is None:
            sc = scorecard_from_doc(row["body"])
            self._models[version] = sc
        return sc

    def register_model(self, sc: Scorecard, *, role: str, created_by: str) -> None:
        if role not in ("champion", "challenger", "retired"):
            raise InvalidInput.for_field("role", "must be champion, challenger or retired")
        if self.store.model_version(sc.version) is not None:
            raise Conflict(f"model version {sc.version} already exists; versions are never overwritten")
        self.champion()  # the shipped one is registered first, so a new champion retires it
        if role in ("champion", "challenger"):
            old = self.store.model(role)
            if old is not None:
                self.store.set_model_role(str(old["version"]), "retired")
        self.store.add_model(scorecard_to_doc(sc), role=role, created_by=created_by, at=self.clock())

    def promote(self, version: str) -> None:
        """The challenger (or any version) becomes champion; the old champion retires."""
        if self.store.model_version(version) is None:
            raise NotFound(f"no model version {version}")
        old = self.store.model("champion")
        if old is not None and str(old["version"]) != version:
            self.store.set_model_role(str(old["version"]), "retired")
        self.store.set_model_role(version, "champion")

    # ---- applications ------------------------------------------------------------------------
    def apply(self, app: Application, *, channel: str = "api", actor: str = "applicant") -> ApplyResult:
        """Decide an application and store it with its stages: two reads and one write."""
        received = self.clock()
        policy = self.policy()
        uscc = normalise_uscc(app.uscc)
        app = Application(uscc, app.requested_fen, app.term_months, app.purpose.strip(), app.own_funds_fen, app.other_wc_loans_fen)
        check_application(app, policy)
        champion, challenger = self.scorecards()
        stages = {"received": received}
        try:
            record = self.feed.fetch(uscc)
        except FinguardError as exc:
            stages["decided"] = self.clock()
            outcome = {"status": "unavailable", "outcome": "unavailable", "problem": exc.message, "stages": stages,
                       "policy_version": policy.version, "model_version": champion.version}  # fmt: skip
            app_id = self.store.add_application(app, channel=channel, created_by=actor, outcome=outcome)
            return ApplyResult(app_id, "unavailable", None, stages, problem=exc.message)
        stages["data_fetched"] = self.clock()
        decision = decide(app, record, tax_facts(record), champion, policy)
        stages["scored"] = self.clock()
        shadow = challenger.score(decision.features).score if challenger is not None else None
        stages["decided"] = self.clock()
        referral = referral_reasons(decision, policy)
        if referral:
            decision = replace(decision, reasons=(*decision.reasons, *referral))
            stages["referred"] = stages["decided"]
        outcome = {
            "status": "referred" if referral else "decided",
            "outcome": "refer" if referral else decision.outcome.value,
            "decision": decision,
            "stages": stages,
            "firm_name": record.firm.name,
            "tax_source": record.source,
            "tax_as_of": record.as_of,
            "tax_digest": record_digest(record),
            "challenger_version": challenger.version if challenger is not None else None,
            "challenger_score": shadow,
        }
        app_id = self.store.add_application(app, channel=channel, created_by=actor, outcome=outcome)
        case_id = None
        if referral:
            case_id = self._open_approval(app_id, app, decision, record.firm.name, stages["referred"], policy.product.checker_above_fen)
        return ApplyResult(app_id, "refer" if referral else decision.outcome.value, decision, stages, shadow, case_id=case_id)

    # ---- referrals: a person approves or refuses (#14) ---------------------------------------
    def _open_approval(self, app_id: int, app: Application, d: Decision, firm: str, at: datetime, checker_above: int) -> int | None:
        """The referred application's ``loan_approval`` case; a failure leaves it referred, and
        ``open_pending_approvals`` (the timeliness sweep) opens it later."""
        if self.approvals is None:
            log.warning("application %s is referred but no approval queue is configured", app_id)
            return None
        why = "; ".join(r.en for r in d.reasons if r.kind == "refer")
        severity = "high" if checker_above and d.line_fen >= checker_above else "medium"
        request = ApprovalRequest(
            app_id, f"credit_application:{app_id}", f"{firm or app.uscc}: CNY {d.line_fen // 100:,} line. {why}"[:4000], severity,
            {"uscc": app.uscc, "firm": firm, "line_fen": d.line_fen, "requested_fen": app.requested_fen, "score": d.score,
             "grade": d.grade.value, "refer": [r.code for r in d.reasons if r.kind == "refer"]},
            at, at + APPROVAL.within,
        )  # fmt: skip
        try:
            return self.approvals.open(request)
        except Exception as exc:  # the application stays referred; the sweep retries
            log.warning("could not open the approval case of application %s: %s", app_id, type(exc).__name__)
            return None

    def open_pending_approvals(self, *, limit: int = 1000) -> list[int]:
        """Open the case of every referred application that has none yet (after a failure, or
        for referrals made before the case engine was wired); the ids of the cases opened or found."""
        out = []
        policy = self.policy()
        for app_id in self.store.referred(limit=limit):
            row = self.get(app_id, settle=False)
            at = next((s["at"] for s in row["stages"] if s["stage"] == "referred"), row["received_at"])
            d = Decision(Outcome.APPROVE, int(row["line_fen"] or 0), None, row["score"], row["pd"], Grade(row["grade"]),
                         tuple(Reason(r["code"], r["kind"], r["zh"], r["en"]) for r in row["reasons"] or []), {}, {},
                         int(row["policy_version"] or 0), str(row["model_version"] or ""))  # fmt: skip
            app = Application(row["uscc"], int(row["requested_fen"]), int(row["term_months"]), row["purpose"])
            case_id = self._open_approval(app_id, app, d, row["firm_name"] or "", at, policy.product.checker_above_fen)
            if case_id is not None:
                out.append(case_id)
        return out

    def check_approval(self, app_id: int) -> None:
        """Raises Conflict when the application no longer waits for a person."""
        row = self.get(app_id, settle=False)
        if row["outcome"] != "refer":
            raise Conflict(f"application {app_id} is not waiting for approval (it is {row['outcome']})")

    def settle_approval(self, app_id: int, *, approved: bool, actor: str, reason: str, proposed_by: str | None = None,
                        case_id: int | None = None) -> dict[str, Any]:  # fmt: skip
        """Write a person's answer back to a referred application: the ``approved`` or ``refused``
        stage with who and why, and the outcome. Idempotent: the same answer again changes nothing."""
        row = self.get(app_id, settle=False)
        stage = "approved" if approved else "refused"
        if row["outcome"] != "refer":
            if any(s["stage"] == stage for s in row["stages"]):
                return row
            raise Conflict(f"application {app_id} is not waiting for approval (it is {row['outcome']})")
        why = reason.strip()[:2000]
        note = why + (f" (proposed by {proposed_by})" if proposed_by else "") + (f" [case {case_id}]" if case_id else "")
        reasons = [r for r in row["reasons"] or []]
        if not approved:
            reasons.insert(0, {"code": "REFUSED_ON_REVIEW", "kind": "refuse", "zh": f"经人工审批拒绝：{why}",
                               "en": f"Refused on review: {why}"})  # fmt: skip
        self.store.settle_referral(app_id, outcome="approve" if approved else "refuse", stage=stage, at=self.clock(), actor=actor,
                                   note=note, reasons=reasons)  # fmt: skip
        return self.get(app_id, settle=False)

    def advance(
        self,
        app_id: int,
        stage: str,
        *,
        actor: str,
        account: str | None = None,
        face: FaceEvidence | None = None,
        channel: str = "api",
    ) -> dict[str, Any]:
        """Mark an approved application signed, then disbursed (in that order, once each); a
        disbursement may name the ledger account the loan was paid into (for the purpose monitor).

        Signing runs the signatory's face check when ``face`` is given, and requires it when
        ``face_at_signing`` is set (``FINGUARD_CREDIT_FACE_AT_SIGNING``): the stage is recorded only
        on ``match``; ``no_match`` and ``retake`` are a Conflict with the reason, and a check that
        cannot run is ``Unavailable`` (503), never a silent pass.  The returned row then carries
        ``face_check`` (outcome, reason, score)."""
        if stage not in ("signed", "disbursed"):
            raise InvalidInput.for_field("stage", "must be signed or disbursed")
        if account is not None and (stage != "disbursed" or not 1 <= len(account.strip()) <= 128):
            raise InvalidInput.for_field("account", "is the account paid into: 1 to 128 characters, with stage disbursed")
        if face is not None and stage != "signed":
            raise InvalidInput.for_field("capture", "a face check belongs to the signed stage")
        if stage == "signed" and face is None and self.face_at_signing:
            raise InvalidInput.for_field("capture", "signing requires the signatory's face check: send the photo on file and a capture")
        row = self.get(app_id)
        if row["outcome"] != "approve":
            raise Conflict(f"application {app_id} was not approved ({row['outcome']})")
        done = {s["stage"] for s in row["stages"]}
        if stage in done:
            raise Conflict(f"application {app_id} is already {stage}")
        if stage == "disbursed" and "signed" not in done:
            raise Conflict(f"application {app_id} must be signed before it is disbursed")
        checked: FaceCheckResult | None = None
        if face is not None:
            checked = self._signatory_face(app_id, face, actor=actor, channel=channel)
        self.store.add_stage(app_id, stage, self.clock(), actor, account.strip() if account else None)
        row = self.get(app_id)
        if checked is not None:
            row["face_check"] = {"outcome": checked.outcome, "reason": checked.reason, "score": checked.score}
            row["face_reason_text"] = {"zh": checked.reason_zh, "en": checked.reason_en}
        return row

    def _signatory_face(self, app_id: int, face: FaceEvidence, *, actor: str, channel: str) -> FaceCheckResult:
        if self.face_check is None:
            raise Unavailable(f"application {app_id} is not signed: no face check is configured on this server")
        result = self.face_check.check(face.photo, face.capture, actor=actor, channel=channel)
        if result.outcome == "unavailable":
            raise Unavailable(f"application {app_id} is not signed: the face check could not run ({result.reason})")
        if result.outcome != "match":
            raise FaceRefused(f"application {app_id} is not signed: the face check answered {result.outcome} ({result.reason})", result)
        return result

    def disbursement(self, app_id: int) -> tuple[str, datetime, int]:
        """The account, time and amount of an application's disbursement (what the purpose monitor traces)."""
        row = self.get(app_id)
        at = next((s["at"] for s in row["stages"] if s["stage"] == "disbursed"), None)
        if at is None or not row.get("disbursed_account"):
            raise Conflict(f"application {app_id} has no disbursement into a known account")
        return str(row["disbursed_account"]), at, int(row["line_fen"])

    def get(self, app_id: int, *, settle: bool = True) -> dict[str, Any]:
        """The application; a referred one whose case closed meanwhile (in a process that could
        not write back) is settled from the case first."""
        row = self.store.application(app_id)
        if row is None:
            raise NotFound(f"no credit application {app_id}")
        if settle and row["outcome"] == "refer" and self.approvals is not None:
            found = self.approvals.find(app_id)
            row["approval_case_id"] = found.id if found else None
            if found is not None and found.state == "closed" and found.disposition in ("approved", "refused"):
                row = self.settle_approval(app_id, approved=found.disposition == "approved", actor="system",
                                           reason=found.close_reason or "", case_id=found.id)  # fmt: skip
        return row

    def timeliness(self, *, since: datetime) -> list[Breach]:
        """Every service-level breach of the applications received since ``since``, as of now."""
        now = self.clock()
        return [b for row in self.store.stages_since(since) for b in breaches(row["id"], row["outcome"], row["stages"], now)]

    def list(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        return self.store.applications(limit=limit, offset=offset)


def stage_durations(stages: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Milliseconds from ``received`` to each later stage."""
    at = {str(s["stage"]): s["at"] for s in stages}
    start = at.get("received")
    if start is None:
        return {}
    return {k: (v - start).total_seconds() * 1000 for k, v in at.items() if k != "received"}
