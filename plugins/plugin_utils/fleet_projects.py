# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several Hetzner Cloud projects in one fleet run: the list of projects checked, and the run's summary.

``checked_projects`` reads the ``projects`` variable of ``snapshot_fleet.yml`` (and the ``projects`` option of the
``servers`` lookup) and refuses a bad entry before anything is changed, naming the project and the key, never the
token's value. ``project_outcome`` and ``projects_summary`` add up what each project's fleet task registered.
"""

# This plugin_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1"
PROJECT_KEYS = ("name", "api_token", "api_endpoint", "label_selector", "server_status")
PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MADE = ("created", "converted", "adopted")
LOOKUP_PREFIX = "lockaware.hcloud.servers: "
NOT_RUN = "did not run: a limit (--limit, or the Limit of an AWX job template) left its host out; run without a limit, or include hcloud_projects in it"


class ProjectsError(ValueError):
    """The ``projects`` list is not usable; the message says which project, which key and what to do."""


def checked_projects(projects: Any, label_selector: str = "", server_status: list | None = None) -> list[dict]:
    """Every project with its keys checked and its defaults filled in, in the order given, WITHOUT its token.

    Each entry gets ``index`` (its place in ``projects``, where its token is read from) and ``host`` (the in-memory
    host that runs it). ``label_selector`` and ``server_status`` are the run's, for a project that sets none
    (``server_status`` None: every status).
    """
    if not isinstance(projects, list) or not projects:
        raise ProjectsError(f"projects must be a non-empty list of projects, each a dict with at least name and api_token; got {_kind(projects)}")
    checked = [_checked(index, project, label_selector, server_status) for index, project in enumerate(projects)]
    names = [project["name"] for project in checked]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ProjectsError(f"projects: the name {', '.join(twice)} is given more than once; give each project its own name")
    return checked


def _checked(index: int, project: Any, label_selector: str, server_status: list | None) -> dict:
    where = f"projects[{index}]"
    if not isinstance(project, Mapping):
        raise ProjectsError(f"{where} must be a dict with at least name and api_token; got {_kind(project)}")
    name = project.get("name")
    if not isinstance(name, str) or not PROJECT_NAME.match(name):
        raise ProjectsError(
            f"{where}: name must be 1 to 63 letters, digits, '_', '.' or '-' (starting with a letter or digit), for example prod; got {_kind(name)}"
        )
    where = f"project {name}"
    unknown = sorted(str(key) for key in project if key not in PROJECT_KEYS)
    if unknown:
        raise ProjectsError(f"{where}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(PROJECT_KEYS)}")
    _check_token(where, project.get("api_token"))
    endpoint = project.get("api_endpoint") or DEFAULT_ENDPOINT
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        raise ProjectsError(f"{where}: api_endpoint must be an http:// or https:// URL (leave it out for {DEFAULT_ENDPOINT})")
    selector = project.get("label_selector", label_selector) or ""
    if not isinstance(selector, str):
        raise ProjectsError(f"{where}: label_selector must be a string such as backup=daily; got {_kind(selector)}")
    statuses = project.get("server_status", server_status)
    if isinstance(statuses, str):
        statuses = [statuses]
    if statuses is not None and (not isinstance(statuses, list) or not all(isinstance(status, str) for status in statuses)):
        raise ProjectsError(f"{where}: server_status must be a list of server statuses such as [running, off]; got {_kind(statuses)}")
    return {
        "name": name,
        "index": index,
        "host": f"project_{name}",
        "api_endpoint": endpoint,
        "label_selector": selector,
        "server_status": None if statuses is None else list(statuses),
    }


def _check_token(where: str, token: Any) -> None:
    """Present and a string (a vault-encrypted one too); its value is never shown."""
    if token is None or (isinstance(token, str) and not token.strip()):
        raise ProjectsError(f"{where}: api_token is missing; give each project its own token, vault-encrypted (ansible-vault encrypt_string)")
    if not isinstance(token, str) and not hasattr(token, "_ciphertext"):
        raise ProjectsError(f"{where}: api_token must be a string (a vault-encrypted one: ansible-vault encrypt_string); got {_kind(token)}")


def _kind(value: Any) -> str:
    """What a value is, without showing it (it may be a token)."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a long string"
    return f"a {type(value).__name__}"


def project_outcome(name: str, find: Mapping | None, run: Mapping | None) -> dict:
    """One project's line of the summary, from what its tasks registered (``fleet_find``, ``fleet_run``).

    Neither registered: the project's host never ran (a ``--limit`` left it out), and ``ran`` is false.
    """
    if find is None and run is None:
        return {**_failed(name, NOT_RUN), "ran": False}
    find = find or {}
    run = run or {}
    if find.get("failed"):
        return _failed(name, f"finding the servers failed: {lookup_message(find.get('msg'))}")
    if "summary" not in run:
        if run.get("skipped"):
            return _failed(name, "its tasks did not run")
        return _failed(name, run.get("msg") or "the snapshot task failed without a message")
    summary = run["summary"]
    outcome = {
        "name": name,
        "failed": bool(run.get("failed_servers")),
        "servers": len(run.get("results") or []),
        "made": sum(summary.get(key, 0) for key in MADE),
        "unchanged": summary.get("unchanged", 0),
        "skipped": summary.get("skipped", 0),
        "failed_servers": list(run.get("failed_servers") or []),
        "deleted": (run.get("retention_summary") or {}).get("deleted", 0),
        "cost": _cost(run.get("retention_summary")),
        "msg": run.get("msg") or "",
        "ran": True,
    }
    return outcome


def lookup_message(msg: Any) -> str:
    """The lookup's own message out of the one Ansible wraps it in (``Task failed: ... failed: <the lookup's>``)."""
    text = str(msg or "no message")
    start = text.rfind(LOOKUP_PREFIX)
    return text[start:] if start >= 0 else text


def _failed(name: str, msg: str) -> dict:
    return {
        "name": name,
        "failed": True,
        "servers": 0,
        "made": 0,
        "unchanged": 0,
        "skipped": 0,
        "failed_servers": [],
        "deleted": 0,
        "cost": None,
        "msg": msg,
        "ran": True,
    }


def _cost(retention_summary: Mapping | None) -> dict | None:
    """What the kept snapshots cost a month (net, gross, currency), when the series were rotated and the price is known."""
    if not retention_summary or retention_summary.get("price_unknown") or not retention_summary.get("currency"):
        return None
    kept = retention_summary.get("kept") or {}
    if kept.get("monthly_net") is None:
        return None
    return {"net": str(kept["monthly_net"]), "gross": str(kept.get("monthly_gross") or "0"), "currency": str(retention_summary["currency"])}


def projects_summary(outcomes: list[dict]) -> dict:
    """The run's summary: a line per project, then the totals; ``failed`` names the projects that failed, ``not_run``
    those whose host never ran."""
    width = max([len(outcome["name"]) for outcome in outcomes] + [5])
    lines = [f"{outcome['name']:<{width}}  {_line(outcome)}" for outcome in outcomes]
    failed = [outcome["name"] for outcome in outcomes if outcome["failed"]]
    totals = {key: sum(outcome[key] for outcome in outcomes) for key in ("servers", "made", "unchanged", "skipped", "deleted")}
    totals["failed_servers"] = sum(len(outcome["failed_servers"]) for outcome in outcomes)
    cost = _total_cost([outcome["cost"] for outcome in outcomes if outcome["cost"]])
    total_line = (
        f"{len(outcomes)} project{'' if len(outcomes) == 1 else 's'}, {_counts(totals, totals['failed_servers'])}{_cost_text(cost)}"
        f"; {len(failed)} project{'' if len(failed) == 1 else 's'} failed{': ' + ', '.join(failed) if failed else ''}"
    )
    lines.append(f"{'total':<{width}}  {total_line}")
    not_run = [outcome["name"] for outcome in outcomes if not outcome["ran"]]
    return {"lines": lines, "failed": failed, "not_run": not_run, "totals": {**totals, "projects": len(outcomes), "cost": cost}}


def _line(outcome: dict) -> str:
    if outcome["failed"] and not outcome["servers"]:
        return f"FAILED: {outcome['msg']}"
    text = _counts(outcome, len(outcome["failed_servers"])) + _cost_text(_total_cost([outcome["cost"]] if outcome["cost"] else []))
    if outcome["failed_servers"]:
        text += f"; FAILED: {', '.join(outcome['failed_servers'])}"
    return text


def _counts(counts: Mapping, failed: int) -> str:
    servers = counts["servers"]
    return (
        f"{servers} server{'' if servers == 1 else 's'}: {counts['made']} snapshot{'' if counts['made'] == 1 else 's'} made, "
        f"{counts['unchanged']} unchanged, {counts['skipped']} skipped, {failed} failed, {counts['deleted']} deleted by rotation"
    )


def _total_cost(costs: list[dict]) -> list[dict]:
    """The costs added up per currency (projects may bill in different ones), net and gross."""
    totals: dict[str, dict] = {}
    for cost in costs:
        total = totals.setdefault(cost["currency"], {"currency": cost["currency"], "net": Decimal(0), "gross": Decimal(0)})
        total["net"] += Decimal(cost["net"])
        total["gross"] += Decimal(cost["gross"])
    return [{"currency": key, "net": str(value["net"]), "gross": str(value["gross"])} for key, value in sorted(totals.items())]


def _cost_text(costs: list[dict]) -> str:
    if not costs:
        return "; cost a month: not computed (without keep or retention)"
    amounts = " + ".join(f"{cost['net']} {cost['currency']} net ({cost['gross']} gross)" for cost in costs)
    return f"; snapshots kept cost {amounts} a month"
