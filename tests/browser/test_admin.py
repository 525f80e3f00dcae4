"""The Socket.IO Admin UI in real Chromium against the Procfile's command with ADMIN_PASSWORD set.

The UI logs in through its own connection dialog and shows the playground
page's socket, a room it joined and an event it sent; a wrong password shows
the UI's error. Every request of every page stays on the server under test,
and the pages' consoles stay clean (the `browser_problems` fixture).
"""

import os
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from playground.config import NAMESPACE
from tests.browser.conftest import FEED_INTERVAL
from tests.browser.pages import admin_log_in, admin_view, submit, unique, wait_connected
from tests.servers import ServerProcess, procfile_command

PASSWORD = "a long passphrase for the browser test"


@pytest.fixture(scope="module")
def server():
    """The Procfile's command with the Admin UI on (this module's own server)."""
    process = ServerProcess(
        procfile_command(), env={"FEED_INTERVAL": FEED_INTERVAL, "ADMIN_PASSWORD": PASSWORD}
    ).start()
    yield process
    process.stop()
    os.unlink(process.log_path)


@pytest.fixture
def requests_seen(browser_contexts):
    """Every URL any page of the module's contexts asks for (HTTP and WebSocket), from now on."""
    urls = []
    for who in ("admin", "learner"):
        context = browser_contexts(who)
        context.on("request", lambda request: urls.append(request.url))
        context.on("websocket", lambda websocket: urls.append(websocket.url))
    return urls


def test_the_dialog_is_prefilled_and_nothing_connects_before_connect(server, open_page, requests_seen):
    page = open_page(server.url + "/admin/", who="admin")
    expect(page.locator(".v-dialog form input").first).to_have_value(server.url)
    page.wait_for_timeout(500)
    assert not [url for url in requests_seen if "/socket.io/" in url]
    assert "admin login" not in server.output()


def test_a_wrong_password_shows_the_error(server, open_page):
    page = open_page(server.url + "/admin/", who="admin")
    admin_log_in(page, "not the password")
    expect(page.locator(".v-dialog")).to_contain_text("Invalid credentials")
    server.wait_for_output("admin login refused addr=127.0.0.1")


def test_the_ui_shows_the_pages_socket_its_room_and_its_event(server, open_page, requests_seen):
    admin = open_page(server.url + "/admin/", who="admin")
    admin_log_in(admin, PASSWORD)
    expect(admin.get_by_text("connected", exact=True).first).to_be_visible()
    expect(admin.locator(".v-dialog")).to_be_hidden()

    learner = open_page(server.url + "/", who="learner")
    sid = wait_connected(learner)
    room, message = unique("room"), unique("hello-admin")
    submit(learner, "#room_name", room)
    expect(learner.locator("#rooms")).to_contain_text(room)
    submit(learner, "#emit_data", message)

    admin_view(admin, "Sockets", NAMESPACE)
    expect(admin.get_by_role("cell", name=sid, exact=True)).to_be_visible()
    admin_view(admin, "Rooms", NAMESPACE)
    expect(admin.get_by_role("cell", name=room, exact=True)).to_be_visible()
    admin_view(admin, "Events")
    expect(admin.locator("tr", has_text="my event").first).to_be_visible()
    expect(admin.locator("tr", has_text=sid).first).to_be_visible()

    hosts = {urlsplit(url).hostname for url in requests_seen}
    assert hosts == {"127.0.0.1"}, requests_seen


def test_the_dark_theme_is_allowed_by_the_policy_too(server, open_page):
    """Its colours are a `<style>` of their own: the policy allows it by hash, so the console stays clean."""
    page = open_page(server.url + "/admin/", who="admin")
    switch = page.get_by_label("Dark theme?")  # behind the connection dialog's overlay, so not clicked by the mouse
    switch.dispatch_event("click")
    expect(page.locator(".v-application.theme--dark")).to_have_count(1)
    switch.dispatch_event("click")
    expect(page.locator(".v-application.theme--light")).to_have_count(1)
