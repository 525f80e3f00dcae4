"""The workbench in two independent browsers: the custom event card, the log's tools, the code beside the controls."""

import base64
import json
import os
import re

from playwright.sync_api import expect

from tests.browser.conftest import start_server
from tests.browser.pages import broadcast_barrier, received, responses, submit, unique, wait_connected
from tests.figures import record
from tests.servers import PROJECT_ROOT

ACK = re.compile(r"ack of #(\d+) · (\d+) ms")
# What a page reports while its server is down: every one names a Socket.IO URL.
OUTAGE = r"/socket\.io/\?EIO=4&"


def emit_custom(page, event, args="", ack=True, timeout=5000):
    """Fill the custom card on `page` and press its Emit button."""
    page.fill("#custom_event", event)
    page.fill("#custom_args", args)
    page.locator("#custom_ack").set_checked(ack)
    page.fill("#custom_timeout", str(timeout))
    page.locator("#custom button[type=submit]").click()


def sent(page, event, text=""):
    """The entries of `event` that `page`'s log shows as sent, optionally containing `text`."""
    return page.locator(f'#log > li[data-direction="sent"][data-event="{event}"]', has_text=text)


def answer_to(page, entry):
    """The entry of `page`'s log that answers the sent `entry` (its ack, or its timeout)."""
    return page.locator(f'#log > li[data-answers="{entry.get_attribute("data-entry")}"]')


def test_custom_broadcast_with_an_ack_reaches_b_once_and_ties_the_ack_to_its_entry(two_pages):
    """`my broadcast event` from A's card: B gets it exactly once; A's ack entry names A's sent entry and its ms."""
    page_a, page_b = two_pages
    text = unique("custom")
    emit_custom(page_a, "my broadcast event", json.dumps([{"data": text}]))
    expect(responses(page_b, text)).to_have_count(1)
    entry = sent(page_a, "my broadcast event", text)
    expect(entry).to_have_count(1)
    number = entry.get_attribute("data-entry")
    expect(entry).to_contain_text(f"#{number}")
    ack = answer_to(page_a, entry)
    expect(ack).to_have_count(1)
    expect(ack).to_have_attribute("data-direction", "received")
    expect(ack).to_have_attribute("data-event", "my broadcast event")
    expect(ack).to_contain_text(f"ack of #{number} · ")
    expect(ack).to_contain_text('"ok":true')
    elapsed = int(ACK.search(ack.text_content()).group(2))
    record("workbench", "custom broadcast ack round trip (ms)", elapsed)
    broadcast_barrier(page_b, page_a)
    expect(responses(page_b, text)).to_have_count(1)
    expect(responses(page_a, text)).to_have_count(1)


def test_a_custom_unknown_event_shows_my_error_and_a_failed_ack(two_pages):
    """An event outside the contract gets the server's `my error`, and the ack says ok: false."""
    page_a, _ = two_pages
    name = unique("no such event")
    emit_custom(page_a, name, "[1, 2]")
    expect(received(page_a, "my error", f"{name}: unknown event")).to_have_count(1)
    ack = answer_to(page_a, sent(page_a, name))
    expect(ack).to_contain_text('"ok":false')
    expect(ack).to_have_class(re.compile(r"\bentry-error\b"))


def test_markup_in_a_custom_event_name_and_arguments_is_shown_as_text(two_pages):
    """An event named like an element, with markup in its arguments: literal text in the log, no element, no request."""
    page_a, page_b = two_pages
    image_requests = []
    page_a.on("request", lambda request: request.url.endswith("/x") and image_requests.append(request.url))
    images = page_a.locator("img").count()
    name = "<img src=x onerror=alert(1)>"
    emit_custom(page_a, name, json.dumps(['<img src=x onerror="alert(2)">']))
    expect(received(page_a, "my error", f"{name}: unknown event")).to_have_count(1)
    expect(sent(page_a, name)).to_contain_text('<img src=x onerror="alert(2)">')
    broadcast_barrier(page_a, page_b)
    assert page_a.locator("img").count() == images
    assert image_requests == []


def test_a_custom_emit_on_the_root_namespace_is_answered_there(two_pages):
    """With `/` chosen, the event goes to `/`: its entry and its ack are in the `/` card's log, none in /test's."""
    page_a, _ = two_pages
    expect(page_a.locator("#root_status")).to_have_text("Connected")
    text = unique("root-custom")
    page_a.select_option("#custom_namespace", "/")
    emit_custom(page_a, "my event", json.dumps([{"data": text}]))
    root_sent = page_a.locator('#root_log > li[data-direction="sent"][data-event="my event"]', has_text=text)
    expect(root_sent).to_have_count(1)
    number = root_sent.get_attribute("data-entry")
    expect(page_a.locator(f'#root_log > li[data-answers="{number}"]')).to_contain_text('"ok":true')
    expect(page_a.locator("#root_log > li", has_text=text)).to_have_count(2)  # sent, and its my response
    expect(page_a.locator("#log > li", has_text=text)).to_have_count(0)
    page_a.select_option("#custom_namespace", "/test")


def test_bad_arguments_are_shown_beside_the_field_and_nothing_is_sent(two_pages):
    """Arguments that are not a JSON array, and reserved names, are refused on the page; the log stays as it was."""
    page_a, _ = two_pages
    before = page_a.locator('#log > li[data-direction="sent"]').count()
    emit_custom(page_a, "my event", '{"data": ')
    expect(page_a.locator("#custom_error")).to_contain_text("Not valid JSON")
    expect(page_a.locator("#custom_args")).to_have_attribute("aria-invalid", "")
    emit_custom(page_a, "my event", '{"data": "not in an array"}')
    expect(page_a.locator("#custom_error")).to_contain_text("JSON array")
    emit_custom(page_a, "connect", "[]")
    expect(page_a.locator("#custom_error")).to_contain_text("reserved event name")
    broadcast_barrier(page_a)
    expect(page_a.locator('#log > li[data-direction="sent"]')).to_have_count(before + 1)
    emit_custom(page_a, "my event", "")
    expect(page_a.locator("#custom_error")).to_be_hidden()
    expect(received(page_a, "my error", "my event: this event takes one payload, got none")).to_have_count(1)


def test_send_again_sends_a_second_identical_event(two_pages):
    """ "Send again" on a sent entry emits the same event with the same arguments: two entries, two answers."""
    page_a, page_b = two_pages
    text = unique("again")
    submit(page_a, "#emit_data", text)
    expect(responses(page_a, text)).to_have_count(1)
    sent(page_a, "my event", text).get_by_role("button", name="Send again").click()
    expect(sent(page_a, "my event", text)).to_have_count(2)
    expect(responses(page_a, text)).to_have_count(2)
    first, second = (sent(page_a, "my event", text).nth(index) for index in (0, 1))
    assert first.locator(".entry-detail").text_content() == second.locator(".entry-detail").text_content()
    broadcast_barrier(page_a, page_b)
    expect(responses(page_a, text)).to_have_count(2)
    expect(responses(page_b, text)).to_have_count(0)


def test_the_filter_hides_and_restores_entries(two_pages):
    """Only entries whose event name contains the filter text stay visible; clearing it shows every entry again."""
    page_a, _ = two_pages
    text = unique("filter")
    submit(page_a, "#emit_data", text)
    page_a.click("#ping")
    expect(received(page_a, "my pong")).to_have_count(1)
    entries = page_a.locator("#log > li")
    total = entries.count()
    page_a.fill("#log_filter", "PONG")
    expect(page_a.locator("#log > li:visible")).to_have_count(1)
    expect(page_a.locator("#log > li:visible")).to_have_attribute("data-event", "my pong")
    expect(responses(page_a, text)).to_be_hidden()
    # New entries obey the filter too.
    page_a.click("#ping")
    expect(page_a.locator("#log > li:visible")).to_have_count(2)
    page_a.fill("#log_filter", "")
    expect(page_a.locator("#log > li:visible")).to_have_count(entries.count())
    assert entries.count() > total


def test_export_downloads_json_that_holds_the_entries_seen(two_pages):
    """The export is a JSON array of {time, direction, namespace, event, args}, with the sent and received entries."""
    page_a, _ = two_pages
    text = unique("export")
    emit_custom(page_a, "my event", json.dumps([{"data": text}]))
    expect(answer_to(page_a, sent(page_a, "my event", text))).to_have_count(1)
    with page_a.expect_download() as download_info:
        page_a.click("#export_log")
    download = download_info.value
    assert re.fullmatch(r"socketio-log-.+\.json", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as exported:
        log = json.load(exported)
    assert len(log) == page_a.locator("#log > li").count()
    assert all({"time", "direction", "namespace", "event", "args"} <= set(item) for item in log)
    assert {item["direction"] for item in log} <= {"sent", "received", "note"}
    mine = [item for item in log if item["event"] == "my event" and item["direction"] == "sent"]
    assert [item["args"] for item in mine] == [[{"data": text}]]
    assert mine[0]["namespace"] == "/test"
    answers = [item for item in log if item["event"] == "my response" and item["args"][0]["data"] == text]
    assert len(answers) == 1 and answers[0]["direction"] == "received"
    acks = [item for item in log if item.get("answers") is not None and item["event"] == "my event"]
    assert acks and acks[0]["args"][0]["ok"] is True


def test_binary_arguments_export_as_base64_with_a_marker(two_pages):
    """The export's conversion, run in the page: bytes become {"$binary": base64}, everything else stays."""
    page_a, _ = two_pages
    converted = page_a.evaluate(
        """async () => {
            const { plainArgs } = await import("/static/js/plain-json.js");
            const bytes = new Uint8Array([0, 1, 2, 250, 255]);
            return plainArgs([bytes.buffer, { nested: [bytes.subarray(3)] }, "text", 7]);
        }"""
    )
    assert converted == [{"$binary": "AAEC+v8="}, {"nested": [{"$binary": "+v8="}]}, "text", 7]

    # And a real round trip: bytes 0-255 out as `my binary event`, back as `my binary response`, in the export.
    page_a.click("#binary_bytes")
    expect(received(page_a, "my binary response")).to_have_count(1)
    with page_a.expect_download() as download_info:
        page_a.click("#export_log")
    with open(download_info.value.path(), encoding="utf-8") as exported:
        log = json.load(exported)
    every_byte = base64.b64encode(bytes(range(256))).decode()
    binary = [(item["direction"], item["args"]) for item in log if item["event"].startswith("my binary")]
    assert ("sent", [{"$binary": every_byte}]) in binary
    assert ("received", [{"$binary": every_byte}]) in binary


def test_the_code_of_my_broadcast_event_is_its_handler_as_in_the_file(two_pages):
    """The open code block shows the handler, its decorator and `broadcast=True`, exactly as the file has it."""
    page_a, _ = two_pages
    details = page_a.locator('details.code[data-event="my broadcast event"]')
    block = details.locator('pre[data-file="playground/events.py"]')
    expect(block).to_be_hidden()
    details.locator("summary").click()
    expect(block).to_be_visible()
    shown = block.text_content()
    assert '@socketio.on("my broadcast event", namespace=NAMESPACE)' in shown
    assert "broadcast=True" in shown
    first, last = map(int, block.get_attribute("data-lines").split("-"))
    with open(os.path.join(PROJECT_ROOT, "playground", "events.py"), encoding="utf-8") as source:
        assert shown == "".join(source.readlines()[first - 1 : last]).rstrip("\n")
    expect(details).to_contain_text(f"playground/events.py, lines {first}-{last}")
    expect(details.locator('pre[data-file^="static/"]')).not_to_have_count(0)


def test_an_ack_timeout_while_the_server_is_stopped_says_timed_out(open_page, browser_problems):
    """With the server down, the event waits for the connection; no ack comes, and the log says it timed out."""
    process = start_server()
    page = None
    try:
        page = open_page(process.url + "/")
        wait_connected(page)
        with browser_problems.tolerate(OUTAGE, "the server is stopped on purpose"):
            process.stop()
            expect(page.locator("#status")).not_to_have_text("Connected")
            emit_custom(page, "my event", '[{"data": "anyone?"}]', timeout=800)
            held = page.locator('#log > li[data-direction="note"][data-event="my event"]', has_text="held")
            expect(held).to_have_count(1)
            number = held.get_attribute("data-entry")
            expect(answer_to(page, held)).to_contain_text(f"No ack of #{number} within 800 ms: timed out.")
            browser_problems.close(page)
    finally:
        if page is not None and not page.is_closed():
            with browser_problems.tolerate(OUTAGE, "the test failed while the server was down"):
                browser_problems.close(page)
        process.stop()
        os.unlink(process.log_path)
