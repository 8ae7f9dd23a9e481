"""Staff pages of the lists (#13): the teller payee check, and the lists console (browse, search,
add, edit, delist with a reason).

Every write goes through :class:`~finguard.lists.service.authority.ListAuthority` with the signed-in
person: the list kind's authority applies (a police list is written by the police liaison only),
a change that can lower outcomes waits for a second person (it shows as pending, with its number
on the approvals page), and the change log, its follower and the audit apply as for the API, so
the very next check sees an applied change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from finguard.access.model import PendingChange
from finguard.access.pages import Staff, form_text, message, page_lang, render, signed_in, staff_post, staff_root
from finguard.core import metrics
from finguard.core.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from finguard.core.http_context import platform
from finguard.core.i18n import messages, register
from finguard.core.identifiers import IdType
from finguard.core.web import NO_STORE
from finguard.lists.model.check import CheckRequest, CheckResult
from finguard.lists.model.lists import Entry, RiskLevel
from finguard.lists.service.importers.tabular import draft_from_record

router = APIRouter()

# The teller's form: the identifiers a customer reads out, and the name beside them.
CHECK_FIELDS = ("account", "card", "phone", "id_number", "name")
ENTRY_FIELDS = ("list_code", "id_type", "id_value", "name", "risk_level", "reason", "source", "evidence_ref", "expires_at")
EDIT_FIELDS = ("risk_level", "reason", "source", "evidence_ref", "expires_at")
ID_TYPES = tuple(t.value for t in IdType)
LEVELS = tuple(level.label for level in RiskLevel)
PAGE = 50
SEARCH_LIMIT = 100

_ZH = {
    "staff_nav_payee": "收款方核验",
    "staff_nav_lists": "名单",
    "lc_check_title": "收款方核验（柜面）",
    "lc_check_hint": "输入客户提供的收款账号、卡号、手机号、证件号或姓名（至少一项）。结果列出全部命中：名单、理由和风险等级。",
    "lc_account": "账号",
    "lc_card": "卡号",
    "lc_phone": "手机号",
    "lc_id_number": "证件号码",
    "lc_name": "姓名或名称",
    "lc_check_submit": "核验",
    "lc_complaint": "为客户登记投诉",
    "lc_outcome": "结论",
    "lc_outcome_pass": "未命中风险名单",
    "lc_outcome_warn": "提示风险：请向客户核实",
    "lc_outcome_block": "高风险：建议停止付款",
    "lc_outcome_unavailable": "名单服务暂不可用：请稍后重试，不要据此放行",
    "lc_risk_level": "风险等级",
    "lc_level_low": "低",
    "lc_level_medium": "中",
    "lc_level_high": "高",
    "lc_level_critical": "极高",
    "lc_level_default": "名单默认",
    "lc_hits": "命中",
    "lc_no_hits": "没有命中任何名单条目。",
    "lc_list": "名单",
    "lc_field": "字段",
    "lc_match": "匹配",
    "lc_match_exact": "完全一致",
    "lc_match_name": "姓名相近",
    "lc_reason": "理由",
    "lc_source": "来源",
    "lc_evidence_ref": "证据编号",
    "lc_listed_at": "列入时间",
    "lc_expires_at": "失效时间",
    "lc_entry": "条目",
    "lc_check_id": "核验编号",
    "lc_seq": "名单版本",
    "lc_kind_fraud_account": "涉诈账户（公安）",
    "lc_kind_mule_account": "买卖账户 / 跑分",
    "lc_kind_dishonest_debtor": "失信被执行人",
    "lc_kind_sanctions": "制裁名单",
    "lc_kind_internal": "本行内部名单",
    "lc_kind_allow": "白名单（已核实）",
    "lc_allow_note": "白名单条目（已核实的收款方）",
    "lc_lists_title": "风险名单",
    "lc_lists_hint": "名单的增改和移除都写入变更日志，并在下一次核验中立即生效；可能降低结论的变更需另一人审批。",
    "lc_code": "代码",
    "lc_kind": "类型",
    "lc_owner": "维护方",
    "lc_active": "有效条目",
    "lc_as_of": "数据截至",
    "lc_stale": "已过期",
    "lc_current": "在期",
    "lc_search": "查找条目",
    "lc_search_value": "号码",
    "lc_search_submit": "查找",
    "lc_search_results": "查找结果",
    "lc_search_none": "没有找到条目。",
    "lc_search_capped": "只显示前 {n} 条。",
    "lc_id_type": "号码类型",
    "lc_id_value": "号码",
    "lc_idt_account": "账号",
    "lc_idt_card": "卡号",
    "lc_idt_phone": "手机号",
    "lc_idt_id_number": "身份证件号码",
    "lc_idt_uscc": "统一社会信用代码",
    "lc_idt_email": "电子邮箱",
    "lc_idt_device": "设备",
    "lc_idt_ip": "IP 地址",
    "lc_add": "新增条目",
    "lc_add_submit": "加入名单",
    "lc_optional": "可选",
    "lc_entries": "条目",
    "lc_status": "状态",
    "lc_status_active": "有效",
    "lc_status_delisted": "已移除",
    "lc_prev": "上一页",
    "lc_next": "下一页",
    "lc_edit": "修改条目",
    "lc_edit_submit": "保存修改",
    "lc_delist": "移出名单",
    "lc_delist_reason": "移出理由（必填）",
    "lc_delist_submit": "移出",
    "lc_pending": "该变更可能降低核验结论，已提交审批（第 {id} 号），另一位有权限的人员批准后生效。",
    "lc_saved": "已保存，下一次核验即按新内容判断。",
    "lc_history": "变更记录",
    "lc_op_add": "加入",
    "lc_op_modify": "修改",
    "lc_op_delist": "移出",
    "lc_version": "版本",
    "lc_delisted_at": "移除时间",
    "lc_err_forbidden": "无权修改该名单：{detail}",
    "lc_err_list_code": "请选择名单。",
    "lc_err_id_type": "请选择号码类型。",
    "lc_err_id_value": "号码不正确，或与号码类型不符。",
    "lc_err_name": "姓名需包含文字；没有号码时必须填写姓名。",
    "lc_err_risk_level": "风险等级只能是低、中、高或极高。",
    "lc_err_reason": "请填写理由。",
    "lc_err_source": "来源过长：不能超过 500 个字符。",
    "lc_err_evidence_ref": "证据编号过长：不能超过 500 个字符。",
    "lc_err_expires_at": "失效时间格式不正确：请填写 YYYY-MM-DD 或带时区的时间。",
    "lc_err_key": "名单中已有该号码的有效条目。",
    "lc_err_entry_id": "条目已移除，不能修改；请重新加入。",
    "lc_err_payee": "请至少填写一项：账号、卡号、手机号、证件号码或姓名。",
    "lc_err_account": "账号格式不正确。",
    "lc_err_card": "卡号格式不正确。",
    "lc_err_phone": "手机号格式不正确。",
    "lc_err_id_number": "证件号码格式不正确。",
    "lc_err_value": "请填写要查找的号码或姓名。",
    "lc_err_other": "填写内容不正确，请检查后重试。",
}
_EN = {
    "staff_nav_payee": "Payee check",
    "staff_nav_lists": "Lists",
    "lc_check_title": "Payee check (teller)",
    "lc_check_hint": "Enter what the customer gives: the payee's account, card, phone, ID number or name (at least one). "
    "Every hit is listed with its list, reason and risk level.",
    "lc_account": "Account",
    "lc_card": "Card",
    "lc_phone": "Phone",
    "lc_id_number": "ID number",
    "lc_name": "Name",
    "lc_check_submit": "Check",
    "lc_complaint": "File a complaint for the customer",
    "lc_outcome": "Outcome",
    "lc_outcome_pass": "No risk list entry matched",
    "lc_outcome_warn": "Warning: confirm the payee with the customer",
    "lc_outcome_block": "High risk: advise the customer not to pay",
    "lc_outcome_unavailable": "The lists are unavailable: try again shortly, and do not treat this as a pass",
    "lc_risk_level": "Risk level",
    "lc_level_low": "low",
    "lc_level_medium": "medium",
    "lc_level_high": "high",
    "lc_level_critical": "critical",
    "lc_level_default": "the list's default",
    "lc_hits": "Hits",
    "lc_no_hits": "No list entry matched.",
    "lc_list": "List",
    "lc_field": "Field",
    "lc_match": "Match",
    "lc_match_exact": "exact",
    "lc_match_name": "name",
    "lc_reason": "Reason",
    "lc_source": "Source",
    "lc_evidence_ref": "Evidence reference",
    "lc_listed_at": "Listed",
    "lc_expires_at": "Expires",
    "lc_entry": "Entry",
    "lc_check_id": "Check id",
    "lc_seq": "List sequence",
    "lc_kind_fraud_account": "fraud account (police)",
    "lc_kind_mule_account": "mule account",
    "lc_kind_dishonest_debtor": "dishonest debtor",
    "lc_kind_sanctions": "sanctions",
    "lc_kind_internal": "the bank's internal list",
    "lc_kind_allow": "allow list (verified)",
    "lc_allow_note": "allow-list entry (a verified payee)",
    "lc_lists_title": "Risk lists",
    "lc_lists_hint": "Every add, edit and delisting is written to the change log and applies to the very next check; "
    "a change that can lower an outcome waits for a second person's approval.",
    "lc_code": "Code",
    "lc_kind": "Kind",
    "lc_owner": "Owner",
    "lc_active": "Active entries",
    "lc_as_of": "As of",
    "lc_stale": "stale",
    "lc_current": "current",
    "lc_search": "Find entries",
    "lc_search_value": "Number",
    "lc_search_submit": "Find",
    "lc_search_results": "Found",
    "lc_search_none": "No entry found.",
    "lc_search_capped": "Only the first {n} are shown.",
    "lc_id_type": "Identifier type",
    "lc_id_value": "Identifier",
    "lc_idt_account": "account",
    "lc_idt_card": "card",
    "lc_idt_phone": "phone",
    "lc_idt_id_number": "ID number",
    "lc_idt_uscc": "unified social credit code",
    "lc_idt_email": "e-mail",
    "lc_idt_device": "device",
    "lc_idt_ip": "IP address",
    "lc_add": "Add an entry",
    "lc_add_submit": "Add to the list",
    "lc_optional": "optional",
    "lc_entries": "Entries",
    "lc_status": "Status",
    "lc_status_active": "active",
    "lc_status_delisted": "delisted",
    "lc_prev": "Previous",
    "lc_next": "Next",
    "lc_edit": "Edit the entry",
    "lc_edit_submit": "Save",
    "lc_delist": "Delist",
    "lc_delist_reason": "Reason for delisting (required)",
    "lc_delist_submit": "Delist",
    "lc_pending": "This change can lower outcomes: it waits for approval (pending change #{id}) by a second person.",
    "lc_saved": "Saved: the next check uses it.",
    "lc_history": "History",
    "lc_op_add": "added",
    "lc_op_modify": "modified",
    "lc_op_delist": "delisted",
    "lc_version": "Version",
    "lc_delisted_at": "Delisted",
    "lc_err_forbidden": "You may not change this list: {detail}",
    "lc_err_list_code": "List: choose a list.",
    "lc_err_id_type": "Identifier type: choose one.",
    "lc_err_id_value": "Identifier: not valid, or not of the chosen type.",
    "lc_err_name": "Name: enter letters; without an identifier a name is required.",
    "lc_err_risk_level": "Risk level must be low, medium, high or critical.",
    "lc_err_reason": "Reason: enter one.",
    "lc_err_source": "Source: at most 500 characters.",
    "lc_err_evidence_ref": "Evidence reference: at most 500 characters.",
    "lc_err_expires_at": "Expires: use YYYY-MM-DD or a date-time with a time zone.",
    "lc_err_key": "The list already has an active entry for this identifier.",
    "lc_err_entry_id": "The entry is delisted and cannot be edited; add it again.",
    "lc_err_payee": "Enter at least one of account, card, phone, ID number or name.",
    "lc_err_account": "Account: not a valid account number.",
    "lc_err_card": "Card: not a valid card number.",
    "lc_err_phone": "Phone: not a valid phone number.",
    "lc_err_id_number": "ID number: not valid.",
    "lc_err_value": "Enter a number or a name to find.",
    "lc_err_other": "Something in the form is not valid; check it and try again.",
}
register({"zh": _ZH, "en": _EN})


def errors_of(lang: str, problems: list[FieldProblem]) -> dict[str, tuple[str, str]]:
    """Field -> (this page's message in ``lang``, the service's own words): every bad field named."""
    t = messages(lang)
    out: dict[str, tuple[str, str]] = {}
    for p in problems:
        field = p.field.split("[")[0].split(".")[0]
        key = f"lc_err_{field}"
        out.setdefault(field if key in t else "other", (t.get(key, t["lc_err_other"]), p.problem))
    return out


def _allowed(request: Request, permission: str) -> tuple[str, Staff | Response]:
    lang = page_lang(request)
    return lang, signed_in(request, permission, lang)


# -- the teller payee check ---------------------------------------------------------------------


def _check_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> Response:
    return render(request, "staff_payee_check.html", lang, staff, status_code=status_code, nav="payee",
                  fields=CHECK_FIELDS, here=f"{staff_root(request)}/payee-check", **context)


@router.get("/payee-check", response_class=HTMLResponse)
def payee_check_page(request: Request) -> Response:
    lang, staff = _allowed(request, "check")
    if isinstance(staff, Response):
        return staff
    return _check_page(request, lang, staff, result=None)


@router.post("/payee-check")
async def payee_check(request: Request) -> Response:
    return await staff_post(request, "check", _payee_check)


def _payee_check(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    values = {name: form_text(form, name)[:500] for name in CHECK_FIELDS}
    given = {name: value or None for name, value in values.items()}
    check_request = CheckRequest(account=given["account"], card=given["card"], phone=given["phone"],
                                 id_number=given["id_number"], name=given["name"])
    try:
        result: CheckResult = platform(request).checker.check(check_request, view="staff", client=staff.actor)
    except InvalidInput as exc:
        return _check_page(request, lang, staff, status_code=422, values=values, errors=errors_of(lang, exc.problems), result=None)
    metrics.observe_check("staff", result.outcome.value)
    return _check_page(request, lang, staff, values=values, result=result)


# -- the lists console --------------------------------------------------------------------------


def _freshness(request: Request) -> dict[str, Any]:
    """Each list's "as of" and staleness, as the robots' freshness job computes them (the platform
    composes both; a process without the robots shows no date rather than failing)."""
    try:
        return {f.list_code: f for f in platform(request).robots.freshness()}
    except AttributeError:
        return {}


def _lists_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> Response:
    p = platform(request)
    fresh = _freshness(request)
    lists = [(lst, p.list_store.count_entries(lst.code, active_only=True), fresh.get(lst.code)) for lst in p.lists.all_lists()]
    context.setdefault("values", {})
    return render(request, "staff_lists.html", lang, staff, status_code=status_code, nav="lists", lists=lists,
                  id_types=ID_TYPES, levels=LEVELS, here=f"{staff_root(request)}/lists", **context)


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request) -> Response:
    lang, staff = _allowed(request, "read")
    if isinstance(staff, Response):
        return staff
    q = request.query_params
    search = {"id_type": q.get("id_type", ""), "value": q.get("value", "")[:500], "name": q.get("q_name", "")[:500]}
    found: list[Entry] | None = None
    if search["value"] or search["name"]:
        try:
            found = _search(request, search)
        except InvalidInput as exc:
            return _lists_page(request, lang, staff, status_code=422, search=search, found=None,
                               search_errors=errors_of(lang, exc.problems))
    return _lists_page(request, lang, staff, search=search, found=found, search_errors={}, pending=q.get("pending", ""))


def _search(request: Request, search: dict[str, str]) -> list[Entry]:
    lists = platform(request).lists
    problems: list[FieldProblem] = []
    found: dict[int, Entry] = {}
    if search["value"]:
        if search["id_type"] not in ID_TYPES:
            problems.append(FieldProblem("id_type", f"choose one of {', '.join(ID_TYPES)}"))
        else:
            try:
                found.update((e.id, e) for e in lists.find_by_identifier(search["id_type"], search["value"]))
            except InvalidInput as exc:
                problems.extend(FieldProblem("id_value", p.problem) for p in exc.problems)
    if search["name"]:
        try:
            found.update((e.id, e) for e in lists.find_by_name(search["name"], SEARCH_LIMIT))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput("; ".join(p.problem for p in problems), problems=problems)
    return [found[k] for k in sorted(found)][:SEARCH_LIMIT]


def entry_form_problems(values: dict[str, str]) -> list[FieldProblem]:
    """Every bad field of the add form at once (the record parser stops at the first)."""
    problems: list[FieldProblem] = []
    if not values["list_code"]:
        problems.append(FieldProblem("list_code", "choose a list"))
    if values["id_value"] and values["id_type"] not in ID_TYPES:
        problems.append(FieldProblem("id_type", f"choose one of {', '.join(ID_TYPES)}"))
    if not values["id_value"] and not values["name"]:
        problems.append(FieldProblem("id_value", "give an identifier or a name"))
    if values["risk_level"] and values["risk_level"] not in LEVELS:
        problems.append(FieldProblem("risk_level", "must be low, medium, high or critical"))
    if not values["reason"]:
        problems.append(FieldProblem("reason", "say why the entry is listed"))
    for name in ("source", "evidence_ref"):
        if len(values[name]) > 500:
            problems.append(FieldProblem(name, "at most 500 characters"))
    if values["expires_at"]:
        try:
            _expiry(values["expires_at"])
        except InvalidInput as exc:
            problems.extend(exc.problems)
    return problems


def _expiry(raw: str) -> datetime | None:
    if not raw:
        return None
    text = raw.strip()
    if len(text) == 10:
        text += "T00:00:00+08:00"  # a date is midnight in China
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput.for_field("expires_at", "use YYYY-MM-DD or an ISO 8601 date-time with a time zone") from None
    if value.tzinfo is None:
        raise InvalidInput.for_field("expires_at", "must carry a time zone")
    return value


@router.post("/lists/entries")
async def add_entry(request: Request) -> Response:
    return await staff_post(request, "write", _add_entry)


def _add_entry(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    values = {name: form_text(form, name) for name in ENTRY_FIELDS}
    p = platform(request)

    def again(problems: list[FieldProblem], status: int = 422, **extra: Any) -> Response:
        return _lists_page(request, lang, staff, status_code=status, values=values, errors=errors_of(lang, problems),
                           search={}, found=None, search_errors={}, **extra)

    problems = entry_form_problems(values)
    record: dict[str, Any] = {k: values[k] for k in ("name", "risk_level", "reason", "source", "evidence_ref") if values[k]}
    if values["id_value"] and values["id_type"] in ID_TYPES:
        record["id_type"], record["id_value"] = values["id_type"], values["id_value"]
    if not problems:
        try:
            draft = draft_from_record(record)
            expires = _expiry(values["expires_at"])
            if expires is not None:
                draft = replace(draft, expires_at=expires)
        except InvalidInput as exc:
            problems = list(exc.problems)
    if problems:
        return again(problems)
    try:
        done = p.list_authority.add_entry(values["list_code"], draft, staff.key)
    except NotFound:
        return again([FieldProblem("list_code", f"no list {values['list_code'][:40]!r}")])
    except Forbidden as exc:
        return again([], 403, forbidden=str(exc))
    except InvalidInput as exc:
        return again(list(exc.problems))
    return _after_change(request, lang, done)


def _after_change(request: Request, lang: str, done: Entry | PendingChange) -> Response:
    base = staff_root(request)
    if isinstance(done, PendingChange):
        return RedirectResponse(f"{base}/lists?lang={lang}&pending={done.id}", status_code=303, headers=NO_STORE)
    return RedirectResponse(f"{base}/lists/entries/{done.id}?lang={lang}&saved=1", status_code=303, headers=NO_STORE)


@router.get("/lists/{code}", response_class=HTMLResponse)
def list_page(request: Request, code: str) -> Response:
    lang, staff = _allowed(request, "read")
    if isinstance(staff, Response):
        return staff
    t = messages(lang)
    p = platform(request)
    raw_offset = request.query_params.get("offset", "0")
    offset = int(raw_offset) if raw_offset.isdigit() and len(raw_offset) < 12 else 0
    active_only = request.query_params.get("all") != "1"
    try:
        lst = p.lists.get_list(code[:64])
        entries = p.lists.list_entries(lst.code, active_only=active_only, limit=PAGE + 1, offset=offset)
    except (NotFound, InvalidInput):
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_list']} {code[:64]}")
    fresh = _freshness(request).get(lst.code)
    return render(request, "staff_list.html", lang, staff, nav="lists", lst=lst, entries=entries[:PAGE],
                  more=len(entries) > PAGE, offset=offset, page=PAGE, fresh=fresh, active_only=active_only,
                  total=p.list_store.count_entries(lst.code, active_only=True))


def _entry_page(request: Request, lang: str, staff: Staff, entry_id: int, *, status_code: int = 200, **context: Any) -> Response:
    t = messages(lang)
    p = platform(request)
    try:
        entry = p.lists.get_entry(entry_id)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_entry']} #{entry_id}")
    lst = p.lists.get_list(entry.list_code)
    history = p.list_store.changes_of_entry(entry.id, 20)
    context.setdefault("values", {
        "risk_level": entry.draft.risk_level.label if entry.draft.risk_level else "",
        "reason": entry.draft.reason, "source": entry.draft.source, "evidence_ref": entry.draft.evidence_ref,
        "expires_at": entry.draft.expires_at.isoformat() if entry.draft.expires_at else "",
    })
    return render(request, "staff_entry.html", lang, staff, status_code=status_code, nav="lists", entry=entry, lst=lst,
                  levels=LEVELS, history=history, here=f"{staff_root(request)}/lists/entries/{entry.id}",
                  saved=request.query_params.get("saved") == "1" and status_code == 200, **context)


def _entry_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@router.get("/lists/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, entry_id: str) -> Response:
    lang, staff = _allowed(request, "read")
    if isinstance(staff, Response):
        return staff
    found = _entry_id(entry_id)
    if found is None:
        t = messages(lang)
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_entry']} {entry_id[:20]}")
    return _entry_page(request, lang, staff, found)


@router.post("/lists/entries/{entry_id}/edit")
async def edit_entry(request: Request, entry_id: str) -> Response:
    return await staff_post(request, "write", _edit_entry, entry_id)


def _edit_entry(request: Request, lang: str, staff: Staff, form: FormData, raw_id: str) -> Response:
    t = messages(lang)
    entry_id = _entry_id(raw_id)
    if entry_id is None:
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_entry']} {raw_id[:20]}")
    values = {name: form_text(form, name) for name in EDIT_FIELDS}
    problems: list[FieldProblem] = []
    changes: dict[str, Any] = {"reason": values["reason"], "source": values["source"], "evidence_ref": values["evidence_ref"]}
    if values["risk_level"] and values["risk_level"] not in LEVELS:
        problems.append(FieldProblem("risk_level", "must be low, medium, high or critical"))
    else:
        changes["risk_level"] = values["risk_level"] or None
    if not values["reason"]:
        problems.append(FieldProblem("reason", "say why the entry is listed"))
    for name in ("source", "evidence_ref"):
        if len(values[name]) > 500:
            problems.append(FieldProblem(name, "at most 500 characters"))
    try:
        changes["expires_at"] = _expiry(values["expires_at"])
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        return _entry_page(request, lang, staff, entry_id, status_code=422, values=values, errors=errors_of(lang, problems))
    try:
        done = platform(request).list_authority.modify_entry(entry_id, changes, staff.key)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_entry']} #{entry_id}")
    except Forbidden as exc:
        return _entry_page(request, lang, staff, entry_id, status_code=403, values=values, forbidden=str(exc))
    except InvalidInput as exc:
        return _entry_page(request, lang, staff, entry_id, status_code=422, values=values, errors=errors_of(lang, exc.problems))
    return _after_change(request, lang, done)


@router.post("/lists/entries/{entry_id}/delist")
async def delist_entry(request: Request, entry_id: str) -> Response:
    return await staff_post(request, "write", _delist_entry, entry_id)


def _delist_entry(request: Request, lang: str, staff: Staff, form: FormData, raw_id: str) -> Response:
    t = messages(lang)
    entry_id = _entry_id(raw_id)
    if entry_id is None:
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_entry']} {raw_id[:20]}")
    reason = form_text(form, "delist_reason")[:2000]
    try:
        if not reason:
            raise InvalidInput.for_field("delist_reason", "a delisting needs a reason")
        done = platform(request).list_authority.delist(entry_id, reason, staff.key)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], f"{t['lc_entry']} #{entry_id}")
    except Forbidden as exc:
        return _entry_page(request, lang, staff, entry_id, status_code=403, forbidden=str(exc))
    except InvalidInput as exc:
        problems = [FieldProblem("delist_reason", p.problem) for p in exc.problems]
        errors = {"delist_reason": (t["lc_err_reason"], problems[0].problem)} if problems else {}
        return _entry_page(request, lang, staff, entry_id, status_code=422, errors=errors)
    return _after_change(request, lang, done)
