"""Dispatch endpoints: plan a station or a courier, read a courier's plan, decisions, the queue,
auto-assign, reassign, and "courier unavailable" with a preview. Validate → service → serialize."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier, IsStationStaff, principal
from backend.common.api import error_responses
from backend.couriers.selectors import courier_get_for_staff, station_get_for_staff, station_today
from backend.dispatch import selectors, services
from backend.dispatch.api.serializers import (
    COURIER_ID,
    DATE,
    CourierPlanOutput,
    DecisionOutput,
    DispatchDayInput,
    DispatchJobVersion,
    PlanRunOutput,
    PreviewOutput,
    UnassignedOutput,
)
from backend.shipments.api.ctx import applying, ctx_from
from backend.shipments.api.jobs import visible_job
from backend.shipments.api.serializers import JOB_ID, MAX_ID, MAX_INT, STATION_CODE, JobOutput
from backend.shipments.api.station_jobs import StaffJobApi, staff_schema

ERRORS = error_responses(400, 401, 403, 404, 409)
READ_ERRORS = error_responses(400, 401, 403, 404)


def _valid(serializer: type[serializers.Serializer[None]], data: Any) -> dict[str, Any]:
    s = serializer(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


class StationPlanApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(DispatchDayInput):
        seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
        max_iterations = serializers.IntegerField(
            min_value=1, max_value=20_000, required=False, help_text="reproducible budget (default 2000)"
        )
        time_limit_s = serializers.FloatField(
            min_value=1,
            max_value=120,
            required=False,
            help_text="wall-clock budget instead: not reproducible",
        )

        class Meta:
            ref_name = "DispatchStationPlanInput"

    @extend_schema(
        operation_id="dispatch_station_plan",
        parameters=[STATION_CODE],
        request=InputSerializer,
        responses={200: PlanRunOutput, **ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        data = _valid(self.InputSerializer, request.data)
        station = station_get_for_staff(principal(request), code)
        run = services.station_plan(
            station_id=station.pk,
            ctx=ctx_from(request, {}, keyed=False),
            day=data.get("date"),
            seed=data["seed"],
            max_iterations=data.get("max_iterations"),
            time_limit_s=data.get("time_limit_s"),
        )
        return Response(PlanRunOutput(run).data)


class CourierReplanApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        reason = serializers.CharField(max_length=200, default="supervisor request")
        seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)

        class Meta:
            ref_name = "DispatchReplanInput"

    @extend_schema(
        operation_id="dispatch_courier_replan",
        parameters=[COURIER_ID],
        request=InputSerializer,
        responses={200: PlanRunOutput, **ERRORS},
    )
    def post(self, request: Request, courier_id: int) -> Response:
        data = _valid(self.InputSerializer, request.data)
        courier = courier_get_for_staff(principal(request), courier_id)
        run = services.courier_replan(
            courier_id=courier.pk,
            trigger=data["reason"],
            seed=data["seed"],
            ctx=ctx_from(request, {}, keyed=False),
        )
        return Response(PlanRunOutput(run).data)


class CourierPlanApi(APIView):
    """The courier's remaining stops in order with ETAs, and the last re-plan with its diff."""

    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="dispatch_courier_plan",
        parameters=[COURIER_ID, DATE],
        responses={200: CourierPlanOutput, **READ_ERRORS},
    )
    def get(self, request: Request, courier_id: int) -> Response:
        data = _valid(DispatchDayInput, request.query_params)
        courier = selectors.courier_get_for(principal(request), courier_id)
        day = data.get("date") or station_today(courier.station)
        body = {
            "courier": courier,
            "date": day,
            "stops": selectors.courier_plan_jobs(courier_id=courier.pk, day=day),
            "last_run": selectors.last_plan_run(courier_id=courier.pk, day=day),
        }
        return Response(CourierPlanOutput(body).data)


class StationDecisionsApi(APIView):
    permission_classes = [IsStationStaff]

    class FilterSerializer(serializers.Serializer[None]):
        job_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        limit = serializers.IntegerField(min_value=1, max_value=500, default=100)

        class Meta:
            ref_name = "DispatchDecisionsFilter"

    @extend_schema(
        operation_id="dispatch_station_decisions",
        parameters=[STATION_CODE, FilterSerializer],
        responses={200: DecisionOutput(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        data = _valid(self.FilterSerializer, request.query_params)
        station = station_get_for_staff(principal(request), code)
        rows = selectors.decisions_for_station(station_id=station.pk, job_id=data.get("job_id"))[
            : data["limit"]
        ]
        return Response(DecisionOutput(rows, many=True).data)


class StationUnassignedApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="dispatch_station_unassigned",
        parameters=[STATION_CODE, DATE],
        responses={200: UnassignedOutput(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        data = _valid(DispatchDayInput, request.query_params)
        station = station_get_for_staff(principal(request), code)
        rows = selectors.unassigned_for_station(station_id=station.pk, day=data.get("date"))
        return Response(UnassignedOutput(rows, many=True).data)


class JobAutoAssignApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="dispatch_job_auto_assign",
        parameters=[JOB_ID],
        request=None,
        responses={200: DecisionOutput, **ERRORS},
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = visible_job(principal(request), job_id)
        decision = services.auto_assign(job_id=job.pk, ctx=ctx_from(request, {}, keyed=False))
        return Response(DecisionOutput(decision).data)


class ReassignmentsApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        # A ListField, not many=True: drf-spectacular states a ListField's bounds (minItems,
        # maxItems) in the schema and drops a list serializer's.
        jobs = serializers.ListField(child=DispatchJobVersion(), min_length=1, max_length=200)
        to_courier_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        reason = serializers.CharField(max_length=200)

        class Meta:
            ref_name = "DispatchReassignInput"

    class OutputSerializer(serializers.Serializer[object]):
        jobs = JobOutput(many=True)
        at_risk = serializers.ListField(
            child=serializers.IntegerField(),
            help_text="placed last: the receiving route cannot meet their windows",
        )

        class Meta:
            ref_name = "DispatchReassignOutput"

    @extend_schema(
        operation_id="dispatch_reassign", request=InputSerializer, responses={200: OutputSerializer, **ERRORS}
    )
    def post(self, request: Request) -> Response:
        data = _valid(self.InputSerializer, request.data)
        courier = courier_get_for_staff(principal(request), data["to_courier_id"])
        jobs, at_risk = services.reassign_jobs(
            jobs=[services.JobVersion(j["id"], j["version"]) for j in data["jobs"]],
            to_courier_id=courier.pk,
            reason=data["reason"],
            ctx=ctx_from(request, {}, keyed=False),
        )
        return Response(self.OutputSerializer({"jobs": jobs, "at_risk": at_risk}).data)


class AssignBody(serializers.Serializer[None]):
    courier_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reason = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text=f"recorded in the audit trail; absent or blank: {services.DEFAULT_REASON!r}",
    )
    version = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False)


class JobAssignApi(StaffJobApi):
    """One job to a courier: the same reassignment service as ``POST /reassignments``."""

    @staff_schema("job_assign", AssignBody)
    def post(self, request: Request, job_id: int) -> Response:
        data = self.validated(request, job_id, AssignBody)
        ctx = ctx_from(request, data)
        with applying(ctx):
            moved = services.job_reassign(
                job_id=job_id,
                to_courier_id=data["courier_id"],
                reason=data["reason"].strip() or services.DEFAULT_REASON,
                ctx=ctx,
                expected_version=data.get("version"),
            )
        return Response(JobOutput(moved.job).data)


class CourierUnavailablePreviewApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="dispatch_courier_unavailable_preview",
        parameters=[COURIER_ID],
        responses={200: PreviewOutput, **READ_ERRORS},
    )
    def get(self, request: Request, courier_id: int) -> Response:
        courier = courier_get_for_staff(principal(request), courier_id)
        preview = services.courier_unavailable_preview(
            courier_id=courier.pk, ctx=ctx_from(request, {}, keyed=False)
        )
        return Response(PreviewOutput(preview).data)


class CourierUnavailableApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        reason = serializers.CharField(max_length=200)
        jobs = DispatchJobVersion(
            many=True,
            max_length=500,  # type: ignore[call-arg]  # drf-stubs: BaseSerializer.__init__ lacks the many=True list kwargs
            help_text="every job of the preview with the version it showed",
        )
        preview_token = serializers.CharField(max_length=64, required=False)

        class Meta:
            ref_name = "DispatchUnavailableInput"

    @extend_schema(
        operation_id="dispatch_courier_unavailable",
        parameters=[COURIER_ID],
        request=InputSerializer,
        responses={200: PreviewOutput, **ERRORS},
    )
    def post(self, request: Request, courier_id: int) -> Response:
        data = _valid(self.InputSerializer, request.data)
        courier = courier_get_for_staff(principal(request), courier_id)
        applied = services.courier_unavailable_apply(
            courier_id=courier.pk,
            reason=data["reason"],
            preview_token=data.get("preview_token"),
            jobs=[services.JobVersion(j["id"], j["version"]) for j in data["jobs"]],
            ctx=ctx_from(request, {}, keyed=False),
        )
        return Response(PreviewOutput(applied).data)
