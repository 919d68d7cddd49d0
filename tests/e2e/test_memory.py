"""The server's memory stays bounded while visitor after visitor uploads a file and leaves.

Twenty visitors, one after the other, each in a fresh browser context: upload a 10 MB CSV
(one value changed per visitor, so every file has a different content hash and nothing can
be served from a cache), train a few epochs, wait for the results, close the tab. The
resident memory of the ``streamlit`` process (VmRSS from /proc, no psutil) after the 20th
visitor must stay within 1.5 times what it was after the first: caches are bounded and
nothing of a closed session is kept for long (see ``disconnectedSessionTTL`` and
``maxCacheDataSize`` in .streamlit/config.toml), and what is freed goes back to the system
(glibc keeps it otherwise: see cecore/allocator.py, called by app.py).
"""

from __future__ import annotations

import re
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest
from appserver import guarded_page, start_app, stop_app

pytestmark = pytest.mark.e2e

CYCLES = 20
FILE_MB = 10
MAX_GROWTH = 1.5
WAIT = 60_000  # ms: the longest wait for one step of a cycle

@pytest.fixture(scope="module")
def own_server():
    """A server of its own: other tests' sessions must not count in its memory."""
    proc, url = start_app()
    yield proc, url
    stop_app(proc)


def resident_mb(pid):
    """VmRSS of a process in MB, read from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def active_sessions(url):
    """The number of connected sessions, from Streamlit's /_stcore/metrics."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5) as response:
        text = response.read().decode()
    match = re.search(r"^active_sessions(?:\{[^}]*\})? (\d+)", text, re.MULTILINE)
    assert match, f"/_stcore/metrics has no active_sessions gauge:\n{text[:500]}"
    return int(match.group(1))


def wait_until_no_session(url, timeout=20.0):
    deadline = time.monotonic() + timeout
    while active_sessions(url) > 0:
        assert time.monotonic() < deadline, "the closed tab's session is still connected"
        time.sleep(0.1)


def ten_megabyte_csv():
    """About FILE_MB MB of CSV: four numeric columns, a category, a yes/no label."""
    rng = np.random.default_rng(20)
    n = 240_000
    table = pd.DataFrame({f"x{i}": rng.normal(size=n).round(5) for i in range(4)})
    table["colour"] = rng.choice(["red", "green", "blue"], n)
    table["label"] = np.where(table["x0"] + rng.normal(size=n) > 0, "yes", "no")
    text = table.to_csv(index=False)
    assert abs(len(text) / 1e6 - FILE_MB) < 1, len(text)
    header, first, rest = text.split("\n", 2)
    return header, first, rest


def test_memory_stays_bounded_over_twenty_upload_and_train_cycles(browser, own_server, tmp_path):
    from playwright.sync_api import expect

    proc, url = own_server
    header, first, rest = ten_megabyte_csv()
    first_rest = first[first.index(","):]
    before = resident_mb(proc.pid)
    resident, seconds = [], []
    for cycle in range(1, CYCLES + 1):
        started = time.monotonic()
        path = tmp_path / "visitor.csv"
        # One value differs per visitor: a new content hash, so no cache entry is reused.
        path.write_text(f"{header}\n{cycle}.123456{first_rest}\n{rest}")
        page = guarded_page(browser, WAIT)
        page.goto(f"{url}/train?train_epochs=5")
        page.locator(".st-key-train_upload input[type='file']").set_input_files(path)
        expect(page.locator(".st-key-train_target input")).to_have_value("label", timeout=WAIT)
        page.locator(".st-key-train_start button").click()
        expect(page.locator(".st-key-train_download_model button")).to_be_visible(timeout=WAIT)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        page.context.close()
        assert not page.foreign_requests, (
            f"the app made requests to other hosts: {page.foreign_requests}")
        wait_until_no_session(url)
        resident.append(resident_mb(proc.pid))
        seconds.append(time.monotonic() - started)
    figures = ", ".join(f"{mb:.0f}" for mb in resident)
    print(f"\nVmRSS (MB) before the first cycle: {before:.0f}; after each of {CYCLES} cycles: "
          f"{figures} ({resident[-1] / resident[0]:.2f}x the first); {sum(seconds):.0f} s in "
          f"all ({max(seconds):.1f} s the slowest cycle)")
    assert resident[-1] <= MAX_GROWTH * resident[0], (
        f"server memory grew from {resident[0]:.0f} MB after the first cycle to "
        f"{resident[-1]:.0f} MB after cycle {CYCLES} (more than {MAX_GROWTH}x): {figures}"
    )
