"""Errors the domain raises when a rule is broken.

Pure Python: domain modules import this without pulling in Flask, SQLAlchemy or Kafka.
The HTTP layer turns each one into an RFC 9457 problem+json response.
"""


class DomainError(Exception):
    """A business rule refused the request.

    `rule` is a stable, machine-readable name for the rule (e.g. ``capacity_exceeded``),
    `detail` a sentence for people, `field` the request field it concerns, if any.
    Never put names, e-mails or free text in `detail`: it reaches logs and responses.
    """

    status = 422

    def __init__(self, rule: str, detail: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.field = field
        self.extra = extra or {}


class RuleViolation(DomainError):
    """The request is well-formed but a business rule forbids it (422)."""

    status = 422


class Forbidden(DomainError):
    """The caller's role or identity may not do this to an object it may see (403)."""

    status = 403


class Conflict(DomainError):
    """The request clashes with the current state (409): duplicate, clash, wrong lifecycle state."""

    status = 409


class NotFound(DomainError):
    """No such object, or not one the caller may see (404, so existence does not leak)."""

    status = 404
