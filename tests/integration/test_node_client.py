"""The official Node socket.io-client runs issue 11's contract: names and refusals, `call me`, binary; and a burst.

So the JS client's view (connect_error's message, the ack function a
handler gets, ArrayBuffer and Buffer payloads) is tested, not assumed.
"""

import json
import os
import shutil
import subprocess

import pytest

from bench import run
from tests.figures import record

pytestmark = pytest.mark.integration

CALL_TIMEOUT = 1.0
SERVER_ENV = {"FEED_INTERVAL": "0", "CALL_TIMEOUT": str(CALL_TIMEOUT)}
SCRIPT = os.path.join(os.path.dirname(__file__), "node_client.js")


@pytest.fixture(scope="module")
def node():
    """Node.js with the bench's exact socket.io-client; a failure under CI=true, else a skip, without Node."""
    if shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node not found (CI=true: the Node client tests must run)")
        pytest.skip("node not found: apt-get install nodejs npm")
    run.npm_ci()
    return shutil.which("node")


def scenario(node, server, transport, name):
    """Run one scenario of node_client.js against `server`; return what it printed."""
    done = subprocess.run(
        [node, SCRIPT, server.url, transport, name], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_names_and_refusals_as_the_js_client_sees_them(node, server, transport):
    seen = scenario(node, server, transport, "names")
    assert seen["presence"] == {"event": "connect", "sid": seen["sid"], "name": "Ada", "clients": 1}
    assert seen["ack"] == {"ok": True, "count": 1}
    assert seen["response"] == {"data": "hi", "count": 1, "from": {"sid": seen["sid"], "name": "Ada"}}
    assert seen["refusals"] == [
        {"message": "name must be 1-32 characters, got 0", "active": False},
        {"message": "name must be 1-32 characters, got 33", "active": False},
        {"message": "name must not contain control characters", "active": False},
        {"message": "name must be a string, got a number", "active": False},
        {"message": 'auth must be an object like {"name": "Ada"}, got a string', "active": False},
    ]
    assert server.output().count("refused addr=127.0.0.1 reason=") >= 5


def test_call_me_answered_through_the_ack_function_then_unanswered(node, server, transport):
    seen = scenario(node, server, transport, "callMe")
    assert seen["ack"] == {"ok": True} and seen["secondAck"] == {"ok": True}
    text, delay = seen["answered"]["data"].rsplit(" after ", 1)
    assert text == 'You answered {"question": {"question": "Are you there?"}, "time": "12:00:00.000"}'
    assert int(delay.removesuffix(" ms")) < 1000
    assert seen["error"] == {"event": "call me", "error": f"no answer within {CALL_TIMEOUT:g} s"}
    record("vocabulary (live)", f"Node client: call me timeout after ({transport})", f"{seen['waitedMs']} ms")
    assert CALL_TIMEOUT * 1000 - 50 <= seen["waitedMs"] < CALL_TIMEOUT * 1000 + 1000


def test_binary_round_trip_from_arraybuffer_and_buffer(node, server, transport):
    seen = scenario(node, server, transport, "binary")
    assert seen["results"] == [
        {"ack": {"ok": True, "bytes": 256}, "received": 256, "equal": True},
        {"ack": {"ok": True, "bytes": 32768}, "received": 32768, "equal": True},
    ]
    assert seen["badAck"] == {"ok": False, "error": "the binary payload is empty"}


def test_thirty_echoes_emitted_at_once_all_come_back_in_order(node, server, transport):
    """Over polling the JS client sends them in one or two POSTs; Engine.IO alone would drop a POST of more than 16."""
    seen = scenario(node, server, transport, "burst")
    assert seen["acks"] == list(range(1, 31))
    assert seen["responses"] == [str(index) for index in range(30)]
