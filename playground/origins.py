"""Foreign origins: Engine.IO's same-origin check, plus one log line per refused handshake.

Engine.IO refuses a handshake from an origin it does not allow, but logs
only the first refusal of a process, without the client's address.
`origin_policy` gives it, as its `cors_allowed_origins`, a callable that
makes the same decision and says who was refused.
"""

import logging

from .transport import client_address

log = logging.getLogger(__name__)


def origin_policy(allowed):
    """What Engine.IO gets as `cors_allowed_origins`: "*" as is, else a check that logs each refusal."""
    if allowed == "*":
        return allowed
    engineio_log = logging.getLogger("engineio.server")
    if not any(isinstance(f, OriginAlreadyLogged) for f in engineio_log.filters):
        engineio_log.addFilter(OriginAlreadyLogged())
    return OriginCheck(allowed)


class OriginCheck:
    """Accepts the origins of `CORS_ALLOWED_ORIGINS` (None: the server's own) and logs each refusal once."""

    def __init__(self, allowed):
        """`allowed` is None for same-origin only, else a list of origins."""
        self.allowed = allowed

    def __call__(self, origin, environ):
        """Engine.IO's question: may a request with this `Origin` header go on?"""
        if not origin:
            # Asked again for the CORS headers of a request without Origin: there is nothing to allow.
            return False
        if origin in (self.allowed if self.allowed is not None else self._same_origin(environ)):
            return True
        # Engine.IO calls this once per request and refuses the handshake, so a
        # refused client never gets as far as a second request: one line each.
        log.warning(
            "refused origin=%r addr=%s transport=%s: not in CORS_ALLOWED_ORIGINS",
            origin,
            client_address(environ),
            "websocket" if environ.get("HTTP_UPGRADE", "").lower() == "websocket" else "polling",
        )
        return False

    @staticmethod
    def _same_origin(environ):
        """The page's own origin as the browser sees it: directly, or through a proxy's forwarded headers."""
        scheme, host = environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", "")
        origins = [f"{scheme}://{host}"]
        if "HTTP_X_FORWARDED_PROTO" in environ or "HTTP_X_FORWARDED_HOST" in environ:
            forwarded_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
            forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
            origins.append(f"{forwarded_scheme}://{forwarded_host}")
        return origins


class OriginAlreadyLogged(logging.Filter):
    """Drops Engine.IO's own refused-origin line: `OriginCheck` logged that refusal with the client's address.

    Engine.IO logs only the first refusal of a process at ERROR (the rest at
    INFO, which it does not show), so without this the first one is logged twice.
    """

    def filter(self, record):
        """Keep every record but Engine.IO's "... is not an accepted origin." line."""
        return "is not an accepted origin" not in record.getMessage()
