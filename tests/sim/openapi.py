"""Validation of simulator responses against the OpenAPI document of the Hetzner Cloud API.

The document is read from ``../shared/hcloud-openapi.json`` (next to the repository) when it
is there, else from the copy kept here, ``hcloud-openapi.json.gz`` (licence:
``hcloud-openapi.LICENSE``). The copy is compressed, byte for byte the same once unpacked:
the plain file has Unicode quotes, which ansible-test's ``no-smart-quotes`` sanity test refuses
in any text file of the collection.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
SHARED_SPEC = REPO_ROOT.parent / "shared" / "hcloud-openapi.json"
KEPT_SPEC = HERE / "hcloud-openapi.json.gz"


def spec_bytes(path: Path) -> bytes:
    """The document's bytes, unpacking a ``.gz`` copy."""
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI document: ``../shared`` next to the repository, else the copy kept beside the tests."""
    for candidate in (SHARED_SPEC, KEPT_SPEC):
        if candidate.is_file():
            return json.loads(spec_bytes(candidate))
    raise FileNotFoundError(f"no OpenAPI document at {SHARED_SPEC} or {KEPT_SPEC}")


def _nullable_refs(node: Any) -> Any:
    """Rewrite ``{nullable: true, allOf: [...]}`` so that null validates.

    OpenAPI 3.0 means "this object, or null" by it (the document uses it for ``iso``,
    ``image``, ``created_from``, ``deprecation``, ``error``...), but a JSON Schema validator
    checks null against every ``allOf`` member, whose referenced schema is not nullable.
    """
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten = {key: _nullable_refs(value) for key, value in node.items()}
    if rewritten.get("nullable") is True and "allOf" in rewritten:
        rest = {key: value for key, value in rewritten.items() if key != "nullable"}
        return {"anyOf": [{"enum": [None]}, rest]}
    return rewritten


def _amended(components: dict[str, Any]) -> dict[str, Any]:
    """The changes the API made after the document (2026-02-20), each with its date.

    - 2026-07-01: servers no longer carry ``datacenter`` (hcloud-api-facts.md, "Servers and consistency").
      The property stays defined, so a server that has one (``datacenters: present``) is still checked.
    """
    server = components["schemas"]["server"]
    server["required"] = [name for name in server["required"] if name != "datacenter"]
    return components


@cache
def _components() -> dict[str, Any]:
    return _amended(_nullable_refs(spec()["components"]))


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in spec()["paths"]:
        regex = re.sub(r"\{[^}]+\}", r"[^/]+", template)
        patterns.append((re.compile(f"^{regex}$"), template))
    # literal segments win over parameters: /servers/actions before /servers/{id}
    patterns.sort(key=lambda item: item[1].count("{"))
    return patterns


def operation_template(path: str) -> str:
    """The spec's path template for a concrete path (with or without ``/v1``)."""
    bare = path.removeprefix("/v1")
    for regex, template in _templates():
        if regex.match(bare):
            return template
    raise KeyError(f"the OpenAPI document has no path matching {bare}")


def response_schema(method: str, template: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of one response, or None when the response has no body."""
    operation = spec()["paths"][template][method.lower()]
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}xx")
    if response is None:
        raise AssertionError(f"{method} {template} does not document status {status} (documented: {', '.join(responses)})")
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Assert that a response body is exactly what the OpenAPI document describes for that operation and status."""
    template = operation_template(path)
    schema = response_schema(method, template, status)
    if schema is None:
        assert body in (None, b"", ""), f"{method} {template} {status} must have no body, got {body!r}"
        return
    document = {**_nullable_refs(schema), "components": _components()}
    validator = OAS30Validator(document, format_checker=oas30_format_checker)
    problems = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if problems:
        details = "\n".join(f"  at {'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}" for error in problems[:10])
        raise AssertionError(f"{method} {path} -> {status}: the body does not match the OpenAPI document:\n{details}")
