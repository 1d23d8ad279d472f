"""Hostile uploads: too large, over the room's quota (413, nothing left behind: no row, no
blob, no spool file), a type that lies about itself, hostile file names, images that
would decompress into too many pixels."""

import io
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from tasksync.common.db import Database
from tasksync.files.runtime import FilesRuntime
from tests.files.conftest import blobs, nothing_left_behind, spooled, stored_files
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.files import PNG_1x1, raw_multipart, upload, uploaded
from tests.helpers.rooms import RoleRoom


class TestSizeLimit:
    @pytest.fixture
    def files_settings(self, files_settings: dict[str, Any]) -> dict[str, Any]:
        return {**files_settings, "files_max_bytes": 100_000}

    async def test_a_file_over_the_limit_is_413_and_leaves_nothing_behind(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        response = await upload(client, room.member, task["id"], b"x" * 100_001, "big.bin")
        problem = assert_problem(response, 413)
        assert problem["type"] == "/problems/file-too-large"
        await nothing_left_behind(files_db, runtime)

    async def test_a_file_of_exactly_the_limit_is_taken(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        created = await uploaded(client, room.member, task["id"], b"x" * 100_000, "full.bin")
        assert created["size"] == 100_000

    async def test_the_gateway_refuses_a_body_far_over_the_limit_before_reading_it(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        response = await upload(client, room.member, task["id"], b"x" * 400_000, "huge.bin")
        problem = assert_problem(response, 413)
        assert problem["type"] in ("/problems/payload-too-large", "/problems/file-too-large")
        await nothing_left_behind(files_db, runtime)


class TestRoomQuota:
    @pytest.fixture
    def files_settings(self, files_settings: dict[str, Any]) -> dict[str, Any]:
        return {**files_settings, "files_room_quota_bytes": 1000}

    async def test_an_upload_past_the_quota_is_413_quota_and_leaves_nothing_behind(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        await uploaded(client, room.member, task["id"], b"a" * 600, "a.bin")
        response = await upload(client, room.member, task["id"], b"b" * 401, "b.bin")
        problem = assert_problem(response, 413)
        assert problem["type"] == "/problems/room-quota-exceeded"
        assert await stored_files(files_db) == 1
        assert len(await blobs(runtime)) == 1
        assert spooled(runtime) == []

    async def test_deleting_a_file_gives_its_bytes_back(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        first = await uploaded(client, room.member, task["id"], b"a" * 1000, "a.bin")
        assert_problem(await upload(client, room.member, task["id"], b"b", "b.bin"), 413)
        await client.delete(f"/api/v1/files/{first['id']}", headers=room.member.headers)
        await uploaded(client, room.member, task["id"], b"b" * 1000, "b.bin")


@ONE_BACKEND
class TestBadRequests:
    async def test_a_body_that_is_not_multipart_is_422_and_leaves_nothing(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        files_db: Database,
        runtime: FilesRuntime,
    ) -> None:
        response = await client.post(
            f"/api/v1/tasks/{task['id']}/files",
            content=b"just bytes",
            headers={**room.member.headers, "content-type": "application/octet-stream"},
        )
        assert_problem(response, 422)
        await nothing_left_behind(files_db, runtime)

    async def test_a_form_without_the_file_field_is_422(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        response = await client.post(
            f"/api/v1/tasks/{task['id']}/files",
            files={"attachment": ("a.txt", b"a", "text/plain")},
            headers=room.member.headers,
        )
        assert_problem(response, 422)


def _served(response: httpx.Response) -> tuple[str, str]:
    """The media type (without a charset) and whether it is shown inline or downloaded."""
    media_type = response.headers["content-type"].split(";")[0]
    return media_type, response.headers["content-disposition"].split(";")[0]


# What an upload claims to be, what it is, and what the service must detect.
SPOOFED = [
    (b"<!DOCTYPE html><script>alert(1)</script>", "cat.png", "image/png", "text/html"),
    (b"<html><body onload=alert(1)>", "cat.jpg", "image/jpeg", "text/html"),
    (PNG_1x1[:8] + b"<html><script>alert(1)</script></html>", "x.png", "image/png",
     "application/octet-stream"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "logo.svg", "image/svg+xml", "image/svg+xml"),
    (b"<?xml version='1.0'?><svg><script>alert(1)</script></svg>", "a.gif", "image/gif",
     "image/svg+xml"),
    (b"%PDF-1.7\n...", "doc.png", "image/png", "application/pdf"),
    (b"<?xml version='1.0'?><note/>", "a.txt", "text/plain", "application/xml"),
]  # fmt: skip


class TestTypeSpoofing:
    async def test_the_detected_type_is_stored_and_served_as_a_download(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        for content, name, claimed, detected in SPOOFED:
            created = await uploaded(
                client, room.member, task["id"], content, name, content_type=claimed
            )
            assert created["content_type"] == detected, name
            served = await client.get(
                f"/api/v1/files/{created['id']}/content", headers=room.member.headers
            )
            assert _served(served) == (detected, "attachment"), name
            assert served.headers["x-content-type-options"] == "nosniff"
            assert served.headers["content-security-policy"] == "sandbox; default-src 'none'"

    async def test_a_real_image_with_html_inside_is_an_image_shown_inline_sandboxed(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        polyglot = PNG_1x1 + b"<html><script>alert(1)</script></html>"
        created = await uploaded(client, room.member, task["id"], polyglot, "page.html")
        assert created["content_type"] == "image/png"
        served = await client.get(
            f"/api/v1/files/{created['id']}/content", headers=room.member.headers
        )
        assert _served(served) == ("image/png", "inline")
        assert served.headers["content-security-policy"] == "sandbox; default-src 'none'"

    async def test_an_archive_is_stored_opaque(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        archive = b"PK\x03\x04" + b"\x00" * 100
        created = await uploaded(client, room.member, task["id"], archive, "a.zip")
        assert created["content_type"] == "application/zip"
        served = await client.get(
            f"/api/v1/files/{created['id']}/content", headers=room.member.headers
        )
        assert served.content == archive
        assert _served(served) == ("application/zip", "attachment")


HOSTILE_NAMES = [
    (b'a\\"; filename=evil.html', "a__ filename=evil.html"),
    (b"line%0D%0ASet-Cookie: x=1.txt", "line%0D%0ASet-Cookie_ x=1.txt"),
    (b"nul\x00byte.txt", "nulbyte.txt"),
    (b"tab\tand\x1bescape.txt", "tabandescape.txt"),
    (b"../../etc/passwd", "passwd"),
    (b"..\\..\\windows\\system32.ini", "system32.ini"),
    (b"..", "file"),
    (b"a..b....txt", "a.b.txt"),
    (b"semi;colon.txt", "semi_colon.txt"),
    (("\u00e9" * 200 + ".txt").encode(), "\u00e9" * 125 + ".txt"),
    (b"", "file"),
    ("rtl\u202etxt.exe".encode(), "rtltxt.exe"),
]


class TestHostileNames:
    async def test_a_hostile_name_is_cleaned_and_never_reaches_a_header_or_a_path(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        runtime: FilesRuntime,
    ) -> None:
        for raw, kept in HOSTILE_NAMES:
            body, content_type = raw_multipart(raw, b"data")
            response = await client.post(
                f"/api/v1/tasks/{task['id']}/files",
                content=body,
                headers={**room.member.headers, "content-type": content_type},
            )
            assert response.status_code == 201, (raw, response.text)
            created = response.json()
            assert created["name"] == kept, raw
            assert len(created["name"].encode()) <= 255
            served = await client.get(
                f"/api/v1/files/{created['id']}/content", headers=room.member.headers
            )
            disposition = served.headers["content-disposition"]
            assert disposition.endswith(f"filename*=UTF-8''{quote(kept, safe='')}"), raw
            assert disposition.count('"') == 2, raw
            assert not any(c in disposition for c in "\r\n\x00"), raw
            assert "set-cookie" not in served.headers, raw
        assert all(
            ".." not in key and "/" not in key.split("/", 1)[1] for key in await blobs(runtime)
        )


class TestImages:
    @pytest.fixture
    def files_settings(self, files_settings: dict[str, Any]) -> dict[str, Any]:
        return {**files_settings, "files_max_image_pixels": 10_000}

    async def test_the_thumbnail_is_a_small_png_made_once(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], runtime: FilesRuntime
    ) -> None:
        picture = io.BytesIO()
        Image.new("RGB", (90, 60), "teal").save(picture, "JPEG")
        created = await uploaded(client, room.member, task["id"], picture.getvalue(), "p.jpg")
        assert (created["width"], created["height"]) == (90, 60)
        path = f"/api/v1/files/{created['id']}/thumbnail"
        first = await client.get(path, headers=room.viewer.headers)
        assert first.status_code == 200
        assert first.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(first.content)).size == (90, 60)
        keys = await blobs(runtime)
        again = await client.get(path, headers=room.viewer.headers)
        assert again.content == first.content
        assert len(keys) == 2
        assert await blobs(runtime) == keys

    async def test_an_image_over_the_pixel_limit_is_kept_but_never_decoded(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        bomb = io.BytesIO()
        Image.new("1", (1000, 1000)).save(bomb, "PNG")
        created = await uploaded(client, room.member, task["id"], bomb.getvalue(), "bomb.png")
        assert (created["width"], created["height"]) == (1000, 1000)
        response = await client.get(
            f"/api/v1/files/{created['id']}/thumbnail", headers=room.member.headers
        )
        assert_problem(response, 404)

    async def test_a_file_that_is_not_an_image_has_no_thumbnail(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        created = await uploaded(client, room.member, task["id"])
        response = await client.get(
            f"/api/v1/files/{created['id']}/thumbnail", headers=room.member.headers
        )
        assert_problem(response, 404)
