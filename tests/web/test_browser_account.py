"""The account e-mails' links open the web app's pages: in a real headless Chromium, a person
verifies the address they registered with, then resets a forgotten password, following the
links of the messages a real SMTP server received. Once, on SQLite: these pages are the
same code on both backends."""

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tasksync import stack
from tests.helpers.servers import running_server
from tests.helpers.waiting import eventually
from tests.notifications.smtp import SmtpServer, parts
from tests.web.conftest import DIST, Person, require_built_app

pytestmark = [pytest.mark.e2e, pytest.mark.only_backend("sqlite")]
expect.set_options(timeout=15_000)

ADDRESS = "eve@example.org"
PASSWORD = "a long password"
NEW_PASSWORD = "a brand new password"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
async def base_url(settings: dict[str, Any], smtp: SmtpServer) -> AsyncIterator[str]:
    """The embedded stack serving the web app, mailing to the local SMTP server."""
    require_built_app()
    app = stack.build_embedded(**settings, **smtp.settings, web_dist=DIST)
    async with running_server(app) as url:
        yield url


async def mailed_link(smtp: SmtpServer, count: int) -> str:
    """The path and fragment of the token link in the `count`th message to the address."""

    async def arrived() -> Any:
        return len(smtp.inbox.to(ADDRESS)) >= count

    await eventually(arrived)
    text, _ = parts(smtp.inbox.to(ADDRESS)[count - 1])
    found = re.search(r"https?://[^/\s]+(/\S*#token=[\w-]+)", text)
    assert found is not None, text
    return found.group(1)


async def sign_in(page: Page, password: str) -> None:
    await page.get_by_label("Username").fill("eve")
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Your rooms")).to_be_visible()


async def test_the_mailed_links_verify_the_address_and_reset_the_password(
    people: Any, smtp: SmtpServer
) -> None:
    eve: Person = await people("eve")
    page = eve.page

    await page.goto("/register")
    await page.get_by_label("Username").fill("eve")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("E-mail").fill(ADDRESS)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Your rooms")).to_be_visible()

    # The verification link verifies the address, then leaves the address bar.
    await page.goto(await mailed_link(smtp, 1))
    await expect(page.get_by_role("status")).to_have_text(re.compile(f"{ADDRESS} is verified"))
    await expect(page).to_have_url(re.compile(r"/verify-email$"))
    await page.get_by_role("link", name="Your account").click()
    await expect(page.get_by_text(f"{ADDRESS} is verified.")).to_be_visible()

    # Signed out, eve asks for a reset link and chooses a new password with it.
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_role("link", name="Forgot your password?").click()
    await page.get_by_label("Username or e-mail").fill(ADDRESS)
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.get_by_role("status")).to_contain_text("If that account exists")
    reset = await mailed_link(smtp, 2)
    await page.goto(reset)
    await expect(page).to_have_url(re.compile(r"/reset-password$"))
    await eve.screenshot("reset-password-1280")
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_label("Repeat it").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set the password").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Your password is changed: sign in with the new one."
    )
    await sign_in(page, NEW_PASSWORD)
    assert eve.errors == []

    # The link works once.
    await page.goto(reset)
    await page.get_by_label("New password").fill(PASSWORD)
    await page.get_by_label("Repeat it").fill(PASSWORD)
    await page.get_by_role("button", name="Set the password").click()
    await expect(page.get_by_role("alert")).to_contain_text("invalid, was used already")
