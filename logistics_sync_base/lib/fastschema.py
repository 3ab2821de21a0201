"""A fast yes for our JSON Schemas: ``compile_schema(schema)(value)``.

jsonschema walks a schema generically (about a third of a millisecond per
canonical event here, most of a batch's time).  This compiles the small subset of
keywords our schemas use (the events', the TMS shipment request's) into plain checks that mirror jsonschema's own
(``re.search`` for ``pattern``, ``len`` for lengths, rfc3339-validator on the
upper-cased string for ``date-time``, a real calendar date for ``date``).  The answer is only ever a *yes*: when a
check returns False, or the schema uses a keyword outside the subset, the caller
asks jsonschema, which gives the errors (and may still find the event valid, e.g.
``1.0`` for an integer).  So the answers never change, only their speed.
"""

import re
from datetime import date

import rfc3339_validator

# keywords that do not constrain a value (annotations)
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "contentEncoding",
        "contentMediaType",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_SUPPORTED = _ANNOTATIONS | {
    "type",
    "properties",
    "additionalProperties",
    "required",
    "dependentRequired",
    "enum",
    "const",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "items",
    "minItems",
    "maxItems",
}
_TYPES = {
    "string": (str,),
    "integer": (int,),  # not bool, not 1.0: jsonschema decides those
    "number": (int, float),
    "object": (dict,),
    "array": (list,),
    "boolean": (bool,),
    "null": (type(None),),
}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _is_date(value):
    """jsonschema's ``date``: YYYY-MM-DD that is a real calendar date."""
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_time(value):
    """jsonschema's ``date-time`` (with rfc3339-validator installed)."""
    return rfc3339_validator.validate_rfc3339(value.upper())


# the formats checked here exactly as jsonschema's format checker does; any other
# format makes the schema go to jsonschema (never a "yes" a format forbids)
_FORMATS = {"date": _is_date, "date-time": _is_date_time}


class Unsupported(Exception):
    """The schema uses a keyword the fast check does not compile."""


def _never(_value):
    return False


def compile_schema(schema):
    """A function ``value -> bool``: True only when jsonschema would find no error.

    A schema with a keyword outside the subset compiles to a function that always
    answers False (every value then goes to jsonschema)."""
    try:
        return _compile(schema)
    except Unsupported:
        return _never


def _compile(schema):
    if not isinstance(schema, dict) or set(schema) - _SUPPORTED:
        raise Unsupported(schema)
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else kind
    if kinds is not None and not (isinstance(kinds, list) and set(kinds) <= set(_TYPES)):
        raise Unsupported(kind)
    types = None if kinds is None else tuple(t for k in kinds for t in _TYPES[k])
    enum = None
    if "enum" in schema:
        if not all(isinstance(value, str) for value in schema["enum"]):
            raise Unsupported("enum")
        enum = frozenset(schema["enum"])
    low_len, high_len = schema.get("minLength"), schema.get("maxLength")
    search = re.compile(schema["pattern"]).search if "pattern" in schema else None
    fmt = schema.get("format")
    if fmt is not None and fmt not in _FORMATS:
        raise Unsupported(fmt)  # jsonschema's format checker decides
    format_ok = _FORMATS.get(fmt)
    low, high = schema.get("minimum"), schema.get("maximum")
    above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    has_const, const = "const" in schema, schema.get("const")
    if has_const and type(const) not in (str, int):
        raise Unsupported("const")  # 1 == True == 1.0: jsonschema decides those
    closed = schema.get("additionalProperties", True)
    if not isinstance(closed, bool):
        raise Unsupported("additionalProperties")
    items = schema.get("items")
    if items is not None and not isinstance(items, dict):
        raise Unsupported("items")
    items = None if items is None else _compile(items)
    low_items, high_items = schema.get("minItems"), schema.get("maxItems")
    required = tuple(schema.get("required", ()))
    dependent = tuple(
        (key, tuple(needs)) for key, needs in schema.get("dependentRequired", {}).items()
    )
    properties = tuple((key, _compile(sub)) for key, sub in schema.get("properties", {}).items())
    known = None if closed else frozenset(key for key, _sub in properties)

    def check(value):
        value_type = type(value)
        if types is not None and value_type not in types:
            return False
        if enum is not None and (value_type is not str or value not in enum):
            return False
        if has_const and (value_type is not type(const) or value != const):
            return False
        if value_type is str:
            if low_len is not None and len(value) < low_len:
                return False
            if high_len is not None and len(value) > high_len:
                return False
            if search is not None and search(value) is None:
                return False
            if format_ok is not None and not format_ok(value):
                return False
        elif value_type is int or value_type is float:
            if low is not None and value < low:
                return False
            if high is not None and value > high:
                return False
            if above is not None and value <= above:
                return False
            if below is not None and value >= below:
                return False
        elif value_type is list:
            if low_items is not None and len(value) < low_items:
                return False
            if high_items is not None and len(value) > high_items:
                return False
            if items is not None:
                for item in value:
                    if not items(item):
                        return False
        elif value_type is dict:
            for key in required:
                if key not in value:
                    return False
            for key, needs in dependent:
                if key in value:
                    for need in needs:
                        if need not in value:
                            return False
            if known is not None and not known.issuperset(value):
                return False
            for key, sub in properties:
                if key in value and not sub(value[key]):
                    return False
        return True

    return check
