from tasksync.common.app import ServiceDefinition
from tasksync.common.kit import Kit
from tasksync.files.api import router
from tasksync.files.events import handlers
from tasksync.files.models import Base, event_tables, idempotency_keys, room_roles, task_rooms
from tasksync.files.runtime import FilesRuntime
from tasksync.files.settings import FilesSettings


async def _start(kit: Kit) -> FilesRuntime:
    settings = kit.settings
    assert isinstance(settings, FilesSettings)
    runtime = await FilesRuntime.start(settings, kit.db)
    kit.checks["storage"] = runtime.storage.ping
    kit.on_stop.append(runtime.stop)
    return runtime


definition = ServiceDefinition(
    name="files",
    settings=FilesSettings,
    routers=[router],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    task_rooms=task_rooms,
    idempotency_keys=idempotency_keys,
    start=_start,
    description="Attachments of tasks: uploads streamed to a local folder or an S3 store.",
)
