from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.room_roles import RoomRoleReplica

Base = model_base()
event_tables = add_event_tables(Base.metadata)
# Who may receive a room's events: the kit's replica of room roles.
room_roles = RoomRoleReplica(Base.metadata)
