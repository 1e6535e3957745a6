"""A small JSON Schema validator for the subset our project schema uses.

Supported keywords: type (one or a list), const, enum, properties, required,
additionalProperties (bool or schema), items (one schema), minItems, maxItems, minLength,
minimum, maximum, exclusiveMinimum, pattern, $ref to "#/$defs/...". Anything else in a schema
is a programming error (`ValueError`), so the schema file cannot silently use a keyword this
code ignores. Written instead of depending on `jsonschema` because the subset is small and the
messages should be ours: the first problem, with a path like `pairs[3].keypoints[0].photo`.
"""

from __future__ import annotations

import math
import re
from typing import Any

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "default", "examples", "$comment"}
_KNOWN = _ANNOTATIONS | {"type", "const", "enum", "properties", "required", "additionalProperties",
                         "items", "minItems", "maxItems", "minLength", "minimum", "maximum",
                         "exclusiveMinimum", "pattern", "$ref"}


class SchemaViolation(ValueError):
    """The instance does not follow the schema; `where` is the path to the offending value."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where or "(top level)"
        self.message = message
        super().__init__(f"{self.where}: {message}")


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Raise SchemaViolation for the first place `instance` breaks `schema`."""
    _Validator(schema).check(instance, schema, "")


class _Validator:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def check(self, value: Any, schema: dict[str, Any], where: str) -> None:
        unknown = set(schema) - _KNOWN
        if unknown:
            raise ValueError(f"schema keyword(s) not supported: {sorted(unknown)}")
        if "$ref" in schema:
            self.check(value, self._resolve(schema["$ref"]), where)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, t) for t in types):
                raise SchemaViolation(where, f"expected {' or '.join(types)}, found {_describe(value)}")
        if "const" in schema and not _same(value, schema["const"]):
            raise SchemaViolation(where, f"expected {schema['const']!r}, found {_short(value)}")
        if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
            options = ", ".join(repr(o) for o in schema["enum"])
            raise SchemaViolation(where, f"expected one of {options}, found {_short(value)}")
        if isinstance(value, dict):
            self._object(value, schema, where)
        elif isinstance(value, list):
            self._array(value, schema, where)
        elif isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                raise SchemaViolation(where, "must not be empty" if schema["minLength"] == 1
                                      else f"shorter than {schema['minLength']} characters")
            if "pattern" in schema and re.search(schema["pattern"], value) is None:
                raise SchemaViolation(where, f"{_short(value)} does not match {schema['pattern']}")
        elif _is_type(value, "number"):
            self._number(value, schema, where)

    def _object(self, value: dict[str, Any], schema: dict[str, Any], where: str) -> None:
        for key in schema.get("required", ()):
            if key not in value:
                raise SchemaViolation(where, f"missing required field {key!r}")
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key in properties:
                self.check(item, properties[key], path)
            elif additional is False:
                raise SchemaViolation(where, f"unknown field {key!r}")
            elif isinstance(additional, dict):
                self.check(item, additional, path)

    def _array(self, value: list[Any], schema: dict[str, Any], where: str) -> None:
        if len(value) < schema.get("minItems", 0):
            raise SchemaViolation(where, f"expected at least {schema['minItems']} items, found {len(value)}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaViolation(where, f"expected at most {schema['maxItems']} items, found {len(value)}")
        if "items" in schema:
            for i, item in enumerate(value):
                self.check(item, schema["items"], f"{where}[{i}]")

    @staticmethod
    def _number(value: float, schema: dict[str, Any], where: str) -> None:
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaViolation(where, f"{value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaViolation(where, f"{value} is above the maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            raise SchemaViolation(where, f"{value} must be greater than {schema['exclusiveMinimum']}")

    def _resolve(self, ref: str) -> dict[str, Any]:
        prefix = "#/$defs/"
        if not ref.startswith(prefix) or ref[len(prefix):] not in self.root.get("$defs", {}):
            raise ValueError(f"unsupported or unknown $ref {ref!r}")
        return self.root["$defs"][ref[len(prefix):]]


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        try:
            number = float(value)
        except OverflowError:  # an integer literal beyond any float: no coordinate or count
            return False
        if not math.isfinite(number):
            return False
        return name == "number" or isinstance(value, int) or number.is_integer()
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise ValueError(f"unknown JSON Schema type {name!r}")


def _same(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _describe(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
