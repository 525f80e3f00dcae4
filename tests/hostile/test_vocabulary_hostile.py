"""The worst a client can send on issue 11's paths, as raw bytes: auth on connect, binary attachments,
answers to the server's questions. Each gets a clear refusal or error; nothing else breaks."""

import json

import pytest

from tests.hostile.wire import RawClient

CONNECT_OK = "40/test,"
REFUSED = "44/test,"


def engine_only(port):
    """A raw client with its Engine.IO session open and no namespace joined yet."""
    client = RawClient(port)
    client.read_packet(lambda packet: packet.startswith("0"))
    return client


def ack_of(client, ack_id, since=0):
    """The arguments of the server's ack with `ack_id` (a `43/test,<id>[...]` packet)."""
    packet = client.read_packet(lambda p: p.startswith(f"43/test,{ack_id}["), since=since)
    return json.loads(packet[len(f"43/test,{ack_id}") :])


@pytest.fixture(scope="module")
def server(serve):
    """`python app.py` with a short CALL_TIMEOUT, for the whole module."""
    with serve(env={"CALL_TIMEOUT": "1"}) as process:
        yield process


WRONG_AUTH = [
    ('"Ada"', 'auth must be an object like {"name": "Ada"}, got a string'),
    ("[1, 2]", 'auth must be an object like {"name": "Ada"}, got a list'),
    ("true", 'auth must be an object like {"name": "Ada"}, got a boolean'),
    ('{"name": {"first": "Ada"}}', "name must be a string, got an object"),
    ('{"name": 1e400}', "name must be a string, got a number"),
    ('{"name": ""}', "name must be 1-32 characters, got 0"),
    ('{"name": "' + "x" * 60_000 + '"}', "name must be 1-32 characters, got 60000"),
    ('{"name": "' + "\\u00e9" * 33 + '"}', "name must be 1-32 characters, got 33"),
    ('{"name": "a\\u0000b"}', "name must not contain control characters"),
    ('{"name": "esc\\u001b[31m"}', "name must not contain control characters"),
    ('{"name": "c1\\u0085mid"}', "name must not contain control characters"),
]


@pytest.mark.parametrize(("auth", "reason"), WRONG_AUTH, ids=[reason[:30] for _, reason in WRONG_AUTH])
def test_wrong_auth_is_refused_with_its_reason_and_the_session_can_still_connect(server, raw_client, auth, reason):
    watcher = raw_client(server.port)
    before = len(watcher.of("presence"))
    client = engine_only(server.port)
    client.send_raw(CONNECT_OK + auth)
    refused = client.read_packet(lambda p: p.startswith(REFUSED) or p.startswith(CONNECT_OK))
    assert json.loads(refused[len(REFUSED) :]) == {"message": reason}
    server.wait_for_output(f"refused addr=127.0.0.1 reason={reason}")
    assert server.health()["clients"] == 1, "the refused one is not counted"
    # Nothing else happened: the same Engine.IO session connects with a good name, and only that is announced.
    since = len(client.packets)
    client.send_raw(CONNECT_OK + '{"name": "Ada", "role": "admin"}')
    client.read_packet(lambda p: p.startswith(CONNECT_OK + '{"sid"'), since=since)
    watcher.read_packet(lambda p: '"presence"' in p and '"Ada"' in p, since=len(watcher.packets))
    assert [p["name"] for p in watcher.of("presence")[before:]] == ["Ada"]
    client.close()


def send_binary_event(client, ack_id, attachments, declared=None):
    """Emit `my binary event` with `attachments` (bytes, or str for a text frame where binary is due)."""
    count = len(attachments) if declared is None else declared
    placeholders = [{"_placeholder": True, "num": n} for n in range(count)]
    client.send_raw(f"45{count}-/test,{ack_id}" + json.dumps(["my binary event", *placeholders]))
    for attachment in attachments:
        if isinstance(attachment, str):
            client.send_raw("4" + attachment)
        else:
            client.send_binary(attachment)


@pytest.mark.parametrize(
    ("attachments", "error"),
    [
        ([b""], "the binary payload is empty"),
        ([b"\x00" * 32769], "the binary payload is 32769 bytes; the limit is 32768"),
        (["text"], "expected binary data (an ArrayBuffer, a Blob or bytes), got a string"),
    ],
    ids=["0 bytes", "over the limit", "text where binary is due"],
)
def test_binary_that_breaks_the_contract_gets_my_error_and_a_failed_ack(server, raw_client, attachments, error):
    client, other = raw_client(server.port), raw_client(server.port)
    send_binary_event(client, 7, attachments)
    assert ack_of(client, 7) == [{"ok": False, "error": error}]
    assert client.of("my error")[-1] == {"event": "my binary event", "error": error}
    server.wait_for_output(f"bad input event='my binary event' sid={client.sid}: {error}")
    client.emit("my event", {"data": "still here"})
    client.read_packet(lambda p: "still here" in p)
    assert other.of("my error") == [] and other.of("my binary response") == []


def test_several_binary_payloads_are_refused(server, raw_client):
    client = raw_client(server.port)
    send_binary_event(client, 8, [b"one", b"two"])
    [ack] = ack_of(client, 8)
    assert ack["ok"] is False, ack
    assert client.of("my error")[-1]["event"] == "my binary event"
    client.emit("my event", {"data": "still here"})
    client.read_packet(lambda p: "still here" in p)


def test_a_question_answered_twice_or_with_a_wrong_id_is_reported_once(server, raw_client):
    client = raw_client(server.port)
    client.send_raw('42/test,3["call me"]')
    assert ack_of(client, 3) == [{"ok": True}]
    question = client.read_packet(lambda p: '"are you there"' in p)
    ack_id = int(question[len("42/test,") : question.index("[")])
    client.send_raw(f"43/test,{ack_id + 100}[" + json.dumps("wrong id") + "]")
    client.send_raw(f"43/test,{ack_id}[" + json.dumps("x" * 50_000) + "]")
    client.send_raw(f'43/test,{ack_id}["again"]')
    client.emit("my event", {"data": "marker"})
    client.read_packet(lambda p: "marker" in p)
    answers = [p["data"] for p in client.of("my response") if p["data"].startswith("You answered")]
    assert len(answers) == 1, answers
    shown = answers[0].removeprefix("You answered ").rsplit(" after ", 1)[0]
    assert shown == '"' + "x" * 999, "the answer is cut at MAX_MESSAGE_LENGTH"


def test_a_client_that_never_answers_holds_one_question_and_gets_my_error(server, raw_client):
    client = raw_client(server.port)
    client.send_raw('42/test,1["call me"]')
    client.send_raw('42/test,2["call me"]')
    assert ack_of(client, 1) == [{"ok": True}]
    assert ack_of(client, 2) == [
        {"ok": False, "error": "the server is still waiting for your answer to its last question"}
    ]
    client.read_packet(lambda p: "no answer within 1 s" in p, timeout=5)
    client.send_raw('42/test,3["call me"]')
    assert ack_of(client, 3) == [{"ok": True}], "after the timeout the client may be asked again"
