"""The log under a fast feed: at most 500 entries, added once per frame, about one layout per entry."""

import os

from playwright.sync_api import expect

from tests.browser.pages import wait_connected
from tests.figures import record
from tests.servers import ServerProcess, procfile_command

# Five times the 10 Hz, so the log fills its 500 entries in ten seconds.
FAST_FEED_INTERVAL = "0.02"
MEASURED_SECONDS = 6
CDP_BUSY = ("LayoutDuration", "RecalcStyleDuration", "ScriptDuration")


def page_metrics(cdp):
    """Chromium's own counters for the page: layouts, and seconds spent in layout, style and script."""
    return {metric["name"]: metric["value"] for metric in cdp.send("Performance.getMetrics")["metrics"]}


def test_the_log_keeps_500_entries_and_stays_fast_with_a_50_hz_feed(open_page, browser_contexts, browser_problems):
    """With the feed logged at 50 Hz the log never holds more than 500 entries, says so, and the page stays idle."""
    process = ServerProcess(procfile_command(), env={"FEED_INTERVAL": FAST_FEED_INTERVAL}).start()
    page = None
    try:
        page = open_page(process.url + "/")
        wait_connected(page)
        expect(page.locator("#log_limit")).to_have_text("Keeps the last 500 entries.")
        page.evaluate(
            """() => {
                const list = document.getElementById("log");
                window.logSeen = { added: 0, most: 0 };
                new MutationObserver((records) => {
                    for (const record of records) window.logSeen.added += record.addedNodes.length;
                    window.logSeen.most = Math.max(window.logSeen.most, list.childElementCount);
                }).observe(list, { childList: true });
            }"""
        )
        page.check("#show_feed")
        expect(page.locator("#log > li")).to_have_count(500, timeout=40_000)
        cdp = browser_contexts("A").new_cdp_session(page)
        cdp.send("Performance.enable")
        before, added_before = page_metrics(cdp), page.evaluate("() => window.logSeen.added")
        page.wait_for_timeout(MEASURED_SECONDS * 1000)
        after, seen = page_metrics(cdp), page.evaluate("() => window.logSeen")
        entries = seen["added"] - added_before
        layouts = after["LayoutCount"] - before["LayoutCount"]
        busy_ms = 1000 * sum(after[name] - before[name] for name in CDP_BUSY)
        record("workbench", "feed entries logged in 6 s at 50 Hz", entries)
        record("workbench", "layouts per logged entry (feed chart included)", round(layouts / entries, 2))
        record("workbench", "layout+style+script per logged entry (ms)", round(busy_ms / entries, 2))
        record("workbench", "most entries ever in the log", seen["most"])
        assert seen["most"] == 500
        assert entries >= 0.6 * MEASURED_SECONDS / float(FAST_FEED_INTERVAL), entries
        # The chart and the list of numbers take one layout per number already. Entries are added once
        # per frame and the log is measured only after every change: one forced layout per entry, as
        # reading the log's height after each append did, measured 1.7 layouts per entry here.
        assert layouts <= 1.5 * entries, (layouts, entries)
        assert busy_ms / entries < 10, busy_ms
        expect(page.locator("#log > li").first).to_have_attribute("data-event", "newnumber")
    finally:
        if page is not None:
            browser_problems.close(page)
        process.stop()
        os.unlink(process.log_path)
