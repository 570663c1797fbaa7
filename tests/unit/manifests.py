"""Reading the deployment files, and what the code says they must grant (for the deploy tests).

Kubernetes manifests are parsed as plain YAML; the Kafka access each service needs is derived
from the code (topic declarations, subscriptions, consumer group naming), so the manifests are
compared with the code rather than with a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import yaml
from sqlalchemy import MetaData

from shared.config import Settings
from shared.consumer import Consumer
from shared.contracts.registry import topics
from shared.tables import SharedTables

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
MONITORING = ROOT / "deploy" / "monitoring"


def load_manifests(folder: Path = K8S) -> list[dict]:
    documents = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                assert {"apiVersion", "kind", "metadata"} <= set(document), f"{path.name}: incomplete object"
                document["_file"] = path.name
                documents.append(document)
    return documents


def of_kind(manifests, kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def only_container(workload: dict) -> dict:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1
    return containers[0]


def workloads(manifests) -> dict[str, dict]:
    """Everything that runs pods: the Deployments and the migration Jobs."""
    return {**of_kind(manifests, "Deployment"), **of_kind(manifests, "Job")}


def pod_labels(workload: dict) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def service_of_workload(workload: dict) -> str:
    return pod_labels(workload)["app.kubernetes.io/name"]


@dataclass(frozen=True)
class KafkaAccess:
    """What one service does on Kafka, by the code: full topic names and group ids."""

    writes: frozenset[str]  # its own topics (outbox relay) and the dead letters of what it reads
    reads: frozenset[str]  # what its subscriptions consume, and the dead letters of its own topics
    groups: frozenset[str]
    subscriptions: frozenset[tuple[str, str]]  # (group id, topic) of every consumer


def subscriptions_of(service: str):
    from services.registry import declaration

    return declaration(service).subscriptions


def group_id(service: str, prefix: str, subscription) -> str:
    """The consumer group the real Consumer joins (its constructor names it)."""
    settings = type("S", (Settings,), {"service": service}).load({"CONVENE_TOPIC_PREFIX": prefix})
    fake_db = SimpleNamespace(tables=SharedTables(MetaData()))  # a Consumer's tables, never touched here
    return Consumer(settings, fake_db, subscription).group_id


def kafka_access(service: str, prefix: str) -> KafkaAccess:
    declared = topics().values()
    own = {t.address(prefix) for t in declared if t.owner == service}
    own_dead_letters = {t.dead_letter_address(prefix) for t in declared if t.owner == service}
    by_address = {t.address(prefix): t for t in declared}
    pairs = {(group_id(service, prefix, s), topic) for s in subscriptions_of(service) for topic in s.topics(prefix)}
    consumed = {topic for _, topic in pairs}
    return KafkaAccess(
        writes=frozenset(own | {by_address[t].dead_letter_address(prefix) for t in consumed}),
        reads=frozenset(consumed | own_dead_letters),
        groups=frozenset(group for group, _ in pairs),
        subscriptions=frozenset(pairs),
    )
