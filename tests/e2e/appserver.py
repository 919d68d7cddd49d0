"""Start and stop the real app (`streamlit run app.py`) on a free local port, and open
browser pages that may talk to this machine only."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(timeout=90):
    """Start ``streamlit run app.py`` on a free port; return (process, base_url)."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"streamlit exited: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy in time")


def stop_app(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def guarded_page(browser, timeout=30_000, **context_options):
    """A page in a fresh browser context in which every request to a host other than this
    machine is blocked and recorded in ``page.foreign_requests`` (callers assert it empty).
    ``context_options`` go to ``browser.new_context`` (a phone's viewport and touch, say)."""
    options = {"viewport": {"width": 1400, "height": 1000}, "accept_downloads": True}
    context = browser.new_context(**{**options, **context_options})
    foreign = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or (urlparse(url).hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.foreign_requests = foreign
    return page


def low_priority_browser(browser, folder, niceness=10):
    """A second Chromium, from the same Playwright, whose processes run at a lower CPU
    priority (``nice``). For visitors whose browsers would draw their pages on their own
    machines: on this one machine their drawing then takes only the CPU time that the
    server and the browser under test leave, instead of competing with them."""
    wrapper = Path(folder) / "chromium-at-low-priority"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(niceness)} {shlex.quote(CHROMIUM)} "$@"\n')
    wrapper.chmod(0o755)
    return browser.browser_type.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)
