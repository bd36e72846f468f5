"""A backup turned into a snapshot (PUT /images/{id} with type snapshot), as the real API does it.

The OpenAPI document: "convert a Backup Image to a Snapshot Image" in the same request that changes description
and labels; ``bound_to`` is "only set for Images of type backup". hcloud-api-facts.md: no action, no lock. What the
real API does beyond that (``created`` and ``created_from`` kept, the slot freed) is written in hcloud_sim/README.md.
"""

from __future__ import annotations

from .test_backend import expect_error, make_backend, server

LABELS = {"lockaware.hcloud/managed": "true", "tier": "weekly"}


def backups_of(backend, server_id):
    return sorted((image for image in backend.list_images(lambda image: image.type == "backup" and image.bound_to == server_id)), key=lambda image: image.id)


def fill_slots(backend, clock, server_id, count=7):
    for _slot in range(count):
        backend.run_backup_window(server_id)
        clock.advance(60)  # each backup is made before the next window


def test_one_request_converts_describes_and_labels_a_backup_without_an_action_or_a_lock() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    fill_slots(backend, clock, a.id, 1)
    [backup] = backups_of(backend, a.id)
    created, created_from, size = backup.created, dict(backup.created_from), backup.image_size
    backend.rebuild_server(a.id, "debian-12")  # the server is locked: a conversion does not care
    actions_before = len(backend.list_actions("server", a.id))
    converted = backend.update_image(backup.id, description="a-weekly", image_type="snapshot", labels=LABELS)
    assert (converted.type, converted.bound_to, converted.description, converted.labels) == ("snapshot", None, "a-weekly", LABELS)
    assert (converted.created, converted.created_from, converted.image_size, converted.status) == (created, created_from, size, "available")
    assert len(backend.list_actions("server", a.id)) == actions_before
    assert converted.to_json()["bound_to"] is None


def test_a_converted_backup_frees_its_slot_and_outlives_the_next_windows() -> None:
    backend, clock = make_backend(snapshot_quota=10)
    a = server(backend, "a")
    fill_slots(backend, clock, a.id)
    slots = backups_of(backend, a.id)
    assert len(slots) == 7
    newest = slots[-1]
    backend.update_image(newest.id, image_type="snapshot", labels=LABELS)
    assert len(backups_of(backend, a.id)) == 6  # the slot is free
    fill_slots(backend, clock, a.id, 1)
    assert len(backups_of(backend, a.id)) == 7  # the next window refills it, deleting no backup
    assert {image.id for image in backups_of(backend, a.id)} >= {image.id for image in slots[:-1]}
    fill_slots(backend, clock, a.id, 7)
    assert backend.get_image(newest.id).type == "snapshot"  # a week of windows later, still there
    assert len(backups_of(backend, a.id)) == 7


def test_a_converted_backup_stays_when_backups_are_disabled_or_the_server_is_deleted() -> None:
    backend, clock = make_backend(snapshot_quota=10)
    a = server(backend, "a")
    fill_slots(backend, clock, a.id, 2)
    kept, other = backups_of(backend, a.id)
    backend.update_image(kept.id, image_type="snapshot")
    backend.disable_backup(a.id)
    expect_error(404, "not_found", backend.get_image, other.id)
    assert backend.get_image(kept.id).type == "snapshot"
    backend.delete_server(a.id)
    assert backend.get_image(kept.id).created_from == {"id": a.id, "name": "a"}


def test_a_conversion_counts_against_the_snapshot_quota_and_a_deleted_backup_is_not_found() -> None:
    backend, clock = make_backend(snapshot_quota=0)
    a = server(backend, "a")
    fill_slots(backend, clock, a.id, 2)
    first, second = backups_of(backend, a.id)
    expect_error(403, "resource_limit_exceeded", backend.update_image, first.id, image_type="snapshot", labels=LABELS)
    assert (backend.get_image(first.id).type, backend.get_image(first.id).labels) == ("backup", {})
    backend.delete_image(second.id)
    expect_error(404, "not_found", backend.update_image, second.id, image_type="snapshot")
