"""The same deployment with 1 and 2 instances (the main suite runs 3): one delivery per client, one feed."""

import time

import pytest

from tests.scale.cluster import FEED_INTERVAL, greeting_free, one_feed_rate, running_cluster, settle

pytestmark = pytest.mark.scale


@pytest.mark.parametrize("size", [1, 2])
def test_with_n_instances_each_broadcast_arrives_once_and_the_feed_ticks_once_per_interval(size, report):
    with running_cluster(f"scale{size}-", size=size) as cluster:
        clients = cluster.spread(per_instance=2)
        start = time.monotonic()
        for client in clients:
            assert client.call("my broadcast event", {"data": f"from-{client.key}"})["ok"] is True
        settle(clients, clients[-1])
        sent = sorted(f"from-{client.key}" for client in clients)
        for client in clients:
            assert sorted(data for data in greeting_free(client) if data.startswith("from-")) == sent
        time.sleep(max(0.0, start + 8 * FEED_INTERVAL - time.monotonic()))
        ticks_per_interval = one_feed_rate(clients, start, time.monotonic())
        report[f"feed ticks per interval ({size} instance(s))"] = round(ticks_per_interval, 2)
        assert 0.6 <= ticks_per_interval <= 1.2
