"""The reports service's runtime object (`app.state.runtime`): its settings, its clock and
the export worker's wake-up call."""

import asyncio
from dataclasses import dataclass, field

from tasksync.common.clock import Clock
from tasksync.reports.settings import ReportsSettings


@dataclass
class ReportsRuntime:
    settings: ReportsSettings
    clock: Clock = field(default_factory=Clock)
    # Set when a job is queued: the worker looks at once instead of at its next poll.
    wake: asyncio.Event = field(default_factory=asyncio.Event)
