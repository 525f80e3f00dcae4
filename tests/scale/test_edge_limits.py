"""The shipped nginx config's per-address limits: they bite one address while others carry on.

The flooder connects from 127.0.0.2 (any 127.x.y.z is this machine), so
nginx counts it apart from the ordinary clients on 127.0.0.1, which talk
through the flood and must not notice it. The limits are read from the
shipped config, so the tests follow it when the values change.
"""

import http.client
import json
import re
import time

import pytest

from tests.hostile.wire import RawClient
from tests.scale.cluster import ENGINEIO_PATH, NGINX_CONF, wait_until

pytestmark = pytest.mark.scale

FLOODER = "127.0.0.2"


def shipped(pattern):
    """The number `pattern` captures in deploy/nginx.conf."""
    with open(NGINX_CONF) as conf:
        return int(re.search(pattern, conf.read()).group(1))


CONNECTIONS = shipped(r"limit_conn per_address (\d+);")
POST_RATE = shipped(r"zone=polling_posts:\w+ rate=(\d+)r/s;")
POST_BURST = shipped(r"limit_req zone=polling_posts burst=(\d+)")


def post(port, sid, body):
    """One long-polling POST from the flooder's address, on a connection of its own; its status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(FLOODER, 0))
    try:
        connection.request("POST", f"{ENGINEIO_PATH}&sid={sid}", body=body)
        return connection.getresponse().status
    finally:
        connection.close()


def open_polling_session(port):
    """An Engine.IO polling session from the flooder's address, connected to `/test`; its sid."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(FLOODER, 0))
    try:
        connection.request("GET", ENGINEIO_PATH)
        sid = json.loads(connection.getresponse().read().decode()[1:])["sid"]  # the OPEN packet: "0" + JSON
    finally:
        connection.close()
    assert post(port, sid, b"40/test,") == 200
    return sid


def test_connections_from_one_address_are_capped(deployment, report):
    """The flooder's connection past the limit gets 429; a client on another address connects meanwhile."""
    steady = deployment.connect("steady", None)
    flood = []
    refusal = None
    try:
        while len(flood) <= CONNECTIONS and refusal is None:
            try:
                flood.append(RawClient(deployment.nginx.port, source=FLOODER))
            except ConnectionError as exc:
                refusal = str(exc)
        report[f"WebSockets one address opened before a 429 (limit_conn {CONNECTIONS})"] = len(flood)
        assert len(flood) == CONNECTIONS and "429" in (refusal or ""), (len(flood), refusal)
        assert steady.call("my event", {"data": "during the flood"})["ok"] is True
        newcomer = deployment.connect("newcomer", None, "polling")
        assert newcomer.call("my event", {"data": "new here"})["ok"] is True
    finally:
        for client in flood:
            client.abort()
    assert 'limiting connections by zone "per_address"' in deployment.nginx.error_log()
    # Once its connections are gone the address may connect again.
    wait_until(lambda: _connects(deployment.nginx.port), 10, "the flooder's address connecting again")


def _connects(port):
    """Whether a WebSocket from the flooder's address is accepted now (closed again at once)."""
    try:
        RawClient(port, source=FLOODER).abort()
    except ConnectionError:
        return False
    return True


def test_a_polling_post_flood_from_one_address_is_limited(deployment, report):
    """POSTs as fast as one address can send them: past the burst, 429 at the rate; a polling client carries on."""
    steady = deployment.connect("steady", None, "polling")
    sid = open_polling_session(deployment.nginx.port)
    try:
        statuses = []
        start = last_echo = time.monotonic()
        while time.monotonic() - start < 2.0:
            statuses.append(post(deployment.nginx.port, sid, b'42/test,["my ping"]'))
            # Ten echoes a second however fast this machine posts: well inside steady's own rate limit.
            if time.monotonic() - last_echo >= 0.1:
                last_echo = time.monotonic()
                assert_echoes(steady, "during the flood", deployment)
        elapsed = time.monotonic() - start
        passed, limited = statuses.count(200), statuses.count(429)
        rate = f"{passed} of {len(statuses)} in {elapsed:.1f} s"
        report[f"polling POSTs from one address let through (limit_req {POST_RATE}r/s burst {POST_BURST})"] = rate
        assert passed + limited == len(statuses), statuses
        assert limited > 0 and passed <= POST_BURST + 1 + POST_RATE * elapsed, rate
        assert "limiting requests" in deployment.nginx.error_log()
        assert_echoes(steady, "after the flood", deployment)
    finally:
        # Engine.IO CLOSE, once the burst refills: the flooder leaves, pass or fail, so that the
        # next test does not find its session still counted on an instance until the ping timeout.
        time.sleep(POST_BURST / POST_RATE)
        assert post(deployment.nginx.port, sid, b"1") == 200


def assert_echoes(client, data, deployment):
    """`client`'s echo of `data` is acknowledged as fine; else fail with the ack and the instances' warnings."""
    ack = client.call("my event", {"data": data})
    if ack.get("ok") is not True:
        complaints = [
            line
            for instance in deployment.instances
            for line in instance.output().splitlines()
            if " WARNING " in line or " ERROR " in line
        ]
        raise AssertionError(f"echo of {data!r} acknowledged {ack}; the instances said: {complaints[-20:]}")
