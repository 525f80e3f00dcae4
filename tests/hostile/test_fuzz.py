"""Every event of the contract, with arbitrary payloads: the sender is answered, nobody else notices.

Bulk of the examples on Flask-SocketIO's test client (fast, same handlers),
then fewer against a real `python app.py` over WebSocket, with unknown
namespaces too, checking the server never prints a traceback.
"""

import json
import logging

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from playground import create_app, socketio
from playground.config import DEFAULTS, NAMESPACE
from tests.conftest import end_connection
from tests.hostile.payloads import NASTY_STRINGS, accepted, calls, payload_lists
from tests.live import LiveClient

MAX_HTTP_BUFFER_SIZE = DEFAULTS["MAX_HTTP_BUFFER_SIZE"]

FUZZ_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "RATE_LIMIT": 0}


def relaxed(max_examples, **options):
    """Settings for examples that start clients: no per-example deadline, fixtures shared across examples."""
    return settings(
        max_examples=max_examples,
        **options,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def names(received):
    """The event names in a test client's `get_received` list."""
    return [packet["name"] for packet in received]


def check_answer(event, args, ack, received, logged):
    """The contract's promise to the sender: `my error` and a failed ack exactly when the payload breaks it."""
    errors = [packet["args"][0] for packet in received if packet["name"] == "my error"]
    warnings = [record for record in logged if record.levelno == logging.WARNING]
    assert not [record for record in logged if record.levelno >= logging.ERROR], "an exception escaped a handler"
    if accepted(event, args):
        assert isinstance(ack, dict) and ack["ok"] is True, ack
        assert errors == [] and warnings == []
    else:
        assert isinstance(ack, dict) and ack["ok"] is False and ack["error"], ack
        assert errors == [{"event": event, "error": ack["error"]}]
        assert len(warnings) == 1 and repr(event) in warnings[0].getMessage()


@pytest.fixture(scope="module")
def fuzz_app():
    """One app for all the test-client examples of this module (building one per example is the slow part)."""
    return create_app(FUZZ_CONFIG)


@relaxed(400)
@given(call=calls)
def test_any_payload_answers_only_the_sender(fuzz_app, call, caplog):
    """Any event with any arguments: one answer to the sender, nothing to a bystander, no exception."""
    event, args = call
    assume(not (event == "disconnect request" and accepted(event, args)))  # it would end the sender
    app = fuzz_app
    sender = socketio.test_client(app, namespace=NAMESPACE)
    bystander = socketio.test_client(app, namespace=NAMESPACE)
    sender.get_received(NAMESPACE)
    bystander.get_received(NAMESPACE)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        ack = sender.emit(event, *args, namespace=NAMESPACE, callback=True)
    received = sender.get_received(NAMESPACE)
    check_answer(event, args, ack, received, caplog.records)

    seen = bystander.get_received(NAMESPACE)
    if event == "my broadcast event" and accepted(event, args):
        assert [(p["name"], p["args"][0]["data"]) for p in seen] == [("my response", args[0]["data"])]
    else:
        assert seen == [], f"a bystander saw {names(seen)}"

    # The sender's connection is still good for ordinary traffic.
    assert sender.emit("my event", {"data": "still here"}, namespace=NAMESPACE, callback=True)["ok"] is True
    assert sender.is_connected(NAMESPACE) and bystander.is_connected(NAMESPACE)
    end_connection(sender)
    end_connection(bystander)
    assert len(app.extensions["playground"].limiter) == 0


@relaxed(60)
@given(args=payload_lists, attachment=st.binary(min_size=1, max_size=2048))
def test_binary_attachments_are_refused_everywhere(fuzz_app, args, attachment, caplog):
    """A binary attachment where the contract wants text or JSON is bad input, never a crash."""
    sender = socketio.test_client(fuzz_app, namespace=NAMESPACE)
    sender.get_received(NAMESPACE)
    for event, payload in [
        ("my event", {"data": attachment}),
        ("my room event", {"room": "r", "data": attachment}),
        ("join", {"room": attachment}),
        ("message", attachment),
        ("json", {"blob": attachment, "other": args}),
    ]:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            ack = sender.emit(event, payload, namespace=NAMESPACE, callback=True)
        check_answer(event, [payload], ack, sender.get_received(NAMESPACE), caplog.records)
    sender.disconnect(namespace=NAMESPACE)


@pytest.fixture(scope="module")
def live_server(serve):
    """One real `python app.py` for the real-server examples, flood control off so examples may go fast."""
    with serve(env={"RATE_LIMIT": "0"}) as server:
        yield server


@pytest.mark.integration
# No shrinking against a real server: a failure there is usually a timeout, and shrinking
# one costs minutes; the failing example is printed as found.
@relaxed(40, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(call=calls)
def test_any_payload_on_a_real_server(live_server, call):
    """The same promise over a real WebSocket, python-socketio on the other end.

    Packets over the transport limit close the connection instead (see
    test_limits), so examples stay under it here.
    """
    event, args = call
    assume(not (event == "disconnect request" and accepted(event, args)))
    assume(len(json.dumps([event, *args], default=repr)) < MAX_HTTP_BUFFER_SIZE // 2)
    sender = LiveClient(live_server.url)
    bystander = LiveClient(live_server.url)
    sender.wait_for("presence", 2)
    sender.clear()
    bystander.clear()
    try:
        ack = sender.call(event, tuple(args)) if args else sender.call(event)
        if accepted(event, args):
            assert ack["ok"] is True
        else:
            assert ack["ok"] is False
            assert sender.wait_for("my error") == [{"event": event, "error": ack["error"]}]
        # A bystander's own echo arrives; by then anything the sender caused would have arrived too.
        assert bystander.call("my event", {"data": "mine"})["ok"] is True
        bystander.wait_for("my response")
        expected = [("my response", args[0]["data"])] if event == "my broadcast event" and accepted(event, args) else []
        seen = [(name, payload["data"]) for name, payload in bystander.events if name == "my response"]
        assert seen == [*expected, ("my response", "mine")]
        assert [name for name, _ in bystander.events if name not in ("my response",)] == []
    finally:
        sender.disconnect()
        bystander.disconnect()
    assert "Traceback" not in live_server.output()


@pytest.mark.integration
@relaxed(25, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(
    namespace=st.from_regex(r"\A/[a-zA-Z0-9_-]{1,16}\Z").filter(lambda ns: ns != NAMESPACE),
    # Short names: a packet over the transport limit closes the connection (test_limits covers that).
    event=st.one_of(st.text(max_size=40), st.sampled_from(NASTY_STRINGS)),
)
def test_unknown_namespaces_are_refused_quietly(live_server, raw_client, namespace, event):
    """Connecting to, or emitting on, a namespace that does not exist: a connect error, and nothing else."""
    client = raw_client(live_server.port)
    client.send_raw(f"42{namespace}," + json.dumps([event, {"data": "x"}]))
    client.send_raw(f"40{namespace},")
    error = client.read_packet(lambda packet: packet.startswith(f"44{namespace},"))
    assert "Unable to connect" in error
    client.emit("my event", {"data": "after"})
    client.read_packet(lambda packet: '"after"' in packet)
    # Its greeting and its echo; presence aside, nothing else reached it.
    assert [name for name, _ in client.events if name != "presence"] == ["my response", "my response"]
    client.close()
    assert "Traceback" not in live_server.output()
