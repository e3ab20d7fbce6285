"""Schemathesis against the service's own /openapi.json: every route, fuzzed with a key its
route allows; no 5xx, and every answer as its schema says.

Written over whatever the description holds, so each route an area adds is fuzzed too
(batch bodies as NDJSON or Arrow IPC have serializers here; XML is Schemathesis' own).
The key is chosen from the route's ``x-roles`` (`auth.allow`): the operator's when admin
may call it, else a key of the first role named. Bounded and reproducible: 15 examples
per operation, derandomized, no example database.

The requests go through the suite's own TestClient (`service_api.start_api`), so the
service starts and stops with the fixture (Schemathesis' ASGI transport would start the
app's lifespan itself and keep it until the process exits); Schemathesis generates each
case and validates each answer (`case.validate_response`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from service_api import CALLERS, T0, Api, start_api

from fraudwall.platform import FixedClock, ServeSettings, create_app
from fraudwall.platform.auth import ROLES_KEY, ApiRole

#: no 5xx; a status, content type and body the route's description names
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: the caller of `service_api.CALLERS` who holds each role's key
HOLDER: dict[str, str] = {}
for _name, (_agency, _kind, _institution, _role) in CALLERS.items():
    HOLDER.setdefault(_role, _name)


def ndjson_body(context: Any, value: Any) -> bytes:
    """A batch body as NDJSON: one JSON record a line (text as it is)."""
    if isinstance(value, str | bytes):
        return value.encode() if isinstance(value, str) else value
    records = value if isinstance(value, list) else [value]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def arrow_body(context: Any, value: Any) -> bytes:
    """A batch body as an Arrow IPC stream, when the generated records make a table (else
    bytes that are not one, which the service must refuse with a 4xx)."""
    records = value if isinstance(value, list) else [value]
    try:
        table = pa.Table.from_pylist([r for r in records if isinstance(r, dict)])
    except (pa.ArrowException, TypeError, ValueError, OverflowError):  # e.g. an int past 64 bits
        return json.dumps(value, default=str).encode()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


NDJSON = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
)
schemathesis.serializer(*NDJSON)(ndjson_body)
schemathesis.serializer("application/vnd.apache.arrow.stream")(arrow_body)


def _description() -> dict[str, Any]:
    """The app's OpenAPI description (it does not depend on where the app keeps its data)."""
    with tempfile.TemporaryDirectory(prefix="fraudwall-openapi-") as scratch:
        app = create_app(ServeSettings(data_dir=Path(scratch)))
        try:
            return app.openapi()
        finally:
            app.state.service.db.close()


schema = schemathesis.openapi.from_dict(_description())


@pytest.fixture(scope="module")
def fuzzed_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The service on SQLite with every caller's key and the small registry."""
    data = tmp_path_factory.mktemp("schemathesis") / "data"
    yield from start_api(ServeSettings(data_dir=data, snapshot_interval_s=0), FixedClock(T0))


def caller_for(operation: Any) -> str:
    """A caller whose role the operation allows (the admin when it may); the admin for a
    route that names no role (health, metrics: open to all)."""
    roles = operation.definition.raw.get(ROLES_KEY) or [ApiRole.ADMIN.value]
    return HOLDER[ApiRole.ADMIN.value if ApiRole.ADMIN.value in roles else roles[0]]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_route_answers_within_its_schema_and_never_5xx(case: Any, fuzzed_api: Api) -> None:
    headers = fuzzed_api.as_(caller_for(case.operation))
    request = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    request.pop("cookies", None)
    if isinstance(request.get("data"), bytes | str):  # requests' raw body is httpx' content
        request["content"] = request.pop("data")
    response = fuzzed_api.client.request(**request)
    case.validate_response(response, checks=CHECKS)


def _operations() -> list[tuple[str, str, list[str]]]:
    """Every /v1 operation of the description: (method, path, roles named)."""
    found = []
    for path, item in _description()["paths"].items():
        for method, operation in item.items():
            if path.startswith("/v1/") and isinstance(operation, dict):
                found.append((method.upper(), path, list(operation.get(ROLES_KEY) or [])))
    return found


OPERATIONS = _operations()


@pytest.mark.parametrize(
    ("method", "path", "roles"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_route_names_its_roles_and_refuses_everyone_else(
    method: str, path: str, roles: list[str], fuzzed_api: Api
) -> None:
    """Fail closed, checked over the whole description: a role named, no key a 401, a key
    of a role not named a 403 that names the roles that may."""
    assert roles, f"{method} {path} names no role (auth.allow)"
    url = path.replace("{", "").replace("}", "")  # any value: refused before it is read
    r = fuzzed_api.client.request(method, url)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["problem"].startswith("an API key is needed")
    others = [c for c, (_a, _k, _i, role) in CALLERS.items() if role not in roles]
    if others:
        r = fuzzed_api.client.request(method, url, headers=fuzzed_api.as_(others[0]))
        assert r.status_code == 403, r.text
        assert f"needs the role {' or '.join(roles)}" in r.json()["error"]["problem"]


def test_batch_bodies_are_generated_as_ndjson_and_arrow() -> None:
    """A route taking NDJSON or Arrow IPC (ingest) is fuzzed with such bodies, not refused
    by Schemathesis as a media type it cannot write."""
    batch = {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}},
             "required": ["n"]}, "minItems": 2}  # fmt: skip
    content = {t: {"schema": batch} for t in (NDJSON[0], "application/vnd.apache.arrow.stream")}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "batch", "version": "1"},
        "paths": {"/batch": {"post": {"requestBody": {"required": True, "content": content},
                                      "responses": {"200": {"description": "ok"}}}}},
    }  # fmt: skip
    operation = next(iter(schemathesis.openapi.from_dict(doc).get_all_operations())).ok()
    for media_type in content:
        case = operation.Case(body=[{"n": 1}, {"n": 2}], media_type=media_type)
        body = case.as_transport_kwargs(base_url="http://testserver")["data"]
        if media_type == NDJSON[0]:
            assert body == b'{"n": 1}\n{"n": 2}\n'
        else:
            assert pa.ipc.open_stream(body).read_all().to_pylist() == [{"n": 1}, {"n": 2}]
