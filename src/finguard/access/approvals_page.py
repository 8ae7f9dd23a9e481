"""The staff page of pending changes (maker-checker): read by every role, decided by a second person."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from finguard.access.pages import (
    Staff,
    field_errors,
    form_text,
    message,
    page_lang,
    render,
    signed_in,
    staff_post,
    staff_root,
)
from finguard.core.errors import Conflict, FinguardError, Forbidden, InvalidInput, NotFound
from finguard.core.http_context import platform
from finguard.core.i18n import messages, register_pattern
from finguard.core.web import NO_STORE

router = APIRouter()

# The pending changes' summaries (written in English by the services) in the page's language.
register_pattern(r"change guard rule '(?P<rule>[^']*)'", "approvals_summary_rule_change")
register_pattern(r"disable guard rule '(?P<rule>[^']*)'", "approvals_summary_rule_disable")
register_pattern(r"delist entry (?P<entry>\d+) \((?P<key>'[^']*')\) from the \S+ list (?P<code>'[^']*')", "approvals_summary_delist")
register_pattern(r"add (?P<key>'[^']*') to the \S+ list (?P<code>'[^']*') at (?P<level>\w+)", "approvals_summary_list_add")
register_pattern(r"loosen the security controls of customer (?P<customer>\S+) at once \(at a branch\)",
                 "approvals_summary_controls_at_branch")


@router.get("/approvals", response_class=HTMLResponse)
def approvals_page(request: Request, status: str = "pending") -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    chosen = status if status in ("pending", "approved", "rejected", "failed") else "pending"
    changes = platform(request).approvals.find(chosen, 200)
    return render(request, "staff_approvals.html", lang, staff, nav="approvals", changes=changes, status=chosen)


@router.post("/approvals/{change_id}")
async def decide(request: Request, change_id: int) -> Response:
    return await staff_post(request, "read", _decide, change_id)


def _decide(request: Request, lang: str, staff: Staff, form: FormData, change_id: int) -> Response:
    t = messages(lang)
    approvals = platform(request).approvals
    action, reason = form_text(form, "action"), form_text(form, "reason")
    try:
        if action == "approve":
            approvals.approve(change_id, staff.key, reason)
        elif action == "reject":
            approvals.reject(change_id, staff.key, reason)
        else:
            raise InvalidInput.for_field("action", "must be approve or reject")
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["approvals_not_found"])
    except (Forbidden, Conflict) as exc:
        return message(request, lang, staff, exc.status, t["staff_forbidden_title"], exc.message)
    except InvalidInput as exc:
        changes = approvals.find("pending", 200)
        errors = field_errors(lang, exc.problems)
        context = {"nav": "approvals", "changes": changes, "status": "pending", "errors": errors}
        return render(request, "staff_approvals.html", lang, staff, status_code=422, **context)
    except FinguardError as exc:  # approved, but it could not be applied any more (recorded as failed)
        return message(request, lang, staff, exc.status, t["approvals_failed_title"], exc.message)
    return RedirectResponse(f"{staff_root(request)}/approvals?lang={lang}", status_code=303, headers=NO_STORE)
