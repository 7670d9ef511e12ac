"""The station's jobs for its staff: the list, and unassigning and cancelling one.

Assigning one (``POST /jobs/{id}/assign``) is a supervisor's reassignment and lives with the
other reassignments in ``backend/dispatch/api/views.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.couriers.selectors import station_get_for_staff
from backend.shipments import selectors, services
from backend.shipments.api.ctx import applying, ctx_from
from backend.shipments.api.filters import StationJobFilter
from backend.shipments.api.jobs import visible_job
from backend.shipments.api.serializers import (
    IDEMPOTENCY_KEY,
    JOB_ID,
    MAX_INT,
    STATION_CODE,
    JobOutput,
    StationJobOutput,
)
from backend.shipments.models import Job


class JobPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        # DRF falls back to the default page size for ``page_size=abc``; the schema says a whole
        # number from 1 (a bigger one is capped at max_page_size), so anything else is refused.
        given = request.query_params.getlist(self.page_size_query_param)
        if given and (len(given) > 1 or not (given[0].isascii() and given[0].isdigit()) or int(given[0]) < 1):
            raise DomainError("invalid", "page_size must be a whole number from 1", field="page_size")
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"]["minimum"] = 1
        return params


class StationJobsApi(ListAPIView[Job]):
    """The station's jobs, newest first, filtered and paginated (a past page number is 404)."""

    permission_classes = [IsStationStaff]
    serializer_class = StationJobOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = StationJobFilter
    pagination_class = JobPagination

    def get_queryset(self) -> QuerySet[Job]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request to scope by
            return Job.objects.none()
        station = station_get_for_staff(principal(self.request), self.kwargs["code"])
        return selectors.jobs_for_station(station_id=station.pk)

    @extend_schema(
        operation_id="station_jobs_list",
        parameters=[STATION_CODE],
        responses={200: StationJobOutput(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StaffJobApi(APIView):
    """A supervisor's action on one job: validate the body, 404 unless the job is in scope."""

    permission_classes = [IsStationStaff]

    def validated(
        self, request: Request, job_id: int, body: type[serializers.Serializer[None]]
    ) -> dict[str, Any]:
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        visible_job(principal(request), job_id)
        return dict(data.validated_data)


_View = TypeVar("_View", bound=Callable[..., Any])


def staff_schema(operation_id: str, request: type[serializers.Serializer[None]]) -> Callable[[_View], _View]:
    return extend_schema(
        operation_id=operation_id,
        parameters=[JOB_ID, IDEMPOTENCY_KEY],
        request=request,
        responses={200: JobOutput, **error_responses(400, 401, 403, 404, 409)},
    )


class UnassignBody(serializers.Serializer[None]):
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    version = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False)


class JobUnassignApi(StaffJobApi):
    @staff_schema("job_unassign", UnassignBody)
    def post(self, request: Request, job_id: int) -> Response:
        data = self.validated(request, job_id, UnassignBody)
        ctx = ctx_from(request, data)
        with applying(ctx):
            job = services.job_unassign(
                job_id=job_id, ctx=ctx, reason=data["reason"], expected_version=data.get("version")
            )
        return Response(JobOutput(job).data)


class CancelBody(serializers.Serializer[None]):
    reason = serializers.CharField(max_length=200)
    version = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False)


class JobCancelApi(StaffJobApi):
    @staff_schema("job_cancel", CancelBody)
    def post(self, request: Request, job_id: int) -> Response:
        data = self.validated(request, job_id, CancelBody)
        ctx = ctx_from(request, data)
        with applying(ctx):
            job = services.job_cancel(
                job_id=job_id, ctx=ctx, reason=data["reason"], expected_version=data.get("version")
            )
        return Response(JobOutput(job).data)
