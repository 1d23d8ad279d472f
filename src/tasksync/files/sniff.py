"""A file's type from its first bytes (magic numbers), never from its name or the client's
header; and how each type may be served.

Only the inert raster images of `INLINE` are ever shown in a page; everything else, SVG,
HTML, XML and PDF first of all, is served as a download.
"""

import re

HEAD_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
INLINE = frozenset({PNG, JPEG, GIF, WEBP})

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
)
# Markup a browser would run, looked for near the start of a text (after a BOM, blanks and
# comments), as browsers sniff.
_MARKUP = re.compile(
    rb"^(?:\xef\xbb\xbf)?(?:\s|<!--.*?-->)*<(?P<tag>!doctype\s+html|html|head|body|script|svg"
    rb"|iframe|\?xml|[a-z]+)",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAGS = (b"!doctype", b"html", b"head", b"body", b"script", b"iframe")


def detect(head: bytes) -> str:
    """The content type of a file that begins with `head` (its first `HEAD_BYTES`)."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if not _is_text(head):
        return OCTET_STREAM
    markup = _MARKUP.match(head)
    if markup is None:
        return "text/plain"
    tag = markup.group("tag").lower()
    if tag.startswith(_HTML_TAGS):
        return "text/html"
    if tag == b"svg" or (tag == b"?xml" and b"<svg" in head.lower()):
        return "image/svg+xml"
    if tag == b"?xml":
        return "application/xml"
    return "text/html" if b"<script" in head.lower() else "text/plain"


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters (a multi-byte character cut at the end is fine)."""
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)


def served_inline(content_type: str) -> bool:
    return content_type in INLINE
