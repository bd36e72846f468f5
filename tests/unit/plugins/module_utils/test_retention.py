# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _retention: the rules, their evaluation (hand-computed and property-based) and the cost."""

from __future__ import annotations

import datetime
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import newest_first
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import (
    RULES,
    image_price,
    in_series,
    period_of,
    plan_retention,
    storage_cost,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption, retention_rules
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import make_image
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.retention_oracle import choose_deletions, plan_cost, plan_series_retention

UTC = datetime.timezone.utc
SERIES = {"schedule": "nightly"}
PRICE = {"net": "0.0119000000", "gross": "0.0141610000"}


def snap(image_id, created, **kwargs):
    """A snapshot of the series created at ``created`` (ISO 8601; ``Z`` is added when there is no offset)."""
    if not created.endswith("Z") and "+" not in created[10:] and "-" not in created[10:]:
        created += "Z"
    deleted = kwargs.pop("deleted", None)
    kwargs.setdefault("labels", SERIES)
    image = make_image(image_id, created=created, managed=True, **kwargs)
    image["deleted"] = deleted
    return image


def rules(**counts):
    return {rule: counts.get(rule, 0) for rule in RULES}


def reasons(plan):
    """``{id: reason}`` of a plan."""
    return {entry["id"]: entry["reason"] for entry in plan["snapshots"]}


# --- hand-computed evaluations ---------------------------------------------------------------------------------


def test_month_ends_in_utc():
    series = [
        snap(1, "2026-09-30T23:00:00"),
        snap(2, "2026-10-01T00:30:00"),
        snap(3, "2026-11-01T00:30:00+01:00"),  # 2026-10-31T23:30Z: still October in UTC
        snap(4, "2026-11-01T00:00:00"),
        snap(5, "2026-11-30T12:00:00"),
    ]
    plan = plan_retention(series, rules(monthly=3), new_id=5)
    assert reasons(plan) == {
        5: "kept: new snapshot, monthly 2026-11",
        4: "deleted: beyond the rules",
        3: "kept: monthly 2026-10",
        2: "deleted: beyond the rules",
        1: "kept: monthly 2026-09",
    }
    assert plan["delete"] == [4, 2]


def test_iso_week_53_spans_the_turn_of_the_year():
    series = [
        snap(1, "2026-12-27T10:00:00"),  # Sunday, 2026-W52
        snap(2, "2026-12-28T10:00:00"),  # Monday, 2026-W53
        snap(3, "2026-12-31T10:00:00"),  # Thursday, 2026-W53
        snap(4, "2027-01-01T10:00:00"),  # Friday, still 2026-W53
        snap(5, "2027-01-03T10:00:00"),  # Sunday, the last day of 2026-W53
        snap(6, "2027-01-04T10:00:00"),  # Monday, 2027-W01
    ]
    plan = plan_retention(series, rules(weekly=3, yearly=2))
    assert reasons(plan) == {
        6: "kept: weekly 2027-W01, yearly 2027",
        5: "kept: weekly 2026-W53",
        4: "deleted: beyond the rules",
        3: "kept: yearly 2026",  # years are calendar years, weeks are ISO weeks
        2: "deleted: beyond the rules",
        1: "kept: weekly 2026-W52",
    }


def test_leap_day_is_a_day_of_its_own():
    series = [
        snap(1, "2028-02-28T23:00:00"),
        snap(2, "2028-02-29T10:00:00"),
        snap(3, "2028-02-29T20:00:00"),
        snap(4, "2028-03-01T01:00:00"),
    ]
    plan = plan_retention(series, rules(daily=3, monthly=2))
    assert reasons(plan) == {
        4: "kept: daily 2028-03-01, monthly 2028-03",
        3: "kept: daily 2028-02-29, monthly 2028-02",
        2: "deleted: beyond the rules",
        1: "kept: daily 2028-02-28",
    }


def test_newest_of_several_in_one_hour_wins_and_ties_go_to_the_higher_id():
    series = [
        snap(1, "2026-11-30T13:10:00"),
        snap(2, "2026-11-30T14:05:00"),
        snap(3, "2026-11-30T14:55:00"),
        snap(4, "2026-11-30T12:20:00"),
        snap(5, "2026-11-30T12:20:00"),
    ]
    plan = plan_retention(series, rules(hourly=3))
    assert reasons(plan) == {
        3: "kept: hourly 2026-11-30T14",
        2: "deleted: beyond the rules",
        1: "kept: hourly 2026-11-30T13",
        5: "kept: hourly 2026-11-30T12",
        4: "deleted: beyond the rules",
    }
    assert [entry["id"] for entry in plan["snapshots"]] == [3, 2, 1, 5, 4]


def test_periods_without_snapshots_do_not_count():
    series = [snap(1, "2026-10-15T08:00:00"), snap(2, "2026-11-01T08:00:00"), snap(3, "2026-11-20T08:00:00"), snap(4, "2026-11-30T08:00:00")]
    plan = plan_retention(series, rules(daily=3))
    assert plan["delete"] == [1]
    assert reasons(plan)[2] == "kept: daily 2026-11-01"


def test_a_snapshot_kept_by_several_rules_lists_them_all():
    series = [snap(1, "2026-11-29T08:00:00"), snap(2, "2026-11-30T14:00:00")]
    plan = plan_retention(series, rules(last=1, hourly=1, daily=2, weekly=1, monthly=1, yearly=1), new_id=2)
    assert reasons(plan) == {
        2: "kept: new snapshot, last 1, hourly 2026-11-30T14, daily 2026-11-30, weekly 2026-W49, monthly 2026-11, yearly 2026",
        1: "kept: daily 2026-11-29",
    }


def test_last_gives_the_position_among_the_newest():
    series = [snap(i, f"2026-11-{i:02d}T08:00:00") for i in range(1, 6)]
    plan = plan_retention(series, rules(last=3))
    assert [reasons(plan)[i] for i in (5, 4, 3)] == ["kept: last 1", "kept: last 2", "kept: last 3"]
    assert plan["delete"] == [2, 1]


def test_the_new_snapshot_counts_as_the_newest_and_fills_its_day():
    series = [snap(1, "2026-11-30T08:00:00"), snap(2, "2026-11-30T06:00:00"), snap(3, "2026-11-29T08:00:00")]
    # 2 is the new one although 1 carries a later timestamp (a clock skew): the new one is the newest.
    plan = plan_retention(series, rules(last=1, daily=2), new_id=2)
    assert reasons(plan) == {2: "kept: new snapshot, last 1, daily 2026-11-30", 1: "deleted: beyond the rules", 3: "kept: daily 2026-11-29"}


def test_a_new_snapshot_still_creating_counts_too():
    series = [snap(1, "2026-11-30T08:00:00", status="creating"), snap(2, "2026-11-29T08:00:00"), snap(3, "2026-11-28T08:00:00")]
    plan = plan_retention(series, rules(last=2), new_id=1)
    assert reasons(plan) == {1: "kept: new snapshot, last 1, creating", 2: "kept: last 2", 3: "deleted: beyond the rules"}


def test_creating_and_unavailable_fill_no_slot_and_stay():
    series = [
        snap(1, "2026-11-30T08:00:00"),
        snap(2, "2026-11-30T09:00:00", status="unavailable"),
        snap(3, "2026-11-30T10:00:00", status="creating"),
        snap(4, "2026-11-29T10:00:00", status="unavailable"),
        snap(5, "2026-11-28T10:00:00"),
    ]
    plan = plan_retention(series, rules(daily=1))
    assert reasons(plan) == {
        3: "kept: creating",
        2: "kept: unavailable",
        1: "kept: daily 2026-11-30",
        4: "kept: unavailable",
        5: "deleted: beyond the rules",
    }


def test_snapshots_marked_deleted_fill_no_slot_and_are_not_chosen():
    series = [snap(1, "2026-11-30T10:00:00", deleted="2026-11-30T11:00:00+00:00"), snap(2, "2026-11-30T08:00:00"), snap(3, "2026-11-29T08:00:00")]
    plan = plan_retention(series, rules(last=1))
    assert reasons(plan) == {1: "kept: marked deleted", 2: "kept: last 1", 3: "deleted: beyond the rules"}


def test_protected_snapshots_fill_their_slot_and_are_never_deleted():
    series = [
        snap(1, "2026-11-30T10:00:00", protected=True),
        snap(2, "2026-11-30T09:00:00"),
        snap(3, "2026-11-20T09:00:00", protected=True),
        snap(4, "2026-11-19T09:00:00"),
    ]
    plan = plan_retention(series, rules(daily=1))
    assert reasons(plan) == {
        1: "kept: daily 2026-11-30, protected",
        2: "deleted: beyond the rules",
        3: "kept: protected",
        4: "deleted: beyond the rules",
    }


def test_plan_entries_carry_what_a_result_shows():
    image = snap(7, "2026-11-30T10:00:00", description="web1-2026-11-30")
    assert plan_retention([image], rules(last=1)) == {
        "delete": [],
        "snapshots": [
            {
                "id": 7,
                "description": "web1-2026-11-30",
                "created": "2026-11-30T10:00:00Z",
                "image_size": 1.5,
                "status": "available",
                "fate": "kept",
                "reason": "kept: last 1",
            }
        ],
    }


def test_the_order_of_the_input_does_not_matter():
    series = [snap(i, f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00", protected=i % 7 == 0) for i in range(1, 40)]
    shuffled = list(series)
    random.Random(5).shuffle(shuffled)
    counts = rules(last=2, daily=3, weekly=2, monthly=4)
    assert plan_retention(shuffled, counts, new_id=17) == plan_retention(series, counts, new_id=17)


def test_the_new_snapshot_must_be_in_the_series():
    with pytest.raises(ValueError, match="the new snapshot 9 is not among the series' snapshots"):
        plan_retention([snap(1, "2026-11-30T10:00:00")], rules(last=1), new_id=9)


def test_series_plan_leaves_other_snapshots_out():
    images = [
        snap(1, "2026-11-30T10:00:00"),
        snap(2, "2026-11-20T10:00:00"),
        make_image(3, created="2026-11-10T10:00:00Z", labels=SERIES),  # hand-made
        snap(4, "2026-11-10T10:00:00", server_id=43),
        snap(5, "2026-11-10T10:00:00", labels={"schedule": "weekly"}),
    ]
    plan = plan_series_retention(images, 42, SERIES, rules(last=1), new_id=1)
    assert reasons(plan) == {1: "kept: new snapshot, last 1", 2: "deleted: beyond the rules"}


@pytest.mark.parametrize(
    ("rule", "moment", "period"),
    [
        ("hourly", "2026-11-30T14:59:59+00:00", "2026-11-30T14"),
        ("hourly", "2026-11-30T15:30:00+01:00", "2026-11-30T14"),
        ("daily", "2026-12-01T00:30:00+02:00", "2026-11-30"),
        ("weekly", "2026-11-23T00:00:00+00:00", "2026-W48"),
        ("weekly", "2026-01-01T00:00:00+00:00", "2026-W01"),
        ("weekly", "2027-01-01T00:00:00+00:00", "2026-W53"),
        ("weekly", "2021-01-03T00:00:00+00:00", "2020-W53"),
        ("monthly", "2026-10-31T23:59:59+00:00", "2026-10"),
        ("yearly", "2027-01-01T00:00:00+00:00", "2027"),
    ],
)
def test_period_labels(rule, moment, period):
    assert period_of(rule, datetime.datetime.fromisoformat(moment)) == period


# --- rules -----------------------------------------------------------------------------------------------------


def test_keep_is_the_short_form_of_last():
    assert retention_rules(keep=3) == rules(last=3)
    assert retention_rules(keep=3) == retention_rules(retention={"last": 3})


def test_neither_option_means_no_rotation():
    assert retention_rules() is None


def test_retention_fills_unset_rules_with_zero():
    assert retention_rules(retention={"daily": 7, "weekly": "4", "monthly": None}) == rules(daily=7, weekly=4)


@pytest.mark.parametrize(
    ("keep", "retention", "message"),
    [
        (3, {"last": 3}, "keep and retention are both set: keep: N is the short form of retention: {last: N}"),
        (0, None, r"keep must be 1 or more \(the new snapshot counts\), got 0; leave keep out to delete nothing"),
        (-2, None, r"keep must be 1 or more \(the new snapshot counts\), got -2"),
        (None, {"dayly": 7}, "retention: unknown rule 'dayly'; the rules are last, hourly, daily, weekly, monthly, yearly"),
        (None, {"daily": -1}, r"retention.daily must be 0 or more \(0 turns the rule off\), got -1"),
        (None, {"daily": 1.5}, r"retention.daily must be a whole number of snapshots to keep \(0 or more\), got 1.5"),
        (None, {"daily": True}, "retention.daily must be a whole number"),
        (None, {"daily": "seven"}, "retention.daily must be a whole number"),
        (None, {"daily": 0, "weekly": None}, "retention keeps nothing: every count is 0 or unset; set at least one of"),
        (None, {}, "retention keeps nothing"),
        (None, [7], r"retention must be a mapping of rules to counts, such as \{daily: 7, weekly: 4\}"),
    ],
)
def test_bad_rules_say_what_is_wrong(keep, retention, message):
    with pytest.raises(InvalidOption, match=message):
        retention_rules(keep=keep, retention=retention)


# --- cost ------------------------------------------------------------------------------------------------------


def sized(image_id, size, status="available"):
    image = snap(image_id, "2026-11-30T10:00:00", status=status)
    image["image_size"] = size
    return image


def test_cost_sums_image_sizes_and_prices_them_with_the_api_price():
    images = [sized(1, 1.5), sized(2, 2.25), sized(3, None, status="creating")]
    assert storage_cost(images, PRICE, "EUR") == {
        "count": 3,
        "unsized": 1,
        "size_gb": "3.750",
        "monthly_net": "0.0446",  # 3.75 x 0.0119 = 0.044625
        "monthly_gross": "0.0531",  # 3.75 x 0.014161 = 0.05310375
        "currency": "EUR",
    }


def test_cost_is_decimal_exact():
    assert storage_cost([sized(1, 0.1), sized(2, 0.2)], {"net": "1", "gross": "1"}, "EUR")["size_gb"] == "0.300"
    assert storage_cost([sized(1, 1)], {"net": "0.00005", "gross": "0.00004999"}, "EUR")["monthly_net"] == "0.0001"
    assert storage_cost([], PRICE, "USD") == {
        "count": 0,
        "unsized": 0,
        "size_gb": "0.000",
        "monthly_net": "0.0000",
        "monthly_gross": "0.0000",
        "currency": "USD",
    }


def test_plan_cost_splits_kept_and_removed():
    series = [sized(1, 10), sized(2, 20)]
    series[1]["created"] = "2026-11-29T10:00:00Z"
    plan = plan_retention(series, rules(last=1), new_id=1)
    cost = plan_cost(plan, series, PRICE, "EUR")
    assert cost["kept"]["size_gb"] == "10.000"
    assert cost["kept"]["monthly_gross"] == "0.1416"
    assert cost["removed"]["size_gb"] == "20.000"
    assert cost["removed"]["monthly_net"] == "0.2380"


def test_image_price_reads_the_pricing_object():
    pricing = {"currency": "EUR", "vat_rate": "19.00", "image": {"price_per_gb_month": PRICE}}
    assert image_price(pricing) == (PRICE, "EUR")
    with pytest.raises(ValueError, match=r"the API's pricing has no image\.price_per_gb_month or no currency"):
        image_price({"currency": "EUR", "image": {}})
    with pytest.raises(ValueError, match="no currency"):
        image_price({"image": {"price_per_gb_month": PRICE}})


@pytest.mark.parametrize("price", [{}, {"net": "0.01"}, {"net": "abc", "gross": "0.01"}, {"net": "-0.01", "gross": "0.01"}, {"net": "NaN", "gross": "1"}, None])
def test_a_price_that_is_not_one_is_an_error(price):
    with pytest.raises(ValueError, match=r"the API's image\.price_per_gb_month"):
        storage_cost([sized(1, 1)], price, "EUR")


# --- properties over random histories --------------------------------------------------------------------------

START = datetime.datetime(2025, 12, 20, tzinfo=UTC)
OFFSETS = [datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=1)), datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))]


@st.composite
def histories(draw, marked_deleted=True):
    """Images of server 42 and others: some in the series, some not, in every status, spread over a span."""
    span_hours = draw(st.sampled_from([6, 72, 24 * 40, 24 * 900]))
    count = draw(st.integers(0, 25))
    images = []
    for image_id in range(1, count + 1):
        moment = START + datetime.timedelta(seconds=draw(st.integers(0, span_hours * 3600)))
        image = make_image(
            image_id,
            server_id=draw(st.sampled_from([42, 42, 42, 43])),
            status=draw(st.sampled_from(["available"] * 5 + ["creating", "unavailable", "deleted"])),
            labels=draw(st.sampled_from([SERIES, SERIES, {**SERIES, "team": "ops"}, {"schedule": "weekly"}])),
            created=moment.astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
            protected=draw(st.booleans()),
            managed=draw(st.sampled_from([True, True, True, False])),
        )
        if marked_deleted and draw(st.integers(0, 9)) == 0:
            image["deleted"] = (moment + datetime.timedelta(hours=1)).isoformat()
        images.append(image)
    return images


rule_sets = st.fixed_dictionaries({rule: st.integers(0, 4) for rule in RULES}).filter(any)
PROPERTIES = settings(max_examples=300, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def reference_period(rule, moment):
    """The period as a tuple, computed apart from ``period_of``."""
    day = moment.date()
    return {
        "hourly": (day, moment.hour),
        "daily": day,
        "weekly": tuple(day.isocalendar())[:2],
        "monthly": (day.year, day.month),
        "yearly": day.year,
    }[rule]


def reference_picks(series, counts, new_id):
    """The rules' picks, computed differently: group by period, take each group's newest, rank the groups."""

    def rank(image):
        utc = datetime.datetime.fromisoformat(image["created"]).astimezone(UTC)
        return (image["id"] == new_id, utc, image["id"])

    holders = [image for image in series if image["id"] == new_id or (image["status"] == "available" and not image.get("deleted"))]
    picks = {image["id"] for image in sorted(holders, key=rank, reverse=True)[: counts["last"]]}
    for rule in RULES[1:]:
        newest_of = {}
        for image in holders:
            period = reference_period(rule, rank(image)[1])
            if period not in newest_of or rank(image) > rank(newest_of[period]):
                newest_of[period] = image
        ranked = sorted(newest_of.values(), key=rank, reverse=True)
        picks |= {image["id"] for image in ranked[: counts[rule]]}
    return picks


def series_of(images):
    return [image for image in images if in_series(image, 42, SERIES)]


def some_new_id(draw, series):
    """None (planning only) or one of the series' snapshots as the new one."""
    return draw(st.sampled_from([None, *[image["id"] for image in series]]))


@PROPERTIES
@given(images=histories(), counts=rule_sets, data=st.data())
def test_property_kept_is_the_union_of_the_rules_picks(images, counts, data):
    series = series_of(images)
    new_id = some_new_id(data.draw, series)
    plan = plan_series_retention(images, 42, SERIES, counts, new_id)
    picks = reference_picks(series, counts, new_id)

    assert sorted(entry["id"] for entry in plan["snapshots"]) == sorted(image["id"] for image in series)
    ruled = {entry["id"] for entry in plan["snapshots"] if any(part.split(" ")[0] in RULES for part in entry["reason"][6:].split(", "))}
    assert ruled == picks
    candidates = {image["id"] for image in series if image["status"] == "available" and not image.get("deleted") and not image["protection"]["delete"]}
    assert set(plan["delete"]) == candidates - picks - {new_id}
    assert len(plan["delete"]) == len(set(plan["delete"]))
    for entry in plan["snapshots"]:
        assert (entry["fate"] == "deleted") == (entry["id"] in plan["delete"])
        assert entry["reason"] == "deleted: beyond the rules" or (entry["fate"] == "kept" and entry["reason"].startswith("kept: "))


@PROPERTIES
@given(images=histories(), counts=rule_sets, data=st.data())
def test_property_never_chooses_outside_the_candidates(images, counts, data):
    new_id = some_new_id(data.draw, series_of(images))
    doomed = set(plan_series_retention(images, 42, SERIES, counts, new_id)["delete"])
    for image in images:
        if image["id"] in doomed:
            assert in_series(image, 42, SERIES)
            assert image["status"] == "available"
            assert not image.get("deleted")
            assert not image["protection"]["delete"]
            assert image["id"] != new_id


@PROPERTIES
@given(images=histories(), counts=rule_sets, data=st.data())
def test_property_a_second_evaluation_deletes_nothing(images, counts, data):
    series = series_of(images)
    new_id = some_new_id(data.draw, series)
    first = plan_retention(series, counts, new_id)
    kept = [image for image in series if image["id"] not in first["delete"]]
    second = plan_retention(kept, counts, new_id)
    assert second["delete"] == []
    assert second["snapshots"] == [entry for entry in first["snapshots"] if entry["fate"] == "kept"]


@PROPERTIES
@given(images=histories(marked_deleted=False), keep=st.integers(1, 6), newest_is_new=st.booleans())
def test_property_last_n_deletes_what_keep_n_deletes(images, keep, newest_is_new):
    available = newest_first([image for image in series_of(images) if image["status"] == "available"])
    new_id = available[0]["id"] if newest_is_new and available else None
    expected = {image["id"] for image in choose_deletions(images, 42, SERIES, keep)}
    plan = plan_series_retention(images, 42, SERIES, retention_rules(keep=keep), new_id)
    assert set(plan["delete"]) == expected
