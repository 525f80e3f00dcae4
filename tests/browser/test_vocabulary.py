"""Issue 11 in a real browser: names and refusals, `call me`, binary, broadcast to others, `/`, send to one client."""

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FEED_INTERVAL
from tests.browser.pages import SID, broadcast_barrier, responses, submit, unique, wait_connected
from tests.browser.test_compare import pane, pane_sid
from tests.servers import ServerProcess, procfile_command

CALL_TIMEOUT = "1"


@pytest.fixture(scope="module")
def server():
    """The Procfile's command with a short CALL_TIMEOUT, so an unanswered question ends within the test."""
    env = {"FEED_INTERVAL": FEED_INTERVAL, "CALL_TIMEOUT": CALL_TIMEOUT}
    with ServerProcess(procfile_command(), env=env) as process:
        yield process


@pytest.fixture
def two_pages(server, open_page):
    """Pages A and B in their own browser contexts, both connected."""
    page_a = open_page(server.url + "/", wait_until="commit")
    page_b = open_page(server.url + "/", who="B", wait_until="commit")
    wait_connected(page_a)
    wait_connected(page_b)
    return page_a, page_b


def main_log(page):
    """The `/test` log's card (the page's main event log)."""
    return page.locator(".log-card")


def root_card(page):
    """The card of namespace `/`, with its own log."""
    return page.locator(".root-card")


def rename(page, name):
    """Type `name` in the name field and reconnect with it, as a user does."""
    submit(page, "#name", name)


def tiny_png(width=6, height=4):
    """A valid PNG of `width` x `height` coloured pixels: the browser decodes it only if every byte came back."""

    def chunk(kind, data):
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes((x * 40, y * 60, 200)) for x in range(width)) for y in range(height))
    header = struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_names_show_in_from_and_in_the_presence_line(two_pages):
    page_a, page_b = two_pages
    rename(page_a, "Ada")
    expect(page_a.locator("#my_name")).to_have_text("Ada")
    rename(page_b, "Bob")
    expect(page_b.locator("#my_name")).to_have_text("Bob")
    expect(page_a.locator("#presence_last")).to_have_text("Bob connected")
    text = unique("named")
    submit(page_a, "#broadcast_data", text)
    for page in two_pages:
        expect(responses(main_log(page), text)).to_have_count(1)
        expect(responses(main_log(page), text)).to_contain_text(re.compile(rf"{text} · count \d+ · from Ada$"))


def test_a_refused_name_shows_the_servers_message_then_a_good_one_connects(server, open_page, browser_problems):
    page = open_page(server.url + "/")
    wait_connected(page)
    rename(page, "x" * 40)
    expect(page.locator("#refusal")).to_be_visible()
    expect(page.locator("#refusal")).to_have_text(
        "The server refused the connection: name must be 1-32 characters, got 40"
    )
    expect(page.locator("#status")).to_have_text("Connection refused")
    expect(page.locator("#root_status")).to_have_text("Connection refused")
    server.wait_for_output("refused addr=127.0.0.1 reason=name must be 1-32 characters, got 40")
    rename(page, "Grace")
    wait_connected(page)
    expect(page.locator("#refusal")).to_be_hidden()
    expect(page.locator("#my_name")).to_have_text("Grace")
    expect(page.locator("#root_status")).to_have_text("Connected")


def test_call_me_round_trip_and_an_unanswered_question(two_pages):
    page_a, page_b = two_pages
    page_a.click("#call_me")
    expect(page_a.locator("#call_result")).to_have_text(
        re.compile(r'^You answered "\d\d:\d\d:\d\d\.\d{3}" after \d+ ms$')
    )
    expect(main_log(page_a).locator('li[data-event="are you there"]')).to_have_count(1)
    expect(main_log(page_b).locator('li[data-event="are you there"]')).to_have_count(0)
    page_a.uncheck("#answer_questions")
    page_a.click("#call_me")
    expect(page_a.locator("#call_result")).to_have_text(f"no answer within {CALL_TIMEOUT} s")


def test_a_picture_goes_there_and_back_as_binary(server, open_page):
    page = open_page(server.url + "/")
    wait_connected(page)
    png = tiny_png()
    page.set_input_files("#binary_file", {"name": "dot.png", "mimeType": "image/png", "buffer": png})
    page.click("#binary_form button[type=submit]")
    expect(page.locator("#binary_size")).to_have_text(f"{len(png)} bytes")
    expect(page.locator("#binary_hex")).to_have_text(re.compile(r"^89 50 4e 47 0d 0a 1a 0a "))
    image = page.locator("#binary_image")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.getElementById('binary_image').complete")
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [6, 4], "the PNG decoded whole"
    page.click("#binary_bytes")
    expect(page.locator("#binary_size")).to_have_text("256 bytes")
    expect(page.locator("#binary_hex")).to_have_text("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f …")
    expect(image).to_be_hidden()


def test_broadcast_to_others_reaches_b_and_not_a(two_pages):
    page_a, page_b = two_pages
    page_a.uncheck("#broadcast_self")
    text = unique("others")
    submit(page_a, "#broadcast_data", text)
    expect(responses(main_log(page_b), text)).to_have_count(1)
    page_a.check("#broadcast_self")
    broadcast_barrier(page_a, page_b)
    expect(responses(main_log(page_a), text)).to_have_count(0)
    expect(responses(main_log(page_b), text)).to_have_count(1)


def test_both_namespaces_share_one_engine_and_keep_to_their_own(two_pages):
    page_a, page_b = two_pages
    expect(root_card(page_a).locator("#root_status")).to_have_text("Connected")
    expect(page_a.locator("#root_sid")).to_have_text(SID)
    engine = page_a.locator("#engine_id").text_content()
    assert engine not in ("", "—")
    expect(page_a.locator("#root_engine_id")).to_have_text(engine)
    assert page_a.locator("#root_sid").text_content() != page_a.locator("#sid").text_content()
    echo, everyone = unique("root-echo"), unique("root-broadcast")
    submit(page_a, "#root_emit_data", echo)
    expect(responses(root_card(page_a), echo)).to_have_count(1)
    submit(page_a, "#root_broadcast_data", everyone)
    for page in two_pages:
        expect(responses(root_card(page), everyone)).to_have_count(1)
    expect(responses(root_card(page_b), echo)).to_have_count(0)
    for page in two_pages:
        expect(main_log(page)).not_to_contain_text(everyone)


def test_compare_sends_to_one_chosen_client(server, open_page):
    page = open_page(server.url + "/compare")
    page.click("#add_client")
    for number in (1, 2, 3):
        pane_sid(page, number)
    sender = pane(page, 1)
    sender.locator(".direct-target").select_option("3")
    expect(sender.get_by_role("button", name="Send to client 3")).to_be_enabled()
    text = unique("direct")
    sender.locator(".direct-data").fill(text)
    sender.locator(".direct-data").press("Enter")
    expect(responses(pane(page, 3), text)).to_have_count(1)
    expect(responses(pane(page, 3), text)).to_contain_text("from Client 1")
    pane(page, 2).get_by_label(re.compile("^broadcast", re.IGNORECASE)).fill(unique("barrier"))
    barrier = pane(page, 2).locator(".broadcast-data").input_value()
    pane(page, 2).locator(".broadcast-data").press("Enter")
    for number in (1, 2, 3):
        expect(responses(pane(page, number), barrier)).to_have_count(1)
    expect(responses(pane(page, 1), text)).to_have_count(0)
    expect(responses(pane(page, 2), text)).to_have_count(0)
