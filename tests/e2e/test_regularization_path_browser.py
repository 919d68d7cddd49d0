"""The regularisation path in Chromium: train, compute the path, see the best alpha marked,
and one click trains with it (the L2 alpha field shows it)."""

from __future__ import annotations

import re

import pytest
from test_train_flow import LONG, TrainPage

pytestmark = pytest.mark.e2e


def test_the_path_marks_the_best_alpha_and_one_click_trains_with_it(page, app_url,
                                                                   screenshot_dir):
    from playwright.sync_api import expect

    from cecore.samples import load_sample

    app = TrainPage(page, app_url).open()
    app.upload("breast_cancer.csv", load_sample("breast_cancer").to_csv(index=False).encode())
    app.choose_target("target")
    app.train()
    expect(app.alerts("success")).to_contain_text("Converged", timeout=LONG)
    app.settled()
    app.button("train_path_start").click()
    # waits on what the page shows, not on the script's end: the button exists only with a path
    use_best = app.button("train_path_use_best")
    expect(use_best).to_have_text(re.compile(r"Train with alpha = [\d.e+-]+"), timeout=LONG)
    app.settled()
    best = use_best.inner_text().rsplit(" ", 1)[1]
    # the loss chart holds the best alpha's line, at that alpha
    marked = app.page.wait_for_function(
        "name => { for (const plot of document.querySelectorAll('.js-plotly-plot')) {"
        " for (const t of plot.data || []) { if (t.name === name) return t.x[0]; } }"
        " return false; }", arg=f"best alpha {best}", timeout=LONG).json_value()
    assert marked == pytest.approx(float(best))
    app.snapshot(screenshot_dir, "train_regularization_path")

    use_best.click()
    # the new run at the best alpha shows the same path, its button off (the best is its alpha)
    expect(app.button("train_path_use_best")).to_be_disabled(timeout=LONG)
    app.settled()
    expect(app.key("train_alpha").locator("input")).to_have_value(best)
    expect(app.alerts("success")).to_contain_text("Converged")
    expect(app.alerts("warning").filter(has_text="settings changed")).to_have_count(0)
    app.assert_healthy()
