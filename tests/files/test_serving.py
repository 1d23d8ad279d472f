"""Downloads: `ETag` and `If-None-Match`, byte ranges, and signed links (expiry,
tampering, a deleted file, a caller removed from the room)."""

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest

from tasksync.common.clock import utcnow
from tasksync.files.runtime import FilesRuntime
from tests.helpers.builders import assert_problem
from tests.helpers.files import uploaded
from tests.helpers.rooms import RoleRoom

CONTENT = bytes(range(256)) * 4  # 1024 bytes, each position telling its offset


@pytest.fixture
async def stored(client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]) -> dict[str, Any]:
    return await uploaded(client, room.member, task["id"], CONTENT, "data.bin")


def _content(file: dict[str, Any]) -> str:
    return f"/api/v1/files/{file['id']}/content"


class TestConditionalRequests:
    async def test_the_etag_is_the_digest_and_a_match_is_304_without_a_body(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        first = await client.get(_content(stored), headers=room.member.headers)
        etag = first.headers["etag"]
        assert etag == f'"{stored["sha256"]}"'
        again = await client.get(
            _content(stored), headers={**room.member.headers, "If-None-Match": etag}
        )
        assert again.status_code == 304
        assert again.content == b""
        other = await client.get(
            _content(stored), headers={**room.member.headers, "If-None-Match": '"other"'}
        )
        assert other.status_code == 200


class TestRanges:
    async def test_a_range_is_206_with_those_bytes(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        for header, first, last in [
            ("bytes=0-9", 0, 9), ("bytes=1000-", 1000, 1023), ("bytes=-24", 1000, 1023),
            ("bytes=500-5000", 500, 1023), ("bytes=300-300", 300, 300),
        ]:  # fmt: skip
            response = await client.get(
                _content(stored), headers={**room.viewer.headers, "Range": header}
            )
            assert response.status_code == 206, header
            assert response.content == CONTENT[first : last + 1], header
            assert response.headers["content-range"] == f"bytes {first}-{last}/1024"
            assert response.headers["content-length"] == str(last - first + 1)

    async def test_a_range_outside_the_file_is_416(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        for header in ["bytes=1024-", "bytes=2000-3000", "bytes=-0"]:
            response = await client.get(
                _content(stored), headers={**room.viewer.headers, "Range": header}
            )
            assert response.status_code == 416, header
            assert response.headers["content-range"] == "bytes */1024"

    async def test_a_range_it_does_not_serve_gets_the_whole_file(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        for header in ["bytes=0-1,5-6", "lines=1-2", "bytes=x-y"]:
            response = await client.get(
                _content(stored), headers={**room.viewer.headers, "Range": header}
            )
            assert response.status_code == 200, header
            assert response.content == CONTENT, header

    async def test_if_range_with_a_stale_etag_gets_the_whole_file(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        response = await client.get(
            _content(stored),
            headers={**room.viewer.headers, "Range": "bytes=0-9", "If-Range": '"stale"'},
        )
        assert response.status_code == 200
        assert response.content == CONTENT


async def _link(client: httpx.AsyncClient, person: Any, file: dict[str, Any]) -> str:
    response = await client.post(f"/api/v1/files/{file['id']}/link", headers=person.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


class TestSignedLinks:
    async def test_a_link_downloads_without_a_header_for_five_minutes(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        response = await client.post(
            f"/api/v1/files/{stored['id']}/link", headers=room.viewer.headers
        )
        body = response.json()
        expires = int(parse_qs(urlsplit(body["url"]).query)["expires"][0])
        assert 290 <= expires - time.time() <= 301
        downloaded = await client.get(body["url"])
        assert downloaded.status_code == 200
        assert downloaded.content == CONTENT

    async def test_an_expired_link_is_refused(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        stored: dict[str, Any],
        runtime: FilesRuntime,
    ) -> None:
        past = int(time.time()) - 1
        # Signed by the service's own key, with its time up.
        signature = runtime.signer.signature(UUID(stored["id"]), past, UUID(room.member.id))
        expired = f"{_content(stored)}?expires={past}&user={room.member.id}&signature={signature}"
        assert_problem(await client.get(expired), 404)
        fresh = runtime.signer.query(
            UUID(stored["id"]), UUID(room.member.id), utcnow() + timedelta(seconds=60)
        )
        assert (await client.get(f"{_content(stored)}?{fresh}")).status_code == 200

    async def test_a_tampered_link_is_refused(
        self,
        client: httpx.AsyncClient,
        room: RoleRoom,
        task: dict[str, Any],
        stored: dict[str, Any],
    ) -> None:
        url = await _link(client, room.member, stored)
        path, _, query = url.partition("?")
        genuine = {k: v[0] for k, v in parse_qs(query).items()}
        signature = genuine["signature"]
        last = "1" if signature[-1] == "0" else "0"
        other = await uploaded(client, room.member, task["id"], b"other", "other.txt")
        forgeries = {
            "expires": (path, {"expires": str(int(genuine["expires"]) + 3600)}),
            "user": (path, {"user": room.owner.id}),
            "non-ascii": (path, {"signature": "\u00e9" * 64}),
            "signature": (path, {"signature": signature[:-1] + last}),
            "file": (_content(other), {}),
        }
        for part, (target, changed) in forgeries.items():
            values = genuine | changed
            forged = target + "?" + "&".join(f"{k}={v}" for k, v in values.items())
            response = await client.get(forged)
            assert response.status_code == 404, part
            assert_problem(response, 404)

    async def test_a_link_stops_working_when_the_file_is_deleted(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        url = await _link(client, room.viewer, stored)
        await client.delete(f"/api/v1/files/{stored['id']}", headers=room.member.headers)
        assert_problem(await client.get(url), 404)

    async def test_a_link_stops_working_when_its_holder_leaves_the_room(
        self, client: httpx.AsyncClient, room: RoleRoom, stored: dict[str, Any]
    ) -> None:
        url = await _link(client, room.viewer, stored)
        assert (await client.get(url)).status_code == 200
        removed = await client.delete(
            f"/api/v1/rooms/{room.id}/members/{room.viewer.id}", headers=room.owner.headers
        )
        assert removed.status_code == 204, removed.text
        assert_problem(await client.get(url), 404)

    async def test_a_link_without_a_signature_or_token_is_refused(
        self, client: httpx.AsyncClient, stored: dict[str, Any]
    ) -> None:
        assert_problem(await client.get(_content(stored)), 401)
        assert_problem(await client.get(f"{_content(stored)}?expires=1"), 404)
