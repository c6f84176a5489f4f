"""The admin panel follows the live stream, in headless Chromium over the API tests' backend: an
outbox message going dead raises the tab's dead-letter badge and shows its row, a retry clears it,
an audit entry appears on top, and another admin's new token appears in the list — all without a
refresh, and without losing what the admin is typing in the token form."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from mission.api.auth import issue_token
from mission.model import AuditEntry, OutboxMessage, OutboxStatus, Role
from tests.browser.conftest import Console, log_in


async def stored(console: Console, message: OutboxMessage, new: bool = False) -> None:
    """Store a message change and publish it, as mission control's LiveStore does."""
    store = console.backend.store
    await (store.enqueue(message) if new else store.update_message(message))
    console.backend.live.publish(replace(message, payload=dict(message.payload)))


async def audited(console: Console, entry: AuditEntry) -> None:
    await console.backend.store.add_audit(entry)
    console.backend.live.publish(entry)


async def test_the_admin_panel_and_its_badge_follow_the_live_stream(
    console: Console, page: Page, shots: Any
) -> None:
    await log_in(page, console, "admin")
    await page.click(".tabs [data-tab=admin]")
    await expect(page.locator("#admin-outbox .empty")).to_be_visible()
    await expect(page.locator("#count-admin")).to_have_text("")
    await page.fill("#token-name", "half-typed")  # the live updates below must not wipe it

    message = OutboxMessage("lead.created", {"lead_id": "L-9"}, "lead.created:L-9", lead_id="L-9")
    await stored(console, message, new=True)
    row = page.locator(f"#admin-outbox tr[data-id='{message.id}']")
    await expect(row).to_have_attribute("data-status", "pending")
    await expect(page.locator("#count-admin")).to_have_text("")

    message.attempts, message.last_error = 1, "HTTP 503 from the grid platform"
    await stored(console, message)
    await expect(row.locator("td.num")).to_have_text("1")
    message.attempts, message.status = 8, OutboxStatus.DEAD
    await stored(console, message)
    await expect(page.locator("#count-admin")).to_have_text("1")
    await expect(row).to_have_attribute("data-status", "dead")
    await expect(row.locator("[data-action=retry]")).to_have_count(1)
    await expect(row).to_contain_text("HTTP 503 from the grid platform")

    # the badge follows while another tab is shown too
    await page.click(".tabs [data-tab=missions]")
    other = OutboxMessage("lead.verified", {"lead_id": "L-8"}, "lead.verified:L-8", status=OutboxStatus.DEAD)
    await stored(console, other, new=True)
    await expect(page.locator("#count-admin")).to_have_text("2")
    await page.screenshot(path=str(shots / "console-admin-badge.png"))

    # another dispatcher retries one: the row goes back to pending, the audit entry comes on top
    message.status, message.attempts, message.last_error = OutboxStatus.PENDING, 0, None
    await stored(console, message)
    await audited(
        console, AuditEntry("dan", Role.DISPATCHER, "outbox.retry", message.id, details={"outcome": "done"})
    )
    await expect(page.locator("#count-admin")).to_have_text("1")
    await page.click(".tabs [data-tab=admin]")
    await expect(row).to_have_attribute("data-status", "pending")
    first = page.locator("#admin-audit tbody tr").first
    await expect(first).to_have_attribute("data-action", "outbox.retry")
    await expect(first).to_contain_text("dan")

    # another admin issues a token: its audit entry brings the new token into the list
    record, _ = await issue_token(console.backend.store, "night-shift", Role.VIEWER)
    await audited(
        console, AuditEntry("root", Role.ADMIN, "token.create", record.id, details={"name": "night-shift"})
    )
    await expect(page.locator("#admin-tokens tr[data-name=night-shift]")).to_contain_text("viewer")
    await expect(page.locator("#token-name")).to_have_value("half-typed")
    await page.screenshot(path=str(shots / "console-admin-live.png"))
    # the language switch redraws the open panel at once
    await page.click("#lang")
    await expect(page.locator("#admin-outbox h3")).to_contain_text("推送网格平台的消息")
    await expect(page.locator("#token-name")).to_have_value("half-typed")
    await page.click("#lang")
    await expect(page.locator("#admin-outbox h3")).to_contain_text("Outbox to the grid platform")
