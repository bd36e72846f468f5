# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a restore drill restores, onto what, and what it costs: pure choices from the API's JSON.

- The snapshot: the newest ``available`` snapshot made from the server itself (``created_from.id``), never another
  server's, never a backup or a system image.
- The server type: of the types the API lists, those that are not deprecated, have the snapshot's architecture, a
  disk at least the snapshot's ``disk_size`` and are available in the location; of those the smallest disk, then the
  cheapest in that location (``GET /pricing``), then the fewest cores and the least memory.
- The cost: Hetzner bills a server by the hour, every started hour, at most its monthly price.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import has_labels, parse_time

UNKNOWN_PRICE = Decimal("Infinity")


def location_of(server: dict) -> str | None:
    """A server's location name: ``location`` (since 2025-12), or its datacenter's (the API before 2026-07)."""
    place = server.get("location") or (server.get("datacenter") or {}).get("location") or {}
    return place.get("name")


def own_snapshot(server_id: int, images: list[dict], labels: dict | None = None) -> dict | None:
    """The newest available snapshot made from this server and carrying ``labels``, or ``None``."""
    own = [
        image
        for image in images
        if image.get("type") == "snapshot"
        and image.get("status") == "available"
        and (image.get("created_from") or {}).get("id") == server_id
        and has_labels(image, labels or {})
    ]
    return max(own, key=lambda image: (parse_time(image["created"]), image["id"]), default=None)


def type_prices(pricing: dict | None, type_name: str, location: str) -> dict | None:
    """``{hourly: {net, gross}, monthly: {net, gross}}`` of a server type in a location from ``GET /pricing``, or None."""
    for kind in (pricing or {}).get("server_types") or []:
        if kind.get("name") != type_name:
            continue
        for price in kind.get("prices") or []:
            if price.get("location") == location and price.get("price_hourly") and price.get("price_monthly"):
                return {"hourly": dict(price["price_hourly"]), "monthly": dict(price["price_monthly"])}
    return None


def _net(prices: dict | None, period: str) -> Decimal:
    try:
        return Decimal(str(prices[period]["net"])) if prices else UNKNOWN_PRICE
    except (KeyError, TypeError, InvalidOperation):
        return UNKNOWN_PRICE


def fits(server_type: dict, image: dict, location: str) -> bool:
    """Whether a new server of this type in this location can be created from ``image``."""
    if server_type.get("deprecated") or server_type.get("deprecation"):
        return False
    if server_type.get("architecture", "x86") != image.get("architecture", "x86"):
        return False
    if server_type.get("disk", 0) < (image.get("disk_size") or 0):
        return False
    places = server_type.get("locations")
    if places is None:  # an API without per-location availability: every location
        return True
    place = next((item for item in places if item.get("name") == location), None)
    return place is not None and place.get("available", True) is not False and not place.get("deprecation")


def smallest_fitting_type(server_types: list[dict], image: dict, location: str, pricing: dict | None) -> dict | None:
    """The server type a scratch server from ``image`` in ``location`` gets (see the module's docstring), or None."""
    fitting = [kind for kind in server_types if fits(kind, image, location)]

    def size(kind: dict) -> tuple:
        hourly = _net(type_prices(pricing, kind["name"], location), "hourly")
        return kind.get("disk", 0), hourly, kind.get("cores", 0), kind.get("memory", 0), kind["id"]

    return min(fitting, key=size, default=None)


def billed_cost(seconds: float, prices: dict | None, currency: str | None) -> dict:
    """What a server that existed ``seconds`` is billed: every started hour (at least one), at most a month's price.

    ``{hours, net, gross, currency}`` with decimal strings, or ``net``/``gross`` null when the price is unknown.
    """
    hours = max(1, math.ceil(max(0.0, seconds) / 3600))
    cost: dict = {"hours": hours, "net": None, "gross": None, "currency": currency}
    if prices is None:
        return cost
    for part in ("net", "gross"):
        try:
            amount = min(Decimal(str(prices["hourly"][part])) * hours, Decimal(str(prices["monthly"][part])))
        except (KeyError, TypeError, InvalidOperation):
            return dict(cost, net=None, gross=None)
        cost[part] = str(amount.quantize(Decimal("0.0001")))
    return cost


def add_costs(costs: list[dict]) -> dict:
    """The sum of several ``billed_cost`` values (``net``/``gross`` null if any is unknown)."""
    total: dict = {"hours": sum(cost["hours"] for cost in costs), "currency": next((cost["currency"] for cost in costs if cost.get("currency")), None)}
    for part in ("net", "gross"):
        amounts = [cost.get(part) for cost in costs]
        known = [Decimal(str(amount)) for amount in amounts if amount is not None]
        total[part] = str(sum(known, Decimal("0.0000"))) if len(known) == len(amounts) else None
    return total
