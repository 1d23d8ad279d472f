"""The reports and webhooks pages in a real headless Chromium against the embedded stack: the
charts drawn from real figures, a report's CSV and a background export downloaded, and a
webhook to a real receiver on 127.0.0.1 created, pinged and seen in its delivery log.

The pages are the same code on both backends, and the services behind them are tested on
both in their own suites: this runs once, on SQLite."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from playwright.async_api import Download, Page, expect

from tasksync import stack
from tests.helpers.servers import running_server
from tests.web.conftest import DIST, PHONE, Person, require_built_app
from tests.web.test_browser import card, register

pytestmark = [pytest.mark.e2e, pytest.mark.only_backend("sqlite")]
expect.set_options(timeout=15_000)


@pytest.fixture
async def base_url(settings: dict[str, Any]) -> AsyncIterator[str]:
    """The stack of the browser tests, whose webhooks may reach 127.0.0.1 (the operator's
    setting; everything else inward stays refused)."""
    require_built_app()
    app = stack.build_embedded(**settings, web_dist=DIST, webhook_allow_networks="127.0.0.1/32")
    async with running_server(app) as url:
        yield url


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver on 127.0.0.1: its URL and the bodies it got."""
    bodies: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        bodies.append(orjson.loads(await request.read()))
        return web.Response(text="got it")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/hook", bodies
    await runner.cleanup()


async def downloaded(page: Page, button: str) -> tuple[str, str]:
    """Clicks `button` and answers the file it saved: its name and its text."""
    async with page.expect_download() as info:
        await page.get_by_role("button", name=button).click()
    download: Download = await info.value
    return download.suggested_filename, Path(await download.path()).read_text()


async def test_reports_and_webhooks_pages(
    people: Any, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    ann: Person = await people("ann")
    a = ann.page
    await register(a, "ann")
    await a.get_by_label("New room").fill("Metrics")
    await a.get_by_role("button", name="Create", exact=True).click()
    await a.wait_for_url(re.compile(r"/rooms/[^/]+$"))

    # Three tasks, one of them completed.
    quick_add = a.get_by_label("Add a task to Pending")
    for title in ("Draft", "Review", "Ship"):
        await quick_add.fill(title)
        await quick_add.press("Enter")
        await expect(card(a, "pending", title)).to_be_visible()
    await card(a, "pending", "Ship").drag_to(a.locator('section[data-status="completed"]'))
    await expect(a.get_by_test_id("count-completed")).to_have_text("1")

    # The reports: the figures and the charts drawn from them.
    await a.get_by_role("link", name="Reports").click()
    open_card = a.locator(".stat").filter(has_text="Open")
    await expect(open_card.locator(".stat-value")).to_have_text("2")
    done_card = a.locator(".stat").filter(has_text="Completed this week")
    await expect(done_card.locator(".stat-value")).to_have_text("1")
    flow = a.get_by_test_id("chart-flow")
    await expect(flow.locator("path.area")).to_have_count(3)
    assert await flow.get_by_role("img").get_attribute("aria-label") == (
        "Cumulative flow: on %s: 2 pending, 0 in progress, 1 completed."
        % await a.evaluate("new Date().toLocaleDateString('sv')")
    )
    bar = a.get_by_test_id("chart-throughput").locator("rect.s-bar").last
    assert float(await bar.get_attribute("height") or 0) > 0  # this week's one completion
    await expect(a.get_by_test_id("chart-workload").locator("rect.s-bar")).to_have_count(1)
    await ann.screenshot("reports-1280")

    # A report's CSV, saved from the page.
    name, text = await downloaded(a, "Download the cumulative flow as CSV")
    assert name.endswith(".csv")
    lines = text.strip().splitlines()
    assert lines[0] == "date,pending,in_progress,completed"
    assert len(lines) == 31  # the header and the 30 days up to today
    assert lines[-1].endswith(",2,0,1")

    # A background export: queued, then ready, then downloaded.
    await a.get_by_role("button", name="Start export").click()
    await expect(a.get_by_test_id("export-status")).to_contain_text("Ready")
    name, text = await downloaded(a, "Download tasks.csv")
    assert name.endswith(".csv")
    assert {"Draft", "Review", "Ship"} <= set(re.findall(r"\b(Draft|Review|Ship)\b", text))

    await a.set_viewport_size(PHONE)
    await expect(flow.locator("svg")).to_have_attribute("width", re.compile(r"^[1-3]\d\d$"))
    await ann.screenshot("reports-390")
    await a.set_viewport_size({"width": 1280, "height": 800})

    # Webhooks: a refused address is explained next to the field, nothing is made.
    url, bodies = receiver
    await a.get_by_role("link", name="Webhooks").click()
    await a.get_by_label("URL").fill("http://10.0.0.1/hook")
    await a.get_by_role("button", name="Add webhook").click()
    await expect(a.locator("#new-url-error")).to_contain_text("10.0.0.1")
    await expect(a.get_by_test_id("webhook")).to_have_count(0)

    # The receiver on 127.0.0.1 (opened by the operator): the secret is shown once.
    await a.get_by_label("URL").fill(url)
    await a.get_by_role("button", name="Add webhook").click()
    secret = (await a.get_by_test_id("webhook-secret").inner_text()).strip()
    assert secret.startswith("whsec_")
    await expect(a.get_by_test_id("webhook")).to_have_count(1)
    await a.get_by_role("button", name="I have saved it").click()
    await expect(a.get_by_test_id("webhook-secret")).to_have_count(0)
    assert secret not in await a.content()

    # A ping reaches the receiver and shows in the delivery log.
    await a.get_by_role("button", name="Ping").click()
    delivery = a.get_by_test_id("delivery").filter(has_text="webhook.ping")
    await expect(delivery.get_by_test_id("attempt-status")).to_have_text("200")
    await expect(delivery).to_contain_text("got it")
    assert [b["type"] for b in bodies] == ["webhook.ping"]
    await ann.screenshot("webhooks-1280")

    # An edit changes what it names.
    hook = a.get_by_test_id("webhook")
    await hook.get_by_role("button", name="Edit").click()
    await hook.get_by_label("Description").fill("CI builds")
    await hook.get_by_role("button", name="Save").click()
    await expect(hook.locator(".hook-desc")).to_have_text("CI builds")
    await expect(hook.locator(".hook-url")).to_have_text(url)

    # A member has no Webhooks tab; opening the page says who manages webhooks.
    webhooks_url = a.url
    await a.get_by_role("link", name="Members").click()
    code = (await a.get_by_test_id("join-code").inner_text()).strip()
    bob: Person = await people("bob")
    b = bob.page
    await register(b, "bob")
    await b.get_by_label("Join with a code").fill(code)
    await b.get_by_role("button", name="Join").click()
    await expect(b.get_by_role("link", name="Reports")).to_be_visible()
    await expect(b.get_by_role("link", name="Webhooks")).to_have_count(0)
    await b.goto(webhooks_url)
    await expect(b.get_by_role("note")).to_contain_text("You are a member here")
    await expect(b.get_by_label("URL")).to_have_count(0)

    # The refused address answered 422, which the browser logs: nothing else went wrong.
    refused = "the server responded with a status of 422"
    assert [e for e in ann.errors if refused not in e] == []
    assert bob.errors == []
