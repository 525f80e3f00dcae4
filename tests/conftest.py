"""Fixtures for the fast unit tests: a fresh app per test, and Flask-SocketIO test clients on it."""

import pytest

from playground import create_app, socketio
from playground.config import NAMESPACE
from tests.figures import OBSERVED


def pytest_terminal_summary(terminalreporter):
    """After the results, what the live suites measured: one section per suite."""
    for suite, figures in OBSERVED.items():
        terminalreporter.section(f"{suite} numbers observed")
        for figure, value in figures.items():
            terminalreporter.write_line(f"{figure}: {value}")


@pytest.fixture
def app():
    """A fresh app with the feed off, as the testing configuration should be."""
    return create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0})


@pytest.fixture
def connect(app):
    """Connect a new test client to `/test` (with `auth`; `refused` when it must fail); disconnected at teardown."""
    clients = []

    def _connect(flask_app=None, auth=None, refused=False):
        client = socketio.test_client(flask_app or app, namespace=NAMESPACE, auth=auth)
        assert client.is_connected(NAMESPACE) is not refused
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        if client.is_connected(NAMESPACE):
            client.disconnect(namespace=NAMESPACE)


@pytest.fixture
def alice(connect):
    """A connected client whose greeting has already been read."""
    client = connect()
    client.get_received(NAMESPACE)
    return client


@pytest.fixture
def bob(connect, alice):
    """A second connected client (after alice); both have read their greetings."""
    client = connect()
    client.get_received(NAMESPACE)
    alice.get_received(NAMESPACE)
    return client


def end_connection(client):
    """End a test client's Engine.IO connection, as a closed socket would (the test client never does)."""
    socketio.server._handle_eio_disconnect(client.eio_sid, socketio.server.reason.TRANSPORT_CLOSE)


@pytest.fixture
def http(app):
    """Flask's HTTP test client."""
    return app.test_client()
