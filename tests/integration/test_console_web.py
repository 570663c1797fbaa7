"""The console's web layer without a browser: a failing service becomes the friendly error page with
the correlation id, every form needs its CSRF token, the session cookie is locked down, and a
session ends on time. The failing service is a real HTTP server that answers 500."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.console.app import create_app
from services.console.settings import ConsoleSettings


class FailingService(BaseHTTPRequestHandler):
    seen_correlation_ids: list[str] = []

    def do_GET(self):
        FailingService.seen_correlation_ids.append(self.headers.get("X-Correlation-ID"))
        body = b'{"status": 500, "title": "Internal Server Error"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailingService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _console(environ: dict):
    settings = ConsoleSettings.load({"CONSOLE_SESSION_SECRET": "test secret", **environ})
    app = create_app(settings)
    return app, app.test_client()


def _sign_in(client, *, expires_in: float = 600) -> None:
    with client.session_transaction() as session:
        session["person"] = {
            "identity": {"subject": "a1", "role": "regional_admin", "region": "Y56", "name": "Alex"},
            "access_token": "a token the failing service never checks",
            "id_token": None,
            "expires_at": time.time() + expires_in,
        }


def test_a_service_that_fails_gives_the_friendly_page_with_the_correlation_id_it_was_sent(failing_service):
    _, client = _console({"ENROLMENT_URL": failing_service})
    _sign_in(client)
    answer = client.get("/offers", headers={"X-Correlation-ID": "c0ffee00-0000-4000-8000-000000000001"})
    assert answer.status_code == 502
    page = answer.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page
    assert "c0ffee00-0000-4000-8000-000000000001" in page
    assert FailingService.seen_correlation_ids[-1] == "c0ffee00-0000-4000-8000-000000000001"


def test_a_service_that_does_not_answer_gives_the_same_page_with_a_new_correlation_id():
    _, client = _console({"ENROLMENT_URL": "http://127.0.0.1:9", "UPSTREAM_TIMEOUT_SECONDS": "2"})
    _sign_in(client)
    answer = client.get("/offers")
    assert answer.status_code == 502
    assert answer.headers["Cache-Control"] == "no-store"
    assert "give them this reference" in answer.get_data(as_text=True)


def test_a_form_posted_without_its_csrf_token_is_refused_before_any_service_is_called(failing_service):
    _, client = _console({"ENROLMENT_URL": failing_service})
    _sign_in(client)
    calls = len(FailingService.seen_correlation_ids)
    answer = client.post("/offers/new", data={"title": "Set", "capacity": "8"})
    assert answer.status_code == 400
    assert "did not come from this site" in answer.get_data(as_text=True)
    assert client.post("/sign-out").status_code == 400
    assert len(FailingService.seen_correlation_ids) == calls


def test_the_session_cookie_is_http_only_same_site_lax_and_secure_outside_development():
    for environment, secure in (("production", True), ("development", False)):
        app, _ = _console({"CONSOLE_ENVIRONMENT": environment})
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert app.config["SESSION_COOKIE_SECURE"] is secure
    with pytest.raises(ValueError, match="production or development"):
        ConsoleSettings.load({"CONSOLE_ENVIRONMENT": "staging"})


def test_an_expired_session_asks_the_person_to_sign_in_again_and_keeps_nothing(failing_service):
    _, client = _console({"ENROLMENT_URL": failing_service})
    _sign_in(client, expires_in=-1)
    answer = client.get("/offers")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
    assert "expired=1" in answer.headers["Location"]
    assert "Your session has ended" in client.get(answer.headers["Location"]).get_data(as_text=True)
    with client.session_transaction() as session:
        assert "person" not in session


def test_pages_carry_a_content_security_policy_that_allows_only_this_site_and_the_page_nonce():
    _, client = _console({})
    answer = client.get("/signed-out")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'nonce-" in policy and "font-src 'self'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in answer.get_data(as_text=True)
