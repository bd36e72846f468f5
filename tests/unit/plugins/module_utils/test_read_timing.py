# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When the shared reads of a fleet ask: an action's first reading, the locks before the creates, full series reads."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._listing_cache import FILL_WAIT, GATHER, SERIES_PER_READ, SeriesCache
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import FIRST_READ, FIRST_SHARE, ActionPoller
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock


class ActionsApi:
    """Answers ``GET /actions?id=`` and ``GET /actions/{id}`` from ``actions`` (running at 0 % unless set) and records
    the ids each request read."""

    def __init__(self):
        self.actions = {}
        self.polls = []

    def get(self, path, params=None):
        assert path == "/actions"
        self.polls.append(list(params["id"]))
        return {"actions": [self._answer(action_id) for action_id in params["id"]]}

    def action(self, action_id):
        self.polls.append([action_id])
        return self._answer(action_id)

    def _answer(self, action_id):
        return dict(self.actions.get(action_id, {"id": action_id, "command": "create_image", "status": "running", "progress": 0}))

    def end(self, action_id):
        self.actions[action_id] = {"id": action_id, "command": "create_image", "status": "success", "progress": 100}


class SeriesApi:
    """Answers series reads with nothing and records their label selectors."""

    def __init__(self):
        self.selectors = []

    def snapshots(self, label_selector=None, since=None):  # pylint: disable=unused-argument
        self.selectors.append(label_selector)
        return []


def test_an_action_begun_once_others_ended_is_first_read_at_a_share_of_the_shortest_duration():
    # An action read a second after it began reads 0 %: nothing to estimate by. Once the poller has seen an action
    # begin and end (40 s), a new one is first read at a quarter of that, not at once.
    api, clock = ActionsApi(), FakeClock()
    poller = ActionPoller(api, RequestBudget(clock=clock), clock)
    poller.action(1)  # alone, nothing known: read at once
    assert api.polls == [[1]]
    clock.sleep(40.0)
    api.end(1)
    assert poller.action(1)["status"] == "success"
    polls = len(api.polls)
    begun = clock()
    poller.action(2)
    while len(api.polls) == polls:
        clock.sleep(0.5)
        poller.action(2)
    assert clock() - begun == pytest.approx(FIRST_SHARE * 40.0, abs=0.5)
    assert FIRST_SHARE * 40.0 <= FIRST_READ  # bounded: a long action seen first never delays a short one by more


def test_actions_begun_beside_others_are_not_read_at_zero_percent_by_requests_of_their_own():
    # A fleet's 200 creates begin together. Read a second later they report 0 %, and again a second after that:
    # eight requests a round that tell nothing. Now each is first read when its first reading is due (FIRST_READ), or
    # sooner once the progress of others tells their duration.
    api, clock = ActionsApi(), FakeClock()
    poller = ActionPoller(api, RequestBudget(clock=clock), clock)
    poller.action(1)
    for action_id in range(2, 201):
        poller.action(action_id)
    while clock.slept < FIRST_READ - 0.5:
        clock.sleep(0.5)
        poller.action(1)
    # The first one's backoff rounds (1, 1.5, 2.25, 3.4 s ...), a request each, the others read at 0 % in its fill
    # staying due when they were (their backoff would have made a poll of eight requests every second or two).
    assert len(api.polls) <= 6
    while clock.slept < FIRST_READ + 1.0:
        clock.sleep(0.5)
        poller.action(1)
    assert {action_id for poll in api.polls for action_id in poll} == set(range(1, 201))


def test_once_an_early_action_tells_its_duration_the_actions_not_read_yet_are_due_at_their_share():
    api, clock = ActionsApi(), FakeClock()
    poller = ActionPoller(api, RequestBudget(clock=clock), clock)
    for action_id in range(1, 31):
        poller.action(action_id)
    api.end(1)
    while poller.action(1)["status"] == "running":  # the probe's polls: 1, and 2 to 25 at 0 % in the request's fill
        clock.sleep(0.5)
    assert {action_id for poll in api.polls for action_id in poll} == set(range(1, 26))
    assert clock.slept < FIRST_READ
    polls = len(api.polls)
    poller.action(26)  # its waiter looks: due now (a quarter of 1's duration after its begin), not at FIRST_READ
    assert set(range(26, 31)) <= set(api.polls[polls])


def test_when_the_budget_pays_for_part_of_a_poll_the_actions_that_lock_a_server_are_read_first():
    # A lock's end is on the way to a create (and to the snapshot's end): with 50 creates and 5 locks all due and one
    # request's worth of budget, that request carries the 5 locks, though the creates have been due longer.
    api, clock = ActionsApi(), FakeClock()
    budget = RequestBudget(clock=clock, burst=1.0)
    poller = ActionPoller(api, budget, clock)
    budget.spend(1.0)
    for action_id in range(1, 51):
        poller.action(action_id)
    clock.sleep(3.0)
    for action_id in range(101, 106):
        poller.watch({"id": action_id, "command": "create_backup", "status": "running", "progress": 0}, clock())
    clock.sleep(1.0 / budget.rate())  # refilled by one request
    poller.action(1)
    assert len(api.polls) == 1
    assert set(range(101, 106)) <= set(api.polls[0])


class AskingClock(FakeClock):
    """A fake clock on whose sleeps other servers ask for their series (``arrivals``: per sleep, the servers)."""

    def __init__(self, cache_of, arrivals):
        super().__init__()
        self._cache_of = cache_of
        self._arrivals = list(arrivals)

    def sleep(self, seconds):
        if self._arrivals:
            with self._cache_of()._lock:  # pylint: disable=protected-access
                self._cache_of()._waiting.update(self._arrivals.pop(0))  # pylint: disable=protected-access
        super().sleep(seconds)


def test_while_snapshots_are_still_being_made_a_series_read_waits_to_carry_a_full_read():
    # The ends one poll sees are one or two servers: rotation's read waits for the next ends (while some are coming)
    # and reads SERIES_PER_READ servers at once instead of a read per poll.
    api, caches = SeriesApi(), []
    clock = AskingClock(lambda: caches[0], [[2], [], [3], [], [], [4, 5]])
    cache = SeriesCache(api, clock, coming=lambda: True)
    caches.append(cache)
    cache.series(1, {})
    assert api.selectors == ["lockaware.hcloud/managed=true,lockaware.hcloud/server in (1,2,3,4,5)"]
    assert SERIES_PER_READ == 5
    assert clock.slept < FILL_WAIT


def test_a_series_read_waits_at_most_fill_wait_and_not_at_all_when_no_one_is_coming():
    api, clock = SeriesApi(), FakeClock()
    cache = SeriesCache(api, clock, coming=lambda: True)
    cache.series(1, {})
    assert len(api.selectors) == 1
    assert FILL_WAIT <= clock.slept <= FILL_WAIT + GATHER  # bounded: a lone server's rotation waits this long at most
    alone, clock = SeriesApi(), FakeClock()
    SeriesCache(alone, clock, coming=lambda: False).series(1, {})
    assert clock.sleeps == [GATHER]  # the run's last snapshots: nobody else will ask, so no wait past the tick


def test_a_sure_estimate_is_read_again_near_the_end_not_at_four_fifths_of_the_way_each_time():
    # An action of 100 s with linear progress: at 0.8 of the time left every time it took 6 readings (0, 1, 60, 91, 98,
    # then the end); the surer the estimate (the more points risen), the nearer the end the next reading goes.
    api, clock = ActionsApi(), FakeClock()
    poller = ActionPoller(api, RequestBudget(clock=clock), clock)
    begun = clock()
    poller.action(1)
    while True:
        elapsed = clock() - begun
        api.actions[1] = {"id": 1, "command": "create_image", "status": "success" if elapsed >= 100 else "running", "progress": min(100, int(elapsed))}
        if poller.action(1)["status"] == "success":
            break
        clock.sleep(0.5)
    assert clock() - begun <= 102.0  # its end seen within a poll or two
    assert len(api.polls) <= 5


def test_locks_watched_one_after_another_are_read_together_not_a_poll_each():
    # The tasks of locked servers look again one after another (80 ms apart), each lock due already (listed a while
    # ago): each was read at once, a request of its own (with 24 others in its fill), 17 requests in 1.4 s of a
    # steady-state run. A newly watched lock now waits a tick, and the poll it makes reads the others with it.
    api, clock = ActionsApi(), FakeClock()
    poller = ActionPoller(api, RequestBudget(clock=clock), clock)
    listed_at = clock()
    clock.sleep(2.0)
    for action_id in range(101, 121):
        poller.watch({"id": action_id, "command": "create_backup", "status": "running", "progress": 10}, listed_at)
        poller.action(action_id)
        clock.sleep(0.08)
    while clock.slept < 4.0:
        poller.action(101)
        clock.sleep(0.1)
    assert len(api.polls) <= 3
    assert {action_id for poll in api.polls for action_id in poll} == set(range(101, 121))
