"""``/v1/ssh_keys``: listing, creating, reading, changing and deleting SSH keys."""

from __future__ import annotations

from typing import Any

from .. import params
from ..backend import Backend
from ..routing import Request, Response
from .common import RESOURCE_SORT_KEYS, page, selector


def is_key_name(value: Any) -> list[str]:
    """Checker: a non-empty name of at most 64 characters."""
    if not isinstance(value, str):
        return ["must be a string"]
    return [] if 0 < len(value) <= 64 else ["must be 1 to 64 characters long"]


def list_ssh_keys(backend: Backend, request: Request) -> Response:
    """GET /ssh_keys"""
    keys = backend.list_ssh_keys(name=params.one(request.query, "name"), key_fingerprint=params.one(request.query, "fingerprint"), selector=selector(request))
    return page(request, "ssh_keys", keys, RESOURCE_SORT_KEYS, lambda key: key.to_json())


def create_ssh_key(backend: Backend, request: Request) -> Response:
    """POST /ssh_keys"""
    body = params.check_body(
        request.json_object(), {"name": is_key_name, "public_key": params.is_string, "labels": params.is_labels}, required=("name", "public_key")
    )
    key = backend.create_ssh_key(body["name"], body["public_key"], body.get("labels"))
    return Response(201, {"ssh_key": key.to_json()})


def get_ssh_key(backend: Backend, request: Request) -> Response:
    """GET /ssh_keys/{id}"""
    return Response(200, {"ssh_key": backend.get_ssh_key(request.int_param("id")).to_json()})


def update_ssh_key(backend: Backend, request: Request) -> Response:
    """PUT /ssh_keys/{id}: ``name`` and ``labels`` (the labels replace the key's whole set)"""
    key_id = request.int_param("id")
    backend.get_ssh_key(key_id)
    body = params.check_body(request.json_object(), {"name": is_key_name, "labels": params.is_labels})
    return Response(200, {"ssh_key": backend.update_ssh_key(key_id, body.get("name"), body.get("labels")).to_json()})


def delete_ssh_key(backend: Backend, request: Request) -> Response:
    """DELETE /ssh_keys/{id}"""
    backend.delete_ssh_key(request.int_param("id"))
    return Response(204)
