"""The static catalogue (locations, server types, datacenters) and the project's prices.

``datacenters: removed`` (the default): ``/datacenters`` answers 410 ``deprecated_api_endpoint``,
as it has since 2026-10-01. ``present``: the API before the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import catalog, errors, params
from ..backend import Backend
from ..routing import Request, Response
from .common import page

CATALOG_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {"id": lambda item: item["id"], "name": lambda item: item["name"]}

LOCATIONS = [location.to_json() for location in catalog.LOCATIONS]
SERVER_TYPES = sorted((server_type.to_json() for server_type in catalog.SERVER_TYPES), key=lambda item: item["id"])
DATACENTERS = catalog.datacenters()


def catalog_list(key: str, items: list[dict[str, Any]]) -> Callable[[Backend, Request], Response]:
    """GET /locations, /server_types, /datacenters"""

    def handle(_backend: Backend, request: Request) -> Response:
        name = params.one(request.query, "name")
        selected = [item for item in items if name is None or item["name"] == name]
        response = page(request, key, selected, CATALOG_SORT_KEYS, lambda item: item)
        if key == "datacenters":
            response.body["recommendation"] = items[0]["id"]
        return response

    return handle


def catalog_get(key: str, items: list[dict[str, Any]]) -> Callable[[Backend, Request], Response]:
    """GET /locations/{id}, /server_types/{id}, /datacenters/{id}"""

    def handle(_backend: Backend, request: Request) -> Response:
        item_id = request.int_param("id")
        item = next((item for item in items if item["id"] == item_id), None)
        if item is None:
            raise errors.not_found(key.replace("_", " "), item_id)
        return Response(200, {key: item})

    return handle


def unless_datacenters_removed(handler: Callable[[Backend, Request], Response]) -> Callable[[Backend, Request], Response]:
    """``/datacenters``: 410 while the setting ``datacenters`` is ``removed``."""

    def handle(backend: Backend, request: Request) -> Response:
        if backend.settings.datacenters == "removed":
            raise errors.deprecated_api_endpoint("datacenters have been removed from the API: use locations instead")
        return handler(backend, request)

    return handle


def get_pricing(backend: Backend, _request: Request) -> Response:
    """GET /pricing"""
    return Response(200, {"pricing": backend.pricing.to_json()})
