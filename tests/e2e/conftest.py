"""Browser tests: the real app under `streamlit run`, driven by Debian's Chromium.

Playwright's own browser download cannot work on these machines, so Chromium is Debian's
package, launched by its path. Outside CI a missing browser skips these tests; in CI
(``CI=true``) it fails them, so a machine without a browser can never pass silently.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from appserver import CHROMIUM, CHROMIUM_ARGS, guarded_page, start_app, stop_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "artifacts" / "screenshots"))


def _missing(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url():
    proc, url = start_app()
    yield url
    stop_app(proc)


#: How long an ``expect`` waits for its state by default. Playwright's 5 s is too short for
#: a rerun on a loaded 2-core machine (seen: a test failed with the suite running beside
#: other work); the assertions wait on states, so a longer wait costs nothing when quick.
EXPECT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _missing(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    """A fresh browser context; any request to a host other than this machine is blocked
    and recorded in ``page.foreign_requests`` (asserted empty after each test)."""
    page = guarded_page(browser)
    yield page
    page.context.close()
    assert not page.foreign_requests, (
        f"the app made requests to other hosts: {page.foreign_requests}")


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots are saved in {SCREENSHOTS}")
    return SCREENSHOTS
