"""The pages' shared chrome: one Jinja2 environment over every capability's ``templates`` folder,
the security headers, and the stylesheet.

Capabilities keep their templates beside their code (``finguard/<capability>/templates``); the
shared layout (``base.html``, ``staff_base.html``, macros) lives here. The folders are found on
disk, so this module imports no capability.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader

HERE = Path(__file__).parent
PACKAGE = HERE.parents[1]
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
TEMPLATE_DIRS = [TEMPLATES_DIR, *sorted(p for p in PACKAGE.glob("*/templates") if p.is_dir())]

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.loader = FileSystemLoader([str(p) for p in TEMPLATE_DIRS])
templates.env.autoescape = True  # every template, whatever its extension

# The pages need no script (the two graph pages add their own); the policy says so.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = {"Cache-Control": "no-store"}


@cache
def _css() -> tuple[str, str]:
    """The stylesheet and a short content hash used to bust caches."""
    text = (STATIC_DIR / "site.css").read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:10]


router = APIRouter()
@router.get("/static/site.css", include_in_schema=False)
def stylesheet() -> Response:
    return Response(
        _css()[0],
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
