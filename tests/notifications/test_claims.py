"""Two dispatcher passes that read the same pending rows (SQLite has no SKIP LOCKED) send each
one once: the claim takes a row only while it is still claimable."""

from datetime import timedelta

from fastapi import FastAPI

from tasksync.common.clock import utcnow
from tasksync.notifications import queries
from tasksync.notifications.models import Mail


async def test_of_two_passes_that_read_the_same_row_one_takes_it(stack_app: FastAPI) -> None:
    db = stack_app.state.mounted["notifications"].state.kit.db
    mail = Mail(
        message_id="<claim@test>", to_address="a@ex.com", subject="s", text_body="t", html_body="h"
    )
    async with db.sessionmaker.begin() as session:
        session.add(mail)
    now = utcnow()
    until = now + timedelta(minutes=1)
    taken = []
    for _ in range(2):  # both passes read the row before either claimed it
        async with db.sessionmaker.begin() as session:
            taken.append(await queries.take(session, Mail, [mail.id], now=now, until=until))
    assert taken == [[mail.id], []]
    async with db.sessionmaker() as session:
        assert (await session.get(Mail, mail.id)).attempts == 1  # type: ignore[union-attr]
