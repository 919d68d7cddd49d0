"""Every page opens from the navigation, renders without an exception, and is photographed."""

import pytest

pytestmark = pytest.mark.e2e

PAGES = [
    ("Home", ""),
    ("Binary cross-entropy", "loss_curves"),
    ("Softmax cross-entropy", "softmax"),
    ("From likelihood to log loss", "likelihood"),
    ("Train on your data", "train"),
]


def test_every_page_opens_from_the_navigation(page, app_url, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(app_url)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible(timeout=60_000)
    for title, path in PAGES:
        nav.get_by_role("link", name=title).click()
        page.wait_for_url(f"{app_url}/{path}")
        heading = page.get_by_test_id("stMainBlockContainer").locator("h1").first
        expect(heading).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=60_000)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        if path:
            expect(page.get_by_test_id("stMain").get_by_test_id("stPlotlyChart").or_(
                page.get_by_test_id("stFileUploader")).first).to_be_visible(timeout=60_000)
        page.screenshot(path=str(screenshot_dir / f"{path or 'home'}.png"), full_page=True)
