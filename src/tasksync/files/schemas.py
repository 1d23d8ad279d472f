from datetime import datetime
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
