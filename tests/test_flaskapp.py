"""PlaygroundFlask's request contexts: a connection's events share one `Request`, never two at once."""

import flask
from werkzeug.test import EnvironBuilder

from playground.config import SOCKETIO_PATH
from playground.flaskapp import REQUEST_KEY


def environ_of(path):
    """A WSGI environ for a GET of `path`, as a connection's or a page's request has it."""
    return EnvironBuilder(path=path, query_string="EIO=4&transport=websocket").get_environ()


def request_in(app, environ):
    """The `Request` object a context for `environ` gives `flask.request`."""
    with app.request_context(environ):
        return flask.request._get_current_object()


def test_the_events_of_one_connection_share_its_request_and_other_connections_have_their_own(app):
    """Two events of one connection: one `Request`; another connection: another; the request is whole each time."""
    first, other = environ_of(SOCKETIO_PATH), environ_of(SOCKETIO_PATH)
    request = request_in(app, first)
    assert request_in(app, first) is request
    assert request_in(app, other) is not request
    with app.request_context(first):
        assert flask.request.environ["werkzeug.request"] is request  # as a new Request would have it
        assert flask.request.path == SOCKETIO_PATH and flask.request.args["transport"] == "websocket"


def test_two_contexts_of_one_connection_at_once_never_share_a_request(app):
    """A context pushed while another of the same connection is open (a connect while an event runs) gets its own."""
    environ = environ_of(SOCKETIO_PATH)
    with app.request_context(environ):
        outer = flask.request._get_current_object()
        outer.sid = "outer"
        with app.request_context(environ):
            inner = flask.request._get_current_object()
            inner.sid = "inner"
        assert flask.request.sid == "outer"
    assert inner is not outer
    assert environ[REQUEST_KEY] in (inner, outer)  # either may serve the next event


def test_page_requests_get_a_new_request_each_time(app):
    """Outside Engine.IO's path, Flask builds a `Request` per context as usual, and keeps none."""
    environ = environ_of("/")
    assert request_in(app, environ) is not request_in(app, environ)
    assert REQUEST_KEY not in environ


def test_handlers_see_their_own_sid_when_two_clients_take_turns(alice, bob):
    """The shared `Request` carries each event's own sid: echoes alternating between two clients answer each one."""
    for round_ in range(3):
        for client in (alice, bob):
            assert client.emit("my event", {"data": f"r{round_}"}, namespace="/test", callback=True)["ok"] is True
    for client in (alice, bob):
        sids = {
            response["args"][0]["from"]["sid"]
            for response in client.get_received("/test")
            if response["name"] == "my response" and "from" in response["args"][0]
        }
        assert len(sids) == 1
