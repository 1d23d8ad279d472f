"""File names: kept as metadata only, cleaned so that nothing hostile reaches a header, a
log or a path, and written in headers the RFC 6266 way (`filename*=UTF-8''...`)."""

import unicodedata
from urllib.parse import quote

MAX_NAME_BYTES = 255
FALLBACK = "file"
# Path separators, quotes, `;` and what a header or a shell makes something of.
_REPLACED = set("/\\\"';:<>|*?") | {"\x7f"}


def clean_name(raw: str | None) -> str:
    """A displayable name: no control characters (CR, LF, NUL...), separators, quotes or
    `;`, no `..`, no leading dots, at most 255 bytes of UTF-8."""
    text = unicodedata.normalize("NFC", raw or "")
    # A browser may send a whole Windows path: keep its last part.
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        "_" if c in _REPLACED else c
        for c in text
        if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs")
    )
    while ".." in kept:
        kept = kept.replace("..", ".")
    kept = kept.strip(" .")
    stem, dot, extension = kept.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = kept, ""
    suffix = f".{extension}" if extension else ""
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    kept = f"{stem}{suffix}".strip(" .")
    return kept or FALLBACK


def content_disposition(kind: str, name: str) -> str:
    """`attachment` or `inline`, with an ASCII fallback and the exact name, percent-encoded."""
    ascii_name = name.encode("ascii", errors="ignore").decode() or FALLBACK
    ascii_name = "".join(c if c.isalnum() or c in "-_. ()" else "_" for c in ascii_name)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
