"""Loading an initial state into the store: settings, prices, system images, servers, their snapshots and locks."""

from __future__ import annotations

from .. import catalog
from ..clock import Clock
from ..state_specs import InitialState, ServerSpec
from .models import ScheduledLock, Server, image_size, system_image
from .seams import ImageRecords
from .store import Store


class StateLoader:
    """Replaces the project in the store by an initial state (ids restart)."""

    def __init__(self, store: Store, clock: Clock, images: ImageRecords) -> None:
        self.store = store
        self.clock = clock
        self.images = images

    def load(self, state: InitialState) -> None:
        """Empty the store and fill it from ``state``; simulated time starts now."""
        store = self.store
        store.settings = state.settings
        store.pricing = state.pricing
        store.clear()
        store.images.update({image.id: system_image(image) for image in catalog.SYSTEM_IMAGES})
        now = self.clock.now()
        store.epoch = store.backups_scheduled_until = now
        for index, spec in enumerate(state.servers):
            self.add_server(spec, index, now)

    def add_server(self, spec: ServerSpec, index: int, now: float) -> None:
        """The ``index``-th server of the state, its snapshots and its locks (scheduled one after another)."""
        kind = catalog.server_type(spec.server_type)
        # the image of the server type's architecture; an initial state may still name one that exists only for x86
        system = catalog.system_image(spec.image, kind.architecture if kind else "x86") or catalog.system_image(spec.image)
        server = Server(
            id=self.store.next_id("server"),
            name=spec.name,
            status=spec.status,
            created=now - (40 + index % 300) * 86_400 - index * 3_600,
            server_type=spec.server_type,
            location=spec.location,
            primary_disk_size=spec.disk_size,
            labels=dict(spec.labels),
            backup_window=spec.backup_window,
            image=self.store.images[system.id] if system else None,
            delete_protected=spec.delete_protected,
            rebuild_protected=spec.rebuild_protected,
        )
        self.store.servers[server.id] = server
        for snapshot in spec.snapshots:
            image = self.images.new_image(server, snapshot.type, snapshot.description, snapshot.labels, now - snapshot.age_hours * 3_600)
            image.status = "available"
            image.protected = snapshot.protected
            image.image_size = snapshot.image_size if snapshot.image_size is not None else image_size(image)
        start = now
        for lock in spec.locks:
            start += self.clock.real_seconds(lock.delay)
            self.store.scheduled.append(ScheduledLock(start, server.id, lock))
            start += self.clock.real_seconds(lock.seconds)
