"""The explorer pages under Streamlit's AppTest: they run, widgets move the charts as the
formulas say, and the URL's query parameters restore (or, when bad, fall back to) the view.

Writing the URL back is done by the browser for widgets bound with ``bind="query-params"``;
AppTest has no browser, so it checks that every widget is bound under its key.
"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cecore import charts as cecore_charts
from cecore.charts.binary import probe_grid
from cecore.charts.softmax import sweep_grid
from cecore.explorer import QUIZ, smoothed_target

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("pages/home.py", "pages/loss_curves.py", "pages/softmax.py", "pages/likelihood.py")
WIDGET_KINDS = ("slider", "toggle", "segmented_control", "radio")


def open_page(page, **query):
    """Run the app on ``page`` with the given URL query parameters."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page(page)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def as_array(value):
    """A trace attribute from the figure JSON: plain list, or Plotly's base64 typed array."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return array.reshape([int(n) for n in shape.split(",")]) if shape else array
    return np.array(value, dtype=float)


def spec(at, index=0):
    """The page's ``index``-th Plotly figure as the browser gets it."""
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def chart(at, index=0):
    """Traces of the page's ``index``-th Plotly chart, keyed by name, as the browser gets them."""
    figure = spec(at, index)
    return {trace["name"]: trace for trace in figure["data"]}, figure["layout"]


def point(trace):
    """(x, y) of a single-marker trace."""
    return float(as_array(trace["x"])[0]), float(as_array(trace["y"])[0])


def widgets(at):
    """Every widget of the kinds the explorer pages use."""
    return [w for kind in WIDGET_KINDS for w in getattr(at, kind)]


# --------------------------------------------------------------------------- all pages
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_with_a_title_and_every_widget_bound_to_the_url(page):
    at = open_page(page)
    assert at.title
    assert widgets(at)
    for widget in widgets(at):
        assert widget.key and widget.proto.query_param_key == widget.key


def test_widget_keys_are_unique_across_pages():
    keys = [w.key for page in PAGES for w in widgets(open_page(page))]
    assert len(keys) == len(set(keys))


# --------------------------------------------------------------------------- loss curves
def probe_point(at):
    traces, _ = chart(at)
    (probe,) = [t for name, t in traces.items() if name.startswith("probe")]
    return point(probe)


def test_loss_curves_probe_follows_the_slider_and_the_label():
    at = open_page("pages/loss_curves.py")
    assert probe_point(at) == pytest.approx((0.25, -np.log(0.25)))
    at.slider(key="p").set_value(0.02).run()
    assert probe_point(at) == pytest.approx((0.02, -np.log(0.02)))
    at.segmented_control(key="y").set_value(0).run()
    assert probe_point(at) == pytest.approx((0.02, -np.log(0.98)))
    assert [m.value for m in at.metric] == ["0.0202", "1.02", "0.02"]  # J, dJ/dp, p - y


def test_loss_curves_switches_move_the_axes():
    at = open_page("pages/loss_curves.py")
    at.toggle(key="logit_x").set_value(True).run()
    traces, layout = chart(at)
    z = as_array(traces["y = 1: softplus(−z)"]["x"])
    assert z[0] == -10 and z[-1] == 10
    assert probe_point(at)[0] == pytest.approx(np.log(0.25 / 0.75))
    at.toggle(key="log_y").set_value(True).run()
    assert all(chart(at, i)[1]["yaxis"]["type"] == "log" for i in (0, 1))


def test_loss_curves_mse_comparison_uses_the_label():
    at = open_page("pages/loss_curves.py", y="0")
    traces, _ = chart(at, 1)
    p, mse = as_array(traces["squared error (p − y)²"]["x"]), as_array(
        traces["squared error (p − y)²"]["y"])
    np.testing.assert_allclose(mse, p**2)


def test_loss_curves_restores_a_shared_link():
    at = open_page("pages/loss_curves.py", y="0", p="0.02", log_y="true")
    assert at.segmented_control(key="y").value == 0
    assert at.slider(key="p").value == pytest.approx(0.02)
    assert at.toggle(key="log_y").value and not at.toggle(key="logit_x").value
    assert probe_point(at) == pytest.approx((0.02, -np.log(0.98)))
    assert chart(at)[1]["yaxis"]["type"] == "log"


def in_chart_slider(figure):
    """The in-chart slider's starting step, and the values text the figure shows (which is
    also that step's frame's)."""
    active = figure["layout"]["sliders"][0]["active"]
    (text,) = [t["text"][0] for t in figure["data"] if t["name"] == "values"]
    assert figure["frames"][active]["data"][-1]["text"][0] == text
    return active, text


def test_the_in_chart_slider_starts_at_the_p_of_the_link_and_follows_the_p_slider():
    at = open_page("pages/loss_curves.py", p="0.02", y="0")
    figure = spec(at)
    grid, active = probe_grid(0.02)
    assert len(figure["frames"]) == len(grid)
    index, text = in_chart_slider(figure)
    assert index == active and text.startswith("p = 0.02 ·")
    assert f"J = {-np.log(0.98):.4g}" in text
    assert len(at.get("plotly_chart")[0].proto.spec) < 300_000
    at.slider(key="p").set_value(0.731).run()
    index, text = in_chart_slider(spec(at))
    assert index == probe_grid(0.731)[1] and text.startswith("p = 0.731 ·")
    at.toggle(key="logit_x").set_value(True).run()
    index, text = in_chart_slider(spec(at))
    assert index == probe_grid(0.731, logit_axis=True)[1]
    assert f"z = {np.log(0.731 / 0.269):.3f}" in text


def starts_at(at):
    """The p the in-chart slider of the page's explorer starts at (from its values text)."""
    return in_chart_slider(spec(at))[1].split(" ·")[0]


def test_sessions_sharing_a_kept_figure_each_see_their_own_p():
    first, second = open_page("pages/loss_curves.py", p="0.3"), open_page(
        "pages/loss_curves.py", p="0.7")
    for value in (0.41, 0.42):
        first.slider(key="p").set_value(value).run()
        assert starts_at(second) == "p = 0.7"
        second.run()
        assert starts_at(second) == "p = 0.7"
        assert starts_at(first) == f"p = {value:g}"


def test_a_chart_whose_arguments_did_not_change_is_not_rebuilt(monkeypatch):
    builds = []
    original = cecore_charts.ce_vs_mse_gradient

    def counting(*args, **kwargs):
        builds.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(cecore_charts, "ce_vs_mse_gradient", counting)
    at = open_page("pages/loss_curves.py", y="1")
    for value in (0.3, 0.4, 0.5):
        at.slider(key="p").set_value(value).run()
    assert len(builds) <= 1  # built at most once (kept from an earlier test otherwise)
    at.segmented_control(key="y").set_value(0).run()
    assert builds[-1] == (0,)


@pytest.mark.parametrize("query", [
    {"y": "7", "p": "1.5", "log_y": "maybe", "logit_x": "2"},
    {"y": "one", "p": "nan", "log_y": ""},
    {"p": "-0.1"},
])
def test_loss_curves_bad_parameters_fall_back_to_defaults(query):
    at = open_page("pages/loss_curves.py", **query)
    assert at.segmented_control(key="y").value == 1
    assert at.slider(key="p").value == pytest.approx(0.25)
    assert not at.toggle(key="log_y").value and not at.toggle(key="logit_x").value


def test_stability_table_is_on_the_page():
    table = open_page("pages/loss_curves.py").dataframe[0].value
    assert table["clipped, float64"].max() == pytest.approx(36.04, abs=5e-3)
    assert np.isinf(table["naive −log p"]).any()


# --------------------------------------------------------------------------- softmax
def bar_values(traces, names=("p, true class", "p, other classes")):
    """Per-class values of a series split into two bar traces (the probabilities)."""
    return np.nansum([as_array(traces[name]["y"]) for name in names], axis=0)


GRADIENT = ("dJ/dz < 0: logit goes up", "dJ/dz > 0: logit goes down")


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def test_softmax_bars_follow_the_logits():
    at = open_page("pages/softmax.py")
    np.testing.assert_allclose(bar_values(chart(at)[0]), softmax([2.0, 1.0, 0.1]), rtol=1e-6)
    at.slider(key="z2").set_value(3.0).run()
    probs = softmax([2.0, 1.0, 3.0])
    traces, _ = chart(at)
    np.testing.assert_allclose(bar_values(traces), probs, rtol=1e-6)
    np.testing.assert_allclose(bar_values(traces, GRADIENT), probs - [1, 0, 0], atol=1e-7)
    assert float(at.metric[0].value) == pytest.approx(-np.log(probs[0]), abs=1e-4)


def test_softmax_in_chart_slider_sweeps_the_chosen_logit():
    at = open_page("pages/softmax.py", sweep="1", z1="-2.3")
    figure = spec(at)
    grid, active = sweep_grid(-2.3)
    slider = figure["layout"]["sliders"][0]
    assert slider["active"] == active
    assert figure["frames"][active]["data"][-1]["text"][0].startswith("z1 = −2.30 ·")
    assert len(figure["frames"]) == len(grid) and len(at.get("plotly_chart")[0].proto.spec) < 300_000
    # the last frame: z1 = 10, the others as the sliders say
    last = {trace["type"] + str(i): trace for i, trace in enumerate(figure["frames"][-1]["data"])}
    probs = softmax([2.0, 10.0, 0.1])
    np.testing.assert_allclose(np.nansum([np.array(last["bar0"]["y"], dtype=float),
                                          np.array(last["bar1"]["y"], dtype=float)], axis=0),
                               probs, rtol=1e-6)
    assert "z1 = 10.00" in last["scatter5"]["text"][0]


def test_softmax_simplex_appears_only_for_three_classes():
    at = open_page("pages/softmax.py")
    assert len(at.get("plotly_chart")) == 2  # the explorer and the simplex
    at.slider(key="classes").set_value(4).run()
    assert len(at.get("plotly_chart")) == 1 and at.info


def test_softmax_restores_a_shared_link():
    at = open_page("pages/softmax.py", classes="4", true_class="2", temperature="2.0",
                   smoothing="0.1", z3="1.5", sweep="3")
    probs = softmax(np.array([2.0, 1.0, 0.1, 1.5]) / 2.0)
    traces, _ = chart(at)
    np.testing.assert_allclose(bar_values(traces), probs, rtol=1e-6)
    np.testing.assert_allclose(as_array(traces["target t"]["y"]), smoothed_target(2, 4, 0.1))
    np.testing.assert_allclose(bar_values(traces, GRADIENT),
                               (probs - smoothed_target(2, 4, 0.1)) / 2.0, atol=1e-7)
    assert point(traces["current z3"])[0] == 1.5


def test_softmax_bad_parameters_fall_back_to_defaults():
    at = open_page("pages/softmax.py", classes="99", temperature="-1", smoothing="x",
                   true_class="5", z0="1e9")
    assert at.slider(key="classes").value == 3
    assert at.slider(key="temperature").value == 1.0
    assert at.slider(key="smoothing").value == 0.0
    assert at.segmented_control(key="true_class").value == 0
    assert at.slider(key="z0").value == 2.0


# --------------------------------------------------------------------------- likelihood
def test_likelihood_bars_are_the_normalised_weights():
    at = open_page("pages/likelihood.py")
    at.slider(key="p_a").set_value(1.0).run()
    traces, _ = chart(at)
    np.testing.assert_allclose(as_array(traces["p (truth)"]["y"]), np.array([1, .25, .15, .1]) / 1.5)
    np.testing.assert_allclose(as_array(traces["q (model)"]["y"]), 0.25)


def test_likelihood_shows_h_pq_as_h_p_plus_kl():
    at = open_page("pages/likelihood.py")
    h_p, h_pq, kl = (float(m.value) for m in at.metric)
    assert h_pq == pytest.approx(h_p + kl, abs=2e-4)
    assert h_pq == pytest.approx(np.log(4), abs=1e-4)  # q is uniform over 4 outcomes


def test_likelihood_a_zero_in_q_gives_infinity_from_the_url():
    at = open_page("pages/likelihood.py", q_d="0")
    assert at.slider(key="q_d").value == 0.0
    assert [m.value for m in at.metric][1:] == ["∞", "∞"]


def binary_entropy(p):
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def scoring_minima(at):
    """(x, y) of the log-loss and Brier minima and the 0/1 band's x on the scoring chart."""
    traces, layout = chart(at, 1)
    return (point(traces["lowest expected score"]), point(traces["lowest expected Brier score"]),
            list(as_array(traces["lowest expected 0/1 loss"]["x"])),
            layout["sliders"][0]["active"])


def test_likelihood_scoring_rules_follow_the_frequency_slider():
    at = open_page("pages/likelihood.py")
    log, brier, band, active = scoring_minima(at)
    assert log == pytest.approx((0.7, binary_entropy(0.7))) and band == [0.5, 1.0]
    assert brier == pytest.approx((0.7, 0.21)) and active == 69
    at.slider(key="freq").set_value(0.3).run()
    assert not at.exception
    log, brier, band, active = scoring_minima(at)
    assert log == pytest.approx((0.3, binary_entropy(0.3))) and band == [0.0, 0.5]
    assert brier == pytest.approx((0.3, 0.21)) and active == 29
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert len(spec["frames"]) == 99 and len(at.get("plotly_chart")[1].proto.spec) < 300_000


def test_likelihood_scoring_rules_restore_and_fall_back_from_the_url():
    assert scoring_minima(open_page("pages/likelihood.py", freq="0.15"))[0][0] == 0.15
    at = open_page("pages/likelihood.py", freq="2")
    assert at.slider(key="freq").value == 0.7
    assert scoring_minima(at)[0][0] == 0.7


def test_quiz_checks_and_explains_answers():
    at = open_page("pages/likelihood.py")
    first, second = QUIZ[0], QUIZ[1]
    at.radio(key="quiz1").set_value(first.options[first.answer]).run()
    at.radio(key="quiz2").set_value(second.options[(second.answer + 1) % 4]).run()
    assert [s.value for s in at.success] == [f"Right. {first.explanation}"]
    assert second.explanation in at.error[0].value
    assert any(m.value.startswith("**Score: 1 of 5**") for m in at.markdown)


def test_quiz_answers_restore_from_the_url():
    last = QUIZ[4]
    at = open_page("pages/likelihood.py", quiz5=last.options[last.answer], quiz1="no such answer")
    assert at.radio(key="quiz5").value == last.options[last.answer]
    assert at.radio(key="quiz1").value is None
    assert len(at.success) == 1


# --------------------------------------------------------------------------- home
def test_home_chart_follows_its_slider_and_links_every_page():
    at = open_page("pages/home.py", home_p="0.3")
    traces, _ = chart(at)
    assert point(traces["probe, y = 1"]) == pytest.approx((0.3, -np.log(0.3)))
    at.slider(key="home_p").set_value(0.9).run()
    traces, _ = chart(at)
    assert point(traces["probe, y = 0"]) == pytest.approx((0.9, -np.log(0.1)))
    links = {link.proto.page: link.proto.query_string for link in at.get("page_link")}
    assert set(links) == {"loss_curves", "softmax", "likelihood", "train"}
    assert "p=0.9" in [link.proto.query_string for link in at.get("page_link")]


def test_the_binary_page_draws_focal_loss_for_the_chosen_gamma():
    from cecore.focal import focal_loss

    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/loss_curves.py")
    at.query_params["gamma"] = "5"
    at.run()
    assert not at.exception and at.slider(key="gamma").value == 5.0
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    traces = [t for f in figures for t in f["data"] if t.get("name") == "focal loss (γ = 5)"]
    assert traces
    x, y = as_array(traces[0]["x"]).astype(float), as_array(traces[0]["y"]).astype(float)
    inside = (x > 0) & (x < 1)
    np.testing.assert_allclose(y[inside], focal_loss(1, x[inside], 5.0), rtol=1e-6)
