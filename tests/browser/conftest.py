"""Fixtures for the browser tests: the real server (the Procfile's command), Debian's Chromium, and watched pages.

Every page a test opens is watched: a console error, an uncaught exception
or a failed request fails the test at teardown. A test that provokes some
on purpose (a server outage, a blocked inline script) says so narrowly with
`browser_problems.tolerate(...)`, for the span of a `with` block only.
"""

import contextlib
import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.chromium import CHROMIUM_PATH, INSTALL_HINT, chromium_available, launch
from tests.browser.pages import wait_connected
from tests.servers import ServerProcess, procfile_command

# Generous: the machine is shared with other test runs; waits end as soon as the page is ready.
TIMEOUT_MS = 15_000
# A fast feed, so "the numbers update" takes a fraction of a second to see.
FEED_INTERVAL = "0.2"


def pytest_collection_modifyitems(items):
    """Mark every test in this directory as a browser test (`-m browser` selects them)."""
    for item in items:
        if "tests/browser/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout():
    """Give every `expect` assertion the generous timeout."""
    expect.set_options(timeout=TIMEOUT_MS)


def start_server(port=None):
    """Start the Procfile's `web` command (gunicorn + gevent-websocket) with a fast feed."""
    return ServerProcess(procfile_command(), env={"FEED_INTERVAL": FEED_INTERVAL}, port=port).start()


@pytest.fixture(scope="module")
def server():
    """One server per test module: the tests in a module do not disturb each other's clients."""
    process = start_server()
    yield process
    process.stop()
    os.unlink(process.log_path)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; skipped locally without it, but a failure under CI=true."""
    if not chromium_available():
        message = f"Chromium not found at {CHROMIUM_PATH}: install it with `{INSTALL_HINT}`"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests must run, not skip)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


class BrowserProblems:
    """Console errors, page errors and failed requests seen by the watched pages, minus the tolerated ones."""

    def __init__(self):
        """Start with nothing seen and nothing tolerated."""
        self.seen = []
        self._tolerated = []

    def record(self, kind, text):
        """Keep a problem unless an active `tolerate` block matches it."""
        if not any(pattern.search(text) for pattern in self._tolerated):
            self.seen.append(f"{kind}: {text}")

    @contextlib.contextmanager
    def tolerate(self, pattern, why):
        """Within the block, ignore problems whose text matches `pattern`; `why` documents the reason."""
        assert why, "say why these problems are expected"
        compiled = re.compile(pattern)
        self._tolerated.append(compiled)
        try:
            yield
        finally:
            self._tolerated.remove(compiled)

    def close(self, target):
        """Close a page or context at the end of a test.

        Closing ends the page's connection, which can abort a pending
        long-poll request: that is the test ending, not a page problem.
        """
        with self.tolerate(r"/socket\.io/.*ERR_ABORTED", "the page is being closed at the end of the test"):
            target.close()

    def watch(self, page):
        """Record the page's console errors, uncaught exceptions and failed requests."""
        page.on(
            "console",
            lambda message: message.type == "error" and self.record("console error", _console_text(message)),
        )
        page.on("pageerror", lambda error: self.record("page error", str(error)))
        page.on(
            "requestfailed",
            lambda request: self.record("failed request", f"{request.method} {request.url} {request.failure}"),
        )


def _console_text(message):
    """A console message's text with the URL it came from, so a tolerated pattern can name the URL."""
    location = message.location or {}
    return f"{message.text} @ {location.get('url', '')}"


@pytest.fixture
def browser_problems():
    """What the test's pages did wrong; asserted empty at teardown."""
    problems = BrowserProblems()
    yield problems
    assert problems.seen == [], "the browser reported problems:\n" + "\n".join(problems.seen)


@pytest.fixture(scope="module")
def browser_contexts(browser):
    """Independent browser contexts by name ("A", "B", ...), each like a separate browser, shared by a module's tests.

    Creating a context is the slow part of opening a page; the pages
    themselves (and so their connections) are new in every test.
    """
    contexts = {}

    def _context(name):
        if name not in contexts:
            contexts[name] = browser.new_context()
        return contexts[name]

    yield _context
    for context in contexts.values():
        context.close()


@pytest.fixture
def open_page(browser_contexts, browser_problems):
    """Open `url` in a new page of browser context `who`, watched for problems; closed after the test."""
    pages = []

    def _open(url, who="A", wait_until="load"):
        page = browser_contexts(who).new_page()
        pages.append(page)
        browser_problems.watch(page)
        page.goto(url, wait_until=wait_until)
        return page

    yield _open
    for page in pages:
        if not page.is_closed():
            browser_problems.close(page)


@pytest.fixture
def two_pages(server, open_page, request):
    """Pages A and B, each in its own browser context, both connected, on the transport a test may ask for.

    A is connected before B starts loading, so A hears B arrive (`presence`): with the two
    loads overlapping, B sometimes connected first and A never saw its connect (one CI run).
    """
    transport = getattr(request, "param", "auto")
    query = "" if transport == "auto" else f"?transport={transport}"
    page_a = open_page(server.url + "/" + query, wait_until="commit")
    wait_connected(page_a)
    page_b = open_page(server.url + "/" + query, who="B", wait_until="commit")
    wait_connected(page_b)
    return page_a, page_b
