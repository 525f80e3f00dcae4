"""The 20-second smoke version of `make bench`, so the suite cannot rot between full runs.

It runs the real load generator against the playground (the Procfile's
command) and the baseline with short scenarios, and asserts what the full
bench relies on: the generator's frames are socket.io-client's, every echo
answers its own request, every broadcast reaches every receiver exactly
once (four in flight and one at a time), the connection scenarios measure
memory (warmed up, and on a fresh process once every client has its feed),
and the Admin UI scenario runs on its own server. Speed is not asserted.
"""

import pytest

from bench import run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def node_packages():
    """The generator's Node packages, installed from the lock file if missing; a raised file limit."""
    run.raise_file_limit()
    run.npm_ci()


def test_generator_frames_are_the_official_clients():
    """The same calls through socket.io-client and through loadgen.js put the same frames on the wire."""
    report = run.check_frames()
    assert report["client"][0] == "GET /socket.io/?EIO=4&transport=websocket"
    assert '42/test,["my event",{"data":"hello"}]' in report["client"]
    assert report["loadgen"] == report["client"]
    assert report["identical"] is True


@pytest.fixture(scope="module")
def smoke_results():
    """The smoke scenarios against the playground (Procfile command) and the baseline."""
    return run.bench_servers(["playground-gunicorn", "baseline"], run.SMOKE, log=lambda line: None)


@pytest.mark.parametrize("server", ["playground-gunicorn", "baseline"])
def test_every_delivery_arrives_exactly_once(smoke_results, server):
    """Echo and broadcast under load: nothing lost, duplicated or answered to the wrong request."""
    results = smoke_results[server]
    expected = {key for key, config in run.SMOKE if server in config.get("only", [server])}
    assert set(results) == expected
    for key, result in results.items():
        assert "error" not in result, f"{server} {key}: {result['error']}\n{result.get('log')}"

    echo = results["echo_50"]
    assert echo["round_trips"] > 0
    assert (echo["mismatched"], echo["lost"]) == (0, 0), echo
    assert 0 < echo["p50_ms"] <= echo["p99_ms"]

    fanout = results["broadcast_100"]
    assert fanout["messages"] > 0
    assert fanout["deliveries"] == fanout["expected"] == fanout["messages"] * 100
    assert (fanout["lost"], fanout["duplicated"]) == (0, 0), fanout

    connections = results["connections"]
    assert connections["alive_at_end"] == connections["clients"] == 100
    assert connections["rss_after_kib"] > connections["rss_before_kib"] > 0

    one_at_a_time = results["fanout_100"]
    assert one_at_a_time["messages"] > 1
    assert one_at_a_time["deliveries"] == one_at_a_time["expected"] == one_at_a_time["messages"] * 100
    assert (one_at_a_time["lost"], one_at_a_time["duplicated"]) == (0, 0), one_at_a_time
    assert 0 < one_at_a_time["complete_p50_ms"] <= one_at_a_time["complete_p99_ms"]
    assert one_at_a_time["complete_per_second"] > 0

    fresh = results["memory_fresh"]
    assert fresh["fed"] is True, fresh
    assert fresh["alive_at_end"] == fresh["clients"] == 100
    assert fresh["rss_after_kib"] > fresh["rss_before_kib"] > 0


def test_a_fresh_scenario_runs_on_a_process_of_its_own(smoke_results):
    """The fresh-process memory starts from a smaller heap than the long-running server had by then."""
    results = smoke_results["playground-gunicorn"]
    assert results["memory_fresh"]["rss_before_kib"] < results["connections"]["rss_after_kib"]


def test_the_admin_ui_scenario_alternates_on_and_off(smoke_results):
    """Echo with the Admin UI on runs on its own server, in rounds paired with the playground's."""
    on, off = smoke_results["playground-admin"]["echo_admin"], smoke_results["playground-gunicorn"]["echo_admin"]
    assert set(smoke_results["playground-admin"]) == {"echo_admin"}
    assert on["rounds"] == off["rounds"] == 2
    assert all(rate > 0 for rate in on["rounds_per_second"] + off["rounds_per_second"])
    assert (on["mismatched"], on["lost"]) == (0, 0), on
