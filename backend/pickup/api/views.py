"""Quotes, tariff books, waybill labels and printing: one thin view per operation."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier, IsStationStaff, principal
from backend.common.api import ErrorSerializer, error_responses
from backend.common.errors import DomainError
from backend.common.schema import closed
from backend.pickup import labels, selectors, services
from backend.pickup.models import TariffBookVersion
from backend.shipments.api.serializers import TRACKING_NO
from backend.shipments.context import Ctx
from backend.shipments.selectors import shipment_get_for
from parcelkit.rules.pricing import QuoteError

ORIGIN = OpenApiParameter(
    "origin",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,16}$"},
    OpenApiParameter.PATH,
    description="the origin station's code",
)
LABEL_FORMAT = OpenApiParameter(
    "format", {"type": "string", "enum": sorted(labels.CONTENT_TYPES)}, OpenApiParameter.QUERY, required=True
)
PIECE = OpenApiParameter(
    "piece",
    {"type": "integer", "minimum": 1, "maximum": 999},
    OpenApiParameter.QUERY,
    description="which piece of a multi-piece shipment (default 1)",
)


class QuoteLineOutput(serializers.Serializer[object]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # drf-stubs: a field named "label" shadows Field.label
    amount_fen = serializers.IntegerField()


class QuoteOutput(serializers.Serializer[object]):
    lines = QuoteLineOutput(many=True)
    total_fen = serializers.IntegerField()
    actual_weight_g = serializers.IntegerField()
    volumetric_weight_g = serializers.IntegerField()
    chargeable_weight_g = serializers.IntegerField()
    origin = serializers.CharField()
    tariff_version = serializers.IntegerField()


class QuoteApi(APIView):
    """Price a parcel with the origin's current tariff book; the handheld gets the same answer offline."""

    permission_classes = [IsStaffOrCourier]

    @closed  # the shared rules refuse unknown keys (invalid_input)
    class InputSerializer(serializers.Serializer[None]):
        # Documentation only: the body goes to the shared rules unconverted, so that "1000" or 1000.5
        # is refused with the same invalid_input the handheld gives, not coerced by DRF.
        origin = serializers.CharField()
        destination_region = serializers.CharField(allow_blank=True)
        service_level = serializers.CharField()
        weight_g = serializers.IntegerField()
        length_mm = serializers.IntegerField()
        width_mm = serializers.IntegerField()
        height_mm = serializers.IntegerField()
        declared_value_fen = serializers.IntegerField(required=False)
        cod_amount_fen = serializers.IntegerField(required=False)
        fragile = serializers.BooleanField(required=False)
        remote_area = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "QuoteInput"

    @extend_schema(
        operation_id="quote_create",
        request=InputSerializer,
        responses={200: QuoteOutput, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        try:
            quote, book = selectors.quote_for(selectors.quote_request_from(request.data))
        except QuoteError as exc:
            raise DomainError(exc.code, exc.message) from None
        body = quote.to_json() | {"origin": book.origin, "tariff_version": book.version}
        return Response(QuoteOutput(body).data)


class TariffBookOutput(serializers.ModelSerializer[TariffBookVersion]):
    book = serializers.JSONField()

    class Meta:
        model = TariffBookVersion
        fields = ["origin", "version", "effective_date", "published_at", "book"]


@extend_schema_field({"type": "object", "additionalProperties": {}})
class TariffBookField(serializers.JSONField):
    """A tariff book: an object (null or a bare value is refused; its contents are checked whole,
    ``invalid_tariff_book``, by ``TariffBook.from_json``)."""


class TariffBookApi(APIView):
    """GET: the book in effect (the handheld's day data). POST: publish a new version."""

    def get_permissions(self) -> list[BasePermission]:
        return [IsStationStaff() if self.request.method == "POST" else IsStaffOrCourier()]

    class PublishInput(serializers.Serializer[None]):
        book = TariffBookField(help_text='as TariffBook.to_json(): {"version", "tariffs": [...]}')
        effective_date = serializers.DateField(required=False, help_text="default today; never in the past")

        class Meta:
            ref_name = "TariffPublishInput"

    @extend_schema(
        operation_id="tariff_book_current",
        parameters=[ORIGIN],
        responses={200: TariffBookOutput, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, origin: str) -> Response:
        row = selectors.tariff_book_current(origin)
        if row is None:
            raise DomainError("not_found", f"no tariff book in effect for {origin!r}")
        return Response(TariffBookOutput(row).data)

    @extend_schema(
        operation_id="tariff_book_publish",
        parameters=[ORIGIN],
        request=PublishInput,
        responses={201: TariffBookOutput, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, origin: str) -> Response:
        data = self.PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.tariff_book_publish(
            ctx=Ctx(actor=principal(request)),
            origin=origin,
            book_json=data.validated_data["book"],
            effective_date=data.validated_data.get("effective_date"),
        )
        return Response(TariffBookOutput(row).data, status=status.HTTP_201_CREATED)


class _IgnoreFormatOverride(BaseContentNegotiation):
    """``?format=`` names the label format here, not DRF's renderer; errors are always JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)


class ShipmentLabelApi(APIView):
    """The 100 × 150 mm label as ZPL, PDF or PNG: for the station's staff, admins and the courier
    holding a job for the shipment."""

    permission_classes = [IsStaffOrCourier]
    content_negotiation_class = _IgnoreFormatOverride

    class QueryInput(serializers.Serializer[None]):
        format = serializers.ChoiceField(choices=sorted(labels.CONTENT_TYPES))
        piece = serializers.IntegerField(min_value=1, max_value=999, default=1)

    @extend_schema(
        operation_id="shipment_label",
        parameters=[TRACKING_NO, LABEL_FORMAT, PIECE],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="ZPL II"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
            **{(code, "application/json"): ErrorSerializer for code in (400, 401, 403, 404, 409)},
        },
    )
    def get(self, request: Request, tracking_no: str) -> HttpResponse:
        query = self.QueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt, piece = query.validated_data["format"], query.validated_data["piece"]
        shipment = shipment_get_for(principal(request), tracking_no)
        if piece > shipment.pieces:
            # Within the schema's 1–999 but past this parcel's pieces: a rule of the data, named. (Not
            # 404: that would read as "not your shipment", which the permission matrix tells apart.)
            raise DomainError("piece_out_of_range", f"this shipment has {shipment.pieces} piece(s)")
        label = selectors.label_data_for(shipment, piece_no=piece)
        response = HttpResponse(labels.render_label(label, fmt), content_type=labels.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'inline; filename="{shipment.tracking_no}-{piece}.{fmt}"'
        return response


class PrintOutput(serializers.Serializer[object]):
    printer = serializers.CharField()
    bytes_sent = serializers.IntegerField()
    labels = serializers.IntegerField()


class ShipmentPrintApi(APIView):
    """Send the shipment's labels (one per piece) as ZPL to one of its station's printers."""

    permission_classes = [IsStaffOrCourier]

    class InputSerializer(serializers.Serializer[None]):
        printer = serializers.CharField(max_length=64)

        class Meta:
            ref_name = "ShipmentPrintInput"

    @extend_schema(
        operation_id="shipment_print",
        parameters=[TRACKING_NO],
        request=InputSerializer,
        responses={200: PrintOutput, **error_responses(400, 401, 403, 404, 409, 503)},
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.label_print(
            ctx=Ctx(actor=principal(request)),
            tracking_no=tracking_no,
            printer_name=data.validated_data["printer"],
        )
        return Response(
            PrintOutput(
                {"printer": result.printer.name, "bytes_sent": result.bytes_sent, "labels": result.labels}
            ).data
        )
