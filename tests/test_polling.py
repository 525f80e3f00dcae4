"""Polling bodies read within bounds (playground/polling.py), and the Pacer that counts their packets."""

import io
import time

import pytest
from gevent import socket as gsocket
from gevent.pywsgi import Input

from playground.polling import BodyRefused, count_packets, read_body, refuse
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
