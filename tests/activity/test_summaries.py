"""Every event type of the catalog becomes exactly one entry with a line for people; a type
added without a renderer or an example here fails."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import FastAPI

from tasksync.activity.summaries import RENDERERS
from tasksync.common.ids import uuid7
from tasksync.contracts import EVENT_TYPES, comments, files, notifications, rooms, tasks, users
from tasksync.contracts.events import EventData
from tests.activity.conftest import entries, envelope, publish, recorded

ANN, BOB, ROOM, TASK = uuid7(), uuid7(), uuid7(), uuid7()
COMMENT, REPLY, FILE = uuid7(), uuid7(), uuid7()
MINUTE = datetime(2026, 12, 3, 8, 15, tzinfo=UTC)

# (payload, actor, room, summary), in publishing order: the names the first ones teach
# (ann, bob, the room, the task) are used by the summaries that follow.
EXAMPLES: list[tuple[EventData, UUID | None, UUID | None, str]] = [
    (
        users.UserRegistered(user_id=ANN, username="ann", full_name=None),
        ANN,
        None,
        "ann created an account",
    ),
    (
        users.UserRegistered(user_id=BOB, username="bob", full_name="Bob"),
        BOB,
        None,
        "bob created an account",
    ),
    (
        users.UserUpdated(user_id=BOB, username="bobby", full_name="Bob", changed=["username"]),
        BOB,
        None,
        "bob is now called bobby",
    ),
    (
        rooms.RoomCreated(room_id=ROOM, name="Home", owner_id=ANN),
        ANN,
        ROOM,
        "ann created the room Home",
    ),
    (
        rooms.RoomUpdated(room_id=ROOM, name="House", changed=["name"]),
        ANN,
        ROOM,
        "ann renamed the room Home to House",
    ),
    (rooms.RoomCodeRotated(room_id=ROOM), ANN, ROOM, "ann replaced the join code of House"),
    (
        rooms.MemberAdded(room_id=ROOM, user_id=ANN, role="owner"),
        ANN,
        ROOM,
        "ann joined House as owner",
    ),
    (
        rooms.MemberAdded(room_id=ROOM, user_id=BOB, role="member"),
        ANN,
        ROOM,
        "ann added bobby to House as member",
    ),
    (
        rooms.MemberRoleChanged(room_id=ROOM, user_id=BOB, role="admin", previous_role="member"),
        ANN,
        ROOM,
        "ann made bobby admin (was member)",
    ),
    (
        tasks.TaskCreated(
            task_id=TASK,
            room_id=ROOM,
            number=12,
            title="Budget",
            status="pending",
            priority="none",
            assignee_id=None,
            deadline=None,
            created_by=ANN,
        ),
        ANN,
        ROOM,
        "ann created #12 Budget",
    ),
    (
        tasks.TaskUpdated(
            task_id=TASK,
            room_id=ROOM,
            number=12,
            version=2,
            changes={"status": "in_progress", "completed_at": None},
            previous={"status": "pending", "completed_at": None},
        ),
        ANN,
        ROOM,
        "ann moved #12 Budget from pending to in progress",
    ),
    (
        tasks.TaskUpdated(
            task_id=TASK,
            room_id=ROOM,
            number=12,
            version=3,
            changes={"title": "Costs", "assignee_id": str(BOB)},
            previous={"title": "Budget", "assignee_id": None},
        ),
        BOB,
        ROOM,
        "bobby changed #12 Budget: assignee from none to bobby; title from 'Budget' to 'Costs'",
    ),
    (
        comments.CommentCreated(
            comment_id=COMMENT,
            task_id=TASK,
            room_id=ROOM,
            author_id=ANN,
            parent_id=None,
            mentioned_user_ids=[BOB],
        ),
        ANN,
        ROOM,
        "ann commented on #12 Costs, mentioning bobby",
    ),
    (
        comments.CommentCreated(
            comment_id=REPLY,
            task_id=TASK,
            room_id=ROOM,
            author_id=BOB,
            parent_id=COMMENT,
            mentioned_user_ids=[],
        ),
        BOB,
        ROOM,
        "bobby replied to a comment on #12 Costs",
    ),
    (
        comments.CommentUpdated(
            comment_id=COMMENT,
            task_id=TASK,
            room_id=ROOM,
            author_id=ANN,
            version=2,
            mentioned_user_ids=[],
        ),
        ANN,
        ROOM,
        "ann edited a comment on #12 Costs",
    ),
    (
        comments.ReactionAdded(
            comment_id=COMMENT, task_id=TASK, room_id=ROOM, author_id=ANN, user_id=BOB, emoji="🎉"
        ),
        BOB,
        ROOM,
        "bobby reacted with 🎉 to ann's comment on #12 Costs",
    ),
    (
        comments.ReactionRemoved(
            comment_id=COMMENT, task_id=TASK, room_id=ROOM, author_id=ANN, user_id=BOB, emoji="🎉"
        ),
        BOB,
        ROOM,
        "bobby took back 🎉 from ann's comment on #12 Costs",
    ),
    (
        comments.CommentDeleted(comment_id=REPLY, task_id=TASK, room_id=ROOM, author_id=BOB),
        BOB,
        ROOM,
        "bobby deleted a comment on #12 Costs",
    ),
    (
        files.FileUploaded(
            file_id=FILE,
            task_id=TASK,
            room_id=ROOM,
            uploaded_by=ANN,
            name="plan.pdf",
            size=1200,
            content_type="application/pdf",
        ),
        ANN,
        ROOM,
        "ann attached plan.pdf to #12 Costs",
    ),
    (
        files.FileDeleted(file_id=FILE, task_id=TASK, room_id=ROOM, uploaded_by=ANN),
        BOB,
        ROOM,
        "bobby removed plan.pdf from #12 Costs",
    ),
    (
        tasks.TaskDeleted(task_id=TASK, room_id=ROOM, number=12),
        BOB,
        ROOM,
        "bobby deleted #12 Costs",
    ),
    (rooms.MemberRemoved(room_id=ROOM, user_id=BOB), BOB, ROOM, "bobby left House"),
    (rooms.RoomDeleted(room_id=ROOM), ANN, ROOM, "ann deleted the room House"),
    (users.UserSignedIn(user_id=ANN, username="ann"), ANN, None, "ann signed in"),
    (
        users.UserSignInFailed(user_id=ANN, username="ann", minute=MINUTE, failures=7),
        None,
        None,
        "signing in as ann failed 7 times (minute 2026-12-03 08:15 UTC)",
    ),
    (users.UserSignedOut(user_id=ANN), ANN, None, "ann signed out"),
    (
        users.UserEmailVerificationRequested(
            user_id=ANN, email="ann@example.org", token="secret-token", expires_at=MINUTE
        ),
        ANN,
        None,
        "ann was sent an e-mail address verification",
    ),
    (
        users.UserEmailVerified(user_id=ANN, email="ann@example.org"),
        ANN,
        None,
        "ann verified their e-mail address",
    ),
    (users.UserEmailRemoved(user_id=ANN), ANN, None, "ann removed their e-mail address"),
    (
        users.UserPasswordResetRequested(
            user_id=ANN, email="ann@example.org", token="secret-token", expires_at=MINUTE
        ),
        None,
        None,
        "ann was sent a password reset link",
    ),
    (users.UserPasswordChanged(user_id=ANN), ANN, None, "ann changed their password"),
    (
        users.UserTokenReuseDetected(user_id=ANN),
        None,
        None,
        "ann had a used refresh token presented again; that session was signed out",
    ),
    (users.UserAdminGranted(user_id=BOB), ANN, None, "ann made a system administrator: bobby"),
    (
        users.UserAdminRemoved(user_id=BOB),
        ANN,
        None,
        "ann removed system administration from bobby",
    ),
    (users.UserDeactivated(user_id=BOB), ANN, None, "ann deactivated bobby"),
    (users.UserReactivated(user_id=BOB), ANN, None, "ann reactivated bobby"),
    (
        notifications.NotificationCreated(
            notification_id=uuid7(),
            user_id=ANN,
            kind="ownership_received",
            room_id=None,
            task_id=None,
            text="bobby handed you ownership of House",
        ),
        None,
        None,
        "ann was notified: ownership received",
    ),
    (users.UserDeleted(user_id=BOB), BOB, None, "bobby deleted their account"),
]


class TestEveryTypeHasASummary:
    def test_every_catalog_type_has_a_renderer_and_nothing_else_does(self) -> None:
        catalog = {model.type_name for model in EVENT_TYPES}
        assert set(RENDERERS) == catalog

    def test_every_catalog_type_has_an_example_here(self) -> None:
        assert {data.type_name for data, *_ in EXAMPLES} == {m.type_name for m in EVENT_TYPES}


class TestOneEntryPerEvent:
    async def test_each_published_event_becomes_one_entry_with_its_summary(
        self, stack_app: FastAPI, activity_db: Any
    ) -> None:
        published = set()
        for data, actor, room, summary in EXAMPLES:
            sent = envelope(data, actor_id=actor, room_id=room)
            published.add(sent.id)
            await publish(stack_app.state.mounted["users"], sent)
            entry = await recorded(activity_db, sent.id)
            assert entry.summary == summary
            assert entry.type == data.type_name
        # Besides one entry per example, only what the notifications service announced in
        # answer to them (someone was told of their new role...).
        others = [e for e in await entries(activity_db) if e.id not in published]
        assert {e.type for e in others} <= {"notification.created"}

    async def test_an_update_keeps_each_field_with_its_old_and_new_value(
        self, stack_app: FastAPI, activity_db: Any
    ) -> None:
        data = tasks.TaskUpdated(
            task_id=TASK,
            room_id=ROOM,
            number=3,
            version=2,
            changes={"priority": "high", "labels": ["x"]},
            previous={"priority": "low", "labels": []},
        )
        sent = envelope(data, actor_id=ANN, room_id=ROOM)
        await publish(stack_app.state.mounted["tasks"], sent)
        entry = await recorded(activity_db, sent.id)
        assert entry.changes == [
            {"field": "labels", "old": [], "new": ["x"]},
            {"field": "priority", "old": "low", "new": "high"},
        ]
        assert (entry.subject_type, entry.subject_id, entry.subject_label) == ("task", TASK, "#3")

    async def test_a_version_1_task_update_without_old_values_is_still_recorded(
        self, stack_app: FastAPI, activity_db: Any
    ) -> None:
        sent = envelope(
            tasks.TaskUpdated(
                task_id=TASK, room_id=ROOM, number=3, version=2, changes={"priority": "high"}
            ),
            actor_id=None,
            room_id=ROOM,
        )
        raw = sent.model_dump(mode="json")
        del raw["data"]["previous"]
        v1 = sent.model_copy(update={"version": 1, "data": raw["data"]})
        await publish(stack_app.state.mounted["tasks"], v1)
        entry = await recorded(activity_db, v1.id)
        assert entry.changes == [{"field": "priority", "new": "high"}]
        assert entry.summary == "TaskSync changed #3: priority to high"

    async def test_the_same_event_delivered_twice_is_one_entry(
        self, stack_app: FastAPI, activity_db: Any
    ) -> None:
        sent = envelope(users.UserSignedIn(user_id=ANN, username="ann"), actor_id=ANN)
        for _ in range(2):
            await publish(stack_app.state.mounted["users"], sent)
        await recorded(activity_db, sent.id)
        later = envelope(users.UserSignedOut(user_id=ANN), actor_id=ANN)
        await publish(stack_app.state.mounted["users"], later)
        await recorded(activity_db, later.id)
        assert [e.id for e in await entries(activity_db)] == [sent.id, later.id]

    async def test_no_entry_holds_a_field_named_like_a_secret(
        self, stack_app: FastAPI, activity_db: Any
    ) -> None:
        sent = envelope(
            tasks.TaskUpdated(
                task_id=TASK,
                room_id=ROOM,
                number=3,
                version=2,
                changes={"title": "x", "secret_token": "s3cr3t"},
                previous={"title": "y"},
            ),
            actor_id=ANN,
            room_id=ROOM,
        )
        await publish(stack_app.state.mounted["tasks"], sent)
        entry = await recorded(activity_db, sent.id)
        assert "s3cr3t" not in repr(entry.changes) + entry.summary
