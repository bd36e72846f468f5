"""``/v1/images``: listing, reading, changing, protecting and deleting images."""

from __future__ import annotations

from collections.abc import Callable

from .. import errors, params
from ..backend import Backend, Image
from ..routing import Request, Response
from .common import RESOURCE_SORT_KEYS, page, selector

IMAGE_TYPES = ("system", "app", "snapshot", "backup")
IMAGE_STATUSES = ("available", "creating", "unavailable")


def _image_filter(request: Request) -> Callable[[Image], bool]:
    query = request.query
    types = params.enum_list(query, "type", IMAGE_TYPES)
    statuses = params.enum_list(query, "status", IMAGE_STATUSES)
    bound_to = params.int_list(query, "bound_to")
    name = params.one(query, "name")
    architecture = params.one(query, "architecture")
    if architecture not in (None, "x86", "arm"):
        raise errors.invalid_field("architecture", "must be one of x86, arm")
    include_deprecated = params.boolean(query, "include_deprecated", False)
    labels = selector(request)

    def matches(image: Image) -> bool:
        return (
            (not types or image.type in types)
            and (not statuses or image.status in statuses)
            and (not bound_to or image.bound_to in bound_to)
            and (name is None or image.name == name)
            and (architecture is None or image.architecture == architecture)
            and (include_deprecated or image.deprecated is None)
            and (labels is None or labels.matches(image.labels))
        )

    return matches


def list_images(backend: Backend, request: Request) -> Response:
    """GET /images"""
    return page(request, "images", backend.list_images(_image_filter(request)), RESOURCE_SORT_KEYS, lambda image: image.to_json())


def get_image(backend: Backend, request: Request) -> Response:
    """GET /images/{id}"""
    return Response(200, {"image": backend.get_image(request.int_param("id")).to_json()})


def update_image(backend: Backend, request: Request) -> Response:
    """PUT /images/{id}"""
    image_id = request.int_param("id")
    backend.get_image(image_id)
    body = params.check_body(request.json_object(), {"description": params.is_string, "type": params.one_of("snapshot"), "labels": params.is_labels})
    image = backend.update_image(image_id, body.get("description"), body.get("type"), body.get("labels"))
    return Response(200, {"image": image.to_json()})


def delete_image(backend: Backend, request: Request) -> Response:
    """DELETE /images/{id}"""
    backend.delete_image(request.int_param("id"))
    return Response(204)


def change_image_protection(backend: Backend, request: Request) -> Response:
    """POST /images/{id}/actions/change_protection"""
    image_id = request.int_param("id")
    current = backend.get_image(image_id)
    body = params.check_body(request.json_object(), {"delete": params.is_boolean})
    action = backend.change_image_protection(image_id, body.get("delete", current.protected))
    return Response(201, {"action": action.to_json()})
