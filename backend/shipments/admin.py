"""The admin shows shipments, jobs and their history; it changes them only through the services.

Every lifecycle model is read-only here (no add, change or delete): an edit in a form would skip
the transition table, the tracking event and the change feed. The few things an operator may do
are admin actions that call ``backend.shipments.services``, one object at a time, and report each
refusal (a ``DomainError``) as a message instead of failing the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from backend.accounts.roles import principal_of
from backend.common.errors import DomainError
from backend.shipments.context import Ctx
from backend.shipments.models import (
    DeliveryAttempt,
    FeedCounter,
    FeedEntry,
    Job,
    ProofOfDelivery,
    SerialCounter,
    Shipment,
    TrackingEvent,
)
from backend.shipments.services import job_cancel, job_unassign, shipment_transition
from backend.shipments.states import ShipmentStatus

_M = TypeVar("_M", bound=Model)
_Parent = TypeVar("_Parent", bound=Model)


def admin_ctx(request: HttpRequest) -> Ctx:
    return Ctx(actor=principal_of(request.user), device_id="admin")


def _by(request: HttpRequest) -> str:
    return f"in the admin by {request.user.get_username()}"


def run_each(
    modeladmin: admin.ModelAdmin[_M],
    request: HttpRequest,
    items: list[tuple[int, str]],
    call: Callable[[int], object],
    done_text: str,
) -> None:
    """Call ``call(pk)`` per ``(pk, label)``; each call is its own transaction, so one refusal spoils nothing."""
    done = 0
    for pk, label in items:
        try:
            call(pk)
        except DomainError as exc:
            modeladmin.message_user(request, f"{label}: {exc.message} ({exc.code})", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{done_text}: {done}", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """Viewable, searchable, never editable: changes go through backend.shipments.services."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline[_M, _Parent]):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TrackingEventInline(ReadOnlyInline[TrackingEvent, Shipment]):
    model = TrackingEvent
    fields = ("event_at", "kind", "status_after", "job", "actor", "device_id", "details")
    ordering = ("event_at", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrackingEvent]:
        return super().get_queryset(request).select_related("actor", "job")


class JobInline(ReadOnlyInline[Job, Shipment]):
    model = Job
    fields = ("kind", "status", "courier", "service_date", "planned_seq", "eta", "attempt_count", "version")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return super().get_queryset(request).select_related("courier")


class AttemptInline(ReadOnlyInline[DeliveryAttempt, Job]):
    model = DeliveryAttempt
    fields = ("number", "succeeded", "reason_code", "next_step", "note", "attempted_at")


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin[Shipment]):
    list_display = (
        "tracking_no",
        "status",
        "station",
        "service_level",
        "recipient_name",
        "recipient_address",
        "promised_start",
        "promised_end",
        "cod_amount_fen",
        "created_at",
    )
    list_filter = ("status", "service_level", "station")
    search_fields = ("tracking_no", "recipient_name", "recipient_phone", "sender_name", "recipient_address")
    list_select_related = ("station",)
    ordering = ("-pk",)
    inlines = (JobInline, TrackingEventInline)
    actions = ("mark_exception", "hold_at_station")

    def _move(self, request: HttpRequest, queryset: QuerySet[Shipment], to: str, what: str) -> None:
        ctx, reason = admin_ctx(request), f"{what} {_by(request)}"
        items = list(queryset.order_by("pk").values_list("pk", "tracking_no"))
        run_each(
            self,
            request,
            items,
            lambda pk: shipment_transition(shipment_id=pk, to=to, ctx=ctx, reason=reason),
            what,
        )

    @admin.action(description="Mark selected shipments as exception")
    def mark_exception(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        self._move(request, queryset, ShipmentStatus.EXCEPTION, "marked as exception")

    @admin.action(description="Hold selected shipments at the station")
    def hold_at_station(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        self._move(request, queryset, ShipmentStatus.HELD, "held at the station")


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin[Job]):
    list_display = (
        "id",
        "kind",
        "status",
        "shipment",
        "courier",
        "service_date",
        "planned_seq",
        "eta",
        "window_start",
        "window_end",
        "attempt_count",
        "version",
    )
    list_filter = ("status", "kind", "service_date", "station")
    search_fields = ("shipment__tracking_no", "address", "courier__employee_no", "courier__name")
    list_select_related = ("shipment", "courier", "station")
    date_hierarchy = "service_date"
    ordering = ("-service_date", "courier", "planned_seq", "pk")
    inlines = (AttemptInline,)
    actions = ("cancel_jobs", "unassign_jobs")

    def _items(self, queryset: QuerySet[Job]) -> list[tuple[int, str]]:
        rows = queryset.order_by("pk").values_list("pk", "kind", "shipment__tracking_no")
        return [(pk, f"{kind} job #{pk} ({number})") for pk, kind, number in rows]

    @admin.action(description="Cancel selected jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        ctx, reason = admin_ctx(request), f"cancelled {_by(request)}"
        run_each(
            self,
            request,
            self._items(queryset),
            lambda pk: job_cancel(job_id=pk, ctx=ctx, reason=reason),
            "cancelled",
        )

    @admin.action(description="Unassign selected jobs (back to the unassigned pool)")
    def unassign_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        ctx, reason = admin_ctx(request), f"unassigned {_by(request)}"
        run_each(
            self,
            request,
            self._items(queryset),
            lambda pk: job_unassign(job_id=pk, ctx=ctx, reason=reason),
            "unassigned",
        )


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin[TrackingEvent]):
    list_display = (
        "id",
        "shipment",
        "kind",
        "status_after",
        "event_at",
        "received_at",
        "actor",
        "device_id",
        "station",
    )
    list_filter = ("kind", "status_after", "station")
    search_fields = ("shipment__tracking_no", "device_id", "idempotency_key")
    list_select_related = ("shipment", "actor", "station")
    ordering = ("-pk",)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin[DeliveryAttempt]):
    list_display = (
        "id",
        "job",
        "tracking_no",
        "number",
        "succeeded",
        "reason_code",
        "next_step",
        "attempted_at",
    )
    list_filter = ("succeeded", "reason_code", "next_step")
    search_fields = ("job__shipment__tracking_no", "note")
    list_select_related = ("job__shipment",)
    ordering = ("-pk",)

    @admin.display(description="tracking no", ordering="job__shipment__tracking_no")
    def tracking_no(self, obj: DeliveryAttempt) -> str:
        return obj.job.shipment.tracking_no


@admin.register(ProofOfDelivery)
class ProofOfDeliveryAdmin(ReadOnlyAdmin[ProofOfDelivery]):
    list_display = (
        "id",
        "job",
        "tracking_no",
        "method",
        "recipient_relation",
        "recipient_name",
        "captured_at",
        "code_verified",
    )
    list_filter = ("method", "recipient_relation", "code_verified")
    search_fields = ("job__shipment__tracking_no", "recipient_name")
    list_select_related = ("job__shipment",)
    ordering = ("-pk",)

    @admin.display(description="tracking no", ordering="job__shipment__tracking_no")
    def tracking_no(self, obj: ProofOfDelivery) -> str:
        return obj.job.shipment.tracking_no


@admin.register(FeedEntry)
class FeedEntryAdmin(ReadOnlyAdmin[FeedEntry]):
    list_display = ("cursor", "kind", "station", "courier", "prev_courier", "shipment", "job", "created_at")
    list_filter = ("kind", "station")
    search_fields = ("shipment__tracking_no", "kind")
    list_select_related = ("station", "courier", "prev_courier", "shipment", "job")
    ordering = ("-cursor",)


@admin.register(FeedCounter)
class FeedCounterAdmin(ReadOnlyAdmin[FeedCounter]):
    list_display = ("id", "value")


@admin.register(SerialCounter)
class SerialCounterAdmin(ReadOnlyAdmin[SerialCounter]):
    list_display = ("name", "value")
