"""Fixtures for the hostile-client suite: real servers started on demand, raw clients, and what they measure."""

import contextlib

import pytest

from tests.figures import record
from tests.hostile.wire import RawClient
from tests.servers import ServerProcess, app_py_command


@pytest.fixture(scope="module")
def serve():
    """Start real servers (`python app.py` unless told otherwise), feed off unless `env` says otherwise.

    On the way out each one must have printed no traceback: whatever the
    test threw at it, the server answered, it did not crash a task.
    """

    @contextlib.contextmanager
    def _serve(env=None, command=None):
        server = ServerProcess(command or app_py_command(), env={"FEED_INTERVAL": "0", **(env or {})})
        with server:
            yield server
            assert "Traceback" not in server.output(), server.output()[-5000:]

    return _serve


@pytest.fixture
def raw_client():
    """Open `RawClient`s joined to `/test` on a port; every one is closed at teardown."""
    opened = []

    def _open(port, **options):
        client = RawClient(port, **options).join_namespace()
        opened.append(client)
        return client

    yield _open
    for client in opened:
        with contextlib.suppress(OSError):
            client.sock.close()


def rss_kib(pid):
    """The resident memory of process `pid`, in KiB (VmRSS in /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LookupError(f"no VmRSS for {pid}")


def worker_pid(server):
    """The pid that serves requests: the process itself, or gunicorn's one worker (its child)."""
    children_file = f"/proc/{server.process.pid}/task/{server.process.pid}/children"
    with open(children_file) as children:
        pids = [int(pid) for pid in children.read().split()]
    return pids[0] if pids else server.process.pid


def report(figure, value):
    """Keep a measured figure for the run's summary (see tests/figures.py)."""
    record("hostile clients", figure, value)
