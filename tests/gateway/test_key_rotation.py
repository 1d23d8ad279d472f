"""Rotating the signing key signs nobody out, and every verifier learns the new key."""

from typing import Any

import httpx
import jwt

from tasksync import stack
from tasksync.users import commands
from tests.helpers.builders import login, signed_up


async def test_tokens_from_before_and_after_a_rotation_both_work(
    client: httpx.AsyncClient, settings: dict[str, Any]
) -> None:
    ann = await signed_up(client, "ann")
    assert (await client.get("/api/v1/users/me", headers=ann.headers)).status_code == 200

    new_kid = await commands.rotate_key(stack.settings_for("users", **settings))
    fresh = await login(client, "ann")

    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
    assert jwt.get_unverified_header(ann.access_token)["kid"] != new_kid
    for token in (ann.access_token, fresh["access_token"]):
        response = await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
    published = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert new_kid in published
    assert len(published) == 2
