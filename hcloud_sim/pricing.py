"""The project's prices, as ``GET /pricing`` answers them (``list_prices_response`` of the OpenAPI document).

An initial state may set ``pricing: {currency, vat_rate, image_per_gb_month, volume_per_gb_month}``:
net prices per GB and month, the VAT rate in percent. Gross prices are net plus VAT. The API
renders every amount as a decimal string; so does the simulator (``0.0119000000``), with
``vat_rate`` as ``19.00``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import catalog
from .settings import SpecError

_AMOUNT = Decimal("0.0000000001")
_PERCENT = Decimal("0.01")
_KEYS = ("currency", "vat_rate", "image_per_gb_month", "volume_per_gb_month")


@dataclass(frozen=True)
class Pricing:
    """Currency, VAT rate (percent) and the net prices the simulator serves."""

    currency: str = "EUR"
    vat_rate: Decimal = Decimal("19")
    image_per_gb_month: Decimal = Decimal("0.0119")
    volume_per_gb_month: Decimal = Decimal("0.0440")

    def price(self, net: Decimal | float | str) -> dict[str, str]:
        """``{net, gross}`` of a net amount."""
        amount = Decimal(str(net))
        gross = amount * (1 + self.vat_rate / 100)
        return {"net": str(amount.quantize(_AMOUNT, ROUND_HALF_UP)), "gross": str(gross.quantize(_AMOUNT, ROUND_HALF_UP))}

    def to_json(self) -> dict[str, Any]:
        """The ``pricing`` object of ``GET /pricing``."""
        locations = [location.name for location in catalog.LOCATIONS]
        return {
            "currency": self.currency,
            "vat_rate": str(self.vat_rate.quantize(_PERCENT, ROUND_HALF_UP)),
            "image": {"price_per_gb_month": self.price(self.image_per_gb_month)},
            "volume": {"price_per_gb_month": self.price(self.volume_per_gb_month)},
            "server_backup": {"percentage": "20.00"},
            "floating_ip": {"price_monthly": self.price("3.00")},
            "floating_ips": [
                {"type": ip_type, "prices": [{"location": name, "price_monthly": self.price(monthly)} for name in locations]}
                for ip_type, monthly in (("ipv4", "3.00"), ("ipv6", "1.00"))
            ],
            "primary_ips": [
                {
                    "type": ip_type,
                    "prices": [{"location": name, "price_hourly": self.price(hourly), "price_monthly": self.price(monthly)} for name in locations],
                }
                for ip_type, hourly, monthly in (("ipv4", "0.0010", "0.50"), ("ipv6", "0.0000", "0.00"))
            ],
            "load_balancer_types": [
                {"id": 1, "name": "lb11", "prices": [self._per_time(name, Decimal("5.39")) for name in locations]},
            ],
            "server_types": [
                {"id": item.id, "name": item.name, "prices": [self._per_time(name, Decimal(str(item.price_monthly))) for name in locations]}
                for item in sorted(catalog.SERVER_TYPES, key=lambda item: item.id)
            ],
        }

    def _per_time(self, location: str, monthly: Decimal) -> dict[str, Any]:
        return {
            "location": location,
            "price_hourly": self.price((monthly / 730).quantize(Decimal("0.0001"), ROUND_HALF_UP)),
            "price_monthly": self.price(monthly),
            "included_traffic": 21_990_232_555_520,
            "price_per_tb_traffic": self.price("1.00"),
        }


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpecError(f"{where}: must be a number or a decimal string, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SpecError(f"{where}: must be a number or a decimal string, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise SpecError(f"{where}: must be a number of at least 0, got {value!r}")
    return number


def parse_pricing(value: Any, where: str = "pricing") -> Pricing:
    """Validate ``pricing`` (every key optional)."""
    if value is None:
        return Pricing()
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be a mapping, got {type(value).__name__}")
    unknown = sorted(set(map(str, value)) - set(_KEYS))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(_KEYS)})")
    currency = value.get("currency", "EUR")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise SpecError(f"{where}.currency: must be an ISO 4217 code such as EUR, got {currency!r}")
    changes = {key: _decimal(value[key], f"{where}.{key}") for key in _KEYS[1:] if key in value}
    return Pricing(currency=currency, **changes)
