"""The interactive docs page (/docs): Swagger UI over the service's OpenAPI document.

Everything it runs comes from this origin: the Swagger UI bundle (/docs/assets/) and the
script that starts it (/docs/start.js), so its Content-Security-Policy allows scripts from
'self' only, with no inline script and no eval. Styles also allow 'unsafe-inline' because
Swagger UI writes style attributes into the markup it renders; a style cannot run code.
Images allow data: (Swagger UI's icons are data: URLs). Nothing may frame the page.

The page does not keep the bearer token the reader pastes into Authorize across visits
(persistAuthorization false: it would sit in localStorage, readable by any script of this
origin, long after the reader left), and never asks validator.swagger.io about the document.
"""

from __future__ import annotations

import html
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, Response, send_from_directory

DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body></html>"""
_START = """SwaggerUIBundle({url: "/openapi.json", dom_id: "#docs", persistAuthorization: false, validatorUrl: null});
"""


def register_docs(app: Flask, title: str) -> None:
    page = _PAGE.format(title=html.escape(title))

    @app.get("/docs")
    def docs():
        return _with_policy(Response(page, mimetype="text/html"))

    @app.get("/docs/start.js")
    def docs_start():
        return _with_policy(Response(_START, mimetype="text/javascript"))

    @app.get("/docs/assets/<path:name>")
    def docs_assets(name):
        return _with_policy(send_from_directory(Path(swagger_ui_bundle.swagger_ui_path), name))


def _with_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
