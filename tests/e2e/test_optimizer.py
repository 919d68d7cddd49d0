"""What the optimiser did, in Chromium: after a run the loss surface shows its path; a race
of optimisers can be stopped while it runs, then run to its end with its table, two gap
charts and the paths of all five on one surface."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer
from test_train_flow import LONG, TrainPage

pytestmark = pytest.mark.e2e

OPTIMISERS = ("L-BFGS (scipy)", "gradient descent", "Nesterov", "Adam", "mini-batch SGD")


def chart_with(app, text):
    return app.main().get_by_test_id("stPlotlyChart").filter(has_text=text)


def test_the_surface_and_a_race_that_is_stopped_then_run(page, app_url, screenshot_dir):
    from playwright.sync_api import expect

    content = load_breast_cancer(as_frame=True).frame.to_csv(index=False).encode()
    app = TrainPage(page, app_url).open()
    app.upload("breast_cancer.csv", content)
    app.choose_target("target")
    app.train()
    expect(chart_with(app, "first principal direction")).to_have_count(1, timeout=LONG)
    expect(chart_with(app, "this run")).to_have_count(1)

    # a long race, stopped while it runs: the lanes so far stay, the rest did not run
    app.set_number("train_race_epochs", 20000)
    app.button("train_race_start").click()
    stop = app.button("train_race_stop")
    expect(stop).to_be_visible(timeout=LONG)
    expect(app.main().get_by_test_id("stProgress")).to_contain_text("epoch", timeout=LONG)
    with app.script_run():
        stop.click()
    expect(app.alerts("info").filter(has_text="The race was stopped")).to_have_count(
        1, timeout=LONG)
    expect(app.button("train_race_stop")).to_have_count(0)

    # a short race to its end
    app.set_number("train_race_epochs", 300)
    with app.script_run():
        app.button("train_race_start").click()
    expect(app.alerts("info").filter(has_text="The race was stopped")).to_have_count(0)
    gap_charts = chart_with(app, "objective − best objective")
    expect(gap_charts).to_have_count(2, timeout=LONG)
    walked = chart_with(app, "Nesterov").filter(has_text="first principal direction")
    expect(walked).to_have_count(1, timeout=LONG)
    for name in OPTIMISERS:
        expect(gap_charts.first).to_contain_text(name)
        expect(walked).to_contain_text(name)
    app.assert_healthy()
    walked.scroll_into_view_if_needed()
    app.snapshot(screenshot_dir, "optimizer")
