"""OpenAPI 3 generated from the declared endpoints and their marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import INCLUDE, Schema, fields, validate

from shared.api import WRITE_METHODS, Endpoint, page_schema
from shared.consistency import HEADER as CONSISTENCY_HEADER
from shared.schemas import PartialUpdate, instance

_PATH_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERROR_STATUSES = {
    "400": "Malformed request (also: text holding a NUL character or an unpaired surrogate, which no database stores)",
    "401": "Missing or invalid bearer token",
    "403": "Role not allowed",
    "404": "Not found (or not yours)",
    "409": "Conflicts with the current state",
    "422": "A field or rule is broken",
    "429": "Too many requests",
    "503": (
        f"Not yet consistent (not_yet_consistent): this service has not applied, within CONSISTENCY_WAIT_SECONDS, "
        f"the changes {CONSISTENCY_HEADER} names; retry after Retry-After seconds"
    ),
}
_IF_MATCH_STATUSES = {"412": "If-Match names a version that is no longer current", "428": "If-Match is missing"}


class ProblemSchema(Schema):
    class Meta:
        unknown = INCLUDE  # RFC 9457 extension members: a rule may add its own (e.g. `from`, `to`)

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    rule = fields.String(required=True, metadata={"description": "Machine-readable name of the broken rule."})
    errors = fields.List(fields.Dict(), metadata={"description": "Field-level details: [{field, message}]."})


class _ConvenePlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, documenting what Convene's schemas check beyond their fields."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        json_schema = super().schema_helper(name, definition, schema=schema, **kwargs)
        if schema is not None and issubclass(resolve_schema_cls(schema), PartialUpdate):
            json_schema["minProperties"] = 1
        return json_schema


def _url_shape(self, field, ret: dict, **kwargs) -> dict:
    """A URL field as the pattern of what its validator takes (an absolute URL of its schemes on a
    named host), not OpenAPI's `url` format, which promises any URL."""
    validator = (
        next((v for v in field.validators if isinstance(v, validate.URL)), None)
        if isinstance(field, fields.Url)
        else None
    )
    if validator is None:
        return {}
    ret.pop("format", None)
    schemes = "|".join(sorted(validator.schemes))
    return {
        "pattern": rf"^({schemes})://([a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?\.)+[a-z]{{2,6}}(/[A-Za-z0-9._~%/=&+-]*)?$"
    }


def build_spec(title: str, version: str, description: str, endpoints: list[Endpoint]) -> dict:
    plugin = _ConvenePlugin()
    spec = APISpec(
        title=title, version=version, openapi_version="3.0.3", plugins=[plugin], info={"description": description}
    )
    plugin.converter.add_attribute_function(_url_shape)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    paths: dict[str, dict] = {}
    for endpoint in endpoints:
        path = _PATH_ARGUMENT.sub(r"{\2}", endpoint.rule)
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(endpoint: Endpoint) -> dict:
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "integer" if kind == "int" else "string"}}
        for kind, name in _PATH_ARGUMENT.findall(endpoint.rule)
    ]
    if endpoint.query:
        parameters.append({"in": "query", "schema": endpoint.query})
    if endpoint.idempotent:
        parameters.append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                "description": "Repeat a creating request safely: the same key answers the first result.",
            }
        )
    if endpoint.versioned:  # every PATCH, and a PUT that says so (shared.api.Endpoint.versioned)
        parameters.append(
            {
                "in": "header",
                "name": "If-Match",
                "required": True,
                "schema": {"type": "string"},
                "description": "The ETag you read (or *).",
            }
        )
    if endpoint.conditional:
        parameters.append(
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": "ETags you hold (or *): if one is current the answer is 304 Not Modified, with no body.",
            }
        )
    # Any text is accepted: a correlation id is carried, not checked, and one that is not 1 to 100
    # of A-Z a-z 0-9 . _ : - is replaced by a fresh one (shared.web), never refused.
    parameters.append(
        {
            "in": "header",
            "name": "X-Correlation-ID",
            "required": False,
            "schema": {"type": "string"},
            "description": (
                "Carried into the answer, events and logs when 1 to 100 of A-Z a-z 0-9 . _ : -; otherwise "
                "replaced by a new id."
            ),
        }
    )
    parameters.append(
        {
            "in": "header",
            "name": CONSISTENCY_HEADER,
            "required": False,
            "schema": {"type": "string", "pattern": r"^1\.[A-Za-z0-9_-]+( *, *1\.[A-Za-z0-9_-]+)*$"},
            "description": (
                f"Read your own writes: the {CONSISTENCY_HEADER} tokens of earlier writes to any Convene service, "
                "comma-separated. The request waits until this service has applied them (503 not_yet_consistent "
                "with Retry-After if it has not within CONSISTENCY_WAIT_SECONDS); 400 if one is not a token. "
                "See docs/consistency.md."
            ),
        }
    )
    operation = {
        "operationId": endpoint.view_name,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "description": "Roles: " + ", ".join(role.value for role in endpoint.roles),
        "x-roles": [role.value for role in endpoint.roles],
        "security": [{"bearer": []}],
        "parameters": parameters,
        "responses": {status: _problem(text) for status, text in _ERROR_STATUSES.items()},
    }
    if endpoint.public:
        # No bearer token: the secret in the path is the credential, so no 401 and no role's 403.
        operation |= {
            "description": "No bearer token: the secret in the address is the credential (any token is ignored).",
            "x-public": True,
            "security": [],
        }
        for status in ("401", "403"):
            operation["responses"].pop(status)
    if endpoint.versioned:
        operation["responses"] |= {status: _problem(text) for status, text in _IF_MATCH_STATUSES.items()}
    if endpoint.body:
        operation["requestBody"] = {
            "required": _body_required(endpoint.body),
            "content": {"application/json": {"schema": endpoint.body}},
        }
        operation["responses"]["413"] = _problem("Request body too large")
        operation["responses"]["415"] = _problem(
            "The body is not sent as application/json (or application/*+json) in UTF-8"
        )
    success = {"description": "Success"}
    if endpoint.response:
        schema = page_schema(endpoint.response) if endpoint.paged else endpoint.response
        success["content"] = {endpoint.media_type: {"schema": schema}}
    elif endpoint.media_type != "application/json":
        success["content"] = {endpoint.media_type: {"schema": {"type": "string"}}}
    if endpoint.method in WRITE_METHODS:
        success["headers"] = {
            CONSISTENCY_HEADER: {
                "description": (
                    "Present when the write recorded events: send it back to another service to read this write "
                    "there (docs/consistency.md)."
                ),
                "schema": {"type": "string"},
            }
        }
    if endpoint.conditional:
        etag_header = {
            "description": "The version of this answer (weak), for If-None-Match",
            "schema": {"type": "string"},
        }
        success["headers"] = {"ETag": etag_header}
        operation["responses"]["304"] = {
            "description": "Not modified: If-None-Match names the current ETag (no body)",
            "headers": {"ETag": etag_header},
        }
    operation["responses"][str(endpoint.status)] = success
    return operation


def _body_required(schema: type[Schema]) -> bool:
    """A missing body is read as {} (shared.api): it is required only when {} would be refused."""
    return issubclass(schema, PartialUpdate) or any(field.required for field in instance(schema).fields.values())


def _problem(text: str) -> dict:
    return {"description": text, "content": {"application/problem+json": {"schema": "Problem"}}}
