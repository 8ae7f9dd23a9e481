"""The batch due-diligence page (#13): upload a CSV or JSON Lines file of parties
(docs/screening-batch.md), watch the job's progress (the page reloads itself while it runs, no
script), download the report as CSV or XLSX. The job is the screening service's batch run
(``Platform.batch_dd``), in the background."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import Staff, message, page_lang, post_guard, render, signed_in, staff_root
from finguard.core.errors import FinguardError, InvalidInput, NotFound
from finguard.core.http import read_upload
from finguard.core.http_context import platform
from finguard.core.i18n import register
from finguard.core.web import NO_STORE
from finguard.screening.model.diligence import Purpose
from finguard.screening.service.batch import BatchRefused

router = APIRouter()

MAX_UPLOAD = 64 * 1024 * 1024  # as the batch API
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_TEXT = {
    "zh": {
        "title": "批量尽职调查",
        "intro": "上传交易对手名单文件（CSV 或 JSON Lines，列见说明），系统在后台逐行筛查，完成后可下载 CSV 或 XLSX 报告。",
        "file": "名单文件（.csv / .jsonl，最大 64 MB）",
        "purpose": "默认用途",
        "start": "上传并开始筛查",
        "jobs": "最近的批量任务",
        "none": "还没有批量任务。",
        "name": "文件",
        "state": "状态",
        "progress": "进度",
        "by": "提交人",
        "created": "提交时间",
        "result": "结果",
        "state_queued": "排队中",
        "state_running": "筛查中",
        "state_done": "已完成",
        "state_failed": "失败",
        "state_interrupted": "已中断",
        "rows": "{done} / {total} 行",
        "summary": "已筛查 {n} 个对象：命中 {m} 个，疑似命中 {c} 个，未命中 {x} 个；无法处理 {r} 行。",
        "download_csv": "下载 CSV 报告",
        "download_xlsx": "下载 XLSX 报告",
        "refreshing": "页面每 2 秒自动刷新。",
        "error": "文件未被接收：",
        "failed": "任务失败：",
        "interrupted": "任务所在的进程已停止，请重新上传。",
        "not_found": "没有这个批量任务。",
        "why_extension": "文件须为 .csv 或 .jsonl（JSON Lines）。",
        "why_purpose": "请选择用途。",
        "why_encoding": "文件不是 UTF-8 编码的文本，请另存为 UTF-8 后上传。",
        "why_empty": "文件是空的。",
        "why_header": "表头无法识别（须有 name 或 id_value 列，且只用说明中的列）：",
        "why_too_large": "文件超过 64 MB。",
        "back": "返回批量尽职调查",
        "link": "批量尽职调查（上传文件）",
        "purpose_contract": "合同",
        "purpose_merchant": "商户",
        "purpose_supplier": "供应商",
        "purpose_hire": "招聘",
        "purpose_customer": "客户",
    },
    "en": {
        "title": "Batch due diligence",
        "intro": "Upload a file of counterparties (CSV or JSON Lines, columns as documented); it is screened row by row "
                 "in the background, and the report can be downloaded as CSV or XLSX.",
        "file": "File of parties (.csv / .jsonl, up to 64 MB)",
        "purpose": "Default purpose",
        "start": "Upload and screen",
        "jobs": "Recent batch jobs",
        "none": "No batch jobs yet.",
        "name": "File",
        "state": "State",
        "progress": "Progress",
        "by": "By",
        "created": "Submitted",
        "result": "Result",
        "state_queued": "queued",
        "state_running": "screening",
        "state_done": "done",
        "state_failed": "failed",
        "state_interrupted": "interrupted",
        "rows": "{done} / {total} rows",
        "summary": "{n} parties screened: {m} match, {c} close match, {x} no match; {r} rows could not be processed.",
        "download_csv": "Download CSV report",
        "download_xlsx": "Download XLSX report",
        "refreshing": "This page reloads every 2 seconds.",
        "error": "The file was not accepted:",
        "failed": "The job failed:",
        "interrupted": "The process running this job stopped; upload the file again.",
        "not_found": "No such batch job.",
        "back": "Back to batch due diligence",
        "link": "Batch due diligence (upload a file)",
        "purpose_contract": "contract",
        "purpose_merchant": "merchant",
        "purpose_supplier": "supplier",
        "purpose_hire": "hire",
        "purpose_customer": "customer",
    },
}
register({lang: {f"batch_{k}": v for k, v in table.items()} for lang, table in _TEXT.items()})

PURPOSES = [p.value for p in Purpose]


def _why(lang: str, exc: FinguardError) -> str:
    """Why an upload was refused, in the page's language (the English is the error's message)."""
    t = _TEXT[lang]
    if lang != "zh":
        return exc.message
    if isinstance(exc, BatchRefused):
        return t["why_" + exc.reason] + (" " + exc.problems[0].problem if exc.reason == "header" else "")
    if exc.status == 413:
        return t["why_too_large"]
    return exc.message


def _page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, error: str = "") -> Response:
    jobs = platform(request).batch_dd.recent()
    return render(request, "staff_screen_batch.html", lang, staff, status_code=status_code, nav="screen", bt=_TEXT[lang],
                  jobs=jobs, purposes=PURPOSES, error=error)


@router.get("/screen/batch", response_class=HTMLResponse)
def batch_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    return _page(request, lang, staff)


@router.post("/screen/batch")
async def batch_submit(request: Request) -> Response:
    refused: InvalidInput | None = None
    fields: dict[str, str] = {}
    name, data = "", b""
    try:
        name, data, fields = await read_upload(request, MAX_UPLOAD, text_fields=("csrf", "lang", "purpose"))
    except InvalidInput as exc:
        refused = exc

    def run() -> Response:
        if refused is not None:  # nothing changes: the session is enough to show why
            lang = page_lang(request)
            staff = signed_in(request, "check", lang)
            if isinstance(staff, Response):
                return staff
            return _page(request, lang, staff, status_code=refused.status, error=_TEXT[lang]["error"] + " " + _why(lang, refused))
        lang, found = post_guard(request, FormData(list(fields.items())), "check")
        if isinstance(found, Response):
            return found
        try:
            job = platform(request).batch_dd.submit(name, data, fields.get("purpose", "customer"), found.actor)
        except FinguardError as exc:
            code = exc.status if 400 <= exc.status < 500 else 422
            return _page(request, lang, found, status_code=code, error=_TEXT[lang]["error"] + " " + _why(lang, exc))
        return RedirectResponse(f"{staff_root(request)}/screen/batch/{job['id']}?lang={lang}", status_code=303, headers=NO_STORE)

    return await run_in_threadpool(run)


def _job(request: Request, lang: str, staff: Staff, job_id: str) -> dict[str, Any] | Response:
    try:
        return dict(platform(request).batch_dd.status(job_id))
    except NotFound:
        t = _TEXT[lang]
        return message(request, lang, staff, 404, t["title"], t["not_found"])


@router.get("/screen/batch/{job_id}", response_class=HTMLResponse)
def batch_job(request: Request, job_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    job = _job(request, lang, staff, job_id)
    if isinstance(job, Response):
        return job
    return render(request, "staff_screen_batch_job.html", lang, staff, nav="screen", bt=_TEXT[lang], job=job,
                  running=job["state"] in ("queued", "running"))


@router.get("/screen/batch/{job_id}/report.{fmt}")
def batch_report(request: Request, job_id: str, fmt: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    try:
        body = platform(request).batch_dd.report(job_id, fmt)
    except FinguardError as exc:
        return message(request, lang, staff, exc.status if exc.status < 500 else 404, _TEXT[lang]["title"], exc.message)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(body, media_type=media, headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="due-diligence-{job_id}.{fmt}"',
        "X-Content-Type-Options": "nosniff"})
