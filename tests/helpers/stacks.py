"""Stacks built with extra settings for one test, and clients that call them in-process."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from tasksync import stack


class RunningApp:
    """An app whose lifespan is running; hands out clients calling from any address."""

    def __init__(self, app: FastAPI, **client_options: Any) -> None:
        self.app = app
        self.client_options = client_options

    def client(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 40000)),
            base_url="http://testserver",
            **self.client_options,
        )


AppFactory = Callable[..., AbstractAsyncContextManager[RunningApp]]


def embedded_factory(settings: dict[str, Any], **client_options: Any) -> AppFactory:
    """`async with factory(setting=value) as running:` the embedded stack with extra settings."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[RunningApp]:
        app = stack.build_embedded(**{**settings, **overrides})
        async with app.router.lifespan_context(app):
            yield RunningApp(app, **client_options)

    return build
