"""The Socket.IO Admin UI: python-socketio's instrumentation behind a password, and the UI at /admin/.

Off unless `ADMIN_PASSWORD` is set. Then `socketio.server.instrument()`
reports every socket, room and event to the `/admin` namespace, where the
official UI (`@socket.io/admin-ui`, vendored in static/vendor/admin-ui/)
logs in with `ADMIN_USERNAME` and the password. Off, nothing is
instrumented: `instrument()` replaces methods of the Socket.IO server, its
client manager and Engine.IO's `Socket` class (process-wide), so it is
only called when asked; and /admin/ is not a route.

What the library leaves to the app, done here:
- the credentials are compared in constant time, and a refusal says
  `invalid credentials` (the text the UI recognises), logs one WARNING line
  and, repeated from one address, is slowed down (see `loginthrottle`);
- a refused connection, in any namespace, is taken off the UI's list: the
  library announces every connection before its handler can refuse it and
  never withdraws it (and keeps its connect time forever);
- a client's own event named `connect` or `disconnect` is not reported as
  its connection coming or going (the library does, then crashes on it).
"""

import hashlib
import hmac
import logging
import os
import socket
from datetime import UTC, datetime

import gevent.lock
from flask import Blueprint, current_app, send_from_directory
from socketio.exceptions import ConnectionRefusedError

from .loginthrottle import LoginThrottle

log = logging.getLogger(__name__)

#: The namespace the UI connects to (the UI's default, and python-socketio's).
ADMIN_NAMESPACE = "/admin"

#: Where the vendored UI's built files live, under the app's static folder.
UI_FOLDER = os.path.join("vendor", "admin-ui")

#: The `<style>` elements the UI's Vuetify writes at run time: an empty one, then the light theme's or the
#: dark theme's colours. Allowed by their hashes, so no other inline style is; a new UI version may need
#: new ones (the browser test's console check names them).
UI_STYLE_HASHES = (
    "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    "sha256-H0hALk5rjM4aGisbF9hx4t4yVUsKf0ZX1N28nouwAhI=",
    "sha256-UA8uVkzlAxGk09z6OrvqQkcbhXuelL/B23jotWQLt78=",
)

# Nothing from another origin: the UI's own files, its two stylesheets and their fonts, and the
# Socket.IO connection all come from this one.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' " + " ".join(f"'{digest}'" for digest in UI_STYLE_HASHES),
        "font-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app, socketio, server_id=None):
    """Instrument `socketio`'s server and serve the UI, if `ADMIN_PASSWORD` is set; return the instrumentation.

    `server_id` names this instance in the UI's server list (with a message
    queue, the queue's instance id); by default, host name and process id.
    """
    password = app.config["ADMIN_PASSWORD"]
    if not password:
        return None
    server = socketio.server
    dispatch = server._trigger_event  # before instrument() wraps it
    check = Credentials(app.config["ADMIN_USERNAME"], password)
    instrumented = server.instrument(
        auth=check,
        mode=app.config["ADMIN_MODE"],
        read_only=app.config["ADMIN_READ_ONLY"],
        server_id=server_id or f"{socket.gethostname()}-{os.getpid()}",
        namespace=ADMIN_NAMESPACE,
    )
    throttle = LoginThrottle(sleep=socketio.sleep, lock=gevent.lock.Semaphore)
    server.on("connect", _guarded_login(instrumented, check, throttle), namespace=ADMIN_NAMESPACE)
    _correct_the_reports(server, instrumented, dispatch)
    app.register_blueprint(bp)
    app.extensions["admin"] = instrumented
    log.info(
        "Admin UI on at /admin/ mode=%s read_only=%s server_id=%s",
        instrumented.mode,
        instrumented.read_only,
        instrumented.server_id,
    )
    return instrumented


class Credentials:
    """The one username and password the UI may log in with, compared in constant time."""

    def __init__(self, username, password):
        """Keep digests only: comparing equal-length digests takes the same time whatever is typed."""
        self._username = _digest(username)
        self._password = _digest(password)

    def __call__(self, auth):
        """Whether `auth` (whatever the client sent as its `auth`) carries the right username and password."""
        if not isinstance(auth, dict):
            return False
        username = hmac.compare_digest(_digest(auth.get("username")), self._username)
        password = hmac.compare_digest(_digest(auth.get("password")), self._password)
        return username & password


def _digest(value):
    """SHA-256 of a credential as text; anything that is not text digests as nothing."""
    text = value if isinstance(value, str) else ""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _guarded_login(instrumented, check, throttle):
    """The `/admin` connect handler: the throttled check, then the library's own (which sends the UI its view)."""

    def admin_connect(sid, environ, auth=None):
        address = environ.get("REMOTE_ADDR", "")
        passed, failures = throttle.attempt(address, lambda: check(auth))
        if not passed:
            log.warning("admin login refused addr=%s sid=%s failures_in_a_row=%d", address, sid, failures)
            raise ConnectionRefusedError("invalid credentials")
        log.info("admin login addr=%s sid=%s", address, sid)
        return instrumented.admin_connect(sid, environ, auth)

    return admin_connect


def _correct_the_reports(server, instrumented, dispatch):
    """Put right two things the instrumented `_trigger_event` reports wrongly (development mode only).

    - It announces `socket_connected` before the connect handler runs;
      when the handler refuses, Socket.IO never triggers `disconnect`, so
      the UI would list the socket forever and the manager's `_timestamps`
      would grow by one entry per refusal. Here the refusal is withdrawn.
    - It takes a client's own event named `connect` or `disconnect` for
      the connection's: it reports a connection that is still there as
      gone, then fails (`IndexError` on the missing reason, `KeyError` on a
      second one) with a traceback per packet. Such events go straight to
      `dispatch`, the server's own dispatch, unreported.
    """
    if instrumented.mode != "development":
        return  # production mode neither announces connections nor keeps their times
    reported = server._trigger_event

    def trigger_event(event, namespace, *args):
        """The instrumented dispatch for real connections and events; the corrections above."""
        if event in ("connect", "disconnect") and not _is_lifecycle(server, event, namespace, args):
            return dispatch(event, namespace, *args)
        result = None
        try:
            result = reported(event, namespace, *args)
        except ConnectionRefusedError:
            result = False
            raise
        finally:
            if event == "connect" and result is False:
                _withdraw(server, instrumented, namespace, args[0])
        return result

    server._trigger_event = trigger_event


def _is_lifecycle(server, event, namespace, args):
    """Whether a `connect`/`disconnect` trigger is Socket.IO's own, not an event a client named so.

    Socket.IO passes a connect the very environ it keeps for the
    connection, and marks a socket as leaving before it triggers its
    disconnect; a client's event carries neither.
    """
    sid = args[0]
    if event == "connect":
        eio_sid = server.manager.eio_sid_from_sid(sid, namespace)
        return len(args) >= 2 and eio_sid is not None and args[1] is server.environ.get(eio_sid)
    return not server.manager.is_connected(sid, namespace)


def _withdraw(server, instrumented, namespace, sid):
    """Drop `sid`'s connect time and announce its disconnection to the UI."""
    server.manager._timestamps.pop(sid, None)
    now = datetime.now(UTC).isoformat()
    server.emit(
        "socket_disconnected", (namespace, sid, "connection refused", now), namespace=instrumented.admin_namespace
    )


@bp.after_request
def add_admin_policy(response):
    """The UI's own Content-Security-Policy, narrower than the playground's in origins, wider in styles."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@bp.get("/")
def index():
    """The Admin UI's page (its index.html, pointed at the local stylesheets)."""
    return send_from_directory(os.path.join(current_app.static_folder, UI_FOLDER), "index.html")


@bp.get("/<path:name>")
def ui_file(name):
    """The UI's scripts, stylesheets and images, which its page names relative to /admin/."""
    return send_from_directory(os.path.join(current_app.static_folder, UI_FOLDER), name)
