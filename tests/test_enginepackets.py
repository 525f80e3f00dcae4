"""Engine.IO packets no client sends (playground/enginepackets.py): named before python-engineio decodes them."""

import pytest

from playground.enginepackets import payload_problem, problem


@pytest.mark.parametrize("text", ["4", '42/test,["my event",{"data":"x"}]', "1", "3", "5", "bAAE=", "b"])
def test_the_packets_clients_send_pass(text):
    """Message, close, pong, upgrade and base64 binary (empty too), on either transport."""
    assert problem(text) is None
    assert problem(text, websocket=True) is None


def test_the_upgrade_probe_passes_on_a_websocket_only():
    """`2probe` checks a new WebSocket before an upgrade; over polling a client never pings."""
    assert problem("2probe", websocket=True) is None
    assert problem("2probe") == "an Engine.IO ping from a client (servers ping, clients answer)"
    assert problem("2", websocket=True) == "an Engine.IO ping from a client (servers ping, clients answer)"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "an empty Engine.IO packet"),
        ("0", "an Engine.IO packet of type '0', which no client sends"),
        ("6", "an Engine.IO packet of type '6', which no client sends"),
        ("9{}", "an Engine.IO packet of type '9', which no client sends"),
        ("x", "an Engine.IO packet of type 'x', which no client sends"),
        ("d=4x", "an Engine.IO packet of type 'd', which no client sends"),
        ("\U0001f600", "an Engine.IO packet of type '\U0001f600', which no client sends"),
        ("bA", "an Engine.IO binary packet that is not base64"),
        ("b!!!!", "an Engine.IO binary packet that is not base64"),
    ],
)
def test_what_no_client_sends_is_named(text, why):
    """Each of these made python-engineio log a traceback, or hang a POST (0, 6, 9: types it does not take)."""
    assert problem(text) == why
    assert problem(text, websocket=True) == why


def test_a_payload_is_checked_record_by_record():
    """The first bad record is named; an empty payload carries nothing to check."""
    assert payload_problem("4a\x1e4b\x1e3") is None
    assert payload_problem("") is None
    assert payload_problem("4a\x1e\x1e4b") == "an empty Engine.IO packet"
    assert payload_problem("4a\x1e2\x1e9") == "an Engine.IO ping from a client (servers ping, clients answer)"
