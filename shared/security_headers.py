"""Headers every answer carries, from Flask (shared.web) and from gunicorn itself (shared.http_worker).

The API answers JSON, never a page: its policy lets a browser load nothing from an answer,
frame nothing and sniff nothing. The docs page is the one page served and brings its own,
looser policy (shared.docs_page), which these defaults do not overwrite.

Strict-Transport-Security: browsers ignore it over plain HTTP (RFC 6797 §8.1), so sending it
always is harmless in development; in production TLS ends at the ingress or load balancer in
front of the web processes, and the browser sees the header over HTTPS. It names this host only
(no includeSubDomains): other services under the same domain are not ours to bind.
"""

from __future__ import annotations

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Answers under /v1 are per caller (their token decides what they hold, often personal data):
# no browser, proxy or CDN may keep a copy. One answer may say `private` itself: a calendar
# subscription, which only the subscriber's own calendar app keeps (never a shared cache).
PER_CALLER_PREFIX = "/v1/"


def security_headers(path: str, hsts_max_age: int) -> dict[str, str]:
    """The security headers of an answer to `path`."""
    headers = {
        "Content-Security-Policy": API_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if hsts_max_age > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_max_age}"
    if path.startswith(PER_CALLER_PREFIX):
        headers["Cache-Control"] = "no-store"
    return headers


def apply_security_headers(headers, path: str, hsts_max_age: int) -> None:
    """Set them on a response's headers; a page's own Content-Security-Policy stays, and so does an
    answer's own `Cache-Control: private` (a calendar subscription: the subscriber's app may keep
    its copy between polls, no shared cache may)."""
    for name, value in security_headers(path, hsts_max_age).items():
        if name == "Content-Security-Policy" and name in headers:
            continue
        if name == "Cache-Control" and headers.get(name, "").startswith("private"):
            continue
        headers[name] = value
