"""The hot-path settings docs/benchmarks.md relies on: orjson, no session, inline handlers, no routing."""

import json
from unittest.mock import ANY

import pytest
from flask import session
from flask.sessions import NullSession

from playground import fastjson, socketio
from playground.config import NAMESPACE


@pytest.mark.parametrize(
    "value",
    [{"data": 'hé ✓ "quoted"', "count": 3}, ["my event", {"data": ""}], None, [1.5, True, "x"]],
)
def test_fastjson_round_trips_like_the_standard_library(value):
    """What orjson encodes decodes to the same value, and compact like `separators=(",", ":")`."""
    text = fastjson.dumps(value, separators=(",", ":"))
    assert json.loads(text) == value
    assert fastjson.loads(text) == value
    assert ", " not in text and '": ' not in text


def test_fastjson_falls_back_for_what_orjson_refuses():
    """Integers past 64 bits and non-string keys are encoded as the standard library does."""
    assert fastjson.dumps([2**70], separators=(",", ":")) == "[1180591620717411303424]"
    assert fastjson.dumps({1: 2}, separators=(",", ":")) == '{"1":2}'
    assert fastjson.loads("[NaN]")[0] != fastjson.loads("[NaN]")[0]  # NaN, accepted like json.loads does
    with pytest.raises(ValueError):
        fastjson.loads("{not json")


def test_socketio_uses_fastjson_and_inline_handlers(app):
    """Every packet goes through fastjson; handlers run in the reading greenlet."""
    assert socketio.server.packet_class.json is fastjson
    assert socketio.server.async_handlers is False


def test_no_session_cookie_is_opened(app):
    """Even with a session cookie, a request (and so a Socket.IO event) gets Flask's null session."""
    with app.test_request_context("/", headers={"Cookie": "session=eyJhIjoxfQ.signed.garbage"}):
        assert isinstance(session._get_current_object(), NullSession)


def test_events_still_answer_without_a_session(connect):
    """The echo contract holds with the null session."""
    client = connect()
    client.get_received(NAMESPACE)
    ack = client.emit("my event", {"data": "hi"}, namespace=NAMESPACE, callback=True)
    assert ack == {"ok": True, "count": 1}
    assert client.get_received(NAMESPACE)[0]["args"][0] == {"data": "hi", "count": 1, "from": ANY}


def test_socketio_event_contexts_are_not_routed(app):
    """A context under /socket.io/ (every event's) gets no URL adapter; HTTP paths are routed as before."""
    with app.test_request_context("/socket.io/?EIO=4&transport=websocket") as event_context:
        assert event_context.url_adapter is None
        assert event_context.request.routing_exception is None
    with app.test_request_context("/socket.iox") as lookalike:
        assert lookalike.url_adapter is not None
        assert lookalike.request.routing_exception is not None  # a 404, not a crash
    with app.test_request_context("/healthz") as http_context:
        assert http_context.request.endpoint == "views.healthz"


def test_a_path_next_to_socketio_is_still_a_404(http):
    """Only Engine.IO's own path skips routing: anything beside it gets Flask's 404."""
    assert http.get("/socket.iox").status_code == 404
