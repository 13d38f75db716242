"""Checks of what people type or draw, before it is stored: names and numbers, signature images."""

from __future__ import annotations

import io

from PIL import Image

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


def short_text(value: str, where: str, limit: int = 100) -> str:
    """A one-line identifier or name typed by an admin: trimmed, not empty, no line breaks, not overlong."""
    text = value.strip()
    if not text or len(text) > limit or any(c in text for c in "\r\n"):
        raise AppError(ErrorCode.INVALID, _("须为一行文字（1–{limit} 个字符）").format(limit=limit), where=where)
    return text


def require_png(png: bytes) -> None:
    """A handwritten signature must be a complete PNG (a truncated image would break the PDFs later)."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise ValueError(image.format)
            image.load()  # decodes fully
    except (OSError, ValueError, SyntaxError):
        raise AppError(ErrorCode.INVALID, _("签名必须是完整的 PNG 图像")) from None
