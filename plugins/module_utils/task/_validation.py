# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of user input that the argument spec cannot express; each error says what was wrong and what to do.

The one place where option values are checked: the values (labels, durations, servers, retention rules...), then
each module's options as a whole (``check_snapshot_params``, ``check_info_params``, ``check_rollback_params``,
``check_drill_params``), which each module's options builder calls before any request.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import RULES

_LABEL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s?)?\s*$")
RESERVED_PREFIXES = ("hetzner.cloud/", "lockaware.hcloud/")
# Ten years: longer than any snapshot can be old, and small enough for date arithmetic (``timedelta`` overflows).
MAX_DURATION_DAYS = 3650
_WHOLE_NUMBER = re.compile(r"^\s*[+-]?\d+\s*$")
RUN_ID = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,38}[A-Za-z0-9])?$")


class InvalidOption(ValueError):
    """A user-supplied option is invalid; the message names it and says how to fix it."""


def parse_duration(value: Any, option: str) -> float:
    """Seconds from an int/float or a text such as ``90``, ``30m``, ``23h``, ``1d12h``, ``1h30m``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match or not any(match.groups()):
            raise InvalidOption(f"{option} must be a number of seconds or a duration such as '30m', '23h' or '1d12h', got {value!r}")
        days, hours, minutes, secs = (int(part or 0) for part in match.groups())
        total = ((days * 24 + hours) * 60 + minutes) * 60 + secs
        seconds = float(total) if total <= MAX_DURATION_DAYS * 86400 else float("inf")  # float() of a huge int overflows
    if math.isnan(seconds) or seconds > MAX_DURATION_DAYS * 86400:
        raise InvalidOption(f"{option} must be at most {MAX_DURATION_DAYS} days ({MAX_DURATION_DAYS}d, ten years), got {value!r}")
    if seconds <= 0:
        raise InvalidOption(f"{option} must be greater than zero, got {value!r}")
    return seconds


def check_server(value: Any, option: str = "server") -> str:
    """A server's name or ID as given (``server``, an element of ``servers``): not empty."""
    if value is None or not str(value).strip():
        raise InvalidOption(f"{option} must be the name or ID of a server, got {value!r}")
    return str(value)


def check_description(value: Any) -> None:
    """``description``, when set, is not empty (the same rule for every module of the collection)."""
    if value is not None and not str(value).strip():
        raise InvalidOption(
            "description must not be empty: leave it out for the default <server>-<date> (snapshot) or to select every description (snapshot_info)"
        )


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid Hetzner Cloud label key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "a '/' must follow a prefix (a DNS subdomain such as example.com/)"
    if not _LABEL_NAME.match(name):
        return "the name part must be 1 to 63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    if prefix and (len(prefix) > 253 or not all(_DNS_LABEL.match(part) for part in prefix.split("."))):
        return "the prefix before '/' must be a DNS subdomain (lower case, at most 253 characters)"
    if key.startswith(RESERVED_PREFIXES):
        return f"keys starting with {' or '.join(RESERVED_PREFIXES)} are reserved"
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None."""
    if value == "" or _LABEL_NAME.match(value):
        return None
    return "values must be empty or 1 to 63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit"


def check_labels(labels: dict | None, option: str = "labels") -> dict[str, str]:
    """Labels as strings, or ``InvalidOption`` naming the first bad key or value."""
    checked = {}
    for raw_key, raw_value in (labels or {}).items():
        key, value = str(raw_key), "" if raw_value is None else str(raw_value)
        problem = label_key_problem(key)
        if problem:
            raise InvalidOption(f"{option}: invalid key {key!r}: {problem}")
        problem = label_value_problem(value)
        if problem:
            raise InvalidOption(f"{option}: invalid value {value!r} for key {key!r}: {problem}")
        checked[key] = value
    return checked


def check_non_negative(params: dict, names: tuple[str, ...]) -> None:
    """Each named option, when set, is zero or more."""
    for name in names:
        value = params.get(name)
        if value is not None and value < 0:
            raise InvalidOption(f"{name} must be zero or more seconds, got {value}")


def check_poll_budget(value: float) -> float:
    """``poll_budget`` is a share of the project's rate limit: more than 0, at most 1."""
    if not 0 < value <= 1:
        raise InvalidOption(
            f"poll_budget is the share of the project's rate limit that waiting may use, more than 0 and at most 1 (0.25 is a quarter), got {value}"
        )
    return value


def check_run_id(run_id: str | None, option: str = "run_id") -> str | None:
    """A run id: 1 to 40 letters, digits and ``-``, starting and ending with a letter or digit (it is a label value
    and part of a server name)."""
    if run_id is not None and not RUN_ID.match(str(run_id)):
        raise InvalidOption(f"{option} must be 1 to 40 letters, digits or '-', starting and ending with a letter or digit, got {run_id!r}")
    return None if run_id is None else str(run_id)


def change_time(value: Any) -> datetime.datetime | None:
    """``change_began`` as an aware time (a time without a zone is UTC); ``InvalidOption`` when it is not one."""
    if value is None or str(value).strip() == "":
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidOption(f"change_began must be a time in ISO 8601, such as 2026-12-07T08:00:00+00:00, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


# --- retention rules ---------------------------------------------------------------------------------------------


def retention_rules(keep: object = None, retention: object = None) -> dict[str, int] | None:
    """The rules from the ``keep`` and ``retention`` options (``keep: N`` is ``{last: N}``), or None for neither."""
    if keep is not None and retention is not None:
        raise InvalidOption(
            "keep and retention are both set: keep: N is the short form of retention: {last: N}; "
            "use only retention and put the count under last (for example retention: {last: 3, daily: 7})"
        )
    if keep is not None:
        count = _whole(keep, "keep")
        if count < 1:
            raise InvalidOption(f"keep must be 1 or more (the new snapshot counts), got {keep!r}; leave keep out to delete nothing")
        return {rule: count if rule == "last" else 0 for rule in RULES}
    if retention is not None:
        return check_retention(retention)
    return None


def check_retention(retention: object, option: str = "retention") -> dict[str, int]:
    """Every rule with its count (0 when unset); ``InvalidOption`` for anything else."""
    if not isinstance(retention, dict):
        raise InvalidOption(f"{option} must be a mapping of rules to counts, such as {{daily: 7, weekly: 4}}, got {retention!r}")
    unknown = sorted(str(key) for key in retention if key not in RULES)
    if unknown:
        raise InvalidOption(f"{option}: unknown rule {', '.join(map(repr, unknown))}; the rules are {', '.join(RULES)}, each a count")
    rules = {rule: _count(retention.get(rule), f"{option}.{rule}") for rule in RULES}
    if not any(rules.values()):
        raise InvalidOption(
            f"{option} keeps nothing: every count is 0 or unset; set at least one of {', '.join(RULES)} to 1 or more, or leave {option} out to delete nothing"
        )
    return rules


def _whole(value: object, option: str) -> int:
    """A whole number (digit strings from templating are accepted)."""
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _WHOLE_NUMBER.match(value))):
        raise InvalidOption(f"{option} must be a whole number of snapshots to keep (0 or more), got {value!r}")
    return int(value)


def _count(value: object, option: str) -> int:
    """A whole number of 0 or more (None is 0)."""
    if value is None:
        return 0
    count = _whole(value, option)
    if count < 0:
        raise InvalidOption(f"{option} must be 0 or more (0 turns the rule off), got {value!r}")
    return count


# --- each module's options, as a whole -------------------------------------------------------------------------

NEEDS_WAIT = {
    "keep": "keep needs wait=true: rotation only deletes old snapshots once the new one is available",
    "retention": "retention needs wait=true: rotation only deletes old snapshots once the new one is available",
    "protect": "protect needs wait=true: a snapshot can only be protected once it is available",
    "shutdown": "shutdown needs wait=true: the server is powered on again only after the snapshot is done",
}


def check_snapshot_params(params: dict[str, Any]) -> dict[str, Any]:
    """Every check of the snapshot module's options; returns the values the checks convert (``labels``, ``max_age``,
    ``retention``: the rules of ``retention`` or ``keep``). ``poll_budget`` and ``progress_interval`` when given."""
    check_non_negative(params, ("lock_timeout", "wait_timeout", "shutdown_timeout"))
    targets(params)
    check_description(params.get("description"))
    rules = retention_rules(params.get("keep"), params.get("retention"))
    for name in ("keep", "retention", "protect", "shutdown"):
        if params.get(name) not in (None, False) and not params.get("wait", True):
            raise InvalidOption(NEEDS_WAIT[name])
    if params.get("force") and params.get("max_age") is not None:
        raise InvalidOption("force and max_age contradict each other: force creates a snapshot every run, max_age only when none is recent")
    check_from_backup(params)
    if params.get("state") == "absent":
        for name in ("force", "keep", "retention", "protect", "shutdown", "from_backup"):
            if params.get(name):
                raise InvalidOption(f"{name} only applies to state=present")
    max_age = None if params.get("max_age") is None else parse_duration(params["max_age"], "max_age")
    labels = check_labels(params.get("labels"))
    if params.get("poll_budget") is not None:
        check_poll_budget(params["poll_budget"])
    check_non_negative(params, ("progress_interval",))
    return {"labels": labels, "max_age": max_age, "retention": rules}


def check_from_backup(params: dict[str, Any]) -> None:
    """``from_backup`` converts a backup: no shutdown (a backup is taken while the server runs), no ``force``."""
    if not params.get("from_backup"):
        if params.get("on_no_backup", "create") != "create":
            raise InvalidOption("on_no_backup only applies with from_backup=true: set from_backup=true, or leave on_no_backup out")
        return
    if params.get("shutdown"):
        raise InvalidOption(
            "from_backup and shutdown contradict each other: an automatic backup is taken while the server runs, so it is not the "
            "consistent snapshot shutdown asks for; use shutdown alone for a consistent snapshot, or from_backup alone for one without a lock"
        )
    if params.get("force"):
        raise InvalidOption(
            "from_backup and force contradict each other: force creates a snapshot every run, from_backup converts a backup only when none matches"
        )


def targets(params: dict[str, Any]) -> list[str]:
    """The servers the task is for: ``server`` as a fleet of one, or ``servers`` (duplicates once), each checked."""
    values = [params["server"]] if params.get("servers") is None else list(params["servers"])
    for value in values:
        check_server(value, "server" if params.get("servers") is None else "each of servers")
    if params.get("servers") is not None and params.get("concurrency", 1) < 1:
        raise InvalidOption(f"concurrency must be 1 or more, got {params['concurrency']}")
    return [str(value) for value in dict.fromkeys(values)]


def check_info_params(params: dict[str, Any]) -> dict[str, int] | None:
    """The snapshot_info module's options, checked as the snapshot module checks them; returns the rules of
    ``retention`` or ``keep``, or None."""
    if params.get("server") is not None:
        check_server(params["server"])
    check_description(params.get("description"))
    check_labels(params.get("labels"))
    rules = retention_rules(params.get("keep"), params.get("retention"))
    if rules is not None and not params.get("server"):
        raise InvalidOption("retention needs server: a plan is for the series of one server (the snapshots it made of that server)")
    return rules


def check_rollback_params(params: dict[str, Any]) -> dict[str, Any]:
    """Every check of the rollback module's options; returns the values the checks convert (``labels``, ``change_began``)."""
    check_server(params.get("server"))
    check_non_negative(params, ("lock_timeout", "wait_timeout"))
    check_description(params.get("description"))
    labels = check_labels(params.get("labels"))
    snapshot_id = params.get("snapshot_id")
    if snapshot_id is not None and snapshot_id <= 0:
        raise InvalidOption(f"snapshot_id must be the ID of a snapshot (a positive number), got {snapshot_id}")
    if snapshot_id is not None and (labels or params.get("description") is not None):
        raise InvalidOption("snapshot_id names the snapshot: leave labels and description out, they choose one by series")
    if snapshot_id is None and not labels and params.get("description") is None:
        raise InvalidOption(
            "say which snapshot to restore: snapshot_id (for example the id a lockaware.hcloud.snapshot task registered), "
            "or labels and/or description of the series (its newest available snapshot is restored)"
        )
    return {"labels": labels, "change_began": change_time(params.get("change_began"))}


def check_drill_params(params: dict[str, Any]) -> dict[str, Any]:
    """Every check of the scratch_server module's options; returns the values the checks convert (``run_id``,
    ``snapshot_labels``, ``expires_in``)."""
    if params["state"] == "absent" and params["run_id"] is None and params["leftovers"] == "none":
        raise InvalidOption("state=absent needs run_id (this run's scratch servers) or leftovers (all or expired: earlier runs'), or both")
    if params["origin"] is not None:
        check_server(params["origin"], "origin")
    check_non_negative(params, ("wait_timeout", "lock_timeout"))
    check_poll_budget(params["poll_budget"])
    return {
        "run_id": check_run_id(params["run_id"]),
        "snapshot_labels": check_labels(params["snapshot_labels"], "snapshot_labels"),
        "expires_in": parse_duration(params["expires_in"], "expires_in"),
    }
