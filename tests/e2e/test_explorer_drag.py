"""The explorers answer a drag in the browser: the in-chart slider moves the probe (binary) or
the swept logit (softmax), its values painted in the chart at every step, with no script
rerun; on a phone's screen no chart's mode bar covers its legend, and a tap moves the slider.

Reruns are watched two ways: the messages the browser sends to the server over the app's
websocket (a rerun is one of them; none may be sent during a drag) and the app's script
state (``data-test-script-state`` of ``stApp``, which turns "running" for every rerun).
Every wait is on a state (``expect``), never a fixed sleep; timeouts are generous for a
loaded machine and nothing is timed.
"""

import math
import re

import pytest
from appserver import guarded_page

from cecore.charts.binary import probe_grid

pytestmark = pytest.mark.e2e

LONG = 60_000   # a page's first run on a loaded machine
STEP = 15_000   # one repaint after a mouse move

# Counts the times the app's script state turns "running", from the moment it is installed.
WATCH_RERUNS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__reruns = 0;
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__reruns += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def watch_messages(page):
    """A list that collects every websocket message the page sends to the server."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    return sent


def open_explorer(page, url):
    from playwright.sync_api import expect

    page.goto(url)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator(".slider-grip-rect")).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=LONG)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.evaluate(WATCH_RERUNS)
    return chart


def values_text(chart):
    """The text trace in which the in-chart slider's frames write their values."""
    return chart.locator(".scatterlayer .textpoint text").first


def slider_step_px(chart):
    """The distance between two steps of the chart's in-chart slider, in pixels: its rail
    over the gaps between its steps (one tick per step)."""
    rail = chart.locator(".slider-rail-rect").bounding_box()
    return rail["width"] / (chart.locator(".slider-tick-rect").count() - 1)


def drag_and_record(page, chart, read, *, moves=30, step_px=None):
    """Drag the in-chart slider's grip by ``moves`` mouse moves of ``step_px`` (a step or
    more of the slider; negative: leftwards; None: exactly one step rightwards, so every
    step on the way is painted); after each, wait for the chart to paint a new state and
    record ``read()``. Returns the recorded states."""
    from playwright.sync_api import expect

    if step_px is None:
        step_px = slider_step_px(chart)
    grip = chart.locator(".slider-grip-rect")
    grip.scroll_into_view_if_needed()
    box = grip.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    text = values_text(chart)
    painted = [read()]
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, moves + 1):
        page.mouse.move(x + k * step_px, y)
        # one move crosses at least one step: wait until that step is painted
        expect(text).not_to_have_text(painted[-1][0], timeout=STEP)
        painted.append(read())
    page.mouse.up()
    return painted


def assert_no_rerun(page, sent, sent_before):
    assert page.evaluate("window.__reruns") == 0, "the script reran during the drag"
    assert sent[sent_before:] == [], "the browser asked the server for something"


def number(label, text):
    """The number after ``label = `` in a chart's values text (with its true minus sign)."""
    match = re.search(re.escape(label) + r" = ([−\d.e+-]+)", text)
    assert match, (label, text)
    return float(match.group(1).replace("−", "-"))


def test_dragging_the_probe_paints_every_step_without_a_rerun(page, app_url):
    from playwright.sync_api import expect

    sent = watch_messages(page)
    chart = open_explorer(page, f"{app_url}/loss_curves")
    marker = chart.locator(".scatterlayer .trace .point").last
    tangent = chart.locator(".scatterlayer .trace .js-line").nth(2)
    expect(values_text(chart)).to_contain_text("p = 0.25 ·")        # the p slider's value

    def read():
        return (values_text(chart).text_content(), marker.get_attribute("transform"),
                tangent.get_attribute("d"))

    before = len(sent)
    painted = drag_and_record(page, chart, read)                   # one step per move
    assert_no_rerun(page, sent, before)
    texts, positions, tangents = (set(column) for column in zip(*painted, strict=True))
    assert len(texts) == len(positions) == len(tangents) == 31     # every step painted
    p_values = [number("p", text) for text, _, _ in painted]
    steps, start = probe_grid(0.25)
    assert p_values == pytest.approx(list(steps[start:start + 31]), abs=5e-4)
    for text in texts:  # every painted step is the probe of its p: J = -log p for y = 1
        p, loss = number("p", text), number("J", text)
        assert loss == pytest.approx(-math.log(p), rel=2e-3)
        assert number("dJ/dz", text) == pytest.approx(p - 1, abs=2e-4)
        assert number("dJ/dp", text) == pytest.approx(-1 / p, rel=2e-3)
    assert number("p", painted[-1][0]) > 0.25                          # dragged to the right
    # the Streamlit side did not move: its slider and readouts still show p = 0.25
    expect(page.locator(".st-key-p [data-testid='stSliderThumbValue']")).to_have_text("0.250")
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(f"{-math.log(0.25):.4g}")
    # The watchers do see a rerun: the p slider's key press reruns the script, and the
    # in-chart slider then starts at the new p.
    page.locator(".st-key-p input[type='range']").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".st-key-p [data-testid='stSliderThumbValue']")).to_have_text("0.251")
    page.wait_for_function("window.__reruns > 0", timeout=LONG)
    assert len(sent) > before
    expect(values_text(chart)).to_contain_text("p = 0.251 ·", timeout=LONG)
    assert_mode_bars_clear_of_legends(page)  # at the desktop width as well


def test_a_shared_link_sets_where_the_in_chart_slider_starts(page, app_url):
    from playwright.sync_api import expect

    chart = open_explorer(page, f"{app_url}/loss_curves?y=0&p=0.02&logit_x=true")
    text = values_text(chart)
    expect(text).to_contain_text("p = 0.02 ·")
    expect(text).to_contain_text(f"z = {math.log(0.02 / 0.98):.3f}".replace("-", "−"))
    assert number("J", text.text_content()) == pytest.approx(-math.log(0.98), rel=1e-3)
    # the grip sits at the step of p = 0.02 among the slider's steps
    steps, active = probe_grid(0.02, logit_axis=True)
    rail = chart.locator(".slider-rail-rect").bounding_box()
    grip = chart.locator(".slider-grip-rect").bounding_box()
    at = (grip["x"] + grip["width"] / 2 - rail["x"]) / rail["width"]
    assert at == pytest.approx(active / (steps.size - 1), abs=0.04)


def test_dragging_the_swept_logit_moves_the_bars_without_a_rerun(page, app_url):
    sent = watch_messages(page)
    chart = open_explorer(page, f"{app_url}/softmax")
    true_bar = chart.locator(".barlayer .trace").first.locator("path").first

    def read():
        return values_text(chart).text_content(), true_bar.get_attribute("d")

    before = len(sent)
    painted = drag_and_record(page, chart, read, step_px=-7)       # z0 = 2 leftwards
    assert_no_rerun(page, sent, before)
    texts, bars = (set(column) for column in zip(*painted, strict=True))
    assert len(texts) >= 20 and len(bars) >= 20
    first, last = painted[0][0], painted[-1][0]
    assert number("z0", last) < number("z0", first) == 2.0
    # lowering the true class's logit lowers its probability and raises the loss
    assert number("p(class 0)", last) < number("p(class 0)", first)
    assert number("J", last) > number("J", first)


# --------------------------------------------------------------------------- small screens
def phone_page(browser, width, height=844):
    """A touch phone's browser context (``is_mobile``), requests to other hosts blocked."""
    return guarded_page(browser, viewport={"width": width, "height": height}, has_touch=True,
                        is_mobile=True, device_scale_factor=2)


def overlap(a, b):
    """True when two bounding boxes intersect."""
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def assert_mode_bars_clear_of_legends(page):
    from playwright.sync_api import expect

    # count the charts once the page has settled: during a rerun stale copies are still there
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=LONG)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=LONG)
    charts = page.get_by_test_id("stPlotlyChart")
    assert charts.count() >= 1
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.hover()         # a mode bar shows on hover
        modebar, legend = chart.locator(".modebar"), chart.locator(".legend")
        expect(modebar).to_be_visible()
        expect(legend).to_be_visible()
        a, b = modebar.bounding_box(), legend.bounding_box()
        assert not overlap(a, b), f"chart {i}: mode bar {a} covers legend {b}"


@pytest.mark.parametrize("width", [390, 360])
def test_on_a_phone_mode_bars_clear_the_legends_and_a_tap_moves_the_slider(browser, app_url,
                                                                          width):
    from playwright.sync_api import expect

    page = phone_page(browser, width)
    try:
        sent = watch_messages(page)
        for path, label in (("loss_curves", "p"), ("softmax", "z0")):
            chart = open_explorer(page, f"{app_url}/{path}")
            assert_mode_bars_clear_of_legends(page)
            text = values_text(chart)
            before_text, before = text.text_content(), len(sent)
            rail = chart.locator(".slider-rail-touch-rect")
            rail.scroll_into_view_if_needed()
            box = rail.bounding_box()
            page.touchscreen.tap(box["x"] + 0.85 * box["width"], box["y"] + box["height"] / 2)
            expect(text).not_to_have_text(before_text, timeout=STEP)
            assert number(label, text.text_content()) > number(label, before_text)
            assert_no_rerun(page, sent, before)
    finally:
        page.context.close()
    assert not page.foreign_requests, page.foreign_requests
