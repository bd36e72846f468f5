# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the result shapes made from the steps' plain data: ``lock``, ``power``, the price in ``cost``."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.report._retention_report import price_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.report._views import lock_view, power_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import StoragePrice
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import PowerReport
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import make_action

BACKUP = make_action(12, command="create_image", progress=40)
REBUILD = make_action(13, command="rebuild", progress=5)


def test_lock_view_rounds_the_wait_and_shows_each_action_as_last_seen():
    report = LockReport()
    report.record([BACKUP, REBUILD])
    report.record([dict(BACKUP, progress=80)])
    report.waited = 12.345
    assert lock_view(report) == {
        "waited": 12.3,
        "actions": [
            {"id": 12, "command": "create_image", "started": BACKUP["started"], "progress": 80, "status": "running"},
            {"id": 13, "command": "rebuild", "started": REBUILD["started"], "progress": 5, "status": "running"},
        ],
    }


def test_lock_view_of_a_server_never_locked():
    assert lock_view(LockReport()) == {"waited": 0.0, "actions": []}


def test_power_view_says_what_the_cycle_did():
    report = PowerReport(initial_status="running", shut_down=True, powered_off=True, powered_on=True)
    assert power_view(report) == {
        "initial_status": "running",
        "shut_down": True,
        "powered_off": True,
        "powered_on": True,
        "recovered": False,
        "left_off_since": None,
    }


def test_price_view_known_and_unknown():
    known = StoragePrice({"net": "0.0119", "gross": "0.0142"}, "EUR")
    assert price_view(known) == {"price_per_gb_month": {"net": "0.0119", "gross": "0.0142"}, "currency": "EUR", "price_unknown": None}
    unknown = StoragePrice(problem="the price is unknown: GET /pricing failed (boom)")
    assert price_view(unknown) == {"price_per_gb_month": None, "currency": None, "price_unknown": "the price is unknown: GET /pricing failed (boom)"}
