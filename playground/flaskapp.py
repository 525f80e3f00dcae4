"""Flask, minus what every Socket.IO event paid for and none of them used.

Flask-SocketIO runs each event's handler inside a request context of its
own, built from the Engine.IO connection's WSGI environ, so that `request`
and `current_app` work there as in a view. Building and pushing that
context was the largest single cost of an echo in Python
(docs/benchmarks.md). Three parts of it did nothing for an event:

- the session cookie, opened on every push: the playground keeps no
  session (`NoSessionInterface`);
- URL routing: the context's path is `/socket.io/`, which no route serves,
  so Flask bound an adapter, matched and raised `NotFound` every time
  (`PlaygroundFlask.create_url_adapter`);
- a new `Request` object, parsing the same environ every time: an event's
  context reuses its connection's (`PlaygroundFlask.request_context`).

HTTP requests, and any path outside Engine.IO's, are handled by Flask as usual.
"""

from flask import Flask
from flask.ctx import RequestContext
from flask.sessions import SessionInterface

from .config import SOCKETIO_PATH

#: Where a connection's environ keeps its `Request` between two events.
REQUEST_KEY = "playground.request"


class NoSessionInterface(SessionInterface):
    """The playground keeps no per-user session, so it never opens the session cookie.

    Flask opens the session on every request-context push: building a
    signing serializer and reading the cookie was about 40% of that push
    for a Socket.IO event (docs/benchmarks.md). `session` is Flask's null
    session here; writing to it raises.
    """

    def open_session(self, app, request):
        """No session: Flask substitutes its null session."""
        return None

    def save_session(self, app, session, response):
        """Nothing to save."""


def _is_event(environ):
    """Whether `environ` is an Engine.IO connection's, whose contexts serve Socket.IO events."""
    return environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH)


class PlaygroundFlask(Flask):
    """Flask, except that the request context of a Socket.IO event is not routed and reuses its `Request`."""

    def create_url_adapter(self, request):
        """No adapter for a Socket.IO event's context; Flask's own for everything else.

        (`url_for` inside an event handler then needs `SERVER_NAME`, as it
        does in any context without a request.)
        """
        if request is not None and _is_event(request.environ):
            return None
        return super().create_url_adapter(request)

    def _null_session(self):
        """The one null session every event's context shares (it refuses writes, so sharing it is safe)."""
        session = self.__dict__.get("_event_session")
        if session is None:
            session = self._event_session = self.session_interface.make_null_session(self)
        return session

    def request_context(self, environ):
        """A context for `environ`: for a Socket.IO event, with the `Request` its connection's last event had.

        Every event of a connection comes with that connection's environ, so
        its `Request` would read the same values again. The `Request` is
        taken from the environ while a context holds it, so two contexts at
        once (a connect handler while an event runs, say) never share one.
        What a handler sets on `request` stays there for the connection's next
        events; Flask-SocketIO sets `sid`, `namespace` and `event` afresh for each.
        """
        if not _is_event(environ):
            return super().request_context(environ)
        request = environ.pop(REQUEST_KEY, None)
        if request is None:
            request = self.request_class(environ)
            request.json_module = self.json
        else:
            environ["werkzeug.request"] = request  # Flask clears it as each context ends
        # Flask's null session, one for every event: the playground keeps no session (see above).
        return _EventContext(self, environ, request=request, session=self._null_session())


class _EventContext(RequestContext):
    """A Socket.IO event's request context, which gives its `Request` back to the connection as it ends."""

    def pop(self, *exc):
        """Pop as Flask does (with its `exc`, if given); then the connection's next event may reuse this `Request`."""
        try:
            super().pop(*exc)
        finally:
            if not self._cv_tokens:
                self.request.environ[REQUEST_KEY] = self.request
