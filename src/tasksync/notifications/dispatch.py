"""The mail dispatcher: sends due mail rows after commit, retries with backoff, and never
sends a message twice once it is marked sent.

A dispatcher takes a batch of due rows by setting their `claimed_until` (with `SKIP LOCKED`
on PostgreSQL, so replicas take different rows), commits, sends each, and marks each sent
only if its claim still holds. A dispatcher that dies after sending and before marking
leaves the row to be taken again when the claim runs out: that one message may be sent
again, with the same Message-ID, so the receiving server or client drops the duplicate.
"""

import asyncio
import os
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib
import structlog
from sqlalchemy import select, update

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.notifications import queries
from tasksync.notifications.mailing import recipient
from tasksync.notifications.models import Mail
from tasksync.notifications.settings import NotificationsSettings

log = structlog.get_logger("tasksync.notifications.mail")
BATCH = 50


class Transport(Protocol):
    description: str

    async def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpTransport:
    settings: NotificationsSettings

    @property
    def description(self) -> str:
        s = self.settings
        return f"SMTP {s.smtp_host}:{s.smtp_port} ({s.smtp_security})"

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            cert_bundle=s.smtp_ca_file,
            timeout=s.smtp_timeout,
        )


@dataclass
class FileTransport:
    """The embedded mode without SMTP: each message is a `.eml` file in `folder`, named by
    its Message-ID (writing it again replaces it: still one message)."""

    folder: Path

    @property
    def description(self) -> str:
        return f".eml files in {self.folder}"

    async def send(self, message: EmailMessage) -> None:
        name = str(message["Message-ID"]).strip("<>").replace("/", "_") + ".eml"
        await asyncio.to_thread(self._write, self.folder / name, bytes(message))

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        os.replace(partial, path)


def transport_for(settings: NotificationsSettings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FileTransport(settings.data_dir.resolve() / "mail")


def message_of(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient(mail.to_address)
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


BLANKED = "(removed once handled: this message held a single-use token)"


def _blanked(mail: Mail) -> dict[str, str]:
    """A sent (or abandoned) account mail keeps no token in the database."""
    return {"text_body": BLANKED, "html_body": BLANKED} if mail.sensitive else {}


def backoff(settings: NotificationsSettings, attempts: int) -> timedelta:
    seconds = min(settings.mail_retry_cap, settings.mail_retry_base * 2 ** (attempts - 1))
    return timedelta(seconds=seconds)


@dataclass
class Dispatcher:
    db: Database
    settings: NotificationsSettings
    transport: Transport

    async def run_once(self) -> int:
        """Sends what is due now; returns how many were sent."""
        sent = 0
        while True:
            claimed = await self._claim()
            for mail, until in claimed:
                sent += await self._deliver(mail, until)
            if len(claimed) < BATCH:
                return sent

    async def _claim(self) -> list[tuple[Mail, object]]:
        now = utcnow()
        until = now + timedelta(seconds=self.settings.mail_claim_seconds)
        async with self.db.sessionmaker.begin() as session:
            query = (
                select(Mail)
                .where(*queries.claimable(Mail, now), Mail.next_attempt_at <= now)
                .order_by(Mail.next_attempt_at)
                .limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = {mail.id: mail for mail in (await session.scalars(query)).all()}
            session.expunge_all()
            if not rows:
                return []
            won = await queries.take(session, Mail, rows, now=now, until=until)
        for mail_id in won:
            rows[mail_id].claimed_until = until
            rows[mail_id].attempts += 1
        return [(rows[mail_id], until) for mail_id in won]

    async def _deliver(self, mail: Mail, until: object) -> int:
        try:
            await self.transport.send(message_of(mail, self.settings.smtp_sender))
        except Exception as exc:
            await self._failed(mail, until, exc)
            return 0
        async with self.db.sessionmaker.begin() as session:
            await session.execute(
                update(Mail)
                .where(Mail.id == mail.id, Mail.claimed_until == until)
                .values(
                    status="sent",
                    sent_at=utcnow(),
                    claimed_until=None,
                    last_error=None,
                    **_blanked(mail),
                )
            )
        return 1

    async def _failed(self, mail: Mail, until: object, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        final = mail.attempts >= self.settings.mail_max_attempts
        log.warning(
            "mail_failed", mail_id=str(mail.id), attempts=mail.attempts, final=final, error=error
        )
        values: dict[str, object] = {"claimed_until": None, "last_error": error}
        if final:
            values |= {"status": "failed", **_blanked(mail)}
        else:
            values["next_attempt_at"] = utcnow() + backoff(self.settings, mail.attempts)
        async with self.db.sessionmaker.begin() as session:
            await session.execute(
                update(Mail).where(Mail.id == mail.id, Mail.claimed_until == until).values(**values)
            )
