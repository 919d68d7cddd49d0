"""What a visitor waits for on the explorer pages, measured in a real browser.

Run from the repository root (needs Debian's Chromium and the Playwright package, as the
browser tests do):

    python benchmarks/explorer.py               # 10 key presses per slider, 30-step drags
    python benchmarks/explorer.py --repeats 20 --rounds 4 --compare DIR  # against a checkout
                                                # (git archive COMMIT | tar -x -C DIR)

The app is started as the browser tests start it (``tests/e2e/appserver.py``: ``streamlit
run app.py`` on a free local port); with ``--compare DIR`` a second checkout is started too
and the two are measured in interleaved rounds, under the same load. Sections:

* server: each chart's JSON as the page sends it, and the script rerun of one slider move
  (AppTest, median of ``--repeats``).
* key press -> repaint: a Streamlit slider is focused and ArrowRight pressed; the time runs
  from the browser's ``keydown`` event to the first animation frame in which the chart below
  shows something else (its SVG paths, marker positions or texts differ). Median and max of
  ``--repeats`` presses, each after the page has finished the previous rerun.
* drag: the in-chart slider (Plotly's, under the chart) is dragged with the mouse in 30 small
  moves (binary: one step of the slider each; softmax: 6 px, one or two steps). ``per move``: the time from each ``mousemove`` to the frame that paints the moved
  probe (median). ``painted``: how many different probe positions were painted during a
  continuous 30-move drag, and at what rate. Script reruns during the drag are counted (the
  messages the browser sends to the server, and the app's "running" state). Without an
  in-chart slider (before issue 17) the Streamlit slider is dragged instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from appserver import CHROMIUM, CHROMIUM_ARGS, guarded_page, start_app, stop_app  # noqa: E402

TIMEOUT = 60_000

# A text summary of everything chart ``i`` paints: line paths, marker positions, bar shapes,
# texts (trace texts, the in-chart slider's current value). Two frames that paint the same
# thing give the same summary.
SIGNATURE_JS = """
(i) => {
  const chart = document.querySelectorAll('[data-testid=stPlotlyChart]')[i];
  if (!chart) return '';
  const parts = [];
  for (const e of chart.querySelectorAll(
      '.scatterlayer path, .barlayer path, .scatterlayer text, .slider-group > text')) {
    parts.push((e.getAttribute('d') || '') + (e.getAttribute('transform') || '')
               + (e.tagName === 'text' ? e.textContent : ''));
  }
  return parts.join('|');
}
"""

# Records, in every animation frame, whether chart ``i`` painted something new; counts the
# times the app went to "running" (a script rerun) and stamps the last keydown/mousemove.
RECORDER_JS = """
(i) => {
  const signature = SIGNATURE;
  const rec = window.__bench = {sigs: [signature(i)], times: [performance.now()], runs: 0,
                                 key: null, move: null, moves: []};
  window.addEventListener('keydown', () => { rec.key = performance.now(); }, true);
  window.addEventListener('pointermove', () => {
    rec.move = performance.now(); rec.moves.push(rec.move); }, true);
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') rec.runs += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const tick = () => {
    const s = signature(i);
    if (s !== rec.sigs[rec.sigs.length - 1]) { rec.sigs.push(s); rec.times.push(performance.now()); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
""".replace("SIGNATURE", SIGNATURE_JS.strip())


def idle(page):
    """Wait until the app has finished running its script."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=TIMEOUT)


def open_page(browser, url, chart_index):
    page = guarded_page(browser, timeout=TIMEOUT)
    page.goto(url)
    page.get_by_test_id("stPlotlyChart").nth(chart_index).locator(".main-svg").first.wait_for()
    idle(page)
    page.evaluate(RECORDER_JS, chart_index)
    return page


def key_press_to_repaint(browser, url, slider_key, chart_index, repeats):
    """Milliseconds from keydown to the chart's repaint, for ``repeats`` ArrowRight presses."""
    page = open_page(browser, url, chart_index)
    page.locator(f".st-key-{slider_key} input[type='range']").focus()
    times = []
    for _ in range(repeats):
        painted = page.evaluate("window.__bench.sigs.length")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"window.__bench.sigs.length > {painted}", timeout=TIMEOUT)
        idle(page)
        # the first repaint after the key press
        times.append(page.evaluate(
            f"window.__bench.times[{painted}] - window.__bench.key"))
    page.context.close()
    return times


def in_chart_slider(page, chart_index):
    """The grip of the chart's own (Plotly) slider, or None when the chart has none."""
    grip = page.get_by_test_id("stPlotlyChart").nth(chart_index).locator(".slider-grip-rect")
    return grip.first if grip.count() else None


def drag(browser, url, chart_index, streamlit_slider, steps=30, step_px=None):
    """Drag the in-chart slider (or the Streamlit one) by ``steps`` moves of ``step_px``
    (negative: leftwards; None: one step of the in-chart slider, rightwards, or 6 px)."""
    page = open_page(browser, url, chart_index)
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.reload()  # the listener sees the app's websocket from the start
    page.get_by_test_id("stPlotlyChart").nth(chart_index).locator(".main-svg").first.wait_for()
    idle(page)
    page.evaluate(RECORDER_JS, chart_index)
    grip = in_chart_slider(page, chart_index)
    kind = "in-chart slider"
    if grip is None:
        kind = "Streamlit slider"
        grip = page.locator(f".st-key-{streamlit_slider} input[type='range']").locator("xpath=../..")
    grip.scroll_into_view_if_needed()
    if step_px is None:
        step_px = 6
        if kind == "in-chart slider":  # its rail over the gaps between its steps (ticks)
            chart = page.get_by_test_id("stPlotlyChart").nth(chart_index)
            ticks = chart.locator(".slider-tick-rect").count()
            step_px = chart.locator(".slider-rail-rect").bounding_box()["width"] / (ticks - 1)
    box = grip.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # 1. step by step: time from each mousemove to the paint that follows it
    page.mouse.move(x, y)
    page.mouse.down()
    latencies, missed = [], 0
    sent_before = len(sent)
    # a Streamlit slider paints nothing before the release: do not wait long for it
    wait = 1_000 if kind == "Streamlit slider" else 10_000
    for k in range(1, steps + 1):
        painted = page.evaluate("window.__bench.sigs.length")
        page.mouse.move(x + k * step_px, y)
        try:
            page.wait_for_function(f"window.__bench.sigs.length > {painted}", timeout=wait)
            latencies.append(page.evaluate(
                f"window.__bench.times[{painted}] - window.__bench.move"))
        except Exception:  # noqa: BLE001 - a move that painted nothing
            missed += 1
    # 2. continuous: the same distance back in one stream of moves, no waiting
    start = page.evaluate("[window.__bench.sigs.length, performance.now()]")
    page.mouse.move(x, y, steps=steps)
    end_time = page.evaluate("performance.now()")
    page.mouse.up()
    rec = page.evaluate(f"""() => {{
        const r = window.__bench, first = {start[0]};
        return {{painted: r.sigs.length - first, t: r.times.slice(first), runs: r.runs}}; }}""")
    during_drag = len(sent) - sent_before
    idle(page)
    page.context.close()
    span = (rec["t"][-1] - start[1]) if rec["t"] else float("nan")
    return {
        "kind": kind, "steps": steps, "step_painted": steps - missed,
        "per_move_ms": statistics.median(latencies) if latencies else float("nan"),
        "continuous_painted": rec["painted"],
        "continuous_ms": end_time - start[1],
        "rate_per_s": 1e3 * rec["painted"] / span if rec["painted"] else 0.0,
        "reruns": rec["runs"], "messages_sent": during_drag,
    }


_SERVER_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
out = {{}}
for page, key in (("loss_curves", "p"), ("softmax", "z1")):
    at = AppTest.from_file({root!r} + "/app.py", default_timeout=120)
    at.switch_page("pages/" + page + ".py").run()
    sizes = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
    times = []
    for i in range({repeats}):
        slider = at.slider(key=key)
        slider.set_value(round(slider.value + slider.step, 6))
        start = time.perf_counter()
        slider.run()
        times.append(time.perf_counter() - start)
        assert not at.exception
    out[page] = {{"sizes": sizes, "rerun_ms": 1e3 * statistics.median(times)}}
print(json.dumps(out))
"""


def server_side(root, repeats):
    """Chart JSON sizes and the median script rerun of a slider move (AppTest, in a child
    process so that ``root``'s own ``cecore`` is imported)."""
    done = subprocess.run([sys.executable, "-c", _SERVER_CHILD.format(root=str(root),
                                                                     repeats=repeats)],
                          cwd=root, capture_output=True, text=True, check=True, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2,
                        help="key presses are measured in this many interleaved rounds")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="another checkout of the app (e.g. `git archive COMMIT | tar -x "
                             "-C DIR`), measured interleaved with this one")
    args = parser.parse_args()

    import appserver
    from playwright.sync_api import sync_playwright

    roots = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    for root in roots:
        for page, info in server_side(root, args.repeats).items():
            sizes = info["sizes"]
            print(f"[{root.name}] {page}: figure JSON " + ", ".join(f"{s / 1e3:.0f} KB"
                                                                     for s in sizes)
                  + f" (total {sum(sizes) / 1e3:.0f} KB); script rerun of a slider move "
                    f"{info['rerun_ms']:.0f} ms (median, AppTest)")
    servers = {}
    try:
        for root in roots:
            appserver.ROOT = root  # start_app runs `streamlit run app.py` in appserver.ROOT
            servers[root] = start_app()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            presses = {}
            per_round = max(1, args.repeats // args.rounds)
            for _ in range(args.rounds):
                for root in roots:
                    url = servers[root][1]
                    for label, path, key in (("binary, p slider", "loss_curves", "p"),
                                             ("softmax, z1 slider", "softmax", "z1")):
                        presses.setdefault((root, label), []).extend(key_press_to_repaint(
                            browser, f"{url}/{path}", key, 0, per_round))
            for (root, label), times in presses.items():
                print(f"[{root.name}] key press -> repaint, {label}: median "
                      f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms over "
                      f"{len(times)} presses")
            for root in roots:
                url = servers[root][1]
                for label, path, key, step_px in (("binary", "loss_curves", "p", None),
                                                  ("softmax", "softmax", "z0", -6)):
                    r = drag(browser, f"{url}/{path}", 0, key, steps=args.steps,
                             step_px=step_px)
                    print(f"[{root.name}] drag, {label} ({r['kind']}): {r['step_painted']} of "
                          f"{r['steps']} moves painted, median {r['per_move_ms']:.0f} ms from "
                          f"move to paint; continuous drag: {r['continuous_painted']} "
                          f"positions painted in {r['continuous_ms']:.0f} ms "
                          f"({r['rate_per_s']:.0f}/s); reruns {r['reruns']}, messages to the "
                          f"server {r['messages_sent']}")
            browser.close()
    finally:
        for proc, _ in servers.values():
            stop_app(proc)


if __name__ == "__main__":
    main()
