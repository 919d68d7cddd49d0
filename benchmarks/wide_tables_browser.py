"""The training page with a wide table, in Chromium: seconds from the upload to a page that
is ready (the script run finished, nothing stale on screen, Train enabled), and from the
click on Train to the results (the comparison with scikit-learn and the three downloads
on screen), for 100 rows x 20,000 and 100 x 5,000 numeric columns (benchmarks/wide_tables.py's
table: an id, the numbers, a two-class label).

Run from the repository root (Debian's Chromium, as the browser tests use it):

    python benchmarks/wide_tables_browser.py                 # median of 3 per size
    python benchmarks/wide_tables_browser.py --columns 20000 --repeats 5
    python benchmarks/wide_tables_browser.py --columns 20000 --compare DIR  # and a checkout
                                        # (git archive COMMIT | tar -x -C DIR), interleaved

One server (`streamlit run app.py`, tests/e2e/appserver.py) serves every repetition; each
repetition is a new browser context (a new session), so nothing is reused from the last
one but Streamlit's cache of the parsed upload, which is why every repetition uploads a
table of its own (other random values), from a file on disk. Times are wall-clock, with the waits of
tests/e2e/test_train_flow.py's TrainPage: the app's own "script finished" message on its
websocket, then no stale element. This is a measurement, not a test: nothing is asserted
about the times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "benchmarks")]

from appserver import CHROMIUM, CHROMIUM_ARGS, guarded_page, start_app, stop_app  # noqa: E402
from test_train_flow import TrainPage  # noqa: E402
from wide_tables import wide_csv  # noqa: E402

TIMEOUT = 300_000  # ms: the old page took 42 s to get ready with 20,000 columns


def one_session(browser, url: str, path: Path) -> tuple[float, float]:
    """Upload -> ready and Train -> results, in seconds, in a new browser context. The
    file is given by its path, as a person picks it (the browser reads it from disk)."""
    from playwright.sync_api import expect

    page = guarded_page(browser, timeout=TIMEOUT)
    try:
        app = TrainPage(page, url).open()
        start = time.perf_counter()
        with app.script_run(timeout=TIMEOUT):
            app.key("train_upload").locator("input[type=file]").set_input_files(path)
        expect(app.button("train_start")).to_be_enabled(timeout=TIMEOUT)
        ready = time.perf_counter() - start
        start = time.perf_counter()
        app.train(timeout=TIMEOUT)
        main = app.main()
        expect(main.get_by_role("heading", name="Compared with scikit-learn")).to_be_visible(
            timeout=TIMEOUT)
        expect(app.key("train_downloads").get_by_test_id("stDownloadButton")).to_have_count(
            3, timeout=TIMEOUT)
        results = time.perf_counter() - start
        assert not page.foreign_requests, page.foreign_requests
        return ready, results
    finally:
        page.context.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--columns", type=int, nargs="+", default=[20_000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="another checkout of the app, its sessions interleaved with "
                             "this one's")
    args = parser.parse_args(argv)
    import appserver
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    roots = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    servers = {}
    try:
        for root in roots:
            appserver.ROOT = root  # start_app runs `streamlit run app.py` in appserver.ROOT
            servers[root] = start_app()
        with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for n_columns in args.columns:
                times = {root: [] for root in roots}
                for repeat in range(args.repeats):
                    for k, root in enumerate(roots):
                        path = Path(folder) / f"wide_{n_columns}_{repeat}_{k}.csv"
                        path.write_bytes(wide_csv(args.rows, n_columns, seed=repeat))
                        times[root].append(one_session(browser, servers[root][1], path))
                        print(f"  [{root.name}] {args.rows} x {n_columns:,}, run {repeat + 1}: "
                              f"upload -> ready {times[root][-1][0]:.1f} s, Train -> results "
                              f"{times[root][-1][1]:.1f} s", flush=True)
                for root in roots:
                    ready = statistics.median(t[0] for t in times[root])
                    results = statistics.median(t[1] for t in times[root])
                    print(f"[{root.name}] {args.rows} rows x {n_columns:,} columns, median of "
                          f"{args.repeats}: upload -> ready {ready:.1f} s, Train -> results "
                          f"{results:.1f} s", flush=True)
            browser.close()
    finally:
        for proc, _ in servers.values():
            stop_app(proc)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
