"""The HTTP transport: one threaded server, one handler, and the request pipeline.

For a public request (anything outside ``/_sim``) the pipeline is: added latency, bearer
token (401), rate limit (429), read-only token on a write (403 ``token_readonly``), fault rule,
route, error envelope, headers
(``X-Correlation-Id``, ``RateLimit-*``), request log. Control requests (``/_sim/...``) need
the full token (not a read-only one) but skip latency, rate limit, faults and the log.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import __version__, api, errors
from .control import routes as control_routes
from .faults import FaultRule
from .ratelimit import RateLimitState
from .requestlog import LoggedRequest
from .routing import Request, Response, error_response
from .simulator import Options, Simulator
from .state_specs import InitialState

LOG = logging.getLogger(__name__)

PUBLIC_ROUTER = api.build_router()
CONTROL_ROUTER = control_routes.build_router()
READ_METHODS = ("GET", "HEAD")


class SimHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the ``Simulator`` it serves."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        super().__init__((sim.options.host, sim.options.port), SimRequestHandler)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` (without ``/v1``)."""
        host, port = self.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"


class SimRequestHandler(BaseHTTPRequestHandler):
    """Parses each request and runs it through the public or the control pipeline."""

    protocol_version = "HTTP/1.1"
    server_version = f"hcloud_sim/{__version__}"
    timeout = 300
    server: SimHTTPServer

    def do_GET(self) -> None:
        """Handle GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Handle POST."""
        self._dispatch()

    def do_PUT(self) -> None:
        """Handle PUT."""
        self._dispatch()

    def do_DELETE(self) -> None:
        """Handle DELETE."""
        self._dispatch()

    def do_PATCH(self) -> None:
        """Handle PATCH."""
        self._dispatch()

    def log_message(self, format: str, *args: object) -> None:
        """Keep stderr quiet; requests are recorded in the request log instead."""

    # ------------------------------------------------------------------ pipeline

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(error_response(errors.json_error("unreadable request body (bad Content-Length or chunk size)")), secrets.token_hex(8))
            return
        request = Request(self.command, url.path, parse_qs(url.query, keep_blank_values=True), body)
        if request.path == "/_sim" or request.path.startswith("/_sim/"):
            self._control(request)
        else:
            self._public(request)

    def _control(self, request: Request) -> None:
        sim = self.server.sim
        try:
            if self._authenticate(sim)[0] != "full":
                raise errors.unauthorized()
            response = CONTROL_ROUTER.dispatch(sim, request)
        except errors.ApiError as exc:
            response = error_response(exc)
        except Exception:  # the simulator must answer even when it has a bug
            LOG.exception("control request %s %s failed", request.method, request.path)
            response = error_response(errors.server_error())
        self._send(response, secrets.token_hex(8))

    def _public(self, request: Request) -> None:
        sim = self.server.sim
        correlation_id = secrets.token_hex(8)
        if sim.options.latency_ms:
            time.sleep(sim.options.latency_ms / 1000)
        limit: RateLimitState | None = None
        rule: FaultRule | None = None
        try:
            try:
                access, token = self._authenticate(sim)
            except errors.ApiError:
                limit = sim.bucket.peek()
                raise
            limit = sim.bucket_for(token).take()
            if not limit.allowed:
                raise errors.rate_limit_exceeded(limit.limit)
            if access == "read" and request.method not in READ_METHODS:
                raise errors.token_readonly()
            rule = sim.faults.take(request.method, request.path)
            response = self._route_with_fault(sim, request, rule)
        except errors.ApiError as exc:
            response = error_response(exc)
        if rule is not None and rule.mode == "drop":
            self.close_connection = True
            self._log(sim, request, None, limit, correlation_id, rule)
            return
        if limit is not None:
            response.headers.update(limit.headers())
        # Logged before the answer leaves: a client that reads the log once it has its answer finds its request.
        self._log(sim, request, response.status, limit, correlation_id, rule)
        self._send(response, correlation_id)

    def _route_with_fault(self, sim: Simulator, request: Request, rule: FaultRule | None) -> Response:
        if rule is not None and rule.mode == "delay":
            time.sleep(rule.delay_ms / 1000)
        if rule is not None and rule.mode == "respond":
            raise rule.error()
        try:
            response = PUBLIC_ROUTER.dispatch(sim.backend, request)
        except errors.ApiError as exc:
            response = error_response(exc)
        except Exception:  # the simulator must answer even when it has a bug
            LOG.exception("public request %s %s failed", request.method, request.path)
            response = error_response(errors.server_error())
        if rule is not None and rule.mode == "after_commit":
            return error_response(rule.error())
        return response

    def _authenticate(self, sim: Simulator) -> tuple[str, str]:
        """``full`` for a token that may write, ``read`` for a read-only token, and the token; 401 for anything else."""
        header = self.headers.get("Authorization", "")
        scheme, _space, token = header.partition(" ")
        access = sim.access_of(token.strip()) if scheme.lower() == "bearer" else None
        if access is None:
            raise errors.unauthorized()
        return access, token.strip()

    # ------------------------------------------------------------------ wire

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: Response, correlation_id: str) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Correlation-Id", correlation_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _log(self, sim: Simulator, request: Request, status: int | None, limit: RateLimitState | None, correlation_id: str, rule: FaultRule | None) -> None:
        entry = LoggedRequest(
            time=datetime.fromtimestamp(sim.clock.now(), tz=UTC).isoformat(timespec="milliseconds"),
            method=request.method,
            path=request.path,
            query=request.query,
            status=status,
            rate_limit_remaining=limit.remaining if limit else None,
            correlation_id=correlation_id,
            fault=rule.mode if rule else None,
            deprecated=request.deprecated,
        )
        sim.requests.append(entry)


def create_server(options: Options, state: InitialState) -> SimHTTPServer:
    """A bound, not yet serving, simulator HTTP server."""
    return SimHTTPServer(Simulator(options, state))
