"""The page survives a server restart: stop the server, start it again on the same port, and the page reconnects."""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_server
from tests.browser.pages import responses, submit, unique, wait_connected

# While the server is down, the client's reconnection attempts fail, and Chromium reports each one as a
# console error ("WebSocket connection to ... failed", "Failed to load resource: net::ERR_CONNECTION_REFUSED")
# and a failed request. Those, and only those, are expected for the span of the outage.
# Every one of them names a Socket.IO URL (the console text carries the URL it came from).
OUTAGE_PROBLEMS = r"/socket\.io/\?EIO=4&"


@pytest.fixture
def restartable_server():
    """A server of this test's own, since the test stops it; whichever process runs at the end is stopped."""
    servers = [start_server()]
    yield servers
    for process in servers:
        process.stop()
        os.unlink(process.log_path)


def test_page_reconnects_by_itself_after_a_server_restart(restartable_server, open_page, browser_problems):
    """After a restart on the same port, the page reconnects without help, with a new sid, and the feed resumes."""
    first = restartable_server[0]
    page = open_page(first.url + "/")
    old_sid = wait_connected(page)
    expect(page.locator("#numbers li")).to_have_count(10)

    with browser_problems.tolerate(OUTAGE_PROBLEMS, "the server is down on purpose until the page reconnects"):
        first.stop()
        expect(page.locator("#status")).to_have_text(
            # Either state is right while the server is down; which one shows depends on the retry timer.
            re.compile(r"^(Connection lost, reconnecting…|Reconnecting \(attempt \d+\)…)$")
        )
        expect(page.locator("#sid")).to_have_text("—")
        expect(page.locator("#status")).to_have_text(re.compile(r"^Reconnecting \(attempt \d+\)…$"))
        page.evaluate("() => { document.getElementById('numbers').replaceChildren(); }")

        second = start_server(port=first.port)
        restartable_server.append(second)
        new_sid = wait_connected(page)

    assert new_sid != old_sid
    second.wait_for_output(f"connect sid={new_sid} ", timeout=10)
    expect(page.locator("#log")).to_contain_text("Reconnected after")
    # The feed resumes: the emptied list fills again from the new server's task.
    expect(page.locator("#numbers li")).to_have_count(10)
    text = unique("after-restart")
    submit(page, "#emit_data", text)
    expect(responses(page, text)).to_contain_text(f"{text} · count 1")
