"""Polling bodies read within bounds (playground/polling.py), and the Pacer that counts their packets."""

import io
import time
from types import SimpleNamespace

import gevent
import pytest
from gevent import socket as gsocket
from gevent.pywsgi import Input

from playground.polling import (
    ENGINEIO_MAX_PACKETS,
    BodyRefused,
    PollingGuard,
    count_packets,
    engine_payload,
    read_body,
    refuse,
    split_payload,
)
from playground.ratelimit import Pacer

LIMIT = 1000


def post(body=b"", **headers):
    """A WSGI environ for a POST of `body` with the given CGI-style headers."""
    return {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(body), **headers}


def refused(environ, timeout=1):
    """The BodyRefused that reading `environ`'s body raises."""
    with pytest.raises(BodyRefused) as refusal:
        read_body(environ, LIMIT, timeout)
    return refusal.value


def test_a_body_within_the_limit_is_read_and_handed_on_in_memory():
    """Engine.IO then reads the same bytes from `wsgi.input`, with a Content-Length that matches."""
    environ = post(b"4hello\x1e4world", CONTENT_LENGTH="13")
    assert read_body(environ, LIMIT, 1) == b"4hello\x1e4world"
    assert environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])) == b"4hello\x1e4world"


def test_a_content_length_over_the_limit_is_refused_without_reading():
    """413 on the header alone: not one byte of the body is read."""
    environ = post(b"x" * 5000, CONTENT_LENGTH="100000000")
    refusal = refused(environ)
    assert refusal.status == "413 Payload Too Large" and "100000000 bytes" in refusal.reason
    assert environ["wsgi.input"].tell() == 0


def test_a_chunked_body_is_refused_once_past_the_limit():
    """Without a length, the reader takes the limit plus one byte and stops there."""
    environ = post(b"x" * 100_000, HTTP_TRANSFER_ENCODING="chunked")
    assert refused(environ).status == "413 Payload Too Large"
    assert environ["wsgi.input"].tell() == LIMIT + 1
    small = post(b"4hi", HTTP_TRANSFER_ENCODING="chunked")
    assert read_body(small, LIMIT, 1) == b"4hi" and small["CONTENT_LENGTH"] == "3"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, "411 Length Required"),
        ({"CONTENT_LENGTH": "12abc"}, "400 Bad Request"),
        ({"CONTENT_LENGTH": "-5"}, "400 Bad Request"),
        ({"CONTENT_LENGTH": "500"}, "400 Bad Request"),  # the body ends before its length
    ],
)
def test_bodies_that_do_not_say_their_size_truthfully_are_refused(headers, status):
    """No length at all: 411; a length that is not a number, or that the body does not reach: 400."""
    assert refused(post(b"4hello", **headers)).status == status


def test_a_body_that_stalls_is_refused_after_the_timeout():
    """Half a body and then silence: 408 after the timeout, not a greenlet blocked for ever."""
    server, client = gsocket.socketpair()
    try:
        client.sendall(b"x" * 10)
        environ = post(CONTENT_LENGTH="500")
        environ["wsgi.input"] = server.makefile("rb")
        start = time.monotonic()
        assert refused(environ, timeout=0.2).status == "408 Request Timeout"
        assert 0.2 <= time.monotonic() - start < 1
    finally:
        server.close()
        client.close()


def test_a_refusal_closes_the_connection_and_leaves_the_body_unread():
    """413 with Connection: close; gevent's discard of the rest then reads nothing either."""
    rfile = io.BytesIO(b"x" * 100_000)
    environ = post(CONTENT_LENGTH="100000")
    environ["wsgi.input"] = Input(rfile, 100_000)
    answers = []
    body = refuse(environ, lambda status, headers: answers.append((status, dict(headers))), BodyRefused("413 X", "x"))
    assert answers == [("413 X", {"Content-Type": "text/plain", "Content-Length": "8", "Connection": "close"})]
    assert b"".join(body) == b"refused\n"
    environ["wsgi.input"]._discard()
    assert rfile.tell() == 0


def test_packets_are_counted_by_their_separators():
    """Engine.IO v4 payloads: packets joined by the record separator."""
    assert [count_packets(body) for body in (b"", b"4a", b"4a\x1e4b", b"\x1e".join([b"3"] * 16))] == [0, 1, 2, 16]


def test_the_pacer_counts_a_post_of_many_packets_as_that_many():
    """Rate 100, burst 200: 12 posts of 16 packets pass, the 13th waits for what it is over by."""
    now = [0.0]
    pacer = Pacer(100, clock=lambda: now[0])
    assert [pacer.delay(16) for _ in range(12)] == [0.0] * 12  # 192 of 200
    assert pacer.delay(16) == pytest.approx(0.08)  # 8 over: 8 packets at 100/s
    now[0] += 1.0
    assert pacer.delay(16) == 0.0


def payload(count):
    """A polling body of `count` packets, numbered."""
    return b"\x1e".join(b"4%d" % number for number in range(count))


def test_a_payload_is_split_into_groups_engineio_accepts():
    """16 at most each, in order, nothing lost or added; 16 or fewer stay one."""
    assert ENGINEIO_MAX_PACKETS == 16
    groups = split_payload(payload(40))
    assert [count_packets(group) for group in groups] == [16, 16, 8]
    assert b"\x1e".join(groups) == payload(40)
    assert split_payload(payload(16)) == [payload(16)]


class FakeSession:
    """An Engine.IO session: open until closed."""

    closed = False

    def close(self, **options):
        """End it, as the guard does when it refuses a body."""
        self.closed = True


class FakeEngineIO:
    """Engine.IO's POST handling reduced to what the guard sees: it records each body, answers 200 or not."""

    def __init__(self, refuse_from=None, work_per_packet=0.0):
        """Answer 400 from the `refuse_from`th body on; spend `work_per_packet` seconds of CPU on each packet."""
        self.bodies, self.times = [], []
        self.refuse_from = refuse_from
        self.work_per_packet = work_per_packet
        # Session "s", which a close packet ("1") ends, as Engine.IO's does.
        self.session = FakeSession()
        eio = SimpleNamespace(
            ping_timeout=5, sockets={"s": self.session}, reason=SimpleNamespace(SERVER_DISCONNECT="x")
        )
        self.socketio = SimpleNamespace(server=SimpleNamespace(eio=eio))

    def __call__(self, environ, start_response):
        """Handle one POST as Engine.IO would, in the request's greenlet."""
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        self.bodies.append(body)
        self.times.append(time.perf_counter())
        if b"1" in body.split(b"\x1e"):
            self.session.closed = True
        busy_until = time.perf_counter() + self.work_per_packet * count_packets(body)
        while time.perf_counter() < busy_until:
            pass  # a handler's CPU time: nothing yields
        if self.refuse_from is not None and len(self.bodies) >= self.refuse_from:
            start_response("400 BAD REQUEST", [("Content-Type", "text/plain")])
            return [b"Invalid session"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def guarded_post(engineio, body, packet_rate=0):
    """POST `body` through a PollingGuard in front of `engineio`; return (status, response body)."""
    guard = PollingGuard(engineio, engineio.socketio, LIMIT * 1000, packet_rate, lambda environ, why: None)
    answer = []
    chunks = guard.handle(
        post(body, CONTENT_LENGTH=str(len(body))), lambda status, headers: answer.append(status), sid="s"
    )
    return answer[0], b"".join(chunks)


def test_a_long_payload_reaches_engineio_in_groups_in_order():
    """Engine.IO would drop all 40 (more than it decodes at once): it gets them 16, 16 and 8, in order."""
    engineio = FakeEngineIO()
    assert guarded_post(engineio, payload(40)) == ("200 OK", b"ok")
    assert engineio.bodies == split_payload(payload(40))
    engineio = FakeEngineIO()
    guarded_post(engineio, payload(16))
    assert engineio.bodies == [payload(16)]


def test_a_group_engineio_refuses_ends_the_request_with_its_answer():
    """The session ended after the second group (a close packet, say): the third is not handed on."""
    engineio = FakeEngineIO(refuse_from=2)
    assert guarded_post(engineio, payload(40)) == ("400 BAD REQUEST", b"Invalid session")
    assert len(engineio.bodies) == 2


def test_the_event_loop_runs_between_groups():
    """640 packets of 1 ms each: a ticker waits at most a group's 16 ms, not the body's 640 ms."""
    engineio = FakeEngineIO(work_per_packet=0.001)
    gaps, last = [], [time.perf_counter()]

    def tick():
        while True:
            gevent.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

    ticker = gevent.spawn(tick)
    gevent.sleep(0.01)
    guarded_post(engineio, payload(640))
    ticker.kill()
    assert len(engineio.bodies) == 40
    assert max(gaps) < 0.1, f"the loop waited {max(gaps) * 1000:.0f} ms"


def test_each_group_is_paced_as_it_goes():
    """Rate 100 (burst 200): 400 packets are not all waited for up front, each group goes on when its pace allows."""
    engineio = FakeEngineIO()
    started = time.perf_counter()
    guarded_post(engineio, payload(400), packet_rate=100)
    handed_on = [at - started for at in engineio.times]
    # The first 12 groups (192 packets) are within the burst; the 25th and last waits about 2 s.
    assert max(handed_on[:12]) < 0.1 and 1.8 < handed_on[-1] < 2.6, handed_on


def test_a_close_packet_in_an_early_group_ends_the_request_there():
    """Engine.IO would answer the next group for the ended session with a 500 and a traceback: 400, and no more."""
    engineio = FakeEngineIO()
    body = b"\x1e".join([payload(20), b"1", payload(20)])
    assert guarded_post(engineio, body) == ("400 Bad Request", b"refused\n")
    assert engineio.bodies == split_payload(body)[:2]


def test_a_post_for_an_ended_session_is_refused_unread():
    """A POST that raced the session's end (a close, a server-side disconnect) gets a 400, not Engine.IO's 500."""
    engineio = FakeEngineIO()
    engineio.session.closed = True
    assert guarded_post(engineio, payload(3)) == ("400 Bad Request", b"refused\n")
    assert engineio.bodies == []


def test_jsonp_bodies_are_unwrapped_and_checked_like_the_rest():
    """Engine.IO reads `d=<payload>` (form-encoded) as the payload; so does the check, and groups are cut from it."""
    assert engine_payload(b"d=4a%1E4b") == b"4a\x1e4b"
    assert engine_payload(b"4a\x1e4b") == b"4a\x1e4b"
    engineio = FakeEngineIO()
    guarded_post(engineio, b"d=" + payload(20).replace(b"\x1e", b"%1E"))
    assert engineio.bodies == split_payload(payload(20))


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"4\xff", "a polling body that is not UTF-8"),
        (b"4a\x1e\x1e4b", "an empty Engine.IO packet"),
        (b"d=2", "an Engine.IO ping from a client (servers ping, clients answer)"),
        (b"d=%FF", "an Engine.IO packet of type '\ufffd', which no client sends"),
    ],
)
def test_bodies_engineio_cannot_take_are_refused_with_400(body, why):
    """Each made Engine.IO log a traceback or hang the POST; the guard names it instead."""
    with pytest.raises(BodyRefused) as refusal:
        engine_payload(body)
    assert (refusal.value.status, refusal.value.reason) == ("400 Bad Request", why)
    engineio = FakeEngineIO()
    assert guarded_post(engineio, body) == ("400 Bad Request", b"refused\n")
    assert engineio.bodies == [] and engineio.session.closed
