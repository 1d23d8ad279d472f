"""Account e-mails, end to end through the notifications service and a real SMTP server:
verifying an address, resetting a password; tokens single-use, expiring, hashed at rest;
equal answers for unknown accounts; limits."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasksync.common import clock
from tasksync.users.models import EmailToken
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem, login, signed_up
from tests.helpers.stacks import AppFactory
from tests.helpers.waiting import eventually
from tests.notifications.smtp import SmtpServer, parts

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY = "/api/v1/auth/verify-email"
NEW_PASSWORD = "a brand new password"


@dataclass
class Mailed:
    client: httpx.AsyncClient
    app: FastAPI
    smtp: SmtpServer

    async def messages_to(self, address: str, count: int) -> list[EmailMessage]:
        async def enough() -> list[EmailMessage] | None:
            found = self.smtp.inbox.to(address)
            return found if len(found) >= count else None

        return await eventually(enough)

    async def send_now(self) -> None:
        await self.app.state.mounted["notifications"].state.runtime.send_mail()


def token_in(message: EmailMessage) -> str:
    text, html = parts(message)
    found = re.search(r"#token=([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    assert found.group(1) in html
    return found.group(1)


@pytest.fixture
async def mailed(embedded: AppFactory) -> AsyncIterator[Mailed]:
    with SmtpServer() as smtp:
        async with embedded(**smtp.settings) as running, running.client() as client:
            yield Mailed(client, running.app, smtp)


async def verified_ann(mailed: Mailed) -> Any:
    """ann, with a verified address ann@example.org."""
    ann = await signed_up(mailed.client, "ann", email="ann@example.org")
    (message,) = await mailed.messages_to("ann@example.org", 1)
    response = await mailed.client.post(VERIFY, json={"token": token_in(message)})
    assert response.status_code == 200, response.text
    assert response.json()["email_verified"] is True
    return ann


class TestVerification:
    async def test_the_emailed_token_verifies_once(self, mailed: Mailed) -> None:
        ann = await signed_up(mailed.client, "ann", email="ann@example.org")
        me = await mailed.client.get("/api/v1/users/me", headers=ann.headers)
        assert me.json()["email_verified"] is False
        (message,) = await mailed.messages_to("ann@example.org", 1)
        assert "Verify" in str(message["Subject"])
        token = token_in(message)
        assert (await mailed.client.post(VERIFY, json={"token": token})).status_code == 200
        assert_problem(await mailed.client.post(VERIFY, json={"token": token}), 400)
        me = await mailed.client.get("/api/v1/users/me", headers=ann.headers)
        assert me.json()["email_verified"] is True

    async def test_a_changed_address_is_unverified_and_the_old_link_dies(
        self, mailed: Mailed
    ) -> None:
        ann = await signed_up(mailed.client, "ann", email="ann@example.org")
        (first,) = await mailed.messages_to("ann@example.org", 1)
        response = await mailed.client.patch(
            "/api/v1/users/me", json={"email": "ann@elsewhere.org"}, headers=ann.headers
        )
        assert response.json()["email_verified"] is False
        assert_problem(await mailed.client.post(VERIFY, json={"token": token_in(first)}), 400)
        (second,) = await mailed.messages_to("ann@elsewhere.org", 1)
        assert (
            await mailed.client.post(VERIFY, json={"token": token_in(second)})
        ).status_code == 200

    async def test_an_expired_token_is_refused(self, mailed: Mailed) -> None:
        await signed_up(mailed.client, "ann", email="ann@example.org")
        (message,) = await mailed.messages_to("ann@example.org", 1)
        with clock.travel(timedelta(hours=25)):
            response = await mailed.client.post(VERIFY, json={"token": token_in(message)})
        assert_problem(response, 400)

    async def test_tokens_are_stored_only_as_hashes(self, mailed: Mailed) -> None:
        await signed_up(mailed.client, "ann", email="ann@example.org")
        (message,) = await mailed.messages_to("ann@example.org", 1)
        token = token_in(message)
        users_db = mailed.app.state.mounted["users"].state.kit.db
        async with users_db.sessionmaker() as session:
            rows = (await session.scalars(select(EmailToken))).all()
        assert len(rows) == 1
        assert token not in rows[0].token_hash
        # and the notifications service blanked the message it sent
        await mailed.send_now()
        from tasksync.notifications.models import Mail

        notifications_db = mailed.app.state.mounted["notifications"].state.kit.db

        async def blanked() -> bool:
            async with notifications_db.sessionmaker() as session:
                mails = (await session.scalars(select(Mail))).all()
            return all(token not in m.text_body + m.html_body for m in mails)

        await eventually(blanked)


class TestPasswordReset:
    async def test_reset_sets_the_password_once_and_signs_out_every_session(
        self, mailed: Mailed
    ) -> None:
        ann = await verified_ann(mailed)
        response = await mailed.client.post(RESET, json={"login": "ANN"})
        assert response.status_code == 202
        _, message = await mailed.messages_to("ann@example.org", 2)
        assert "Reset" in str(message["Subject"])
        token = token_in(message)
        body = {"token": token, "new_password": NEW_PASSWORD}
        assert (await mailed.client.post(CONFIRM, json=body)).status_code == 204
        assert_problem(await mailed.client.post(CONFIRM, json=body), 400)
        refreshed = await mailed.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token}
        )
        assert refreshed.status_code == 401
        await login(mailed.client, "ann", NEW_PASSWORD)

    async def test_unknown_unverified_and_deactivated_accounts_get_the_same_answer_and_no_mail(
        self, mailed: Mailed
    ) -> None:
        await verified_ann(mailed)
        await signed_up(mailed.client, "bob", email="bob@example.org")  # never verified
        answers = []
        for login_name in ("ann", "nobody", "nobody@example.org", "bob"):
            response = await mailed.client.post(RESET, json={"login": login_name})
            answers.append((response.status_code, response.json()))
        assert len(set(map(str, answers))) == 1
        assert answers[0][0] == 202
        await mailed.messages_to("ann@example.org", 2)
        await mailed.send_now()
        # bob got only his verification message
        assert len(mailed.smtp.inbox.to("bob@example.org")) == 1

    async def test_an_expired_reset_token_is_refused(self, mailed: Mailed) -> None:
        await verified_ann(mailed)
        await mailed.client.post(RESET, json={"login": "ann@example.org"})
        _, message = await mailed.messages_to("ann@example.org", 2)
        with clock.travel(timedelta(minutes=31)):
            response = await mailed.client.post(
                CONFIRM, json={"token": token_in(message), "new_password": NEW_PASSWORD}
            )
        assert_problem(response, 400)
        await login(mailed.client, "ann")

    @ONE_BACKEND
    async def test_a_verification_token_cannot_reset_and_bad_input_is_422(
        self, mailed: Mailed
    ) -> None:
        await signed_up(mailed.client, "ann", email="ann@example.org")
        (message,) = await mailed.messages_to("ann@example.org", 1)
        body = {"token": token_in(message), "new_password": NEW_PASSWORD}
        assert_problem(await mailed.client.post(CONFIRM, json=body), 400)
        short = {"token": token_in(message), "new_password": "short"}
        assert_problem(await mailed.client.post(CONFIRM, json=short), 422)
        assert_problem(await mailed.client.post(RESET, json={"login": ""}), 422)
        assert_problem(await mailed.client.post(RESET, json={"user": "ann"}), 422)
        assert_problem(await mailed.client.post(VERIFY, json={}), 422)
        await login(mailed.client, "ann")

    async def test_many_requests_make_a_handful_of_mails(self, mailed: Mailed) -> None:
        await verified_ann(mailed)
        for _ in range(30):
            response = await mailed.client.post(RESET, json={"login": "ann"})
            assert response.status_code == 202
        users_db = mailed.app.state.mounted["users"].state.kit.db
        async with users_db.sessionmaker() as session:
            resets = (
                await session.scalars(select(EmailToken).where(EmailToken.purpose == "reset"))
            ).all()
        assert len(resets) == 3
        await mailed.messages_to("ann@example.org", 4)
        await mailed.send_now()
        assert len(mailed.smtp.inbox.to("ann@example.org")) == 4


class TestVerifiedAddressGetsNotifications:
    async def test_after_verification_notifications_are_mailed(self, mailed: Mailed) -> None:
        from tests.helpers.rooms import create_room, join
        from tests.helpers.tasks import create_task

        ann = await verified_ann(mailed)
        bob = await signed_up(mailed.client, "bob")
        room = await create_room(mailed.client, bob, "Board")
        await join(mailed.client, ann, room["code"])
        await create_task(mailed.client, bob, room["id"], "Yours", assignee_id=ann.id)
        _, assigned = await mailed.messages_to("ann@example.org", 2)
        assert "bob assigned you #1 Yours" in str(assigned["Subject"])
