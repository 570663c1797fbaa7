"""Kubernetes: who may do what, and who decides how many.

Each service's Kafka user grants exactly what its code does on Kafka (derived from the topic
declarations, the subscriptions and the consumer's group naming, so the ACLs cannot drift from
the code); pods carry no API token, talk only to what they need, spread over zones and nodes;
autoscalers, never a fixed `replicas`, set the counts; workers scale on their groups' lag and
expose /metrics and /healthz on WORKER_METRICS_PORT.
"""

from __future__ import annotations

import pytest

from services.registry import SERVICES, settings_class
from shared.config import Settings
from tests.unit.manifests import (
    kafka_access,
    load_manifests,
    of_kind,
    only_container,
    pod_labels,
    pod_spec,
    service_of_workload,
    workloads,
)

SERVICE_PORTS = {service: settings_class(service).default_port for service in SERVICES}
# The services whose APIs the console's pages read (subscriptions serves outside systems only).
CONSOLE_UPSTREAMS = ("enrolment", "scheduling", "feedback")

STRIMZI = "kafka.strimzi.io/v1beta2"


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return load_manifests()


@pytest.fixture(scope="module")
def configmap(manifests) -> dict[str, str]:
    return {key: str(value) for key, value in of_kind(manifests, "ConfigMap")["convene-settings"]["data"].items()}


@pytest.fixture(scope="module")
def prefix(configmap) -> str:
    return configmap["CONVENE_TOPIC_PREFIX"]


def selects(selector: dict, labels: dict) -> bool:
    """A Kubernetes label selector (matchLabels and In/NotIn/Exists expressions) against labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
    return True


def env_of(container: dict) -> dict[str, dict]:
    return {variable["name"]: variable for variable in container.get("env", [])}


# --- Kafka users ------------------------------------------------------------------------------


def granted(user: dict) -> dict[str, set[tuple[str, str]]]:
    """operation -> {(resource type, literal name)}; prefixed grants are checked apart."""
    grants: dict[str, set[tuple[str, str]]] = {}
    for rule in user["spec"]["authorization"]["acls"]:
        resource = rule["resource"]
        assert rule.get("type", "allow") == "allow", "deny rules would hide what is granted"
        assert resource["name"] != "*", "no wildcard grants"
        if resource.get("patternType", "literal") == "prefix":
            continue
        for operation in rule["operations"]:
            grants.setdefault(operation, set()).add((resource["type"], resource["name"]))
    return grants


def test_each_service_has_its_own_kafka_user_with_scram_and_simple_authorization(manifests):
    users = of_kind(manifests, "KafkaUser")
    assert set(users) == {f"convene-{s}" for s in SERVICES}
    for user in users.values():
        assert user["apiVersion"] == STRIMZI
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "convene-kafka"
        assert user["spec"]["authentication"]["type"] == "scram-sha-512", "configmap.yaml's KAFKA_SASL_MECHANISM"
        assert user["spec"]["authorization"]["type"] == "simple"


def test_each_kafka_user_may_do_exactly_what_its_service_s_code_does(manifests, prefix):
    users = of_kind(manifests, "KafkaUser")
    for service in SERVICES:
        access = kafka_access(service, prefix)
        grants = granted(users[f"convene-{service}"])
        assert set(grants) <= {"Read", "Write", "Describe"}, f"{service}: {sorted(grants)}"
        assert grants["Write"] == {("topic", t) for t in access.writes}, (
            f"{service} writes its own topics and the dead letters of what it reads"
        )
        read_topics = {name for kind, name in grants["Read"] if kind == "topic"}
        assert read_topics == access.reads, f"{service} reads only what it subscribes to, and its own dead letters"
        assert {name for kind, name in grants["Read"] if kind == "group"} == access.groups, (
            f"{service}'s consumer groups"
        )
        assert {kind for kind, _ in grants["Read"] | grants["Write"]} <= {"topic", "group"}


def test_kafka_users_see_only_convene_topic_names_beyond_their_own(manifests, prefix):
    """The worker lists every declared topic to see it exists, so Describe covers the prefix."""
    for user in of_kind(manifests, "KafkaUser").values():
        prefixed = [
            rule for rule in user["spec"]["authorization"]["acls"] if rule["resource"].get("patternType") == "prefix"
        ]
        assert [(r["resource"]["type"], r["resource"]["name"], r["operations"]) for r in prefixed] == [
            ("topic", prefix + "convene.", ["Describe"])
        ]


def test_no_service_writes_another_service_s_topic(manifests, prefix):
    owners = {}
    for service in SERVICES:
        for topic in kafka_access(service, prefix).writes:
            if not topic.endswith(".dlq"):
                assert owners.setdefault(topic, service) == service, f"{topic} written by {owners[topic]} and {service}"


# --- service accounts, spread, replicas -----------------------------------------------------


def test_every_pod_runs_as_its_service_s_account_without_an_api_token(manifests):
    accounts = of_kind(manifests, "ServiceAccount")
    assert set(accounts) == {f"convene-{s}" for s in (*SERVICES, "console")}
    assert all(account["automountServiceAccountToken"] is False for account in accounts.values())
    for name, workload in workloads(manifests).items():
        spec = pod_spec(workload)
        assert spec["serviceAccountName"] == f"convene-{service_of_workload(workload)}", name
        assert spec["automountServiceAccountToken"] is False, name


def test_web_and_worker_pods_spread_over_zones_and_nodes(manifests):
    for name, deployment in of_kind(manifests, "Deployment").items():
        constraints = pod_spec(deployment)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in constraints} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, (
            name
        )
        for constraint in constraints:
            assert constraint["maxSkew"] == 1
            assert constraint["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"], (
                f"{name} spreads its own pods"
            )


def scaled_targets(manifests) -> dict[str, dict]:
    """Deployment name -> the HPA or KEDA ScaledObject that sets its replica count."""
    targets = {}
    for scaler in [
        *of_kind(manifests, "HorizontalPodAutoscaler").values(),
        *of_kind(manifests, "ScaledObject").values(),
    ]:
        name = scaler["spec"]["scaleTargetRef"]["name"]
        assert name not in targets, f"{name} has two autoscalers"
        targets[name] = scaler
    return targets


def test_every_deployment_is_scaled_by_one_autoscaler_and_sets_no_replicas(manifests):
    deployments = of_kind(manifests, "Deployment")
    targets = scaled_targets(manifests)
    assert set(targets) == set(deployments)
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], f"{name}: a fixed count would undo the autoscaler on every apply"
        expected = "HorizontalPodAutoscaler" if name.endswith("-web") or name == "convene-console" else "ScaledObject"
        assert targets[name]["kind"] == expected, name


# --- workers: lag scaling, metrics, liveness -------------------------------------------------


def test_workers_scale_on_the_lag_of_exactly_the_groups_and_topics_they_consume(manifests, configmap, prefix):
    scaled = of_kind(manifests, "ScaledObject")
    authentications = of_kind(manifests, "TriggerAuthentication")
    deployments = of_kind(manifests, "Deployment")
    for service in SERVICES:
        scaler = scaled[f"convene-{service}-worker"]
        assert scaler["apiVersion"] == "keda.sh/v1alpha1"
        assert 1 <= scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"]
        assert scaler["spec"]["maxReplicaCount"] <= int(configmap["KAFKA_TOPIC_PARTITIONS"]), (
            "a consumer beyond the partitions sits idle"
        )
        triggers = scaler["spec"]["triggers"]
        assert {t["type"] for t in triggers} == {"kafka"}
        pairs = {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in triggers}
        assert pairs == kafka_access(service, prefix).subscriptions, service
        worker = only_container(deployments[f"convene-{service}-worker"])
        for trigger in triggers:
            assert trigger["metadata"]["bootstrapServers"] == configmap["KAFKA_BOOTSTRAP_SERVERS"]
            assert trigger["metadata"]["sasl"] == configmap["KAFKA_SASL_MECHANISM"].lower().replace("-", "_").replace(
                "sha_", "sha"
            )
            assert trigger["metadata"]["tls"] == "enable"
            assert int(trigger["metadata"]["lagThreshold"]) > 0
            authentication = authentications[trigger["authenticationRef"]["name"]]["spec"]
            secrets = {ref["parameter"]: (ref["name"], ref["key"]) for ref in authentication["secretTargetRef"]}
            assert secrets["password"] == (f"convene-{service}", "password"), "the worker's own Kafka user"
            assert secrets["ca"] == ("convene-kafka-cluster-ca-cert", "ca.crt")
            (username,) = [ref for ref in authentication["env"] if ref["parameter"] == "username"]
            assert username["containerName"] == worker["name"]
            assert username["name"] in env_of(worker)


def test_workers_serve_metrics_and_healthz_on_the_worker_metrics_port(manifests):
    assert "WORKER_METRICS_PORT" in {variable for variable, _, _ in Settings.documented()}
    for service in SERVICES:
        worker = only_container(of_kind(manifests, "Deployment")[f"convene-{service}-worker"])
        ports = {p["name"]: p["containerPort"] for p in worker["ports"]}
        assert ports == {"metrics": 9100}
        assert env_of(worker)["WORKER_METRICS_PORT"]["value"] == "9100"
        probe = worker["livenessProbe"]["httpGet"]
        assert probe["path"] == "/healthz" and probe["port"] in ("metrics", 9100)
        assert worker["livenessProbe"]["failureThreshold"] * worker["livenessProbe"]["periodSeconds"] >= 30, (
            "a slow batch is not a stall"
        )


def test_prometheus_scrapes_web_and_worker_pods_on_their_metrics_ports(manifests):
    monitors = of_kind(manifests, "PodMonitor")
    deployments = of_kind(manifests, "Deployment")
    for role, port_name in (("web", "http"), ("worker", "metrics")):
        monitor = monitors[f"convene-{role}"]
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert (endpoint["port"], endpoint["path"]) == (port_name, "/metrics")
        for service in SERVICES:
            deployment = deployments[f"convene-{service}-{role}"]
            assert selects(monitor["spec"]["selector"], pod_labels(deployment)), f"{role} monitor misses {service}"
            assert port_name in {p["name"] for p in only_container(deployment)["ports"]}
    assert not selects(monitors["convene-web"]["spec"]["selector"], pod_labels(deployments["convene-enrolment-worker"]))


# --- network policies --------------------------------------------------------------------------


def policies_for(manifests, labels: dict, kind: str) -> list[dict]:
    return [
        p["spec"]
        for p in of_kind(manifests, "NetworkPolicy").values()
        if kind in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], labels)
    ]


def allowed_ports(policies: list[dict], direction: str) -> set:
    return {
        (port.get("protocol", "TCP"), port["port"])
        for policy in policies
        for rule in policy.get(direction, [])
        for port in rule.get("ports", [])
    }


def test_every_convene_pod_is_denied_by_default_and_reaches_dns_and_postgresql(manifests):
    for name, workload in workloads(manifests).items():
        labels = pod_labels(workload)
        for kind in ("Ingress", "Egress"):
            assert policies_for(manifests, labels, kind), f"{name}: no {kind} policy, so all {kind.lower()} is open"
        egress = allowed_ports(policies_for(manifests, labels, "Egress"), "egress")
        assert {("UDP", 53), ("TCP", 53), ("TCP", 5432)} <= egress, name


def test_only_web_and_worker_pods_reach_kafka_on_the_bootstrap_port(manifests, configmap):
    kafka_port = int(configmap["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])
    for name, workload in workloads(manifests).items():
        egress = allowed_ports(policies_for(manifests, pod_labels(workload), "Egress"), "egress")
        role = pod_labels(workload)["app.kubernetes.io/component"]
        assert (("TCP", kafka_port) in egress) == (role in ("web", "worker")), name


def test_web_pods_accept_their_http_port_and_workers_only_metrics_scrapes(manifests):
    for name, workload in workloads(manifests).items():
        role = pod_labels(workload)["app.kubernetes.io/component"]
        ingress = policies_for(manifests, pod_labels(workload), "Ingress")
        ports = {port for _, port in allowed_ports(ingress, "ingress")}
        named = {p["name"] for p in only_container(workload).get("ports", [])}
        expected = {"web": {"http"}, "frontend": {"http"}, "worker": {"metrics"}, "migrate": set()}[role]
        assert ports == expected and expected <= named, f"{name}: ingress on {sorted(map(str, ports))}"
        if role == "worker":
            sources = [
                source for policy in ingress for rule in policy.get("ingress", []) for source in rule.get("from", [])
            ]
            assert sources and all("namespaceSelector" in source for source in sources), (
                "scrapes only, from the monitoring namespace"
            )
    assert all(SERVICE_PORTS[s] for s in SERVICES)


def test_the_console_reaches_the_issuer_and_the_services_web_pods_alone(manifests):
    """No Kafka, no Redis: HTTPS out (the issuer), and the services' web pods on their ports."""
    deployments = of_kind(manifests, "Deployment")
    console = pod_labels(deployments["convene-console"])
    egress = policies_for(manifests, console, "Egress")
    ports = {port for _, port in allowed_ports(egress, "egress")}
    assert ports == {53, 5432, 443} | {SERVICE_PORTS[s] for s in CONSOLE_UPSTREAMS}, sorted(map(str, ports))
    to_services = [
        rule for policy in egress for rule in policy.get("egress", []) if {p["port"] for p in rule["ports"]} & {8001}
    ]
    for rule in to_services:
        for source in rule["to"]:
            for service in CONSOLE_UPSTREAMS:
                assert selects(source["podSelector"], pod_labels(deployments[f"convene-{service}-web"]))
            assert not selects(source["podSelector"], pod_labels(deployments["convene-enrolment-worker"]))


def test_the_enrolment_worker_sends_e_mails_through_notify_over_https_and_nothing_else_does(manifests):
    """Production's channel is GOV.UK Notify: its key from a Secret of its own, a template for every
    kind of e-mail, and HTTPS out to public addresses for the enrolment worker alone of the workers."""
    from services.enrolment.domain.notifications import Kind

    deployments = of_kind(manifests, "Deployment")
    worker = deployments["convene-enrolment-worker"]
    env = {e["name"]: e for e in only_container(worker)["env"]}
    assert env["NOTIFICATION_CHANNEL"]["value"] == "notify"
    assert env["NOTIFY_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "convene-enrolment-notify"
    templates = dict(pair.split("=", 1) for pair in env["NOTIFY_TEMPLATE_IDS"]["value"].split(","))
    assert set(templates) == {kind.value for kind in Kind}
    for service in SERVICES:
        for role in ("web", "worker"):
            if f"convene-{service}-{role}" != "convene-enrolment-worker":
                names = {e["name"] for e in only_container(deployments[f"convene-{service}-{role}"]).get("env", [])}
                assert "NOTIFY_API_KEY" not in names, f"{service}-{role} has no business with Notify's key"
    egress = policies_for(manifests, pod_labels(worker), "Egress")
    assert ("TCP", 443) in allowed_ports(egress, "egress")
    to_https = [
        rule
        for policy in egress
        for rule in policy.get("egress", [])
        if {p["port"] for p in rule.get("ports", [])} == {443}
    ]
    assert to_https and all(
        "10.0.0.0/8" in source["ipBlock"]["except"] for rule in to_https for source in rule["to"]
    ), "public addresses only"
    other_workers = [f"convene-{s}-worker" for s in SERVICES if s not in ("enrolment", "subscriptions")]
    for name in other_workers:
        assert ("TCP", 443) not in allowed_ports(
            policies_for(manifests, pod_labels(deployments[name]), "Egress"), "egress"
        )
