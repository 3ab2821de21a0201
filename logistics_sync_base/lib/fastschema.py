"""A fast yes for the JSON Schemas of events: ``compile_schema(schema)(event)``.

jsonschema walks a schema generically (about a third of a millisecond per
canonical event here, most of a batch's time).  This compiles the small subset of
keywords our event schemas use into plain checks that mirror jsonschema's own
(``re.search`` for ``pattern``, ``len`` for lengths, rfc3339-validator on the
upper-cased string for ``date-time``).  The answer is only ever a *yes*: when a
check returns False, or the schema uses a keyword outside the subset, the caller
asks jsonschema, which gives the errors (and may still find the event valid, e.g.
``1.0`` for an integer).  So the answers never change, only their speed.
"""

import re

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
    "required",
    "dependentRequired",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
}
_TYPES = {
    "string": (str,),
    "integer": (int,),  # not bool, not 1.0: jsonschema decides those
    "number": (int, float),
    "object": (dict,),
}


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
    checks = []
    kind = schema.get("type")
    if kind is not None:
        if kind not in _TYPES:
            raise Unsupported(kind)
        types = _TYPES[kind]
        checks.append(lambda v, types=types: type(v) in types)
    if "enum" in schema:
        values = schema["enum"]
        if not all(isinstance(value, str) for value in values):
            raise Unsupported("enum")
        allowed = frozenset(values)
        checks.append(lambda v: type(v) is str and v in allowed)
    if "minLength" in schema:
        low = schema["minLength"]
        checks.append(lambda v: type(v) is not str or len(v) >= low)
    if "maxLength" in schema:
        high = schema["maxLength"]
        checks.append(lambda v: type(v) is not str or len(v) <= high)
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda v: type(v) is not str or search(v) is not None)
    if "format" in schema:
        if schema["format"] != "date-time":
            raise Unsupported(schema["format"])
        validate = rfc3339_validator.validate_rfc3339
        checks.append(lambda v: type(v) is not str or bool(validate(v.upper())))
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda v: type(v) not in (int, float) or not v < low)
    if "maximum" in schema:
        high = schema["maximum"]
        checks.append(lambda v: type(v) not in (int, float) or not v > high)
    required = tuple(schema.get("required", ()))
    dependent = tuple(
        (key, tuple(needs)) for key, needs in schema.get("dependentRequired", {}).items()
    )
    properties = tuple((key, _compile(sub)) for key, sub in schema.get("properties", {}).items())
    if required or dependent or properties:

        def check_object(value):
            if type(value) is not dict:
                return True  # only "type" constrains non-objects
            for key in required:
                if key not in value:
                    return False
            for key, needs in dependent:
                if key in value and any(need not in value for need in needs):
                    return False
            for key, check in properties:
                if key in value and not check(value[key]):
                    return False
            return True

        checks.append(check_object)
    checks = tuple(checks)
    return lambda value: all(check(value) for check in checks)
