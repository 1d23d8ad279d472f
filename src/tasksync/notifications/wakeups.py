"""Waking a dispatcher after the commit that gave it work."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.kit import runtime_of


def wake_after_commit(session: AsyncSession, which: str = "wake") -> None:
    """The dispatcher (`which` names its wake method on the runtime: mail's `wake`, or
    `wake_webhooks`) looks at once after this transaction commits (and not if it rolls
    back: the row is gone with it). Any session: a consumer's as well as a request's."""
    sync = session.sync_session
    flag = f"tasksync.notifications.{which}"
    if sync.info.get(flag):
        return
    sync.info[flag] = True
    wake = getattr(runtime_of(session), which)

    def committed(*_: Any) -> None:
        sync.info.pop(flag, None)
        wake()

    def rolled_back(*_: Any) -> None:
        sync.info.pop(flag, None)

    event.listen(sync, "after_commit", committed, once=True)
    event.listen(sync, "after_soft_rollback", rolled_back, once=True)
