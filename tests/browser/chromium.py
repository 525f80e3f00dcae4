"""How the browser tests and `make screenshots` launch Debian's Chromium: one place, one set of flags.

Playwright drives the system `chromium` package through `executable_path`;
`playwright install` is never needed (and cannot download here).
"""

import os

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
INSTALL_HINT = "apt-get install chromium"

# Headless in a container: no sandbox (no user namespaces), no GPU, and
# nothing that phones home, so the only traffic is to the server under test.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def chromium_available():
    """Whether the system Chromium these tests drive is installed."""
    return os.access(CHROMIUM_PATH, os.X_OK)


def launch(playwright):
    """Start headless Chromium from the system package."""
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=LAUNCH_ARGS)
