"""A copied link opens the same view, even as the first visit of a freshly started server."""

import math
import re

import pytest
from appserver import start_app, stop_app

pytestmark = pytest.mark.e2e


@pytest.fixture()
def cold_app_url():
    """A server nobody has visited yet (as after a Community Cloud wake-up)."""
    proc, url = start_app()
    yield url
    stop_app(proc)


def test_shared_link_restores_the_view_on_a_cold_server(page, cold_app_url):
    from playwright.sync_api import expect

    page.goto(f"{cold_app_url}/loss_curves?y=0&p=0.02&log_y=true")
    nav = page.get_by_test_id("stSidebarNav")
    # The app's own navigation, not a listing of files in pages/:
    expect(nav.get_by_role("link", name="Binary cross-entropy")).to_be_visible(timeout=60_000)
    expect(nav.get_by_role("link", name="_shared")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link")).to_have_count(5)
    expect(page.locator(".st-key-p [data-testid='stSliderThumbValue']")).to_have_text("0.020")
    expect(page.locator(".st-key-log_y input")).to_be_checked()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_moving_a_control_updates_the_url_and_the_chart(page, app_url):
    from playwright.sync_api import expect

    page.goto(f"{app_url}/loss_curves")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=60_000)
    thumb = page.locator(".st-key-p input[type='range']")
    before = thumb.input_value()
    loss_readout = page.get_by_test_id("stMetricValue").first
    expect(loss_readout).to_have_text(f"{-math.log(0.25):.4g}")
    thumb.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(thumb).not_to_have_value(before)
    expect(page.locator(".st-key-p [data-testid='stSliderThumbValue']")).to_have_text("0.255")
    expect(loss_readout).to_have_text(f"{-math.log(0.255):.4g}")        # J = -log p, y = 1
    expect(page).to_have_url(re.compile(r"[?&]p=0\.255"), timeout=15_000)
    # A copy of that URL in a new tab shows the same probe value.
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator(".st-key-p [data-testid='stSliderThumbValue']")).to_have_text(
        "0.255", timeout=60_000)
