"""The control API under ``/_sim`` (not part of Hetzner's API): inspect and steer the simulation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors, params
from ..clock import isoformat
from ..faults import ActionFault
from ..initial_state import load_initial_state, parse_initial_state, parse_lock
from ..routing import Request, Response, Router
from ..settings import SpecError, parse_settings
from ..simulator import Simulator

# the keys of a reset by name: {"state": "demo" | N | "path", "seed": S}; "fleet" is the older name of "state"
_BY_NAME = ({"state", "seed"}, {"fleet", "seed"})


def get_state(sim: Simulator, _request: Request) -> Response:
    """GET /_sim/state: every server, image, action and SSH key, the settings and the active faults."""
    state = sim.backend.snapshot_state()
    return Response(
        200,
        {
            "time": isoformat(state.time),
            "speed": sim.clock.speed,
            "settings": state.settings.to_json(),
            "servers": [sim.backend.render_server(server) for server in state.servers],
            "images": [image.to_json() for image in state.images],
            "actions": [action.sim_json() for action in state.actions],
            "hidden_locks": [lock.to_json() for lock in state.hidden_locks],
            "ssh_keys": [key.to_json() for key in state.ssh_keys],
            "action_faults": sim.faults.action_faults(),
            "faults": sim.faults.rules(),
        },
    )


def reset(sim: Simulator, request: Request) -> Response:
    """POST /_sim/reset: body is an initial state, or ``{"state": "demo" | N | "path", "seed": S}``."""
    body = request.json_object()
    name_key = next((key for key, allowed in zip(("state", "fleet"), _BY_NAME, strict=True) if key in body and set(body) <= allowed), None)
    try:
        if name_key is not None:
            state = load_initial_state(body[name_key], int(body.get("seed", sim.options.seed)), sim.options.base_settings)
        else:
            state = parse_initial_state(body, sim.options.base_settings)
    except (SpecError, TypeError, ValueError) as exc:
        raise errors.invalid_field("state", str(exc)) from None
    sim.reset(state)
    return Response(200, {"servers": sim.backend.server_count})


def update_settings(sim: Simulator, request: Request) -> Response:
    """POST /_sim/settings: change some settings (e.g. ``snapshot_quota``) without a reset."""
    try:
        settings = parse_settings(request.json_object(), base=sim.backend.settings)
    except SpecError as exc:
        raise errors.invalid_field("settings", str(exc)) from None
    sim.backend.update_settings(settings)
    return Response(200, {"settings": settings.to_json()})


def lock_server(sim: Simulator, request: Request) -> Response:
    """POST /_sim/servers/{id or name}/lock: start a running action as another client would, or lock invisibly."""
    body = request.json_object()
    if body.get("delay"):
        raise errors.invalid_field("delay", "is only supported for locks in an initial state")
    try:
        spec = parse_lock(body, "lock")
    except SpecError as exc:
        raise errors.invalid_field("lock", str(exc)) from None
    action, image, hidden = sim.backend.sim_lock(request.params["ref"], spec)
    if hidden is not None:
        return Response(201, {"lock": hidden.to_json()})
    answer: dict[str, Any] = {"action": action.to_json() if action else None}
    if image is not None:
        answer["image"] = image.to_json()
    return Response(201, answer)


def run_backup_window(sim: Simulator, request: Request) -> Response:
    """POST /_sim/servers/{id or name}/backup_window: take the server's automatic backup now, as its window would."""
    action, image = sim.backend.run_backup_window(request.params["ref"])
    return Response(201, {"action": action.to_json() if action else None, "image": image.to_json() if image else None})


def delete_server(sim: Simulator, request: Request) -> Response:
    """POST /_sim/servers/{id or name}/delete (or DELETE /_sim/servers/{id or name})."""
    server = sim.backend.delete_server(request.params["ref"])
    return Response(200, {"server": sim.backend.render_server(server)})


def fail_action(sim: Simulator, request: Request) -> Response:
    """POST /_sim/actions/{id}/fail: end a running action now, in error."""
    body = params.check_body(request.json_object(), {"code": params.is_string, "message": params.is_string})
    action = sim.backend.fail_action(request.int_param("id"), body.get("code", "action_failed"), body.get("message", "action failed"))
    return Response(200, {"action": action.to_json()})


def add_action_fault(sim: Simulator, request: Request) -> Response:
    """POST /_sim/action_faults: make the next ``times`` actions of ``command`` end in error."""
    checkers: dict[str, params.Checker] = {
        "command": params.is_string,
        "times": lambda value: [] if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else ["must be a whole number"],
        "code": params.is_string,
        "message": params.is_string,
        "server": lambda value: [] if isinstance(value, str | int) and not isinstance(value, bool) else ["must be a server id or name"],
    }
    body = params.check_body(request.json_object(), checkers, required=("command",))
    times = body.get("times", 1)
    code = body.get("code", "action_failed")
    message = body.get("message", errors.locked("server").message if code == "locked" else "action failed")
    server_id = None if body.get("server") is None else sim.backend.find_server_id(str(body["server"]))
    added = sim.faults.add_action_fault(ActionFault(body["command"], None if times == 0 else times, code, message, server_id))
    return Response(201, {"action_fault": added.to_json()})


def list_action_faults(sim: Simulator, _request: Request) -> Response:
    """GET /_sim/action_faults"""
    return Response(200, {"action_faults": sim.faults.action_faults()})


def clear_action_faults(sim: Simulator, _request: Request) -> Response:
    """DELETE /_sim/action_faults"""
    sim.faults.clear_action_faults()
    return Response(204)


def add_faults(sim: Simulator, request: Request) -> Response:
    """POST /_sim/faults with ``{"rules": [...]}``"""
    body = params.check_body(request.json_object(), {"rules": lambda value: [] if isinstance(value, list) else ["must be a list"]}, required=("rules",))
    added = sim.faults.add(body["rules"])
    return Response(201, {"rules": [rule.to_json() for rule in added]})


def list_faults(sim: Simulator, _request: Request) -> Response:
    """GET /_sim/faults: the remaining rules."""
    return Response(200, {"rules": sim.faults.rules()})


def clear_faults(sim: Simulator, _request: Request) -> Response:
    """DELETE /_sim/faults (the request faults; action faults have their own route)"""
    sim.faults.clear_rules()
    return Response(204)


def list_requests(sim: Simulator, _request: Request) -> Response:
    """GET /_sim/requests: every public request served, in order."""
    return Response(200, {"requests": sim.requests.entries()})


def clear_requests(sim: Simulator, _request: Request) -> Response:
    """DELETE /_sim/requests"""
    sim.requests.clear()
    return Response(204)


def token_problems(value: Any) -> list[str]:
    """A token a header can carry: printable ASCII, no spaces (Hetzner's are 64 letters and digits)."""
    if isinstance(value, str) and value and value.isascii() and value.isprintable() and " " not in value:
        return []
    return ["must be printable ASCII without spaces"]


def add_token(sim: Simulator, request: Request) -> Response:
    """POST /_sim/tokens with ``{"token": "...", "read_only": false}``: the project accepts one more token."""
    checkers: dict[str, params.Checker] = {"token": token_problems, "read_only": params.is_boolean}
    body = params.check_body(request.json_object(), checkers, required=("token",))
    sim.added_tokens[body["token"]] = "read" if body.get("read_only") else "full"
    return Response(201, {"tokens": len(sim.added_tokens)})


def clear_tokens(sim: Simulator, _request: Request) -> Response:
    """DELETE /_sim/tokens: only the tokens given at start are accepted again."""
    sim.added_tokens.clear()
    return Response(204)


def build_router() -> Router[Simulator]:
    """The route table of the control API."""
    routes: list[tuple[str, str, Callable[[Simulator, Request], Response]]] = [
        ("GET", "/_sim/state", get_state),
        ("POST", "/_sim/reset", reset),
        ("POST", "/_sim/settings", update_settings),
        ("POST", "/_sim/servers/{ref:any}/lock", lock_server),
        ("POST", "/_sim/servers/{ref:any}/backup_window", run_backup_window),
        ("POST", "/_sim/servers/{ref:any}/delete", delete_server),
        ("DELETE", "/_sim/servers/{ref:any}", delete_server),
        ("POST", "/_sim/actions/{id}/fail", fail_action),
        ("GET", "/_sim/action_faults", list_action_faults),
        ("POST", "/_sim/action_faults", add_action_fault),
        ("DELETE", "/_sim/action_faults", clear_action_faults),
        ("GET", "/_sim/faults", list_faults),
        ("POST", "/_sim/faults", add_faults),
        ("DELETE", "/_sim/faults", clear_faults),
        ("GET", "/_sim/requests", list_requests),
        ("DELETE", "/_sim/requests", clear_requests),
        ("POST", "/_sim/tokens", add_token),
        ("DELETE", "/_sim/tokens", clear_tokens),
    ]
    return Router(routes)
