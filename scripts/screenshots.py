"""Regenerate the README screenshots in docs/: the playground on a laptop and a phone, the compare view in use,
and the Admin UI watching playground clients.

Starts the real server (the Procfile's command) on a free port and drives
Debian's Chromium with the same setup as the browser tests. Run it with
`make screenshots` (that is, `.venv/bin/python scripts/screenshots.py`);
name pictures (`scripts/screenshots.py admin-ui.png`) to take only those.
"""

import os
import re
import sys

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT_ROOT)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from playground.config import NAMESPACE  # noqa: E402
from tests.browser.chromium import INSTALL_HINT, LAPTOP, PHONE, chromium_available, launch  # noqa: E402
from tests.browser.pages import admin_log_in, admin_view  # noqa: E402
from tests.servers import ServerProcess, procfile_command  # noqa: E402

DOCS = os.path.join(PROJECT_ROOT, "docs")
TIMEOUT_MS = 15_000
FULL_CHART = re.compile(r"^(\S+ ){39}\S+$")


def converse(page):
    """Fill the playground with a short, typical session: a name, echo, broadcast, a room, a ping, the server's
    question, binary, `/`, some feed."""
    expect(page.locator("#status")).to_have_text("Connected", timeout=TIMEOUT_MS)
    page.fill("#name", "Ada")
    page.press("#name", "Enter")
    expect(page.locator("#my_name")).to_have_text("Ada", timeout=TIMEOUT_MS)
    page.fill("#emit_data", "Hello, just me")
    page.press("#emit_data", "Enter")
    page.fill("#broadcast_data", "Hello, everyone")
    page.press("#broadcast_data", "Enter")
    page.fill("#room_name", "lobby")
    page.press("#room_name", "Enter")
    expect(page.locator("#rooms li")).to_have_text(["lobby"], timeout=TIMEOUT_MS)
    page.fill("#room_event_data", "Hello, lobby")
    page.press("#room_event_data", "Enter")
    page.click("#ping")
    expect(page.locator("#latency")).not_to_have_text("— ms", timeout=TIMEOUT_MS)
    page.fill("#json_data", '{"hello": "world", "n": 1}')
    page.press("#json_data", "Enter")
    page.click("#call_me")
    expect(page.locator("#call_result")).to_contain_text("You answered", timeout=TIMEOUT_MS)
    page.click("#binary_bytes")
    expect(page.locator("#binary_size")).to_have_text("256 bytes", timeout=TIMEOUT_MS)
    page.fill("#root_emit_data", "Hello from /")
    page.press("#root_emit_data", "Enter")
    expect(page.locator("#numbers li")).to_have_count(10, timeout=TIMEOUT_MS)
    # Let the chart fill its width (40 points) so the picture shows what the feed looks like.
    expect(page.locator("#chart_line")).to_have_attribute("points", FULL_CHART, timeout=TIMEOUT_MS)
    page.locator("#emit_data").focus()


def playground(browser, base_url, viewport, name, **context_options):
    """Screenshot the playground page at `viewport` after a short session."""
    context = browser.new_context(viewport=viewport, **context_options)
    page = context.new_page()
    page.goto(base_url + "/")
    converse(page)
    path = os.path.join(DOCS, name)
    page.screenshot(path=path, full_page=viewport is PHONE)
    context.close()
    return path


def compare(browser, base_url):
    """Screenshot the compare view with three clients after echoes and a broadcast."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(base_url + "/compare")
    page.click("#add_client")
    panes = page.locator(".client")
    expect(panes).to_have_count(3, timeout=TIMEOUT_MS)
    for index in range(3):
        expect(panes.nth(index).locator(".status")).to_have_text("Connected", timeout=TIMEOUT_MS)
    panes.nth(0).locator(".emit-data").fill("Only client 1 sees this echo")
    panes.nth(0).locator(".emit-data").press("Enter")
    panes.nth(1).locator(".broadcast-data").fill("Client 2 says hello to everyone")
    panes.nth(1).locator(".broadcast-data").press("Enter")
    panes.nth(2).locator(".emit-data").fill("Client 3 talks to itself")
    panes.nth(2).locator(".emit-data").press("Enter")
    panes.nth(0).locator(".direct-target").select_option("3")
    panes.nth(0).locator(".direct-data").fill("Psst, client 3")
    panes.nth(0).locator(".direct-data").press("Enter")
    for index in range(3):
        expect(panes.nth(index).locator(".client-log")).to_contain_text("Client 2 says hello", timeout=TIMEOUT_MS)
    expect(panes.nth(2).locator(".client-log")).to_contain_text("Psst, client 3", timeout=TIMEOUT_MS)
    expect(panes.nth(2).locator(".client-log")).to_contain_text("talks to itself", timeout=TIMEOUT_MS)
    page.locator("body").click(position={"x": 5, "y": 5})
    path = os.path.join(DOCS, "compare.png")
    page.screenshot(path=path)
    context.close()
    return path


def admin_ui(browser):
    """Screenshot the Admin UI's Sockets view with three playground clients, on a server of its own with it on."""
    password = "screenshot-only-password"
    env = {"FEED_INTERVAL": "0.15", "ADMIN_PASSWORD": password}
    with ServerProcess(procfile_command(), env=env) as server:
        context = browser.new_context(viewport=LAPTOP)
        admin = context.new_page()
        admin.goto(server.url + "/admin/")
        admin_log_in(admin, password)
        expect(admin.locator(".v-dialog")).to_be_hidden(timeout=TIMEOUT_MS)
        for transport in ("websocket", "websocket", "polling"):
            page = context.new_page()
            page.goto(f"{server.url}/?transport={transport}")
            converse(page)
        admin.bring_to_front()
        admin_view(admin, "Sockets", NAMESPACE)
        expect(admin.locator("tbody tr")).to_have_count(3, timeout=TIMEOUT_MS)
        path = os.path.join(DOCS, "admin-ui.png")
        admin.screenshot(path=path)
        context.close()
    return path


def main():
    """Take every screenshot (or the ones named on the command line) and print where each one went."""
    if not chromium_available():
        sys.exit(f"Chromium not found; install it with `{INSTALL_HINT}`.")
    os.makedirs(DOCS, exist_ok=True)
    wanted = set(sys.argv[1:])
    with ServerProcess(procfile_command(), env={"FEED_INTERVAL": "0.15"}) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        shots = {
            "playground-laptop.png": lambda: playground(browser, server.url, LAPTOP, "playground-laptop.png"),
            "playground-phone.png": lambda: playground(
                browser, server.url, PHONE, "playground-phone.png", device_scale_factor=2, is_mobile=True
            ),
            "compare.png": lambda: compare(browser, server.url),
            "admin-ui.png": lambda: admin_ui(browser),
        }
        try:
            paths = [take() for name, take in shots.items() if not wanted or name in wanted]
        finally:
            browser.close()
    for path in paths:
        print(os.path.relpath(path, PROJECT_ROOT))


if __name__ == "__main__":
    main()
