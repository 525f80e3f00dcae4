"""Unit tests of the Admin UI switch: off by default with nothing instrumented, on with a password."""

import logging
import re

import engineio.socket
import pytest

from playground import admin, config, create_app, socketio
from playground.admin import ADMIN_NAMESPACE, Credentials

PASSWORD = "correct horse battery staple"
GOOD = {"username": "admin", "password": PASSWORD}

# What python-socketio's `instrument()` replaces on Engine.IO's `Socket` class, for every server in the process.
SOCKET_METHODS = ("handle_post_request", "_websocket_handler", "_send_ping")
ORIGINAL_SOCKET_METHODS = {name: engineio.socket.Socket.__dict__[name] for name in SOCKET_METHODS}


def _admin_app(**settings):
    """An app with the Admin UI on (and the feed off); `settings` on top."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "ADMIN_PASSWORD": PASSWORD, **settings}
    )


@pytest.fixture
def uninstrument():
    """Undo every instrumentation a test made: its patches of Engine.IO's `Socket` class outlive the app."""
    apps = []
    yield apps.append
    for app in reversed(apps):
        app.extensions["admin"].uninstrument()


@pytest.fixture
def admin_app(uninstrument):
    """The Admin UI on, in development mode."""
    app = _admin_app()
    uninstrument(app)
    return app


@pytest.fixture
def production_app(uninstrument):
    """The Admin UI on in production mode: the mode Flask-SocketIO's test client can connect in.

    In development mode every connection is described to the UI from its
    Engine.IO socket, which the test client does not have (`KeyError:
    'Session not found'`); the live suites log in in development mode.
    """
    app = _admin_app(ADMIN_MODE="production")
    uninstrument(app)
    return app


@pytest.fixture
def admin_client(production_app):
    """Connect a Flask-SocketIO test client to `/admin` with `auth`."""
    clients = []

    def _connect(auth):
        client = socketio.test_client(production_app, namespace=ADMIN_NAMESPACE, auth=auth)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        if client.is_connected(ADMIN_NAMESPACE):
            client.disconnect(namespace=ADMIN_NAMESPACE)


def _instrumented_parts():
    """Which of the hooks `instrument()` installs are in place on the current server, by name."""
    server = socketio.server
    parts = {
        name for name in SOCKET_METHODS if engineio.socket.Socket.__dict__[name] is not ORIGINAL_SOCKET_METHODS[name]
    }
    parts |= {name for name in ("_trigger_event",) if name in vars(server)}
    parts |= {
        name for name in ("emit", "basic_enter_room", "basic_leave_room", "_timestamps") if name in vars(server.manager)
    }
    parts |= {"eio._ok"} if "_ok" in vars(server.eio) else set()
    parts |= {"eio connect"} if server.eio.handlers["connect"] != server._handle_eio_connect else set()
    parts |= {"/admin handlers"} if ADMIN_NAMESPACE in server.handlers else set()
    return parts


def test_off_by_default_nothing_is_instrumented(app):
    assert app.config["ADMIN_PASSWORD"] is None
    assert _instrumented_parts() == set()
    assert "admin" not in app.extensions


def test_off_admin_is_404_and_the_page_does_not_link_it(http):
    assert http.get("/admin/").status_code == 404
    assert http.get("/admin/js/app.0d7d7845.js").status_code == 404
    assert "/admin/" not in http.get("/").get_data(as_text=True)


def test_off_an_admin_login_reaches_no_namespace(app):
    client = socketio.test_client(app, namespace=ADMIN_NAMESPACE, auth=GOOD)
    assert not client.is_connected(ADMIN_NAMESPACE)


def test_on_every_hook_is_installed(admin_app):
    assert _instrumented_parts() == {
        *SOCKET_METHODS,
        "_trigger_event",
        "emit",
        "basic_enter_room",
        "basic_leave_room",
        "_timestamps",
        "eio._ok",
        "eio connect",
        "/admin handlers",
    }


def test_uninstrumented_after_the_fixture_so_later_apps_start_clean(uninstrument):
    app = _admin_app()
    app.extensions["admin"].uninstrument()
    create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0})
    assert _instrumented_parts() == set()


def test_on_the_ui_is_served_with_its_own_policy_and_no_remote_url(admin_app):
    http = admin_app.test_client()
    page = http.get("/admin/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert '<script src="../static/admin/prefill.js"></script>' in html
    policy = page.headers["Content-Security-Policy"]
    assert policy == admin.CONTENT_SECURITY_POLICY
    assert "http" not in policy and "*" not in policy and "'unsafe-" not in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    for asset in re.findall(r"""(?:src|href)=["']?([^"' >]+)""", html):
        path = asset.replace("../", "/") if asset.startswith("../") else "/admin/" + asset
        assert http.get(path).status_code == 200, path


def test_on_the_page_links_to_the_ui(admin_app):
    assert 'href="/admin/"' in admin_app.test_client().get("/").get_data(as_text=True)


def test_right_credentials_log_in_and_get_the_config(admin_client, caplog):
    with caplog.at_level(logging.INFO, logger="playground.admin"):
        client = admin_client(GOOD)
        assert client.is_connected(ADMIN_NAMESPACE)
        socketio.sleep(0.2)  # the library sends `config` from a background task, 0.1 s after connecting
    events = {packet["name"]: packet["args"] for packet in client.get_received(ADMIN_NAMESPACE)}
    assert events["config"][0]["supportedFeatures"][:2] == ["AGGREGATED_EVENTS", "EMIT"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(
    "auth",
    [
        {"username": "admin", "password": "wrong"},
        {"username": "root", "password": PASSWORD},
        {"password": PASSWORD},
        None,
        {"username": ["admin"], "password": [PASSWORD]},
    ],
)
def test_wrong_credentials_are_refused_with_one_warning(admin_client, caplog, auth):
    with caplog.at_level(logging.WARNING):
        client = admin_client(auth)
    assert not client.is_connected(ADMIN_NAMESPACE)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("admin login refused addr=")


def test_read_only_offers_no_actions(uninstrument):
    app = _admin_app(ADMIN_READ_ONLY=True, ADMIN_MODE="production")
    uninstrument(app)
    assert set(socketio.server.handlers[ADMIN_NAMESPACE]) == {"connect"}
    client = socketio.test_client(app, namespace=ADMIN_NAMESPACE, auth=GOOD)
    socketio.sleep(0.2)
    config_packet = next(p for p in client.get_received(ADMIN_NAMESPACE) if p["name"] == "config")
    assert config_packet["args"][0]["supportedFeatures"] == ["AGGREGATED_EVENTS"]
    client.disconnect(namespace=ADMIN_NAMESPACE)


def test_production_mode_reports_no_events(uninstrument):
    app = _admin_app(ADMIN_MODE="production")
    uninstrument(app)
    assert "_trigger_event" not in vars(socketio.server)
    assert "emit" not in vars(socketio.server.manager)


def test_server_id_names_the_instance(admin_app):
    assert re.fullmatch(r".+-\d+", admin_app.extensions["admin"].server_id)


def test_credentials_compare_whole_values_of_the_right_type():
    check = Credentials("admin", PASSWORD)
    assert check(GOOD)
    assert not check({"username": "admin", "password": PASSWORD + " "})
    assert not check({"username": "admin", "password": PASSWORD[:-1]})
    assert not check({"username": "admin"})
    assert not check({"username": "admin", "password": 0})
    assert not check("admin:" + PASSWORD)
    assert not check({"username": "admin", "password": "\ud800"})  # a lone surrogate is text, just wrong


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {}),
        ({"ADMIN_PASSWORD": "pw"}, {"ADMIN_PASSWORD": "pw"}),
        ({"ADMIN_MODE": "Production"}, {"ADMIN_MODE": "production"}),
        ({"ADMIN_READ_ONLY": "1"}, {"ADMIN_READ_ONLY": True}),
        ({"ADMIN_READ_ONLY": "true"}, {"ADMIN_READ_ONLY": True}),
        ({"ADMIN_READ_ONLY": "0"}, {"ADMIN_READ_ONLY": False}),
        ({"ADMIN_USERNAME": "root"}, {"ADMIN_USERNAME": "root"}),
    ],
)
def test_admin_settings_from_the_environment(environ, expected):
    assert config.from_environment(environ) == expected


@pytest.mark.parametrize(("name", "value"), [("ADMIN_MODE", "debug"), ("ADMIN_READ_ONLY", "maybe")])
def test_bad_admin_settings_are_refused(name, value):
    with pytest.raises(ValueError, match=name):
        config.from_environment({name: value})


@pytest.mark.parametrize(
    "path", ["/admin/../app.py", "/admin/%2e%2e/app.py", "/admin/..%2fapp.py", "/admin/js/../../../app.py"]
)
def test_the_ui_folder_serves_nothing_outside_it(production_app, path):
    response = production_app.test_client().get(path)
    assert response.status_code == 404
    assert b"monkey" not in response.data
