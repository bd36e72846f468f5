"""Images: making them (``ImageMaking``), and the operations on snapshots and backups (``create_image`` included).

A failed ``create_image`` leaves its image with status ``unavailable`` (``failed_image:
unavailable``, the default) or deletes it (``failed_image: delete``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from .. import catalog, errors
from ..clock import Clock
from .models import BACKUP_SLOTS, Action, Image, Server, image_size
from .seams import ActionStarter, ImageRecords, ServerLookup
from .store import Store, operation


class ImageMaking:
    """Makes images and records how their making ends (``ImageRecords``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def new_image(self, server: Server, image_type: str, description: str | None, labels: dict[str, str] | None, created: float) -> Image:
        """A ``creating`` image of the server, added to the project."""
        server_type = catalog.server_type(server.server_type)
        image = Image(
            id=self.store.next_id("image"),
            type=image_type,
            status="creating",
            description=description if description is not None else f"{server.name}-{datetime.fromtimestamp(created, tz=UTC):%Y%m%d%H%M%S}",
            created=created,
            disk_size=server.primary_disk_size,
            labels=dict(labels or {}),
            created_from={"id": server.id, "name": server.name},
            bound_to=server.id if image_type == "backup" else None,
            os_flavor=server.image.os_flavor if server.image else "unknown",
            os_version=server.image.os_version if server.image else None,
            architecture=server_type.architecture if server_type else "x86",
        )
        self.store.images[image.id] = image
        return image

    def image_made(self, image: Image) -> None:
        """The image is ``available`` (a backup: the server keeps its seven newest, whoever took the backup)."""
        image.status = "available"
        image.image_size = image_size(image)
        if image.type == "backup" and image.bound_to is not None:  # seven slots, whoever took the backup
            backups = sorted(
                (item for item in self.store.images.values() if item.type == "backup" and item.bound_to == image.bound_to),
                key=lambda item: (item.created, item.id),
            )
            for oldest in backups[:-BACKUP_SLOTS]:
                del self.store.images[oldest.id]

    def image_failed(self, image: Image) -> None:
        """Its action failed: ``unavailable`` or deleted, as ``failed_image`` says."""
        if self.store.settings.failed_image == "delete":
            del self.store.images[image.id]
        else:
            image.status = "unavailable"


class ImagesFamily:
    """The operations on images (part of ``Backend``)."""

    store: Store
    clock: Clock
    server_lookup: ServerLookup
    action_starter: ActionStarter
    image_records: ImageRecords

    def _user_image(self, image_id: int) -> Image:
        image = self.store.images.get(image_id)
        if image is None:
            raise errors.not_found("image", image_id)
        if image.type == "system":
            raise errors.forbidden(f"image {image_id} is a system image and cannot be changed")
        return image

    def _check_snapshot_quota(self) -> None:
        used = sum(1 for image in self.store.images.values() if image.is_snapshot)
        if used >= self.store.settings.snapshot_quota:
            raise errors.resource_limit_exceeded(f"snapshot limit exceeded: the project may keep at most {self.store.settings.snapshot_quota} snapshots")

    # ----------------------------------------------------------------- operations

    @operation
    def create_image(self, server_id: int, description: str | None, image_type: str, labels: dict[str, str] | None) -> tuple[Action, Image]:
        """Start a ``create_image`` action; returns the action and the image being made."""
        server = self.server_lookup.server(server_id)
        self.server_lookup.check_unlocked(server)
        if image_type == "backup" and server.backup_window is None:
            raise errors.invalid_field("type", "backups are not enabled for this server")
        if image_type == "snapshot":
            self._check_snapshot_quota()
        image = self.image_records.new_image(server, image_type, description, labels, self.clock.now())
        action = self.action_starter.start_action(server, "create_image", self.store.settings.snapshot_seconds(server.primary_disk_size), image=image)
        return action, image

    @operation
    def list_images(self, matches: Callable[[Image], bool]) -> list[Image]:
        """Images for which ``matches`` holds, in id order."""
        return sorted((image for image in self.store.images.values() if matches(image)), key=lambda image: image.id)

    @operation
    def get_image(self, image_id: int) -> Image:
        """One image."""
        image = self.store.images.get(image_id)
        if image is None:
            raise errors.not_found("image", image_id)
        return image

    @operation
    def update_image(self, image_id: int, description: str | None = None, image_type: str | None = None, labels: dict[str, str] | None = None) -> Image:
        """Change an image's description, labels (replaced), or convert a backup into a snapshot."""
        image = self._user_image(image_id)
        if image_type == "snapshot" and image.type == "backup":
            self._check_snapshot_quota()
            image.type = "snapshot"
            image.bound_to = None
        if description is not None:
            image.description = description
        if labels is not None:
            image.labels = dict(labels)
        return image

    @operation
    def delete_image(self, image_id: int) -> None:
        """Delete an image that is neither protected nor still being created."""
        image = self._user_image(image_id)
        if image.protected:
            raise errors.protected(f"image {image_id} is delete protected")
        if image.status == "creating":
            raise errors.locked("image")
        del self.store.images[image_id]

    @operation
    def change_image_protection(self, image_id: int, delete: bool) -> Action:
        """Set an image's delete protection; answers an action that has already succeeded."""
        image = self._user_image(image_id)
        if image.status == "creating":
            raise errors.locked("image")
        image.protected = delete
        return self.action_starter.instant_action("change_protection", [{"id": image.id, "type": "image"}])
