"""The embedded stack's service apps, started and stopped together.

Each service's lifespan runs in a task of its own, so the services start side by side (their
connections, consumer groups and first reads overlap) instead of one after the other. They stop
one at a time in the reverse order, as nested lifespans would: a service still calls the ones
it depends on while it stops. A service that fails to start stops the others and raises.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tasksync.common.app import stop_consuming_soon


class _Service:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.up = asyncio.Event()
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self._serve())

    async def started(self) -> None:
        """Returns once the service is up; raises why when it ended before that."""
        up = asyncio.ensure_future(self.up.wait())
        try:
            await asyncio.wait([up, self.task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            up.cancel()
        if not self.up.is_set():
            self.task.result()

    async def _serve(self) -> None:
        async with self.app.router.lifespan_context(self.app):
            self.up.set()
            await self.stop.wait()


@asynccontextmanager
async def running(apps: Iterable[FastAPI]) -> AsyncIterator[None]:
    services = [_Service(app) for app in apps]
    try:
        for service in services:  # all are starting already: this only waits for each
            await service.started()
        yield
    finally:
        for service in services:
            stop_consuming_soon(service.app)
        for service in reversed(services):
            service.stop.set()
            await asyncio.wait([service.task])
    for service in services:  # reached when nothing else is being raised
        if not service.task.cancelled() and (error := service.task.exception()):
            raise error
