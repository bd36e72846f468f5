# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: servers
short_description: The servers of a Hetzner Cloud project
version_added: 0.1.0
description:
  - Returns the servers of a Hetzner Cloud project as a list of dicts sorted by name, optionally filtered by label
    selector, status and name, and optionally with the actions running on each server.
  - Pages of 50 servers are fetched concurrently once the first page says how many there are, so a large fleet costs
    about one round trip more than a small one.
  - Use it with C(query) (or C(lookup) with C(wantlist=true)) to get a list.
  - An option it does not know (a typo such as C(labelselector)) fails the lookup, naming the options it knows,
    rather than being ignored.
  - The variables C(hcloud_api_token) and C(hcloud_api_endpoint) may hold templates, as inventories that keep the
    token in a vault do (C(hcloud_api_token) set to C("{{ vault_hcloud_token }}")); the lookup templates them before use.
author:
  - lockaware.hcloud maintainers (@lockaware)
extends_documentation_fragment:
  - lockaware.hcloud.api.LOOKUP
options:
  _terms:
    description:
      - Names or IDs of the servers to return. Without terms, every server matching the filters is returned.
      - A term is a server's name or, when it is all digits, a server's ID; a term that is the name of one server and
        the ID of another is refused, naming both (the rule of the O(lockaware.hcloud.snapshot#module:server) option of
        M(lockaware.hcloud.snapshot)).
    type: list
    elements: str
    required: false
  label_selector:
    description:
      - Only servers whose labels match this selector, for example V(backup=daily) or V(env in (prod,staging\),!legacy).
    type: str
  status:
    description:
      - Only servers with one of these statuses, for example V(running) or V(off).
    type: list
    elements: str
  name:
    description:
      - Only the server with this exact name.
    type: str
  include_running_actions:
    description:
      - Add C(running_actions) to each server, the actions now running on it (what keeps it locked).
      - They are fetched for the whole fleet in a few requests, not one request per server.
    type: bool
    default: false
  missing:
    description:
      - What to do with a term that names no server (after the filters). V(error) fails, V(skip) leaves it out.
    type: str
    choices: [error, skip]
    default: error
  concurrency:
    description:
      - How many pages to fetch at once.
    type: int
    default: 8
  projects:
    description:
      - Several Hetzner Cloud projects at once, each a dict with C(name), C(api_token) (keep it vault-encrypted), and
        optionally C(api_endpoint) (default V(https://api.hetzner.cloud/v1), not E(HCLOUD_ENDPOINT)),
        C(label_selector) and C(server_status) (default O(label_selector) and O(status)); the shape of the
        C(projects) variable of C(playbooks/snapshot_fleet.yml).
      - The projects are listed at the same time, each with its own token and its own API client (its own request
        budget). Each server gets C(project), the name of its project; the list is in the order of the projects, each
        project's servers sorted by name.
      - A project that cannot be listed (a bad token, its endpoint down) fails the lookup, naming every such project;
        the other projects' servers are not returned then. A bad entry (a missing token, an unknown key, a name given
        twice) fails before any request, naming the project and the key, never the token.
      - Not with terms (a name may be in several projects), nor with O(api_token) or O(api_endpoint), which the
        projects replace.
    type: list
    elements: dict
    version_added: 0.1.0
"""

EXAMPLES = r"""
- name: Servers to snapshot every night
  ansible.builtin.debug:
    msg: "{{ query('lockaware.hcloud.servers', label_selector='backup=daily', status='running') | map(attribute='name') }}"

- name: Two servers by name, with the actions that keep them busy
  ansible.builtin.set_fact:
    busy: "{{ query('lockaware.hcloud.servers', 'web1', 'db1', include_running_actions=true) | selectattr('locked') }}"

- name: The servers of two projects, each with its own token (vault-encrypted strings in projects)
  ansible.builtin.debug:
    msg: "{{ query('lockaware.hcloud.servers', projects=projects, label_selector='backup=daily') | map(attribute='project') | list }}"
  vars:
    projects:
      - {name: prod, api_token: "{{ vault_prod_token }}"}
      - {name: staging, api_token: "{{ vault_staging_token }}", label_selector: env=staging}

- name: Snapshot every server carrying backup=daily
  lockaware.hcloud.snapshot:
    server: "{{ item.name }}"
  loop: "{{ query('lockaware.hcloud.servers', label_selector='backup=daily') }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
_raw:
  description: The servers, sorted by name.
  type: list
  elements: dict
  contains:
    id: {description: "ID of the server.", type: int, sample: 42}
    name: {description: "Name of the server.", type: str, sample: web1}
    status: {description: "Status of the server (C(running), C(off), ...).", type: str, sample: running}
    locked: {description: "Whether the server is locked by a running action.", type: bool, sample: false}
    labels: {description: "Labels of the server.", type: dict, sample: {backup: daily}}
    created: {description: "When the server was created (ISO 8601).", type: str, sample: "2026-01-30T23:50:00+00:00"}
    server_type: {description: "Name of the server type.", type: str, sample: cx22}
    architecture: {description: "CPU architecture of the server type.", type: str, sample: x86}
    location: {description: "Name of the location.", type: str, sample: fsn1}
    ipv4: {description: "Public IPv4 address (null without one).", type: str, sample: 203.0.113.10}
    ipv6: {description: "First usable address of the public IPv6 network (null without one).", type: str, sample: "2001:db8:1::1"}
    ipv6_network: {description: "The public IPv6 network without mask (null without one).", type: str, sample: "2001:db8:1::"}
    ipv6_network_mask: {description: "The mask of the public IPv6 network.", type: str, sample: "64"}
    image: {description: "Name (or description) of the image the server was created from.", type: str, sample: ubuntu-24.04}
    image_id: {description: "ID of that image.", type: int, sample: 114690387}
    backup_window: {description: "Backup window, if backups are enabled.", type: str, sample: 22-02}
    primary_disk_size: {description: "Size of the primary disk in GB.", type: int, sample: 40}
    project: {description: "The name of the server's project; only with O(projects).", type: str, sample: prod}
    running_actions:
      description: The actions running on the server (C(id), C(command), C(started), C(progress)); only with O(include_running_actions).
      type: list
      elements: dict
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import AmbiguousServer, ServerNotFound, index_servers, pick_server
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, failure_message
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.fleet_projects import ProjectsError, checked_projects
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.server_view import running_actions_by_server, server_view

PREFIX = "lockaware.hcloud.servers: "


class LookupModule(LookupBase):
    """``query('lockaware.hcloud.servers', ...)``."""

    def run(self, terms: list, variables: dict | None = None, **kwargs: Any) -> list[dict]:
        self._refuse_unknown_options(kwargs)
        self.set_options(var_options=self._templated_variables(variables or {}), direct=kwargs)
        if self.get_option("projects") is not None:
            return self._projects_servers(terms, kwargs)
        try:
            api = HcloudApi.connect(self.get_option("api_token"), self.get_option("api_endpoint"), self.get_option("request_timeout"))
            servers = self._servers(api, self.get_option("label_selector"), self.get_option("status"))
            if self.get_option("include_running_actions"):
                self._add_running_actions(api, servers)
        except ClientConfigError as exc:
            raise AnsibleLookupError(PREFIX + failure_message(TaskFailed(str(exc)))) from None
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Not chained: Ansible prints the cause's own message too, which nothing has cleaned of the token.
            raise AnsibleLookupError(PREFIX + failure_message(exc, f"listing the servers at {self.get_option('api_endpoint')}")) from None
        return self._select(servers, terms)

    def _refuse_unknown_options(self, kwargs: dict) -> None:
        """A keyword that is no option (a typo such as ``labelselector``) fails rather than being ignored."""
        known = sorted(name for name in self.option_definitions if not name.startswith("_"))
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise AnsibleLookupError(f"{PREFIX}unknown option(s) {', '.join(unknown)}; the options are {', '.join(known)}")

    def _templated_variables(self, variables: dict) -> dict:
        """``variables`` with the ones options are read from templated (``hcloud_api_token: "{{ vault_hcloud_token }}"``).

        Ansible hands a lookup the variables as they were written; the lookup's templar resolves them, with the
        variables of the task (ansible-core 2.17 to 2.21 alike).
        """
        names = {entry["name"] for option in self.option_definitions.values() for entry in option.get("vars") or []}
        templated = dict(variables)
        for name in names & set(variables):
            try:
                templated[name] = self._templar.template(variables[name])
            except Exception as exc:  # pylint: disable=broad-exception-caught
                raise AnsibleLookupError(f"{PREFIX}the variable {name} cannot be templated: {failure_message(exc, 'templating')}") from None
        return templated

    def _projects_servers(self, terms: list, kwargs: dict) -> list[dict]:
        """The servers of every project, listed at the same time, each with its own token and client."""
        given = sorted({"api_token", "api_endpoint"} & set(kwargs))
        if terms or given:
            what = "terms" if terms else " and ".join(given)
            raise AnsibleLookupError(
                f"{PREFIX}projects cannot be combined with {what}: each project has its own token and endpoint, and a name may be in several projects"
            )
        projects = self.get_option("projects")
        try:
            checked = checked_projects(projects, self.get_option("label_selector") or "", self.get_option("status"))
        except ProjectsError as exc:
            raise AnsibleLookupError(PREFIX + str(exc)) from None
        with ThreadPoolExecutor(max_workers=min(len(checked), 8), thread_name_prefix="hcloud-project") as pool:
            outcomes = list(pool.map(lambda project: self._project_servers(project, projects[project["index"]]["api_token"]), checked))
        failures = [failure for failure, _servers in outcomes if failure]
        if failures:
            raise AnsibleLookupError(f"{PREFIX}{len(failures)} of {len(checked)} projects could not be listed: " + "; ".join(failures))
        return [server for _failure, servers in outcomes for server in servers]

    def _project_servers(self, project: dict, token: Any) -> tuple[str, list[dict]]:
        """``("", servers)`` of one project, or ``(why, [])``: its failure named, its token never shown."""
        try:
            api = HcloudApi.connect(str(token), project["api_endpoint"], self.get_option("request_timeout"))
            servers = self._servers(api, project["label_selector"], project["server_status"])
            if self.get_option("include_running_actions"):
                self._add_running_actions(api, servers)
        except ClientConfigError as exc:
            return f"project {project['name']}: {failure_message(TaskFailed(str(exc)))}", []
        except Exception as exc:  # pylint: disable=broad-exception-caught
            doing = f"listing the servers at {project['api_endpoint']}"
            return f"project {project['name']}: {failure_message(exc, doing)}", []
        for server in servers:
            server["project"] = project["name"]
        return "", servers

    def _servers(self, api: HcloudApi, label_selector: str | None, status: list | None) -> list[dict]:
        params: dict[str, Any] = {}
        if label_selector:
            params["label_selector"] = label_selector
        if self.get_option("name"):
            params["name"] = self.get_option("name")
        if status:
            params["status"] = status
        servers = api.get_all_concurrently("/servers", "servers", params=params, workers=self.get_option("concurrency"))
        return sorted((server_view(server) for server in servers), key=lambda server: server["name"])

    def _add_running_actions(self, api: HcloudApi, servers: list[dict]) -> None:
        actions = api.get_all_concurrently("/servers/actions", "actions", params={"status": "running"}, workers=self.get_option("concurrency"))
        by_server = running_actions_by_server(actions)
        for server in servers:
            server["running_actions"] = by_server.get(server["id"], [])

    def _select(self, servers: list[dict], terms: list) -> list[dict]:
        """The servers the terms name, by the rule of ``_servers.pick_server``."""
        if not terms:
            return servers
        by_name, by_id = index_servers(servers)
        selected, missing = [], []
        for term in (str(term) for term in terms):
            try:
                selected.append(pick_server(term, by_name.get(term), by_id.get(term)))
            except ServerNotFound:
                missing.append(term)
            except AmbiguousServer as exc:
                raise AnsibleLookupError(PREFIX + failure_message(exc)) from None
        if missing and self.get_option("missing") == "error":
            raise AnsibleLookupError(
                f"{PREFIX}no server named or numbered {', '.join(missing)} (after the filters); check the names, or set missing=skip to leave unknown ones out"
            )
        return selected
