"""The browser tests' parts: the built web app, the embedded stack on a free port serving it,
and Debian's Chromium driven by Playwright (never a downloaded browser)."""

import os
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tasksync import stack
from tests.helpers.servers import running_server

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "dist"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TASKSYNC_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "web"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def require_built_app() -> None:
    if not (DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` (make test does it).")
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `sh scripts/ensure-chromium.sh` (make test does it).")


@pytest.fixture
async def base_url(settings: dict[str, Any]) -> AsyncIterator[str]:
    """The embedded stack serving the built web app, on a free port of 127.0.0.1."""
    require_built_app()
    app = stack.build_embedded(**settings, web_dist=DIST)
    async with running_server(app) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_built_app()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


class Person:
    """One person's browser context and page, recording every console error."""

    def __init__(self, context: BrowserContext, page: Page, name: str) -> None:
        self.context = context
        self.page = page
        self.name = name
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    async def screenshot(self, name: str, *, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def people(browser: Browser, base_url: str) -> Any:
    contexts: list[BrowserContext] = []

    async def open_as(name: str, viewport: dict[str, int] = DESKTOP) -> Person:
        context = await browser.new_context(base_url=base_url, viewport=viewport)  # type: ignore[arg-type]
        contexts.append(context)
        return Person(context, await context.new_page(), name)

    return open_as


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid PNG, made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
