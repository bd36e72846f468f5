"""API errors: one exception class carrying the HTTP status and the API's error code.

Handlers and the backend raise these; the transport turns them into the error envelope
``{"error": {"code", "message", "details"}}`` in one place. The factories below use the
status/code pairs of the Hetzner Cloud API documentation ("Errors").
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer of the API."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{message} ({code})")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The error envelope."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details if self.details is not None else {}}}


def invalid_input(fields: dict[str, list[str]], message: str | None = None) -> ApiError:
    """400 ``invalid_input`` naming each offending field in ``details.fields``."""
    if message is None:
        parts = [f"invalid input in field '{name}': {'; '.join(messages)}" for name, messages in fields.items()]
        message = ", ".join(parts) if parts else "invalid input"
    details = {"fields": [{"name": name, "messages": list(messages)} for name, messages in fields.items()]}
    return ApiError(400, "invalid_input", message, details)


def invalid_field(name: str, message: str) -> ApiError:
    """400 ``invalid_input`` for a single field."""
    return invalid_input({name: [message]})


def json_error(message: str = "invalid JSON input in request body") -> ApiError:
    """400 ``json_error``: the body is not valid JSON."""
    return ApiError(400, "json_error", message)


def unauthorized() -> ApiError:
    """401 ``unauthorized``: missing, malformed or unknown token."""
    return ApiError(401, "unauthorized", "unable to authenticate")


def forbidden(message: str = "insufficient permissions for this request") -> ApiError:
    """403 ``forbidden``."""
    return ApiError(403, "forbidden", message)


def token_readonly() -> ApiError:
    """403 ``token_readonly``: a read-only token tried to change something."""
    return ApiError(403, "token_readonly", "the token is only allowed to perform GET requests")


def resource_limit_exceeded(message: str) -> ApiError:
    """403 ``resource_limit_exceeded``: a project quota is used up."""
    return ApiError(403, "resource_limit_exceeded", message)


def not_found(resource: str | None = None, resource_id: object = None) -> ApiError:
    """404 ``not_found``."""
    if resource is None:
        return ApiError(404, "not_found", "not found")
    return ApiError(404, "not_found", f"{resource} with ID '{resource_id}' not found")


def method_not_allowed(method: str) -> ApiError:
    """405 ``method_not_allowed``."""
    return ApiError(405, "method_not_allowed", f"method {method} is not allowed for this resource")


def conflict(message: str = "the resource has changed during the request, please retry") -> ApiError:
    """409 ``conflict``."""
    return ApiError(409, "conflict", message)


def uniqueness_error(field: str, message: str) -> ApiError:
    """409 ``uniqueness_error``: a field that must be unique in the project (a server's name) is taken."""
    return ApiError(409, "uniqueness_error", message, {"fields": [{"name": field}]})


def deprecated_api_endpoint(message: str) -> ApiError:
    """410 ``deprecated_api_endpoint``."""
    return ApiError(410, "deprecated_api_endpoint", message)


def locked(resource: str = "server") -> ApiError:
    """423 ``locked``: an action is already running on the resource."""
    return ApiError(423, "locked", f"cannot perform operation because {resource} is locked")


def protected(message: str) -> ApiError:
    """423 ``protected``: the resource's protection forbids the operation."""
    return ApiError(423, "protected", message)


def rate_limit_exceeded(limit: int) -> ApiError:
    """429 ``rate_limit_exceeded``."""
    return ApiError(429, "rate_limit_exceeded", f"limit of {limit} requests per hour reached")


def server_error(message: str = "internal server error") -> ApiError:
    """500 ``server_error``."""
    return ApiError(500, "server_error", message)
