"""One simulator instance: its options and the parts the transport and the routes share."""

from __future__ import annotations

from dataclasses import dataclass

from .backend import Backend
from .clock import Clock
from .faults import FaultBook
from .fleet import Fleet
from .ratelimit import TokenBucket
from .requestlog import RequestLog


@dataclass(frozen=True)
class Options:
    """Command-line options (see ``python -m hcloud_sim --help``)."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str = "sim-token"
    seed: int = 0
    speed: float = 1.0
    latency_ms: int = 0
    rate_limit: int = 3600


class Simulator:
    """The state of the simulated project plus the transport-level parts: rate limit, faults, request log."""

    def __init__(self, options: Options, fleet: Fleet, clock: Clock | None = None) -> None:
        self.options = options
        self.clock = clock or Clock(options.speed)
        self.backend = Backend(self.clock, fleet)
        self.bucket = TokenBucket(options.rate_limit, self.clock)
        self.faults = FaultBook()
        self.requests = RequestLog()

    def reset(self, fleet: Fleet) -> None:
        """Replace the state by ``fleet``; also clear faults, the request log and refill the rate limit."""
        self.backend.reset(fleet)
        self.faults.clear()
        self.requests.clear()
        self.bucket.reset()
