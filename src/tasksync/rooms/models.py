from datetime import datetime

from sqlalchemy.orm import DeclarativeBase

from tasksync.common.db import UTCDateTime, new_metadata
from tasksync.common.events.tables import add_event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {datetime: UTCDateTime}


event_tables = add_event_tables(Base.metadata)
