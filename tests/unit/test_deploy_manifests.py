"""The deployment files agree with the code.

Dockerfile, docker-compose.yml and deploy/k8s/ are parsed (no Docker engine, no cluster) and
checked against what the services really read and run: their settings, their commands, their
ports and the topics shared/contracts declares. The console (services/console) runs beside the
services everywhere; the development identity provider only in docker-compose.yml's dev profile.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from services.console.settings import ConsoleSettings
from services.registry import SERVICES, settings_class
from shared.config import PersonalDataSettings, Settings
from shared.contracts.registry import topics
from tests.unit.manifests import (
    K8S,
    ROOT,
    load_manifests,
    of_kind,
    only_container,
    pod_spec,
    service_of_workload,
    workloads,
)

SERVICE_PORTS = {service: settings_class(service).default_port for service in SERVICES}
# The services whose APIs the console's pages read (subscriptions serves outside systems only).
CONSOLE_UPSTREAMS = ("enrolment", "scheduling", "feedback")

WEB_COMMAND = "gunicorn -c deploy/gunicorn.conf.py services.{}.app:create_app()"
WORKER_COMMAND = "python -m services.{}.worker"
MIGRATE_COMMAND = "python -m services.cli migrate {}"
# What the image itself sets for Python and pip, not Convene settings.
INTERPRETER_ENV = re.compile(r"^(PATH|PYTHON[A-Z_]*|PIP_[A-Z_]+)$")


# --- what the code reads -------------------------------------------------------------------


def process_variables() -> set[str]:
    """Variables read outside the Settings objects: gunicorn's config and the metrics module."""
    names = set()
    for path in (ROOT / "deploy" / "gunicorn.conf.py", ROOT / "shared" / "metrics.py"):
        names |= set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""", path.read_text()))
    return names


CONSOLE_WEB_COMMAND = "gunicorn -c deploy/gunicorn.conf.py services.console.app:create_app()"
PROVIDER_COMMAND = "gunicorn -c deploy/gunicorn.conf.py services.console.identity_provider:app_from_environment()"


def known_variables(service: str | None) -> set[str]:
    if service == "console":
        settings = ConsoleSettings
    elif service == "identity-provider":  # the services' common settings (its key, audience), and the claim mapping
        return {variable for variable, _, _ in Settings.documented()} | process_variables() | {"CLAIM_MAPPING"}
    else:
        # The operator tool (keys, demo) reads the settings of processes that hold personal data.
        settings = settings_class(service) if service else PersonalDataSettings
    return {variable for variable, _, _ in settings.documented()} | process_variables()


def every_known_variable() -> set[str]:
    return set().union(*(known_variables(s) for s in (*SERVICES, "console")))


def test_the_process_variables_are_found_in_the_code():
    assert {"PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_TIMEOUT"} <= process_variables()
    assert "DATABASE_URL" in known_variables("enrolment")
    assert "COMPLETION_THRESHOLD" in known_variables("enrolment")
    assert "COMPLETION_THRESHOLD" not in known_variables("scheduling")


def image_tag(image: str) -> str | None:
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def command_words(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def assert_cli_accepts(words: list[str]) -> None:
    """`python -m services.cli ...` words are a command services/cli.py really has."""
    from services.cli import parser

    assert words[:3] == ["python", "-m", "services.cli"], words
    try:
        parser().parse_args(words[3:])
    except SystemExit as error:
        pytest.fail(f"services.cli rejects {' '.join(words[3:])!r} (exit {error.code})")


# --- Dockerfile --------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_dockerfile_is_multi_stage_on_a_pinned_slim_python_311():
    instructions = dockerfile_instructions()
    build_args = dict(
        re.match(r"(\w+)=(\S+)", value).groups() for op, value in instructions if op == "ARG" and "=" in value
    )
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: build_args[m.group(1)], value.split()[0])
        for op, value in instructions
        if op == "FROM"
    ]
    assert len(bases) >= 2, "a builder stage and a final stage"
    python = [base for base in bases if not base.startswith("node:")]
    assert len(python) >= 2 and bases[-1] == python[-1], "the final stage is Python"
    for base in python:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), f"{base} is not a pinned python:3.11.x-slim image"
    for base in set(bases) - set(python):
        assert re.fullmatch(r"node:\d+\.\d+\.\d+-\w+-slim", base), f"{base} is not a pinned node:x.y.z slim image"
    assert any("venv" in value and "requirements.txt" in value for op, value in instructions if op == "RUN")
    assert any(op == "COPY" and "--from=" in value and "/opt/venv" in value for op, value in instructions)


def test_the_image_builds_the_console_s_assets_from_the_lock_file_and_carries_them():
    """As `make up` does: `npm ci` (package-lock.json), then services/console/build_assets.py; the
    final image holds the built static folder and no node_modules (nothing comes from a CDN)."""
    instructions = dockerfile_instructions()
    stages, current = {}, None
    for op, value in instructions:
        if op == "FROM":
            current = value.split()[-1] if " AS " in value.upper() else "final"
            stages[current] = []
        elif current:
            stages[current].append((op, value))
    node = next(name for name, steps in stages.items() if any("npm ci" in v for op, v in steps if op == "RUN"))
    assert ("COPY", "package.json package-lock.json ./") in stages[node]
    builds = [
        name
        for name, steps in stages.items()
        for op, v in steps
        if op == "RUN" and "services.console.build_assets" in v
    ]
    assert builds and any(f"--from={node}" in v and "node_modules" in v for op, v in stages[builds[0]] if op == "COPY")
    final = stages["final"]
    assert any(
        f"--from={builds[0]}" in v and v.split()[-1] == "./services/console/static" for op, v in final if op == "COPY"
    )
    assert not any("node_modules" in v for op, v in final), "node_modules stays in the build stages"
    assert "8000" in next(v for op, v in final if op == "EXPOSE").split()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "services/console/static" in ignored, "a checkout's own static folder never reaches the image"


def test_the_image_runs_as_a_non_root_user_through_the_entrypoint():
    instructions = dockerfile_instructions()
    users = [value for op, value in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    entrypoint = [value for op, value in instructions if op == "ENTRYPOINT"]
    assert entrypoint == ['["/app/deploy/docker/entrypoint.sh"]']
    script = ROOT / "deploy" / "docker" / "entrypoint.sh"
    assert os.access(script, os.X_OK), "entrypoint.sh must be executable"
    assert 'exec "$@"' in script.read_text()


def test_the_dockerfile_sets_only_settings_the_code_reads():
    instructions = dockerfile_instructions()
    names = set()
    for op, value in instructions:
        if op == "ENV":
            names |= {pair.split("=", 1)[0] for pair in shlex.split(value)}
    unknown = {n for n in names if not INTERPRETER_ENV.match(n)} - every_known_variable()
    assert not unknown, f"the Dockerfile sets variables nothing reads: {sorted(unknown)}"


def test_the_build_context_is_an_allow_list_of_what_the_dockerfile_copies():
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "everything is ignored first, so .run/ (signing keys) and .venv/ never reach the build"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert not any(path.startswith((".run", ".venv", ".git", "tests")) for path in allowed)
    for op, value in dockerfile_instructions():
        if op == "COPY" and "--from=" not in value:
            sources = [word for word in value.split() if not word.startswith("--")][:-1]
            for source in sources:
                assert source.rstrip("/") in allowed, f"COPY {source} is not in .dockerignore's allow-list"
                assert (ROOT / source).exists(), f"COPY {source}: no such file in the repo"


# --- docker-compose.yml ------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def convene_containers(compose) -> dict[str, dict]:
    return {name: spec for name, spec in compose["services"].items() if "build" in spec}


def service_of(container: str) -> str | None:
    """The Convene service a compose container belongs to (None: keys, and the demo, which
    loads every service's data; the console and the identity provider by their own names)."""
    if container in ("console", "identity-provider"):
        return container
    prefix = container.split("-", 1)[0]
    return prefix if prefix in SERVICES else None


def environment(spec: dict) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def test_compose_runs_migrate_worker_and_web_for_every_service(compose):
    services = compose["services"]
    for service in SERVICES:
        assert command_words(services[f"{service}-migrate"]["command"]) == MIGRATE_COMMAND.format(service).split()
        assert command_words(services[f"{service}-worker"]["command"]) == WORKER_COMMAND.format(service).split()
        assert command_words(services[f"{service}-web"]["command"]) == WEB_COMMAND.format(service).split()
        assert (ROOT / "services" / service / "worker.py").exists()
        assert_cli_accepts(MIGRATE_COMMAND.format(service).split())


def test_compose_has_kafka_postgres_and_the_key_and_demo_one_shots(compose):
    services = compose["services"]
    assert {"kafka", "postgres", "keys", "demo"} <= set(services)
    assert command_words(services["keys"]["command"]) == ["python", "-m", "services.cli", "keys"]
    assert_cli_accepts(command_words(services["keys"]["command"]))
    assert command_words(services["demo"]["command"]) == ["python", "-m", "services.cli", "demo"]
    for one_shot in ["keys", "demo", *(f"{s}-migrate" for s in SERVICES)]:
        assert services[one_shot].get("restart") == "no", f"{one_shot} runs once"


def test_the_demo_command_exists_in_the_cli():
    from services.cli import parser

    assert parser().parse_args(["demo"]).command == "demo", (
        "docker-compose.yml's demo container runs `services.cli demo`"
    )


def test_every_compose_image_has_a_pinned_tag(compose):
    for name, spec in compose["services"].items():
        image = spec.get("image")
        assert image, f"{name} names no image"
        tag = image_tag(image)
        assert tag and tag != "latest", f"{name}: {image} is not pinned"
        if "build" not in spec:
            assert re.match(r"\d+\.\d+", tag), f"{name}: {image} needs a version tag down to the minor release"
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:3.")
    assert compose["services"]["postgres"]["image"].startswith("postgres:15.")
    assert len({spec["image"] for spec in convene_containers(compose).values()}) == 1, (
        "one image for every Convene container"
    )


def test_kafka_runs_as_a_single_kraft_node_without_auto_created_topics(compose):
    env = environment(compose["services"]["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in name for name in env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"


def test_only_the_web_containers_publish_their_service_port(compose):
    published = {}
    for name, spec in convene_containers(compose).items():
        for mapping in spec.get("ports", []):
            published.setdefault(name, []).append(str(mapping))
    assert published == {
        **{f"{s}-web": [f"{SERVICE_PORTS[s]}:{SERVICE_PORTS[s]}"] for s in SERVICES},
        # The console's port, and the development identity provider's in the console's namespace.
        "console": ["8000:8000", "127.0.0.1:9400:9400"],
        "mailbox": ["127.0.0.1:8025:8025"],  # the development mailbox's inbox page, on loopback
    }


def test_compose_health_checks_use_each_component_s_own_tooling(compose):
    services = compose["services"]
    for service in SERVICES:
        check = services[f"{service}-web"]["healthcheck"]
        words = command_words(check["test"])
        assert words[:2] == ["CMD", "python"], "the image has no curl: python checks /readyz"
        assert f"http://127.0.0.1:{SERVICE_PORTS[service]}/readyz" in " ".join(words)
        assert {"interval", "timeout", "retries"} <= set(check)
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in " ".join(
        command_words(services["kafka"]["healthcheck"]["test"])
    )
    assert "pg_isready" in " ".join(command_words(services["postgres"]["healthcheck"]["test"]))


def test_compose_starts_everything_in_order(compose):
    services = compose["services"]

    def conditions(name):
        return {dependency: rule["condition"] for dependency, rule in services[name].get("depends_on", {}).items()}

    for service in SERVICES:
        # Enrolment and feedback read the development key-encryption key the key maker writes.
        keyed = {"keys": "service_completed_successfully"} if service in SEALING_SERVICES else {}
        assert conditions(f"{service}-migrate") == {"postgres": "service_healthy", **keyed}
        assert conditions(f"{service}-worker") == {
            f"{service}-migrate": "service_completed_successfully",
            "kafka": "service_healthy",
        }
        assert conditions(f"{service}-web") == {
            f"{service}-migrate": "service_completed_successfully",
            "kafka": "service_healthy",
            "keys": "service_completed_successfully",
            "redis": "service_healthy",  # the shared request counts
        }
    assert conditions("demo") == {f"{s}-{role}": "service_healthy" for s in SERVICES for role in ("web", "worker")}, (
        "the demo needs every service serving and consuming"
    )
    assert conditions("keys") == {}
    for name in services:
        for dependency, condition in conditions(name).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], (
                    f"{name} waits for {dependency} to be healthy but it has no check"
                )
            if condition == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", f"{dependency} must be a one-shot"


def test_compose_sets_only_variables_the_code_reads(compose):
    for name, spec in convene_containers(compose).items():
        service = service_of(name)
        variables = set(environment(spec))
        if name == "demo":
            # <SERVICE>__NAME is NAME for that service's settings (services/demo.py).
            scoped = {v for v in variables if "__" in v}
            for variable in scoped:
                scope, setting = variable.split("__", 1)
                assert scope.lower() in SERVICES and setting in known_variables(scope.lower()), (
                    f"demo sets {variable}, which nothing reads"
                )
            variables -= scoped
        unknown = variables - known_variables(service)
        assert not unknown, f"{name} sets variables its code does not read: {sorted(unknown)}"


def test_the_compose_demo_loads_every_service_into_its_own_database(compose):
    """As `make up`: all three demos, each through its own service's settings."""
    from services.demo import service_environ

    env = environment(compose["services"]["demo"])
    urls = {}
    for service in SERVICES:
        settings = settings_class(service).load(service_environ(service, env))
        url = make_url(settings.database_url)
        assert (url.drivername, url.host, url.database, url.username) == (
            "postgresql+psycopg",
            "postgres",
            service,
            service,
        ), service
        urls[service] = settings.database_url
    assert len(set(urls.values())) == len(SERVICES), "a shared database would make the demo load enrolment's data alone"


def test_compose_settings_load_and_point_at_the_stack(compose):
    services = compose["services"]
    kafka_listeners = environment(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
    postgres = environment(services["postgres"])
    for service in SERVICES:
        for role in ("migrate", "worker", "web"):
            env = environment(services[f"{service}-{role}"])
            settings = settings_class(service).load(env)
            url = make_url(settings.database_url)
            assert (url.drivername, url.host, url.database, url.username) == (
                "postgresql+psycopg",
                "postgres",
                service,
                service,
            )
            assert url.password == postgres["CONVENE_DATABASE_PASSWORD"]
            if role != "migrate":
                assert f"//{env['KAFKA_BOOTSTRAP_SERVERS']}" in kafka_listeners, (
                    "bootstrap is Kafka's in-network listener"
                )
                assert env["CONVENE_TOPIC_PREFIX"]
                assert settings.topic_replication == 1, "one broker: topics cannot have more replicas"
        web = environment(services[f"{service}-web"])
        assert web["PORT"] == str(SERVICE_PORTS[service])
        assert web["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/"), "a writable tmpfs on a read-only container"
        assert int(web["WEB_CONCURRENCY"]) >= 1
    assert set(postgres["CONVENE_DATABASES"].split()) == set(SERVICES)


def test_every_process_that_writes_events_uses_one_topic_prefix(compose):
    """The outbox stores prefixed topic names, so the demo loader must match the services."""
    prefixes = {
        name: environment(spec).get("CONVENE_TOPIC_PREFIX")
        for name, spec in convene_containers(compose).items()
        if not name.endswith("-migrate")
        and name not in ("keys", "console", "identity-provider", "mailbox")  # no events
    }
    assert None not in prefixes.values(), prefixes
    assert len(set(prefixes.values())) == 1, prefixes


def test_postgres_runs_the_init_script_that_creates_one_database_per_service(compose):
    mounts = [str(volume) for volume in compose["services"]["postgres"]["volumes"]]
    script_mounts = [m for m in mounts if "/docker-entrypoint-initdb.d/" in m]
    assert script_mounts, "the init script is mounted where the postgres image runs it"
    source = script_mounts[0].split(":")[0]
    script = (ROOT / source).resolve()
    assert script.is_relative_to(ROOT / "deploy" / "docker") and script.exists()
    text = script.read_text()
    assert "CREATE DATABASE" in text and "CONVENE_DATABASES" in text


def volume_mounts(spec: dict) -> dict[str, str]:
    """target folder -> source of a container's volumes."""
    mounts = {}
    for volume in spec.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        mounts[target] = source
    return mounts


def test_the_web_containers_verify_tokens_with_the_key_the_key_maker_writes(compose):
    services = compose["services"]
    keys = environment(services["keys"])
    key_folder = str(Path(keys["JWT_PUBLIC_KEY_FILE"]).parent)
    assert str(Path(keys["JWT_PRIVATE_KEY_FILE"]).parent) == key_folder
    key_volume = volume_mounts(services["keys"])[key_folder]
    assert key_volume in compose["volumes"], "a named volume, shared between containers"
    for service in SERVICES:
        web = services[f"{service}-web"]
        assert environment(web)["JWT_PUBLIC_KEY_FILE"] == keys["JWT_PUBLIC_KEY_FILE"]
        assert volume_mounts(web)[key_folder] == key_volume
        assert "JWT_PRIVATE_KEY_FILE" not in environment(web), "the signing key stays out of the services"


SEALING_SERVICES = ("enrolment", "scheduling", "feedback")  # they seal personal data (PERSONAL_DATA_KEY)


def test_the_services_that_seal_personal_data_read_the_key_the_key_maker_writes(compose):
    services = compose["services"]
    key_file = environment(services["keys"])["PERSONAL_DATA_KEY_FILE"]
    key_volume = volume_mounts(services["keys"])[str(Path(key_file).parent)]
    for name, spec in convene_containers(compose).items():
        if service_of(name) in SEALING_SERVICES or name == "demo":
            assert environment(spec).get("PERSONAL_DATA_KEY_FILE") == key_file, name
            assert volume_mounts(spec)[str(Path(key_file).parent)] == key_volume, name
        elif name != "keys":
            assert "PERSONAL_DATA_KEY_FILE" not in environment(spec), name


def test_feedback_processes_share_their_data_folder(compose):
    from services.demo import service_environ

    services = compose["services"]
    folders = set()
    for name in ("feedback-web", "feedback-worker", "demo"):
        spec = services[name]
        env = service_environ("feedback", environment(spec))
        if env.get("FEEDBACK_MARKER_PEPPER"):
            continue
        data_dir = env["CONVENE_DATA_DIR"]
        folders.add((data_dir, volume_mounts(spec)[data_dir]))
    assert len(folders) <= 1, (
        "without a configured pepper, feedback's web, worker and demo loader must see the same development pepper"
    )


def test_enrolment_s_worker_sends_e_mails_to_the_compose_mailbox(compose):
    services = compose["services"]
    mailbox = services["mailbox"]
    words = command_words(mailbox["command"])
    assert words[:2] == ["python", "deploy/local/mailbox.py"]
    assert (ROOT / words[1]).exists()
    assert volume_mounts(mailbox)[f"/app/{words[1]}"] == f"./{words[1]}", "the image does not carry deploy/local"
    smtp_port = words[words.index("--smtp-port") + 1]
    settings = settings_class("enrolment").load(environment(services["enrolment-worker"]))
    assert (settings.notification_channel, settings.smtp_host, str(settings.smtp_port)) == (
        "smtp",
        "mailbox",
        smtp_port,
    )


def test_compose_workers_serve_healthz_on_the_worker_metrics_port_and_are_checked_on_it(compose):
    for service in SERVICES:
        worker = compose["services"][f"{service}-worker"]
        port = environment(worker)["WORKER_METRICS_PORT"]
        assert port == "9100", "the port the Kubernetes manifests use too"
        words = command_words(worker["healthcheck"]["test"])
        assert words[:2] == ["CMD", "python"], "the image has no curl"
        assert f"http://127.0.0.1:{port}/healthz" in " ".join(words)
        assert not worker.get("ports"), "metrics stay inside the compose network"


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return load_manifests()


@pytest.fixture(scope="module")
def configmap(manifests) -> dict[str, str]:
    maps = of_kind(manifests, "ConfigMap")
    assert list(maps) == ["convene-settings"]
    return {key: str(value) for key, value in maps["convene-settings"]["data"].items()}


@pytest.fixture(scope="module")
def secrets(manifests) -> dict[str, dict[str, str]]:
    """The Secrets the manifests declare, and those Strimzi's User Operator writes for each
    KafkaUser (named after the user, the SCRAM password under `password`)."""
    declared = {
        name: {k: str(v) for k, v in secret["stringData"].items()}
        for name, secret in of_kind(manifests, "Secret").items()
    }
    generated = {name: {"password": "REPLACE_ME (generated by Strimzi)"} for name in of_kind(manifests, "KafkaUser")}
    return {**declared, **generated}


def test_the_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    listed_files = [r for r in kustomization["resources"] if r.endswith(".yaml")]
    assert sorted(listed_files) == sorted(files)
    for folder in set(kustomization["resources"]) - set(listed_files):
        assert (K8S / folder / "kustomization.yaml").exists(), (
            f"{folder} is neither a manifest here nor a kustomization"
        )
    assert kustomization["namespace"]


def test_each_service_has_a_web_and_a_worker_deployment_running_its_processes(manifests):
    deployments = of_kind(manifests, "Deployment")
    assert set(deployments) == {f"convene-{s}-{role}" for s in SERVICES for role in ("web", "worker")} | {
        "convene-console"
    }
    for service in SERVICES:
        web, worker = deployments[f"convene-{service}-web"], deployments[f"convene-{service}-worker"]
        for deployment, command in ((web, WEB_COMMAND), (worker, WORKER_COMMAND)):
            container = only_container(deployment)
            assert "command" not in container, "args only: the image's entry point must run"
            assert container["args"] == command.format(service).split()
            selector = deployment["spec"]["selector"]["matchLabels"]
            assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        web_labels = web["spec"]["template"]["metadata"]["labels"]
        worker_selector = worker["spec"]["selector"]["matchLabels"]
        assert not worker_selector.items() <= web_labels.items(), "web and worker pods are selected apart"


def test_every_kubernetes_image_is_pinned(manifests):
    for deployment in workloads(manifests).values():
        spec = pod_spec(deployment)
        for container in spec["containers"] + spec.get("initContainers", []):
            tag = image_tag(container["image"])
            assert tag and tag != "latest", f"{deployment['metadata']['name']}: {container['image']} is not pinned"


def resolve_port(container: dict, port) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p.get("name") == port)


def test_web_pods_probe_readyz_and_healthz_on_the_service_port(manifests):
    deployments = of_kind(manifests, "Deployment")
    for service in SERVICES:
        container = only_container(deployments[f"convene-{service}-web"])
        port = SERVICE_PORTS[service]
        assert [p["containerPort"] for p in container["ports"]] == [port]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["PORT"] == str(port), "gunicorn binds PORT"
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            check = container[probe]["httpGet"]
            assert check["path"] == path, f"{service} {probe}"
            assert resolve_port(container, check["port"]) == port, f"{service} {probe} port"


def test_every_container_has_resource_requests_and_a_memory_limit(manifests):
    for deployment in workloads(manifests).values():
        spec = pod_spec(deployment)
        for container in spec["containers"] + spec.get("initContainers", []):
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), (
                f"{deployment['metadata']['name']}/{container['name']}"
            )
            assert "memory" in resources.get("limits", {}), f"{deployment['metadata']['name']}/{container['name']}"


def test_pods_run_as_non_root_on_a_read_only_filesystem(manifests):
    for deployment in workloads(manifests).values():
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert "/tmp" in {m["mountPath"] for m in container.get("volumeMounts", [])}, "a writable /tmp"


def test_each_service_migrates_in_one_job_not_in_every_pod(manifests):
    jobs = of_kind(manifests, "Job")
    assert set(jobs) == {f"convene-{s}-migrate" for s in SERVICES}
    for service in SERVICES:
        job = jobs[f"convene-{service}-migrate"]
        assert job["apiVersion"] == "batch/v1"
        assert only_container(job)["args"] == MIGRATE_COMMAND.format(service).split()
        assert_cli_accepts(only_container(job)["args"])
        assert pod_spec(job)["restartPolicy"] == "Never", "a failed run is retried by the Job, within its backoffLimit"
        assert job["spec"]["backoffLimit"] <= 3
        assert job["spec"].get("ttlSecondsAfterFinished"), "gone after it ends, so the next release creates it afresh"
        assert service_of_workload(job) == service
    for name, deployment in of_kind(manifests, "Deployment").items():
        assert not pod_spec(deployment).get("initContainers"), f"{name}: a pod must not migrate on start"


def test_each_web_deployment_has_a_service_and_an_autoscaler(manifests):
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    autoscalers = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in of_kind(manifests, "HorizontalPodAutoscaler").values()
    }
    assert set(autoscalers) == {f"convene-{s}-web" for s in SERVICES} | {"convene-console"}
    for service in SERVICES:
        web = deployments[f"convene-{service}-web"]
        front = services[f"convene-{service}"]
        selector = front["spec"]["selector"]
        assert selector.items() <= web["spec"]["template"]["metadata"]["labels"].items()
        worker_labels = deployments[f"convene-{service}-worker"]["spec"]["template"]["metadata"]["labels"]
        assert not selector.items() <= worker_labels.items(), "the Service must not route to workers"
        (port,) = front["spec"]["ports"]
        assert resolve_port(only_container(web), port["targetPort"]) == SERVICE_PORTS[service]
        hpa = autoscalers[f"convene-{service}-web"]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert any(m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"] if m["type"] == "Resource")


def container_variables(container: dict) -> set[str]:
    return {e["name"] for e in container.get("env", [])}


def test_kubernetes_sets_only_variables_the_code_reads(manifests, configmap, secrets):
    common = set.intersection(*(known_variables(s) for s in SERVICES))
    unknown = set(configmap) - common
    assert not unknown, f"the ConfigMap holds variables not every service reads: {sorted(unknown)}"
    for name, secret in of_kind(manifests, "Secret").items():
        unknown = set(secret["stringData"]) - every_known_variable()
        assert not unknown, f"Secret {name} holds variables nothing reads: {sorted(unknown)}"
    for deployment in workloads(manifests).values():
        service = service_of_workload(deployment)
        spec = pod_spec(deployment)
        for container in spec["containers"] + spec.get("initContainers", []):
            unknown = container_variables(container) - known_variables(service)
            assert not unknown, f"{deployment['metadata']['name']}/{container['name']}: {sorted(unknown)}"


def test_kubernetes_references_only_objects_it_declares(manifests, configmap, secrets):
    kafka_users = of_kind(manifests, "KafkaUser")
    for deployment in workloads(manifests).values():
        spec = pod_spec(deployment)
        for container in spec["containers"] + spec.get("initContainers", []):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] == "convene-settings"
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {})
                if "secretKeyRef" in reference:
                    secret = reference["secretKeyRef"]
                    assert secret["key"] in secrets.get(secret["name"], {}), (
                        f"{variable['name']}: no {secret['name']}/{secret['key']}"
                    )
                    if secret["name"] in kafka_users:
                        assert variable["name"] == "KAFKA_SASL_PASSWORD", "a KafkaUser's Secret holds its password"
                    else:
                        assert secret["key"] == variable["name"]
                if "configMapKeyRef" in reference:
                    assert reference["configMapKeyRef"]["key"] in configmap


def test_secrets_are_obvious_placeholders_and_stay_out_of_the_configmap(configmap, secrets):
    assert {"DATABASE_URL", "KAFKA_SASL_PASSWORD", "FEEDBACK_MARKER_PEPPER", "KAFKA_SASL_USERNAME"} & set(
        configmap
    ) == set()
    assert {f"convene-{s}-database" for s in SERVICES} <= set(secrets)
    for name, values in secrets.items():
        for key, value in values.items():
            assert "REPLACE_ME" in value, f"{name}/{key} must be an obvious placeholder"
    for service in SERVICES:
        url = make_url(secrets[f"convene-{service}-database"]["DATABASE_URL"])
        assert (url.drivername, url.database) == ("postgresql+psycopg", service), "one database per service"


def kubernetes_environment(container: dict, configmap: dict, secrets: dict) -> dict[str, str]:
    env = dict(configmap) if container.get("envFrom") else {}
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {})
        if "secretKeyRef" in reference:
            env[variable["name"]] = secrets[reference["secretKeyRef"]["name"]][reference["secretKeyRef"]["key"]]
        elif "configMapKeyRef" in reference:
            env[variable["name"]] = configmap[reference["configMapKeyRef"]["key"]]
        else:
            env[variable["name"]] = str(variable["value"])
    return env


def test_kubernetes_settings_load_and_the_kafka_ca_is_mounted(manifests, configmap, secrets):
    kafka_users = of_kind(manifests, "KafkaUser")
    for deployment in of_kind(manifests, "Deployment").values():
        service = service_of_workload(deployment)
        if service == "console":  # no Kafka: test_kubernetes_runs_the_console_against_the_services
            continue
        container = only_container(deployment)
        settings = settings_class(service).load(kubernetes_environment(container, configmap, secrets))
        assert settings.topic_prefix == "prod."
        assert settings.kafka_security_protocol in {"SSL", "SASL_SSL"}, "production Kafka is encrypted"
        assert settings.kafka_sasl_mechanism and settings.kafka_sasl_username
        assert settings.kafka_sasl_username == f"convene-{service}" and settings.kafka_sasl_username in kafka_users, (
            "each service signs in as its own user"
        )
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert str(Path(settings.kafka_ssl_cafile).parent) in mounts
        assert settings.jwt_jwks_url.startswith("https://"), (
            "production verifies tokens with the identity provider's keys"
        )


def test_production_feedback_processes_take_their_pepper_from_a_secret(manifests):
    assert "FEEDBACK_MARKER_PEPPER" in known_variables("feedback")
    deployments = of_kind(manifests, "Deployment")
    for role in ("web", "worker"):
        env = {e["name"]: e for e in only_container(deployments[f"convene-feedback-{role}"])["env"]}
        assert "secretKeyRef" in env["FEEDBACK_MARKER_PEPPER"]["valueFrom"], f"feedback {role}"


def test_production_processes_that_seal_personal_data_take_their_key_from_a_secret_of_their_own(manifests, configmap):
    assert "PERSONAL_DATA_KEY" not in configmap
    deployments = workloads(manifests)
    for service in SEALING_SERVICES:
        assert "PERSONAL_DATA_KEY" in known_variables(service)
        for role in ("web", "worker", "migrate"):
            spec = pod_spec(deployments[f"convene-{service}-{role}"])
            for container in spec["containers"]:
                env = {e["name"]: e for e in container["env"]}
                assert (
                    env["PERSONAL_DATA_KEY"]["valueFrom"]["secretKeyRef"]["name"]
                    == f"convene-{service}-personal-data-key"
                ), (service, role, container["name"])


# --- Kafka topics ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kafka_topics(manifests) -> dict[str, dict]:
    declared = {}
    for resource in of_kind(manifests, "KafkaTopic").values():
        assert resource["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert resource["metadata"]["labels"]["strimzi.io/cluster"]
        name = resource["spec"].get("topicName", resource["metadata"]["name"])
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", resource["metadata"]["name"]), "a valid resource name"
        assert name not in declared, f"{name} is declared twice"
        declared[name] = resource["spec"]
    return declared


def test_the_kafka_topics_are_the_declared_topics_with_the_configmap_prefix(kafka_topics, configmap):
    prefix = configmap["CONVENE_TOPIC_PREFIX"]
    assert prefix == "prod."
    expected = set()
    for topic in topics().values():
        expected |= {topic.address(prefix), topic.dead_letter_address(prefix)}
    assert len(expected) >= 8
    assert set(kafka_topics) == expected


def test_the_kafka_topics_are_replicated_partitioned_and_retained_as_declared(kafka_topics, configmap):
    prefix = configmap["CONVENE_TOPIC_PREFIX"]
    assert configmap["KAFKA_TOPIC_REPLICATION"] == "3"
    for topic in topics().values():
        main, dead = kafka_topics[topic.address(prefix)], kafka_topics[topic.dead_letter_address(prefix)]
        assert main["partitions"] == int(configmap["KAFKA_TOPIC_PARTITIONS"]), topic.name
        for spec in (main, dead):
            assert spec["replicas"] == 3, topic.name
            assert str(spec["config"]["min.insync.replicas"]) == "2", topic.name
        if topic.compacted:
            assert main["config"]["cleanup.policy"] == "compact", topic.name
        else:
            assert main["config"]["cleanup.policy"] == "delete", topic.name
            assert str(main["config"]["retention.ms"]) == str(topic.retention_ms), topic.name
        # Dead letters are kept as long as their source's events, so a redrive finds them.
        assert dead["config"]["cleanup.policy"] == "delete", topic.name
        assert str(dead["config"]["retention.ms"]) == str(topic.retention_ms), topic.name
        assert dead["partitions"] == 1, "one partition keeps a topic's dead letters in the order they failed"
    assert any(topic.compacted for topic in topics().values()), "the national summary is compacted"


def test_the_kafka_topics_match_what_the_workers_would_create(kafka_topics, configmap):
    """The topics the workers' ensure_topics would create with the ConfigMap's settings."""
    from shared import kafka

    created = kafka.wanted_topics(Settings.load(configmap))
    assert {t.name for t in created} == set(kafka_topics)
    for new_topic in created:
        spec = kafka_topics[new_topic.name]
        assert spec["partitions"] == new_topic.num_partitions, new_topic.name
        assert spec["replicas"] == new_topic.replication_factor, new_topic.name
        configs = {key: str(value) for key, value in spec["config"].items()}
        # Exactly: a config only the manifest sets, or only the code, is drift (dead-letter topics too).
        assert new_topic.topic_configs == configs, new_topic.name


def test_topic_configs_are_declared_once_beside_the_topics(kafka_topics, configmap):
    """The manifest's retention, compaction and min.insync.replicas are the declarations' values."""
    from shared.contracts.registry import MIN_INSYNC_REPLICAS, replica_configs

    prefix = configmap["CONVENE_TOPIC_PREFIX"]
    for topic in topics().values():
        replicas = replica_configs(kafka_topics[topic.address(prefix)]["replicas"])
        assert replicas == {"min.insync.replicas": str(MIN_INSYNC_REPLICAS)}, topic.name
        assert {k: str(v) for k, v in kafka_topics[topic.address(prefix)]["config"].items()} == {
            **topic.configs(),
            **replicas,
        }, topic.name
        assert {k: str(v) for k, v in kafka_topics[topic.dead_letter_address(prefix)]["config"].items()} == {
            **topic.dead_letter_configs(),
            **replicas,
        }, topic.name
    assert replica_configs(1) == {}, "one broker: no min.insync.replicas above the replica count"


# --- the console and the development identity provider ------------------------------------------


def test_compose_and_kubernetes_run_every_service_of_the_registry_and_the_console(compose, manifests):
    """Both files list their processes by hand: each must name every service services/registry.py
    declares, and the console."""
    running = {service_of(name) for name in convene_containers(compose)} - {None, "identity-provider"}
    assert running == {*SERVICES, "console"}
    assert {service_of_workload(d) for d in of_kind(manifests, "Deployment").values()} == {*SERVICES, "console"}


def test_compose_runs_the_console_against_the_web_containers_and_the_development_provider(compose):
    services = compose["services"]
    console = services["console"]
    assert command_words(console["command"]) == CONSOLE_WEB_COMMAND.split()
    env = environment(console)
    settings = ConsoleSettings.load(env)
    assert env["PORT"] == str(ConsoleSettings.default_port) == "8000"
    for service in CONSOLE_UPSTREAMS:
        assert getattr(settings, f"{service}_url") == f"http://{service}-web:{SERVICE_PORTS[service]}"
        assert services[f"{service}-web"]["healthcheck"], "the console waits for a healthy service"
    assert settings.development, "plain HTTP on localhost needs the development cookie"
    assert settings.session_secret, "one session key for all its workers"
    assert {"console"} == {
        name
        for name, spec in services.items()
        for word in command_words(spec.get("command", []))
        if "console.app" in word
    }
    words = " ".join(command_words(console["healthcheck"]["test"]))
    assert "http://127.0.0.1:8000/healthz" in words


def test_compose_runs_the_development_identity_provider_only_in_the_dev_profile_and_as_one_issuer(compose):
    services = compose["services"]
    provider, console = services["identity-provider"], services["console"]
    assert provider["profiles"] == ["dev"]
    assert [name for name, spec in services.items() if spec.get("profiles")] == ["identity-provider"]
    assert command_words(provider["command"]) == PROVIDER_COMMAND.split()
    env = environment(provider)
    assert env["WEB_CONCURRENCY"] == "1", "it keeps users, codes and tokens in one process's memory"
    # The console's network namespace: 127.0.0.1:9400 is the provider for the console and, through
    # the console's published port, for the browser.
    assert provider["network_mode"] == "service:console" and "ports" not in provider
    assert f"127.0.0.1:{env['PORT']}:{env['PORT']}" in console["ports"]
    issuer = f"http://127.0.0.1:{env['PORT']}"
    assert environment(console)["OIDC_ISSUER"] == issuer
    # Its tokens are signed with the key the web containers verify, for the issuer they expect;
    # `services.cli token` in the keys container mints for the same issuer.
    keys = environment(services["keys"])
    assert env["JWT_PRIVATE_KEY_FILE"] == keys["JWT_PRIVATE_KEY_FILE"]
    assert volume_mounts(provider)[str(Path(keys["JWT_PRIVATE_KEY_FILE"]).parent)] == "jwt-keys"
    assert keys["JWT_ISSUER"] == issuer
    for service in SERVICES:
        assert environment(services[f"{service}-web"])["JWT_ISSUER"] == issuer
    assert "JWT_PRIVATE_KEY_FILE" not in environment(console), "the console never mints a token"


def test_kubernetes_runs_the_console_against_the_services_and_the_production_issuer(manifests, configmap, secrets):
    deployment = of_kind(manifests, "Deployment")["convene-console"]
    container = only_container(deployment)
    assert container["args"] == CONSOLE_WEB_COMMAND.split()
    assert "envFrom" not in container, "the console reads none of the services' settings"
    env = kubernetes_environment(container, configmap, secrets)
    settings = ConsoleSettings.load(env)
    assert not settings.development, "the session cookie is Secure"
    services = of_kind(manifests, "Service")
    for service in CONSOLE_UPSTREAMS:
        port = services[f"convene-{service}"]["spec"]["ports"][0]["port"]
        assert getattr(settings, f"{service}_url") == f"http://convene-{service}:{port}"
    assert settings.oidc_issuer == configmap["JWT_ISSUER"], "the issuer whose access tokens the services verify"
    assert env["PORT"] == "8000" and [p["containerPort"] for p in container["ports"]] == [8000]
    front = services["convene-console"]
    assert front["spec"]["selector"].items() <= pod_labels_of(deployment).items()
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"


def pod_labels_of(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def test_the_development_identity_provider_is_never_deployed_to_kubernetes():
    for path in K8S.glob("*.yaml"):
        text = path.read_text()
        assert "identity_provider" not in text and "9400" not in text, path.name
