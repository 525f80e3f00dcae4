"""The compare view: independent clients side by side in one tab, checked the way two browsers are."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import SID, received, responses, unique


def pane(page, number):
    """Client pane `number` (1-based, as its heading says)."""
    return page.locator(f'.client[data-client="{number}"]')


def pane_sid(page, number):
    """Wait until pane `number` is connected; return its sid."""
    client = pane(page, number)
    expect(client.locator(".status")).to_have_text("Connected")
    expect(client.locator(".sid")).to_have_text(SID)
    return client.locator(".sid").text_content()


def say(page, number, kind, text):
    """Type `text` into pane `number`'s echo or broadcast form and press Enter."""
    field = pane(page, number).get_by_label(re.compile(rf"^{kind}", re.IGNORECASE))
    field.fill(text)
    field.press("Enter")


@pytest.fixture
def compare_page(request, server, open_page):
    """The compare view with its two initial clients connected, on the transport the test asks for (default auto)."""
    transport = getattr(request, "param", "auto")
    query = "" if transport == "auto" else "?transport=polling"
    page = open_page(server.url + "/compare" + query)
    expect(page.locator(".client")).to_have_count(2)
    sids = [pane_sid(page, 1), pane_sid(page, 2)]
    assert len(set(sids)) == 2, "each pane must be its own connection"
    expected = "websocket" if transport == "auto" else "polling (forced)"
    for number in (1, 2):
        expect(pane(page, number).locator(".transport")).to_have_text(expected)
    return page


@pytest.mark.parametrize("compare_page", ["auto", "polling"], indirect=True)
def test_echo_stays_in_its_pane_and_broadcast_lands_in_every_pane(compare_page):
    """An echo from pane 1 is only in pane 1; a broadcast from pane 2 is exactly once in both."""
    page = compare_page
    echo = unique("echo")
    say(page, 1, "echo", echo)
    expect(responses(pane(page, 1), echo)).to_have_count(1)
    broadcast = unique("broadcast")
    say(page, 1, "broadcast", broadcast)
    for number in (1, 2):
        expect(responses(pane(page, number), broadcast)).to_have_count(1)
    # The broadcast left after the echo, so pane 2 would have had the echo by now.
    expect(responses(pane(page, 2), echo)).to_have_count(0)
    barrier = unique("barrier")
    say(page, 2, "broadcast", barrier)
    for number in (1, 2):
        expect(responses(pane(page, number), barrier)).to_have_count(1)
        expect(responses(pane(page, number), broadcast)).to_have_count(1)


def test_clients_can_be_added_and_removed(compare_page):
    """A third client gets its own sid and the broadcasts; removing it shows as a disconnect in the others."""
    page = compare_page
    page.get_by_role("button", name="Add client").click()
    expect(page.locator(".client")).to_have_count(3)
    expect(page.locator("#client_total")).to_have_text("3 clients on this page.")
    third = pane_sid(page, 3)
    assert third not in {pane_sid(page, 1), pane_sid(page, 2)}
    expect(pane(page, 3).get_by_label(re.compile("^echo", re.IGNORECASE))).to_be_focused()
    expect(received(pane(page, 1), "presence", f"connect sid={third}")).to_have_count(1)

    text = unique("from-third")
    say(page, 3, "broadcast", text)
    for number in (1, 2, 3):
        expect(responses(pane(page, number), text)).to_have_count(1)

    pane(page, 3).get_by_role("button", name="Remove").click()
    expect(page.locator(".client")).to_have_count(2)
    expect(page.locator("#client_total")).to_have_text("2 clients on this page.")
    for number in (1, 2):
        expect(received(pane(page, number), "presence", f"disconnect sid={third}")).to_have_count(1)


def test_markup_in_a_pane_is_text(compare_page):
    """Markup broadcast from one pane shows as text in every pane and creates no element."""
    page = compare_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = f"<img src=x onerror=alert(1)> {unique('markup')}"
    say(page, 1, "broadcast", payload)
    for number in (1, 2):
        expect(responses(pane(page, number), payload)).to_have_count(1)
    expect(page.locator("img")).to_have_count(0)
    assert dialogs == []


def test_a_pane_custom_card_broadcasts_with_an_ack_and_shows_my_error(compare_page):
    """Pane 1's compact custom card: `my broadcast event` lands once in pane 2, its ack is tied to pane 1's entry."""
    page = compare_page
    pane(page, 1).locator(".custom-details > summary").click()
    card = pane(page, 1).locator(".custom-form")
    text = unique("pane-custom")
    card.get_by_label("Custom event name").fill("my broadcast event")
    card.get_by_label("Arguments as a JSON array").fill(f'[{{"data": "{text}"}}]')
    card.get_by_role("button", name="Emit").click()
    expect(responses(pane(page, 2), text)).to_have_count(1)
    entry = pane(page, 1).locator('.log > li[data-direction="sent"][data-event="my broadcast event"]', has_text=text)
    number = entry.get_attribute("data-entry")
    ack = pane(page, 1).locator(f'.log > li[data-answers="{number}"]')
    expect(ack).to_contain_text(re.compile(rf"ack of #{number} · \d+ ms"))
    expect(pane(page, 2).locator(".log > li[data-answers]")).to_have_count(0)
    card.get_by_label("Custom event name").fill("nobody handles this")
    card.get_by_label("Arguments as a JSON array").fill("")
    card.get_by_role("button", name="Emit").click()
    expect(received(pane(page, 1), "my error", "nobody handles this: unknown event")).to_have_count(1)
