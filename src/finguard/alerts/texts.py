"""The case pages' strings: ``cases_*`` (staff pages) and ``complaint_*`` (the public complaint
form) in the gettext catalogues (core/locale, see docs/i18n.md)."""

from __future__ import annotations

from finguard.core.i18n import section

# Evidence, age filter, XLSX export, bulk close and the supervisor dashboard.

# Why a file was refused, in Chinese (the English is the error's own message).
_REFUSAL_ZH = {
    "too_large": "文件超过 {mb} MB 的上限，未保存。",
    "empty": "文件是空的。",
    "no_name": "文件没有文件名。",
    "type": "不接受 {ext} 类型的文件（其内容为{what}）。接受：PDF、PNG、JPEG、纯文本（.txt）、CSV（.csv）、XLSX（.xlsx）。",
    "content": "文件内容是{what}，却以 {ext} 命名，未保存。接受：PDF、PNG、JPEG、纯文本、CSV、XLSX。",
    "mismatch": "文件内容是{what}，与扩展名 {ext} 不符，未保存。",
}
_WHAT_ZH = {
    "a PDF": "PDF 文档", "a PNG picture": "PNG 图片", "a JPEG picture": "JPEG 图片", "an XLSX workbook": "XLSX 工作簿",
    "plain text": "纯文本", "a Windows program": "Windows 可执行程序", "a Linux program": "Linux 可执行程序",
    "a macOS program": "macOS 可执行程序", "a GIF picture": "GIF 图片", "a WebP picture": "WebP 图片",
    "an old Office document (.doc / .xls)": "旧版 Office 文档（.doc / .xls）", "a compressed archive": "压缩包",
    "an RTF document": "RTF 文档", "an HTML, SVG or XML document": "HTML、SVG 或 XML 文档",
    "an unrecognised binary file": "无法识别的二进制文件", "a damaged ZIP archive": "损坏的 ZIP 压缩包",
    "a macro-enabled Excel workbook": "含宏的 Excel 工作簿", "a Word document": "Word 文档",
    "a PowerPoint presentation": "PowerPoint 演示文稿", "a ZIP archive": "ZIP 压缩包",
}


def refusal_text(lang: str, exc: Exception, limit: int) -> str:
    """Why an evidence file was refused, in the page's language."""
    default: tuple[str, dict[str, str | int]] = ("too_large", {}) if getattr(exc, "status", 0) == 413 else ("", {})
    reason, detail = getattr(exc, "refusal", default)
    if lang != "zh" or reason not in _REFUSAL_ZH:
        return str(getattr(exc, "message", exc))
    what = str(detail.get("what", ""))
    return _REFUSAL_ZH[reason].format(mb=f"{limit / 1024 / 1024:g}", ext=detail.get("ext") or "无扩展名",
                                      what=_WHAT_ZH.get(what, what))


def cases_text(lang: str) -> dict[str, str]:
    return section(lang, "cases_")


def complaint_text(lang: str) -> dict[str, str]:
    return section(lang, "complaint_")
