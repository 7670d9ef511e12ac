"""Writes for the pickup app: publish a tariff book, configure and print to printers, and the
price-checked pickup completion (a thin wrapper over the one lifecycle write path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.couriers.selectors import station_today
from backend.pickup import selectors
from backend.pickup.models import RAW_PRINT_PORT, Printer, TariffBookVersion
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.selectors import shipment_get_for
from backend.shipments.services import job_complete_pickup
from backend.shipments.services.door_inputs import PickupInput
from backend.shipments.services.recording import lock_job, require_own_job, require_station_staff
from backend.shipments.states import HandlingFlag, JobKind, JobStatus
from parcelkit.labels.printer import PrinterUnreachable, send_zpl
from parcelkit.labels.render import render_zpl
from parcelkit.rules.pricing import QuoteError, QuoteRequest, TariffBook, pickup_quote_request

# Tariff amounts are fen, grams and millimetres; anything above this is a typo, and it keeps every
# computed price inside a 64-bit column.
MAX_TARIFF_INT = 2**31 - 1
PRINT_TIMEOUT_S = 5.0


def _station_for_origin(origin: str) -> Station:
    station = Station.objects.filter(code=origin).first()
    if station is None:
        raise DomainError("not_found", f"no station with code {origin!r}")
    return station


def _validated_book(origin: str, book_json: object) -> TariffBook:
    if not isinstance(book_json, dict):
        raise DomainError("invalid_tariff_book", "the tariff book must be a JSON object")
    try:
        book = TariffBook.from_json(book_json)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DomainError("invalid_tariff_book", f"tariff book refused: {exc}") from None
    rows = book.to_json()["tariffs"]
    if not rows:
        raise DomainError("invalid_tariff_book", "a tariff book needs at least one tariff")
    for row in rows:
        if row["origin"] != origin:
            raise DomainError(
                "invalid_tariff_book", f"a tariff from {row['origin']!r} in the book of {origin!r}"
            )
        big = [k for k, v in row.items() if isinstance(v, int) and v > MAX_TARIFF_INT]
        if big:
            raise DomainError("invalid_tariff_book", f"tariff values too large: {big}")
    return book


def tariff_book_publish(
    *, ctx: Ctx, origin: str, book_json: object, effective_date: date | None = None
) -> TariffBookVersion:
    """Publish a new version of ``origin``'s book (supervisor of that station, or admin).

    The book is checked by ``TariffBook.from_json`` (the parser the handheld runs), stored as its
    ``to_json()`` with the new version number, and announced on the change feed as
    ``tariff.published`` so handhelds pulling the station's feed fetch it with the day's data.
    """
    station = _station_for_origin(origin)
    require_station_staff(ctx, station.pk)
    book = _validated_book(origin, book_json)
    today = station_today(station)  # the station's date, not the deployment's TIME_ZONE
    if effective_date is not None and effective_date < today:
        # Handhelds priced past pickups with the book then in effect; a back-dated book would rewrite that.
        raise DomainError("invalid_tariff_book", "a tariff book cannot take effect in the past")
    with transaction.atomic():
        # The station row lock serialises publishers of one origin; the unique constraint backs it.
        Station.objects.select_for_update(no_key=True).get(pk=station.pk)
        last = TariffBookVersion.objects.filter(origin=origin).order_by("-version").first()
        version = (last.version if last else 0) + 1
        book.version = str(version)
        row = TariffBookVersion.objects.create(
            station=station,
            origin=origin,
            version=version,
            effective_date=effective_date or today,
            book=book.to_json(),
            published_at=timezone.now(),
            published_by_id=ctx.actor.user_id,
        )
        feed.append("tariff.published", {"origin": origin, "version": version}, station_id=station.pk)
    return row


def printer_save(*, ctx: Ctx, station_id: int, name: str, host: str, port: int = RAW_PRINT_PORT) -> Printer:
    """Add or re-point a station printer (supervisor of the station, or admin)."""
    require_station_staff(ctx, station_id)
    if not name.strip() or not host.strip():
        raise DomainError("invalid", "a printer needs a name and a host")
    if not 1 <= port <= 65535:
        raise DomainError("invalid", "port must be 1–65535")
    printer, _ = Printer.objects.update_or_create(
        station_id=station_id, name=name.strip(), defaults={"host": host.strip(), "port": port}
    )
    return printer


@dataclass(frozen=True)
class PrintResult:
    printer: Printer
    bytes_sent: int
    labels: int


def label_print(*, ctx: Ctx, tracking_no: str, printer_name: str) -> PrintResult:
    """Send the shipment's labels (one per piece) as ZPL to a printer of the shipment's station.

    Who may print is who may see the shipment. Nothing is written: a label can be printed again.
    """
    shipment = shipment_get_for(ctx.actor, tracking_no)
    printer = selectors.printer_get(station_id=shipment.station_id, name=printer_name)
    zpl = "".join(
        render_zpl(selectors.label_data_for(shipment, piece_no=n)) for n in range(1, shipment.pieces + 1)
    )
    payload = zpl.encode("utf-8")
    try:
        send_zpl(printer.host, payload, port=printer.port, timeout=PRINT_TIMEOUT_S)
    except PrinterUnreachable as exc:
        raise DomainError("printer_unreachable", str(exc), printer=printer.name) from None
    return PrintResult(printer=printer, bytes_sent=len(payload), labels=shipment.pieces)


def pickup_complete(
    *,
    job_id: int,
    ctx: Ctx,
    data: PickupInput,
    tariff_version: int | None = None,
    expected_version: int | None = None,
) -> Job:
    """Complete a pickup after re-pricing it from the shipment's own record; a different price is refused.

    When the job's origin station has a tariff book, the quote is computed here from the measured
    weight, dimensions and declared value in ``data`` and the shipment's own destination, service
    level, COD amount and handling flags, with the book version the handheld priced with
    (``tariff_version``) or the current one. Never from attributes the caller sends: a handheld that
    says "standard, not fragile" about an express fragile parcel would underprice it (issue 16). A
    ``price_fen`` that differs, or is missing, is refused with ``price_mismatch`` before anything is
    written. Without a book the price is taken as given. Then ``job_complete_pickup`` does the
    write, the event and the feed.
    """
    data.validate()
    with transaction.atomic():
        job = lock_job(job_id)  # the same lock job_complete_pickup takes: the shipment cannot change under us
        require_own_job(ctx, job)
        shipment = job.shipment
        origin = job.station.code
        priced = selectors.tariff_book_current(origin) is not None or tariff_version is not None
        # A delivery job goes straight through to be refused there with wrong_job_kind, and a pickup
        # already weighed to be refused with invalid_transition (``already_weighed`` on sync): the
        # weight recorded first stands, whatever the second price says.
        if priced and job.kind == JobKind.PICKUP and job.status != JobStatus.COMPLETED:
            request = pickup_quote_request(
                origin=origin,
                destination_region=shipment.destination_region,
                service_level=shipment.service_level,
                weight_g=data.measured_weight_g,
                length_mm=data.length_mm,
                width_mm=data.width_mm,
                height_mm=data.height_mm,
                declared_value_fen=data.declared_value_fen,
                cod_amount_fen=shipment.cod_amount_fen,
                fragile=HandlingFlag.FRAGILE in shipment.handling,
                # Not on the shipment's record: the server adds no remote-area surcharge (docs/pickup.md).
                remote_area=False,
            )
            _check_price(request, data.price_fen, tariff_version)
        return job_complete_pickup(job_id=job_id, ctx=ctx, data=data, expected_version=expected_version)


def _check_price(request: QuoteRequest, price_fen: int | None, tariff_version: int | None) -> None:
    try:
        expected, row = selectors.quote_for(request, tariff_version=tariff_version)
    except QuoteError as exc:
        raise DomainError(exc.code, exc.message) from None
    if price_fen != expected.total_fen:
        details: dict[str, Any] = {
            "expected_total_fen": expected.total_fen,
            "price_fen": price_fen,
            "tariff_version": row.version,
            "lines": expected.to_json()["lines"],
        }
        raise DomainError(
            "price_mismatch",
            f"the price should be {expected.total_fen} fen by tariff {row.origin} v{row.version}, "
            f"not {price_fen}",
            **details,
        )
