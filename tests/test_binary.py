"""`my binary event`: the same bytes back as `my binary response` (unit tests)."""

import logging

import pytest

from playground.config import NAMESPACE
from tests.test_events import call, received, sid_of

EVERY_BYTE = bytes(range(256))


@pytest.mark.parametrize("payload", [b"\x00", EVERY_BYTE, EVERY_BYTE[::-1] * 128, b"\xff" * 32768])
def test_the_same_bytes_come_back_to_the_sender_only(alice, bob, payload):
    assert call(alice, "my binary event", payload) == {"ok": True, "bytes": len(payload)}
    assert received(alice) == [("my binary response", payload)]
    assert received(bob) == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([b""], "the binary payload is empty"),
        ([b"x" * 32769], "the binary payload is 32769 bytes; the limit is 32768"),
        (["text"], "expected binary data (an ArrayBuffer, a Blob or bytes), got a string"),
        ([{"data": b"x"}], "expected binary data (an ArrayBuffer, a Blob or bytes), got an object"),
        ([[b"x"]], "expected binary data (an ArrayBuffer, a Blob or bytes), got a list"),
        ([None], "expected binary data (an ArrayBuffer, a Blob or bytes), got nothing"),
        ([42], "expected binary data (an ArrayBuffer, a Blob or bytes), got a number"),
        ([], "this event takes one payload, got none"),
        # Refused by the packet layer (playground/packets.py) before the handler: one attachment at most.
        ([b"a", b"b"], "this event takes at most 1 binary attachments, got 2"),
    ],
)
def test_anything_but_one_payload_in_size_is_bad_input(alice, bob, caplog, args, error):
    with caplog.at_level(logging.DEBUG):
        assert call(alice, "my binary event", *args) == {"ok": False, "error": error}
    assert received(alice) == [("my error", {"event": "my binary event", "error": error})]
    assert received(bob) == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"bad input event='my binary event' sid={sid_of(alice)}: {error}")
    ]
    assert alice.is_connected(NAMESPACE)


def test_max_binary_size_is_configurable(app, connect):
    app.config["MAX_BINARY_SIZE"] = 4
    client = connect()
    assert call(client, "my binary event", b"1234")["ok"]
    assert call(client, "my binary event", b"12345")["error"] == "the binary payload is 5 bytes; the limit is 4"
