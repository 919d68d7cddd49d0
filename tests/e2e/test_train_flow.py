"""The training page as a person uses it, in Chromium: upload a CSV, pick the target, train,
watch the live chart grow, Stop mid-run and keep the model, train again, download the three
files and check what is in them.

The helpers at the top (a page session that knows when a script run has finished, widget
locators by key, the markup checks) are shared with test_hostile_uploads.py.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

LONG = 120_000  # ms: the longest a single step may take on a slow 2-core machine
WORD_JOINER = "\u2060"  # the page puts it into addresses from the data (see markdown_text)


# --------------------------------------------------------------------------- helpers
def _finished_successfully(payload):
    """Whether a websocket frame is Streamlit's "script run finished" message."""
    if not isinstance(payload, bytes):
        return False
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg.FromString(payload)
    return (message.WhichOneof("type") == "script_finished"
            and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY)


class TrainPage:
    """The training page in a browser tab, with what a test needs to drive it.

    Streamlit keeps the previous run's elements on screen, marked stale, until the new run
    has replaced them, so an assertion right after a click could read the old page.
    :meth:`script_run` therefore waits for the app's own "script finished" message on its
    websocket (and then for the stale elements to go) before the test looks again.
    Requests to port 9 (where the hostile Markdown image points) and JavaScript dialogs
    (``alert(1)``) are recorded: the conftest's guard lets local requests through.
    """

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.port9 = []
        self.dialogs = []
        self.finished = 0
        self.ws = None
        page.on("websocket", self._connected)
        page.on("request", self._request)
        page.on("dialog", self._dialog)

    def _connected(self, ws):
        if ws.url.endswith("/_stcore/stream"):
            self.ws = ws
            ws.on("framereceived", self._frame)

    def _frame(self, payload):
        if _finished_successfully(payload):
            self.finished += 1

    def _request(self, request):
        if urlparse(request.url).port == 9:
            self.port9.append(request.url)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    # ----------------------------------------------------------------- waiting
    def open(self):
        from playwright.sync_api import expect

        self.page.goto(f"{self.base_url}/train")
        expect(self.key("train_upload").locator("input[type=file]")).to_be_attached(
            timeout=LONG)
        if self.finished == 0:
            self.ws.wait_for_event("framereceived", predicate=_finished_successfully,
                                   timeout=LONG)
        self.settled()
        return self

    @contextmanager
    def script_run(self, timeout=LONG):
        """Wait, after the ``with`` block, for the script run it caused to finish."""
        with self.ws.expect_event("framereceived", predicate=_finished_successfully,
                                  timeout=timeout):
            yield
        self.settled()

    def settled(self):
        from playwright.sync_api import expect

        expect(self.page.get_by_test_id("stApp")).to_have_attribute(
            "data-test-script-state", "notRunning", timeout=LONG)
        expect(self.page.locator("[data-stale='true']")).to_have_count(0, timeout=LONG)

    # ----------------------------------------------------------------- locators
    def key(self, key):
        """The widget (or container) with this key, not a stale copy of it."""
        return self.page.locator(f".st-key-{key}:not([data-stale='true'])")

    def button(self, key):
        return self.key(key).locator("button")

    def main(self):
        return self.page.get_by_test_id("stMain")

    def alerts(self, kind):
        """st.error / st.warning / st.info / st.success boxes in the page."""
        icons = {"error": "stAlertContentError", "warning": "stAlertContentWarning",
                 "info": "stAlertContentInfo", "success": "stAlertContentSuccess"}
        return self.main().get_by_test_id(icons[kind])

    def text(self, locator):
        """What a person reads in the element (the invisible word joiners removed)."""
        return locator.inner_text().replace(WORD_JOINER, "")

    # ----------------------------------------------------------------- actions
    def upload(self, name, content, mime="text/csv"):
        with self.script_run():
            self.key("train_upload").locator("input[type=file]").set_input_files(
                files=[{"name": name, "mimeType": mime, "buffer": content}])

    def set_number(self, key, value):
        field = self.key(key).locator("input")
        with self.script_run():
            field.fill(str(value))
            field.press("Enter")

    def choose_target(self, name):
        from playwright.sync_api import expect

        box = self.key("train_target").locator("input[role=combobox]")
        if box.input_value() == name:
            return
        # Typed key by key, then Enter: a click on the option can miss (the list may open
        # outside the viewport while the tables above are laid out), and a filled-in value
        # does not always open the list.
        with self.script_run():
            box.fill("")
            box.press_sequentially(name)
            expect(self.page.get_by_role("listbox").get_by_role(
                "option", name=name, exact=True)).to_be_visible()
            box.press("Enter")
        expect(box).to_have_value(name)

    def train(self, timeout=LONG):
        """Press Train and wait for training, the comparison and the redraw to finish."""
        with self.script_run(timeout=timeout):
            self.button("train_start").click()

    def download(self, key):
        with self.page.expect_download() as info:
            self.button(key).click()
        return Path(info.value.path()).read_bytes().decode("utf-8")

    def snapshot(self, directory, name):
        """A screenshot of the whole page (the main area scrolls, so the viewport is grown
        to its height for the shot)."""
        size = self.page.viewport_size
        height = self.page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
            "[data-testid=stAppScrollToBottomContainer], section.main')]"
            ".map(e => e.scrollHeight), document.body.scrollHeight)")
        self.page.set_viewport_size({"width": size["width"],
                                     "height": int(min(max(height, size["height"]), 16_000))})
        try:
            self.page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)
        finally:
            self.page.set_viewport_size(size)

    # ----------------------------------------------------------------- checks
    def assert_healthy(self):
        """No exception box or traceback, no markup made from data, nothing fetched from
        port 9, no dialog."""
        from playwright.sync_api import expect

        expect(self.page.get_by_test_id("stException")).to_have_count(0)
        assert "Traceback" not in self.main().inner_text()
        main = self.main()
        # no <img> at all (the page has none of its own), no math, no link inside the text
        # boxes that show user data, and no link anywhere that leaves the page
        expect(main.locator("img")).to_have_count(0)
        expect(main.locator(".katex, .katex-display, math, mjx-container")).to_have_count(0)
        expect(main.locator("[data-testid=stAlert] a, [data-testid=stCaptionContainer] a, "
                            "[data-testid=stExpander] summary a")).to_have_count(0)
        for href in main.locator("a[href]").evaluate_all("els => els.map(e => e.href)"):
            parts = urlparse(href)
            assert parts.hostname == "127.0.0.1" and parts.port != 9, href
        assert not self.port9, f"requests to port 9: {self.port9}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"


# --------------------------------------------------------------------------- the data
CLASSES = ["bronze", "gold", "silver"]


def customers_csv(n=20_000, seed=1):
    """A customer table: an id, numbers with gaps, a region, a 3-class segment (the target
    the person picks) and a yes/no column (the page's first suggestion)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    income = rng.lognormal(10, 0.5, n).round(2)
    region = rng.choice(["north", "south", "east", "west"], n)
    score = 0.04 * (age - 45) + (np.log(income) - 10) * 2 + (region == "north") \
        + rng.normal(0, 0.8, n)
    segment = np.where(score > 0.7, "gold", np.where(score > -0.7, "silver", "bronze"))
    frame = pd.DataFrame({
        "customer_id": np.arange(100_000, 100_000 + n),
        "age": age,
        "income": income,
        "region": region,
        "segment": segment,
        "churned": np.where(rng.random(n) < 0.3, "yes", "no"),
    })
    frame.loc[rng.choice(n, n // 50, replace=False), "age"] = np.nan
    return frame.to_csv(index=False).encode()


# --------------------------------------------------------------------------- the test
@pytest.fixture()
def train_page(page, app_url):
    return TrainPage(page, app_url).open()


def later_drawn_epoch(app, than):
    """Wait until the first trace of the first Plotly chart (the live loss chart) ends at an
    epoch after ``than``; return that epoch. (Not its number of points: a long history is
    thinned to between 2,000 and 4,000 points, so the count falls at times while it grows.)"""
    return app.page.wait_for_function(
        "n => { const p = document.querySelector("
        "'[data-testid=stMain] [data-testid=stPlotlyChart] .js-plotly-plot');"
        " const x = p && p.data && p.data[0] ? p.data[0].x : [];"
        " const last = x.length ? Number(x[x.length - 1]) : 0;"
        " return last > n ? last : false; }", arg=than, timeout=LONG).json_value()


def test_upload_pick_train_stop_train_again_and_download(train_page, screenshot_dir):
    from playwright.sync_api import expect

    app = train_page
    expect(app.button("train_start")).to_be_disabled()
    app.upload("customers.csv", customers_csv())
    expect(app.main().get_by_test_id("stExpander").first).to_contain_text(
        "Preview of the file 'customers.csv': 20,000 rows, 6 columns")
    # the page suggests the yes/no column; the person wants the segment
    expect(app.key("train_target").locator("input")).to_have_value("churned")
    app.choose_target("segment")
    features = app.key("train_features")
    for name in ("age", "income", "region", "churned"):
        expect(features).to_contain_text(name)
    expect(features).not_to_contain_text("customer_id")  # left out: an identifier
    split = app.main().get_by_text(re.compile(r"20,000 rows → 15,000 for training and "
                                              r"5,000 for testing; \d+ model features; "
                                              r"3 classes: bronze, gold, silver\."))
    expect(split).to_be_visible()

    # A long run: at most 100,000 epochs, and no tolerance to stop it early.
    app.set_number("train_epochs", 100_000)
    app.set_number("train_tol", 0)
    expect(app.key("train_tol").locator("input")).to_have_value("0")
    app.button("train_start").click()

    # The live chart grows while the epoch counter moves on.
    progress = app.main().get_by_test_id("stProgress")
    expect(progress).to_contain_text(re.compile(r"Epoch [\d,]+ of 100,000: train loss"),
                                     timeout=LONG)
    first = progress.inner_text()
    expect(progress).not_to_have_text(first, timeout=LONG)
    drawn = later_drawn_epoch(app, 0)
    assert later_drawn_epoch(app, drawn) > drawn
    seen = int(re.search(r"Epoch ([\d,]+)", progress.inner_text())[1].replace(",", ""))
    app.snapshot(screenshot_dir, "train_live")

    # Stop: the model of the last finished epoch is kept, with its results.
    with app.script_run():
        app.button("train_stop").click()
    stopped = app.alerts("info").filter(has_text="Stopped after epoch")
    expect(stopped).to_have_count(1)
    kept = int(re.search(r"Stopped after epoch ([\d,]+); the model of that epoch is kept",
                         app.text(stopped))[1].replace(",", ""))
    assert seen <= kept < 100_000
    expect(app.main().get_by_role("heading", name="Compared with scikit-learn")).to_be_visible()
    expect(app.key("train_downloads").get_by_test_id("stDownloadButton")).to_have_count(3)
    model = json.loads(app.download("train_download_model"))
    assert model["final"]["epochs"] == kept and model["final"]["stop_reason"] == "stopped"
    app.assert_healthy()
    app.snapshot(screenshot_dir, "train_stopped")

    # Train again, with a tolerance: it runs to convergence.
    app.set_number("train_epochs", 3000)
    app.set_number("train_tol", "0.000001")
    app.train()
    expect(app.alerts("success")).to_contain_text("Converged")
    expect(stopped).to_have_count(0)
    expect(app.alerts("warning").filter(has_text="settings changed")).to_have_count(0)  # the results are for these settings
    app.assert_healthy()
    app.snapshot(screenshot_dir, "train_results")

    # The three downloads.
    model = json.loads(app.download("train_download_model"))
    history = pd.read_csv(io.StringIO(app.download("train_download_history")))
    predictions_text = app.download("train_download_predictions")
    predictions = pd.read_csv(io.StringIO(predictions_text))

    assert model["format"] == "cecore-model/2" and model["model"] == "softmax"
    assert model["target"] == "segment" and model["classes"] == CLASSES
    n_features = len(model["feature_names"])
    assert {"age", "income"} <= set(model["feature_names"])
    assert any(name.startswith("region=") for name in model["feature_names"])
    assert np.shape(model["coef"]) == (3, n_features) and len(model["intercept"]) == 3
    final = model["final"]
    assert final["stop_reason"] == "converged" and final["epochs"] < 3000
    assert model["hyperparameters"]["epochs"] == 3000
    assert model["comparison_with_sklearn"]

    assert list(history.columns) == ["epoch", "loss", "val_loss", "objective", "grad_norm",
                                     "learning_rate", "seconds"]
    assert history["epoch"].tolist() == list(range(1, final["epochs"] + 1))
    assert np.isfinite(history["loss"]).all() and np.isfinite(history["val_loss"]).all()
    assert history["loss"].iloc[-1] == pytest.approx(final["train_loss"], rel=1e-12)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]

    assert len(predictions) == 5000
    assert {"row", "true segment", "predicted", "p(true class)", "loss", "age", "income",
            "region", "churned"} <= set(predictions.columns)
    proba = predictions[[f"p({c})" for c in CLASSES]].to_numpy()
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert set(predictions["true segment"]) == set(CLASSES)
    assert (predictions["predicted"] == np.array(CLASSES)[proba.argmax(axis=1)]).all()
    assert np.allclose(predictions["loss"], -np.log(predictions["p(true class)"]))
    assert predictions["loss"].mean() == pytest.approx(final["test_loss"], rel=1e-9)
    assert (predictions["true segment"] == predictions["predicted"]).mean() == pytest.approx(
        final["accuracy_test"])
    assert predictions["row"].between(0, 19_999).all() and predictions["row"].is_unique
    rows = list(csv.reader(io.StringIO(predictions_text)))
    assert all(len(row) == len(rows[0]) for row in rows)
    assert math.isfinite(final["test_loss"])
