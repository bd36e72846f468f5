"""Unit tests for the first read of new snapshots, shared by a fleet's tasks and paid from the run's budget."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_task_api import FleetTaskApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._new_snapshot_reads import (
    SNAPSHOTS_PER_READ,
    YIELD_AT_MOST,
    NewSnapshotReads,
    request_selector,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._shared_reads import SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import POLL_TICK
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import BURST, RequestBudget
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.test_shared_reads import AskingClock, Clock, ask_meanwhile

REQUEST = "lockaware.hcloud/request"


class ImagesApi:
    """Snapshots with request labels; records every read."""

    def __init__(self, count):
        self.images = {500 + index: {"id": 500 + index, "status": "available", "labels": {REQUEST: f"r{index:03d}"}} for index in range(count)}
        self.reads = []

    def snapshots(self, label_selector=None, since=None):  # pylint: disable=unused-argument
        self.reads.append(label_selector)
        wanted = set(label_selector.split(" in (", 1)[1].rstrip(")").split(","))
        return [dict(image) for image in self.images.values() if image["labels"][REQUEST] in wanted]

    def image(self, image_id):
        self.reads.append(f"/images/{image_id}")
        return dict(self.images[image_id]) if image_id in self.images else None


def request_of(api, image_id):
    return api.images[image_id]["labels"][REQUEST]


def test_one_snapshot_is_one_label_selected_read_paid_from_the_budget():
    api, clock = ImagesApi(1), Clock()
    budget = RequestBudget(clock=clock)
    reads = NewSnapshotReads(api, budget, clock)
    assert reads.snapshot(500, "r000")["status"] == "available"
    assert api.reads == [f"{REQUEST} in (r000)"]
    assert budget.seconds_until(BURST) > 0  # the read was paid: the bucket is one short of full


def test_the_tasks_asking_within_a_tick_share_one_read():
    api = ImagesApi(4)
    started = []

    def others_ask():  # the moment the first task waits: the tasks the same poll woke ask
        def waiting():
            return reads._waiting  # pylint: disable=protected-access

        started.append(ask_meanwhile(lambda image_id: reads.snapshot(image_id, request_of(api, image_id)), [501, 502, 503], waiting))

    reads = NewSnapshotReads(api, RequestBudget(clock=Clock()), AskingClock(others_ask))
    assert reads.snapshot(500, "r000")["id"] == 500
    threads, answers = started[0]
    for thread in threads:
        thread.join(10)
    assert api.reads == [request_selector(["r000", "r001", "r002", "r003"])]
    assert {image_id: image["id"] for image_id, image in answers.items()} == {501: 501, 502: 502, 503: 503}
    assert reads._clock.sleeps == [POLL_TICK]  # pylint: disable=protected-access


def test_fifty_snapshots_a_read():
    api, clock = ImagesApi(SNAPSHOTS_PER_READ + 1), Clock()
    reads = NewSnapshotReads(api, RequestBudget(clock=clock), clock)
    reads._waiting = {image_id: request_of(api, image_id) for image_id in api.images}  # pylint: disable=protected-access
    reads.snapshot(500, "r000")
    assert len(api.reads) == 2
    assert [selector.count(",") + 1 for selector in api.reads] == [SNAPSHOTS_PER_READ, 1]


def test_a_spent_budget_delays_the_read_instead_of_overspending_it():
    api, clock = ImagesApi(1), Clock()
    budget = RequestBudget(clock=clock)
    budget.spend(BURST)  # the action polls spent it all
    reads = NewSnapshotReads(api, budget, clock, gather=0.0)
    reads.snapshot(500, "r000")
    assert clock.now - 100.0 == pytest.approx(2 / budget.rate())  # waited until the budget held one beyond the next poll
    assert budget.seconds_until(1) == pytest.approx(0.0)  # and left that one for the poll


def test_while_the_read_lets_the_polls_go_first_the_ends_they_see_join_it():
    api = ImagesApi(4)
    budget_clock = Clock()
    budget = RequestBudget(clock=budget_clock)
    budget.spend(BURST)

    class PollingClock(Clock):
        """Each wait of the read: a poll takes a request, and shows one more snapshot made; time moves for the budget too."""

        def sleep(self, seconds):
            super().sleep(seconds)
            budget_clock.sleep(seconds)
            if budget.take(1):
                shown = 500 + len(reads._waiting) + 1  # pylint: disable=protected-access
                if shown in api.images:
                    reads._waiting[shown] = request_of(api, shown)  # pylint: disable=protected-access

    reads = NewSnapshotReads(api, budget, PollingClock(), gather=0.0)
    reads.snapshot(500, "r000")
    assert len(api.reads) == 1 and api.reads[0].count(",") >= 1  # one read, with the ends the polls saw meanwhile


def test_a_read_lets_the_polls_go_first_for_a_bounded_time():
    api, clock = ImagesApi(1), Clock()
    budget = RequestBudget(clock=clock)
    budget.spend(BURST)

    class BusyPollerClock(Clock):
        def sleep(self, seconds):
            super().sleep(seconds)
            clock.sleep(seconds)
            budget.take(1)  # a poll takes every request as soon as the budget has it

    reads_clock = BusyPollerClock()
    NewSnapshotReads(api, budget, reads_clock, gather=0.0).snapshot(500, "r000")
    assert api.reads == [f"{REQUEST} in (r000)"]
    assert YIELD_AT_MOST <= reads_clock.now - 100.0 <= YIELD_AT_MOST + 2 / budget.rate()


def test_a_snapshot_the_read_does_not_show_is_read_on_its_own():
    api, clock = ImagesApi(1), Clock()
    reads = NewSnapshotReads(api, RequestBudget(clock=clock), clock)
    del api.images[500]  # deleted meanwhile
    assert reads.snapshot(500, "r000") is None
    assert api.reads == [f"{REQUEST} in (r000)", "/images/500"]


class CreatingApi(ImagesApi):
    """The run's client: creates a snapshot carrying the request label it was given."""

    def create_snapshot(self, server_id, description, labels):  # pylint: disable=unused-argument
        image_id = 500 + len(self.images)
        self.images[image_id] = {"id": image_id, "status": "creating", "labels": dict(labels)}
        return {"id": 9, "status": "running"}, dict(self.images[image_id])


def test_a_task_reads_its_new_snapshot_first_through_the_shared_reads_then_from_the_client():
    api, clock = CreatingApi(0), Clock()
    task_api = FleetTaskApi(api, SharedReads(api, RequestBudget(clock=clock), clock))
    _action, image = task_api.create_snapshot(1, "web1-2026-12-08", {REQUEST: "abc"})
    task_api.image(image["id"])  # its action ended: the first read, shared
    task_api.image(image["id"])  # still creating: a poll (the wait's pacing pays for it)
    assert api.reads == [f"{REQUEST} in (abc)", f"/images/{image['id']}"]


def test_a_snapshot_created_without_a_request_label_is_read_from_the_client():
    api, clock = CreatingApi(0), Clock()
    task_api = FleetTaskApi(api, SharedReads(api, RequestBudget(clock=clock), clock))
    _action, image = task_api.create_snapshot(1, "web1", {})
    task_api.image(image["id"])
    assert api.reads == [f"/images/{image['id']}"]
