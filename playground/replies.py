"""How a handler answers the client whose event it handles: `my response` with its count and who sent it.

Shared by the handlers of both namespaces (`events` for `/test`,
`root_namespace` for `/`) and the modules beside them, so every
`my response` caused by a client's event has the same shape.
"""

from flask import current_app, request
from flask_socketio import emit

from .config import NAMESPACE


def state():
    """The per-app playground state (clients, feed) that `create_app` set up."""
    return current_app.extensions["playground"]


def clients_of(namespace):
    """The `Clients` of `namespace`: `/test`'s (the ones presence counts) or `/`'s."""
    playground = state()
    return playground.clients if namespace == NAMESPACE else playground.root_clients


def respond(data, **emit_options):
    """Emit `my response` with `data`, the sender's new count and `from`; return the success ack.

    `from` names the sender by the sid a room event can address, and by the name it connected with.
    """
    # `request` is looked up once: each `request.x` is a context lookup of its own.
    sid, namespace = request.sid, request.namespace
    clients = clients_of(namespace)
    count = clients.bump(sid)
    sender = {"sid": sid, "name": clients.name(sid)}
    emit("my response", {"data": data, "count": count, "from": sender}, namespace=namespace, **emit_options)
    return {"ok": True, "count": count}
