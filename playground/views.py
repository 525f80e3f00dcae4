"""HTTP views: the playground page, the compare view, health, favicon, and the headers every response carries."""

from flask import Blueprint, current_app, render_template, send_from_directory

from . import codeview, socketio
from .config import CONTRACT_EVENTS, NAMESPACE

bp = Blueprint("views", __name__)

# No inline script or style anywhere: the page's code is one ES module and
# one stylesheet from /static, and the Socket.IO connection is same-origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@bp.after_app_request
def add_security_headers(response):
    """Put the security headers on every HTTP response the app makes, errors included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.app_context_processor
def code_beside_controls():
    """Give templates `code_for(event)`: the blocks of source its `<details class="code">` shows."""
    return {
        "code_for": lambda event: codeview.blocks_for(event, socketio),
        # What the custom card's event field suggests.
        "contract_events": CONTRACT_EVENTS,
        "log_limit": LOG_LIMIT,
    }


#: How many entries a page's log keeps (the page says so; static/js/event-log.js reads it from `data-limit`).
LOG_LIMIT = 500


@bp.get("/")
def index():
    """The playground page."""
    return render_template("index.html")


@bp.get("/compare")
def compare():
    """Several independent clients side by side in one tab."""
    return render_template("compare.html")


@bp.get("/healthz")
def healthz():
    """What a load balancer or a curious user wants to know about this process."""
    state = current_app.extensions["playground"]
    return {
        "status": "ok",
        "clients": len(state.clients),
        # Across every instance on the message queue (the same as `clients` without one).
        "clients_total": state.presence.total(),
        "rooms": _named_rooms(),
        "feed": state.feed.running,
        # Whether this process is the one that emits the numbers (one instance of many on a queue).
        "feed_leader": state.feed.leading,
        "async_mode": socketio.async_mode,
        "message_queue": state.message_queue,
    }


def _named_rooms():
    """How many rooms this process's clients joined by name (not counting the room each sid has to itself)."""
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {})
    everyone = rooms.get(None, {})
    return sum(1 for room in rooms if room is not None and room not in everyone)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answer with the SVG icon."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")
