from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class FileRead(BaseModel):
    id: UUID
    task_id: UUID
    room_id: UUID
    # The name it was uploaded with, cleaned; metadata only.
    name: str
    size: int
    # Detected from the bytes, never taken from the client.
    content_type: str
    sha256: str
    uploaded_by: UUID | None
    created_at: datetime
    # Images only.
    width: int | None = None
    height: int | None = None


class LinkRead(BaseModel):
    # A path on this server: valid until `expires_at`, for this file and this caller only.
    url: str
    expires_at: datetime


def _binary(description: str, media_type: str = "*/*") -> dict[str, Any]:
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
    }


# What a download answers besides problems (the kit documents those).
CONTENT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: _binary("The file, as the type detected when it was uploaded."),
    206: _binary("The part asked for with `Range`, with `Content-Range`."),
    304: {"description": "Not modified: `If-None-Match` holds the file's `ETag`."},
    416: {"description": "The `Range` lies outside the file (`Content-Range: bytes */size`)."},
}
THUMBNAIL_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: _binary("A PNG preview.", "image/png"),
    304: CONTENT_ANSWERS[304],
}

# The request body of an upload, for the OpenAPI document (the route reads it as a stream).
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file; its type is detected from its bytes.",
                        }
                    },
                }
            }
        },
    }
}
