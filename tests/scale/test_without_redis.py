"""The queue's edges without a deployment: no queue at all, and a queue whose Redis is not there."""

import os
import subprocess
import time

import pytest

from tests.live import LiveClient
from tests.scale.cluster import run_announce
from tests.servers import PROJECT_ROOT, PYTHON, ServerProcess, free_port, procfile_command

pytestmark = pytest.mark.scale

NO_QUEUE = {name: value for name, value in os.environ.items() if name not in ("SOCKETIO_MESSAGE_QUEUE", "REDIS_URL")}


def test_without_a_queue_nothing_of_the_scale_out_is_built():
    probe = (
        "import sys\n"
        "from playground import create_app\n"
        "state = create_app().extensions['playground']\n"
        "print(state.message_queue, type(state.presence).__name__, type(state.feed.leadership).__name__,\n"
        "      'playground.messagequeue' in sys.modules)\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", probe], cwd=PROJECT_ROOT, env=NO_QUEUE, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["in-process", "LocalPresence", "SoleProcess", "False"]


def test_an_instance_whose_redis_is_down_starts_serves_its_own_clients_and_logs_it_once():
    queue = f"redis://:pw@127.0.0.1:{free_port()}/0"  # nothing listens there
    env = {"SOCKETIO_MESSAGE_QUEUE": queue, "FEED_INTERVAL": "0.2", "SECRET_KEY": "test"}
    with ServerProcess(procfile_command(), env=env) as server:
        assert server.health()["message_queue"] == queue.replace(":pw@", ":***@")
        alice, bob = LiveClient(server.url, "websocket"), LiveClient(server.url, "polling")
        try:
            assert alice.call("my broadcast event", {"data": "local only"})["ok"] is True
            bob.wait_until(lambda c: any(p["data"] == "local only" for p in c.of("my response")), 10, "the broadcast")
            assert alice.call("my event", {"data": "echo"})["count"] == 2
            # Nobody can hold the feed's lock, so the instance feeds its own clients.
            bob.wait_for("newnumber", count=3, timeout=10)
            time.sleep(1.0)  # several more failed publishes, lock attempts and heartbeats
        finally:
            alice.disconnect()
            bob.disconnect()
        output = server.output()
    assert output.count("unreachable") == 1, output
    assert "pw@" not in output


def test_announce_without_redis_fails_loudly_and_hides_the_password():
    env = {**NO_QUEUE, "SOCKETIO_MESSAGE_QUEUE": f"redis://:pw@127.0.0.1:{free_port()}/0"}
    result = run_announce("hello", env)
    assert result.returncode == 1
    assert result.stderr.count("unreachable") == 1, result.stderr
    assert "pw@" not in result.stderr


def test_announce_without_any_queue_says_what_to_set():
    result = run_announce("hello", NO_QUEUE)
    assert result.returncode == 2
    assert "SOCKETIO_MESSAGE_QUEUE" in result.stderr
