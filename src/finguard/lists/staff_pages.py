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
from finguard.core.i18n import messages
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
