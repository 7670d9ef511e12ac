"""REST for the shift's cash (docs/cod.md): one thin view per operation, validate → call → serialize."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsCourier, IsStaffOrCourier, IsStationStaff, principal
from backend.accounts.roles import Role
from backend.cod import selectors, services
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.couriers.selectors import station_get_for_staff
from backend.shipments.api.ctx import ctx_from
from backend.shipments.api.serializers import MAX_BIGINT, MAX_INT, DateTimeField
from backend.shipments.services.collections import collection_correct
from parcelkit.rules import cod as cod_rules

MAX_REPORT_DAYS = 31


def _body(serializer: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    s = serializer(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def _courier_for(request: Request, courier_id: int | None) -> Courier:
    """The courier asked about: a courier is always themself; staff name one of their station's."""
    who = principal(request)
    if who.role is Role.COURIER:
        courier_id = who.require_courier_id()
    if courier_id is None:
        # Required of staff only: a schema cannot make a field depend on the caller's role.
        raise DomainError("courier_required", "name the courier (courier_id)", field="courier_id")
    courier = Courier.objects.filter(pk=courier_id).first()
    if courier is None or not (who.role is Role.COURIER or who.can_see_station(courier.station_id)):
        raise DomainError("not_found", f"courier {courier_id} does not exist")
    return courier


class CourierQuery(serializers.Serializer[None]):
    courier_id = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, required=False, help_text="staff only (required of staff)"
    )


class HoldingApi(APIView):
    """The cash a courier holds, per parcel and in total (the handheld's end-of-day screen)."""

    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="cod_holding",
        parameters=[CourierQuery],
        responses={200: dict, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        q = CourierQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        return Response(selectors.holding(_courier_for(request, q.validated_data.get("courier_id"))))


class DeclarationInput(serializers.Serializer[None]):
    declared_fen = serializers.IntegerField(min_value=0, max_value=services.MAX_FEN)
    event_at = DateTimeField(required=False)


class DeclarationApi(APIView):
    """The courier declares the cash they hand over (their count)."""

    permission_classes = [IsCourier]

    @extend_schema(
        operation_id="cod_declare",
        request=DeclarationInput,
        responses={201: dict, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = _body(DeclarationInput, request)
        d = services.declaration_record(ctx=ctx_from(request, data), declared_fen=data["declared_fen"])
        return Response({"id": d.pk, "declared_fen": d.declared_fen}, status=201)


class HandoverInput(serializers.Serializer[None]):
    courier_id = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    expected_fen = serializers.IntegerField(
        min_value=-MAX_BIGINT, max_value=MAX_BIGINT, help_text="the held amount you were shown"
    )
    received_fen = serializers.IntegerField(min_value=0, max_value=services.MAX_FEN)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class HandoverApi(APIView):
    """A supervisor confirms the cash received from a courier; a difference is a signed variance."""

    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="cod_handover_confirm",
        request=HandoverInput,
        responses={201: dict, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = _body(HandoverInput, request)
        handover = services.handover_confirm(ctx=ctx_from(request, {}, keyed=False), **data)
        variance = handover.variance if handover.received_fen != handover.expected_fen else None
        return Response(
            {
                "id": handover.pk,
                "courier_id": handover.courier_id,
                "service_date": handover.service_date.isoformat(),
                "expected_fen": handover.expected_fen,
                "received_fen": handover.received_fen,
                "variance": None
                if variance is None
                else {"id": variance.pk, "amount_fen": variance.amount_fen, "reason": variance.reason},
            },
            status=201,
        )


class SignInput(serializers.Serializer[None]):
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class VarianceSignApi(APIView):
    """The courier signs a variance of their own handover."""

    permission_classes = [IsCourier]

    @extend_schema(
        operation_id="cod_variance_sign",
        request=SignInput,
        responses={200: dict, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, variance_id: int) -> Response:
        data = _body(SignInput, request)
        v = services.variance_sign(
            variance_id=variance_id, ctx=ctx_from(request, {}, keyed=False), note=data["note"]
        )
        return Response(
            {
                "id": v.pk,
                "courier_signed_at": v.courier_signed_at.isoformat() if v.courier_signed_at else None,
            }
        )


class CorrectionInput(serializers.Serializer[None]):
    amount_fen = serializers.IntegerField(
        min_value=-MAX_BIGINT, max_value=MAX_BIGINT, help_text="the difference"
    )
    method = serializers.ChoiceField(choices=cod_rules.COLLECTION_METHOD_CHOICES)
    payment_ref = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    reason = serializers.CharField(max_length=200)


class CorrectionApi(APIView):
    """A supervisor corrects a money record: a new row with the difference; the record stays."""

    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="cod_collection_correct",
        request=CorrectionInput,
        responses={201: dict, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, collection_id: int) -> Response:
        data = _body(CorrectionInput, request)
        row = collection_correct(collection_id=collection_id, ctx=ctx_from(request, {}, keyed=False), **data)
        return Response(
            {"id": row.pk, "corrects": row.corrects_id, "amount_fen": row.amount_fen, "method": row.method},
            status=201,
        )


class ShiftCloseApi(APIView):
    """Close a courier's shift (the courier their own, staff their station's): ``cash_unreturned`` while cash is held."""

    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="cod_shift_close",
        request=CourierQuery,
        responses={201: dict, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = _body(CourierQuery, request)
        courier = _courier_for(request, data.get("courier_id"))
        closed = services.shift_close(courier_id=courier.pk, ctx=ctx_from(request, {}, keyed=False))
        return Response(
            {
                "id": closed.pk,
                "courier_id": closed.courier_id,
                "service_date": closed.service_date.isoformat(),
            },
            status=201,
        )


class ReportQuery(serializers.Serializer[None]):
    station = serializers.CharField(max_length=16)
    date = serializers.DateField(help_text="the first service date")
    to = serializers.DateField(required=False, help_text="the last service date (default: date)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        last: date = attrs.get("to") or attrs["date"]
        if last < attrs["date"] or last - attrs["date"] > timedelta(days=MAX_REPORT_DAYS - 1):
            raise serializers.ValidationError(
                {"to": f"from date to at most {MAX_REPORT_DAYS} days later"}, code="invalid_date_range"
            )
        attrs["to"] = last
        return attrs


def _report(request: Request) -> list[selectors.ReportRow]:
    q = ReportQuery(data=request.query_params)
    q.is_valid(raise_exception=True)
    station = station_get_for_staff(principal(request), q.validated_data["station"])
    return selectors.report(
        station_id=station.pk, date_from=q.validated_data["date"], date_to=q.validated_data["to"]
    )


# The query serializer itself, so the schema states its formats and lengths.
_REPORT_PARAMS = [ReportQuery]


class ReportApi(APIView):
    """Expected / collected / handed over / variance / outstanding per courier per day."""

    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="cod_report",
        parameters=_REPORT_PARAMS,
        responses={200: dict, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return Response({"rows": selectors.report_json(_report(request))})


class ReportCsvApi(APIView):
    """The same report as CSV (UTF-8 with a BOM so spreadsheet programs read the Chinese names)."""

    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="cod_report_csv",
        parameters=_REPORT_PARAMS,
        responses={200: str, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> HttpResponse:
        rows = _report(request)
        buf = io.StringIO()
        csv.writer(buf).writerows(selectors.report_csv_rows(rows))
        response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cod-report.csv"'
        return response
