"""Unit tests for the reads shared by the tasks of a fleet run, and a task's API over them."""

from __future__ import annotations

import datetime
import threading
import time
from types import SimpleNamespace

import pytest
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._ratelimit import RateLimitObserver
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import ServerNotFound
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_task_api import FleetTaskApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._listing_cache import GATHER, ListingCache, SeriesCache
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._shared_reads import SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import POLL_TICK
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import BURST, RequestBudget

ID_CAP = 25


class Clock:
    """A clock the test moves."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class RecordingApi:
    """Answers the shared reads from fixed data and records each request."""

    def __init__(self):
        self.requests = []
        self.servers = [{"id": 1, "name": "web1"}, {"id": 2, "name": "web2"}]
        self.running = [{"id": 10, "command": "backup", "status": "running", "resources": [{"type": "server", "id": 1}]}]
        self.actions = {}
        self.hidden = set()  # ids an answer of GET /actions?id= leaves out

    def get_all_concurrently(self, path, key, params=None, workers=8):  # pylint: disable=unused-argument
        self.requests.append((path, params))
        if path == "/servers":
            return list(self.servers)
        if path == "/servers/actions":
            return list(self.running)
        return [{"id": 500, "labels": dict(params or {})}]

    def snapshots(self, label_selector=None, since=None):
        self.requests.append(("/images", {"type": "snapshot", **({"label_selector": label_selector} if label_selector else {}), "since": since}))
        return [{"id": 500, "labels": {}}]

    def unlabelled_managed(self):
        return self.snapshots("lockaware.hcloud/managed,!lockaware.hcloud/server")

    def running_actions(self, server_id):
        self.requests.append((f"/servers/{server_id}/actions", {"status": "running"}))
        return [action for action in self.running if any(res["id"] == server_id for res in action["resources"])]

    def get(self, path, params=None):
        self.requests.append((path, params))
        ids = params["id"][:ID_CAP]  # the real API answers the first 25 ids only
        return {"actions": [self._action(action_id) for action_id in ids if action_id not in self.hidden]}

    def action(self, action_id):
        self.requests.append((f"/actions/{action_id}", None))
        return self._action(action_id)

    def _action(self, action_id):
        return dict(self.actions.get(action_id, {"id": action_id, "status": "running", "command": "create_image", "progress": 0}))


@pytest.fixture(name="setup")
def setup_fixture():
    api, clock = RecordingApi(), Clock()
    return api, clock, SharedReads(api, RequestBudget(clock=clock), clock)


@pytest.fixture(name="listings")
def listings_fixture():
    api, clock = RecordingApi(), Clock()
    return api, clock, ListingCache(api, clock)


def test_servers_are_listed_once_for_every_lookup(setup):
    api, _clock, shared = setup
    assert shared.server("web1")["id"] == 1
    assert shared.server("2")["name"] == "web2"
    with pytest.raises(ServerNotFound):
        shared.server("ghost")
    assert [path for path, _params in api.requests] == ["/servers"]


def test_snapshots_are_listed_once_per_selector_not_on_a_timer_and_returned_as_copies(listings):
    api, clock, shared = listings
    first = shared.snapshots("env=prod")
    first.clear()
    assert len(shared.snapshots("env=prod")) == 1
    shared.snapshots(None)
    assert [params for path, params in api.requests] == [
        {"type": "snapshot", "label_selector": "env=prod", "since": None},
        {"type": "snapshot", "since": None},
    ]
    clock.now += 300.0
    shared.snapshots("env=prod")
    assert len(api.requests) == 2


def test_a_listing_back_to_a_later_time_is_served_by_one_back_to_an_earlier_one(listings):
    api, _clock, shared = listings
    early, late = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc), datetime.datetime(2026, 12, 2, tzinfo=datetime.timezone.utc)
    shared.snapshots(None, early)
    shared.snapshots(None, late)
    assert len(api.requests) == 1
    shared.snapshots(None, None)  # the whole listing is more than the window
    assert len(api.requests) == 2


def test_a_task_about_to_create_reads_after_it_asked_and_shares_that_read(listings):
    api, clock, shared = listings
    shared.snapshots(None)
    clock.now += 1.0
    shared.snapshots_now(None)
    assert len(api.requests) == 2  # the first listing began before this task asked
    shared.snapshots(None)
    assert len(api.requests) == 2  # and the fresh one now serves the shared listing too


def test_earlier_versions_snapshots_are_listed_once_per_run(setup):
    api, _clock, shared = setup
    shared.unlabelled_managed()
    shared.unlabelled_managed()
    assert api.requests == [("/images", {"type": "snapshot", "label_selector": "lockaware.hcloud/managed,!lockaware.hcloud/server", "since": None})]


def test_running_actions_one_listing_then_the_locking_actions_are_polled_by_id(setup):
    api, clock, shared = setup
    assert [action["id"] for action in shared.running_actions(1)] == [10]
    assert shared.running_actions(2) == []
    assert [path for path, _params in api.requests] == ["/servers/actions"]
    clock.now += 12.0
    api.running = []
    api.actions[10] = {"id": 10, "command": "backup", "status": "success", "resources": [{"type": "server", "id": 1}]}
    assert [action["id"] for action in shared.running_actions(1)] == [10]  # read a tick on, with the locks watched meanwhile
    clock.now += POLL_TICK
    assert shared.running_actions(1) == []
    # The lock's end is seen by polling its action, not by listing every server's running actions again.
    assert [path for path, _params in api.requests] == ["/servers/actions", "/actions/10"]
    assert shared.running_actions(1) == []
    assert len(api.requests) == 2


def test_every_page_of_the_running_actions_listing_is_paid_from_the_budget():
    api, clock = RecordingApi(), Clock()
    budget = RequestBudget(clock=clock)
    shared = SharedReads(api, budget, clock)
    api.running = [{"id": 100 + i, "command": "backup", "status": "running", "resources": [{"type": "server", "id": 1000 + i}]} for i in range(160)]
    shared.running_actions(1)
    assert budget.seconds_until(BURST) == pytest.approx(4 / 0.25)  # 4 pages of 50: 4 requests of the burst


def test_forget_running_reads_that_servers_own_running_actions_next(setup):
    api, _clock, shared = setup
    shared.running_actions(1)
    shared.forget_running(1)
    assert [action["id"] for action in shared.running_actions(1)] == [10]
    assert [path for path, _params in api.requests] == ["/servers/actions", "/servers/1/actions"]


def test_an_action_begun_while_a_poll_is_due_soon_joins_it_instead_of_being_read_alone(setup):
    api, clock, shared = setup
    shared.action(7)  # alone: read at once, and due again about a second on
    for action_id in range(8, 30):
        clock.now += 0.02
        shared.action(action_id)
    assert [path for path, _params in api.requests] == ["/actions/7"]
    clock.now += 2.0
    shared.action(7)
    assert [sorted(ids) for ids in batch_polls(api)] == [list(range(7, 30))]


def test_with_linear_progress_only_the_actions_due_are_polled():
    # 100 actions (4 requests' worth) begun together, ending 20 s apart in groups of 25: each poll reads the due
    # group, not all four requests' worth of ids every time.
    api, clock = RecordingApi(), Clock()
    shared = SharedReads(api, RequestBudget(clock=clock), clock)
    started = clock.now
    ends = {action_id: 40.0 + 20.0 * ((action_id - 1) // 25) for action_id in range(1, 101)}
    for action_id in ends:
        shared.action(action_id)

    def progress():
        elapsed = clock.now - started
        for action_id, end in ends.items():
            done = elapsed >= end
            api.actions[action_id] = {
                "id": action_id,
                "command": "create_image",
                "status": "success" if done else "running",
                "progress": min(100, int(100 * elapsed / end)),
            }

    seen_end = {}
    while len(seen_end) < len(ends):
        clock.now += 0.5
        progress()
        for action_id in ends:
            if action_id not in seen_end and shared.action(action_id)["status"] == "success":
                seen_end[action_id] = clock.now - started
    assert all(seen_end[action_id] - end <= 6.0 for action_id, end in ends.items())  # each end seen within a few seconds
    # Rounds over all 100 (4 requests a poll, at the soonest estimate) took 32 requests here; the due ones, 13.
    assert len(batch_polls(api)) <= 20


def batch_polls(api):
    return [params["id"] for path, params in api.requests if path == "/actions"]


def test_actions_are_polled_together_and_finished_ones_no_more(setup):
    api, clock, shared = setup
    assert shared.action(7)["status"] == "running"
    assert shared.action(8)["status"] == "running"  # registered; fetched with the next batch, not on its own
    assert [path for path, _params in api.requests] == ["/actions/7"]  # one action alone: GET /actions/{id}
    clock.now += 3.0
    api.actions[7] = {"id": 7, "status": "success", "command": "create_image"}
    assert shared.action(7)["status"] == "success"
    assert [sorted(ids) for ids in batch_polls(api)] == [[7, 8]]
    assert all("per_page" not in params for path, params in api.requests if path == "/actions")
    clock.now += 12.0
    shared.action(8)
    assert api.requests[-1][0] == "/actions/8"


def test_action_polls_ask_for_at_most_25_ids_each(setup):
    api, clock, shared = setup
    for action_id in range(1, 61):
        shared.action(action_id)
    api.requests.clear()
    clock.now += 12.0
    shared.action(1)
    assert [len(ids) for ids in batch_polls(api)] == [25, 25, 10]
    assert len(api.requests) == 3  # nothing missing: nothing read alone


def test_an_id_missing_from_an_answer_is_read_on_its_own(setup):
    api, clock, shared = setup
    for action_id in (1, 2, 3):
        shared.action(action_id)
    api.hidden = {2}
    api.actions[2] = {"id": 2, "status": "success", "command": "create_image"}
    clock.now += 12.0
    shared.action(1)
    assert api.requests[-1] == ("/actions/2", None)
    assert shared.action(2)["status"] == "success"  # seen, not waited on until the timeout


def test_an_action_the_api_no_longer_knows_fails_its_own_waiter_only(setup):
    api, clock, shared = setup
    for action_id in (1, 2, 3):
        shared.action(action_id)
    api.hidden = {2}
    read_alone = api.action

    def action(action_id):
        if action_id == 2:
            raise APIException(code="not_found", message="action not found", details=None, correlation_id="abc")
        return read_alone(action_id)

    api.action = action
    api.actions[3] = {"id": 3, "status": "success", "command": "create_image"}
    clock.now += 12.0
    assert shared.action(1)["status"] == "running"  # the poll that met the 404 did not fail this waiter
    assert shared.action(3)["status"] == "success"
    ended = shared.action(2)
    assert ended["status"] == "error"
    assert ended["error"]["code"] == "not_found"
    assert "no longer knows action 2" in ended["error"]["message"]


def stuck_waits(fleet, seconds, share=0.25, limit=3600, remaining=None):
    """``fleet`` waiters, each looking every 0.5 s for ``seconds``, at actions whose progress stays 0."""
    api, clock = RecordingApi(), Clock()
    rate_limit = type("Headers", (), {"limit": limit, "remaining": remaining})()
    shared = SharedReads(api, RequestBudget(share, rate_limit, clock), clock)
    for action_id in range(1, fleet + 1):
        shared.action(action_id)
    api.requests.clear()
    for _tick in range(int(seconds / 0.5)):
        clock.now += 0.5
        for action_id in range(1, fleet + 1):
            shared.action(action_id)
    return api.requests


def test_stuck_progress_keeps_a_fleet_within_a_quarter_of_the_projects_rate():
    requests = stuck_waits(50, 600)
    assert (len(requests) - BURST) / 600 <= 0.25  # the budget: BURST at once, then a quarter of a request a second
    assert all(len(params["id"]) <= ID_CAP for path, params in requests if path == "/actions")


def test_the_budget_follows_the_projects_limit_and_slows_as_the_remaining_requests_run_low():
    roomy = len(stuck_waits(300, 600, limit=7200))
    assert (roomy - BURST) / 600 <= 0.5
    assert roomy / 600 > 0.4  # twice the limit, about twice the polls of a 3600-an-hour project
    low = len(stuck_waits(300, 600, remaining=400))
    assert (low - BURST) / 600 < 0.25 * 0.2
    # Below 5 % of the project's budget left, the waits of a run together trickle: one request a minute, no burst.
    nearly_empty = stuck_waits(300, 600, remaining=100)
    assert 1 <= len(nearly_empty) <= 600 / 60 + 1
    assert stuck_waits(300, 600, remaining=0) == []  # none is left: none is spent on waiting


def test_waits_that_slowed_down_see_the_requests_come_back():
    # The remaining requests are projected from the last answer plus the API's refill (3600 an hour, one a second):
    # a run whose waits had stopped asking near an empty project speeds up again without having to ask.
    api, clock = RecordingApi(), Clock()
    observer = RateLimitObserver(clock=clock)
    observer.observe(SimpleNamespace(headers={"RateLimit-Limit": "3600", "RateLimit-Remaining": "0", "RateLimit-Reset": "0"}))
    shared = SharedReads(api, RequestBudget(0.25, observer, clock), clock)
    for action_id in range(1, 51):
        shared.action(action_id)
    api.requests.clear()
    counts = []
    for _minute in range(40):
        before = len(api.requests)
        for _tick in range(120):
            clock.now += 0.5
            for action_id in range(1, 51):
                shared.action(action_id)
        counts.append(len(api.requests) - before)
    assert sum(counts[:3]) <= 3  # nearly empty: a trickle
    assert counts[-1] >= 0.2 * 60  # refilled past half (30 min): a quarter of a request a second again


def test_a_budget_that_pays_for_part_of_a_poll_starves_no_action():
    requests = stuck_waits(200, 600)  # 8 requests a poll; the budget pays about one every 4 s
    polled = [action_id for path, params in requests if path == "/actions" for action_id in params["id"]]
    assert set(polled) == set(range(1, 201))
    assert len(requests) / 600 <= 0.25 + BURST / 600


def test_linear_progress_polls_near_the_estimated_end():
    api, clock = RecordingApi(), Clock()
    shared = SharedReads(api, RequestBudget(clock=clock), clock)
    started = clock.now
    for action_id in range(1, 31):
        shared.action(action_id)
    while shared.action(1)["status"] == "running":
        clock.now += 0.5
        elapsed = clock.now - started
        done = elapsed >= 40
        api.actions.update(
            {
                i: {"id": i, "command": "create_image", "status": "success" if done else "running", "progress": min(100, int(elapsed * 2.5))}
                for i in range(1, 31)
            }
        )
        for action_id in range(2, 31):
            shared.action(action_id)
    assert clock.now - started <= 41.5  # seen within a poll of its end
    assert len(batch_polls(api)) <= 16  # paced by the progress, not every second


class ClientApi:
    """The run's client: records what it was asked."""

    def __init__(self, create_error=None):
        self.rate_limit = object()
        self.calls = []
        self._create_error = create_error

    def snapshots(self, label_selector=None, since=None):  # pylint: disable=unused-argument
        self.calls.append(("snapshots", label_selector))
        return []

    def snapshots_now(self, label_selector=None, since=None):
        return self.snapshots(label_selector, since)

    def create_snapshot(self, server_id, description, labels):
        self.calls.append(("create_snapshot", server_id))
        if self._create_error:
            raise self._create_error
        return {"id": 1}, {"id": 2}


def test_fresh_listings_go_to_the_client_and_others_are_shared(setup):
    api, _clock, shared = setup
    client = ClientApi()
    task_api = FleetTaskApi(client, shared)
    task_api.snapshots_now("lockaware.hcloud/request=abc")
    task_api.snapshots("env=prod")
    assert client.calls == [("snapshots", "lockaware.hcloud/request=abc")]
    assert api.requests[-1][1] == {"type": "snapshot", "label_selector": "env=prod", "since": None}


def test_a_locked_answer_makes_the_running_actions_fetched_again(setup):
    api, _clock, shared = setup
    task_api = FleetTaskApi(ClientApi(APIException(code="locked", message="locked", details=None)), shared)
    task_api.running_actions(1)
    with pytest.raises(APIException):
        task_api.create_snapshot(1, "d", {})
    task_api.running_actions(1)
    assert [path for path, _params in api.requests] == ["/servers/actions", "/servers/1/actions"]


def test_series_of_servers_asking_at_once_share_label_selected_reads():
    api, clock = RecordingApi(), Clock()
    shared = SeriesCache(api, clock)
    shared._waiting.update(range(1, 8))  # pylint: disable=protected-access
    shared.series(8, {"env": "prod"})
    selectors = [params["label_selector"] for path, params in api.requests]
    assert selectors == [
        "env=prod,lockaware.hcloud/managed=true,lockaware.hcloud/server in (1,2,3,4,5)",
        "env=prod,lockaware.hcloud/managed=true,lockaware.hcloud/server in (6,7,8)",
    ]
    shared.series(3, {"env": "prod"})
    assert len(api.requests) == 3  # asked after that read began: read again, fresh


def test_resends_after_locked_are_paid_from_the_runs_budget():
    # Many servers locked by actions the API does not list: each resend round (3 requests) is reserved from the
    # budget; once the burst is spent, the rounds are spaced so that together they keep to the budget's rate.
    clock = Clock()
    budget = RequestBudget(0.25, None, clock)
    delays = [budget.reserve(3) for _round in range(10)]
    assert delays[:6] == [0.0] * 6  # 18 of the 20 requests of the burst
    assert delays[6] == pytest.approx(1 / 0.25)  # one request short: 4 s at a quarter of a request a second
    assert delays[9] == pytest.approx(10 / 0.25)  # ten short: 40 s
    clock.now += 40.0
    assert budget.reserve(0) == 0.0  # paid back by the refill


def test_a_fleet_task_that_starts_later_plans_from_a_listing_read_after_it_began(setup):
    api, clock, shared = setup
    first, later = FleetTaskApi(ClientApi(), shared), FleetTaskApi(ClientApi(), shared)
    first.snapshots("env=prod")
    clock.now += 10.0  # concurrency below the fleet's size: this task starts once another has finished
    later.snapshots("env=prod")
    assert len([path for path, _params in api.requests if path == "/images"]) == 2


class AskingClock(Clock):
    """A clock the test moves; each sleep is the moment other tasks ask (``meanwhile``, run before time moves on)."""

    def __init__(self, meanwhile):
        super().__init__()
        self.meanwhile = meanwhile
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.meanwhile()
        self.now += seconds


def ask_meanwhile(ask, server_ids, waiting):
    """Start one task per server calling ``ask(server_id)``; return once each is waiting (``waiting()``: the servers
    waiting), and the threads with what each got."""
    answers, threads = {}, []
    for server_id in server_ids:
        thread = threading.Thread(target=lambda server_id=server_id: answers.setdefault(server_id, ask(server_id)))
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + 10
    while not set(server_ids) <= set(waiting()) and time.monotonic() < deadline:
        pass  # the other tasks register in microseconds
    return threads, answers


def test_a_series_read_waits_a_tick_for_the_servers_asking_at_once_and_serves_them_all():
    # The tasks whose snapshots one poll's answer shows made ask within a tick of each other (each looks at the shared
    # answers every tick): the first to ask waits that long, then one label-selected read serves them all. Without the
    # wait, the first read carried that server alone and the others a second read.
    api, started = RecordingApi(), []
    shared = SeriesCache(
        api, AskingClock(lambda: started.extend([ask_meanwhile(lambda server_id: shared.series(server_id, {}), [2, 3, 4], lambda: shared._waiting)]))
    )  # pylint: disable=protected-access
    assert shared.series(1, {}) == []
    assert started, "the read began without waiting for the servers asking at once"
    threads, answers = started[0]
    for thread in threads:
        thread.join(10)
    assert [params["label_selector"] for _path, params in api.requests] == ["lockaware.hcloud/managed=true,lockaware.hcloud/server in (1,2,3,4)"]
    assert answers == {2: [], 3: [], 4: []}
    assert shared._clock.sleeps == [GATHER]  # pylint: disable=protected-access


def test_the_look_for_a_match_made_meanwhile_reads_the_series_and_what_is_outside_any_series(setup):
    # After a lock, a task looks again before it sends create_image. The project's window holds every snapshot the
    # run made, pages of them (read twice when they span pages): instead, what is outside any series (other clients',
    # earlier versions'), shared by the tasks asking at once, and the server's series with those asking at once.
    api, _clock, shared = setup
    since = datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc)
    shared.server_snapshots_now(1, {"env": "prod"}, since)
    assert [params for _path, params in api.requests] == [
        {"type": "snapshot", "label_selector": "env=prod,!lockaware.hcloud/server", "since": since},
        {"type": "snapshot", "label_selector": "env=prod,lockaware.hcloud/managed=true,lockaware.hcloud/server in (1)", "since": None},
    ]
