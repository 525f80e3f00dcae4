"""`call me`: the server asks with an ack request and waits in a background task (unit tests)."""

import json
import time

import pytest

from playground import create_app, socketio
from playground.config import NAMESPACE
from playground.questions import Question, Questions
from playground.validation import BadInput
from tests.test_events import call, received, response, sid_of

CALL_TIMEOUT = 0.3


@pytest.fixture
def app():
    """The unit tests' app with a short CALL_TIMEOUT."""
    return create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "CALL_TIMEOUT": CALL_TIMEOUT})


def pending_acks(client):
    """The ack requests the server still waits on for `client` (python-socketio keeps them per sid)."""
    return sorted(ack_id for ack_id in socketio.server.manager.callbacks.get(sid_of(client), {}) if ack_id)


def answer(client, *values):
    """Answer the server's pending question as a client does: an ACK packet with the question's id."""
    [ack_id] = pending_acks(client)
    socketio.server._handle_eio_message(client.eio_sid, f"3{NAMESPACE},{ack_id}{json.dumps(list(values))}")


def wait_for(client, event, timeout=3):
    """Yield to the background tasks until `client` receives `event`; return what it received and when."""
    got, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        got += received(client)
        if any(name == event for name, _ in got):
            return got, time.monotonic()
        socketio.sleep(0.01)
    raise AssertionError(f"no {event!r} within {timeout}s; got {got}")


def test_call_me_acks_at_once_and_asks_the_sender_only(alice, bob):
    assert call(alice, "call me") == {"ok": True}
    assert received(alice) == [("are you there", {"question": "Are you there?"})]
    assert received(bob) == []
    assert len(pending_acks(alice)) == 1


def test_an_answer_is_reported_with_its_delay(alice, bob):
    call(alice, "call me")
    received(alice)
    socketio.sleep(0.05)
    answer(alice, {"time": "12:00:00.000"})
    [(event, payload)] = received(alice)
    assert event == "my response" and payload["count"] == 1
    assert payload["from"] == {"sid": sid_of(alice), "name": None}
    text, delay = payload["data"].rsplit(" after ", 1)
    assert text == 'You answered {"time": "12:00:00.000"}'
    assert 50 <= int(delay.removesuffix(" ms")) < 1000
    socketio.sleep(CALL_TIMEOUT + 0.1)
    assert received(alice) == [], "no timeout error after an answer"
    assert received(bob) == []
    assert pending_acks(alice) == []


@pytest.mark.parametrize(
    ("values", "shown"),
    [(("yes",), '"yes"'), ((42,), "42"), ((None,), "null"), ((), "null"), (("a", "b"), '["a", "b"]')],
)
def test_any_json_answer_is_shown_as_json(alice, values, shown):
    call(alice, "call me")
    received(alice)
    answer(alice, *values)
    [(_, payload)] = received(alice)
    assert payload["data"].startswith(f"You answered {shown} after ")


def test_a_huge_answer_is_cut_at_max_message_length(alice):
    call(alice, "call me")
    received(alice)
    answer(alice, "x" * 5000)
    [(_, payload)] = received(alice)
    assert payload["data"] == "You answered " + ('"' + "x" * 999) + f" after {payload['data'].rsplit(' ', 2)[1]} ms"


def test_no_answer_is_my_error_after_call_timeout_and_the_ack_request_is_dropped(alice, bob):
    asked = time.monotonic()
    call(alice, "call me")
    got, arrived = wait_for(alice, "my error")
    assert got == [
        ("are you there", {"question": "Are you there?"}),
        ("my error", {"event": "call me", "error": f"no answer within {CALL_TIMEOUT:g} s"}),
    ]
    assert CALL_TIMEOUT <= arrived - asked < CALL_TIMEOUT + 1
    assert pending_acks(alice) == [], "a question nobody answers holds no memory"
    assert received(bob) == []


def test_an_answer_after_the_timeout_is_ignored_and_the_next_question_works(alice):
    call(alice, "call me")
    received(alice)
    [ack_id] = pending_acks(alice)
    wait_for(alice, "my error")
    socketio.server._handle_eio_message(alice.eio_sid, f'3{NAMESPACE},{ack_id}["late"]')
    assert received(alice) == []
    assert call(alice, "call me") == {"ok": True}
    received(alice)
    answer(alice, "now")
    assert received(alice)[0][1]["data"].startswith('You answered "now"')


def test_a_second_call_while_one_waits_is_refused(alice):
    call(alice, "call me")
    received(alice)
    error = "the server is still waiting for your answer to its last question"
    assert call(alice, "call me") == {"ok": False, "error": error}
    assert received(alice) == [("my error", {"event": "call me", "error": error})]
    assert len(pending_acks(alice)) == 1


def test_waiting_does_not_delay_the_same_clients_echoes(alice):
    call(alice, "call me")
    received(alice)
    for n in range(5):
        assert call(alice, "my event", {"data": str(n)})["ok"]
    assert received(alice) == [response(str(n), n + 1, alice) for n in range(5)]


@pytest.mark.parametrize("payload", [{"data": "x"}, "x", 0, [1]])
def test_call_me_takes_no_payload(alice, payload):
    ack = call(alice, "call me", payload)
    assert ack["ok"] is False and ack["error"].startswith("this event takes no payload")
    assert pending_acks(alice) == []


def test_a_question_settles_exactly_once():
    question = Question("sid", event=None)
    assert question.settle() is True
    assert question.settle() is False


def test_questions_hold_one_per_client_and_forget_it_when_done():
    questions = Questions()
    first = questions.ask("a", event=None)
    questions.ask("b", event=None)
    with pytest.raises(BadInput):
        questions.ask("a", event=None)
    questions.done(first)
    assert len(questions) == 1
    questions.ask("a", event=None)
    questions.done(first)  # an old question's done does not forget the new one
    assert len(questions) == 2
