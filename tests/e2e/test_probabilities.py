"""The probabilities section in Chromium: on an imbalanced table the page says what the
accuracy hides; the person moves the decision threshold (by key and by the cost-optimal
button) and recall, precision and the ROC marker follow, equal to the same run in-process."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from test_train_flow import LONG, TrainPage

pytestmark = pytest.mark.e2e


def credit_csv(n=4000, seed=0):
    """4% defaulters that the default threshold of 0.5 mostly misses."""
    rng = np.random.default_rng(seed)
    income, debt = rng.normal(0, 1, n), rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-(-3.8 + 1.2 * debt - 0.8 * income)))
    default = np.where(rng.random(n) < p, "yes", "no")
    return pd.DataFrame({"income": income, "debt": debt, "default": default}).to_csv(
        index=False).encode()


def same_run_in_process(content):
    """The page's default settings on the same bytes: y and P(yes) of the test rows."""
    from cecore.data import read_csv
    from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data

    run = TrainingRun(prepare_data(read_csv(content), "default", None, DataOptions(), 0),
                      TrainConfig())
    for _ in run.records():
        pass
    return run.prepared.y_test, run.estimator.predict_proba(run.prepared.X_test)[:, 1]


def metric(app, label):
    box = app.main().get_by_test_id("stMetric").filter(
        has=app.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue")


def recall_text(y, p, threshold):
    return f"{np.mean(p[y == 1] >= threshold):.3f}"


def test_the_threshold_buys_recall_and_the_page_says_why(page, app_url, screenshot_dir):
    from playwright.sync_api import expect

    content = credit_csv()
    y, p = same_run_in_process(content)
    app = TrainPage(page, app_url).open()
    app.upload("credit.csv", content)
    expect(app.key("train_target").locator("input")).to_have_value("default")
    app.train()
    warning = app.alerts("warning").filter(has_text="would score")
    expect(warning).to_contain_text(
        re.compile(rf"Of the {int(y.sum())} 'yes' rows the model finds \d+"), timeout=LONG)
    expect(metric(app, "Recall")).to_have_text(recall_text(y, p, 0.5), timeout=LONG)

    # ten key presses to the left: 0.5 - 10 x 0.005
    thumb = app.key("train_threshold").get_by_role("slider")
    thumb.focus()
    with app.script_run():
        for _ in range(10):
            thumb.press("ArrowLeft")
    expect(app.key("train_threshold")).to_contain_text("0.450", timeout=LONG)
    expect(metric(app, "Recall")).to_have_text(recall_text(y, p, 0.45), timeout=LONG)

    # a missed defaulter costs nine false alarms: the cost-optimal threshold is 0.1
    app.set_number("train_cost_fn", 9)
    with app.script_run():
        app.button("train_use_optimal").click()
    expect(app.key("train_threshold")).to_contain_text("0.100", timeout=LONG)
    expect(metric(app, "Recall")).to_have_text(recall_text(y, p, 0.1), timeout=LONG)
    precision = np.mean(y[p >= 0.1] == 1)
    expect(metric(app, "Precision")).to_have_text(f"{precision:.3f}", timeout=LONG)
    assert float(recall_text(y, p, 0.1)) > float(recall_text(y, p, 0.5))
    marker = app.page.wait_for_function(
        "() => { for (const plot of document.querySelectorAll('.js-plotly-plot')) {"
        " for (const t of plot.data || []) { if (t.name === 'threshold 0.1'"
        " && plot.layout.xaxis.title.text === 'false-positive rate') return t.y[0]; } }"
        " return false; }", timeout=LONG).json_value()
    assert marker == pytest.approx(float(np.mean(p[y == 1] >= 0.1)))
    app.assert_healthy()
    app.snapshot(screenshot_dir, "train_probabilities")
