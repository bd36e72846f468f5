"""hcloud_sim: a local, stateful simulator of the Hetzner Cloud API for tests, demos and benchmarks."""

from __future__ import annotations

__version__ = "0.1.0"
