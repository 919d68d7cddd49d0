"""The charts drawn anew on every key press (the explorers, the home page's chart) start with
the margins that they settle at in the browser, so Plotly does not grow them and draw the
chart once more (cecore.charts.style.settled_margin).

Read in Chromium from each chart's Plotly state: ``_fullLayout.margin`` is what the figure
asked for, ``_fullLayout._size`` the margins Plotly drew with after its legend, axes and
slider took their room. Every wait is on a state; nothing is timed.
"""

import pytest

pytestmark = pytest.mark.e2e

LONG = 60_000

# margins asked for and margins drawn with, of the first chart on the page
MARGINS_JS = """() => {
  const gd = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  const asked = gd._fullLayout.margin, drawn = gd._fullLayout._size;
  return {asked: [asked.l, asked.r, asked.t, asked.b], drawn: [drawn.l, drawn.r, drawn.t, drawn.b],
          autoexpand: asked.autoexpand};
}"""


@pytest.mark.parametrize("path", ["", "loss_curves", "loss_curves?logit_x=true&y=0",
                                  "loss_curves?log_y=true", "softmax", "softmax?classes=6"])
def test_a_chart_redrawn_per_key_press_needs_no_more_margin_than_it_asks(page, app_url, path):
    from playwright.sync_api import expect

    page.goto(f"{app_url}/{path}")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator(".scatterlayer .js-line").first).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=LONG)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    margins = page.evaluate(MARGINS_JS)
    assert margins["autoexpand"] is True  # a narrower screen may still grow them
    assert margins["drawn"] == pytest.approx(margins["asked"], abs=0.01), margins
