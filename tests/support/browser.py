"""Debian's Chromium, headless, driven by Playwright (docs/testing.md), for pages a test serves itself
(`tests.support.pages`) that talk to the local stack as a visitor's browser does."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's `chromium` package (`make tools` installs it); never `playwright install`
# Headless on a shared machine with no network but the loopback: no sandbox (root in CI), no GPU, no QUIC, and none
# of the browser's own background calls (updates, sync, first-run pages).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WAIT_MS = 20_000


@contextmanager
def chromium() -> Iterator[BrowserContext]:
    """A fresh Chromium profile (its own user data dir), closed after."""
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_FLAGS)
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()
