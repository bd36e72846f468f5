# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a server's automatic backups cost a month: ``server_backup.percentage`` (20 %) of its type's price in its
location, both from ``GET /pricing`` (read once per run, shared with the snapshot price), never a constant.

A server has backups when its ``backup_window`` is set. A price the answer lacks (an unknown type or location, no
percentage) or a failed read makes the cost unknown, saying why; it never stops rotation.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import price_amount

_MONEY_PLACES = Decimal("0.0001")


def backups_enabled(server: dict) -> bool:
    """Whether the server has automatic backups (the API sets its ``backup_window`` then, and only then)."""
    return bool(server.get("backup_window"))


def server_type_of(server: dict) -> str | None:
    """The name of the server's type."""
    return (server.get("server_type") or {}).get("name")


def location_of(server: dict) -> str | None:
    """The name of the server's location (``location``, or an older API's ``datacenter.location``)."""
    location = server.get("location") or (server.get("datacenter") or {}).get("location") or {}
    return location.get("name")


def backup_cost(pricing: dict, server: dict) -> dict | None:
    """``{server_type, location, percentage, monthly_net, monthly_gross, currency, price_unknown}``; None without backups."""
    if not backups_enabled(server):
        return None
    kind, location = server_type_of(server), location_of(server)
    cost: dict[str, Any] = {"server_type": kind, "location": location, "percentage": None, "monthly_net": None, "monthly_gross": None}
    cost.update(currency=pricing.get("currency"), price_unknown=None)
    try:
        percentage = price_amount((pricing.get("server_backup") or {}).get("percentage"), "server_backup.percentage")
        monthly = _server_price(pricing, kind, location)
    except ValueError as exc:
        return dict(cost, price_unknown=f"the backups' price is unknown: {exc}")
    cost["percentage"] = str(percentage)
    for kind_of_price in ("net", "gross"):
        amount = price_amount(monthly.get(kind_of_price), f"the price of {kind} in {location}") * percentage / 100
        cost[f"monthly_{kind_of_price}"] = str(amount.quantize(_MONEY_PLACES, rounding=ROUND_HALF_UP))
    return cost


def read_backup_cost(api: Any, server: dict) -> dict | None:
    """``backup_cost`` with the prices of ``api.pricing()`` (one read per run); a failed read makes it unknown."""
    if not backups_enabled(server):
        return None
    try:
        pricing = api.pricing()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return dict(backup_cost({}, server) or {}, price_unknown=f"the backups' price is unknown: GET /pricing failed ({getattr(exc, 'code', None) or exc})")
    return backup_cost(pricing or {}, server)


def backup_line(backups: dict) -> str:
    """The backups' part of a cost line: ``backups: 20% of cx22 in fsn1, 0.9020 EUR a month net, 1.0734 gross``."""
    servers = backups.get("servers")
    head = f"backups of {servers} server{'' if servers == 1 else 's'}" if servers is not None else "backups"
    if servers is None and backups.get("percentage") is not None:
        head += f": {Decimal(backups['percentage']).normalize():f}% of {backups['server_type']} in {backups['location']}"
    if backups.get("price_unknown"):
        return f"{head}: {backups['price_unknown']}"
    return f"{head}, {backups['monthly_net']} {backups['currency']} a month net, {backups['monthly_gross']} gross"


def sum_backups(costs: list[dict]) -> dict | None:
    """The fleet's backups: how many servers have them and what they cost together (None: no server has them)."""
    if not costs:
        return None
    unknown = next((cost["price_unknown"] for cost in costs if cost.get("price_unknown")), None)
    total: dict[str, Any] = {"servers": len(costs), "monthly_net": None, "monthly_gross": None, "currency": costs[0].get("currency"), "price_unknown": unknown}
    if unknown is None:
        for key in ("monthly_net", "monthly_gross"):
            total[key] = str(sum((Decimal(cost[key]) for cost in costs), Decimal(0)).quantize(_MONEY_PLACES))
    return total


def _server_price(pricing: dict, kind: str | None, location: str | None) -> dict:
    entry = next((item for item in pricing.get("server_types") or [] if item.get("name") == kind), None)
    if entry is None:
        raise ValueError(f"GET /pricing has no server type {kind!r}")
    price = next((item for item in entry.get("prices") or [] if item.get("location") == location), None)
    if price is None or not isinstance(price.get("price_monthly"), dict):
        raise ValueError(f"GET /pricing has no monthly price of {kind} in {location!r}")
    return price["price_monthly"]
