"""Images with Pillow: their size, read from the header before anything is decoded, and a
bounded preview made in a worker thread with a time limit.

A file on the inline list must really be that image: one Pillow cannot read as its detected
type (a PNG signature in front of HTML) is stored as `application/octet-stream`.
"""

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from tasksync.files.sniff import GIF, INLINE, JPEG, PNG, WEBP

_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
THUMBNAIL_TYPE = "image/png"


class TooManyPixels(Exception):
    """An image over the pixel limit: never decoded."""


@dataclass(frozen=True, slots=True)
class Dimensions:
    width: int
    height: int


def dimensions(path: Path, content_type: str) -> Dimensions | None:
    """The size of an image of an inline type, from its header; None when the bytes are not
    that image after all."""
    if content_type not in INLINE:
        return None
    try:
        with Image.open(path, formats=[_FORMATS[content_type]]) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return Dimensions(width, height) if width > 0 and height > 0 else None


def _thumbnail(source: bytes, content_type: str, *, box: int, max_pixels: int) -> bytes:
    with Image.open(io.BytesIO(source), formats=[_FORMATS[content_type]]) as image:
        if image.width * image.height > max_pixels:
            raise TooManyPixels(f"{image.width}x{image.height}")
        image.draft("RGB", (box, box))  # JPEG: decode at a reduced scale
        image.thumbnail((box, box))
        preview = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
        out = io.BytesIO()
        preview.save(out, "PNG", optimize=True)
        return out.getvalue()


async def thumbnail(
    source: bytes, content_type: str, *, box: int, max_pixels: int, seconds: float
) -> bytes:
    """A PNG preview that fits in `box` x `box` (never larger than the original)."""
    async with asyncio.timeout(seconds):
        return await asyncio.to_thread(
            _thumbnail, source, content_type, box=box, max_pixels=max_pixels
        )
