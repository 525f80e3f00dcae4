"""Names clients give when they connect (`auth` `{"name": str}`), and refusing the connections whose auth is wrong.

A refusal is Flask-SocketIO's `ConnectionRefusedError`: python-socketio
answers the namespace's CONNECT with a CONNECT_ERROR carrying the message,
which the client sees as `connect_error`. The message names what is wrong
but never repeats the name itself, so a hostile name cannot reach the log.
"""

import logging
import unicodedata

from flask import request
from flask_socketio import ConnectionRefusedError

from .validation import kind_of

log = logging.getLogger(__name__)

#: Longest name, in characters, after stripping spaces.
MAX_NAME_LENGTH = 32


def name_from(auth):
    """The name in `auth`, stripped, or None when there is none; raise `ConnectionRefusedError` when it is wrong."""
    if auth is None:
        return None
    if not isinstance(auth, dict):
        raise ConnectionRefusedError(f'auth must be an object like {{"name": "Ada"}}, got {kind_of(auth)}')
    name = auth.get("name")
    if name is None:
        return None
    if not isinstance(name, str):
        raise ConnectionRefusedError(f"name must be a string, got {kind_of(name)}")
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ConnectionRefusedError(f"name must be 1-{MAX_NAME_LENGTH} characters, got {len(name)}")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ConnectionRefusedError("name must not contain control characters")
    return name


def admit(auth):
    """The connecting client's name (see `name_from`); a refusal is logged as one WARNING line, then raised."""
    try:
        return name_from(auth)
    except ConnectionRefusedError as refusal:
        log.warning("refused addr=%s reason=%s", request.remote_addr, refusal)
        raise
