"""Evidence attached to a case: which files are accepted, told by their content, not their name.

Pure (no I/O): the type of a file is read from its first bytes (and, for a workbook, from the
names inside its ZIP container), then checked against the name's extension, so a program or a web
page renamed ``statement.pdf`` is refused with what it really is. Accepted: PDF, PNG, JPEG, plain
text, CSV and XLSX (a macro-enabled workbook is not). Nothing here renders a file: downloads are
always sent as attachments.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime

from finguard.core.errors import FieldProblem, InvalidInput, TooLarge

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 255

# extension -> (media type, what it is called in an error)
ACCEPTED = {
    ".pdf": ("application/pdf", "PDF"),
    ".png": ("image/png", "PNG"),
    ".jpg": ("image/jpeg", "JPEG"),
    ".jpeg": ("image/jpeg", "JPEG"),
    ".txt": ("text/plain", "plain text"),
    ".csv": ("text/csv", "CSV"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
}
ACCEPTED_TEXT = "PDF, PNG, JPEG, plain text (.txt), CSV (.csv) or XLSX (.xlsx)"
_TEXT_CONTROLS = {"\t", "\n", "\r", "\f"}
_MARKUP = ("<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe", "<object", "<meta")


@dataclass(frozen=True, slots=True)
class Attachment:
    """One stored file of a case: its name as uploaded, its checked type, size and SHA-256."""

    id: int
    case_id: int
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class Upload:
    """A file that passed every check, ready to store."""

    name: str
    media_type: str
    size: int
    sha256: str
    content: bytes


def clean_name(raw: str) -> str:
    """The file's own name: no folders, no control characters, at most 255 characters."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:MAX_NAME]
    return base


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "a damaged ZIP archive"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        if "xl/vbaProject.bin" in names:
            return "a macro-enabled Excel workbook"
        return "xlsx"
    if "word/document.xml" in names:
        return "a Word document"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    return "a ZIP archive"


def _text_kind(data: bytes) -> str:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    for encoding in ("utf-8", "gb18030"):
        try:
            text = body.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return "an unrecognised binary file"
    if any(unicodedata.category(c) == "Cc" and c not in _TEXT_CONTROLS for c in text[:65536]):
        return "an unrecognised binary file"
    head = text[:1024].lstrip().lower()
    if head.startswith(_MARKUP) or any(m in head for m in ("<script", "<html", "<svg")):
        return "an HTML, SVG or XML document"
    return "text"


def sniff(data: bytes) -> str:
    """What the bytes are: ``pdf``, ``png``, ``jpeg``, ``xlsx``, ``text``, or a phrase naming a
    refused type ("a Windows program", "an HTML, SVG or XML document", ...)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(b"MZ"):
        return "a Windows program"
    if data.startswith(b"\x7fELF"):
        return "a Linux program"
    if data.startswith((b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return "a macOS program"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF picture"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP picture"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Office document (.doc / .xls)"
    if data.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return "a compressed archive"
    if data.startswith(b"{\\rtf"):
        return "an RTF document"
    return _text_kind(data)


_KIND_OF = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".txt": "text", ".csv": "text", ".xlsx": "xlsx"}
_CALLED = {"pdf": "a PDF", "png": "a PNG picture", "jpeg": "a JPEG picture", "xlsx": "an XLSX workbook", "text": "plain text"}


class FileRefused(InvalidInput):
    """A refused file (422), naming the part ``file``; ``refusal`` = (reason, detail) lets a page
    say why in its own language."""

    def __init__(self, problem: str, reason: str, **detail: str | int) -> None:
        super().__init__(f"file: {problem}", problems=[FieldProblem("file", problem)])
        self.refusal: tuple[str, dict[str, str | int]] = (reason, detail)


class FileTooLarge(FileRefused, TooLarge):
    """A file past the size limit (413)."""


def _refused(problem: str, reason: str, **detail: str | int) -> FileRefused:
    return FileRefused(problem, reason, **detail)


def check_upload(raw_name: str, data: bytes, limit: int = DEFAULT_MAX_BYTES) -> Upload:
    """The upload if it may be stored; otherwise ``InvalidInput`` naming ``file`` and saying what
    the file is (``FileTooLarge``, HTTP 413, past ``limit`` bytes). The error's ``refusal`` holds
    (reason, detail): ``too_large`` (limit), ``empty``, ``no_name``, ``type`` (ext, what),
    ``content`` (ext, what: a refused kind), ``mismatch`` (ext, what: an accepted kind)."""
    if len(data) > limit:
        raise FileTooLarge(f"is larger than {limit} bytes", "too_large", limit=limit)
    if not data:
        raise _refused("is empty", "empty")
    name = clean_name(raw_name)
    if not name:
        raise _refused("has no file name", "no_name")
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    kind = sniff(data)
    if ext not in ACCEPTED:
        what = _CALLED.get(kind, kind)
        raise _refused(f"type {ext or 'without an extension'} is not accepted (its content is {what}); accepted: {ACCEPTED_TEXT}",
                       "type", ext=ext, what=what)
    if kind not in _CALLED:
        raise _refused(f"is {kind}, named {ext}; accepted: {ACCEPTED_TEXT}", "content", ext=ext, what=kind)
    if _KIND_OF[ext] != kind:
        raise _refused(f"is {_CALLED[kind]} but named {ext}; the content and the name must agree", "mismatch", ext=ext,
                       what=_CALLED[kind])
    return Upload(name, ACCEPTED[ext][0], len(data), hashlib.sha256(data).hexdigest(), data)

