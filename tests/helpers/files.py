"""Builders for attachments, going through the public API like a person would."""

from typing import Any

import httpx

from tests.helpers.builders import Person

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f5d0a40000000049454e44ae426082"
)


async def upload(
    client: httpx.AsyncClient,
    person: Person,
    task_id: str,
    content: bytes = b"hello, file\n",
    name: str = "notes.txt",
    *,
    content_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tasks/{task_id}/files",
        files={"file": (name, content, content_type)},
        headers={**person.headers, **(headers or {})},
    )


async def uploaded(
    client: httpx.AsyncClient,
    person: Person,
    task_id: str,
    content: bytes = b"hello, file\n",
    name: str = "notes.txt",
    **options: Any,
) -> dict[str, Any]:
    """A new attachment of the task by `person`: the JSON reply."""
    response = await upload(client, person, task_id, content, name, **options)
    assert response.status_code == 201, response.text
    return response.json()


def raw_multipart(filename: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body with the file name's bytes exactly as given (httpx, like browsers,
    percent-encodes quotes and line breaks): the body and its content type."""
    boundary = "tasksync-test-boundary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\n'
        + b"Content-Type: text/plain\r\n\r\n"
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"
