"""Events of the comments service: discussions under tasks, and reactions to comments."""

from uuid import UUID

from tasksync.contracts.events import EventData, event_type


@event_type("comment.created", producer="comments")
class CommentCreated(EventData):
    """Someone commented on a task, or replied (`parent_id`); it mentions `mentioned_user_ids`."""

    comment_id: UUID
    task_id: UUID
    room_id: UUID
    author_id: UUID | None
    parent_id: UUID | None
    mentioned_user_ids: list[UUID]


@event_type("comment.updated", producer="comments")
class CommentUpdated(EventData):
    """Its author edited a comment; `mentioned_user_ids` are only those newly mentioned."""

    comment_id: UUID
    task_id: UUID
    room_id: UUID
    author_id: UUID | None
    version: int
    mentioned_user_ids: list[UUID]


@event_type("comment.deleted", producer="comments")
class CommentDeleted(EventData):
    """A comment was deleted; `author_id` is null for the comment of a deleted account."""

    comment_id: UUID
    task_id: UUID
    room_id: UUID
    author_id: UUID | None


@event_type("reaction.added", producer="comments")
class ReactionAdded(EventData):
    """Someone reacted to a comment with an emoji (`author_id` wrote the comment)."""

    comment_id: UUID
    task_id: UUID
    room_id: UUID
    author_id: UUID | None
    user_id: UUID
    emoji: str


@event_type("reaction.removed", producer="comments")
class ReactionRemoved(EventData):
    """Someone took their reaction to a comment back."""

    comment_id: UUID
    task_id: UUID
    room_id: UUID
    author_id: UUID | None
    user_id: UUID
    emoji: str


EVENTS = (CommentCreated, CommentUpdated, CommentDeleted, ReactionAdded, ReactionRemoved)
