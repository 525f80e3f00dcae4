"""What the browser tests do on a page and look for in it, in the page's own terms (ids, log entries)."""

import re
import uuid

from playwright.sync_api import expect

SID = re.compile(r"^[A-Za-z0-9_-]{8,}$")


def unique(prefix):
    """A message no other test (or earlier run) can have sent."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def responses(scope, text):
    """The `my response` entries received in `scope`'s log whose text contains `text`."""
    return scope.locator('.log li[data-direction="received"][data-event="my response"]', has_text=text)


def received(scope, event, text=""):
    """The entries of `event` received in `scope`'s log, optionally containing `text`."""
    selector = f'.log li[data-direction="received"][data-event="{event}"]'
    return scope.locator(selector, has_text=text) if text else scope.locator(selector)


def wait_connected(page, status="#status", sid="#sid"):
    """Wait until the page says it is connected; return its sid."""
    expect(page.locator(status)).to_have_text("Connected")
    expect(page.locator(sid)).to_have_text(SID)
    return page.locator(sid).text_content()


def submit(scope, input_selector, text):
    """Type `text` into a form's input and press Enter, as a user would."""
    field = scope.locator(input_selector)
    field.fill(text)
    field.press("Enter")


def broadcast_barrier(sender, *others):
    """Broadcast a fresh marker from `sender` and wait until every page has it.

    Whatever the server sent a page before the marker has arrived by then, so
    a test can assert that something did *not* arrive without sleeping.
    """
    marker = unique("barrier")
    submit(sender, "#broadcast_data", marker)
    for page in (sender, *others):
        expect(responses(page, marker)).to_have_count(1)


def admin_log_in(page, password, username="admin"):
    """Fill the Admin UI's connection dialog as a user would (its URL is prefilled) and press Connect."""
    dialog = page.locator(".v-dialog")
    dialog.locator("form input").nth(1).fill(username)
    dialog.locator("input[type='password']").fill(password)
    dialog.get_by_role("button", name="Connect").click()


def admin_view(page, name, namespace=None):
    """Go to one of the Admin UI's views through its navigation drawer, and pick `namespace` in its selector."""
    page.locator("nav").get_by_text(name, exact=True).click()
    if namespace:
        page.get_by_role("button", name="Select namespace").click()
        page.locator(".v-menu__content .v-list-item", has_text=namespace).click()
