# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``retention`` result: the rules, every snapshot of the series with its fate and reason, and the cost.

Built from a plan of ``_retention.plan_retention`` and the run's ``_pricing.StoragePrice``; the fleet's
``retention_summary`` adds the servers' costs up. Nothing here talks to the API.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from decimal import Decimal

from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._backup_cost import backup_line, sum_backups
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import StoragePrice
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import DELETED, storage_cost

_FREE = {"net": "0", "gross": "0"}
_AMOUNTS = ("size_gb", "monthly_net", "monthly_gross")


def retention_view(rules: dict, plan: dict, series: list[dict], price: StoragePrice, predicted_id: int | None = None, backups: dict | None = None) -> dict:
    """``retention``: ``rules``, ``snapshots`` (newest first, with ``fate`` and ``reason``), ``cost`` and ``cost_line``.

    ``predicted_id`` is the stand-in ID of the snapshot check mode predicts: shown as ``id: null``. ``backups``, for
    a server with automatic backups, is what they cost (``_backup_cost.backup_cost``): ``cost.backups``.
    """
    snapshots = [dict(entry, id=None) if predicted_id is not None and entry["id"] == predicted_id else dict(entry) for entry in plan["snapshots"]]
    cost = cost_view(plan, series, price)
    if backups is not None:
        cost["backups"] = backups
    return {"rules": dict(rules), "snapshots": snapshots, "cost": cost, "cost_line": cost_line(cost)}


def cost_view(plan: dict, series: list[dict], price: StoragePrice) -> dict:
    """``cost``: ``kept`` and ``removed`` (count, unsized, size_gb, monthly_net, monthly_gross) and the price used."""
    doomed = set(plan["delete"])
    kept = [image for image in series if image["id"] not in doomed]
    removed = [image for image in series if image["id"] in doomed]
    return dict(price_view(price), kept=_storage(kept, price), removed=_storage(removed, price))


def price_view(price: StoragePrice) -> dict:
    """``price_per_gb_month`` (``{net, gross}`` or null), ``currency`` and ``price_unknown`` (null when known)."""
    return {"price_per_gb_month": price.per_gb_month, "currency": price.currency, "price_unknown": price.problem}


def _storage(images: list[dict], price: StoragePrice) -> dict:
    if price.known:
        cost = storage_cost(images, price.per_gb_month or {}, price.currency or "")
    else:
        cost = dict(storage_cost(images, _FREE, ""), monthly_net=None, monthly_gross=None)
    cost.pop("currency", None)
    return cost


def cost_line(cost: dict) -> str:
    """One line for people: what stays, what went, what each costs a month."""
    kept, removed = cost["kept"], cost["removed"]
    parts = [f"kept {_count(kept)} ({kept['size_gb']} GB)", f"removed {_count(removed)} ({removed['size_gb']} GB)"]
    backups = [backup_line(cost["backups"])] if cost.get("backups") else []
    if cost.get("price_unknown"):
        return "; ".join([*parts, cost["price_unknown"], *backups])
    price, currency = cost["price_per_gb_month"], cost["currency"]
    parts[0] += f": {kept['monthly_net']} {currency} a month net, {kept['monthly_gross']} gross"
    parts[1] += f": {removed['monthly_net']} {currency} a month net saved"
    return "; ".join([*parts, f"at {_plain(price['net'])} {currency} per GB and month net ({_plain(price['gross'])} gross)", *backups])


def _count(storage: dict) -> str:
    text = f"{storage['count']} snapshot{'' if storage['count'] == 1 else 's'}"
    return text + (f", {storage['unsized']} not sized yet" if storage.get("unsized") else "")


def _plain(amount: str) -> str:
    """``0.0119000000`` as ``0.0119``."""
    return format(Decimal(amount).normalize(), "f")


def retention_summary(results: list[dict]) -> dict | None:
    """The fleet's ``retention_summary``: the servers that rotated by the rules, their kept and removed totals."""
    costs = [result["retention"]["cost"] for result in results if result.get("retention")]
    if not costs:
        return None
    known = all(not cost.get("price_unknown") for cost in costs)
    total = {
        "servers": len(costs),
        "price_per_gb_month": costs[0]["price_per_gb_month"] if known else None,
        "currency": costs[0]["currency"] if known else None,
        "price_unknown": None if known else next(cost["price_unknown"] for cost in costs if cost.get("price_unknown")),
        "kept": _sum([cost["kept"] for cost in costs], known),
        "removed": _sum([cost["removed"] for cost in costs], known),
        "deleted": sum(1 for result in results for entry in (result.get("retention") or {}).get("snapshots", []) if entry["fate"] == DELETED),
    }
    backups = sum_backups([cost["backups"] for cost in costs if cost.get("backups")])
    if backups is not None:
        total["backups"] = backups
    total["cost_line"] = f"{total['servers']} server{'' if total['servers'] == 1 else 's'}: {cost_line(total)}"
    return total


def _sum(storages: list[dict], known: bool) -> dict:
    total: dict = {"count": sum(item["count"] for item in storages), "unsized": sum(item["unsized"] for item in storages)}
    for key in _AMOUNTS:
        if key != "size_gb" and not known:
            total[key] = None
            continue
        places = Decimal("0.001") if key == "size_gb" else Decimal("0.0001")
        total[key] = str(sum((Decimal(item[key]) for item in storages), Decimal(0)).quantize(places))
    return total
