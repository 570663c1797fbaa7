"""Response schemas dumped by a plan read once from the schema, not by marshmallow field by field.

Paged lists spent about half their time in `Schema.dump`: for every field of every item it
calls `Field.serialize`, `Field.get_value`, the schema's accessor and the field's `_serialize`,
re-reading options that cannot change once the schema is bound. A plan reads a bound schema
once: for each dumped field, its output key, where its value comes from and what its
`_serialize` does to it. Dumping an item is then one loop over that plan.

The answer must stay exactly what marshmallow answers, so a plan only formats what it can
reproduce exactly and hands everything else back to marshmallow's own code:
- a field of a stock marshmallow class (String, Integer, DateTime, Nested, List, ...) is
  formatted here, as its class's `_serialize` does;
- any other field (a custom `_serialize`, Function, Method, Pluck, Constant, a dotted
  `attribute`) is serialised by its own `Field.serialize`, exactly as `Schema.dump` calls it;
- a schema with pre_dump/post_dump hooks, or one that changes how it dumps or reads values,
  is dumped by its own `Schema.dump` (and so is everything it nests).
tests/unit/test_dumping.py holds every response schema of the services to `Schema.dump`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from marshmallow import Schema, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import ensure_text_type, get_value

from shared.clock import as_utc
from shared.schemas import UtcDateTime, instance

# Where marshmallow's accessor (utils._get_value_for_key) gives up obj[key] for getattr(obj, key).
LOOKUP_ERRORS = (KeyError, IndexError, TypeError, AttributeError)
# A schema nesting itself (Nested(lambda: Self(...))) would be planned for ever: deeper than
# this, the Nested field is left to marshmallow.
MAX_NESTING = 32
# What a Schema subclass may override to change what `dump` answers; any of them, and the
# schema dumps itself.
DUMP_METHODS = ("dump", "_serialize", "get_attribute")
# The same for a field, set on the instance rather than the class.
FIELD_METHODS = ("serialize", "get_value", "_serialize")


class _NoType:
    """The type of no value: a format whose `keep` is this sends every value to `apply`."""


@dataclass(frozen=True)
class Format:
    """What a field's `_serialize` does to a value that is not None (it answers None for None):
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
        """`schema.dump(obj, many=many)`: as Schema._serialize, None with many is one object."""
        if self.fallback is not None:
            return self.schema.dump(obj, many=many)
        if many and obj is not None:
            return [self.dump_one(item) for item in obj]
        return self.dump_one(obj)


@lru_cache(maxsize=None)
def plan(schema: type[Schema], *, many: bool = False) -> Plan:
    """The plan of the shared instance of `schema` (shared.schemas.instance)."""
    return plan_of(instance(schema, many=many))


@lru_cache(maxsize=None)
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
    hooks = schema._hooks
    if hooks.get(PRE_DUMP) or hooks.get(POST_DUMP):
        return "pre_dump or post_dump hooks"
    for name in DUMP_METHODS:
        if getattr(type(schema), name) is not getattr(Schema, name) or name in vars(schema):
            return f"overrides {name}"
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
    """A step whose value is what Schema._serialize gets from the field's own code."""
    if _only_serialize_is_own(field):
        serialize = _own_serialize(attr_name, field)
    else:
        accessor = schema.get_attribute

        def serialize(obj):
            return field.serialize(attr_name, obj, accessor=accessor)

    return (_output_key(attr_name, field), None, _NoType, serialize, missing)


def _only_serialize_is_own(field: fields.Field) -> bool:
    """Whether the field gets its value as every field does (Field.serialize, Field.get_value)."""
    cls = type(field)
    inherited = cls.serialize is fields.Field.serialize and cls.get_value is fields.Field.get_value
    return inherited and "serialize" not in vars(field) and "get_value" not in vars(field)


def _own_serialize(attr_name: str, field: fields.Field) -> Callable[[Any], Any]:
    """Field.serialize without its layers of calls: the value got as the schema's accessor gets
    it (the schema does not override get_attribute), then the field's own _serialize."""
    serialize = field._serialize
    if not field._CHECK_ATTRIBUTE:  # Function, Method, Constant: they read obj themselves
        return lambda obj: serialize(None, attr_name, obj)
    name = field.attribute if field.attribute is not None else attr_name
    default = field.dump_default

    def serialize_value(obj):
        value = get_value(obj, name, missing)
        if value is missing:
            value = default() if callable(default) else default
            if value is missing:
                return missing
        return serialize(value, attr_name, obj)

    return serialize_value


def _dump_one(steps: tuple) -> Callable[[Any], dict]:
    """Schema._serialize of one object, one step per dumped field (see Field.serialize)."""

    def dump_one(obj) -> dict:
        out = {}
        indexable = hasattr(obj, "__getitem__")  # marshmallow asks for every key; same object, same answer
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


# --- What each stock field class's _serialize does -------------------------------------------


def format_of(field: fields.Field, depth: int = 0) -> Format | None:
    """The Format of a field of a stock marshmallow class, or None when this module does not
    reproduce it (another class, or a method replaced on the instance)."""
    if any(name in vars(field) for name in FIELD_METHODS):
        return None
    make = FORMATS.get(type(field))
    return make(field, depth) if make is not None else None


def _text(field, depth) -> Format:
    return Format(str, ensure_text_type)


def _uuid(field, depth) -> Format:
    return Format(str, str)


def _number(field, depth) -> Format:
    number = field.num_type
    if field.as_string:
        return Format(_NoType, lambda value: str(number(value)))
    return Format(number, number)


def _decimal(field, depth) -> Format:
    # Decimal's _serialize reads neither attr nor obj: its own code, without the layers around it.
    serialize = field._serialize
    return Format(_NoType, lambda value: serialize(value, None, None))


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
    return Format(_NoType, lambda values: [each if type(each) is keep or each is None else apply(each) for each in values])


def _dict(field, depth) -> Format | None:
    if field.key_field is None and field.value_field is None:
        return Format(_NoType, dict)
    key_format = KEEP if field.key_field is None else format_of(field.key_field, depth)
    value_format = KEEP if field.value_field is None else format_of(field.value_field, depth)
    if key_format is None or value_format is None:
        return None
    return Format(_NoType, _mapping(key_format, value_format, keeps_values=field.value_field is None))


def _mapping(key_format: Format, value_format: Format, *, keeps_values: bool) -> Callable[[Any], dict]:
    """Mapping._serialize with its key and value fields' formats."""

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
    fields.Decimal: _decimal,
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
