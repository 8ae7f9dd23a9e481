"""Staff pages for relief (#15): batches, a batch's eligible borrowers with each one's NPV cost,
one decision's schedule before/after side by side, and bulk approval (write permission, CSRF).

The pages call the same ``LoanService`` functions as the API and the CLI. Templates live in
``loans/templates`` (found by ``core.web``) and extend the shared staff layout.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from finguard.access.pages import Staff, message, page_lang, render, signed_in, staff_post
from finguard.core.errors import FinguardError, InvalidInput
from finguard.core.i18n import HTML_LANG, choose_language, register_pattern, section
from finguard.core.money import format_yuan
from finguard.core.web import SECURITY_HEADERS, _css, templates
from finguard.loans.chart import SERIES_LABEL, bars_svg, comparison_svg, timeline_svg
from finguard.loans.http import education_service, loans_service, outreach_service
from finguard.loans.model.education import TOPICS
from finguard.loans.model.eligibility import EPIDEMIC_2020
from finguard.loans.model.outreach import RELIEF_TEMPLATE, Channel
from finguard.loans.model.relief import CREDIT_REPORT_TEXT
from finguard.loans.provider import china_today
from finguard.loans.service import Comparison, StoredDecision

router = APIRouter(prefix="/staff", include_in_schema=False)
public_router = APIRouter(include_in_schema=False)  # the public education pages, linked from the public check page

# The segment a relief campaign was planned for (stored in English) in the page's language.
register_pattern(r"relief batch (?P<batch>[0-9a-f]+)", "loans_segment_relief_batch")
PAGE = 50  # decisions priced per page: each needs its schedule replayed twice

# ``nav`` doubles as ``staff_nav_loans``, the staff console's menu entry


def texts(lang: str) -> dict[str, str]:
    """This capability's strings in ``lang`` (registered in the shared catalogue as ``loans_*``)."""
    return section(lang, "loans_")


def _ctx(lang: str) -> dict[str, Any]:
    return {"lt": texts(lang), "series": SERIES_LABEL["zh" if lang == "zh" else "en"],
            "yuan": format_yuan, "credit_text": lambda code: CREDIT_REPORT_TEXT[code][0 if lang == "zh" else 1]}


def _as_of(raw: object) -> date:
    if not raw:
        return china_today()
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError as exc:
        raise InvalidInput.for_field("as_of", "must be a date YYYY-MM-DD") from exc


@router.get("/loans", response_class=HTMLResponse)
def relief_home(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    service = loans_service(request)
    return render(request, "loans_home.html", lang, staff, nav="loans", batches=service.store.batches(), policy=EPIDEMIC_2020, **_ctx(lang))


@router.post("/loans/batches")
async def run_batch(request: Request) -> Response:
    return await staff_post(request, "write", _run_batch)


def _run_batch(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    branch = str(form.get("branch") or "").strip()[:64] or None
    report = loans_service(request).evaluate(EPIDEMIC_2020, staff.actor, branch=branch)
    return _batch_page(request, lang, staff, report.batch_id, None, china_today())


def _priced(request: Request, decisions: list[StoredDecision], as_of: date) -> list[tuple[StoredDecision, Comparison | None, str]]:
    service = loans_service(request)
    out: list[tuple[StoredDecision, Comparison | None, str]] = []
    for d in decisions:
        try:
            out.append((d, service.proposal(d.id, as_of), ""))
        except FinguardError as exc:  # e.g. a deferral a bullet loan cannot take: shown, not hidden
            out.append((d, None, exc.message))
    return out


def _batch_page(request: Request, lang: str, staff: Staff, batch_id: str, category: str | None, as_of: date, **extra: Any) -> Response:
    service = loans_service(request)
    eligible = service.store.decisions(batch_id=batch_id, eligible=True, category=category, limit=PAGE)
    refused = service.store.decisions(batch_id=batch_id, eligible=False, limit=PAGE)
    categories = [c.code for c in EPIDEMIC_2020.categories]
    return render(request, "loans_batch.html", lang, staff, nav="loans", batch_id=batch_id, category=category, as_of=as_of.isoformat(),
                  rows=_priced(request, eligible, as_of), refused=refused, page=PAGE, categories=categories,
                  channels=[c.value for c in Channel], **_ctx(lang), **extra)


@router.get("/loans/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: str, category: str | None = None, as_of: str | None = None) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    try:
        day = _as_of(as_of)
    except InvalidInput as exc:
        return message(request, lang, staff, 422, texts(lang)["title"], exc.message)
    return _batch_page(request, lang, staff, batch_id[:32], (category or None) and category[:32], day)


@router.get("/loans/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(request: Request, decision_id: int, as_of: str | None = None) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    service = loans_service(request)
    try:
        stored = service.store.decisions(ids=[decision_id]) if 0 < decision_id <= 2**62 else []
        if not stored:
            return message(request, lang, staff, 404, texts(lang)["title"], texts(lang)["no_decision"])
        comparison = service.proposal(decision_id, _as_of(as_of)) if stored[0].decision.eligible else None
    except FinguardError as exc:
        return message(request, lang, staff, exc.status, texts(lang)["title"], exc.message)
    chart = Markup(comparison_svg(comparison.before, comparison.after, lang)) if comparison else None  # noqa: S704 - built from numbers, labels escaped
    return render(request, "loans_decision.html", lang, staff, nav="loans", d=stored[0], c=comparison, chart=chart, **_ctx(lang))


@router.post("/loans/approve")
async def approve(request: Request) -> Response:
    return await staff_post(request, "write", _approve)


def _approve(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    batch_id = str(form.get("batch_id") or "")[:32]
    raw_ids = [v for v in form.getlist("decision") if isinstance(v, str)]
    try:
        as_of = _as_of(form.get("as_of"))
        ids = [int(v) for v in raw_ids if v.isdigit() and len(v) < 19]
        applied = loans_service(request).approve(ids, staff.actor, as_of)
    except FinguardError as exc:
        return _batch_page(request, lang, staff, batch_id, None, china_today(), status_code=exc.status, error=exc.message)
    loss = sum(a.comparison.cost.loss_fen for a in applied if a.comparison)
    distressed = sum(1 for a in applied if a.comparison and a.comparison.cost.distressed)
    done = texts(lang)["done"].format(n=len(applied), loss=format_yuan(loss), d=distressed)
    return _batch_page(request, lang, staff, batch_id, None, as_of, done=done)


@router.post("/loans/campaigns")
async def plan_campaign(request: Request) -> Response:
    return await staff_post(request, "write", _plan_campaign)


def _plan_campaign(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    """Plan the built-in relief message to every eligible borrower of the batch; the campaign run sends it."""
    batch_id = str(form.get("batch_id") or "")[:32]
    try:
        raw = str(form.get("channel") or "")
        if raw not in {c.value for c in Channel}:
            raise InvalidInput.for_field("channel", "must be email, sms, wechat or call")
        as_of = _as_of(form.get("as_of"))
        outreach = outreach_service(request)
        campaign_id = f"relief-{batch_id[:8]}-{raw}-{as_of:%Y%m%d}"
        report = outreach.create_campaign(campaign_id, campaign_id, Channel(raw), RELIEF_TEMPLATE, outreach.relief_segment(batch_id, as_of),
                                          staff.actor, f"relief batch {batch_id}")
    except FinguardError as exc:
        return _batch_page(request, lang, staff, batch_id, None, china_today(), status_code=exc.status, error=exc.message)
    t = texts(lang)
    reasons = ", ".join(f"{k} {v}" for k, v in report["skipped"].items())
    planned = t["planned"].format(id=campaign_id, queued=report["by_status"].get("queued", 0), skipped=sum(report["skipped"].values()),
                                  reasons=reasons)
    return _batch_page(request, lang, staff, batch_id, None, as_of, done=planned, campaign_id=campaign_id)


LEARN_TEXT = {
    "zh": {"title": "金融知识", "intro": "了解您的权利，识别诈骗。", "others": "更多内容", "switch": "English", "check": "查询收款方风险"},
    "en": {"title": "Know your money", "intro": "Know your rights; spot a fraud.", "others": "More", "switch": "中文",
           "check": "Check a payee"},
}


@public_router.get("/learn", response_class=HTMLResponse)
@public_router.get("/learn/{slug}", response_class=HTMLResponse)
def learn(request: Request, slug: str = "rights", lang: str | None = None) -> Response:
    """A public education page in zh or en; each showing is counted."""
    chosen = choose_language(lang, request.headers.get("accept-language"))
    root = request.scope.get("root_path", "").rstrip("/")
    try:
        topic = education_service(request).view(slug[:40], chosen)
    except FinguardError:
        topic, status = None, 404
    else:
        status = 200
    context = {"lang": chosen, "html_lang": HTML_LANG[chosen], "lt": LEARN_TEXT[chosen], "topic": topic, "topics": list(TOPICS.values()),
               "root": root, "css_version": _css()[1], "other_lang": "en" if chosen == "zh" else "zh", "slug": slug[:40]}
    headers = {**SECURITY_HEADERS, "Content-Language": HTML_LANG[chosen]}
    response: HTMLResponse = templates.TemplateResponse(request, "loans_learn.html", context, status_code=status, headers=headers)
    return response


@router.get("/loans/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str) -> Response:
    """A campaign's reach and response: messages by status, skips by reason, replies, as bars."""
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    outreach = outreach_service(request)
    campaign = outreach.store.campaign(campaign_id[:64])
    if campaign is None:
        return message(request, lang, staff, 404, texts(lang)["title"], texts(lang)["no_campaign"])
    report = outreach.campaign_report(campaign.campaign_id)
    t = texts(lang)
    items = [*((f"{t['status']}: {t.get('msg_' + k, k)}", v) for k, v in sorted(report["by_status"].items())),
             *((f"{t['skipped']}: {t.get('skip_' + k, k)}", v) for k, v in sorted(report["skipped"].items())),
             (t["replies"], report["replies"])]
    channel = t.get("channel_" + campaign.channel.value, campaign.channel.value)
    chart = Markup(bars_svg(items, f"{campaign.name} · {channel}"))  # noqa: S704 - counts and escaped labels
    channels = sorted({d["channel"] for d in report["timeline"]})
    timelines = [Markup(timeline_svg([d for d in report["timeline"] if d["channel"] == ch],  # noqa: S704
                                     f"{t['over_time']} · {t.get('channel_' + ch, ch)}", lang))
                 for ch in channels]
    return render(request, "loans_campaign.html", lang, staff, nav="loans", campaign=campaign, report=report, chart=chart,
                  timelines=timelines, **_ctx(lang))
