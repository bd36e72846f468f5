"""The static catalogue of the simulated cloud: locations, datacenters, server types, system images.

These never change while the simulator runs; they exist so that servers render complete
objects and so that tools such as the ``hcloud`` CLI find what they look up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Location:
    """A location (a city with one datacenter park)."""

    id: int
    name: str
    description: str
    country: str
    city: str
    latitude: float
    longitude: float
    network_zone: str
    datacenter_id: int
    datacenter_name: str
    datacenter_description: str

    def to_json(self) -> dict[str, Any]:
        """The API's ``location`` object."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "country": self.country,
            "city": self.city,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "network_zone": self.network_zone,
        }

    def datacenter_json(self) -> dict[str, Any]:
        """The API's ``datacenter`` object of this location's (only) datacenter."""
        type_ids = [server_type.id for server_type in SERVER_TYPES]
        return {
            "id": self.datacenter_id,
            "name": self.datacenter_name,
            "description": self.datacenter_description,
            "location": self.to_json(),
            "server_types": {"available": type_ids, "available_for_migration": type_ids, "supported": type_ids},
        }


@dataclass(frozen=True)
class ServerType:
    """A server type (a size of virtual machine)."""

    id: int
    name: str
    cores: int
    memory: float
    disk: int
    cpu_type: str = "shared"
    architecture: str = "x86"
    category: str = "Shared vCPU"
    price_monthly: float = 4.0
    deprecated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The API's ``server_type`` object."""
        deprecation = {"announced": "2024-06-06T08:00:00+00:00", "unavailable_after": "2024-09-06T08:00:00+00:00"} if self.deprecated else None
        return {
            "id": self.id,
            "name": self.name,
            "description": self.name.upper(),
            "category": self.category,
            "cores": self.cores,
            "memory": self.memory,
            "disk": self.disk,
            "deprecated": self.deprecated,
            "deprecation": deprecation,
            "prices": [self._price(location.name) for location in LOCATIONS],
            "storage_type": "local",
            "cpu_type": self.cpu_type,
            "architecture": self.architecture,
            "locations": [
                # "available" and "recommended" are newer than the OpenAPI document; the hcloud library requires them
                {"id": location.id, "name": location.name, "deprecation": deprecation, "available": not self.deprecated, "recommended": not self.deprecated}
                for location in LOCATIONS
            ],
        }

    def _price(self, location: str) -> dict[str, Any]:
        hourly = round(self.price_monthly / 730, 4)
        return {
            "location": location,
            "price_hourly": {"net": f"{hourly:.10f}", "gross": f"{hourly * 1.19:.10f}"},
            "price_monthly": {"net": f"{self.price_monthly:.10f}", "gross": f"{self.price_monthly * 1.19:.10f}"},
            "included_traffic": 21990232555520,
            "price_per_tb_traffic": {"net": "1.0000000000", "gross": "1.1900000000"},
        }


LOCATIONS: tuple[Location, ...] = (
    Location(1, "fsn1", "Falkenstein DC Park 1", "DE", "Falkenstein", 50.47612, 12.370071, "eu-central", 4, "fsn1-dc14", "Falkenstein 1 virtual DC 14"),
    Location(2, "nbg1", "Nuremberg DC Park 1", "DE", "Nuremberg", 49.452102, 11.076665, "eu-central", 2, "nbg1-dc3", "Nuremberg 1 virtual DC 3"),
    Location(3, "hel1", "Helsinki DC Park 1", "FI", "Helsinki", 60.169855, 24.938379, "eu-central", 3, "hel1-dc2", "Helsinki 1 virtual DC 2"),
    Location(4, "ash", "Ashburn, VA", "US", "Ashburn, VA", 39.045821, -77.487073, "us-east", 5, "ash-dc1", "Ashburn virtual DC 1"),
    Location(5, "hil", "Hillsboro, OR", "US", "Hillsboro, OR", 45.54222, -122.95128, "us-west", 6, "hil-dc1", "Hillsboro virtual DC 1"),
    Location(6, "sin", "Singapore", "SG", "Singapore", 1.283333, 103.833333, "ap-southeast", 7, "sin-dc1", "Singapore virtual DC 1"),
)

SERVER_TYPES: tuple[ServerType, ...] = (
    ServerType(1, "cx11", 1, 2.0, 20, price_monthly=3.29, deprecated=True),
    ServerType(22, "cpx11", 2, 2.0, 40, price_monthly=4.35),
    ServerType(23, "cpx21", 3, 4.0, 80, price_monthly=7.55),
    ServerType(24, "cpx31", 4, 8.0, 160, price_monthly=13.6),
    ServerType(25, "cpx41", 8, 16.0, 240, price_monthly=25.2),
    ServerType(26, "cpx51", 16, 32.0, 360, price_monthly=54.9),
    ServerType(104, "cx22", 2, 4.0, 40, price_monthly=3.79),
    ServerType(105, "cx32", 4, 8.0, 80, price_monthly=6.8),
    ServerType(106, "cx42", 8, 16.0, 160, price_monthly=16.4),
    ServerType(107, "cx52", 16, 32.0, 320, price_monthly=32.4),
    ServerType(45, "cax11", 2, 4.0, 40, architecture="arm", price_monthly=3.79),
    ServerType(96, "ccx13", 2, 8.0, 80, cpu_type="dedicated", category="Dedicated vCPU", price_monthly=12.49),
    # the generation sold since October 2025 (Cost-Optimized cx*3, Regular Performance cpx*2)
    ServerType(108, "cx23", 2, 4.0, 40, category="Cost-Optimized", price_monthly=3.49),
    ServerType(109, "cx33", 4, 8.0, 80, category="Cost-Optimized", price_monthly=5.49),
    ServerType(110, "cx43", 8, 16.0, 160, category="Cost-Optimized", price_monthly=9.49),
    ServerType(111, "cx53", 16, 32.0, 320, category="Cost-Optimized", price_monthly=17.49),
    ServerType(112, "cpx12", 1, 2.0, 40, category="Regular Performance", price_monthly=6.49),
    ServerType(113, "cpx22", 2, 4.0, 80, category="Regular Performance", price_monthly=7.99),
    ServerType(114, "cpx32", 4, 8.0, 160, category="Regular Performance", price_monthly=13.99),
    ServerType(115, "cpx42", 8, 16.0, 320, category="Regular Performance", price_monthly=25.49),
    ServerType(116, "cpx52", 12, 24.0, 480, category="Regular Performance", price_monthly=36.49),
    ServerType(117, "cpx62", 16, 32.0, 640, category="Regular Performance", price_monthly=51.49),
    ServerType(93, "cax21", 4, 8.0, 80, architecture="arm", price_monthly=6.49),
    ServerType(94, "cax31", 8, 16.0, 160, architecture="arm", price_monthly=12.49),
    ServerType(95, "cax41", 16, 32.0, 320, architecture="arm", price_monthly=24.49),
)


@dataclass(frozen=True)
class SystemImage:
    """A distribution image maintained by the provider (the backend turns it into an ``Image``)."""

    id: int
    name: str
    description: str
    os_flavor: str
    os_version: str
    created: float
    deprecated: float | None = None
    architecture: str = "x86"


SYSTEM_IMAGES: tuple[SystemImage, ...] = (
    SystemImage(1001, "ubuntu-20.04", "Ubuntu 20.04", "ubuntu", "20.04", _ts("2020-04-23T00:00:00"), deprecated=_ts("2025-05-31T00:00:00")),
    SystemImage(1002, "ubuntu-22.04", "Ubuntu 22.04", "ubuntu", "22.04", _ts("2022-04-21T00:00:00")),
    SystemImage(1003, "ubuntu-24.04", "Ubuntu 24.04", "ubuntu", "24.04", _ts("2024-04-25T00:00:00")),
    SystemImage(1004, "debian-12", "Debian 12", "debian", "12", _ts("2023-06-10T00:00:00")),
    SystemImage(1005, "rocky-9", "Rocky Linux 9", "rocky", "9", _ts("2022-07-14T00:00:00")),
    SystemImage(1006, "fedora-41", "Fedora 41", "fedora", "41", _ts("2024-10-29T00:00:00")),
    SystemImage(1007, "debian-13", "Debian 13", "debian", "13", _ts("2025-08-09T00:00:00")),
    # the API lists one image per architecture, under the same name
    SystemImage(2003, "ubuntu-24.04", "Ubuntu 24.04", "ubuntu", "24.04", _ts("2024-04-25T00:00:00"), architecture="arm"),
    SystemImage(2004, "debian-12", "Debian 12", "debian", "12", _ts("2023-06-10T00:00:00"), architecture="arm"),
    SystemImage(2007, "debian-13", "Debian 13", "debian", "13", _ts("2025-08-09T00:00:00"), architecture="arm"),
)


def location(name: str) -> Location | None:
    """The location called ``name``."""
    return next((item for item in LOCATIONS if item.name == name), None)


DEFAULT_LOCATION = "fsn1"


def location_by_reference(reference: str) -> Location | None:
    """The location with that id or name."""
    return next((item for item in LOCATIONS if reference in (item.name, str(item.id))), None)


def server_type_by_reference(reference: str) -> ServerType | None:
    """The server type with that id or name."""
    return next((item for item in SERVER_TYPES if reference in (item.name, str(item.id))), None)


def server_type(name: str) -> ServerType | None:
    """The server type called ``name``."""
    return next((item for item in SERVER_TYPES if item.name == name), None)


def system_image(name: str, architecture: str = "x86") -> SystemImage | None:
    """The system image called ``name`` for that architecture."""
    return next((item for item in SYSTEM_IMAGES if item.name == name and item.architecture == architecture), None)


def datacenters() -> list[dict[str, Any]]:
    """Every datacenter as the API renders it, in id order."""
    return sorted((item.datacenter_json() for item in LOCATIONS), key=lambda item: item["id"])
