"""Events of the files service: attachments added to and removed from tasks."""

from uuid import UUID

from tasksync.contracts.events import EventData, event_type


@event_type("file.uploaded", producer="files")
class FileUploaded(EventData):
    """Someone attached a file to a task; `content_type` is the one detected from its bytes."""

    file_id: UUID
    task_id: UUID
    room_id: UUID
    uploaded_by: UUID | None
    name: str
    size: int
    content_type: str


@event_type("file.deleted", producer="files")
class FileDeleted(EventData):
    """An attachment was deleted by its uploader, an admin or the owner (not announced when
    its task or room is deleted: those take their files with them)."""

    file_id: UUID
    task_id: UUID
    room_id: UUID
    uploaded_by: UUID | None


EVENTS = (FileUploaded, FileDeleted)
