"""Staff pages for tax loans (#14): apply for a firm, and a decision with its reasons.

``/staff/credit`` lists recent applications and takes a new one (write permission);
``/staff/credit/{id}`` shows the decision: outcome, line, price band, score and grade, every
reason in the page's language (the other language beside it), the candidate limits and which one
bound, the stages with their times, and where the tax data came from. Both call the same
service functions as the API and the CLI.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import (
    Staff,
    field_errors,
    form_text,
    message,
    page_lang,
    post_guard,
    render,
    signed_in,
    staff_post,
    staff_root,
)
from finguard.core.clock import utcnow
from finguard.core.errors import Conflict, FinguardError, InvalidInput, Unavailable
from finguard.core.http import read_pictures
from finguard.core.i18n import messages, register
from finguard.core.web import NO_STORE
from finguard.core.web.pictures import thumbnail
from finguard.credit.http import SIGNING_PICTURE_BYTES, credit_service
from finguard.credit.model.decision import Application
from finguard.credit.model.taxdata import normalise_uscc, yuan_to_fen
from finguard.credit.service import FaceEvidence, FaceRefused, stage_durations

router = APIRouter()
FIELDS = ("uscc", "amount", "term_months", "purpose", "own_funds", "other_wc_loans")

register({
    "zh": {
        "staff_nav_credit": "税务贷",
        "credit_heading": "税务贷",
        "credit_intro": "根据企业纳税数据自动审批小微企业贷款：准入规则、评分卡、额度与利率区间，并逐条说明理由。",
        "credit_new": "新申请",
        "credit_uscc": "统一社会信用代码", "credit_amount": "申请金额（元）", "credit_term": "期限（月）", "credit_purpose": "用途",
        "credit_own_funds": "自有营运资金（元）", "credit_other_loans": "他行流动资金贷款（元）", "credit_optional": "选填",
        "credit_submit": "提交并审批", "credit_recent": "最近的申请", "credit_none": "暂无申请。",
        "credit_outcome_approve": "批准", "credit_outcome_refuse": "拒绝", "credit_outcome_unavailable": "无法审批",
        "credit_line": "核定额度", "credit_rate": "年利率区间", "credit_score": "评分", "credit_grade": "纳税信用等级",
        "credit_pd": "违约概率", "credit_reasons": "理由", "credit_no_reasons": "无拒绝或调减理由：按申请金额批准。",
        "credit_limits": "额度测算", "credit_limit_requested": "申请金额", "credit_limit_product_cap": "产品上限",
        "credit_limit_tax_multiple": "纳税额倍数上限", "credit_limit_need": "流动资金需求", "credit_binding": "起决定作用",
        "credit_stages": "审批环节", "credit_stage_received": "受理", "credit_stage_data_fetched": "取得税务数据",
        "credit_stage_scored": "完成评分", "credit_stage_decided": "作出决定",
        "credit_stage_signed": "签约", "credit_stage_disbursed": "放款",
        "credit_stage_referred": "转人工审批", "credit_stage_approved": "人工批准", "credit_stage_refused": "人工拒绝",
        "credit_outcome_refer": "待人工审批",
        "credit_sign_heading": "签约人脸核验",
        "credit_sign_intro": "上传留存照片（身份证照片）与签约现场拍摄的照片；人脸一致才记录签约。照片不保存。",
        "credit_photo": "留存照片", "credit_capture": "现场照片", "credit_sign_button": "核验并签约",
        "credit_sign_limit": "JPEG、PNG 或 WebP，每张不超过 {mb} MB",
        "credit_face_match": "人脸一致：已签约", "credit_face_no_match": "人脸不一致：未签约", "credit_face_retake": "需要重拍：未签约",
        "credit_face_unavailable": "无法核验：未签约", "credit_face_score": "相似度", "credit_case": "审批工单 #{id}",
        "credit_case_wait": "本申请需人工审批：请在审批工单中批准或拒绝。",
        "credit_after": "距受理（毫秒）", "credit_source": "数据来源", "credit_versions": "政策版本 {p}，模型 {m}",
        "credit_mark_signed": "标记为已签约", "credit_mark_disbursed": "标记为已放款", "credit_firm": "企业",
        "credit_not_found": "没有编号为 {id} 的申请。", "credit_requested": "申请", "credit_received": "受理时间",
        "credit_status": "状态",
        "staff_err_uscc": "统一社会信用代码无效：应为18位，校验位正确。", "staff_err_amount": "金额应为元，最多两位小数。",
        "staff_err_term_months": "期限应为1至产品最长期限之间的整数月。", "staff_err_purpose": "请填写贷款用途。",
        "staff_err_own_funds": "自有资金应为不小于0的金额。",
        "staff_err_other_wc_loans": "他行贷款应为不小于0的金额。", "staff_err_other_loans": "他行贷款应为不小于0的金额。",
    },
    "en": {
        "staff_nav_credit": "Tax loans",
        "credit_heading": "Tax loans",
        "credit_intro": "Small-business loans decided from the firm's tax record: knock-out rules, a scorecard, a line and a price band, "
                        "with every reason spelt out.",
        "credit_new": "New application",
        "credit_uscc": "Unified social credit code", "credit_amount": "Amount asked (CNY)", "credit_term": "Term (months)",
        "credit_purpose": "Purpose",
        "credit_own_funds": "Own working capital (CNY)", "credit_other_loans": "Working-capital loans elsewhere (CNY)",
        "credit_optional": "optional", "credit_submit": "Submit and decide", "credit_recent": "Recent applications",
        "credit_none": "No applications yet.",
        "credit_outcome_approve": "Approved", "credit_outcome_refuse": "Refused", "credit_outcome_unavailable": "Could not decide",
        "credit_line": "Credit line", "credit_rate": "Annual rate band", "credit_score": "Score", "credit_grade": "Tax-credit grade",
        "credit_pd": "Probability of default", "credit_reasons": "Reasons",
        "credit_no_reasons": "Nothing refused or reduced: approved for the amount asked.",
        "credit_limits": "How the line was set", "credit_limit_requested": "Amount asked", "credit_limit_product_cap": "Product cap",
        "credit_limit_tax_multiple": "Multiple of tax paid", "credit_limit_need": "Working-capital need", "credit_binding": "binding",
        "credit_stages": "Stages", "credit_stage_received": "Received", "credit_stage_data_fetched": "Tax data fetched",
        "credit_stage_scored": "Scored", "credit_stage_decided": "Decided",
        "credit_stage_signed": "Signed", "credit_stage_disbursed": "Disbursed",
        "credit_stage_referred": "Referred to an analyst", "credit_stage_approved": "Approved on review",
        "credit_stage_refused": "Refused on review", "credit_outcome_refer": "Waiting for approval",
        "credit_sign_heading": "Signing with a face check",
        "credit_sign_intro": "Upload the photo on file (the ID photo) and a capture taken at signing; the signing is "
                             "recorded only when the faces match. The pictures are not kept.",
        "credit_photo": "Photo on file", "credit_capture": "Capture at signing", "credit_sign_button": "Check and sign",
        "credit_sign_limit": "JPEG, PNG or WebP, at most {mb} MB each",
        "credit_face_match": "The faces match: signed", "credit_face_no_match": "The faces do not match: not signed",
        "credit_face_retake": "Retake needed: not signed", "credit_face_unavailable": "Could not check: not signed",
        "credit_face_score": "Similarity",
        "credit_case": "Approval case #{id}",
        "credit_case_wait": "This application needs a person: approve or refuse it in its approval case.",
        "credit_after": "ms after received", "credit_source": "Tax data", "credit_versions": "policy v{p}, model {m}",
        "credit_mark_signed": "Mark signed", "credit_mark_disbursed": "Mark disbursed", "credit_firm": "Firm",
        "credit_not_found": "There is no application {id}.", "credit_requested": "Asked", "credit_received": "Received",
        "credit_status": "Status",
        "staff_err_uscc": "Not a valid unified social credit code: 18 characters with a correct check digit.",
        "staff_err_amount": "Give the amount in yuan, at most 2 decimals.",
        "staff_err_term_months": "The term is a whole number of months within the product's maximum.",
        "staff_err_purpose": "Say what the loan is for.",
        "staff_err_own_funds": "Own funds must be an amount of 0 or more.",
        "staff_err_other_wc_loans": "Other loans must be an amount of 0 or more.",
        "staff_err_other_loans": "Other loans must be an amount of 0 or more.",
    },
})  # fmt: skip


def _page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    recent = credit_service(request).list(limit=20)
    return render(request, "staff_credit.html", lang, staff, status_code=status_code, nav="credit", recent=recent, **context)


@router.get("/credit", response_class=HTMLResponse)
def credit_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _page(request, lang, staff, values={"term_months": "12"})


@router.post("/credit")
async def credit_apply(request: Request) -> Response:
    return await staff_post(request, "write", _apply)


def _application(values: dict[str, str]) -> Application:
    problems = []
    try:
        normalise_uscc(values["uscc"])
    except InvalidInput as exc:
        problems += exc.problems
    amounts: dict[str, int | None] = {}
    for name in ("amount", "own_funds", "other_wc_loans"):
        raw = values[name]
        try:
            amounts[name] = yuan_to_fen(raw, name, allow_zero=name != "amount") if raw else (0 if name == "other_wc_loans" else None)
        except InvalidInput as exc:
            problems += exc.problems
    term = int(values["term_months"]) if values["term_months"].isdigit() and len(values["term_months"]) < 4 else -1
    if amounts.get("amount") is None and not any(p.field == "amount" for p in problems):
        problems.append(InvalidInput.for_field("amount", "is required").problems[0])
    if problems:
        raise InvalidInput("the application is not valid", problems=problems)
    return Application(
        values["uscc"], amounts["amount"] or 0, term, values["purpose"], amounts["own_funds"], amounts["other_wc_loans"] or 0
    )


def _apply(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    values = {name: form_text(form, name)[:500] for name in FIELDS}
    try:
        result = credit_service(request).apply(_application(values), channel="staff", actor=staff.actor)
    except InvalidInput as exc:
        return _page(request, lang, staff, status_code=422, values=values, errors=field_errors(lang, exc.problems))
    return RedirectResponse(f"{staff_root(request)}/credit/{result.application_id}?lang={lang}", status_code=303, headers=NO_STORE)


@router.get("/credit/{application_id}", response_class=HTMLResponse)
def decision_page(request: Request, application_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _decision(request, lang, staff, application_id)


def _decision(request: Request, lang: str, staff: Staff, application_id: str, *, status_code: int = 200, error: str = "",
              face: dict[str, Any] | None = None, errors: dict[str, tuple[str, str]] | None = None) -> Response:  # fmt: skip
    t = messages(lang)
    try:
        row = credit_service(request).get(int(application_id)) if application_id.isdigit() and len(application_id) < 19 else None
    except FinguardError:
        row = None
    if row is None:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["credit_not_found"].format(id=application_id[:20]))
    done = {s["stage"] for s in row["stages"]}
    nxt = None if row["outcome"] != "approve" else "signed" if "signed" not in done else "disbursed" if "disbursed" not in done else None
    return render(request, "staff_credit_decision.html", lang, staff, status_code=status_code, nav="credit", app=row,
                  durations=stage_durations(row["stages"]), next_stage=nxt, error=error, face=face, errors=errors or {},
                  mb=f"{SIGNING_PICTURE_BYTES / 1_000_000:g}")  # fmt: skip




@router.post("/credit/{application_id}/sign", response_class=HTMLResponse)
async def credit_sign(request: Request, application_id: str) -> Response:
    """Sign with the signatory's face check: the photo on file and a live capture, shown side by
    side with the verdict and its reason; the stage is recorded only on a match."""
    lang = page_lang(request)
    found = signed_in(request, "write", lang)
    if isinstance(found, Response):
        return found
    if not application_id.isdigit() or len(application_id) >= 19:
        return _decision(request, lang, found, application_id)
    try:
        pictures, fields = await read_pictures(request, SIGNING_PICTURE_BYTES, text_fields=("csrf", "lang"))
    except InvalidInput as exc:
        return _decision(request, lang, found, application_id, status_code=422, errors=field_errors(lang, exc.problems))
    lang, staff = post_guard(request, FormData(fields), "write")
    if isinstance(staff, Response):
        return staff
    svc = credit_service(request)
    evidence = FaceEvidence(pictures["photo"], pictures["capture"])
    try:
        row = await run_in_threadpool(lambda: svc.advance(int(application_id), "signed", actor=staff.actor, face=evidence, channel="page"))
        result = {**row["face_check"], "text": row.get("face_reason_text") or {}}
        status, error = 200, ""
    except FaceRefused as exc:
        r = exc.result
        result = {"outcome": r.outcome, "reason": r.reason, "score": r.score, "text": {"zh": r.reason_zh, "en": r.reason_en}}
        status, error = 409, ""
    except InvalidInput as exc:
        return _decision(request, lang, staff, application_id, status_code=422, errors=field_errors(lang, exc.problems))
    except (Conflict, Unavailable) as exc:
        return _decision(request, lang, staff, application_id, status_code=exc.status, error=exc.message)
    shown = await run_in_threadpool(lambda: {name: thumbnail(data) for name, data in pictures.items()})
    return _decision(request, lang, staff, application_id, status_code=status, error=error, face={**result, "shown": shown})


@router.post("/credit/{application_id}/stage")
async def credit_stage(request: Request, application_id: str) -> Response:
    return await staff_post(request, "write", _stage, application_id)


def _stage(request: Request, lang: str, staff: Staff, form: FormData, application_id: str) -> Response:
    if not application_id.isdigit() or len(application_id) >= 19:
        return _decision(request, lang, staff, application_id)
    try:
        credit_service(request).advance(int(application_id), form_text(form, "stage"), actor=staff.actor)
    except (InvalidInput, Conflict) as exc:
        return _decision(request, lang, staff, application_id, status_code=exc.status, error=exc.message)
    return RedirectResponse(f"{staff_root(request)}/credit/{application_id}?lang={lang}", status_code=303, headers=NO_STORE)


register({
    "zh": {"credit_term_value": "期限{n}个月", "credit_held_out": "留出样本",
           "credit_report": "模型与时效", "credit_models": "模型版本", "credit_role": "角色", "credit_fingerprint": "数据指纹",
           "credit_trained_on": "训练数据", "credit_scorecard": "评分卡（冠军模型 {v}）", "credit_feature": "特征", "credit_bin": "分箱",
           "credit_points": "分值", "credit_bad_rate": "训练样本违约率", "credit_sla": "审批时效（近{d}天）",
           "credit_sla_none": "没有超时的环节。", "credit_breaches": "超时", "credit_median": "中位用时",
           "credit_stage": "环节"},
    "en": {"credit_term_value": "{n}-month term", "credit_held_out": "held out",
           "credit_report": "Models and timeliness", "credit_models": "Model versions", "credit_role": "Role",
           "credit_fingerprint": "Data fingerprint", "credit_trained_on": "Trained on", "credit_scorecard": "Scorecard (champion {v})",
           "credit_feature": "Feature", "credit_bin": "Bin", "credit_points": "Points", "credit_bad_rate": "Bad rate in training",
           "credit_sla": "Approval timeliness (last {d} days)", "credit_sla_none": "No stage missed its target.",
           "credit_breaches": "Breaches", "credit_median": "Median time", "credit_stage": "Stage"},
})  # fmt: skip


@router.get("/credit-report", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    from datetime import timedelta

    from finguard.credit.model.features import FEATURE_LABELS
    from finguard.credit.model.sla import TARGETS

    svc = credit_service(request)
    champion = svc.champion()
    days = 30
    since = utcnow() - timedelta(days=days)
    found = svc.timeliness(since=since)
    durations: dict[str, list[float]] = {t.stage: [] for t in TARGETS}
    for row in svc.store.stages_since(since):
        at = {s["stage"]: s["at"] for s in row["stages"]}
        for t in TARGETS:
            if t.stage in at and t.after in at:
                durations[t.stage].append((at[t.stage] - at[t.after]).total_seconds())
    stages = []
    for t in TARGETS:
        xs = sorted(durations[t.stage])
        median = xs[len(xs) // 2] if xs else None
        stages.append({"stage": t.stage, "target_s": t.within.total_seconds(), "median_s": median, "n": len(xs),
                       "breaches": sum(1 for b in found if b.stage == t.stage), "zh": t.zh, "en": t.en})  # fmt: skip
    features = []
    for fb in champion.features:
        top = max(fb.points) or 1.0
        features.append({"name": fb.name, "label": FEATURE_LABELS.get(fb.name, (fb.name, fb.name))[0 if lang == "zh" else 1],
                         "bins": [{"label": fb.label(i), "points": p, "bad_rate": fb.bad_rates[i] if fb.bad_rates else None,
                                   "width": max(2, int(200 * p / top))} for i, p in enumerate(fb.points)]})  # fmt: skip
    return render(request, "staff_credit_report.html", lang, staff, nav="credit", models=svc.store.models(), champion=champion,
                  features=features, stages=stages, breaches=found[:50], days=days)  # fmt: skip
