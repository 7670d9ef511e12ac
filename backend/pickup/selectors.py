"""Reads for the pickup app: the tariff book in effect, quotes priced from it, printers, label data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields
from datetime import date

from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.couriers.selectors import station_today
from backend.pickup.models import Printer, TariffBookVersion
from backend.shipments.models import Shipment
from parcelkit.labels.layout import LabelData
from parcelkit.rules.pickup import waybill_label
from parcelkit.rules.pricing import Quote, QuoteError, QuoteRequest, TariffBook, quote

_REQUEST_FIELDS = {f.name: f for f in fields(QuoteRequest)}
_REQUIRED = {name for name, f in _REQUEST_FIELDS.items() if f.default is MISSING}


def tariff_book_current(origin: str, *, on: date | None = None) -> TariffBookVersion | None:
    """The highest version for ``origin`` already in effect on ``on`` (today, station time, by default)."""
    if on is None:
        # The origin is a station code: its date, not the deployment's TIME_ZONE (settings).
        station = Station.objects.filter(code=origin).first()
        on = station_today(station) if station is not None else timezone.localdate()
    return (
        TariffBookVersion.objects.filter(origin=origin, effective_date__lte=on).order_by("-version").first()
    )


def tariff_book_version(origin: str, version: int) -> TariffBookVersion | None:
    return TariffBookVersion.objects.filter(origin=origin, version=version).first()


def quote_request_from(data: object) -> QuoteRequest:
    """Decoded JSON → QuoteRequest; the field types are left for ``quote()`` to judge, as on the handheld."""
    if not isinstance(data, Mapping):
        raise QuoteError("invalid_input", "the quote request must be a JSON object")
    unknown = sorted(set(data) - set(_REQUEST_FIELDS))
    if unknown:
        raise QuoteError("invalid_input", f"unknown fields {unknown}")
    missing = sorted(_REQUIRED - set(data))
    if missing:
        raise QuoteError("invalid_input", f"missing fields {missing}")
    # PostgreSQL text cannot hold NUL: the origin's book lookup answered 500 (found by schemathesis).
    nul = sorted(k for k, v in data.items() if isinstance(v, str) and "\x00" in v)
    if nul:
        raise QuoteError("invalid_input", f"NUL characters in {nul}")
    return QuoteRequest(**data)


def quote_for(request: QuoteRequest, *, tariff_version: int | None = None) -> tuple[Quote, TariffBookVersion]:
    """Price ``request`` with the origin's current book (or the named version), exactly as the handheld does.

    An origin without a book answers like a book without that origin would: ``no_tariff_for_destination``,
    after the same type checks, so a bad field gets the same code with or without a book.
    """
    row = None
    if isinstance(request.origin, str):
        row = (
            tariff_book_current(request.origin)
            if tariff_version is None
            else tariff_book_version(request.origin, tariff_version)
        )
    if row is None:
        try:
            quote(TariffBook([]), request)
        except QuoteError as exc:
            if exc.code == "invalid_input":
                raise
        which = "current" if tariff_version is None else f"version {tariff_version} of the"
        raise QuoteError("no_tariff_for_destination", f"no {which} tariff book for origin {request.origin!r}")
    return quote(TariffBook.from_json(row.book), request), row


def printer_get(*, station_id: int, name: str) -> Printer:
    printer = Printer.objects.filter(station_id=station_id, name=name).first()
    if printer is None:
        raise DomainError("not_found", f"no printer named {name!r} at this station")
    return printer


def label_data_for(shipment: Shipment, *, piece_no: int = 1) -> LabelData:
    """What the label of ``shipment`` shows; the same builder the handheld uses offline."""
    weight = shipment.measured_weight_g or shipment.declared_weight_g
    if not weight:
        raise DomainError("label_not_ready", "the parcel has no weight yet: weigh it at pickup first")
    return waybill_label(
        tracking_no=shipment.tracking_no,
        service_level=shipment.service_level,
        destination_region=shipment.destination_region,
        origin=shipment.station.code,
        weight_g=weight,
        sender=(shipment.sender_name, shipment.sender_phone, shipment.sender_address),
        recipient=(shipment.recipient_name, shipment.recipient_phone, shipment.recipient_address),
        cod_amount_fen=shipment.cod_amount_fen,
        piece_no=piece_no,
        piece_count=shipment.pieces,
    )
