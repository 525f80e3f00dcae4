"""Accessibility in real Chromium: labels, the live log, visible focus, AA contrast, in both colour schemes."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import submit, unique, wait_connected

# Runs in the page: every visible text's contrast against its background, and every control's name.
# Its comment lines are dropped so that what Playwright gets is the bare function.
AUDIT = "\n".join(
    line
    for line in Path(__file__).with_name("audit.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")
)


@pytest.mark.parametrize("path", ["/", "/compare"])
def test_labels_and_contrast(server, open_page, path):
    """Every control has a label and every text meets WCAG AA contrast, in the light and the dark scheme."""
    page = open_page(server.url + path)
    if path == "/":
        wait_connected(page)
        # Put every kind of log entry on the page, so each one's colours are checked.
        submit(page, "#emit_data", unique("echo"))
        submit(page, "#room_name", "   ")  # an empty room name: the server answers `my error`
        expect(page.locator("#log .entry-error")).to_have_count(1)
        expect(page.locator("#numbers li")).to_have_count(10)
    else:
        expect(page.locator(".client .status")).to_have_text(["Connected", "Connected"])
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        background = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
        assert background == {"light": "rgb(243, 245, 248)", "dark": "rgb(15, 19, 24)"}[scheme]
        audit = page.evaluate(AUDIT)
        assert audit["unlabelled"] == [], scheme
        assert audit["lowContrast"] == [], scheme


def test_log_is_live_and_focus_is_visible(server, open_page):
    """The log is an aria-live region, and a keyboard user sees where the focus is."""
    page = open_page(server.url + "/")
    wait_connected(page)
    log = page.locator("#log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_attribute("role", "log")
    page.locator("body").press("Tab")  # the skip link comes first, and shows itself when focused
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.locator("#emit_data").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#emit_data")).to_be_focused()
    outline = page.locator("#emit_data").evaluate("(element) => getComputedStyle(element).outlineStyle")
    assert outline == "solid"
