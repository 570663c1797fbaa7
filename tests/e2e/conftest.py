"""Fixtures of the console's browser tests (helpers in tests/e2e/console.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from services.enrolment.usecases.reference import import_files
from tests.e2e.console import CHROMIUM, ConsoleStack, identity_provider
from tests.harness import RunningService, service_environment
from tests.processes import REPO, WebProcess

SAMPLE = REPO / "services" / "enrolment" / "data" / "sample"  # the London PCNs of ConsoleStack's people


@pytest.fixture
def console_stack(databases, kafka_bootstrap, topic_prefix, signing_keys, make_token, tmp_path):
    """The whole system as `make up` runs it, on one database kind per test (both kinds over the suite)."""
    provider = identity_provider(signing_keys, tmp_path).start()
    started: list = [provider]
    services = {}
    for name in ("enrolment", "scheduling", "feedback"):
        environ = service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        services[name] = RunningService(name, environ)  # its schema; set-up calls by make_token's tokens
        web = {**environ, "JWT_JWKS_URL": provider.base_url + "/jwks", "JWT_ISSUER": provider.base_url}
        services[name + "_web"] = WebProcess(name, web, tmp_path, workers=2).start()
        started.append(services[name + "_web"])
    with services["enrolment"].runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    for name in ("enrolment", "scheduling", "feedback"):
        services[name].start_worker()
    console = WebProcess(
        "console",
        {
            "CONSOLE_ENVIRONMENT": "development",
            "OIDC_ISSUER": provider.base_url,
            "ENROLMENT_URL": services["enrolment_web"].base_url,
            "SCHEDULING_URL": services["scheduling_web"].base_url,
            "FEEDBACK_URL": services["feedback_web"].base_url,
            "CONSOLE_SESSION_SECRET": "a test's own session secret",
        },
        tmp_path,
        workers=2,
    ).start()
    started.append(console)
    yield ConsoleStack(
        console, provider, services["enrolment"], services["scheduling"], services["feedback"], make_token
    )
    for process in reversed(started):
        process.stop()
    for name in ("enrolment", "scheduling", "feedback"):
        services[name].stop()


@pytest.fixture
def page():
    assert Path(CHROMIUM).exists(), "make test installs Debian's chromium (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser.new_page()
        browser.close()
