"""The 20-second smoke version of `make bench`, so the suite cannot rot between full runs.

It runs the real load generator against the playground (the Procfile's
command) and the baseline with short scenarios, and asserts what the full
bench relies on: the generator's frames are socket.io-client's, every echo
answers its own request, every broadcast reaches every receiver exactly
once, and the connection scenario measures memory. Speed is not asserted.
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
    assert set(results) == {key for key, _ in run.SMOKE}
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
