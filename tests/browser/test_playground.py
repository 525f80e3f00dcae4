"""The playground page in two independent browsers, A and B, against one real server (gunicorn + gevent-websocket)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import broadcast_barrier, received, responses, submit, unique, wait_connected

TRANSPORTS = ["auto", "polling"]


@pytest.fixture
def two_pages(server, open_page, request):
    """Pages A and B, each in its own browser context, both connected, on the transport the test asks for."""
    transport = getattr(request, "param", "auto")
    query = "" if transport == "auto" else f"?transport={transport}"
    # Both start loading before either is waited for, so their page loads overlap.
    page_a = open_page(server.url + "/" + query, wait_until="commit")
    page_b = open_page(server.url + "/" + query, who="B", wait_until="commit")
    wait_connected(page_a)
    wait_connected(page_b)
    return page_a, page_b


@pytest.mark.parametrize("two_pages", TRANSPORTS, indirect=True)
def test_echo_reaches_only_the_sender(two_pages):
    """An echo from A is logged in A, once, and never in B."""
    page_a, page_b = two_pages
    text = unique("echo")
    submit(page_a, "#emit_data", text)
    expect(responses(page_a, text)).to_have_count(1)
    expect(page_a.locator("#emit_data")).to_have_value("")
    broadcast_barrier(page_a, page_b)
    expect(responses(page_b, text)).to_have_count(0)
    expect(page_b.locator("#log")).not_to_contain_text(text)


@pytest.mark.parametrize("two_pages", TRANSPORTS, indirect=True)
def test_broadcast_reaches_both_exactly_once(two_pages):
    """A broadcast from A is logged exactly once in A and exactly once in B, as its own entry."""
    page_a, page_b = two_pages
    text = unique("broadcast")
    submit(page_a, "#broadcast_data", text)
    expect(responses(page_a, text)).to_have_count(1)
    expect(responses(page_b, text)).to_have_count(1)
    # Anything duplicated would have arrived before a later broadcast does.
    broadcast_barrier(page_b, page_a)
    expect(responses(page_a, text)).to_have_count(1)
    expect(responses(page_b, text)).to_have_count(1)
    expect(responses(page_a, text)).to_contain_text(re.compile(rf"{text} · count \d+"))


def test_numbers_follow_the_feed_and_keep_the_last_ten(two_pages):
    """`#numbers` on both pages fills up to ten, keeps changing, and never holds more than ten."""
    for page in two_pages:
        # Watch every change to the list from now on, recording the most items it ever held.
        page.evaluate(
            """() => {
                const list = document.getElementById("numbers");
                window.feedSeen = { added: 0, most: list.childElementCount };
                new MutationObserver((records) => {
                    for (const record of records) window.feedSeen.added += record.addedNodes.length;
                    window.feedSeen.most = Math.max(window.feedSeen.most, list.childElementCount);
                }).observe(list, { childList: true });
            }"""
        )
    for page in two_pages:
        expect(page.locator("#numbers li")).to_have_count(10)
        expect(page.locator("#numbers li").first).to_have_text(re.compile(r"^\d{1,2}\.\d{3}$"))
    for page in two_pages:
        page.wait_for_function("() => window.feedSeen.added >= 15", timeout=15_000)
        seen = page.evaluate("() => window.feedSeen")
        assert seen["most"] <= 10, seen
        values = [float(text) for text in page.locator("#numbers li").all_text_contents()]
        assert len(values) == 10 and all(0 <= value <= 10 for value in values), values
        # The chart draws the same feed: one point per number, up to its 40.
        points = page.locator("#chart_line").get_attribute("points").split()
        assert 15 <= len(points) <= 40, points


def test_closing_b_shows_its_disconnect_in_a(two_pages):
    """When B's page closes, A's presence count drops and A's log names B's disconnect."""
    page_a, page_b = two_pages
    sid_b = page_b.locator("#sid").text_content()
    expect(received(page_a, "presence", f"connect sid={sid_b}")).to_have_count(1)
    count_with_b = int(page_a.locator("#presence_count").text_content())
    page_b.close()
    gone = received(page_a, "presence", f"disconnect sid={sid_b}")
    expect(gone).to_have_count(1)
    left = int(re.search(r"(\d+) connected", gone.text_content()).group(1))
    assert left < count_with_b
    expect(page_a.locator("#presence_count")).to_have_text(str(left))


def test_rooms_join_message_leave_close(two_pages):
    """Both join a room and get its messages; after B leaves only A does; closing it tells every member."""
    page_a, page_b = two_pages
    room = unique("room")
    for page in two_pages:
        submit(page, "#room_name", room)  # Enter presses the first button: Join
        expect(page.locator("#rooms li")).to_have_text([room])
        expect(responses(page, f"In rooms: {room}")).to_have_count(1)

    first = unique("to-both")
    submit(page_a, "#room_event_data", first)
    expect(responses(page_a, first)).to_have_count(1)
    expect(responses(page_b, first)).to_have_count(1)

    page_b.get_by_role("button", name="Leave").click()
    expect(page_b.locator("#rooms li")).to_have_count(0)
    expect(responses(page_b, "In no room")).to_have_count(1)
    second = unique("to-a-only")
    submit(page_a, "#room_event_data", second)
    expect(responses(page_a, second)).to_have_count(1)
    broadcast_barrier(page_a, page_b)
    expect(responses(page_b, second)).to_have_count(0)

    # B comes back; A closes the room: both members are told, and neither page lists the room any more.
    submit(page_b, "#room_name", room)
    expect(page_b.locator("#rooms li")).to_have_text([room])
    page_a.get_by_role("button", name="Close").click()
    for page in two_pages:
        expect(responses(page, f"Room {room} is closing.")).to_have_count(1)
        expect(page.locator("#rooms li")).to_have_count(0)
    # The room is gone: a message to it reaches nobody, not even the former members.
    third = unique("after-close")
    submit(page_a, "#room_event_data", third)
    broadcast_barrier(page_a, page_b)
    for page in two_pages:
        expect(responses(page, third)).to_have_count(0)


def test_markup_in_messages_is_shown_as_text_and_runs_nothing(two_pages):
    """`<img src=x onerror=alert(1)>` from A shows as literal text in both logs; no element, no dialog, no request."""
    page_a, page_b = two_pages
    dialogs, image_requests = [], []
    for page in two_pages:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: request.url.endswith("/x") and image_requests.append(request.url))
    payload = "<img src=x onerror=alert(1)>"
    submit(page_a, "#broadcast_data", payload)
    submit(page_a, "#emit_data", payload + " echo")
    submit(page_a, "#room_name", payload)  # joining a room named like that echoes the name back
    for page in two_pages:
        expect(responses(page, payload)).not_to_have_count(0)
        assert payload in responses(page, payload).first.text_content()
    expect(page_a.locator("#rooms li")).to_have_text([payload])
    broadcast_barrier(page_a, page_b)
    for page in two_pages:
        expect(page.locator("img:not(#binary_image)")).to_have_count(0)
        assert page.evaluate("() => typeof window.alert") == "function"
    assert dialogs == []
    assert image_requests == []


def test_disconnect_button_disconnects_and_connect_comes_back(two_pages):
    """The disconnect button asks the server to disconnect; the page says so; Connect gets a new session."""
    page_a, page_b = two_pages
    sid_a = page_a.locator("#sid").text_content()
    page_a.get_by_role("button", name="Disconnect").click()
    expect(responses(page_a, "Disconnected!")).to_have_count(1)
    expect(page_a.locator("#status")).to_have_text("Disconnected")
    expect(page_a.locator("#sid")).to_have_text("—")
    expect(page_a.get_by_role("button", name="Disconnect")).to_be_disabled()
    expect(page_a.locator("#log")).to_contain_text("Disconnected (io server disconnect).")
    expect(received(page_b, "presence", f"disconnect sid={sid_a}")).to_have_count(1)

    # While disconnected, a message is refused on the page instead of queued for later.
    submit(page_a, "#emit_data", "not sent")
    expect(page_a.locator("#log .entry-error", has_text='"my event" was not sent')).to_have_count(1)

    page_a.get_by_role("button", name="Connect", exact=True).click()
    new_sid = wait_connected(page_a)
    assert new_sid != sid_a
    expect(received(page_b, "presence", f"connect sid={new_sid}")).to_have_count(1)
    text = unique("after-reconnect")
    submit(page_a, "#emit_data", text)
    expect(responses(page_a, text)).to_contain_text(f"{text} · count 1")


def test_ping_send_json_and_errors(two_pages):
    """Ping shows a latency; send and json round-trip; bad JSON is caught locally; `my error` stands out."""
    page_a, _ = two_pages
    page_a.get_by_role("button", name="Ping").click()
    expect(page_a.locator("#latency")).to_have_text(re.compile(r"^\d+ ms$"))
    expect(received(page_a, "my pong")).to_have_count(1)

    text = unique("plain")
    submit(page_a, "#send_data", text)
    expect(received(page_a, "message", text)).to_have_count(1)

    page_a.locator("#json_data").fill('{"greeting": "hi", "n": [1, 2]}')
    page_a.locator("#json_data").press("Enter")
    expect(received(page_a, "json", '{"greeting":"hi","n":[1,2]}')).to_have_count(1)

    sent_before = page_a.locator('#log li[data-direction="sent"]').count()
    page_a.locator("#json_data").fill("{not json")
    page_a.locator("#json_data").press("Enter")
    expect(page_a.locator("#json_error")).to_be_visible()
    expect(page_a.locator("#json_error")).to_contain_text("Not valid JSON")
    expect(page_a.locator("#json_data")).to_have_attribute("aria-invalid", "true")
    assert page_a.locator('#log li[data-direction="sent"]').count() == sent_before

    page_a.locator("#json_data").fill("[1, 2]")  # valid JSON, but the server wants an object
    page_a.locator("#json_data").press("Enter")
    expect(page_a.locator("#json_error")).to_be_hidden()
    error = received(page_a, "my error", "expected a JSON object")
    expect(error).to_have_count(1)
    expect(error).to_have_class(re.compile(r"\bentry-error\b"))
    wait_connected(page_a)  # bad input leaves the connection up


def test_transport_is_shown_and_can_be_forced(server, open_page, browser_problems):
    """Auto mode upgrades to WebSocket and says so; the page's control forces polling (which sticks) or WebSocket."""
    page = open_page(server.url + "/")
    wait_connected(page)
    expect(page.locator("#transport")).to_have_text("websocket")
    page.get_by_label("Transport", exact=True).select_option("polling")
    page.get_by_role("button", name="Reconnect with it").click()
    expect(page).to_have_url(re.compile(r"/\?transport=polling$"))
    sid = wait_connected(page)
    expect(page.locator("#transport")).to_have_text("polling (forced)")
    expect(page.get_by_label("Transport", exact=True)).to_have_value("polling")
    server.wait_for_output(f"connect sid={sid} addr=127.0.0.1 transport=polling", timeout=10)
    # A few feed ticks later it is still on polling: nothing upgraded it.
    expect(page.locator("#numbers li")).to_have_count(10)
    expect(page.locator("#transport")).to_have_text("polling (forced)")
    text = unique("over-polling")
    submit(page, "#emit_data", text)
    expect(responses(page, text)).to_have_count(1)

    # And the other way: WebSocket only, without the polling handshake.
    page.get_by_label("Transport", exact=True).select_option("websocket")
    with browser_problems.tolerate(
        r"/socket\.io/\?EIO=4&transport=polling.* net::ERR_ABORTED",
        "leaving a page on long-polling aborts its pending poll request; that is the navigation, not a fault",
    ):
        page.get_by_role("button", name="Reconnect with it").click()
        expect(page).to_have_url(re.compile(r"/\?transport=websocket$"))
    sid = wait_connected(page)
    expect(page.locator("#transport")).to_have_text("websocket (forced)")
    server.wait_for_output(f"connect sid={sid} addr=127.0.0.1 transport=websocket", timeout=10)


def test_inline_script_is_blocked_by_the_csp(server, open_page, browser_problems):
    """An inline script injected into the page does not run, and the browser reports the CSP violation."""
    page = open_page(server.url + "/")
    wait_connected(page)
    page.evaluate(
        """() => {
            window.cspViolations = [];
            document.addEventListener("securitypolicyviolation", (event) => {
                window.cspViolations.push(event.effectiveDirective);
            });
        }"""
    )
    with browser_problems.tolerate(
        r"inline script violates the following Content Security Policy directive 'script-src 'self''",
        "this test injects an inline script precisely to see the CSP refuse it",
    ):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineScriptRan = true;";
                document.body.append(script);
            }"""
        )
        page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.evaluate("() => window.inlineScriptRan === undefined")
    assert page.evaluate("() => window.cspViolations") == ["script-src-elem"]
    # The page itself still works.
    text = unique("after-csp")
    submit(page, "#emit_data", text)
    expect(responses(page, text)).to_have_count(1)
