"""How long a new visitor waits after a server start: from ``streamlit run`` to the home
page's first Plotly chart in Chromium, against a bare one-chart Streamlit page started the
same way; and what the pages' imports cost.

Run from the repository root (Debian's Chromium and Playwright, as the browser tests):

    python benchmarks/start.py                  # 7 interleaved starts of each
    python benchmarks/start.py --repeats 11 --compare DIR   # also another checkout
                                                # (git archive COMMIT | tar -x -C DIR)

* first chart: the clock starts just before ``python -m streamlit run app.py
  --server.headless true --server.port P`` is launched (a fresh process each time) and
  stops when the first chart's SVG is visible in a new browser context (the browser itself
  is already running, as a visitor's is). The page is opened as soon as the server answers
  its health check (polled, as a browser retrying would); every wait in the browser is on
  a state, never a sleep. ``server up`` is the time to the first healthy answer. The bare
  page (``st.plotly_chart`` of one 401-point line, written to a temporary folder at run
  time) and the app (and ``--compare`` checkouts) are started in turn, round after round,
  so that the machine's load reaches them alike; medians and the ratio to the bare page.
* imports: ``python -c "import ..."`` of each page's imports, as a fresh process (median
  wall time, interleaved), against ``import streamlit`` alone and the bare page's imports.
  ``--importtime`` prints the modules that the app's home page loads beyond the bare page
  (from ``python -X importtime`` of the server's first run), the slowest first.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "benchmarks")]

from appserver import CHROMIUM, CHROMIUM_ARGS, guarded_page  # noqa: E402
from timing import interleaved_medians  # noqa: E402

TIMEOUT = 120_000  # ms

BARE_PAGE = '''"""A bare Streamlit page with one Plotly chart (benchmarks/start.py's yardstick)."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

z = np.linspace(-10, 10, 401)
st.plotly_chart(go.Figure(go.Scatter(x=1 / (1 + np.exp(-z)), y=np.logaddexp(0, -z))))
'''

# What each page imports (its own module-level imports), as one ``python -c`` line each.
PAGE_IMPORTS = {
    "import streamlit": "import streamlit",
    "bare page (streamlit, plotly.graph_objects, numpy)":
        "import numpy, plotly.graph_objects, streamlit",
    "home (app.py + pages/home.py)":
        "import streamlit, cecore.allocator, cecore.charts, cecore.explorer, pages._shared",
    "binary (pages/loss_curves.py)":
        "import streamlit, cecore.charts, cecore.charts.binary, cecore.explorer, "
        "pages._shared",
    "softmax (pages/softmax.py)":
        "import streamlit, cecore.charts, cecore.charts.softmax, cecore.explorer, "
        "pages._shared",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(folder: Path, script: str, env=None, stderr=subprocess.DEVNULL):
    """``streamlit run script`` in ``folder`` on a free port: (process, url)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(proc, url: str, timeout: float = 120.0) -> None:
    """Poll the server's health check until it answers 200 (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.01)  # not listening yet: ask again (the poll a browser would make)
    raise RuntimeError("streamlit did not become healthy in time")


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def first_chart(browser, folder: Path, script: str) -> tuple[float, float]:
    """Seconds from launching the server to (its health check answering, the first
    chart's SVG visible with its lines drawn) in a new browser context."""
    start = time.perf_counter()
    proc, url = launch(folder, script)
    try:
        wait_healthy(proc, url)
        up = time.perf_counter() - start
        page = guarded_page(browser, timeout=TIMEOUT)
        try:
            page.goto(url)
            chart = page.get_by_test_id("stPlotlyChart").first
            chart.locator(".scatterlayer .trace path.js-line").first.wait_for(state="visible")
            shown = time.perf_counter() - start
            assert not page.foreign_requests, page.foreign_requests
        finally:
            page.context.close()
        return up, shown
    finally:
        stop(proc)


def import_times(root: Path, repeats: int) -> dict[str, float]:
    """Median wall time of ``python -c "<imports>"`` per entry of ``PAGE_IMPORTS``."""
    def run(code):
        return lambda: subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
    return interleaved_medians({label: run(code) for label, code in PAGE_IMPORTS.items()},
                               repeats)


def importtime_beyond_bare(folder_app: Path, folder_bare: Path, top: int = 25) -> None:
    """The modules the app's first run loads that the bare page's does not: ``-X
    importtime`` of each server until its first page has been sent, then stopped."""
    from playwright.sync_api import sync_playwright

    def loaded(folder, script):
        env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
        log = tempfile.TemporaryFile()
        proc, url = launch(folder, script, env=env, stderr=log)
        try:
            wait_healthy(proc, url)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = guarded_page(browser, timeout=TIMEOUT)
                page.goto(url)
                page.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first.wait_for()
                page.wait_for_selector(
                    "[data-testid=stApp][data-test-script-state=notRunning]")
                browser.close()
        finally:
            stop(proc)
            log.seek(0)
            err = log.read().decode()
        times = {}
        for line in err.splitlines():
            if line.startswith("import time:") and "|" in line:
                self_us, cumulative_us, name = (part.strip() for part in
                                                   line[len("import time:"):].split("|"))
                if self_us.isdigit():
                    times[name.strip()] = (int(self_us), int(cumulative_us), name)
        return times

    app, bare = loaded(folder_app, "app.py"), loaded(folder_bare, "bare.py")
    extra = {name: t for name, t in app.items() if name not in bare}
    total = sum(t[0] for t in extra.values())
    print(f"modules the app's first run imports beyond the bare page's: {len(extra)}, "
          f"{total / 1e3:.0f} ms of import time (self); top-level packages by time:")
    packages = {}
    for name, (self_us, _, _) in extra.items():
        packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0) + self_us
    for name, us in sorted(packages.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {name:30s} {us / 1e3:7.1f} ms")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--import-repeats", type=int, default=7)
    parser.add_argument("--compare", type=Path, metavar="DIR", action="append", default=[],
                        help="another checkout of the app, started in the same rounds")
    parser.add_argument("--importtime", action="store_true",
                        help="also list what the home page imports beyond the bare page")
    parser.add_argument("--skip-imports", action="store_true")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp)
        (bare / "bare.py").write_text(BARE_PAGE)
        subjects = {"bare page": (bare, "bare.py"), f"app [{ROOT.name}]": (ROOT, "app.py")}
        for other in args.compare:
            subjects[f"app [{other.resolve().name}]"] = (other.resolve(), "app.py")
        if args.importtime:
            importtime_beyond_bare(ROOT, bare)
        times = {name: [] for name in subjects}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            first_chart(browser, bare, "bare.py")  # warm-up: the disk cache, the browser
            for round_ in range(args.repeats):
                for name, (folder, script) in subjects.items():
                    times[name].append(first_chart(browser, folder, script))
                print(f"  round {round_ + 1}: " + ", ".join(
                    f"{name} {t[-1][1]:.2f} s" for name, t in times.items()), flush=True)
            browser.close()
    base = statistics.median(t[1] for t in times["bare page"])
    print(f"start -> first chart visible, median of {args.repeats} (interleaved):")
    for name, t in times.items():
        up, shown = (statistics.median(x[i] for x in t) for i in (0, 1))
        print(f"  {name:24s} {shown:5.2f} s (server up {up:.2f} s); "
              f"{shown / base:.2f}x the bare page")
    if not args.skip_imports:
        roots = [ROOT, *(other.resolve() for other in args.compare)]
        for root in roots:
            medians = import_times(root, args.import_repeats)
            bare_import = medians["bare page (streamlit, plotly.graph_objects, numpy)"]
            print(f"[{root.name}] python -c 'import ...', median of {args.import_repeats}:")
            for label, t in medians.items():
                print(f"  {label:52s} {t:5.2f} s  ({t - bare_import:+.2f} s on the bare "
                      f"page's)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
