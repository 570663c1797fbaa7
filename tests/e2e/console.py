"""The console's browser tests' common parts: the whole stack as `make up` runs it (the development
OpenID Connect provider, the three services' gunicorn processes verifying the provider's tokens by
its JWKS, their workers, and the console), a real chromium page, signing in as anyone, and the
screenshot with axe-core's WCAG 2.2 AA checks that every page a test sees must pass.

The fixtures are in tests/e2e/conftest.py. Set-up data goes in through each service's own API
(`stack.enrolment.client` with `stack.token(...)`), as an administrator would put it there."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.harness import RunningService, eventually
from tests.processes import REPO, WebProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / ".run" / "screenshots"  # git-ignored
WCAG_22_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
REGION = "Y56"  # London: enrolment's sample ODS files hold its PCNs
PCN = "U10001"
GROUPS = {  # the identity provider's group of each Convene role (services/console/claims.py DEFAULT_MAPPING)
    "regional_admin": "convene-regional-admins",
    "facilitator": "convene-facilitators",
    "coach": "convene-coaches",
    "participant": "convene-participants",
    "national": "convene-national-team",
}


@dataclass
class ConsoleStack:
    console: WebProcess
    provider: WebProcess
    enrolment: RunningService
    scheduling: RunningService
    feedback: RunningService
    make_token: object

    @property
    def url(self) -> str:
        return self.console.base_url

    def token(self, role: str, region: str | None = REGION, subject: str | None = None) -> dict:
        """Headers for a set-up call straight to a service's own app (not through the console)."""
        region = None if role in ("national", "service") else region
        return {"Authorization": "Bearer " + self.make_token(role, region, subject)}

    def person(self, subject: str, role: str, name: str, region: str | None = REGION) -> str:
        """Someone the identity provider signs in: `subject` is their Convene id for a participant,
        facilitator or coach (also in the `convene_id` claim, where the claim mapping reads it).
        Returns the subject, which `sign_in` takes."""
        claims = {"name": name, "email": f"{subject}@example.nhs.uk", "groups": [GROUPS[role]], "convene_id": subject}
        answer = requests.put(
            f"{self.provider.base_url}/users/{subject}", json=claims | ({"region": region} if region else {}), timeout=5
        )
        assert answer.status_code == 204, answer.text
        return subject

    def sign_in(self, page, subject: str, path: str = "/") -> None:
        """Through the provider's own form, as a person would; lands on `path`."""
        page.goto(self.url + path)
        page.get_by_placeholder("sub").fill(subject)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(lambda url: url.startswith(self.url))

    def registered(self, name: str, email: str, *, pcn: str = PCN, role: str = "clinical_director") -> str:
        """A participant registered by the region's administrator; their Convene id."""
        body = {
            "name": name,
            "email": email,
            "role": role,
            "pcn_code": pcn,
            "leadership_experience": "none",
        }
        answer = self.enrolment.client.post("/v1/participants", json=body, headers=self.token("regional_admin"))
        assert answer.status_code == 201, answer.json
        return answer.json["id"]

    def seen_by(self, service: RunningService, path: str, headers: dict) -> dict:
        """Waits until `service` has applied the events behind `path` (an answer other than 404)."""
        return eventually(
            lambda: (answer := service.client.get(path, headers=headers)).status_code != 404 and answer.json,
            message=f"{service.name} to apply the events behind {path}",
        )


def identity_provider(signing_keys, log_dir: Path) -> WebProcess:
    """The development OpenID Connect provider, as `make up` runs it: one gunicorn worker."""
    environ = {"JWT_PRIVATE_KEY_FILE": str(signing_keys[0]), "JWT_PUBLIC_KEY_FILE": str(signing_keys[1])}
    app = "services.console.identity_provider:app_from_environment()"
    return WebProcess("identity-provider", environ, log_dir, workers=1, app=app)


def snap(page, name: str) -> None:
    """A screenshot of the page, and axe-core's WCAG 2.2 AA checks on it, which must find nothing."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = Axe().run(page, options=WCAG_22_AA)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def heading(page):
    return expect(page.get_by_role("heading", level=1))
