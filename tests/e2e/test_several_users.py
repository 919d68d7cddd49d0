"""Five people use one server at once: four train on their own files, a fifth explores.

Five browser contexts (five independent visitors), driven by one thread: the explorer's in
the session's browser, the four trainers' in a second Chromium at a lower CPU priority (their
own machines would draw their pages). Every action is quick, so the pages are interleaved: upload in all four, press Train in all four, then
time the explorer again and again until the four pages report their results. Checked:

- every training ends with exactly the model that the same run gives alone, in-process
  through ``cecore.training`` (the downloaded model JSON, and the accuracy on the page);
- no session sees another's data: each page shows only its own file's columns and values
  (the preview's title and cells, the target choices, the feature chips, the classes, the
  model) and none of the others';
- the loss explorer answers a slider move within SLIDER_BUDGET seconds throughout, timed
  from the key press to the new J readout: before, from the clicks on Train to the last
  results (at least MIN_LOADED_MEASUREMENTS times while all four train), and after.

The server is this test's own, so other tests' sessions do not interfere.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from appserver import guarded_page, low_priority_browser, start_app, stop_app

from cecore import data
from cecore.export import model_json
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data

pytestmark = pytest.mark.e2e

USERS = ("kestrel", "narwhal", "ocelot", "pangolin")  # column prefixes, one per visitor
CLASSES = (2, 3, 2, 4)
ROWS = (3000, 3400, 3800, 4200)
TRAIN_SECONDS_ALONE = (1.0, 1.15, 1.3, 1.45)  # compute time of each run alone: they end apart
SLIDER_BUDGET = 2.0  # seconds from a key press on the slider to the new J readout
MIN_LOADED_MEASUREMENTS = 5  # slider moves timed while all four trainings run
WAIT = 60_000  # ms: the longest wait for a page to show something
TRAINING_DEADLINE = 240.0  # s: all four trainings must end within this
J_READOUT = "[data-testid='stMetricValue']"  # the first metric of the explorer is J
# In each training page: the page itself reports, through the function noteTraining that
# the test exposes to it, when its progress bar first appears and when its results (the
# model download) first appear, in ms since the epoch (the clock of time.time()): the
# test never waits for the busy training pages while it times the explorer.
TRAINING_TIMES = """
(() => {
  const noted = new Set();
  const watched = [["started", "[data-testid='stProgress']"],
                   ["done", ".st-key-train_download_model"]];
  new MutationObserver(() => {
    for (const [what, selector] of watched) {
      if (!noted.has(what) && document.querySelector(selector)) {
        noted.add(what);
        window.noteTraining(what, Date.now());
      }
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""


@pytest.fixture(scope="module")
def own_app_url(browser, tmp_path_factory):
    """A server of this test's own, warmed up by one visitor who explores and trains once.

    The test is about visitors working side by side on a running server. A cold one adds
    two one-off costs that are not: several first visits at once race in pages/_shared.py
    (one can fail with ``ImportError: cannot import name 'BIND_URL'``), and the first
    training to finish in the process pays for code never run before (sklearn's solver,
    the result charts), which held the explorer's answer up to 2.4-2.9 s.
    """
    warm_up = tmp_path_factory.mktemp("warm_up") / "warm_up.csv"
    warm_up.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},{'yn'[i % 2]}\n"
                                                 for i in range(200)))
    proc, url = start_app()
    try:
        page = guarded_page(browser, WAIT)
        page.goto(f"{url}/loss_curves")
        page.locator(J_READOUT).first.wait_for(timeout=WAIT)
        page.goto(f"{url}/train?train_epochs=50")
        page.locator(".st-key-train_upload input[type='file']").set_input_files(warm_up)
        page.locator(".st-key-train_start button").click()
        page.locator(".st-key-train_download_model").wait_for(timeout=WAIT)
        page.context.close()
        yield url
    finally:
        stop_app(proc)


def user_table(k):
    """Visitor k's table: three numbers, a text category and a class column (the last),
    every column name and every text value starting with the visitor's own prefix."""
    prefix, n_classes, n = USERS[k], CLASSES[k], ROWS[k]
    rng = np.random.default_rng(100 + k)
    x = rng.normal(size=(n, 3)).round(4)
    shade = rng.choice([f"{prefix}-light", f"{prefix}-dark", f"{prefix}-mid"], n)
    logits = x @ rng.normal(size=(3, n_classes)) + rng.gumbel(size=(n, n_classes))
    labels = np.array([f"{prefix}-class-{c}" for c in range(n_classes)])[logits.argmax(axis=1)]
    return pd.DataFrame({f"{prefix}_x1": x[:, 0], f"{prefix}_x2": x[:, 1],
                         f"{prefix}_x3": x[:, 2], f"{prefix}_shade": shade,
                         f"{prefix}_group": labels})


def epochs_for(content, seconds):
    """Epochs that take about ``seconds`` of compute alone, in-process, on this machine (the
    fastest of three probes): long enough for the explorer to be timed while all four run,
    whatever the machine's speed."""
    frame = data.read_csv(content)
    target = data.suggest_target(frame)
    prepared = prepare_data(frame, target, data.suggest_features(frame, target)[0],
                            DataOptions(), 0)
    probe, times = 500, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            run = TrainingRun(prepared, TrainConfig(epochs=probe, tol=0.0))
            started = time.perf_counter()
            for _ in run.records():
                pass
            times.append(time.perf_counter() - started)
    epochs = seconds * probe / min(times)
    return int(min(max(epochs, 2000), 100_000)) // 100 * 100


def train_alone(content, hyperparameters):
    """The same run, alone and in-process: the page's pipeline without the page."""
    frame = data.read_csv(content)
    target = data.suggest_target(frame)
    features = data.suggest_features(frame, target)[0]
    options = DataOptions(**hyperparameters["data"])
    config = TrainConfig(**{k: v for k, v in hyperparameters.items() if k != "data"})
    run = TrainingRun(prepare_data(frame, target, features, options, config.seed), config,
                      options, frame=frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in run.records():
            pass
    return json.loads(model_json(run)), features


def slider_response(page, key):
    """Seconds from one key press on the probability slider to a new J readout; the
    readout is then checked against the slider's value (J = -log p for y = 1)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    readout = page.locator(J_READOUT).first
    before = readout.inner_text()
    thumb = page.locator(".st-key-p input[type='range']")
    thumb.focus()
    started = time.monotonic()
    page.keyboard.press(key)
    try:
        page.wait_for_function(
            "([selector, before]) => {"
            "  const el = document.querySelector(selector);"
            "  return el !== null && el.innerText !== before; }",
            arg=[J_READOUT, before], polling=10, timeout=4 * SLIDER_BUDGET * 1000)
    except PlaywrightTimeout:
        return math.inf
    elapsed = time.monotonic() - started
    p = float(page.locator(".st-key-p [data-testid='stSliderThumbValue']").inner_text())
    assert readout.inner_text() == f"{-math.log(p):.4g}", "J does not match the slider"
    return elapsed


def check_only_own_data(page, k, features):
    """The page shows visitor k's file, columns and values and nothing of the other visitors.

    Checked on elements that hold text: the preview's title (file name, rows, columns), the
    target's choices, the feature chips, the caption of the prepared data (its classes),
    and the cells of the preview grid. The grid is drawn on a canvas, but it keeps an
    accessible table of the cells in view in the DOM (``th``, ``td``), checked with
    retrying assertions since each rerun redraws it.
    """
    from playwright.sync_api import expect

    prefix, table = USERS[k], user_table(k)
    columns = list(table.columns)
    title = page.get_by_test_id("stExpander").first.locator("summary").get_by_role("paragraph")
    expect(title).to_have_text(
        f"Preview of the file '{prefix}.csv': {ROWS[k]:,} rows, {len(columns)} columns",
        timeout=WAIT)
    target = page.locator(".st-key-train_target input")
    expect(target).to_have_value(f"{prefix}_group", timeout=WAIT)
    chips = page.locator(".st-key-train_features [data-tag]")
    expect(chips).to_have_count(len(features), timeout=WAIT)
    assert [chip.get_attribute("aria-label") for chip in chips.all()] == features
    classes = ", ".join(f"{prefix}-class-{c}" for c in range(CLASSES[k]))
    expect(page.get_by_text(f"{CLASSES[k]} classes: {classes}.")).to_be_visible(timeout=WAIT)
    expect(page.locator(".st-key-train_start button")).to_be_enabled(timeout=WAIT)
    # The target's choices: focus and ArrowDown open the list at once (a first click on
    # the box may only focus it). A rerun arriving meanwhile closes it: open it again.
    options = page.get_by_role("listbox").get_by_role("option")
    for attempt in range(3):
        target.focus()
        page.keyboard.press("ArrowDown")
        try:
            expect(options).to_have_count(len(columns), timeout=5_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    expect(options).to_have_text(columns)
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    expect(target).to_have_value(f"{prefix}_group")
    # The preview grid: a header row (the index, then the columns) and the first rows; the
    # text cells of each row (shade, then class) come in the file's order.
    preview = page.get_by_test_id("stDataFrame").first
    expect(preview.locator("th")).to_have_text(["", *columns], timeout=WAIT)
    head = table.head(10)
    cells = [text for row in zip(head[f"{prefix}_shade"], head[f"{prefix}_group"],
                                 strict=True) for text in row]
    expect(preview.locator("td")).to_contain_text(cells, timeout=WAIT)
    assert_no_other_data(page, prefix)


def assert_no_other_data(page, own=None):
    """None of the other visitors' names or values is anywhere in the page."""
    leaked = [other for other in USERS if other != own and other in page.content()]
    assert not leaked, f"the page of {own or 'the explorer'} shows data of {leaked}"


@pytest.fixture()
def trainers_browser(browser, tmp_path):
    """The browser of the four trainers: a second Chromium at a lower CPU priority. Their
    browsers would run on their own machines, not on the server's two cores; they still draw
    every update, but the explorer's browser and the server come first."""
    others = low_priority_browser(browser, tmp_path)
    yield others
    others.close()


def test_four_trainings_and_an_explorer_at_once(browser, trainers_browser, own_app_url,
                                                tmp_path):
    from playwright.sync_api import expect

    files, contents = [], []
    for k, prefix in enumerate(USERS):
        content = user_table(k).to_csv(index=False).encode()
        path = tmp_path / f"{prefix}.csv"
        path.write_bytes(content)
        files.append(path)
        contents.append(content)
    expected_features = []
    for content in contents:
        frame = data.read_csv(content)
        target = data.suggest_target(frame)
        expected_features.append(data.suggest_features(frame, target)[0])
    epochs = [epochs_for(content, seconds)
              for content, seconds in zip(contents, TRAIN_SECONDS_ALONE, strict=True)]

    trainers = [guarded_page(trainers_browser, WAIT) for _ in USERS]
    times = [{} for _ in trainers]  # per visitor: "started" and "done", in ms
    for page, noted in zip(trainers, times, strict=True):
        page.expose_function("noteTraining", lambda what, ms, noted=noted: noted.update(
            {what: ms}))
        page.add_init_script(TRAINING_TIMES)
    explorer = guarded_page(browser, WAIT)
    pages = [*trainers, explorer]
    try:
        for page, n_epochs in zip(trainers, epochs, strict=True):
            # "commit": the five pages then load side by side, as five visitors' would.
            page.goto(f"{own_app_url}/train?train_epochs={n_epochs}&train_tol=0",
                      wait_until="commit")
        explorer.goto(f"{own_app_url}/loss_curves", wait_until="commit")
        for page, path in zip(trainers, files, strict=True):
            page.locator(".st-key-train_upload input[type='file']").set_input_files(path)
        for k, page in enumerate(trainers):
            check_only_own_data(page, k, expected_features[k])
        expect(explorer.locator(J_READOUT).first).to_be_visible(timeout=WAIT)
        idle = [slider_response(explorer, "ArrowRight"), slider_response(explorer, "ArrowLeft")]

        for page in trainers:
            page.locator(".st-key-train_start button").click()
        clicked = time.monotonic()

        # The explorer is timed from the clicks on until every training has ended; a move
        # counts as made while all four train when it lies between the last progress bar's
        # appearance and the first results'.
        moves, key = [], "ArrowRight"
        while not all("done" in noted for noted in times):
            assert time.monotonic() < clicked + TRAINING_DEADLINE, (
                f"trainings not finished after {TRAINING_DEADLINE:.0f} s: {times}")
            started = time.time() * 1000
            seconds = slider_response(explorer, key)
            moves.append((started, time.time() * 1000, seconds))
            key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
        trained = time.monotonic() - clicked
        assert all("started" in noted for noted in times), f"no progress bar: {times}"
        all_from, all_to = max(t["started"] for t in times), min(t["done"] for t in times)
        loaded = [s for begin, end, s in moves if all_from <= begin and end <= all_to]
        partly = [s for begin, end, s in moves if not (all_from <= begin and end <= all_to)]
        after = [slider_response(explorer, "ArrowRight")]

        figures = (f"slider response (s), all {len(USERS)} training: "
                   f"{', '.join(f'{s:.2f}' for s in loaded)}; some training: "
                   f"{', '.join(f'{s:.2f}' for s in partly)}; idle before: "
                   f"{', '.join(f'{s:.2f}' for s in idle)}, after: {after[0]:.2f}; "
                   f"epochs: {epochs}; all four trained for {(all_to - all_from) / 1000:.1f} s, "
                   f"{trained:.1f} s from the clicks on Train to the last results")
        print("\n" + figures)
        assert len(loaded) >= MIN_LOADED_MEASUREMENTS, (
            f"only {len(loaded)} slider moves were timed while all trainings ran ({figures})")
        assert max(idle + loaded + partly + after) < SLIDER_BUDGET, figures

        for k, page in enumerate(trainers):
            with page.expect_download() as download:
                page.locator(".st-key-train_download_model button").click()
            got = json.loads(Path(download.value.path()).read_text())
            hyper = got["hyperparameters"]
            assert (hyper["epochs"], hyper["tol"]) == (epochs[k], 0.0)
            want, features = train_alone(contents[k], hyper)
            assert list(got["input_columns"]) == features
            for field in ("target", "classes", "feature_names", "model"):
                assert got[field] == want[field], field
            np.testing.assert_allclose(got["coef"], want["coef"], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(got["intercept"], want["intercept"], rtol=1e-9,
                                       atol=1e-12)
            assert got["final"]["epochs"] == want["final"]["epochs"] == epochs[k]
            assert got["final"]["stop_reason"] == want["final"]["stop_reason"] == "max_epochs"
            for field in ("train_loss", "test_loss", "objective", "accuracy_train",
                          "accuracy_test"):
                assert math.isclose(got["final"][field], want["final"][field], rel_tol=1e-9,
                                    abs_tol=1e-12), field
            accuracy = page.get_by_test_id("stMetric").filter(has_text="Test accuracy")
            expect(accuracy.get_by_test_id("stMetricValue")).to_have_text(
                f"{want['final']['accuracy_test']:.2%}")
            expect(page.get_by_test_id("stException")).to_have_count(0)
            assert_no_other_data(page, USERS[k])
        assert_no_other_data(explorer)
        expect(explorer.get_by_test_id("stException")).to_have_count(0)
    finally:
        for page in pages:
            page.context.close()
    foreign = [url for page in pages for url in page.foreign_requests]
    assert not foreign, f"the app made requests to other hosts: {foreign}"
