"""Fixtures of the live suites: one real server per command and module, clients forced onto one transport."""

import time

import pytest

from tests.live import LiveClient
from tests.servers import ServerProcess, app_py_command, procfile_command

COMMANDS = {"app.py": app_py_command, "Procfile": procfile_command}


@pytest.fixture(scope="module", params=sorted(COMMANDS))
def server(request):
    """One real server per command for the whole module, with the module's `SERVER_ENV`."""
    env = getattr(request.module, "SERVER_ENV", {})
    with ServerProcess(COMMANDS[request.param](), env=env) as process:
        yield process


@pytest.fixture(params=["websocket", "polling"])
def transport(request):
    """The transport every client of a test is forced onto."""
    return request.param


@pytest.fixture
def clients(server, transport):
    """Connect live clients on demand, once the previous test's are gone; all disconnect at teardown.

    `clients(**options)` passes `options` (auth, namespaces, ...) on to `LiveClient`.
    """
    deadline = time.monotonic() + 10
    while server.health()["clients"]:
        assert time.monotonic() < deadline, "clients of an earlier test are still connected"
        time.sleep(0.05)
    made = []

    def connect(**options):
        client = LiveClient(server.url, transport, **options)
        made.append(client)
        return client

    yield connect
    for client in made:
        client.disconnect()
