"""Images: the model, and the operations on snapshots and backups (``create_image`` included).

A failed ``create_image`` leaves its image with status ``unavailable`` (``failed_image:
unavailable``, the default) or deletes it (``failed_image: delete``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import catalog, errors
from ..clock import Clock, isoformat
from ..settings import Settings
from .store import Store, operation

if TYPE_CHECKING:
    from .actions import Action
    from .servers import Server


@dataclass
class Image:
    """An image: a system image, or a snapshot/backup made from a server."""

    id: int
    type: str
    status: str
    description: str
    created: float
    disk_size: float
    labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    image_size: float | None = None
    created_from: dict[str, Any] | None = None
    bound_to: int | None = None
    protected: bool = False
    os_flavor: str = "unknown"
    os_version: str | None = None
    architecture: str = "x86"
    rapid_deploy: bool = False
    deprecated: float | None = None

    @property
    def is_snapshot(self) -> bool:
        """Whether the image counts against the snapshot quota."""
        return self.type == "snapshot" and self.status in ("creating", "available")

    def to_json(self) -> dict[str, Any]:
        """The API's ``image`` object."""
        return {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "name": self.name,
            "description": self.description,
            "image_size": self.image_size,
            "disk_size": self.disk_size,
            "created": isoformat(self.created),
            "created_from": dict(self.created_from) if self.created_from else None,
            "bound_to": self.bound_to,
            "os_flavor": self.os_flavor,
            "os_version": self.os_version,
            "rapid_deploy": self.rapid_deploy,
            "protection": {"delete": self.protected},
            "deprecated": None if self.deprecated is None else isoformat(self.deprecated),
            "deleted": None,
            "labels": dict(self.labels),
            "architecture": self.architecture,
        }


BACKUP_SLOTS = 7  # a server with backups keeps its seven newest (OpenAPI, enable_backup: "seven slots")


def system_image(spec: catalog.SystemImage) -> Image:
    """The ``Image`` of a system image of the catalogue."""
    return Image(
        id=spec.id,
        type="system",
        status="available",
        description=spec.description,
        created=spec.created,
        disk_size=5,
        name=spec.name,
        os_flavor=spec.os_flavor,
        os_version=spec.os_version,
        rapid_deploy=True,
        deprecated=spec.deprecated,
        architecture=spec.architecture,
    )


def image_size(image: Image) -> float:
    """A deterministic 8 to 30% of the disk, in GB with two decimals."""
    share = 0.08 + (image.id * 37 % 23) / 100
    return round(image.disk_size * share, 2)


class ImagesFamily:
    """The operations on images (part of ``Backend``)."""

    store: Store
    clock: Clock
    settings: Settings
    _server: Callable[[int], Server]
    _check_unlocked: Callable[[Server], None]
    _start_action: Callable[..., Action]
    _instant_action: Callable[[str, list[dict[str, Any]]], Action]

    # ----------------------------------------------------------------- internal

    def _new_image(self, server: Server, image_type: str, description: str | None, labels: dict[str, str] | None, created: float) -> Image:
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

    def _image_made(self, image: Image) -> None:
        image.status = "available"
        image.image_size = image_size(image)
        if image.type == "backup" and image.bound_to is not None:  # seven slots, whoever took the backup
            backups = sorted(
                (item for item in self.store.images.values() if item.type == "backup" and item.bound_to == image.bound_to),
                key=lambda item: (item.created, item.id),
            )
            for oldest in backups[:-BACKUP_SLOTS]:
                del self.store.images[oldest.id]

    def _image_failed(self, image: Image) -> None:
        if self.settings.failed_image == "delete":
            del self.store.images[image.id]
        else:
            image.status = "unavailable"

    def _user_image(self, image_id: int) -> Image:
        image = self.store.images.get(image_id)
        if image is None:
            raise errors.not_found("image", image_id)
        if image.type == "system":
            raise errors.forbidden(f"image {image_id} is a system image and cannot be changed")
        return image

    def _check_snapshot_quota(self) -> None:
        used = sum(1 for image in self.store.images.values() if image.is_snapshot)
        if used >= self.settings.snapshot_quota:
            raise errors.resource_limit_exceeded(f"snapshot limit exceeded: the project may keep at most {self.settings.snapshot_quota} snapshots")

    # ----------------------------------------------------------------- operations

    @operation
    def create_image(self, server_id: int, description: str | None, image_type: str, labels: dict[str, str] | None) -> tuple[Action, Image]:
        """Start a ``create_image`` action; returns the action and the image being made."""
        server = self._server(server_id)
        self._check_unlocked(server)
        if image_type == "backup" and server.backup_window is None:
            raise errors.invalid_field("type", "backups are not enabled for this server")
        if image_type == "snapshot":
            self._check_snapshot_quota()
        image = self._new_image(server, image_type, description, labels, self.clock.now())
        action = self._start_action(server, "create_image", self.settings.snapshot_seconds(server.primary_disk_size), image=image)
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
        return self._instant_action("change_protection", [{"id": image.id, "type": "image"}])
