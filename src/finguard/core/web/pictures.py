"""Pictures shown on a staff page for one response only (never stored or logged)."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageOps

THUMB = 320


def thumbnail(data: bytes, size: int = THUMB) -> str:
    """A small JPEG ``data:`` URI of a picture (EXIF orientation applied), for this response only:
    the identity check's and the loan signing's two pictures side by side."""
    with Image.open(io.BytesIO(data)) as raw:
        raw.draft("RGB", (size, size))
        img = ImageOps.exif_transpose(raw).convert("RGB")
    img.thumbnail((size, size))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
