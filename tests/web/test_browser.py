"""The web app in a real headless Chromium against the real embedded stack: two people in two
browser contexts work together live, on each backend, with no console error and the page's
Content-Security-Policy in force. Screenshots go to test-artifacts/web (not committed)."""

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.web.conftest import PHONE, Person, png

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)

PASSWORD = "a long password"


async def register(page: Page, username: str) -> None:
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Your rooms")).to_be_visible()
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")


def card(page: Page, status: str, title: str) -> Any:
    column = page.locator(f'section[data-status="{status}"]')
    return column.get_by_test_id("task-card").filter(has_text=title)


async def test_two_people_work_together_live(people: Any) -> None:
    ann: Person = await people("ann")
    bob: Person = await people("bob")
    a, b = ann.page, bob.page

    # A registers and creates a room; B joins it with its code.
    await register(a, "ann")
    await a.get_by_label("New room").fill("Launch")
    await a.get_by_role("button", name="Create", exact=True).click()
    await a.wait_for_url(re.compile(r"/rooms/[^/]+$"))
    board_url = a.url
    await a.get_by_role("link", name="Members").click()
    code = (await a.get_by_test_id("join-code").inner_text()).strip()
    assert re.fullmatch(r"[A-Z0-9]{9}", code)
    await ann.screenshot("members-1280")

    await register(b, "bob")
    await b.get_by_label("Join with a code").fill(code.lower())
    await b.get_by_role("button", name="Join").click()
    await b.wait_for_url(board_url)
    await expect(b.get_by_role("heading", name="Launch")).to_be_visible()

    # A creates a task: B sees it appear without a reload.
    await a.get_by_role("link", name="Board").click()
    await a.get_by_label("Add a task to Pending").fill("Write the report")
    await a.get_by_label("Add a task to Pending").press("Enter")
    await expect(card(a, "pending", "Write the report")).to_be_visible()
    await expect(card(b, "pending", "Write the report")).to_be_visible()

    # B drags it to in progress: A sees it move.
    in_progress = b.locator('section[data-status="in_progress"]')
    await card(b, "pending", "Write the report").drag_to(in_progress)
    await expect(card(b, "in_progress", "Write the report")).to_be_visible()
    await expect(card(a, "in_progress", "Write the report")).to_be_visible()
    await expect(a.get_by_test_id("count-in_progress")).to_have_text("1")
    await expect(a.get_by_test_id("count-pending")).to_have_text("0")
    await ann.screenshot("board-1280")

    # Both open the task; B uploads an image and A sees its preview.
    await a.get_by_role("link", name="Write the report").click()
    await b.get_by_role("link", name="Write the report").click()
    await expect(a.get_by_role("heading", name="Comments")).to_be_visible()
    await b.locator('input[type="file"]').set_input_files(
        {"name": "chart.png", "mimeType": "image/png", "buffer": png(64, 48, (47, 91, 211))}
    )
    preview = a.get_by_test_id("preview")
    await expect(preview).to_be_visible()
    assert await preview.evaluate("img => img.complete && img.naturalWidth > 0")

    # A comments mentioning B with the autocomplete: B sees it, the mention a link.
    box = a.get_by_placeholder("Write a comment… (@ to mention)")
    await box.press_sequentially("Can you check the numbers, @bo")
    await a.get_by_role("option", name="@bob").click()
    await box.press_sequentially("?")
    await a.get_by_role("button", name="Comment", exact=True).click()
    comment = b.get_by_test_id("comment").filter(has_text="Can you check the numbers")
    await expect(comment).to_be_visible()
    await expect(comment.get_by_role("link", name="@bob")).to_be_visible()

    # B's bell counts the mention without a reload (A's counts B's move of A's task).
    await expect(b.get_by_role("link", name="1 unread notification")).to_be_visible()
    await expect(b.get_by_test_id("unread-count")).to_have_text("1")
    await expect(a.get_by_role("link", name="1 unread notification")).to_be_visible()
    # B opens the inbox: the mention is there; a new one arrives live on top; reading
    # them takes the bell to 0.
    await b.get_by_role("link", name="1 unread notification").click()
    entries = b.get_by_test_id("notification")
    await expect(entries).to_have_count(1)
    await expect(entries.first).to_contain_text("ann mentioned you on #1 Write the report")
    await entries.first.get_by_role("button", name="Mark read").click()
    await expect(b.get_by_role("link", name="No unread notifications")).to_be_visible()
    await expect(b.get_by_test_id("unread-count")).to_have_count(0)
    await box.fill("Thanks @bob ")
    await a.get_by_role("button", name="Comment", exact=True).click()
    await expect(entries).to_have_count(2)
    await expect(entries.first.get_by_role("button", name="Mark read")).to_be_visible()
    await expect(entries.nth(1).get_by_role("button", name="Mark read")).to_have_count(0)
    await expect(b.get_by_test_id("unread-count")).to_have_text("1")
    await b.get_by_role("button", name="Mark all read").click()
    await expect(b.get_by_role("link", name="No unread notifications")).to_be_visible()
    await bob.screenshot("inbox-1280")

    # B stops mentions by e-mail and asks for a daily digest: each change is saved.
    await b.get_by_role("link", name="Preferences").click()
    by_mail = b.get_by_label("Someone mentions you: by e-mail")
    await expect(by_mail).to_be_checked()
    async with b.expect_response(re.compile(r"/notifications/preferences$")) as saved:
        await by_mail.uncheck()
    assert (await (await saved.value).json())["kinds"]["mentioned"] == {
        "in_app": True,
        "email": False,
    }
    async with b.expect_response(re.compile(r"/notifications/preferences$")) as saved:
        await b.get_by_label("How e-mail comes").select_option("daily")
    assert (await (await saved.value).json())["email_delivery"] == "daily"
    await bob.screenshot("preferences-1280")
    await b.get_by_role("link", name="Back to notifications").click()
    await entries.first.get_by_role("link", name="ann mentioned you on #1 Write the report").click()

    # B watches the task, beside A who created it.
    await b.get_by_role("button", name="Watch", exact=True).click()
    await expect(b.get_by_role("button", name="Stop watching")).to_be_visible()
    await expect(b.locator(".watcher-list li")).to_have_count(2)
    await expect(b.locator(".watcher-list")).to_contain_text("bob (you)")
    await expect(a.locator(".watcher-list")).to_contain_text("ann (you) · created it")

    # A edits the first comment: B opens its "edited" marker and reads the earlier text.
    mine = a.get_by_test_id("comment").filter(has_text="Can you check the numbers")
    await mine.get_by_role("button", name="Edit").click()
    await a.get_by_label("Edit comment").fill("Can you check the numbers by Friday, @bob?")
    await a.get_by_role("button", name="Save", exact=True).click()
    await expect(comment).to_contain_text("by Friday")
    await comment.get_by_role("button", name="edited").click()
    await expect(comment.get_by_test_id("revision")).to_contain_text(
        "Can you check the numbers, @bob ?"  # as typed with the autocomplete
    )

    # A edits the description with a Markdown preview.
    await a.get_by_role("button", name="Edit description").click()
    await a.get_by_label("Description (Markdown)").fill("Numbers for **Q3**\n\n- revenue\n- costs")
    await a.get_by_role("tab", name="Preview").click()
    await expect(a.locator(".preview strong")).to_have_text("Q3")
    await a.get_by_role("button", name="Save", exact=True).click()
    await expect(b.locator(".description strong")).to_have_text("Q3")
    await ann.screenshot("task-1280")

    # A reload (or a new tab) keeps A signed in: the session cookie signs in again.
    await a.reload()
    await expect(a.locator(".description strong")).to_have_text("Q3")
    await expect(a.get_by_test_id("live-status")).to_have_text("Live")
    (session,) = [c for c in await ann.context.cookies() if c["name"] == "tasksync_refresh"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    assert "tasksync_refresh" not in await a.evaluate("document.cookie")

    # The same pages on a phone screen.
    await a.set_viewport_size(PHONE)
    await ann.screenshot("task-390")
    await a.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Launch").click()
    await expect(card(a, "in_progress", "Write the report")).to_be_visible()
    await ann.screenshot("board-390")
    await a.get_by_role("link", name="Rooms", exact=True).click()
    await expect(a.get_by_role("link", name="Launch")).to_be_visible()
    await ann.screenshot("rooms-390")
    await a.set_viewport_size({"width": 1280, "height": 800})
    await ann.screenshot("rooms-1280")

    # Signing out leaves the app at the sign-in page.
    await b.get_by_role("button", name="Sign out").click()
    await expect(b.get_by_role("heading", name="Sign in")).to_be_visible()
    await b.reload()
    await expect(b.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not [c for c in await bob.context.cookies() if c["name"] == "tasksync_refresh"]

    assert ann.errors == []
    assert bob.errors == []


async def test_the_page_runs_under_a_policy_without_inline_script(people: Any) -> None:
    eve: Person = await people("eve")
    response = await eve.page.goto("/rooms")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    await expect(eve.page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await eve.page.locator("script:not([src])").count() == 0
    ran = await eve.page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__inline = true";
            document.body.appendChild(script);
            return window.__inline === true;
        }"""
    )
    assert ran is False
    assert any("Content Security Policy" in error for error in eve.errors)
