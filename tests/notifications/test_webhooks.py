"""Webhooks (issue 17, first part): the routes and who may use them, the SSRF guard on
create and on PATCH, and signed, retried, logged delivery to a real receiver on 127.0.0.1."""

import time
from datetime import timedelta
from typing import Any

import httpx
import orjson

from tasksync.common import clock
from tasksync.notifications.webhooks import signing
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import cast_of, room_with_roles
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.conftest import told
from tests.notifications.hooks import HookStack, Receiver, add_hook, hooks


async def _count(receiver: Receiver, count: int) -> bool:
    return len(receiver.received) == count


class TestRoutesAndRoles:
    async def test_admins_and_the_owner_manage_webhooks_and_see_the_secret_once(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        assert created["secret"].startswith("whsec_")
        path = f"{hooks(room.id)}/{created['id']}"
        for person in (room.owner, room.admin):
            listed = await stack.client.get(hooks(room.id), headers=person.headers)
            assert [h["id"] for h in listed.json()] == [created["id"]]
            assert "secret" not in listed.json()[0]
            one = await stack.client.get(path, headers=person.headers)
            assert one.status_code == 200
        patched = await stack.client.patch(
            path, json={"events": ["comment.created"]}, headers=room.owner.headers
        )
        assert patched.json()["events"] == ["comment.created"]
        rotated = await stack.client.post(f"{path}/secret", headers=room.owner.headers)
        assert rotated.json()["secret"] != created["secret"]
        assert (await stack.client.delete(path, headers=room.admin.headers)).status_code == 204

    @ONE_BACKEND
    async def test_members_and_viewers_get_403_outsiders_404_and_anonymous_401(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        path = f"{hooks(room.id)}/{created['id']}"
        assert (await stack.client.post(f"{path}/ping", headers=room.admin.headers)).is_success

        async def logged() -> str | None:
            log = await stack.client.get(f"{path}/deliveries", headers=room.admin.headers)
            items = log.json()["items"]
            return items[0]["id"] if items and items[0]["status"] == "succeeded" else None

        delivery = await eventually(logged)
        redeliver = f"{path}/deliveries/{delivery}/redeliver"
        calls = [
            ("POST", hooks(room.id), {"url": receiver.url, "events": ["task.*"]}),
            ("GET", hooks(room.id), None),
            ("GET", path, None),
            ("PATCH", path, {"active": False}),
            ("DELETE", path, None),
            ("POST", f"{path}/secret", None),
            ("GET", f"{path}/deliveries", None),
            ("POST", f"{path}/ping", None),
            ("POST", redeliver, None),
        ]
        for method, url, body in calls:
            for person, status in ((room.member, 403), (room.viewer, 403), (room.outsider, 404)):
                response = await stack.client.request(
                    method, url, json=body, headers=person.headers
                )
                assert_problem(response, status)
            assert_problem(await stack.client.request(method, url, json=body), 401)
        listed = await stack.client.get(hooks(room.id), headers=room.admin.headers)
        assert [(h["id"], h["active"]) for h in listed.json()] == [(created["id"], True)]
        # nothing was sent again: the refused redeliveries left the delivery as it was
        assert len(receiver.received) == 1
        assert (await stack.client.post(redeliver, headers=room.owner.headers)).status_code == 202
        await eventually(lambda: _count(receiver, 2))


# The operator opened 127.0.0.1/32 for the test receiver: everything else inward stays shut.
REFUSED = [
    "http://127.0.0.2/hook",
    "http://0x7f000002/hook",
    "http://0177.0.0.2/hook",
    "http://2130706434/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.1.1/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "http://user:pw@127.0.0.1/",
    "http:///hook",
]


class TestGuard:
    async def test_inward_urls_are_refused_on_create_and_on_patch_and_nothing_changes(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        path = f"{hooks(room.id)}/{created['id']}"
        for url in REFUSED:
            body = {"url": url, "events": ["task.*"]}
            assert_problem(
                await stack.client.post(hooks(room.id), json=body, headers=room.admin.headers),
                422,
            )
            assert_problem(
                await stack.client.patch(path, json={"url": url}, headers=room.admin.headers),
                422,
            )
        listed = await stack.client.get(hooks(room.id), headers=room.admin.headers)
        assert [h["url"] for h in listed.json()] == [receiver.url]

    async def test_without_the_operators_setting_the_local_receiver_is_refused(
        self, client: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        room = await room_with_roles(client, await cast_of(client), "Board")
        await told(client, room.admin, "role_changed")
        body = {"url": receiver.url, "events": ["task.*"]}
        response = await client.post(hooks(room.id), json=body, headers=room.admin.headers)
        assert_problem(response, 422)


class TestDelivery:
    async def test_a_task_event_arrives_signed_and_the_signature_checks(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        task = await create_task(stack.client, room.member, room.id, "Hooked")

        async def arrived() -> bool:
            await stack.runtime.send_webhooks()
            return bool(receiver.received)

        await eventually(arrived)
        headers, body = receiver.received[0]
        headers = {k.lower(): v for k, v in headers.items()}
        payload = orjson.loads(body)
        assert payload["type"] == "task.created"
        assert payload["room_id"] == room.id
        assert payload["data"]["task_id"] == task["id"]
        now = int(time.time())
        secret = created["secret"]
        assert signing.verify(secret, headers=headers, body=body, now=now)
        assert not signing.verify(signing.new_secret(), headers=headers, body=body, now=now)
        assert not signing.verify(secret, headers=headers, body=body + b" ", now=now)
        assert not signing.verify(secret, headers=headers, body=body, now=now + 3600)

    async def test_a_5xx_is_retried_with_the_same_id_and_logged(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        receiver.statuses = [503]
        with clock.travel():
            await create_task(stack.client, room.member, room.id, "Retry")

            async def first_try() -> bool:
                await stack.runtime.send_webhooks()
                return len(receiver.received) == 1

            await eventually(first_try)
            assert await stack.runtime.send_webhooks() == 0  # not due before its backoff
            clock.advance(timedelta(seconds=10))

            async def succeeded() -> list[dict[str, Any]] | None:
                await stack.runtime.send_webhooks()
                log = await stack.client.get(
                    f"{hooks(room.id)}/{created['id']}/deliveries", headers=room.admin.headers
                )
                items = log.json()["items"]
                return items if items[0]["status"] == "succeeded" else None

            (delivery,) = await eventually(succeeded)
        ids = [{k.lower(): v for k, v in h.items()}["webhook-id"] for h, _ in receiver.received]
        assert len(ids) == 2
        assert ids[0] == ids[1]
        assert delivery["id"] == ids[0]
        assert delivery["status"] == "succeeded"
        assert [a["status_code"] for a in delivery["log"]] == [503, 200]

    async def test_410_disables_the_webhook_and_a_4xx_is_final_but_redeliverable(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        path = f"{hooks(room.id)}/{created['id']}"
        receiver.statuses = [400]
        await create_task(stack.client, room.member, room.id, "Bad")

        async def failed() -> list[dict[str, Any]] | None:
            await stack.runtime.send_webhooks()
            log = await stack.client.get(f"{path}/deliveries", headers=room.admin.headers)
            items = log.json()["items"]
            return items if items and items[0]["status"] == "failed" else None

        (delivery,) = await eventually(failed)
        receiver.statuses = [410]
        again = await stack.client.post(
            f"{path}/deliveries/{delivery['id']}/redeliver", headers=room.admin.headers
        )
        assert again.status_code == 202

        async def disabled() -> dict[str, Any] | None:
            hook = (await stack.client.get(path, headers=room.admin.headers)).json()
            return hook if hook["active"] is False else None

        hook = await eventually(disabled)
        assert "410" in hook["disabled_reason"]


class TestPing:
    async def test_a_ping_reaches_the_receiver_and_is_limited(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url, ["comment.*"])
        path = f"{hooks(room.id)}/{created['id']}/ping"
        for _ in range(3):
            assert (await stack.client.post(path, headers=room.admin.headers)).status_code == 202
        assert_problem(await stack.client.post(path, headers=room.admin.headers), 429)

        async def three() -> bool:
            await stack.runtime.send_webhooks()
            return len(receiver.received) == 3

        await eventually(three)
        types = {orjson.loads(body)["type"] for _, body in receiver.received}
        assert types == {"webhook.ping"}


class TestSecretsAndDisabling:
    async def test_after_a_rotation_both_secrets_verify_for_a_day(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        rotated = await stack.client.post(
            f"{hooks(room.id)}/{created['id']}/secret", headers=room.owner.headers
        )
        await create_task(stack.client, room.member, room.id, "Rotated")

        async def arrived() -> bool:
            await stack.runtime.send_webhooks()
            return bool(receiver.received)

        await eventually(arrived)
        headers, body = receiver.received[0]
        headers = {k.lower(): v for k, v in headers.items()}
        now = int(time.time())
        assert len(headers["webhook-signature"].split()) == 2
        for secret in (created["secret"], rotated.json()["secret"]):
            assert signing.verify(secret, headers=headers, body=body, now=now)

    async def test_a_day_of_failures_disables_it_and_tells_the_owner(
        self, hook_stack: HookStack, receiver: Receiver
    ) -> None:
        stack, room = hook_stack, hook_stack.room
        created = await add_hook(stack, receiver.url)
        receiver.statuses = [500] * 10
        with clock.travel():
            await create_task(stack.client, room.member, room.id, "Down")

            async def failed_once() -> bool:
                await stack.runtime.send_webhooks()
                return len(receiver.received) == 1

            await eventually(failed_once)
            clock.advance(timedelta(hours=25))

            async def disabled() -> dict[str, Any] | None:
                await stack.runtime.send_webhooks()
                path = f"{hooks(room.id)}/{created['id']}"
                hook = (await stack.client.get(path, headers=room.admin.headers)).json()
                return hook if hook["active"] is False else None

            hook = await eventually(disabled)
        assert "a day" in hook["disabled_reason"]
        (told_owner,) = await told(stack.client, room.owner, "webhook_disabled")
        assert receiver.url[:30] in told_owner["text"]
