"""The AsyncAPI 3.0 contract for subscribers, generated from the event declarations.

Every topic is a channel, every event type a message (CloudEvents headers, JSON Schema data,
a validated example), the owner sends and the services' SUBSCRIPTIONS receive. Nothing here
is written by hand: `python -m services.cli asyncapi > docs/asyncapi.json` publishes it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence

from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import fields

from shared.config import Settings
from shared.consumer import DEAD_LETTER_HEADERS, VALUE_OMITTED_DESCRIPTION, VALUE_OMITTED_HEADER
from shared.contracts.common import REGION_OR_NATIONAL
from shared.contracts.registry import EventType, Topic, event_types, lookup, topics
from shared.envelope import CONTENT_TYPE, SPEC_VERSION
from shared.kafka import topic_configs

ASYNCAPI_VERSION = "3.0.0"
# The document's shape; each event type carries its own version in its name.
DOCUMENT_VERSION = "1.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
# As shared.kafka.ensure_topics creates them.
DEAD_LETTER_PARTITIONS = 1
_TRACEPARENT = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


# --- JSON Schema of an event's data -----------------------------------------------------


def event_json_schema(event_type: EventType) -> dict:
    """The event's data as a self-contained draft-07 JSON Schema: what the snapshots record."""
    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "title": event_type.type,
        "description": event_type.description,
        **data_schema(event_type.schema),
    }


def data_schema(schema_class) -> dict:
    """A marshmallow schema as draft-07 JSON Schema, via apispec's OpenAPI converter.

    OpenAPI 3.0's `nullable` becomes a type union, and objects stay open
    (`additionalProperties` is dropped): evolution is add-only, so a subscriber validating
    with today's schema must accept a field added tomorrow.
    """
    converter = OpenAPIConverter(openapi_version="3.0.3", schema_name_resolver=lambda _schema: None, spec=None)
    converter.add_attribute_function(_dict_keys)
    converter.add_attribute_function(_exclusive_range)
    return _draft07(converter.schema2jsonschema(schema_class))


def _dict_keys(converter, field, ret, **_kwargs) -> dict:
    """apispec documents a Dict's values only; its key rule becomes `propertyNames`."""
    if isinstance(field, fields.Dict) and field.key_field is not None:
        keys = converter.field2property(field.key_field)
        if set(keys) - {"type"}:
            return {"propertyNames": keys}
    return {}


def _exclusive_range(_converter, field, ret, **_kwargs) -> dict:
    """apispec treats every Range as inclusive; draft-07 has numeric exclusive bounds."""
    extra = {}
    for validator in field.validators:
        if (
            getattr(validator, "min_inclusive", True) is False
            and validator.min is not None
            and ret.get("minimum") == validator.min
        ):
            del ret["minimum"]
            extra["exclusiveMinimum"] = validator.min
        if (
            getattr(validator, "max_inclusive", True) is False
            and validator.max is not None
            and ret.get("maximum") == validator.max
        ):
            del ret["maximum"]
            extra["exclusiveMaximum"] = validator.max
    return extra


def _draft07(node):
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _draft07(value) for key, value in node.items() if key not in ("nullable", "x-nullable")}
    if converted.get("additionalProperties") is False:
        del converted["additionalProperties"]
    if node.get("nullable"):
        kinds = converted.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if kinds and "null" not in kinds:
            converted["type"] = [*kinds, "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    return converted


# --- Examples -----------------------------------------------------------------------------

# Values the generic generator cannot invent (patterns) or would make implausible.
_EXAMPLE_HINTS = {
    "region": "Y60",
    "pcn_code": "U12345",
    "capacity": 8,
    "sequence": 0,
    "waitlist_position": None,  # a confirmed place has none
    "session_allowance": 6,
    "planned_sessions": 6,
    "title": "Midlands clinical directors' learning community",
    "topic": "Dealing with conflict",
    "scope": "region",
    "scope_key": "region:Y60:2026-05",
    "period": "2026-05",
    "offer_type": "action_learning_set",
    "starts_on": "2026-06-01",
    "ends_on": "2026-11-30",
    "starts_at": "2026-06-02T09:30:00+00:00",
    "ends_at": "2026-06-02T11:00:00+00:00",
    "session_starts_at": "2026-06-02T09:30:00+00:00",
    "session_ends_at": "2026-06-02T11:00:00+00:00",
    "mean": 4.2,
    "distribution": {"4": 2, "5": 3},
    "reason": None,  # the example's figures are not suppressed
}
_EXAMPLE_DICT_KEYS = {"measures": ["confidence", "trust_in_the_group"]}


def example_data(event_type: EventType) -> dict:
    """A valid example of the event's data, as the outbox would publish it (loaded, then dumped).

    Raises ValueError when a field needs a hint the generator does not have.
    """
    schema = data_schema(event_type.schema)
    # The type's own verb is the likeliest status: `...offer.published.v1` → status `published`.
    preferred = set(event_type.type.split("."))
    raw = _example(schema, "", preferred)
    try:
        loaded = event_type.validate(raw)
    except Exception as error:
        raise ValueError(
            f"{event_type.type}: the generated example does not load ({error}); add a hint in shared/asyncapi.py"
        ) from None
    return event_type.schema().dump(loaded)


def _example(schema: dict, name: str, preferred: set[str]):
    kinds = schema.get("type")
    kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds or []) if k != "null"), None)
    if "enum" in schema:
        if name in _EXAMPLE_HINTS and _EXAMPLE_HINTS[name] in schema["enum"]:
            return _EXAMPLE_HINTS[name]
        choices = [value for value in schema["enum"] if value is not None]
        return next((value for value in choices if value in preferred), choices[0])
    if name in _EXAMPLE_HINTS:
        return _EXAMPLE_HINTS[name]
    if kind == "object":
        if "properties" in schema:
            return {prop: _example(sub, prop, preferred) for prop, sub in schema["properties"].items()}
        keys = schema.get("propertyNames", {}).get("enum") or _EXAMPLE_DICT_KEYS.get(name) or ["example"]
        return {
            key: _example(schema.get("additionalProperties") or {"type": "string"}, key, preferred) for key in keys[:2]
        }
    if kind == "integer":
        return _clamp(5, schema)
    if kind == "number":
        return float(_clamp(3.5, schema))
    if kind == "boolean":
        return False
    if kind == "array":
        return [_example(schema.get("items", {"type": "string"}), name, preferred)]
    if kind == "string":
        return _example_string(schema, name)
    raise ValueError(f"no example for {name or 'the data'} ({kinds})")


def _clamp(value, schema: dict):
    low = schema.get("minimum", schema.get("exclusiveMinimum", value))
    high = schema.get("maximum", schema.get("exclusiveMaximum", value))
    return min(max(value, low), high)


def _example_string(schema: dict, name: str) -> str:
    if schema.get("format") == "date-time":
        return "2026-06-02T12:00:00+00:00"
    if schema.get("format") == "date":
        return "2026-06-02"
    if "pattern" in schema:
        raise ValueError(f"{name} has a pattern: give it an example in shared/asyncapi.py's hints")
    if name.endswith("_id"):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://convene.example/{name}"))
    text = name.replace("_", " ") or "example"
    text = text.ljust(schema.get("minLength", 0), ".")
    return text[: schema.get("maxLength", len(text))]


def example_headers(event_type: EventType, data: dict) -> dict:
    """The CloudEvents headers shared.outbox writes for `data`, as decoded strings."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://convene.example/events/{event_type.type}")),
        "ce_source": event_type.source,
        "ce_type": event_type.type,
        "ce_time": "2026-06-02T12:00:00Z",
        "content-type": CONTENT_TYPE,
        "ce_subject": str(data[event_type.subject_field]),
        "ce_partitionkey": event_type.key_of(data),
    }
    if data.get("region"):
        headers["ce_region"] = data["region"]
    headers["ce_correlationid"] = "3b1c8c0e-4d7e-4c55-9a53-2f1c0b7a9e10"
    return headers


def headers_schema(event_type: EventType) -> dict:
    """The Kafka headers of the event: CloudEvents attributes in binary content mode."""
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {
                "type": "string",
                "const": SPEC_VERSION,
                "description": "CloudEvents specification version.",
            },
            "ce_id": {
                "type": "string",
                "minLength": 1,
                "description": "Unique per source: `ce_source` + `ce_id` is the deduplication key.",
            },
            "ce_source": {"type": "string", "const": event_type.source, "description": "The publishing service."},
            "ce_type": {
                "type": "string",
                "const": event_type.type,
                "description": "The versioned event type; route and filter on it without reading the value.",
            },
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "When the change happened (RFC 3339, UTC).",
            },
            "content-type": {
                "type": "string",
                "const": CONTENT_TYPE,
                "description": "The value is the event's data as a JSON object.",
            },
            "ce_subject": {
                "type": "string",
                "description": f"The data's `{event_type.subject_field}` (set on every Convene event).",
            },
            "ce_partitionkey": {
                "type": "string",
                "description": (
                    f"The data's `{event_type.key_field}`, equal to the Kafka key (set on every Convene event)."
                ),
            },
            "ce_region": {
                "type": "string",
                "enum": list(REGION_OR_NATIONAL),
                "description": (
                    "NHS England region ODS code (or `national`) of the data's `region`, absent when it has "
                    "none: filter by region without parsing the value."
                ),
            },
            "ce_correlationid": {
                "type": "string",
                "description": "The X-Correlation-ID of the request that caused the event, when there was one.",
            },
            "ce_traceparent": {
                "type": "string",
                "pattern": _TRACEPARENT,
                "description": "W3C trace context, when tracing is on.",
            },
        },
    }


# --- The document -------------------------------------------------------------------------


def build_asyncapi(subscriptions: Mapping[str, Sequence], service: str | None = None) -> dict:
    """The AsyncAPI document: combined when `service` is None, else only what `service` sends.
    `subscriptions` maps each service's name to its consumers (its declaration's subscriptions)."""
    if service is not None and service not in subscriptions:
        raise ValueError(f"unknown service {service!r}; choose from {', '.join(subscriptions)}")
    declared_topics = sorted(topics().values(), key=lambda t: t.name)
    declared_types = sorted(event_types().values(), key=lambda e: e.type)
    channels = {}
    for declared in declared_topics:
        channels[declared.name] = _channel(declared, [e for e in declared_types if e.topic == declared])
        channels[declared.name + ".dlq"] = _dead_letter_channel(declared)
    operations = {}
    for declared in declared_topics:
        if service in (None, declared.owner):
            operations[f"{declared.owner}.send.{declared.name}"] = _send(declared, channels[declared.name])
    for consumer, subscription in _subscriptions(subscriptions, list(subscriptions) if service is None else [service]):
        for channel_name, handled in _handled_by_channel(subscription).items():
            if service is None:
                operations[f"{consumer}.{subscription.name}.receive.{channel_name}"] = _receive(
                    consumer, subscription.name, channel_name, handled
                )
            operations[f"{consumer}.{subscription.name}.send.{channel_name}.dlq"] = _send_dead_letters(
                consumer, subscription.name, channel_name
            )
    if service is not None:
        used = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in operations.values()}
        channels = {name: channel for name, channel in channels.items() if name in used}
    messages, schemas = _components(channels, declared_types)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:convene:events" + (f":{service}" if service else ""),
        "info": _info(service),
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The environment's Kafka cluster; topic names carry the environment's prefix.",
                "variables": {
                    "bootstrap": {"default": "127.0.0.1:9092", "description": "A bootstrap broker (host:port)."}
                },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas, "messageTraits": {"DeadLetter": _dead_letter_trait()}},
    }


def render_asyncapi(subscriptions: Mapping[str, Sequence], service: str | None = None) -> str:
    """The document as docs/asyncapi.json holds it."""
    return json.dumps(build_asyncapi(subscriptions, service), indent=2, ensure_ascii=False) + "\n"


def _info(service: str | None) -> dict:
    scope = f"the events the {service} service publishes" if service else "every event Convene publishes"
    return {
        "title": f"Convene events ({service})" if service else "Convene events",
        "version": DOCUMENT_VERSION,
        "description": (
            f"The contract for {scope} on Apache Kafka. Each message is a CloudEvents 1.0 event in "
            "Kafka binary content mode: attributes in `ce_*` headers, data as a JSON object in the value. "
            "`ce_source` + `ce_id` is the deduplication key. Types are versioned (`.v1`); evolution within a "
            "version is add-only, and a breaking change is a new `.v2` type published alongside `.v1` for at "
            "least six months. Events carry opaque ids, role, PCN and region: never names, e-mails or free "
            "text. How to subscribe: docs/subscribers.md. Generated from shared/contracts; do not edit."
        ),
    }


_PREFIX_PARAMETER = {
    "description": "The environment's topic prefix (CONVENE_TOPIC_PREFIX), e.g. `prod.`; it ends with a dot.",
    "default": Settings.topic_prefix,
    "examples": [Settings.topic_prefix, "prod."],
}


def _channel(declared: Topic, declared_types: list[EventType]) -> dict:
    # What shared.kafka.ensure_topics creates the topic with, in the binding's types.
    configuration = {
        name: value.split(",") if name == "cleanup.policy" else int(value)
        for name, value in topic_configs(declared).items()
    }
    retention = (
        "compacted: the latest event per key is kept"
        if declared.compacted
        else f"events are kept {declared.retention_ms // 86_400_000} days"
    )
    return {
        "address": declared.address("{prefix}"),
        "title": declared.name,
        "summary": declared.description,
        "description": (
            f"Owned by {declared.owner}. Kafka key: {declared.key}; events with the same key are in order. "
            f"{retention.capitalize()}. Partitions: KAFKA_TOPIC_PARTITIONS (default {Settings.topic_partitions})."
        ),
        "parameters": {"prefix": _PREFIX_PARAMETER},
        "messages": {e.type: {"$ref": f"#/components/messages/{e.type}"} for e in declared_types},
        "bindings": {
            "kafka": {
                "partitions": Settings.topic_partitions,
                "topicConfiguration": configuration,
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _dead_letter_channel(declared: Topic) -> dict:
    return {
        "address": declared.dead_letter_address("{prefix}"),
        "title": declared.name + ".dlq",
        "summary": f"Events of {declared.name} that a consumer could not process, with the error in dlq_* headers.",
        "description": (
            "Written by the consuming services, never by the owner; an operator replays or redrives them. Kept "
            "as the broker's default retention."
        ),
        "parameters": {"prefix": _PREFIX_PARAMETER},
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        "bindings": {"kafka": {"partitions": DEAD_LETTER_PARTITIONS, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _send(declared: Topic, channel: dict) -> dict:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{declared.name}"},
        "title": f"{declared.owner} publishes {declared.name}",
        "summary": (
            "Published from a transactional outbox by an idempotent producer (acks=all): at least once, in order "
            "per key."
        ),
        "tags": [{"name": declared.owner}],
        "messages": [{"$ref": f"#/channels/{declared.name}/messages/{name}"} for name in channel["messages"]],
    }


def _receive(consumer: str, group: str, channel_name: str, handled: list[str]) -> dict:
    return {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{channel_name}"},
        "title": f"{consumer} consumes {channel_name} ({group})",
        "summary": (
            f"Consumer group `{{prefix}}{consumer}.{group}`; offsets are committed after the handler's "
            "transaction, which records the event id (a redelivery is a no-op)."
        ),
        "tags": [{"name": consumer}],
        "bindings": {
            "kafka": {
                "groupId": {"type": "string", "const": f"{{prefix}}{consumer}.{group}"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "messages": [{"$ref": f"#/channels/{channel_name}/messages/{event_type}"} for event_type in handled],
    }


def _send_dead_letters(consumer: str, group: str, channel_name: str) -> dict:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{channel_name}.dlq"},
        "title": f"{consumer} dead-letters what it cannot process from {channel_name} ({group})",
        "tags": [{"name": consumer}],
        "messages": [{"$ref": f"#/channels/{channel_name}.dlq/messages/DeadLetter"}],
    }


def _subscriptions(subscriptions: Mapping[str, Sequence], services: list[str]):
    """(service, Subscription) for each consumer group of `services`."""
    for service in services:
        for subscription in subscriptions[service]:
            yield service, subscription


def _handled_by_channel(subscription) -> dict[str, list[str]]:
    handled: dict[str, list[str]] = {}
    for event_type in sorted(subscription.handlers):
        declared = lookup(event_type)
        if declared is None:
            raise ValueError(f"subscription {subscription.name} handles {event_type}, which is not declared")
        handled.setdefault(declared.topic.name, []).append(event_type)
    return dict(sorted(handled.items()))


def _components(channels: dict, declared_types: list[EventType]) -> tuple[dict, dict]:
    wanted = {ref["$ref"].rsplit("/", 1)[1] for channel in channels.values() for ref in channel["messages"].values()}
    messages, schemas = {}, {}
    for event_type in declared_types:
        if event_type.type not in wanted:
            continue
        schema_name = event_type.schema.__name__
        schema = data_schema(event_type.schema)
        if schemas.setdefault(schema_name, schema) != schema:
            raise ValueError(f"two different data schemas are both named {schema_name}")
        messages[event_type.type] = _message(event_type, schema_name)
    if "DeadLetter" in wanted:
        messages["DeadLetter"] = {
            "name": "DeadLetter",
            "title": "Dead letter",
            "summary": "The original message unchanged (key, value, ce_* headers) plus dlq_* headers saying why.",
            "payload": {
                "description": "The original value, as it was (possibly not JSON when the reason is `malformed`)."
            },
            "traits": [{"$ref": "#/components/messageTraits/DeadLetter"}],
        }
    return messages, dict(sorted(schemas.items()))


def _message(event_type: EventType, schema_name: str) -> dict:
    data = example_data(event_type)
    return {
        "name": event_type.type,
        "title": event_type.type,
        "summary": event_type.description,
        "contentType": CONTENT_TYPE,
        "correlationId": {
            "location": "$message.header#/ce_correlationid",
            "description": "The request's X-Correlation-ID.",
        },
        "headers": headers_schema(event_type),
        "payload": {"$ref": f"#/components/schemas/{schema_name}"},
        "tags": [{"name": event_type.topic.owner}],
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The data's `{event_type.key_field}`."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {"name": event_type.type.split(".", 3)[-1], "headers": example_headers(event_type, data), "payload": data}
        ],
    }


def _dead_letter_trait() -> dict:
    described = {**DEAD_LETTER_HEADERS, VALUE_OMITTED_HEADER: VALUE_OMITTED_DESCRIPTION}
    return {
        "headers": {
            "type": "object",
            "required": sorted(DEAD_LETTER_HEADERS),
            "properties": {
                name: {"type": "string", "description": description} for name, description in described.items()
            },
        }
    }


__all__ = [
    "build_asyncapi",
    "data_schema",
    "event_json_schema",
    "example_data",
    "example_headers",
    "headers_schema",
    "render_asyncapi",
]
