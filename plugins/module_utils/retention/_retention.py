# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention: which snapshots make up a server's series, which of them a set of period rules keeps, why, and what
the series costs.

Design note. The rules are restic's and borg's ``--keep-*``: ``last: N`` keeps the N newest;
``hourly``/``daily``/``weekly``/``monthly``/``yearly: N`` keep, for each of the N newest periods that have a
snapshot, the newest snapshot of that period. Periods are UTC hours, days, ISO weeks (ISO year and week, so
2027-01-01 is in 2026-W53), months and years; a period without a snapshot does not count. A snapshot kept by
any rule stays, and its reason lists every rule that picked it. Unlike newer restic versions, the oldest
snapshot is not kept in addition when there are fewer periods than a rule allows.

Who fills a rule's slots: the new snapshot (always first, it is the newest by definition, whatever its status
or timestamp) and the series' *available* snapshots, protected ones included. A protected snapshot is a real,
restorable snapshot, so it counts as the daily (weekly, ...) one of its period, exactly as protected snapshots
count towards ``keep: N`` (the newest N available snapshots of the series stay); ``retention: {last: N}`` is
``keep: N``. Snapshots still being created, unavailable ones and ones the API marks deleted fill no
slot (a half-made snapshot must not stand in for a good one of its day) and are never deleted. Only available,
unprotected snapshots outside every rule's picks are deleted.

Order: newest first by ``created`` (UTC), ties broken by the higher ID, as in ``_matching.newest_first``; a
timestamp without an offset is read as UTC. Everything here is pure: no API calls, no clock.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import has_labels, is_managed, parse_time

RULES = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
KEPT, DELETED = "kept", "deleted"
BEYOND_THE_RULES = "deleted: beyond the rules"
PROTECTED_MEANWHILE = "kept: protected since it was listed"
NOT_TRIED = "kept: not tried, rotation stopped at a failed deletion"
_UTC = datetime.timezone.utc
_MONEY_PLACES = Decimal("0.0001")
_SIZE_PLACES = Decimal("0.001")


# --- the series ------------------------------------------------------------------------------------------------


def in_series(image: dict, server_id: int, labels: dict) -> bool:
    """A snapshot of this server made by this collection and carrying all the series' labels."""
    created_from = image.get("created_from") or {}
    return image.get("type") == "snapshot" and created_from.get("id") == server_id and is_managed(image) and has_labels(image, labels)


def rotation_series(listing: list[dict], current: dict | None) -> list[dict]:
    """The series as listed, with this run's snapshot as it is now (or, in check mode, the one it would create).

    A listing shared by a fleet run may predate our snapshot, or show it still being created.
    """
    if current is None:
        return list(listing)
    return [image for image in listing if image["id"] != current["id"]] + [current]


# --- periods ---------------------------------------------------------------------------------------------------


def created_utc(image: dict) -> datetime.datetime:
    """The image's ``created`` as an aware UTC datetime (no offset means UTC)."""
    moment = parse_time(image["created"])
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def period_of(rule: str, moment: datetime.datetime) -> str:
    """The UTC period a moment falls in, as shown in reasons: ``2026-11-30T14``, ``2026-W53``, ``2026-10`` ..."""
    moment = moment.astimezone(_UTC)
    if rule == "hourly":
        return moment.strftime("%Y-%m-%dT%H")
    if rule == "daily":
        return moment.strftime("%Y-%m-%d")
    if rule == "weekly":
        iso = moment.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if rule == "monthly":
        return moment.strftime("%Y-%m")
    if rule == "yearly":
        return f"{moment.year:04d}"
    raise ValueError(f"no period for rule {rule!r}")


# --- evaluation ------------------------------------------------------------------------------------------------


def hold_reason(image: dict) -> str | None:
    """Why a snapshot takes no part in the rules (``creating``, ``unavailable``, ``marked deleted``), or None."""
    if image.get("deleted") or image.get("status") == "deleted":
        return "marked deleted"
    status = image.get("status")
    return None if status == "available" else str(status or "no status")


def _is_protected(image: dict) -> bool:
    return bool((image.get("protection") or {}).get("delete"))


def slot_order(images: list[dict], new_id: int | None = None) -> list[dict]:
    """The snapshots that fill the rules' slots, in rule order: the new one, then available ones newest first."""
    new = [image for image in images if image["id"] == new_id]
    rest = [image for image in images if image["id"] != new_id and hold_reason(image) is None]
    return new + sorted(rest, key=lambda image: (created_utc(image), image["id"]), reverse=True)


def rule_picks(ordered: list[dict], rule: str, count: int) -> dict[int, str]:
    """The IDs one rule keeps from ``ordered`` (see ``slot_order``), each with its reason (``daily 2026-11-30``)."""
    if rule == "last":
        return {image["id"]: f"last {position}" for position, image in enumerate(ordered[:count], start=1)}
    picks: dict[int, str] = {}
    periods: set[str] = set()
    for image in ordered:
        if len(periods) >= count:
            break
        period = period_of(rule, created_utc(image))
        if period not in periods:
            periods.add(period)
            picks[image["id"]] = f"{rule} {period}"
    return picks


def _reasons_by_id(images: list[dict], rules: dict[str, int], new_id: int | None) -> dict[int, list[str]]:
    """Every rule reason for every snapshot some rule keeps."""
    ordered = slot_order(images, new_id)
    reasons: dict[int, list[str]] = {}
    if new_id is not None:
        reasons[new_id] = ["new snapshot"]
    for rule in RULES:
        for image_id, reason in rule_picks(ordered, rule, rules.get(rule) or 0).items():
            reasons.setdefault(image_id, []).append(reason)
    return reasons


def _fate(image: dict, rule_reasons: list[str]) -> tuple[str, str]:
    """``(fate, reason)`` for one snapshot."""
    held = hold_reason(image)
    reasons = rule_reasons + ([held] if held else []) + (["protected"] if _is_protected(image) else [])
    if reasons:
        return KEPT, f"kept: {', '.join(reasons)}"
    return DELETED, BEYOND_THE_RULES


def plan_retention(series: list[dict], rules: dict[str, int], new_id: int | None = None) -> dict:
    """The plan for one series' snapshots (the API's image dicts): ``{"delete": [ids], "snapshots": [...]}``.

    ``snapshots`` lists every snapshot of ``series`` newest first as ``{id, description, created, image_size,
    status, fate, reason}`` with ``fate`` ``kept`` or ``deleted`` and ``reason`` such as ``kept: last 1, daily
    2026-11-30`` or ``deleted: beyond the rules``; ``delete`` holds the IDs whose fate is ``deleted``, newest
    first. ``new_id``, if given, must be in ``series``: it is kept and fills the first slot of every rule.
    """
    if new_id is not None and all(image["id"] != new_id for image in series):
        raise ValueError(f"the new snapshot {new_id} is not among the series' snapshots: read the series again before rotating")
    reasons = _reasons_by_id(series, rules, new_id)
    newest = sorted(series, key=lambda image: (image["id"] == new_id, created_utc(image), image["id"]), reverse=True)
    entries = [_entry(image, *_fate(image, reasons.get(image["id"], []))) for image in newest]
    return {"delete": [entry["id"] for entry in entries if entry["fate"] == DELETED], "snapshots": entries}


def _entry(image: dict, fate: str, reason: str) -> dict:
    keys = ("id", "description", "created", "image_size", "status")
    return {**{key: image.get(key) for key in keys}, "fate": fate, "reason": reason}


def settle(plan: dict, deleted_ids: set, reasons: dict) -> dict:
    """The plan as carried out: a snapshot it meant to delete that stayed is kept, with its reason from ``reasons``
    (its ID to ``kept: ...``), or as not tried when a failed deletion stopped rotation before it."""
    stayed = set(plan["delete"]) - set(deleted_ids)
    if not stayed:
        return plan
    entries = [dict(entry, fate=KEPT, reason=reasons.get(entry["id"], NOT_TRIED)) if entry["id"] in stayed else entry for entry in plan["snapshots"]]
    return {"delete": [image_id for image_id in plan["delete"] if image_id not in stayed], "snapshots": entries}


def describe_rules(rules: dict) -> str:
    """``last 3, daily 7, monthly 12``: the rules that keep something."""
    return ", ".join(f"{rule} {rules[rule]}" for rule in RULES if rules.get(rule))


# --- cost ------------------------------------------------------------------------------------------------------


def storage_cost(images: list[dict], price_per_gb_month: dict, currency: str) -> dict:
    """Billed size and monthly cost of ``images``, with the API's ``image.price_per_gb_month`` from GET /pricing.

    Returns ``{count, unsized, size_gb, monthly_net, monthly_gross, currency}``: ``unsized`` counts snapshots
    without an ``image_size`` yet (still being created; they add nothing), ``size_gb`` is the sum of
    ``image_size`` rounded to 3 places and the costs are rounded to 4 places, all as strings.
    """
    net, gross = (_price(price_per_gb_month, kind) for kind in ("net", "gross"))
    sizes = [image.get("image_size") for image in images]
    size = sum((Decimal(str(value)) for value in sizes if value is not None), Decimal(0))
    return {
        "count": len(images),
        "unsized": sum(1 for value in sizes if value is None),
        "size_gb": _render(size, _SIZE_PLACES),
        "monthly_net": _render(size * net, _MONEY_PLACES),
        "monthly_gross": _render(size * gross, _MONEY_PLACES),
        "currency": currency,
    }


def image_price(pricing: dict) -> tuple[dict, str]:
    """``(price_per_gb_month, currency)`` from the ``pricing`` object of GET /pricing."""
    price = ((pricing or {}).get("image") or {}).get("price_per_gb_month")
    currency = (pricing or {}).get("currency")
    if not isinstance(price, dict) or not currency:
        raise ValueError("the API's pricing has no image.price_per_gb_month or no currency: cannot tell what the snapshots cost")
    return price, currency


def _price(price_per_gb_month: dict, kind: str) -> Decimal:
    return price_amount((price_per_gb_month or {}).get(kind), f"the API's image.price_per_gb_month.{kind}")


def price_amount(value: object, what: str) -> Decimal:
    """An amount of the API's prices (a decimal string) as a ``Decimal``; ``ValueError`` naming ``what`` otherwise."""
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        price = None
    if value is None or price is None or not price.is_finite() or price < 0:
        raise ValueError(f"{what} is {value!r}, not a price: expected a decimal string such as '0.0119'")
    return price


def _render(amount: Decimal, places: Decimal) -> str:
    return str(amount.quantize(places, rounding=ROUND_HALF_UP))
