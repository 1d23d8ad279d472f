"""Writing e-mails: a durable row per message, composed when decided, in the transaction
that decided it; the dispatcher (dispatch.py) sends it after the commit.

Messages about one task thread together: each carries `In-Reply-To` and `References`
naming the task's thread root, a Message-ID no message has, which clients group by.
"""

from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.utils import parseaddr
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.ids import uuid7
from tasksync.common.kit import runtime_of
from tasksync.notifications import queries, templates
from tasksync.notifications.models import Mail
from tasksync.notifications.settings import NotificationsSettings
from tasksync.notifications.wakeups import wake_after_commit


def _settings(session: AsyncSession) -> NotificationsSettings:
    return runtime_of(session).settings


def domain(settings: NotificationsSettings) -> str:
    address = parseaddr(settings.smtp_sender)[1]
    return address.rsplit("@", 1)[-1] or "tasksync.invalid"


def one_line(text: str, limit: int = 200) -> str:
    """Header-safe: no line breaks (no header injection), bounded."""
    return " ".join(text.split())[:limit]


# The links go to the web app's pages (web/src/router.ts, docs/web.md).
def task_link(settings: NotificationsSettings, room_id: UUID | None, task_id: UUID | None) -> str:
    base = settings.public_url.rstrip("/")
    if task_id is not None:
        return f"{base}/tasks/{task_id}"
    if room_id is not None:
        return f"{base}/rooms/{room_id}"
    return ""


def preferences_link(settings: NotificationsSettings) -> str:
    return f"{settings.public_url.rstrip('/')}/notifications/preferences"


def thread_headers(settings: NotificationsSettings, task_id: UUID | None) -> dict[str, str]:
    if task_id is None:
        return {}
    root = f"<task-{task_id}@{domain(settings)}>"
    return {"In-Reply-To": root, "References": root}


def queue(
    session: AsyncSession,
    *,
    user_id: UUID | None,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str] | None = None,
    when: datetime | None = None,
    sensitive: bool = False,
) -> Mail:
    """A mail row to send after commit."""
    settings = _settings(session)
    mail_id = uuid7()
    mail = Mail(
        id=mail_id,
        message_id=f"<{mail_id}@{domain(settings)}>",
        user_id=user_id,
        to_address=to,
        subject=one_line(f"[{settings.product_name}] {subject}"),
        text_body=text,
        html_body=html,
        headers=headers or {},
        status="pending",
        attempts=0,
        next_attempt_at=when or utcnow(),
        created_at=utcnow(),
        sensitive=sensitive,
    )
    session.add(mail)
    wake_after_commit(session)
    return mail


async def queue_notification(
    session: AsyncSession, *, user_id: UUID, notification_id: UUID, what: Any
) -> Mail | None:
    """The e-mail of one notification, to the recipient's verified address (none: nothing)."""
    to = (await queries.addresses(session, [user_id])).get(user_id)
    if to is None:
        return None
    settings = _settings(session)
    link = task_link(settings, what.room_id, what.task_id)
    text, html = templates.render(
        "notification",
        text=what.text,
        link=link,
        product=settings.product_name,
        settings_url=preferences_link(settings),
    )
    return queue(
        session,
        user_id=user_id,
        to=to,
        subject=what.text,
        text=text,
        html=html,
        headers=thread_headers(settings, what.task_id),
    )


def recipient(to: str) -> str:
    """An address as a header value, refusing anything that is not one plain address."""
    return str(HeaderAddress(addr_spec=to))


ACCOUNT_MAILS = {
    "verify": {
        "subject": "Verify your e-mail address",
        "intro": "Someone (we hope you) gave this address to a {product} account.",
        "action": "Verify this address",
        "path": "/verify-email",
        "outro": "The link works once, for 24 hours. If it was not you, ignore this message.",
    },
    "reset": {
        "subject": "Reset your password",
        "intro": "Someone (we hope you) asked to reset the password of your {product} account.",
        "action": "Choose a new password",
        "path": "/reset-password",
        "outro": "The link works once, for 30 minutes. If it was not you, ignore this "
        "message: your password stays as it is.",
    },
}


def queue_account_mail(
    session: AsyncSession, *, purpose: str, user_id: UUID, to: str, token: str
) -> Mail:
    """A verification or password-reset message. The token rides in the link's fragment
    (`#token=`), which browsers never send to a server, so no access log ever holds it."""
    settings = _settings(session)
    words = ACCOUNT_MAILS[purpose]
    product = settings.product_name
    link = f"{settings.public_url.rstrip('/')}{words['path']}#token={token}"
    text, html = templates.render(
        "account",
        intro=words["intro"].format(product=product),
        action=words["action"],
        outro=words["outro"],
        link=link,
        product=product,
        settings_url=preferences_link(settings),
    )
    return queue(
        session,
        user_id=user_id,
        to=to,
        subject=words["subject"],
        text=text,
        html=html,
        sensitive=True,
    )
