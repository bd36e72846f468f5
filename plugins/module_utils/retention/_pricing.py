# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a GB of snapshot costs a month in this project: ``GET /pricing``, read once per run, never a constant.

The price is ``pricing.image.price_per_gb_month`` (``net`` and ``gross``, decimal strings) in ``pricing.currency``.
A run that cannot read it (the request fails, the answer has no such price) still rotates: its cost says that the
price is unknown and why, and gives the sizes alone.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import image_price, storage_cost


@dataclass(frozen=True)
class StoragePrice:
    """The image price per GB and month (``{net, gross}``) and its currency, or why it is unknown (``problem``)."""

    per_gb_month: dict | None = None
    currency: str | None = None
    problem: str | None = None

    @property
    def known(self) -> bool:
        """Whether the API told the price."""
        return self.per_gb_month is not None


class PricingOnce:
    """``GET /pricing`` once for a whole run, shared by its tasks (a fleet of one too); a failure is kept as well."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._read: tuple | None = None  # (pricing, None) or (None, the exception)

    def pricing(self) -> dict:
        """The ``pricing`` object, read on the first call; raises that read's failure on every call."""
        with self._lock:
            if self._read is None:
                try:
                    self._read = (self._api.pricing(), None)
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    self._read = (None, exc)
            pricing, failure = self._read
        if failure is not None:
            raise failure
        return pricing


def read_price(api: Any) -> StoragePrice:
    """The price from ``api.pricing()`` (the ``pricing`` object of GET /pricing); a failure makes it unknown."""
    try:
        price, currency = image_price(api.pricing())
        storage_cost([], price, currency)  # refuses a price that is not one
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return StoragePrice(problem=f"the price is unknown: GET /pricing failed ({_describe(exc)})")
    return StoragePrice({"net": str(price["net"]), "gross": str(price["gross"])}, str(currency))


def _describe(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    return f"{code}: {text}" if code and not text.startswith(str(code)) else text
