"""A big board in a real Chromium: columns load page by page and keep only a window of cards
in the page, scrolling to a column's end brings its last task, keyboard steps and drags still
work. The app's code is the same on both backends: it runs on the embedded one."""

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tasksync.cli.seed import PASSWORD, seed
from tests.helpers.waiting import eventually
from tests.web.conftest import Person

pytestmark = [pytest.mark.e2e, pytest.mark.only_backend("sqlite")]
expect.set_options(timeout=15_000)

# About 300 tasks a column (the seed spreads them over the three).
TASKS = 900


def column(page: Page, status: str) -> Any:
    return page.locator(f'section[data-status="{status}"]')


async def test_a_big_column_loads_by_pages_and_renders_a_window(
    people: Any, base_url: str, settings: dict[str, Any]
) -> None:
    seeded = await seed(settings, users=1, rooms=1, tasks=TASKS, progress=lambda *_: None)
    (username,), (room_id,) = seeded.usernames, seeded.room_ids
    async with httpx.AsyncClient(base_url=f"{base_url}/api/v1") as http:
        login = await http.post("/auth/login", json={"username": username, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        http.headers.update(auth)
        counts = (await http.get(f"/rooms/{room_id}/tasks/counts")).json()
        last_page = await http.get(
            f"/rooms/{room_id}/tasks", params={"status": "pending", "sort": "-position", "limit": 1}
        )
        (last,) = last_page.json()["items"]
    assert counts["pending"] > 200

    ann: Person = await people("ann")
    a = ann.page
    await a.goto("/signin")
    await a.get_by_label("Username").fill(username)
    await a.get_by_label("Password").fill(PASSWORD)
    await a.get_by_role("button", name="Sign in").click()
    await expect(a.get_by_role("heading", name="Your rooms")).to_be_visible()
    await a.goto(f"/rooms/{room_id}")

    # The counts are the room's, not the loaded rows'; only a window of cards is in the page.
    pending = column(a, "pending")
    cards = pending.get_by_test_id("task-card")
    await expect(a.get_by_test_id("count-pending")).to_have_text(str(counts["pending"]))
    await expect(cards.first).to_be_visible()
    assert 0 < await cards.count() < 25
    assert (
        int(await pending.locator(".cards").get_attribute("data-loaded") or 0) < counts["pending"]
    )

    # Arrow keys step from card to card, the window following.
    await cards.first.get_by_role("link").focus()
    for _ in range(12):
        await a.keyboard.press("ArrowDown")
    focused = await a.evaluate("document.activeElement.closest('li').getAttribute('aria-posinset')")
    assert focused == "13"

    # Scrolling to the end loads page after page until the last task shows; still a window.
    await a.wait_for_function(
        """id => {
            const list = document.querySelector('section[data-status="pending"] .cards');
            list.scrollTop = list.scrollHeight;
            return list.querySelector(`[data-task="${id}"]`) !== null;
        }""",
        arg=last["id"],
        polling=100,
    )
    last_card = pending.locator(f'[data-task="{last["id"]}"]')
    await expect(last_card).to_be_visible()
    assert await cards.count() < 25

    # A drag of the last task to in progress changes its status and both counts.
    await last_card.drag_to(column(a, "in_progress"))
    await expect(column(a, "in_progress").locator(f'[data-task="{last["id"]}"]')).to_be_visible()
    await expect(a.get_by_test_id("count-pending")).to_have_text(str(counts["pending"] - 1))
    await expect(a.get_by_test_id("count-in_progress")).to_have_text(str(counts["in_progress"] + 1))

    async def saved() -> bool:
        async with httpx.AsyncClient(base_url=base_url, headers=auth) as http:
            task = (await http.get(f"/api/v1/tasks/{last['id']}")).json()
        return task["status"] == "in_progress"

    await eventually(saved)

    # A drop at the foot of a column puts the task after its last one, which is not loaded.
    first = cards.first
    first_id = await first.get_attribute("data-task")
    completed = column(a, "completed")
    await first.drag_to(completed.get_by_role("button", name="Load more"))
    await expect(a.get_by_test_id("count-completed")).to_have_text(str(counts["completed"] + 1))

    async def at_the_end() -> bool:
        async with httpx.AsyncClient(base_url=base_url, headers=auth) as http:
            params = {"status": "completed", "sort": "-position", "limit": 1}
            found = await http.get(f"/api/v1/rooms/{room_id}/tasks", params=params)
        return found.json()["items"][0]["id"] == first_id

    await eventually(at_the_end)

    # The list view is windowed too.
    await a.get_by_role("link", name="List").click()
    rows = a.get_by_test_id("task-row")
    await expect(rows.first).to_be_visible()
    assert 0 < await rows.count() < 40
    assert ann.errors == []
