"""OpenAPI descriptions of bodies the domain types already define, and their encoding.

Routes that take or give `model` records (and the msgspec structs built on them) describe
them with the records' own JSON Schema (`record_schema`, from msgspec), inlined, so the
one definition of a type is also its definition in /openapi.json; `json_response`
encodes such a body with msgspec (a batch's 50,000 decisions are not copied into pydantic
models first).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from fastapi import Response

ERROR_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "where": {"type": "string"},
                "problem": {"type": "string"},
                "hint": {"type": "string"},
            },
            "required": ["where", "problem"],
        },
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["error"],
}
"""The service's one error body (`platform.errors`)."""

_encoder = msgspec.json.Encoder()


def record_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of a msgspec type with its definitions inlined (OpenAPI resolves
    ``$ref`` against the whole document, not the schema)."""
    schema = msgspec.json.schema(tp)
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    out: dict[str, Any] = inline(schema)
    return out


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Error responses in the one error shape, for a route's `responses`."""
    words = {
        401: "no key, or an unknown, expired or revoked one",
        403: "the key's role may not call this",
        404: "no such record, or none the caller may see",
        409: "conflicts with what is stored",
        413: "over the service's limits",
        415: "a body in a form this route does not read",
        422: "a field or parameter that is wrong, named",
        503: "the database refused: retry (a repeat is recognised)",
    }
    return {s: json_body(ERROR_SCHEMA, words[s]) for s in statuses}


def json_response(value: Any, status_code: int = 200) -> Response:
    """A msgspec-encodable value as the JSON response."""
    return Response(_encoder.encode(value), status_code=status_code, media_type="application/json")


__all__ = ["ERROR_SCHEMA", "errors", "json_body", "json_response", "record_schema"]
