"""Tests of hcloud_sim, the Hetzner Cloud API simulator (run: python -m pytest tests/sim -q)."""

from __future__ import annotations
