"""Issue 11 on three instances behind nginx on one Redis queue: broadcast to others, one client by sid,
binary and `call me` through the queue and the proxy."""

import os

import pytest

from tests.scale.cluster import greeting_free, settle

pytestmark = pytest.mark.scale


def test_include_self_false_reaches_every_other_client_on_every_instance_exactly_once(deployment, report):
    clients = deployment.spread(per_instance=2)
    for sender in clients[::2]:  # one sender per instance, websocket ones
        data = f"others-from-{sender.key}-on-{sender.instance}"
        assert sender.call("my broadcast event", {"data": data, "include_self": False})["ok"] is True
    settle(clients, clients[0])
    senders = {client.key for client in clients[::2]}
    deliveries = []
    for client in clients:
        got = [data for data in greeting_free(client) if data.startswith("others-")]
        expected = sorted(f"others-from-{s.key}-on-{s.instance}" for s in clients[::2] if s.key != client.key)
        assert sorted(got) == expected, f"{client.key} on {client.instance} got {got}"
        assert (client.key in senders) is (len(got) == len(senders) - 1)
        deliveries.append(len(got))
    report["include_self=false: deliveries per client (3 senders, one per instance)"] = sorted(set(deliveries))


def test_a_room_event_to_a_sid_on_another_instance_reaches_that_client_alone(deployment):
    clients = deployment.spread(per_instance=1)
    sender, target, bystander = clients
    assert sender.instance != target.instance
    assert sender.call("my room event", {"room": target.sid, "data": "psst"})["ok"] is True
    settle(clients, bystander)
    assert [d for d in greeting_free(target) if d == "psst"] == ["psst"]
    assert "psst" not in greeting_free(sender) and "psst" not in greeting_free(bystander)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_binary_and_call_me_work_through_nginx_and_the_queue(deployment, transport):
    [key] = deployment.sticky_keys(per_instance=1)[1]
    client = deployment.connect(key, 1, transport, answer=lambda question: "here")
    payload = bytes(range(256)) + os.urandom(4096)
    assert client.call("my binary event", payload) == {"ok": True, "bytes": len(payload)}
    assert client.wait_for("my binary response") == [payload]
    assert client.call("call me") == {"ok": True}
    client.wait_until(lambda c: any(d.startswith('You answered "here"') for d in greeting_free(c)), 10, "the answer")
