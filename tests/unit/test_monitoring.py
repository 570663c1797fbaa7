"""The alert rules and the Grafana dashboard (deploy/monitoring/) agree with the code.

Every PromQL expression is read structurally (tests/unit/promql.py) and each metric it names
must be a series shared/metrics.py exposes (histograms as _bucket/_count/_sum, counters as
_total), with only labels that series has or that the PodMonitors add. Alerts must say what
happened, how to act, and wait long enough not to page on a blip.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from shared import metrics
from tests.unit.manifests import MONITORING
from tests.unit.promql import PromQLError, read

# Labels the Prometheus Operator adds to every series a PodMonitor scrapes.
TARGET_LABELS = {"namespace", "pod", "container", "job", "instance", "endpoint"}
# Series Prometheus makes itself; nothing else outside shared/metrics.py may be named.
PROMETHEUS_SERIES = {"up": set()}
SEVERITIES = {"critical", "warning"}
DURATION = re.compile(r"^(\d+)([smh])$")


def catalogue() -> dict[str, set[str]]:
    """Series name -> its labels, for every metric registered in shared/metrics.py."""
    series = dict(PROMETHEUS_SERIES)
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        (family,) = metric.describe()
        labels = set(metric._labelnames)
        if family.type == "counter":
            series[family.name + "_total"] = labels
        elif family.type == "histogram":
            series |= {
                family.name + "_bucket": labels | {"le"},
                family.name + "_count": labels,
                family.name + "_sum": labels,
            }
        elif family.type == "summary":
            series |= {family.name: labels | {"quantile"}, family.name + "_count": labels, family.name + "_sum": labels}
        else:
            series[family.name] = labels
    return series


SERIES = catalogue()


def check_expression(expr: str) -> set[str]:
    """Assert `expr` is well formed and names only real series and labels; its usable labels."""
    try:
        reading = read(expr)
    except PromQLError as error:
        pytest.fail(f"{error}: {expr}")
    known = set(TARGET_LABELS)
    for selector in reading.selectors:
        assert selector.metric in SERIES, f"{selector.metric} is not a series shared/metrics.py exposes: {expr}"
        labels = SERIES[selector.metric] | TARGET_LABELS
        assert selector.labels <= labels, f"{selector.metric} has no label {sorted(selector.labels - labels)}: {expr}"
        known |= labels
    assert reading.grouping_labels <= known, (
        f"grouped by labels no series has: {sorted(reading.grouping_labels - known)}: {expr}"
    )
    assert reading.selectors, f"selects nothing: {expr}"
    return known


def seconds(duration: str) -> int:
    match = DURATION.match(str(duration))
    assert match, f"{duration!r} is not a duration like 5m"
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    document = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    assert (document["apiVersion"], document["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    return [rule for group in document["spec"]["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads((MONITORING / "grafana-dashboard.json").read_text())


def panels(dashboard) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return [p for p in found if p["type"] != "row"]


# --- the reader itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        "sum(rate(convene_relay_published_total[5m])",
        "rate(convene_relay_published_total[5])",
        "convene_outbox_backlog{service=enrolment}",
        "frobnicate(convene_outbox_backlog)",
        "convene_outbox_backlog >",
        "max by (service) (convene_outbox_backlog))",
    ],
)
def test_the_reader_refuses_malformed_expressions(broken):
    with pytest.raises(PromQLError):
        read(broken)


def test_the_catalogue_holds_the_series_prometheus_client_exposes():
    assert {
        "convene_http_request_duration_seconds_bucket",
        "convene_http_request_duration_seconds_count",
        "convene_relay_published_total",
        "convene_consumer_lag",
    } <= set(SERIES)
    assert "convene_http_request_duration_seconds" not in SERIES, "a histogram is only its _bucket, _count and _sum"
    assert "convene_relay_published" not in SERIES, "a counter is exposed with _total"


@pytest.mark.parametrize(
    "wrong",
    [
        "convene_http_request_duration_seconds",
        'convene_consumer_lag{route="x"}',
        "sum by (region) (convene_outbox_backlog)",
    ],
)
def test_unknown_series_and_labels_are_caught(wrong):
    with pytest.raises(AssertionError):
        check_expression(wrong)


# --- alert rules ------------------------------------------------------------------------------


def test_alerts_have_unique_names_and_cover_what_operators_asked_for(rules):
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    used = set().union(*(read(rule["expr"]).metrics for rule in rules))
    asked = {
        "consumer lag": "convene_consumer_lag",
        "outbox age": "convene_outbox_oldest_age_seconds",
        "dead letters": "convene_events_dead_lettered_total",
        "error rate": "convene_http_request_duration_seconds_count",
        "latency": "convene_http_request_duration_seconds_bucket",
    }
    for subject, series in asked.items():
        assert series in used, f"no alert on {subject}"


def test_every_alert_expression_is_well_formed_and_names_real_series(rules):
    for rule in rules:
        known = check_expression(rule["expr"])
        for text in rule["annotations"].values():
            for label in re.findall(r"\$labels\.(\w+)", text):
                assert label in known, f"{rule['alert']} shows $labels.{label}, which its series do not carry"
            assert text.count("{{") == text.count("}}"), f"{rule['alert']}: unbalanced template"


def test_every_alert_waits_long_enough_and_has_a_severity(rules):
    for rule in rules:
        wait = seconds(rule["for"])
        assert 60 <= wait <= 3600, f"{rule['alert']}: for {rule['for']}"
        severity = rule["labels"]["severity"]
        assert severity in SEVERITIES, rule["alert"]
        if severity == "critical":
            assert wait >= 300, f"{rule['alert']} pages: it must outlast a blip"


def test_every_alert_says_what_happened_and_how_to_act(rules):
    for rule in rules:
        annotations = rule["annotations"]
        summary, description = annotations["summary"], annotations["description"]
        assert summary.strip() and "\n" not in summary.strip(), f"{rule['alert']}: a one-line summary"
        assert re.search(r"^\s*1\. ", description, re.M), f"{rule['alert']}: numbered steps"
        assert "kubectl" in description or "services.cli" in description, f"{rule['alert']}: a command to start from"
        assert len(description) >= 200, f"{rule['alert']}: what it means and what to do"


def test_the_panels_the_runbooks_name_exist(rules, dashboard):
    titles = {panel["title"] for panel in panels(dashboard)}
    for rule in rules:
        for title in re.findall(r'panels? "([^"]+)"(?: and "([^"]+)")?', rule["annotations"]["description"]):
            for name in filter(None, title):
                assert name in titles, f"{rule['alert']} points at panel {name!r}, which the dashboard lacks"


# --- dashboard -------------------------------------------------------------------------------


def test_every_dashboard_panel_queries_real_series(dashboard):
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert panel["targets"], f"{panel['title']} queries nothing"
        assert panel["datasource"]["uid"] == "${datasource}", "the data source is chosen, not hard-wired"
        for target in panel["targets"]:
            check_expression(target["expr"])


def test_the_dashboard_variables_query_real_series_and_labels(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    for variable in variables.values():
        if variable["type"] != "query":
            continue
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
        assert match, f"{variable['name']}: {query}"
        known = check_expression(match.group(1))
        assert match.group(2) in known, f"{variable['name']} lists a label the series lacks"
    used = {
        name
        for panel in panels(dashboard)
        for target in panel["targets"]
        for name in re.findall(r"\$(\w+)", target["expr"])
    }
    assert used - {"__rate_interval", "__range", "__interval"} <= set(variables), "every $variable is defined"


def test_the_monitoring_kustomization_ships_the_rules_and_the_dashboard():
    kustomization = yaml.safe_load((MONITORING / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["prometheus-rules.yaml"]
    (generator,) = kustomization["configMapGenerator"]
    assert generator["files"] == ["grafana-dashboard.json"]
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"
    shipped = set(kustomization["resources"]) | set(generator["files"])
    present = {path.name for path in MONITORING.iterdir() if path.name != "kustomization.yaml"}
    assert present == shipped, "every file here is shipped"
