"""Scale-out: 3 instances of the Procfile's command on one Redis message queue, behind the shipped nginx config.

Clients connect through nginx only, over WebSocket and long-polling, and
are spread over the three instances (each instance's /healthz confirms it).
The tests that break something (a dead instance, a Redis outage) come last;
the `deployment` fixture mends the cluster before each test.
"""

import datetime
import itertools
import json
import os
import re
import signal
import time
import urllib.error
import urllib.request

import pytest

from tests.scale.cluster import (
    DELIVERY_TIMEOUT,
    ENGINEIO_PATH,
    FEED_INTERVAL,
    INSTANCES,
    REDIS_PASSWORD,
    Nginx,
    greeting_free,
    one_feed_rate,
    run_announce,
    settle,
    wait_until,
)
from tests.servers import PROJECT_ROOT

pytestmark = pytest.mark.scale


def _graceful_timeout():
    """gunicorn's graceful_timeout as gunicorn.conf.py sets it (seconds)."""
    with open(os.path.join(PROJECT_ROOT, "gunicorn.conf.py")) as conf:
        return int(re.search(r"^graceful_timeout = (\d+)", conf.read(), re.M).group(1))


GRACEFUL_TIMEOUT = _graceful_timeout()


def test_every_instance_names_the_queue_redacted_in_healthz_and_its_startup_log(deployment):
    shown = f"redis://:***@127.0.0.1:{deployment.redis.port}/0"
    for instance in deployment.instances:
        assert instance.health()["message_queue"] == shown
        output = instance.output()
        assert f"message_queue={shown}" in output
        assert REDIS_PASSWORD not in output


def test_sticky_sessions_keep_polling_and_websocket_clients_on_their_instance(deployment, report):
    clients = deployment.spread(per_instance=2)  # one websocket and one polling client per instance
    for client in clients:
        for number in range(3):
            assert client.call("my event", {"data": f"{client.key}-{number}"})["ok"] is True
        assert client.sio.transport() == client.transport
    for client in clients:
        assert greeting_free(client) == [f"{client.key}-{number}" for number in range(3)]
    counts = [instance.health()["clients"] for instance in deployment.instances]
    report["clients per instance (websocket+polling)"] = counts
    assert counts == [2] * INSTANCES


def polling_session(url, key, posts=6):
    """Open a long-polling session by hand: connect to /test, then send `my ping`s; return each POST's (status, body).

    By hand, because a client library would give up at the first refusal;
    this counts every request that reached an instance without the session.
    """
    base = f"{url}{ENGINEIO_PATH}&client={key}"
    with urllib.request.urlopen(base, timeout=5) as response:
        sid = json.loads(response.read().decode()[1:])["sid"]  # the OPEN packet: "0" + JSON
    answers = []
    for number in range(posts):
        packet = b"40/test," if number == 0 else b'42/test,["my ping"]'  # Socket.IO CONNECT, then EVENTs
        request = urllib.request.Request(f"{base}&sid={sid}", data=packet, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                answers.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read().decode()))
    for _ in range(3):  # Engine.IO CLOSE, sent until it reaches the session's instance (round robin: 3 tries)
        request = urllib.request.Request(f"{base}&sid={sid}", data=b"1", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5):
                break
        except urllib.error.HTTPError:
            continue
    return answers


def test_without_the_hash_line_polling_breaks_with_invalid_session(deployment, report):
    """The control: the same requests succeed through the shipped config and fail through it minus stickiness."""
    assert polling_session(deployment.nginx.url, "sticky") == [(200, "OK")] * 6
    unsticky = Nginx(deployment.workdir, deployment.ports, transform=lambda text: text.replace("hash $sticky_key", "#"))
    unsticky.start()
    try:
        answers = polling_session(unsticky.url, "sticky")
    finally:
        unsticky.stop()
    refused = [answer for answer in answers if answer[0] == 400 and "Invalid session" in answer[1]]
    report["POSTs of one polling session refused by round robin"] = f"{len(refused)}/{len(answers)}"
    # Round robin over 3 instances: 2 of every 3 requests reach an instance that never saw the session.
    assert len(refused) >= 3, answers
    assert len(refused) + answers.count((200, "OK")) == len(answers), answers


def test_a_broadcast_from_any_instance_reaches_every_client_exactly_once(deployment, report):
    clients = deployment.spread(per_instance=2)
    sent = []
    for client in clients:
        data = f"from-{client.key}-on-{client.instance}"
        assert client.call("my broadcast event", {"data": data})["ok"] is True
        sent.append(data)
    settle(clients, clients[0])
    deliveries = []
    for client in clients:
        got = [data for data in greeting_free(client) if not data.startswith("settle-")]
        assert sorted(got) == sorted(sent), f"{client.key} got {got}"
        deliveries.append(len(got) / len(sent))
    report["deliveries per client per broadcast"] = sorted(set(deliveries))


def test_an_echo_stays_with_its_sender(deployment):
    clients = deployment.spread(per_instance=1)
    sender, others = clients[0], clients[1:]
    assert sender.call("my event", {"data": "just me"})["ok"] is True
    settle(clients, others[-1])
    assert "just me" in greeting_free(sender)
    for client in others:
        assert "just me" not in greeting_free(client)


def test_room_events_reach_members_on_every_instance_and_nobody_else(deployment):
    members = deployment.spread(per_instance=1)
    outsider = deployment.spread(per_instance=1)  # one more on each instance, none of them in the room
    for member in members:
        assert member.call("join", {"room": "lobby"})["rooms"] == ["lobby"]
    assert outsider[1].call("my room event", {"room": "lobby", "data": "hello lobby"})["ok"] is True
    # Each step waits for the previous one to reach every instance: the queue orders what one
    # instance publishes, not an instance's own local delivery against another's publications.
    for member in members:
        member.wait_until(lambda c: "hello lobby" in greeting_free(c), DELIVERY_TIMEOUT, "the room event")
    assert members[0].call("close room", {"room": "lobby"})["ok"] is True
    for member in members:
        member.wait_until(lambda c: "Room lobby is closing." in greeting_free(c), DELIVERY_TIMEOUT, "the close")
    # After the close, the room is empty on every instance.
    assert outsider[2].call("my room event", {"room": "lobby", "data": "anyone?"})["ok"] is True
    settle(members + outsider, outsider[0])
    for member in members:
        got = [data for data in greeting_free(member) if not data.startswith(("settle-", "In rooms"))]
        assert got == ["hello lobby", "Room lobby is closing."], f"{member.key} on {member.instance}: {got}"
    for client in outsider:
        assert [data for data in greeting_free(client) if not data.startswith("settle-")] == []


def test_the_feed_sends_one_number_per_interval_to_everyone(deployment, report):
    clients = deployment.spread(per_instance=1)
    window = 10 * FEED_INTERVAL
    start = time.monotonic()
    time.sleep(window)
    ticks_per_interval = one_feed_rate(clients, start, time.monotonic())
    report["feed ticks per interval (3 instances)"] = round(ticks_per_interval, 2)
    assert 0.7 <= ticks_per_interval <= 1.2
    assert len(deployment.leaders()) == 1, "exactly one instance holds the feed's lock"


def test_presence_counts_the_clients_of_every_instance(deployment):
    watcher = deployment.spread(per_instance=1)[0]
    clients = deployment.spread(per_instance=1)
    total = 2 * INSTANCES
    watcher.wait_until(lambda c: c.of("presence")[-1]["clients"] == total, DELIVERY_TIMEOUT, f"presence {total}")
    clients[0].disconnect()
    watcher.wait_until(
        lambda c: c.of("presence")[-1]["clients"] == total - 1, DELIVERY_TIMEOUT, "presence after a leave"
    )
    assert watcher.of("presence")[-1]["event"] == "disconnect"


def announce(deployment, text):
    """Run the external emitter the way the README does, with the queue in the environment."""
    return run_announce(text, {**os.environ, "SOCKETIO_MESSAGE_QUEUE": deployment.redis.url})


def test_the_external_emitter_reaches_clients_on_every_instance(deployment):
    clients = deployment.spread(per_instance=2)
    result = announce(deployment, "maintenance at noon")
    assert result.returncode == 0, result.stderr
    assert f"announced to {INSTANCES} web instance(s)" in result.stderr
    assert REDIS_PASSWORD not in result.stdout + result.stderr
    for client in clients:
        client.wait_until(lambda c: "maintenance at noon" in greeting_free(c), DELIVERY_TIMEOUT, "the announcement")
        announcements = [p for p in client.of("my response") if p["data"] == "maintenance at noon"]
        assert announcements == [{"data": "maintenance at noon", "count": 0, "announcement": True}]


def test_killing_the_feed_leader_moves_the_feed_and_its_clients_and_corrects_presence(deployment, report):
    clients = deployment.spread(per_instance=2, reconnect=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
    total = len(clients)
    leader = wait_until(lambda: deployment.leader() is not None, 10, "a feed leader") and deployment.leader()
    time.sleep(3 * FEED_INTERVAL)  # the leader is feeding
    survivors = [client for client in clients if client.instance != leader]
    orphans = [client for client in clients if client.instance == leader]
    old_sids = [client.current_sid() for client in orphans]
    watcher = survivors[0]

    killed_at = time.monotonic()
    deployment.instances[leader].stop(signal.SIGKILL)  # no goodbye

    # The feed resumes from another instance within 3 intervals: the longest silence a client on a
    # surviving instance sees around the kill (a number already in flight may land just after it).
    wait_until(lambda: deployment.leader() not in (None, leader), 10, "a new leader")
    watcher.wait_until(lambda c: len(c.numbers_since(killed_at)) >= 4, 10 * FEED_INTERVAL, "numbers after the kill")
    arrivals = [
        at for at, event, _ in list(watcher.arrivals) if event == "newnumber" and at > killed_at - FEED_INTERVAL
    ]
    silence, resumed = max((later - earlier, later) for earlier, later in itertools.pairwise(arrivals))
    report["feed silence around SIGKILL of the leader (intervals)"] = round(silence / FEED_INTERVAL, 2)
    report["feed resumed after SIGKILL of the leader (s)"] = round(resumed - killed_at, 2)
    assert silence <= 3 * FEED_INTERVAL + 0.25, [round(at - killed_at, 3) for at in arrivals]

    # The dead instance's clients reconnect through nginx, to another instance, and keep receiving.
    for client, old_sid in zip(orphans, old_sids, strict=True):
        client.wait_until(
            lambda c, old=old_sid: c.sio.connected and c.current_sid() not in (None, old), 15, "a reconnection"
        )
    reconnected_at = time.monotonic()
    report["orphaned clients reconnected (s)"] = round(reconnected_at - killed_at, 2)
    for client in orphans:
        client.wait_until(lambda c: len(c.numbers_since(reconnected_at)) >= 2, 10 * FEED_INTERVAL, "numbers again")

    # Presence: the dead instance's count expires and a correction reaches everyone.
    watcher.wait_until(
        lambda c: c.of("presence") and c.of("presence")[-1]["clients"] == total, 15, f"presence corrected to {total}"
    )
    report["presence corrected after SIGKILL (s)"] = round(time.monotonic() - killed_at, 2)
    live = [i for i in range(INSTANCES) if i != leader]
    assert sum(deployment.instances[i].health()["clients"] for i in live) == total
    time.sleep(1.5)  # no later, wrong correction
    assert watcher.of("presence")[-1]["clients"] == total


def test_a_graceful_stop_of_the_leader_hands_the_feed_over_at_once_and_says_goodbye(deployment, report):
    clients = deployment.spread(per_instance=1, reconnect=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
    leader = wait_until(lambda: deployment.leader() is not None, 10, "a feed leader") and deployment.leader()
    watcher = next(client for client in clients if client.instance != leader)
    time.sleep(2 * FEED_INTERVAL)
    stopping_at = time.monotonic()
    assert deployment.instances[leader].stop() == 0  # SIGTERM, gunicorn's graceful stop
    exited_at = time.monotonic()
    report["graceful stop of an instance with open WebSockets (s)"] = round(exited_at - stopping_at, 2)
    output = deployment.instances[leader].output()
    # Its clients were told goodbye and none came back to it (they would have, within gunicorn's
    # tick, through the sticky balancer), so it ended on its own before the graceful timeout.
    assert "Worker graceful timeout" not in output
    assert not re.search(r"\bconnect sid=", output.split("feed leadership released")[-1])
    assert exited_at - stopping_at < GRACEFUL_TIMEOUT - 0.5
    assert "feed leadership released" in output
    assert "presence goodbye" in output
    watcher.wait_until(lambda c: len(c.numbers_since(exited_at)) >= 3, 10 * FEED_INTERVAL, "numbers after the stop")
    arrivals = [at for at, event, _ in watcher.arrivals if event == "newnumber" and at > stopping_at - FEED_INTERVAL]
    longest_gap = max(later - earlier for earlier, later in itertools.pairwise(arrivals))
    report["graceful stop of the leader: longest gap between numbers (intervals)"] = round(
        longest_gap / FEED_INTERVAL, 2
    )
    # Between the old leader's last tick and SIGTERM up to one interval passes; the released lock
    # is taken at another instance's next try (every half interval), not after the lock's TTL.
    assert longest_gap <= 2.5 * FEED_INTERVAL, [round(at - stopping_at, 3) for at in arrivals]
    released = log_time(output, "feed leadership released")
    taken = max(log_time(instance.output(), "feed leadership taken") for instance in deployment.instances)
    report["graceful stop: lock released -> taken by another instance (s)"] = round(taken - released, 2)
    assert 0 <= taken - released <= FEED_INTERVAL / 2 + 0.5
    watcher.wait_until(lambda c: c.of("presence")[-1]["clients"] == len(clients), 5, f"presence back to {len(clients)}")


def numbers_between(client, start, end):
    """The numbers `client` received between two monotonic times."""
    return [
        payload["number"] for at, event, payload in list(client.arrivals) if event == "newnumber" and start < at < end
    ]


def log_time(output, message):
    """When the app last logged `message`, in seconds (its log lines start with asctime)."""
    stamps = re.findall(rf"^(\d+-\d+-\d+ \d+:\d+:\d+,\d+) \S+ \S+ {re.escape(message)}", output, re.M)
    if not stamps:
        return float("-inf")
    return datetime.datetime.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def outage_lines(instance):
    """The app's log lines that start a message-queue outage."""
    return re.findall(r"^.*message queue .* unreachable.*$", instance.output(), re.M)


def test_a_redis_outage_is_logged_once_survived_and_broadcasts_resume_after_it(deployment, report):
    clients = deployment.spread(per_instance=2)
    before = [len(outage_lines(instance)) for instance in deployment.instances]
    deployment.redis.kill()
    down_at = time.monotonic()

    # While Redis is down: every instance answers, and a broadcast reaches its sender's instance only.
    time.sleep(1.0)
    sender = clients[0]
    assert sender.call("my broadcast event", {"data": "during the outage"})["ok"] is True
    assert sender.call("my broadcast event", {"data": "still down"})["ok"] is True
    for instance in deployment.instances:
        assert instance.health()["status"] == "ok"
    time.sleep(max(0.0, down_at + 3.0 - time.monotonic()))
    # Nobody can hold the feed's lock: each instance feeds its own clients, one number per interval each.
    rates = [len(numbers_between(client, down_at + 1.0, down_at + 3.0)) / (2.0 / FEED_INTERVAL) for client in clients]
    report["feed ticks per interval per client during the outage"] = sorted({round(rate, 2) for rate in rates})
    assert all(0.5 <= rate <= 1.25 for rate in rates), rates

    deployment.redis.start()
    up_at = time.monotonic()
    report["Redis down (s)"] = round(up_at - down_at, 1)

    # Broadcasts work again across every instance once Redis is back.
    def everyone_got(marker):
        return all(marker in greeting_free(c) for c in clients)

    attempt = 0

    def broadcast_reaches_everyone():
        nonlocal attempt
        attempt += 1
        marker = f"after-{attempt}"
        sender.call("my broadcast event", {"data": marker})
        try:
            wait_until(lambda: everyone_got(marker), 1.0, marker)
        except AssertionError:
            return False
        return True

    wait_until(broadcast_reaches_everyone, 15, "a broadcast reaching every client after Redis restarted", step=0)
    report["broadcasts reach everyone again after Redis restart (s)"] = round(time.monotonic() - up_at, 2)

    local = [c for c in clients if c.instance == sender.instance]
    remote = [c for c in clients if c.instance != sender.instance]
    for client in local:
        assert greeting_free(client).count("during the outage") == 1
    for client in remote:
        assert "during the outage" not in greeting_free(client), "lost: cross-instance delivery during the outage"

    for index, instance in enumerate(deployment.instances):
        assert len(outage_lines(instance)) == before[index] + 1, outage_lines(instance)
        instance.wait_for_output("reachable again", timeout=10)

    # One feed again: one number per interval, not one per instance.
    time.sleep(2 * FEED_INTERVAL)
    start = time.monotonic()
    time.sleep(8 * FEED_INTERVAL)
    got = clients[0].numbers_since(start)
    report["feed ticks per interval after the outage"] = round(len(got) / 8, 2)
    assert 5 <= len(got) <= 10, got


def test_nginx_serves_healthz_from_the_instances(deployment):
    with urllib.request.urlopen(deployment.nginx.url + "/healthz", timeout=5) as response:
        assert response.status == 200
