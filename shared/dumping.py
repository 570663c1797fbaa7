"""Response schemas dumped by a plan read once from the schema, not by marshmallow field by field.

Paged lists spent most of their dump in marshmallow's layers: for every field of every item,
`Field.serialize`, `Field.get_value`, the schema's accessor and the field's formatting, each
re-reading options that cannot change once the schema is bound (`make bench` prints what each
way costs: bench/serialisation.py). A plan reads a bound schema once, through marshmallow's
public API only (`dump_fields`, the fields' documented options and `Field.serialize`): for
each dumped field, its output key, where its value comes from and how it is formatted.
Dumping an item is then one loop over that plan.

The answer must stay exactly what `Schema.dump` answers, so a plan formats only what it can
reproduce exactly and leaves everything else to marshmallow's public code:
- a field of a stock marshmallow class (String, Integer, DateTime, Nested, List, ...) read
  by its attribute name is formatted here, as that class formats a value;
- any other field (a custom class, Function, Method, Pluck, Constant, Decimal, a dotted
  `attribute`) is serialised by its own `Field.serialize`, exactly as `Schema.dump` calls it;
- a schema whose classes declare any method (a pre_dump or post_dump hook, an override of
  `dump` or `get_attribute`, a Method field's method), or with another `dict_class`, is dumped
  by its own `Schema.dump` (and so is everything it nests).
tests/unit/test_dumping.py holds every response schema of the services to `Schema.dump`,
so an upgrade of marshmallow that formats differently fails there, not in an answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from marshmallow import Schema, fields, missing

from shared.clock import as_utc
from shared.schemas import UtcDateTime, instance

# Where marshmallow's accessor (marshmallow.utils.get_value) gives up obj[key] for getattr(obj, key).
LOOKUP_ERRORS = (KeyError, IndexError, TypeError, AttributeError)
# A schema nesting itself (Nested(lambda: Self(...))) would be planned for ever: deeper than
# this, the Nested field is left to marshmallow.
MAX_NESTING = 32
# What a schema instance may have replaced to change what `dump` answers: then it dumps itself.
DUMP_METHODS = ("dump", "get_attribute")
# The same for a field instance: then its own Field.serialize is called.
FIELD_METHODS = ("serialize", "get_value", "_serialize")


class _NoType:
    """The type of no value: a format whose `keep` is this sends every value to `apply`."""


@dataclass(frozen=True)
class Format:
    """How a field formats a value that is not None (every stock field answers None for None):
    a value of exactly type `keep` comes out as it is (str(text) is text, int(number) is number),
    any other through `apply`; `apply` None keeps every value."""

    keep: type
    apply: Callable[[Any], Any] | None

    def __call__(self, value):
        if type(value) is self.keep or value is None or self.apply is None:
            return value
        return self.apply(value)


KEEP = Format(_NoType, None)


@dataclass(frozen=True)
class Plan:
    """How one bound schema is dumped: `dump_one(obj)` answers what `schema.dump(obj, many=False)`
    answers. `fallback` says why the schema dumps itself (None: it does not); `delegated`
    names the fields serialised by their own marshmallow code."""

    schema: Schema
    dump_one: Callable[[Any], Any]
    fallback: str | None = None
    delegated: tuple[str, ...] = ()

    def dump(self, obj, many: bool):
        """`schema.dump(obj, many=many)`: as there, None with many is dumped as one object."""
        if self.fallback is not None:
            return self.schema.dump(obj, many=many)
        if many and obj is not None:
            return [self.dump_one(item) for item in obj]
        return self.dump_one(obj)


@cache
def plan(schema: type[Schema], *, many: bool = False) -> Plan:
    """The plan of the shared instance of `schema` (shared.schemas.instance)."""
    return plan_of(instance(schema, many=many))


@cache
def dumper(schema: type[Schema], *, many: bool = False) -> Callable[[Any], Any]:
    """A function answering what `instance(schema, many=many).dump(obj)` answers."""
    planned = plan(schema, many=many)
    if planned.fallback is not None:
        return planned.schema.dump
    if many:
        return lambda obj: planned.dump(obj, True)
    return planned.dump_one


def plan_of(schema: Schema, depth: int = 0) -> Plan:
    """Read a bound schema instance into a plan (its `dump_fields` already apply Meta's
    fields/exclude/load_only and the instance's only/exclude)."""
    reason = _why_schema_dumps_itself(schema)
    if reason is not None:
        return Plan(schema, lambda obj: schema.dump(obj, many=False), fallback=reason)
    steps, delegated = [], []
    for attr_name, field in schema.dump_fields.items():
        step = _formatted_step(attr_name, field, depth)
        if step is None:
            step = _delegated_step(schema, attr_name, field)
            delegated.append(attr_name)
        steps.append(step)
    return Plan(schema, _dump_one(tuple(steps)), delegated=tuple(delegated))


def _why_schema_dumps_itself(schema: Schema) -> str | None:
    for cls in type(schema).__mro__:
        if cls is object or cls.__module__.split(".")[0] == "marshmallow":
            continue
        # Hooks are methods marked by marshmallow's decorators; telling them apart needs its
        # internals, so any method at all (hook, override, a Method field's) dumps itself.
        for name, member in vars(cls).items():
            if not isinstance(member, type) and (
                callable(member) or inspect.ismethoddescriptor(member) or isinstance(member, property)
            ):
                return f"{cls.__name__} declares {name}"
    for name in DUMP_METHODS:
        if name in vars(schema):
            return f"replaces {name}"
    if schema.dict_class is not dict:
        return "dict_class is not dict"
    return None


def _output_key(attr_name: str, field: fields.Field) -> str:
    return field.data_key if field.data_key is not None else attr_name


def _formatted_step(attr_name: str, field: fields.Field, depth: int) -> tuple | None:
    """(key, name, keep, apply, default) for a field formatted here, or None."""
    name = field.attribute if field.attribute is not None else attr_name
    if "." in name:  # a path into nested objects: rare, left to marshmallow's get_value
        return None
    form = format_of(field, depth)
    if form is None:
        return None
    return (_output_key(attr_name, field), name, form.keep, form.apply, field.dump_default)


def _delegated_step(schema: Schema, attr_name: str, field: fields.Field) -> tuple:
    """A step whose value is what Schema.dump gets from the field's own `Field.serialize`."""
    accessor = schema.get_attribute

    def serialize(obj):
        return field.serialize(attr_name, obj, accessor=accessor)

    return (_output_key(attr_name, field), None, _NoType, serialize, missing)


def _dump_one(steps: tuple) -> Callable[[Any], dict]:
    """Schema.dump of one object, one step per dumped field (see Field.serialize)."""

    def dump_one(obj) -> dict:
        out = {}
        # As Schema.get_attribute (marshmallow.utils.get_value) reads a key: obj[name] when
        # obj is indexable, else (or when that fails) getattr; asked once per object, not per field.
        indexable = hasattr(obj, "__getitem__")
        for key, name, keep, apply, default in steps:
            if name is None:  # a field that serialises itself
                value = apply(obj)
                if value is not missing:
                    out[key] = value
                continue
            if indexable:
                try:
                    value = obj[name]
                except LOOKUP_ERRORS:
                    value = getattr(obj, name, missing)
            else:
                value = getattr(obj, name, missing)
            if value is missing:
                if default is missing:
                    continue
                value = default() if callable(default) else default
                if value is missing:
                    continue
            if type(value) is keep or value is None or apply is None:
                out[key] = value
            else:
                out[key] = apply(value)
        return out

    return dump_one


# --- How each stock field class formats a value ---------------------------------------------


def format_of(field: fields.Field, depth: int = 0) -> Format | None:
    """The Format of a field of a stock marshmallow class, or None when this module does not
    reproduce it (another class, Decimal, or a method replaced on the instance)."""
    if any(name in vars(field) for name in FIELD_METHODS):
        return None
    make = FORMATS.get(type(field))
    return make(field, depth) if make is not None else None


def _text(field, depth) -> Format:
    return Format(str, _as_text)


def _as_text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _uuid(field, depth) -> Format:
    return Format(str, str)


def _number(field, depth) -> Format:
    number = field.num_type
    if field.as_string:
        return Format(_NoType, lambda value: str(number(value)))
    return Format(number, number)


def _as_is(field, depth) -> Format:
    return KEEP


def _temporal(field, depth) -> Format:
    data_format = field.format or field.DEFAULT_FORMAT
    # The class's own function, not value.isoformat: date.isoformat(a datetime) is its date only.
    format_function = field.SERIALIZATION_FUNCS.get(data_format)
    if format_function is not None:
        return Format(_NoType, format_function)
    return Format(_NoType, lambda value: value.strftime(data_format))


def _utc_temporal(field, depth) -> Format:
    """shared.schemas.UtcDateTime: DateTime's format of as_utc(value)."""
    format_function = _temporal(field, depth).apply
    if format_function is not datetime.isoformat:
        return Format(_NoType, lambda value: format_function(as_utc(value)))
    return Format(_NoType, _utc_isoformat)


def _utc_isoformat(value) -> str:
    # A naive datetime is UTC: as_utc(value).isoformat() is its isoformat with +00:00, and
    # writing that directly skips replace(), which costs as much as isoformat() itself.
    if type(value) is datetime and value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return datetime.isoformat(as_utc(value))


def _enum(field, depth) -> Format | None:
    inner = format_of(field.field, depth)
    if inner is None:
        return None
    if field.by_value:
        return Format(_NoType, lambda member: inner(member.value))
    return Format(_NoType, lambda member: inner(member.name))


def _list(field, depth) -> Format | None:
    inner = format_of(field.inner, depth)
    if inner is None:  # the inner field needs attr and obj: the List serialises itself
        return None
    keep, apply = inner.keep, inner.apply
    if apply is None:
        return Format(_NoType, list)
    return Format(
        _NoType, lambda values: [each if type(each) is keep or each is None else apply(each) for each in values]
    )


def _dict(field, depth) -> Format | None:
    if field.key_field is None and field.value_field is None:
        return Format(_NoType, dict)
    key_format = KEEP if field.key_field is None else format_of(field.key_field, depth)
    value_format = KEEP if field.value_field is None else format_of(field.value_field, depth)
    if key_format is None or value_format is None:
        return None
    return Format(_NoType, _mapping(key_format, value_format, keeps_values=field.value_field is None))


def _mapping(key_format: Format, value_format: Format, *, keeps_values: bool) -> Callable[[Any], dict]:
    """How a Dict formats a mapping, with its key and value fields' formats."""

    def serialize(value) -> dict:
        keys = {key: key_format(key) for key in value}
        result = {}
        for key, item in value.items():
            if keeps_values:
                if key in keys:
                    result[keys[key]] = item
            else:
                result[keys[key]] = value_format(item)
        return result

    return serialize


def _nested(field, depth) -> Format | None:
    if depth >= MAX_NESTING:
        return None
    nested = field.schema
    many = bool(nested.many or field.many)
    planned = plan_of(nested, depth + 1)
    return Format(_NoType, lambda value: planned.dump(value, many))


FORMATS: dict[type, Callable[[fields.Field, int], Format | None]] = {
    fields.String: _text,
    fields.Email: _text,
    fields.Url: _text,
    fields.UUID: _uuid,
    fields.Integer: _number,
    fields.Float: _number,
    fields.Boolean: _as_is,
    fields.Raw: _as_is,
    fields.DateTime: _temporal,
    fields.NaiveDateTime: _temporal,
    fields.AwareDateTime: _temporal,
    fields.Date: _temporal,
    fields.Time: _temporal,
    UtcDateTime: _utc_temporal,
    fields.Enum: _enum,
    fields.List: _list,
    fields.Dict: _dict,
    fields.Nested: _nested,
}
