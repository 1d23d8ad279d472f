"""E-mail through a real SMTP server on 127.0.0.1: what a message holds (escaped, threaded,
two parts), who gets one (verified addresses only), durability (refused, then every
message once), and the .eml files of the embedded mode without SMTP."""

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from tasksync.common import clock
from tasksync.contracts.users import UserEmailVerificationRequested
from tasksync.notifications import commands
from tasksync.notifications.settings import NotificationsSettings
from tests.helpers.rooms import cast_of, room_with_roles
from tests.helpers.stacks import AppFactory
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.conftest import (
    MailStack,
    address,
    address_known,
    arrived,
    envelope,
    publish,
    told,
    verified,
)
from tests.notifications.smtp import parts


class TestMessage:
    async def test_an_assignment_is_mailed_escaped_threaded_with_both_parts(
        self, mail_stack: MailStack
    ) -> None:
        room, smtp = mail_stack.room, mail_stack.smtp
        assert smtp is not None
        title = '<a href="https://evil.example">Win</a> & <script>x()</script>'
        task = await create_task(
            mail_stack.client, room.member, room.id, title, assignee_id=room.tia.id
        )
        (message,) = await eventually(lambda: arrived(smtp, room.tia, 1))
        text, html = parts(message)
        assert "member_person assigned you #1" in str(message["Subject"])
        assert "\n" not in str(message["Subject"])
        assert title in text
        assert '<a href="https://evil.example">' not in html
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        link = f"/tasks/{task['id']}"  # the web app's task page
        assert link in text
        assert link in html
        assert "/notifications/preferences" in text
        root = f"<task-{task['id']}@localhost>"
        assert str(message["In-Reply-To"]) == root
        assert str(message["References"]) == root
        assert str(message["Message-ID"]).startswith("<")

    async def test_mails_about_one_task_share_a_thread(self, mail_stack: MailStack) -> None:
        room, smtp, client = mail_stack.room, mail_stack.smtp, mail_stack.client
        assert smtp is not None
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)
        response = await client.post(
            f"/api/v1/tasks/{task['id']}/comments",
            json={"body": "@tia_person look"},
            headers=room.member.headers,
        )
        assert response.status_code == 201
        first, second = await eventually(lambda: arrived(smtp, room.tia, 2))
        assert first["References"] == second["References"]
        assert first["Message-ID"] != second["Message-ID"]


class TestWhoGetsMail:
    async def test_only_verified_addresses_and_only_the_kinds_chosen(
        self, mail_stack: MailStack
    ) -> None:
        room, smtp, client = mail_stack.room, mail_stack.smtp, mail_stack.client
        assert smtp is not None
        # the member gave an address but never verified it: only the verification comes
        data = UserEmailVerificationRequested(
            user_id=UUID(room.member.id),
            email=address(room.member),
            token="t0ken",
            expires_at=clock.utcnow() + timedelta(hours=24),
        )
        await publish(mail_stack.notifications, envelope(data, actor_id=UUID(room.member.id)))
        await create_task(client, room.admin, room.id, "One", assignee_id=room.member.id)
        await create_task(client, room.admin, room.id, "Two", assignee_id=room.tia.id)
        await told(client, room.member, "assigned")
        await eventually(lambda: arrived(smtp, room.tia, 1))
        (only,) = await eventually(lambda: arrived(smtp, room.member, 1))
        assert "Verify" in str(only["Subject"])
        # the admin, who has a verified address, acted: nothing for them
        await mail_stack.runtime.send_mail()
        assert len(smtp.inbox.to(address(room.admin))) == 0


class TestDurability:
    async def test_refused_messages_all_arrive_once_after_recovery(
        self, mail_stack: MailStack, backend_settings: dict[str, Any]
    ) -> None:
        room, smtp, client = mail_stack.room, mail_stack.smtp, mail_stack.client
        assert smtp is not None
        smtp.inbox.refusing = True
        with clock.travel():
            for title in ("One", "Two", "Three"):
                await create_task(client, room.member, room.id, title, assignee_id=room.tia.id)

            async def all_refused() -> bool:
                mails = await mail_stack.mails()
                return len(mails) == 3 and all(m.last_error for m in mails)

            await eventually(all_refused)
            assert smtp.inbox.to(address(room.tia)) == []
            for mail in await mail_stack.mails():
                assert mail.status == "pending"
                assert "451" in (mail.last_error or "")
            # the operator sees them waiting, and why
            status = await commands.status(
                NotificationsSettings(**backend_settings, **smtp.settings)
            )
            assert (status.mails["pending"], status.retrying) == (3, 3)
            assert "451" in status.failures[0]["last_error"]
            assert status.delivery.startswith("SMTP 127.0.0.1")
            # a retry before the backoff has passed sends nothing
            assert await mail_stack.runtime.send_mail() == 0
            smtp.inbox.refusing = False
            clock.advance(timedelta(hours=2))
            await mail_stack.runtime.send_mail()
            came = await eventually(lambda: arrived(smtp, room.tia, 3))
            await mail_stack.runtime.send_mail()
        assert len(smtp.inbox.to(address(room.tia))) == 3
        assert len({str(m["Message-ID"]) for m in came}) == 3
        assert {m.status for m in await mail_stack.mails()} == {"sent"}

    async def test_a_redelivered_event_is_mailed_once(self, mail_stack: MailStack) -> None:
        from tasksync.contracts.tasks import TaskCreated

        room, smtp = mail_stack.room, mail_stack.smtp
        assert smtp is not None
        sent = envelope(
            TaskCreated(
                task_id=UUID("01900000-0000-7000-8000-0000000000aa"),
                room_id=UUID(room.id),
                number=7,
                title="Twice",
                status="pending",
                priority="none",
                assignee_id=UUID(room.tia.id),
                deadline=None,
                created_by=UUID(room.member.id),
            ),
            actor_id=UUID(room.member.id),
            room_id=UUID(room.id),
        )
        for _ in range(3):
            await publish(mail_stack.notifications, sent)
        await eventually(lambda: arrived(smtp, room.tia, 1))
        await mail_stack.runtime.send_mail()
        assert len(smtp.inbox.to(address(room.tia))) == 1
        assert len(await mail_stack.mails()) == 1


class TestEmbeddedFiles:
    async def test_without_smtp_each_message_is_an_eml_file_under_the_data_folder(
        self, embedded: AppFactory, backend_settings: dict[str, Any], tmp_path: Path
    ) -> None:
        extra = {} if "data_dir" in backend_settings else {"data_dir": tmp_path}
        folder = Path(backend_settings.get("data_dir", tmp_path)).resolve() / "mail"
        before = set(folder.glob("*.eml")) if folder.exists() else set()
        async with embedded(**extra) as running, running.client() as client:
            room = await room_with_roles(client, await cast_of(client), "Board")
            await verified(running.app, room.tia)
            await eventually(lambda: address_known(running.app, room.tia))
            await create_task(client, room.member, room.id, "Filed", assignee_id=room.tia.id)

            async def written() -> list[Path]:
                return [
                    path
                    for path in set(folder.glob("*.eml")) - before
                    if address(room.tia) in path.read_text()
                ]

            (path,) = await eventually(written)
        content = path.read_text()
        assert "member_person assigned you #1 Filed" in content
        assert "Content-Type: text/html" in content
