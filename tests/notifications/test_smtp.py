"""E-mail over real SMTP beyond the plain local server: STARTTLS and implicit TLS with a
certificate made for the test (and refused when it cannot be verified), and distributed
mode: each service behind its own HTTP server on PostgreSQL, events on Redis Streams, the
verification and then an assignment e-mail arriving at the SMTP server."""

from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiosmtplib import SMTPException
from pydantic import ValidationError

from tasksync import stack
from tasksync.common.db import Database
from tasksync.notifications.dispatch import transport_for
from tasksync.notifications.models import Address
from tasksync.notifications.settings import NotificationsSettings
from tests.helpers.builders import signed_up
from tests.helpers.distributed import distributed_stack
from tests.helpers.rooms import create_room, join
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.smtp import SmtpServer, parts
from tests.users.test_account_mail import VERIFY, token_in


def hello() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "TaskSync <tasksync@localhost>"
    message["To"] = "tia@example.org"
    message["Subject"] = "Over TLS"
    message["Message-ID"] = "<tls-test@localhost>"
    message.set_content("hello")
    return message


@pytest.mark.parametrize("security", ["starttls", "tls"])
class TestTls:
    async def test_the_message_arrives_over_a_verified_encrypted_connection(
        self, security: str, tmp_path: Path
    ) -> None:
        with SmtpServer(security, tmp_path) as smtp:
            transport = transport_for(NotificationsSettings(**smtp.settings))
            assert f"({security})" in transport.description
            await transport.send(hello())
            (received,) = smtp.inbox.to("tia@example.org")
        assert str(received["Message-ID"]) == "<tls-test@localhost>"

    async def test_a_certificate_nobody_vouched_for_is_refused(
        self, security: str, tmp_path: Path
    ) -> None:
        with SmtpServer(security, tmp_path) as smtp:
            settings = {**smtp.settings, "smtp_ca_file": None, "smtp_timeout": 5}
            transport = transport_for(NotificationsSettings(**settings))
            with pytest.raises((SMTPException, OSError)):
                await transport.send(hello())
            assert smtp.inbox.messages == []


def test_an_unknown_security_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="smtp_security"):
        NotificationsSettings(smtp_host="127.0.0.1", smtp_security="ssl")


@pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)
async def test_distributed_the_verification_then_the_assignment_arrive_by_smtp(
    settings: dict[str, Any],
) -> None:
    services = ("users", "rooms", "tasks", "notifications")
    with SmtpServer() as smtp:
        async with (
            distributed_stack({**settings, **smtp.settings}, *services) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            owner = await signed_up(client, "owner_person")
            tia = await signed_up(client, "tia_person", email="tia@example.org")

            async def mailed(count: int) -> list[Any] | None:
                found = smtp.inbox.to("tia@example.org")
                return found if len(found) >= count else None

            (verification,) = await eventually(lambda: mailed(1))
            response = await client.post(VERIFY, json={"token": token_in(verification)})
            assert response.status_code == 200, response.text
            room = await create_room(client, owner, "Board")
            await join(client, tia, room["code"])

            # an assignment mails only a verified address: wait until the notifications
            # service has heard of it (over Redis Streams, from another producer's stream)
            notifications = stack.settings_for("notifications", **settings)
            db = await Database.open(notifications.database_url("notifications"))
            try:

                async def known() -> bool:
                    async with db.sessionmaker() as session:
                        found = await session.get(Address, UUID(tia.id))
                        return found is not None and found.verified

                await eventually(known, timeout=30)
            finally:
                await db.close()
            await create_task(client, owner, room["id"], "Ship it", assignee_id=tia.id)
            first, second = await eventually(lambda: mailed(2), timeout=30)
    assert "Verify" in str(first["Subject"])
    assert "owner_person assigned you" in str(second["Subject"])
    text, _ = parts(second)
    assert "Ship it" in text
