"""One simulator instance: its options and the parts the transport and the routes share."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from .backend import Backend
from .clock import Clock
from .faults import FaultBook
from .ratelimit import TokenBucket
from .requestlog import RequestLog
from .settings import Settings
from .state_specs import InitialState


@dataclass(frozen=True)
class Options:
    """Command-line options (see ``python -m hcloud_sim --help``).

    ``base_settings`` are the defaults of every initial state this simulator loads (``--setting``):
    a state's own ``settings:`` apply on top of them.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    token: str = "sim-token"
    read_only_tokens: tuple[str, ...] = ()
    seed: int = 0
    speed: float = 1.0
    latency_ms: int = 0
    rate_limit: int = 3600
    rate_limit_per: str = "project"  # or "token": every token its own bucket (the API's counting is not documented)
    base_settings: Settings = field(default_factory=Settings)


class Simulator:
    """The state of the simulated project plus the transport-level parts: rate limit, faults, request log."""

    def __init__(self, options: Options, state: InitialState, clock: Clock | None = None) -> None:
        self.options = options
        self.clock = clock or Clock(options.speed)
        self.faults = FaultBook()
        self.backend = Backend(self.clock, state, self.faults)
        self.bucket = TokenBucket(options.rate_limit, self.clock)
        self._token_buckets: dict[str, TokenBucket] = {}
        self._buckets_lock = threading.Lock()
        self.requests = RequestLog()
        # Tokens added through the control API (``POST /_sim/tokens``): token -> "full" or "read". A project has several.
        self.added_tokens: dict[str, str] = {}

    def access_of(self, token: str) -> str | None:
        """``full`` for a token that may read and write, ``read`` for a read-only one, ``None`` for anything else."""
        if secrets.compare_digest(token.encode(), self.options.token.encode()):
            return "full"
        if any(secrets.compare_digest(token.encode(), read_only.encode()) for read_only in self.options.read_only_tokens):
            return "read"
        matches = [access for added, access in list(self.added_tokens.items()) if secrets.compare_digest(token.encode(), added.encode())]
        return matches[0] if matches else None

    def bucket_for(self, token: str) -> TokenBucket:
        """The rate limit bucket a request with ``token`` takes from: the project's, or with ``--rate-limit-per
        token`` the token's own (made full at its first request)."""
        if self.options.rate_limit_per != "token":
            return self.bucket
        with self._buckets_lock:
            return self._token_buckets.setdefault(token, TokenBucket(self.options.rate_limit, self.clock))

    def reset(self, state: InitialState) -> None:
        """Replace the project by ``state``; also clear faults, the request log and refill the rate limit."""
        self.backend.reset(state)
        self.faults.clear()
        self.requests.clear()
        self.bucket.reset()
        with self._buckets_lock:
            self._token_buckets.clear()
