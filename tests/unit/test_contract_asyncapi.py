"""The AsyncAPI contract is generated from the declarations and kept in docs/asyncapi.json."""

import importlib.util
import inspect
import json
import re
from pathlib import Path

import jsonschema
import pytest
from marshmallow import Schema, fields, validate

from services.registry import SERVICES, subscriptions
from shared import consumer
from shared.asyncapi import build_asyncapi, data_schema, event_json_schema
from shared.consumer import DEAD_LETTER_HEADERS, VALUE_OMITTED_HEADER
from shared.contracts.registry import event_types, topics
from shared.kafka import topic_configs

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"
FORMATS = jsonschema.Draft7Validator.FORMAT_CHECKER


@pytest.fixture(scope="module")
def document():
    return build_asyncapi(subscriptions(), None)


def messages_of(document, channel):
    return {ref["$ref"].rsplit("/", 1)[1] for ref in document["channels"][channel]["messages"].values()}


def test_the_published_document_is_in_sync_with_the_declarations(document):
    published = json.loads(PUBLISHED.read_text()) if PUBLISHED.exists() else None
    in_sync = published == json.loads(json.dumps(document))
    assert in_sync, (
        "docs/asyncapi.json is out of date: regenerate it with `python -m services.cli asyncapi > docs/asyncapi.json`"
    )


def test_every_topic_is_a_channel_with_its_address_and_kafka_configuration(document):
    for declared in topics().values():
        channel = document["channels"][declared.name]
        assert channel["address"] == "{prefix}" + declared.name
        assert "prefix" in channel["parameters"]
        configuration = channel["bindings"]["kafka"]["topicConfiguration"]
        assert configuration["cleanup.policy"] == topic_configs(declared)["cleanup.policy"].split(",")
        assert configuration.get("retention.ms") == (None if declared.compacted else declared.retention_ms)
        assert channel["bindings"]["kafka"]["partitions"] >= 1
        assert declared.key in channel["description"]
        assert document["channels"][declared.name + ".dlq"]["address"] == "{prefix}" + declared.name + ".dlq"


def test_every_event_type_is_a_message_on_its_topic(document):
    for name, declared in event_types().items():
        message = document["components"]["messages"][name]
        assert name in messages_of(document, declared.topic.name)
        assert message["payload"] == {"$ref": f"#/components/schemas/{declared.schema.__name__}"}
        assert document["components"]["schemas"][declared.schema.__name__] == data_schema(declared.schema)
        headers = message["headers"]
        assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"} <= set(
            headers["required"]
        )
        assert headers["properties"]["ce_type"]["const"] == name
        assert headers["properties"]["ce_source"]["const"] == declared.source
        assert {"ce_subject", "ce_partitionkey", "ce_region", "ce_correlationid", "ce_traceparent"} <= set(
            headers["properties"]
        )


@pytest.mark.parametrize("name", sorted(event_types()))
def test_each_example_fits_the_published_schemas_and_loads_with_its_declaration(document, name):
    declared = event_types()[name]
    message = document["components"]["messages"][name]
    (example,) = message["examples"]
    jsonschema.validate(example["payload"], event_json_schema(declared), format_checker=FORMATS)
    jsonschema.validate(example["headers"], message["headers"], format_checker=FORMATS)
    declared.validate(example["payload"])
    assert example["headers"]["ce_partitionkey"] == declared.key_of(example["payload"])


def test_the_json_schema_rejects_what_the_declaration_rejects():
    declared = event_types()["org.convene.enrolment.offer.published.v1"]
    schema = event_json_schema(declared)
    message = build_asyncapi(subscriptions(), "enrolment")["components"]["messages"][declared.type]
    for field, bad in {"region": "Y99", "capacity": 0, "title": "", "pcn_code": "X1", "starts_on": "tomorrow"}.items():
        data = {**message["examples"][0]["payload"], field: bad}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, schema, format_checker=FORMATS)
        with pytest.raises(Exception):
            declared.validate(data)


def test_each_owner_sends_its_topics_and_nobody_else_does(document):
    sends = {
        op["channel"]["$ref"].rsplit("/", 1)[1]: op for op in document["operations"].values() if op["action"] == "send"
    }
    for declared in topics().values():
        operation = sends[declared.name]
        assert operation["tags"] == [{"name": declared.owner}]
        assert {ref["$ref"].rsplit("/", 1)[1] for ref in operation["messages"]} == messages_of(document, declared.name)


def test_each_subscription_receives_exactly_what_its_handlers_handle(document):
    receives = {op_id: op for op_id, op in document["operations"].items() if op["action"] == "receive"}
    expected = {}
    for service in SERVICES:
        for subscription in subscriptions()[service]:
            for event_type in subscription.handlers:
                channel = event_types()[event_type].topic.name
                expected.setdefault(f"{service}.{subscription.name}.receive.{channel}", set()).add(event_type)
    assert {
        op_id: {ref["$ref"].rsplit("/", 1)[1] for ref in op["messages"]} for op_id, op in receives.items()
    } == expected
    for op_id, operation in receives.items():
        service, group = op_id.split(".")[:2]
        assert operation["bindings"]["kafka"]["groupId"]["const"] == f"{{prefix}}{service}.{group}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_document_holds_only_what_that_service_sends(service):
    document = build_asyncapi(subscriptions(), service)
    assert {op["action"] for op in document["operations"].values()} == {"send"}
    assert all(op["tags"] == [{"name": service}] for op in document["operations"].values())
    own = {name for name, declared in event_types().items() if declared.topic.owner == service}
    assert set(document["components"]["messages"]) - {"DeadLetter"} == own
    assert {name for name in document["channels"] if not name.endswith(".dlq")} == {
        t.name for t in topics().values() if t.owner == service
    }


def test_an_unknown_service_is_refused():
    with pytest.raises(ValueError):
        build_asyncapi(subscriptions(), "billing")


def test_data_schemas_are_draft_07_with_type_unions_and_open_objects(document):
    text = json.dumps(document["components"]["schemas"])
    assert '"nullable"' not in text
    assert '"additionalProperties": false' not in text
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft7Validator.check_schema(schema)


class Sample(Schema):
    when = fields.Date(allow_none=True, load_default=None)
    kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(("a", "b")))
    share = fields.Float(required=True, validate=validate.Range(min=0, max=1, min_inclusive=False))
    scores = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("x", "y"))), values=fields.Integer(), required=True
    )
    inner = fields.Nested(Schema.from_dict({"n": fields.Integer(required=True)}), allow_none=True, load_default=None)


def test_marshmallow_rules_become_draft_07_keywords():
    schema = data_schema(Sample)["properties"]
    assert schema["when"]["type"] == ["string", "null"] and schema["when"]["format"] == "date"
    assert schema["kind"]["type"] == ["string", "null"] and schema["kind"]["enum"] == ["a", "b", None]
    assert schema["share"] == {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
    assert schema["scores"]["propertyNames"]["enum"] == ["x", "y"]
    assert schema["inner"]["type"] == ["object", "null"]
    jsonschema.validate({"share": 0.5, "scores": {"x": 1}, "inner": None, "when": None}, data_schema(Sample))


def test_dead_letter_headers_are_the_ones_the_consumer_writes(document):
    written = set(re.findall(r'"(dlq_\w+)"', inspect.getsource(consumer.Consumer.dead_letter)))
    assert written == set(DEAD_LETTER_HEADERS)
    trait = document["components"]["messageTraits"]["DeadLetter"]["headers"]
    assert set(trait["required"]) == written
    assert set(trait["properties"]) == written | {VALUE_OMITTED_HEADER}, (
        "the header of a letter parked without its value is documented too"
    )


def test_the_subscriber_guide_names_every_topic():
    guide = (PUBLISHED.parent / "subscribers.md").read_text()
    missing = [declared.name for declared in topics().values() if f"{{prefix}}{declared.name}" not in guide]
    assert not missing, f"docs/subscribers.md does not describe {', '.join(missing)}"


def test_the_example_subscriber_reads_declared_topics_and_types():
    spec = importlib.util.spec_from_file_location(
        "region_subscriber", PUBLISHED.parent / "examples" / "region_subscriber.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert set(example.TOPICS) <= set(topics())
    for prefix in example.WANTED_TYPES:
        wanted = [declared for name, declared in event_types().items() if name.startswith(prefix)]
        assert wanted and all(
            declared.topic.name in example.TOPICS and "region" in declared.schema().fields for declared in wanted
        )
