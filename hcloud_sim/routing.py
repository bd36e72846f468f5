"""Requests, responses and the route table shared by the public and the control routes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import errors

C = TypeVar("C")


@dataclass
class Request:
    """A parsed HTTP request; ``params`` are the path parameters of the matched route."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    deprecated: bool = False

    def json(self) -> Any:
        """The JSON body (None when empty); malformed JSON raises 400 ``json_error``."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise errors.json_error(f"invalid JSON input in request body: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object (an empty body counts as ``{}``)."""
        body = self.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise errors.json_error("request body must be a JSON object")
        return body

    def int_param(self, name: str) -> int:
        """A numeric path parameter."""
        return int(self.params[name])


@dataclass
class Response:
    """An answer: ``body`` None means no content."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error_response(error: errors.ApiError) -> Response:
    """The error envelope of an ``ApiError``."""
    return Response(error.status, error.to_json())


Handler = Callable[[C, Request], Response]


def deprecated(handler: Handler[C]) -> Handler[C]:
    """Mark every request the handler serves as one to a deprecated or removed endpoint (for the request log)."""

    def handle(context: C, request: Request) -> Response:
        request.deprecated = True
        return handler(context, request)

    handle.__doc__ = handler.__doc__
    return handle


class Router(Generic[C]):
    """A table of ``(method, path pattern, handler)``; ``{name}`` matches digits, ``{name:any}`` one path segment."""

    def __init__(self, routes: list[tuple[str, str, Handler[C]]]) -> None:
        self._routes = [(method, self._compile(pattern), handler) for method, pattern, handler in routes]

    @staticmethod
    def _compile(pattern: str) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+):any\}", r"(?P<\1>[^/]+)", pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>\\d{1,16})", regex)
        return re.compile(f"^{regex}/?$")

    def dispatch(self, context: C, request: Request) -> Response:
        """Run the handler of the matching route; 404 when no path matches, 405 when only the method is wrong."""
        path_matched = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if match is None:
                continue
            path_matched = True
            if method == request.method:
                request.params = match.groupdict()
                return handler(context, request)
        if path_matched:
            raise errors.method_not_allowed(request.method)
        raise errors.not_found()
