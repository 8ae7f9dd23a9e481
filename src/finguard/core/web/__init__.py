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

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, swagger_ui_default_parameters
from fastapi.responses import HTMLResponse, Response
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


# Swagger UI, shipped in the package (static/vendor/swagger-ui, see static/vendor/PROVENANCE.md): a
# bank intranet has no CDN, so ``/docs`` loads nothing from outside the server.
SWAGGER_DIR = STATIC_DIR / "vendor" / "swagger-ui"
SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
}


@cache
def _swagger(name: str) -> tuple[bytes, str]:
    data = (SWAGGER_DIR / name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:10]


@router.get("/static/vendor/swagger-ui/{name}", include_in_schema=False)
def swagger_asset(name: str) -> Response:
    if name not in SWAGGER_FILES:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        _swagger(name)[0],
        media_type=SWAGGER_FILES[name],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/docs", include_in_schema=False)
def api_docs(request: Request) -> HTMLResponse:
    """The API reference (Swagger UI) from the package's own copy of its assets."""
    root = request.scope.get("root_path", "").rstrip("/")
    base = f"{root}/static/vendor/swagger-ui"
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="finguard API",
        swagger_js_url=f"{base}/swagger-ui-bundle.js?v={_swagger('swagger-ui-bundle.js')[1]}",
        swagger_css_url=f"{base}/swagger-ui.css?v={_swagger('swagger-ui.css')[1]}",
        swagger_favicon_url=f"{base}/favicon-32x32.png",
        # no online validator badge (validator.swagger.io): nothing leaves the intranet
        swagger_ui_parameters=swagger_ui_default_parameters | {"validatorUrl": None},
    )
