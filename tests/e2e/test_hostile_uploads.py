"""Hostile files (tests/hostile_files.py) uploaded in Chromium, one server for all of them.

Two groups, one browser tab each:

- files the page must refuse (unreadable, or a table that cannot be trained on) and the file
  over the upload limit: a person has trained a model on a good file first; each hostile
  upload shows a clear message, no exception or traceback, and the previous model's results
  stay on screen (an unreadable file also leaves the previous data in use). Before each
  upload the good file is uploaded again, so every file meets the same page, and the page
  shows the kept model as current again: the app still works;
- files a person can legitimately use: each loads (the previous results stay until Train is
  pressed) and trains.

After every step nothing from the data has become markup (no image, math or link made from
it), no JavaScript dialog opened, and nothing was requested from port 9 (the hostile
Markdown image's address) or from another host (the conftest's guard).
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager

import pytest
from appserver import guarded_page
from hostile_files import FORMULAS, MARKUP, UPLOAD_LIMIT_MB, hostile, write_oversized
from test_train_flow import LONG, TrainPage

pytestmark = pytest.mark.e2e

REFUSED = hostile("unreadable") + hostile("unusable")
LEGIT = hostile("trains")
GOOD_NAME = "good.csv"


def good_csv(n=200):
    """The file the person trained on before: names unlike the hostile files' columns, so
    the page's choices for a hostile file are its own defaults."""
    rows = [f"{i % 7 * 0.5 + (i % 3)},{(i * 37) % 11 / 3:.4f},{'AB'[(i % 7 + i % 3) > 4]}"
            for i in range(n)]
    return ("alpha,beta,group\n" + "\n".join(rows) + "\n").encode()


GOOD = good_csv()


@contextmanager
def browser_tab(browser, app_url):
    """The training page in a new browser context (one per group of files), with the
    guard against requests to other hosts (appserver.guarded_page); checked again when it
    closes."""
    page = guarded_page(browser)
    app = TrainPage(page, app_url).open()
    app.foreign = page.foreign_requests
    try:
        yield app
    finally:
        page.context.close()
    assert not app.foreign, f"the app made requests to other hosts: {app.foreign}"
    assert not app.port9 and not app.dialogs


def assert_no_foreign(app):
    assert not app.foreign, app.foreign


# --------------------------------------------------------------------------- refused files
@pytest.fixture(scope="module")
def refused_page(browser, app_url):
    """A tab where a model was trained on the good file."""
    from playwright.sync_api import expect

    with browser_tab(browser, app_url) as app:
        app.upload(GOOD_NAME, GOOD)
        expect(app.key("train_target").locator("input")).to_have_value("group")
        app.train()
        expect(app.alerts("success")).to_contain_text("Converged")
        yield app


def back_to_the_good_file(app):
    """Upload the good file again: the kept model is the current one again (no warning)."""
    from playwright.sync_api import expect

    app.upload(GOOD_NAME, GOOD)
    expect(app.alerts("error")).to_have_count(0)
    expect(app.alerts("warning")).to_have_count(0)
    expect(app.alerts("success")).to_contain_text("Converged")
    expect(app.button("train_start")).to_be_enabled()


def assert_previous_results_shown(app):
    from playwright.sync_api import expect

    main = app.main()
    expect(main.get_by_role("heading", name="Compared with scikit-learn")).to_be_visible()
    expect(app.alerts("success")).to_contain_text("Converged")
    expect(main.get_by_test_id("stDownloadButton")).to_have_count(3)


@pytest.mark.parametrize("file", REFUSED, ids=[f.id for f in REFUSED])
def test_a_refused_file_shows_why_and_keeps_the_model(refused_page, file, screenshot_dir):
    from playwright.sync_api import expect

    app = refused_page
    back_to_the_good_file(app)
    app.upload(file.name, file.content)

    errors = app.alerts("error")
    expect(errors).to_have_count(1)
    message = app.text(errors)
    assert re.search(file.message, message), message
    preview = app.main().get_by_test_id("stExpander").first
    if file.outcome == "unreadable":
        assert message.startswith(f"{file.name}: ")
        expect(app.alerts("info")).to_have_text(f"Still using the previous file, {GOOD_NAME}.")
        expect(preview).to_contain_text(f"Preview of the file '{GOOD_NAME}'")
        expect(app.button("train_start")).to_be_enabled()
        expect(app.alerts("warning")).to_have_count(0)
    else:  # the table is read and shown, the reason is under the target; Train waits
        expect(preview).to_contain_text(f"Preview of the file '{file.name}'")
        expect(app.key("train_target").locator("input")).to_have_value(file.target)
        expect(app.button("train_start")).to_be_disabled()
        expect(app.alerts("warning")).to_contain_text("The data or settings changed")
    assert_previous_results_shown(app)
    app.assert_healthy()
    assert_no_foreign(app)
    app.snapshot(screenshot_dir, f"hostile_{file.id}")


def test_a_file_over_the_upload_limit_is_refused_by_the_uploader(refused_page, tmp_path,
                                                                 screenshot_dir):
    from playwright.sync_api import expect

    app = refused_page
    back_to_the_good_file(app)
    big = write_oversized(tmp_path)
    app.key("train_upload").locator("input[type=file]").set_input_files(big)
    expect(app.key("train_upload")).to_contain_text(
        f"File must be {UPLOAD_LIMIT_MB:.1f}MB or smaller.")
    app.settled()
    assert_previous_results_shown(app)
    expect(app.main().get_by_test_id("stExpander").first).to_contain_text(
        f"Preview of the file '{GOOD_NAME}'")
    expect(app.button("train_start")).to_be_enabled()
    app.assert_healthy()
    app.snapshot(screenshot_dir, "hostile_over_the_limit")


def test_the_app_still_trains_after_the_refused_files(refused_page):
    from playwright.sync_api import expect

    app = refused_page
    back_to_the_good_file(app)
    app.set_number("train_alpha", 0.02)
    expect(app.alerts("warning")).to_contain_text("The data or settings changed")
    app.train()
    expect(app.alerts("warning")).to_have_count(0)
    expect(app.alerts("success")).to_contain_text("Converged")
    app.assert_healthy()


# --------------------------------------------------------------------------- legit files
#: what the page says about each file besides training on it
PAGE_SAYS = {
    "all_missing_column": "1 column is left out by default",
    "constant_column": "1 column is left out by default",
    "semicolon_decimal_comma": "decimal comma",
    "utf16": "read as UTF-16 text",
    "latin1": "not UTF-8",
    "duplicate_columns": "Repeated column names were renamed: 'x' -> 'x.1'",
    "quoted_newlines": "1 column is left out by default",
    "5000_columns": "40 rows, 5001 columns",
    "200000_rows": "200,000 rows → 150,000 for training and 50,000 for testing",
    "markup": "3 classes: " + ", ".join(sorted(MARKUP)),
}


@pytest.fixture(scope="module")
def legit_page(browser, app_url):
    with browser_tab(browser, app_url) as app:
        yield app


def test_a_refused_first_file_leaves_the_page_ready_for_another(legit_page):
    from playwright.sync_api import expect

    app = legit_page
    png = next(f for f in REFUSED if f.id == "png_renamed")
    app.upload(png.name, png.content)
    expect(app.alerts("error")).to_have_text(
        re.compile(rf"^{re.escape(png.name)}: This looks like a PNG image"))
    expect(app.alerts("info")).to_contain_text("Upload a table to start")
    expect(app.button("train_start")).to_be_disabled()
    app.assert_healthy()


@pytest.mark.parametrize("file", LEGIT, ids=[f.id for f in LEGIT])
def test_a_legit_file_loads_and_trains(legit_page, file, screenshot_dir):
    from playwright.sync_api import expect

    app = legit_page
    had_model = app.main().get_by_test_id("stDownloadButton").count() == 3
    app.upload(file.name, file.content)
    # States, each with a generous timeout: a wide or long file takes seconds to read,
    # describe and prepare, and more on a machine busy with other work
    expect(app.main().get_by_test_id("stExpander").first).to_contain_text(
        f"Preview of the file '{file.name}'", timeout=LONG)
    expect(app.button("train_start")).to_be_enabled(timeout=LONG)
    expect(app.alerts("error")).to_have_count(0)
    app.choose_target(file.target)
    stale = app.alerts("warning").filter(has_text="The data or settings changed")
    if had_model:  # the previous results stay until Train is pressed
        expect(stale).to_have_count(1, timeout=LONG)
        expect(app.main().get_by_test_id("stDownloadButton")).to_have_count(3)
    if file.id in PAGE_SAYS:
        assert PAGE_SAYS[file.id] in app.text(app.main()), PAGE_SAYS[file.id]
    app.assert_healthy()

    app.train(timeout=3 * LONG)
    expect(app.alerts("success").or_(app.alerts("info"))).to_contain_text(
        re.compile("Converged|Stopped after max_epochs"), timeout=LONG)
    expect(app.main().get_by_role("heading", name="Compared with scikit-learn")).to_be_visible(
        timeout=LONG)
    expect(app.main().get_by_test_id("stDownloadButton")).to_have_count(3, timeout=LONG)
    expect(app.alerts("error")).to_have_count(0)
    # the results are for this file (a warning on what the accuracy hides may remain: the
    # wide file's 10 test rows are 60% one class, and so are its predictions)
    expect(stale).to_have_count(0)
    app.assert_healthy()
    assert_no_foreign(app)
    if file.id in ("markup", "formulas"):
        check_downloads(app, file)
    app.snapshot(screenshot_dir, f"hostile_{file.id}")


def check_downloads(app, file):
    """The user's text arrives in the downloads verbatim, formulas defused."""
    predictions = list(csv.DictReader(io.StringIO(
        app.download("train_download_predictions"))))
    if file.id == "markup":
        assert {row["true label"] for row in predictions} == set(MARKUP)
        assert set(MARKUP[:2]) <= set(predictions[0])  # the input columns, by name
    else:
        assert {row["true label"] for row in predictions} == {"'=YES()", "'@no"}
        assert {row["cell"] for row in predictions} <= {"'" + f for f in FORMULAS}
