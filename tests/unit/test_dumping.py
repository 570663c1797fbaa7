"""shared.dumping answers exactly what marshmallow's Schema.dump answers (pure: no I/O).

Every response schema the three services (and the shared audit endpoint) declare is dumped
both ways from generated objects: dicts, objects with attributes, dataclasses and SQLAlchemy
RowMappings, with None values, missing keys, values of unexpected types, naive and aware
datetimes, nested objects and lists. Both answers must match in keys, order, values and types.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import json
import random
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields, post_dump, pre_dump
from sqlalchemy.engine.result import result_tuple

import shared.dumping
from services.enrolment.api import APIS as ENROLMENT_APIS
from services.feedback.api import APIS as FEEDBACK_APIS
from services.scheduling.api import APIS as SCHEDULING_APIS
from shared.api import JSON_ENCODER, Endpoint, Page, _respond
from shared.audit_api import audit_api
from shared.auth import Role
from shared.dumping import dumper, plan
from shared.schemas import UtcDateTime, instance

VARIANTS = 40  # generated objects per schema and container kind
MAX_DEPTH = 4  # of generated nested objects
CONTAINERS = ("dict", "namespace", "dataclass", "row")


class Colour(str, enum.Enum):
    """A str subclass: String fields answer str(value), which is not the value itself."""

    RED = "red"


class Level(enum.Enum):
    LOW = 1
    HIGH = "high"


# --- Outcomes compared strictly ---------------------------------------------------------


def outcome(dump, obj):
    """What a dump answers, or the type of what it raises (both must fail alike)."""
    try:
        return ("answer", dump(obj))
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        return ("raised", type(error))


def assert_same(fast, slow):
    """Equal, and of the same types and key order: == alone takes 1 for 1.0 and True."""
    assert repr(fast) == repr(slow)
    if fast[0] == "answer":
        assert JSON_ENCODER.encode(fast[1]) == json.dumps(slow[1], default=str)


# --- Generated objects ------------------------------------------------------------------


def datetimes(rng: random.Random) -> datetime:
    base = datetime(
        2026,
        rng.randint(1, 12),
        rng.randint(1, 28),
        rng.randint(0, 23),
        rng.randint(0, 59),
        rng.choice((0, 30)),
        rng.choice((0, 0, 123456)),
    )
    return rng.choice(
        (
            base,
            base.replace(tzinfo=UTC),
            base.replace(tzinfo=timezone(timedelta(hours=5, minutes=30))),
            base.replace(tzinfo=timezone(timedelta(hours=-1))),
        )
    )


def typical(field: fields.Field, rng: random.Random, depth: int, container: str | None = None):
    """A value of the kind the field is declared for; with a container, all the way down
    (nested objects in that container), else with odd values further down."""
    inner = (
        (lambda of: typical(of, rng, depth + 1, container)) if container else (lambda of: value_for(of, rng, depth + 1))
    )
    if isinstance(field, fields.Nested):
        many = field.schema.many or field.many
        make = (
            (lambda: complete(field.schema, container, rng, depth + 1))
            if container
            else (lambda: sample(field.schema, rng, depth + 1))
        )
        return [make() for _ in range(rng.randint(0, 3))] if many else make()
    if isinstance(field, fields.List):
        return [inner(field.inner) for _ in range(rng.randint(0, 3))]
    if isinstance(field, fields.Dict):
        return {f"key{n}": inner(field.value_field or fields.Raw()) for n in range(rng.randint(0, 3))}
    if isinstance(field, fields.AwareDateTime):
        return datetimes(rng).replace(tzinfo=UTC)
    if isinstance(field, fields.DateTime):
        return datetimes(rng)
    if isinstance(field, fields.Date):
        return date(2026, rng.randint(1, 12), rng.randint(1, 28))
    if isinstance(field, fields.Time):
        return time(rng.randint(0, 23), rng.randint(0, 59))
    if isinstance(field, fields.Boolean):
        return rng.random() < 0.5
    if isinstance(field, fields.Integer):
        return rng.randint(-5, 10_000)
    if isinstance(field, fields.Float):
        return rng.choice((0.0, 0.25, 1 / 3, 4.5, 1e-7, 1e16))
    if isinstance(field, fields.Decimal):
        return decimal.Decimal("12.345")
    if isinstance(field, fields.UUID):
        return uuid.UUID(int=rng.getrandbits(128))
    if isinstance(field, fields.Enum):
        return rng.choice(list(field.enum))
    return rng.choice(("U12345", "Y56", "Zoë — café ✓", "", "national"))


def unexpected(field: fields.Field, rng: random.Random):
    """A value of another type than declared: formatting must convert it the same way."""
    if isinstance(field, fields.DateTime):
        return rng.choice((datetimes(rng).date(), "2026-01-01"))
    if isinstance(field, fields.Date):
        return datetimes(rng)  # date.isoformat(a datetime) is its date only
    if isinstance(field, (fields.Integer, fields.Float)):
        return rng.choice((True, 7.9, 3, "12", decimal.Decimal("2.5")))
    if isinstance(field, fields.String):
        return rng.choice((42, b"bytes", Colour.RED, 2.5, True))
    if isinstance(field, (fields.List, fields.Nested)):
        return rng.choice(((), {}, "text"))
    return rng.choice((0, "yes", 1.5, Colour.RED))


def value_for(field: fields.Field, rng: random.Random, depth: int):
    roll = rng.random()
    if roll < 0.12:
        return None
    if roll < 0.2 or depth > MAX_DEPTH:
        return unexpected(field, rng)
    return typical(field, rng, depth)


def sample(schema: Schema, rng: random.Random, depth: int = 0):
    """An object to dump: its keys are the fields' attributes, some left out."""
    values = {}
    for name, field in schema.dump_fields.items():
        if rng.random() < 0.12:
            continue
        values[field.attribute or name] = value_for(field, rng, depth)
    return contain(values, rng.choice(CONTAINERS))


def contain(values: dict, container: str):
    if container == "namespace":
        return SimpleNamespace(**values)
    if container == "dataclass":
        return dataclasses.make_dataclass("Sample", list(values))(**values)
    if container == "row":
        return result_tuple(list(values))(tuple(values.values()))._mapping
    return values


def complete(schema: Schema, container: str, rng: random.Random, depth: int = 0):
    """Every field present with a value of its declared kind (the usual answer)."""
    values = {
        field.attribute or name: typical(field, rng, depth, container) for name, field in schema.dump_fields.items()
    }
    return contain(values, container)


# --- The services' response schemas -----------------------------------------------------


def response_schemas() -> dict[str, type[Schema]]:
    """Every schema an endpoint answers with, as shared.openapi finds them."""
    apis = [*ENROLMENT_APIS, *SCHEDULING_APIS, *FEEDBACK_APIS, audit_api]
    found = {}
    for api in apis:
        for endpoint in api.endpoints:
            if endpoint.response is not None:
                found[f"{endpoint.response.__module__}.{endpoint.response.__name__}"] = endpoint.response
    return found


RESPONSE_SCHEMAS = response_schemas()


def test_every_service_declares_its_response_schemas():
    names = {name.rsplit(".", 1)[1] for name in RESPONSE_SCHEMAS}
    assert {
        "OfferSchema",
        "ParticipantSchema",
        "SessionSchema",
        "RosterSchema",
        "AggregateSchema",
        "NeedsRankingSchema",
        "AuditEntrySchema",
    } <= names
    assert len(RESPONSE_SCHEMAS) >= 25


@pytest.mark.parametrize("schema", list(RESPONSE_SCHEMAS.values()), ids=list(RESPONSE_SCHEMAS))
def test_fast_dump_of_generated_objects_equals_marshmallow(schema):
    rng = random.Random(schema.__name__)
    for _ in range(VARIANTS):
        obj = sample(instance(schema), rng)
        assert_same(outcome(dumper(schema), obj), outcome(instance(schema).dump, obj))


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("schema", list(RESPONSE_SCHEMAS.values()), ids=list(RESPONSE_SCHEMAS))
def test_fast_dump_of_complete_objects_equals_marshmallow(schema, container):
    rng = random.Random(f"{schema.__name__}/{container}")
    obj = complete(instance(schema), container, rng)
    fast, slow = outcome(dumper(schema), obj), outcome(instance(schema).dump, obj)
    assert_same(fast, slow)
    if container in ("dict", "row"):  # SessionSchema's local_start reads s["starts_at"]: not an attribute
        assert fast[0] == "answer", fast


@pytest.mark.parametrize("schema", list(RESPONSE_SCHEMAS.values()), ids=list(RESPONSE_SCHEMAS))
def test_fast_dump_of_pages_equals_marshmallow(schema):
    rng = random.Random(f"{schema.__name__}/page")
    items = [sample(instance(schema), rng) for _ in range(20)]
    items = [item for item in items if outcome(instance(schema).dump, item)[0] == "answer"] + [None]
    assert_same(outcome(dumper(schema, many=True), items), outcome(instance(schema, many=True).dump, items))


@pytest.mark.parametrize("schema", list(RESPONSE_SCHEMAS.values()), ids=list(RESPONSE_SCHEMAS))
def test_services_schemas_are_planned_not_handed_back(schema):
    """No response schema falls back whole, and only fields of custom classes (UtcDateTime of
    enrolment, Function, JsonReadyList) are left to their own code."""
    planned = plan(schema)
    assert planned.fallback is None
    for name in planned.delegated:
        field = instance(schema).dump_fields[name]
        assert type(field).__module__ != "marshmallow.fields" or isinstance(field, fields.Function), name


def test_respond_answers_the_same_body_as_before():
    offer_schema = RESPONSE_SCHEMAS["services.enrolment.schemas.OfferSchema"]
    rng = random.Random("respond")
    rows = [complete(instance(offer_schema), "row", rng) for _ in range(5)]
    declared = Endpoint(
        "/v1/offers",
        "GET",
        "list_offers",
        "",
        (Role.REGIONAL_ADMIN,),
        None,
        None,
        offer_schema,
        200,
        True,
        False,
        "offers",
    )
    body = _respond(declared, Page(rows, 7, 5, 0)).get_data(as_text=True)
    before = {"items": instance(offer_schema, many=True).dump(rows), "total": 7, "limit": 5, "offset": 0}
    assert body == json.dumps(before, default=str)


# --- Schemas the fast path hands back to marshmallow --------------------------------------


class Child(Schema):
    name = fields.String()
    born = fields.Date()


class WithPostDump(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {**data, "name": str(data.get("name")).upper()}


class WithPreDump(Schema):
    name = fields.String()

    @pre_dump(pass_collection=True)
    def reverse(self, data, many, **kwargs):
        return sorted(data, key=lambda item: item["name"], reverse=True) if many else data


class WithMethod(Schema):
    name = fields.String()
    greeting = fields.Method("greet")

    def greet(self, obj):
        return f"hello {obj['name']}"


class Upper(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value).upper()


class ReadsItsOwnValue(fields.String):
    def get_value(self, obj, attr, accessor=None, default=None):
        return "always"


class Parent(Schema):
    hooked = fields.Nested(WithPostDump)
    hooked_list = fields.List(fields.Nested(WithPreDump))
    methods = fields.Nested(WithMethod, many=True)
    loud = Upper()
    own = ReadsItsOwnValue()
    plucked = fields.Pluck(Child, "name")
    children = fields.Nested(Child, many=True, only=("born",))
    first = fields.Nested(lambda: Child(exclude=("born",)))


def test_a_schema_with_a_post_dump_hook_dumps_itself():
    assert plan(WithPostDump).fallback is not None
    for obj in ({"name": "ann"}, SimpleNamespace(name=None), {}):
        assert_same(outcome(dumper(WithPostDump), obj), outcome(instance(WithPostDump).dump, obj))
    assert dumper(WithPostDump)({"name": "ann"}) == {"name": "ANN"}


def test_a_schema_with_a_pre_dump_hook_on_the_collection_dumps_itself():
    assert plan(WithPreDump, many=True).fallback is not None
    items = [{"name": "a"}, {"name": "b"}]
    assert (
        dumper(WithPreDump, many=True)(items)
        == instance(WithPreDump, many=True).dump(items)
        == [{"name": "b"}, {"name": "a"}]
    )


def test_a_schema_declaring_a_method_dumps_itself_and_answers_the_same():
    """Its method might be a hook: telling would take marshmallow's internals."""
    assert plan(WithMethod).fallback == "WithMethod declares greet"
    assert (
        dumper(WithMethod)({"name": "ann"})
        == instance(WithMethod).dump({"name": "ann"})
        == {"name": "ann", "greeting": "hello ann"}
    )


def test_the_planner_reads_marshmallow_through_its_public_api_only():
    """No private attribute (`schema._hooks`, `field._serialize`, ...) and nothing but what the
    `marshmallow` package exports: an upgrade may change formatting (the tests above catch that)."""
    source = (Path(shared.dumping.__file__)).read_text()
    code = "\n".join(
        line.split("#")[0] for line in source.splitlines() if not line.lstrip().startswith(("#", '"', "-"))
    )
    assert not re.search(r"\._[A-Za-z]", code)
    assert re.findall(r"^(?:from|import) marshmallow\S*", source, re.MULTILINE) == ["from marshmallow"]


def test_nested_hooks_custom_fields_pluck_and_only_answer_the_same():
    assert set(plan(Parent).delegated) == {"loud", "own", "plucked"}
    rng = random.Random("parent")
    for _ in range(VARIANTS):
        obj = sample(instance(Parent), rng)
        assert_same(outcome(dumper(Parent), obj), outcome(instance(Parent).dump, obj))
    obj = {
        "hooked": {"name": "ann"},
        "hooked_list": [{"name": "a"}],
        "methods": [{"name": "bo"}],
        "loud": "quiet",
        "own": "ignored",
        "plucked": {"name": "cy", "born": date(2020, 1, 2)},
        "children": [{"name": "di", "born": date(2021, 3, 4)}, None],
        "first": {"name": "ed", "born": date(2022, 5, 6)},
    }
    expected = {
        "hooked": {"name": "ANN"},
        "hooked_list": [{"name": "a"}],
        "methods": [{"name": "bo", "greeting": "hello bo"}],
        "loud": "QUIET",
        "own": "always",
        "plucked": "cy",
        "children": [{"born": "2021-03-04"}, {}],  # marshmallow dumps a None item of many as {}
        "first": {"name": "ed"},
    }
    assert dumper(Parent)(obj) == instance(Parent).dump(obj) == expected


class Options(Schema):
    class Meta:
        exclude = ("secret",)
        datetimeformat = "%Y/%m/%d %H:%M"
        dateformat = "%d.%m.%Y"

    secret = fields.String()
    renamed = fields.String(data_key="shown_as")
    elsewhere = fields.Integer(attribute="source")
    deep = fields.String(attribute="inner.name")
    password = fields.String(load_only=True)
    fallback_value = fields.String(dump_default="none given")
    fallback_call = fields.Integer(dump_default=lambda: 7)
    as_text = fields.Integer(as_string=True)
    ratio_text = fields.Float(as_string=True)
    amount = fields.Decimal(places=2)
    amount_text = fields.Decimal(places=1, as_string=True)
    when = fields.DateTime()
    stamp = fields.DateTime(format="timestamp")
    rfc = fields.DateTime(format="rfc")
    day = fields.Date()
    at = fields.Time()
    ident = fields.UUID()
    email = fields.Email()
    link = fields.Url()
    colour = fields.Enum(Colour)
    level = fields.Enum(Level, by_value=True)
    level_text = fields.Enum(Level, by_value=fields.String())
    anything = fields.Raw()
    mapping = fields.Dict()
    keyed = fields.Dict(keys=fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    flags = fields.List(fields.Boolean())
    tags = fields.List(fields.String())
    fixed = fields.Constant("always")
    items = fields.String()  # a dict without it answers dict.items: marshmallow's getattr fallback
    utc = UtcDateTime()
    utc_text = UtcDateTime(format="%H:%M %z")


def options_object(rng: random.Random, container: str):
    values = {
        "secret": "hidden",
        "renamed": "r",
        "source": 3,
        "inner": {"name": "nested name"},
        "password": "never shown",
        "as_text": 12,
        "ratio_text": 0.5,
        "amount": rng.choice((1.005, "2.5", decimal.Decimal("3.14159"))),
        "amount_text": decimal.Decimal("9.99"),
        "when": datetimes(rng),
        "stamp": datetimes(rng),
        "rfc": datetimes(rng),
        "day": date(2026, 2, 3),
        "at": time(9, 30, 15),
        "ident": uuid.UUID(int=5),
        "email": "a@example.org",
        "link": "https://example.org",
        "colour": Colour.RED,
        "level": rng.choice(list(Level)),
        "level_text": rng.choice(list(Level)),
        "anything": rng.choice(({"a": [1, 2]}, datetimes(rng), None)),
        "mapping": {"a": 1},
        "keyed": {1: "one", "b": None},
        "counts": {"x": "4", "y": 5.0},
        "flags": (True, None, 0),  # a tuple: the List answers a list
        "tags": ("a", 2, Colour.RED),
        "utc": datetimes(rng),
        "utc_text": datetimes(rng),
    }
    values = {key: value for key, value in values.items() if rng.random() > 0.1}
    return contain(values, container)


@pytest.mark.parametrize("container", CONTAINERS)
def test_field_options_answer_the_same(container):
    assert plan(Options).fallback is None
    assert "secret" not in instance(Options).dump_fields and "password" not in plan(Options).delegated
    rng = random.Random(f"options/{container}")
    for _ in range(VARIANTS):
        obj = options_object(rng, container)
        assert_same(outcome(dumper(Options), obj), outcome(instance(Options).dump, obj))


def test_field_options_of_a_complete_dict():
    obj = options_object(random.Random("complete"), "dict") | {"inner": {"name": "n"}, "level": Level.LOW}
    answer = dumper(Options)(obj)
    assert answer == instance(Options).dump(obj)
    assert "password" not in answer and "secret" not in answer
    assert answer["shown_as"] == "r" and answer["elsewhere"] == 3 and answer["deep"] == "n"
    assert answer["fallback_value"] == "none given" and answer["fallback_call"] == 7 and answer["fixed"] == "always"
    assert answer["level"] == 1 and answer["colour"] == "RED"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 0, 30),
        datetime(2026, 3, 29, 0, 30, 0, 5),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 10, 25, 1, 30, fold=1),
    ],
)
def test_shared_utc_datetime_is_formatted_here_and_answers_the_same(value):
    class Stamp(Schema):
        at = UtcDateTime()

    assert plan(Stamp).delegated == ()
    assert dumper(Stamp)({"at": value}) == instance(Stamp).dump({"at": value})
    assert dumper(Stamp)({"at": value})["at"].endswith("+00:00")


@pytest.mark.parametrize("schema", [Options, Parent, WithPostDump])
def test_a_page_of_none_answers_the_same(schema):
    """Schema.dump(None, many=True) dumps None as one object."""
    assert_same(outcome(dumper(schema, many=True), None), outcome(instance(schema, many=True).dump, None))
    assert outcome(dumper(Options, many=True), None)[0] == "answer"


class Tree(Schema):
    name = fields.String()
    children = fields.List(fields.Nested(lambda: Tree()))


def test_a_schema_nesting_itself_is_planned_to_a_depth_and_answers_the_same():
    leaf = {"name": "leaf", "children": []}
    for _ in range(40):  # deeper than shared.dumping plans
        leaf = {"name": "node", "children": [leaf, None]}
    assert dumper(Tree)(leaf) == instance(Tree).dump(leaf)
