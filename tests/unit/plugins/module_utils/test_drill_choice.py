# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a drill restores, onto which type, and what it costs (``_drill_choice``)."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._drill_choice import (
    add_costs,
    billed_cost,
    fits,
    location_of,
    own_snapshot,
    smallest_fitting_type,
    type_prices,
)
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_drill_api import TYPES, pricing, snapshot

PRICES = {"hourly": {"net": "0.0048", "gross": "0.005712"}, "monthly": {"net": "3.49", "gross": "4.1531"}}


def test_the_newest_available_snapshot_of_the_server_itself():
    images = [
        snapshot(1, 7, 30),
        snapshot(2, 7, 5),
        snapshot(3, 8, 1),  # another server's, newer
        snapshot(4, 7, 0.5, status="creating"),  # newer, not available
        snapshot(5, 7, 0.2, image_type="backup"),  # a backup of the server, newer
        snapshot(6, 7, 3, status="unavailable"),
    ]
    assert own_snapshot(7, images)["id"] == 2
    assert own_snapshot(9, images) is None


def test_snapshot_labels_narrow_the_choice():
    images = [snapshot(1, 7, 30, labels={"backup": "daily"}), snapshot(2, 7, 5, labels={"backup": "weekly"})]
    assert own_snapshot(7, images, {"backup": "daily"})["id"] == 1
    assert own_snapshot(7, images, {"backup": "monthly"}) is None


def test_a_snapshot_without_created_from_is_nobodys():
    image = dict(snapshot(1, 7, 1), created_from=None)
    assert own_snapshot(7, [image]) is None


def test_the_smallest_disk_then_the_cheapest_type_fits():
    image = snapshot(1, 7, 1, disk=20)
    assert smallest_fitting_type(TYPES, image, "fsn1", pricing())["name"] == "cx23"  # cx22 has the same disk, costs more
    big = snapshot(1, 7, 1, disk=100)
    assert smallest_fitting_type(TYPES, big, "fsn1", pricing())["name"] == "cx43"
    assert smallest_fitting_type(TYPES, snapshot(1, 7, 1, disk=500), "fsn1", pricing()) is None


def test_unknown_prices_still_choose_by_size():
    chosen = smallest_fitting_type(TYPES, snapshot(1, 7, 1, disk=20), "fsn1", None)
    assert chosen["disk"] == 40 and chosen["architecture"] == "x86"


def test_architecture_location_and_deprecation_decide_what_fits():
    arm = dict(snapshot(1, 7, 1), architecture="arm")
    assert smallest_fitting_type(TYPES, arm, "fsn1", pricing())["name"] == "cax11"
    assert smallest_fitting_type(TYPES, snapshot(1, 7, 1), "hel1", pricing()) is None  # no type offered there
    kind = dict(TYPES[1])
    assert fits(kind, snapshot(1, 7, 1), "fsn1")
    assert not fits(dict(kind, deprecated=True), snapshot(1, 7, 1), "fsn1")
    assert not fits(dict(kind, deprecation={"announced": "2026-01-01"}), snapshot(1, 7, 1), "fsn1")
    assert not fits(dict(kind, locations=[{"name": "fsn1", "available": False}]), snapshot(1, 7, 1), "fsn1")
    assert fits({key: value for key, value in kind.items() if key != "locations"}, snapshot(1, 7, 1), "nbg1")


def test_prices_of_a_type_in_a_location():
    assert type_prices(pricing(), "cx23", "fsn1")["monthly"]["net"] == "3.49"
    assert type_prices(pricing(), "cx23", "nbg1") is None
    assert type_prices(None, "cx23", "fsn1") is None


def test_every_started_hour_is_billed_at_least_one_at_most_a_month():
    assert billed_cost(0, PRICES, "EUR") == {"hours": 1, "net": "0.0048", "gross": "0.0057", "currency": "EUR"}
    assert billed_cost(3601, PRICES, "EUR")["hours"] == 2
    assert billed_cost(3601, PRICES, "EUR")["net"] == "0.0096"
    month = billed_cost(800 * 3600, PRICES, "EUR")
    assert month["hours"] == 800 and month["net"] == "3.4900"


def test_an_unknown_price_is_null_never_a_guess():
    assert billed_cost(60, None, None) == {"hours": 1, "net": None, "gross": None, "currency": None}
    total = add_costs([billed_cost(60, PRICES, "EUR"), billed_cost(60, None, None)])
    assert total["hours"] == 2 and total["net"] is None
    assert add_costs([billed_cost(60, PRICES, "EUR")] * 3) == {"hours": 3, "net": "0.0144", "gross": "0.0171", "currency": "EUR"}


def test_the_location_of_a_server_before_and_after_datacenters_went():
    assert location_of({"location": {"name": "hel1"}}) == "hel1"
    assert location_of({"datacenter": {"name": "nbg1-dc3", "location": {"name": "nbg1"}}}) == "nbg1"
    assert location_of({}) is None
