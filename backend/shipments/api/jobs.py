"""A courier's day, one job, and the lifecycle actions at the door.

Every action first checks the job is visible to the caller (404 otherwise, so ids of other
people's jobs leak nothing), then hands over to the one service that writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsCourier, IsStaffOrCourier, principal
from backend.accounts.roles import Principal
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.couriers.selectors import station_get, station_today
from backend.shipments import selectors, services
from backend.shipments.api.ctx import ActionInput, applying, ctx_from
from backend.shipments.api.serializers import (
    IDEMPOTENCY_KEY,
    JOB_ID,
    MAX_BIGINT,
    MAX_ID,
    CourierJobOutput,
    DateField,
    DateTimeField,
    JobOutput,
    job_output_for,
)
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.door_inputs import ProofInput
from backend.shipments.states import NextStep, ProofMethod, RecipientRelation
from parcelkit.rules import cod as cod_rules

SHA256 = r"^[0-9a-f]{64}\Z"


def visible_job(who: Principal, job_id: int) -> Job:
    if not 1 <= job_id <= MAX_ID:
        raise DomainError("not_found", f"job {job_id} not found")
    return selectors.job_get_for(who, job_id)


class CourierDayApi(APIView):
    permission_classes = [IsCourier]

    class FilterSerializer(serializers.Serializer[None]):
        date = DateField(required=False, help_text="YYYY-MM-DD; default: today at your station")

    class OutputSerializer(serializers.Serializer[object]):
        date = DateField()
        jobs = CourierJobOutput(many=True)

        class Meta:
            ref_name = "CourierDayOutput"

    @extend_schema(
        operation_id="me_jobs",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        who = principal(request)
        assert who.courier_id is not None and who.station_id is not None
        day = params.validated_data.get("date") or station_today(station_get(station_id=who.station_id))
        jobs = selectors.jobs_for_courier_day(courier_id=who.courier_id, day=day)
        return Response(self.OutputSerializer({"date": day, "jobs": jobs}).data)


class JobDetailApi(APIView):
    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="job_detail",
        parameters=[JOB_ID],
        responses={200: JobOutput, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, job_id: int) -> Response:
        who = principal(request)
        return Response(job_output_for(who)(visible_job(who, job_id)).data)


class JobActionApi(APIView):
    """validate → check visibility → call the service → the job as it is now."""

    permission_classes = [IsStaffOrCourier]
    InputSerializer: type[serializers.Serializer[None]] = ActionInput

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        raise NotImplementedError

    def handle(self, request: Request, job_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        who = principal(request)
        visible_job(who, job_id)
        ctx = ctx_from(request, data.validated_data)
        with applying(ctx):
            job = self.act(
                job_id=job_id, ctx=ctx, data=data.validated_data, version=data.validated_data.get("version")
            )
        return Response(job_output_for(who)(job).data)


_View = TypeVar("_View", bound=Callable[..., Any])


def action_schema(operation_id: str, request: type[serializers.Serializer[None]]) -> Callable[[_View], _View]:
    return extend_schema(
        operation_id=operation_id,
        parameters=[JOB_ID, IDEMPOTENCY_KEY],
        request=request,
        responses={200: JobOutput, **error_responses(400, 401, 403, 404, 409)},
    )


class JobAcceptApi(JobActionApi):
    @action_schema("job_accept", ActionInput)
    def post(self, request: Request, job_id: int) -> Response:
        return self.handle(request, job_id)

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        return services.job_accept(job_id=job_id, ctx=ctx, expected_version=version)


class JobStartApi(JobActionApi):
    @action_schema("job_start", ActionInput)
    def post(self, request: Request, job_id: int) -> Response:
        return self.handle(request, job_id)

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        return services.job_start(job_id=job_id, ctx=ctx, expected_version=version)


class JobArriveApi(JobActionApi):
    @action_schema("job_arrive", ActionInput)
    def post(self, request: Request, job_id: int) -> Response:
        return self.handle(request, job_id)

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        return services.job_arrive(job_id=job_id, ctx=ctx, expected_version=version)


class DeliverBody(ActionInput):
    method = serializers.ChoiceField(choices=ProofMethod.choices)
    recipient_relation = serializers.ChoiceField(choices=RecipientRelation.choices)
    recipient_name = serializers.CharField(max_length=64, required=False, default="")
    media_sha256 = serializers.ListField(
        child=serializers.RegexField(SHA256), max_length=10, required=False, default=list
    )
    code = serializers.CharField(
        max_length=8, required=False, default="", help_text="the recipient's pickup code"
    )
    captured_at = DateTimeField(required=False, allow_null=True)
    cod_collected_fen = serializers.IntegerField(min_value=0, max_value=MAX_BIGINT, required=False, default=0)
    cod_method = serializers.ChoiceField(
        choices=cod_rules.COLLECTION_METHOD_CHOICES, required=False, default=cod_rules.CASH
    )
    cod_payment_ref = serializers.CharField(
        max_length=cod_rules.MAX_PAYMENT_REF,
        required=False,
        default="",
        allow_blank=True,
        help_text="a mobile payment's transaction reference",
    )
    consent_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="the customer's answer (locker/station)",
    )
    consent_name = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    consent_relation = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    consent_call_record = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    locker_compartment = serializers.CharField(
        max_length=16,
        required=False,
        default="",
        allow_blank=True,
        help_text="a locker proof: the compartment",
    )
    locker_code = serializers.CharField(
        max_length=10,
        required=False,
        default="",
        allow_blank=True,
        help_text="a locker proof: its pickup code",
    )
    id_type = serializers.CharField(
        max_length=16, required=False, default="", allow_blank=True, help_text="id_check/high_value: ID type"
    )
    id_last4 = serializers.CharField(
        max_length=4, required=False, default="", allow_blank=True, help_text="id_check/high_value: ID last 4"
    )


class JobDeliverApi(JobActionApi):
    @action_schema("job_deliver", DeliverBody)
    def post(self, request: Request, job_id: int) -> Response:
        return self.handle(request, job_id)

    InputSerializer = DeliverBody

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        proof = ProofInput(
            method=data["method"],
            recipient_relation=data["recipient_relation"],
            recipient_name=data["recipient_name"],
            media_sha256=data["media_sha256"],
            code=data["code"],
            lat=data.get("lat"),
            lng=data.get("lng"),
            accuracy_m=data.get("accuracy_m"),
            captured_at=data.get("captured_at"),
            cod_collected_fen=data["cod_collected_fen"],
            cod_method=data["cod_method"],
            cod_payment_ref=data["cod_payment_ref"],
            consent_id=data["consent_id"],
            consent_name=data["consent_name"],
            consent_relation=data["consent_relation"],
            consent_call_record=data["consent_call_record"],
            locker_compartment=data["locker_compartment"],
            locker_code=data["locker_code"],
            id_type=data["id_type"],
            id_last4=data["id_last4"],
        )
        return services.job_deliver(job_id=job_id, ctx=ctx, proof=proof, expected_version=version)


class NextStepBody(serializers.Serializer[None]):
    kind = serializers.ChoiceField(choices=NextStep.choices)
    window_start = DateTimeField(required=False)
    window_end = DateTimeField(required=False)
    address = serializers.CharField(max_length=255, required=False)
    note = serializers.CharField(max_length=500, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Stored as JSON on the job: datetimes go in as ISO 8601 text.
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in attrs.items()}


class FailBody(ActionInput):
    reason_code = serializers.CharField(max_length=32, help_text="one of GET /api/v1/reason-codes")
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    next_step = NextStepBody(required=False, allow_null=True)
    photo_sha256 = serializers.ListField(
        child=serializers.RegexField(SHA256), max_length=10, required=False, default=list
    )


class JobFailApi(JobActionApi):
    @action_schema("job_fail", FailBody)
    def post(self, request: Request, job_id: int) -> Response:
        return self.handle(request, job_id)

    InputSerializer = FailBody

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        return services.job_fail(
            job_id=job_id,
            ctx=ctx,
            reason_code=data["reason_code"],
            note=data["note"],
            next_step=data.get("next_step"),
            photo_sha256=data["photo_sha256"],
            expected_version=version,
        )
