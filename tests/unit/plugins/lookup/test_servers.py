# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The servers lookup, loaded as Ansible loads it, against the fake project (no network)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import init_plugin_loader, lookup_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import build_client
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    FakeApi,
    FakeClock,
    FakeRateLimit,
    FakeTransport,
    make_action,
    make_server,
)

TOKEN = "unit-test-token-0123456789"
PAGE = {"page": 1, "per_page": 50, "sort": "id:asc"}


@pytest.fixture(name="lookup")
def lookup_fixture(monkeypatch):
    """``(run, fake, transports)``: ``run(*terms, **options)`` is ``query('lockaware.hcloud.servers', ...)``."""
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader()
    fake = FakeApi(servers=[make_server(2, "web2"), make_server(1, "web1", status="off"), make_server(3, "1")])
    transports = []

    def connect(cls, api_token, api_endpoint, request_timeout, **kwargs):  # pylint: disable=unused-argument
        assert api_token == TOKEN
        build_client(api_token, api_endpoint, request_timeout)  # the real checks of the options (the token is remembered), no request
        transports.append(FakeTransport(fake))
        return HcloudApi(transports[-1], FakeRateLimit(), clock=FakeClock())

    monkeypatch.setattr(HcloudApi, "connect", classmethod(connect))
    plugin = lookup_loader.get("lockaware.hcloud.servers")

    def run(*terms, **options):
        return plugin.run(list(terms), variables={}, api_token=TOKEN, **options)

    return run, fake, transports


def test_without_terms_every_server_sorted_by_name_in_the_server_view(lookup):
    run, _fake, transports = lookup
    servers = run()
    assert [server["name"] for server in servers] == ["1", "web1", "web2"]
    assert servers[1]["status"] == "off"
    assert {"id", "name", "status", "locked", "labels", "ipv4", "ipv6", "location"} <= set(servers[0])
    assert [call[1] for call in transports[0].calls] == ["/servers"]


def test_terms_by_name_or_id_in_the_order_given(lookup):
    run, _fake, _transports = lookup
    assert [server["id"] for server in run("web2", "2", "web1")] == [2, 2, 1]


def test_a_term_that_is_a_name_and_another_servers_id_fails_naming_both(lookup):
    run, _fake, _transports = lookup
    with pytest.raises(AnsibleLookupError, match=r"server 1 is ambiguous: it is the name of server 3 \(1\) and the ID of server 1 \(web1\)"):
        run("1")


def test_missing_terms_fail_or_are_skipped(lookup):
    run, _fake, _transports = lookup
    with pytest.raises(AnsibleLookupError, match="no server named or numbered ghost"):
        run("web1", "ghost")
    assert [server["name"] for server in run("web1", "ghost", missing="skip")] == ["web1"]


def test_running_actions_come_from_one_listing(lookup):
    run, fake, transports = lookup
    backup = make_action(70, command="backup", progress=40)
    backup["resources"] = [{"type": "server", "id": 2}]
    fake.running = [[backup]]
    servers = {server["name"]: server for server in run(include_running_actions=True)}
    assert servers["web2"]["running_actions"] == [{"id": 70, "command": "backup", "started": backup["started"], "progress": 40}]
    assert servers["web1"]["running_actions"] == []
    assert [call[1] for call in transports[0].calls] == ["/servers", "/servers/actions"]


def test_an_api_error_goes_through_the_shared_failure_path(lookup, monkeypatch):
    run, _fake, _transports = lookup

    def refuse(self, method, path, params=None, json=None):  # pylint: disable=unused-argument
        raise APIException(code="unauthorized", message="unable to authenticate", details=None)

    monkeypatch.setattr(FakeTransport, "request", refuse)
    with pytest.raises(AnsibleLookupError) as raised:
        run()
    assert "unable to authenticate (unauthorized) (the API token was refused: check api_token or HCLOUD_TOKEN)" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_an_unknown_keyword_fails_naming_the_known_options(lookup):
    run, _fake, transports = lookup
    with pytest.raises(AnsibleLookupError) as raised:
        run(labelselector="env=prod")
    message = str(raised.value)
    assert "unknown option(s) labelselector" in message
    assert "label_selector" in message and "include_running_actions" in message and "_terms" not in message
    assert transports == []  # refused before connecting


class VaultTemplar:
    """The lookup's templar, as Ansible hands it over: resolves ``{{ name }}`` from the task's variables."""

    def __init__(self, variables):
        self.variables = variables

    def template(self, value):
        if isinstance(value, str) and value.startswith("{{") and value.endswith("}}"):
            return self.variables[value.strip("{} ")]
        return value


def test_the_token_and_endpoint_variables_are_templated_with_the_lookups_templar(monkeypatch):
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader()
    seen = []

    def connect(cls, api_token, api_endpoint, request_timeout, **kwargs):  # pylint: disable=unused-argument
        seen.append((api_token, api_endpoint))
        return HcloudApi(FakeTransport(FakeApi(servers=[make_server(1, "web1")])), FakeRateLimit(), clock=FakeClock())

    monkeypatch.setattr(HcloudApi, "connect", classmethod(connect))
    variables = {
        "hcloud_api_token": "{{ vault_hcloud_token }}",
        "hcloud_api_endpoint": "{{ sim_url }}",
        "vault_hcloud_token": TOKEN,
        "sim_url": "http://127.0.0.1:8765/v1",
        "unrelated": "{{ not_templated }}",
    }
    plugin = lookup_loader.get("lockaware.hcloud.servers", templar=VaultTemplar(variables))
    assert [server["name"] for server in plugin.run([], variables=variables)] == ["web1"]
    assert seen == [(TOKEN, "http://127.0.0.1:8765/v1")]


def test_a_variable_that_cannot_be_templated_fails_naming_it(monkeypatch):
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader()
    monkeypatch.setattr(HcloudApi, "connect", classmethod(lambda *args, **kwargs: pytest.fail("connected")))
    plugin = lookup_loader.get("lockaware.hcloud.servers", templar=VaultTemplar({}))
    with pytest.raises(AnsibleLookupError, match="the variable hcloud_api_token cannot be templated"):
        plugin.run([], variables={"hcloud_api_token": "{{ vault_hcloud_token }}"})


def test_an_error_carrying_the_token_is_reported_without_it_and_not_chained(lookup, monkeypatch):
    run, _fake, _transports = lookup

    def dump(self, method, path, params=None, json=None):  # pylint: disable=unused-argument
        raise ValueError(f"Invalid header value: {f'Bearer {TOKEN}'!r}")

    monkeypatch.setattr(FakeTransport, "request", dump)
    with pytest.raises(AnsibleLookupError) as raised:
        run()
    assert TOKEN not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.fixture(name="projects_lookup")
def projects_lookup_fixture(monkeypatch):
    """``(run, connects)``: two fake projects, told apart by their endpoints; a third endpoint refuses its token."""
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader()
    fakes = {
        "http://127.0.0.1:1/v1": FakeApi(servers=[make_server(2, "web2"), make_server(1, "web1", status="off")]),
        "http://127.0.0.1:2/v1": FakeApi(servers=[make_server(7, "web1")]),
    }
    connects = []
    transports = {}

    def connect(cls, api_token, api_endpoint, request_timeout, **kwargs):  # pylint: disable=unused-argument
        build_client(api_token, api_endpoint, request_timeout)
        connects.append((api_token, api_endpoint))
        if api_endpoint not in fakes:
            raise APIException(code="unauthorized", message="unable to authenticate", details=None)
        transports[api_endpoint] = FakeTransport(fakes[api_endpoint])
        return HcloudApi(transports[api_endpoint], FakeRateLimit(), clock=FakeClock())

    monkeypatch.setattr(HcloudApi, "connect", classmethod(connect))
    plugin = lookup_loader.get("lockaware.hcloud.servers")

    def run(*terms, **options):
        return plugin.run(list(terms), variables={}, **options)

    run.transports = transports
    return run, connects


def two_projects(**keys):
    return [
        {"name": "prod", "api_token": TOKEN + "-prod", "api_endpoint": "http://127.0.0.1:1/v1", **keys},
        {"name": "stage", "api_token": TOKEN + "-stage", "api_endpoint": "http://127.0.0.1:2/v1"},
    ]


def test_projects_each_listed_with_its_own_token_and_named_on_each_server(projects_lookup):
    run, connects = projects_lookup
    servers = run(projects=two_projects())
    assert [(server["project"], server["name"], server["id"]) for server in servers] == [("prod", "web1", 1), ("prod", "web2", 2), ("stage", "web1", 7)]
    assert sorted(connects) == [(TOKEN + "-prod", "http://127.0.0.1:1/v1"), (TOKEN + "-stage", "http://127.0.0.1:2/v1")]


def test_a_projects_own_selector_and_status_win_over_the_lookups(projects_lookup):
    run, _connects = projects_lookup
    run(projects=two_projects(server_status=["off"], label_selector="env=prod"), status=["running"], label_selector="backup=daily")
    assert run.transports["http://127.0.0.1:1/v1"].calls[0][2] == {"label_selector": "env=prod", "status": ["off"], **PAGE}
    assert run.transports["http://127.0.0.1:2/v1"].calls[0][2] == {"label_selector": "backup=daily", "status": ["running"], **PAGE}


def test_a_project_that_cannot_be_listed_fails_the_lookup_by_name_without_its_token(projects_lookup):
    run, connects = projects_lookup
    projects = [*two_projects(), {"name": "gone", "api_token": TOKEN + "-gone", "api_endpoint": "http://127.0.0.1:3/v1"}]
    with pytest.raises(AnsibleLookupError) as raised:
        run(projects=projects)
    message = str(raised.value)
    assert message.startswith("lockaware.hcloud.servers: 1 of 3 projects could not be listed: project gone: ")
    assert "unable to authenticate" in message and "-gone" not in message
    assert len(connects) == 3  # the others were listed all the same


@pytest.mark.parametrize(
    ("terms", "options", "message"),
    [
        (["web1"], {}, "projects cannot be combined with terms"),
        ([], {"api_token": TOKEN}, "projects cannot be combined with api_token"),
        ([], {"api_endpoint": "http://127.0.0.1:1/v1"}, "projects cannot be combined with api_endpoint"),
    ],
)
def test_projects_refuse_terms_and_a_token_of_their_own(projects_lookup, terms, options, message):
    run, connects = projects_lookup
    with pytest.raises(AnsibleLookupError, match=message):
        run(*terms, projects=two_projects(), **options)
    assert connects == []


def test_a_bad_project_entry_fails_before_any_request(projects_lookup):
    run, connects = projects_lookup
    with pytest.raises(AnsibleLookupError, match=r"^lockaware.hcloud.servers: project stage: api_token is missing"):
        run(projects=[two_projects()[0], {"name": "stage"}])
    assert connects == []


def test_without_a_token_the_lookup_says_where_to_set_it(monkeypatch):
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader()
    monkeypatch.delenv("HCLOUD_TOKEN", raising=False)
    plugin = lookup_loader.get("lockaware.hcloud.servers")
    with pytest.raises(
        AnsibleLookupError, match=r"^lockaware\.hcloud\.servers: no API token given: set the api_token option or the HCLOUD_TOKEN environment variable"
    ):
        plugin.run([], variables={})
