"""The courier asks for a virtual number to call the customer of their job. Validate → call → serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsCourier, principal
from backend.calls.services import call_bind
from backend.common.api import error_responses
from backend.shipments.api.ctx import ctx_from
from backend.shipments.api.jobs import visible_job
from backend.shipments.api.serializers import JOB_ID


class CallOutput(serializers.Serializer[object]):
    """The virtual number only: the customer's real phone is never in this answer."""

    binding_id = serializers.IntegerField(source="pk")
    job_id = serializers.IntegerField()
    number = serializers.CharField(help_text="the virtual number (隐私号) lent for this job")
    extension = serializers.CharField(help_text='dialled after a pause; "" when there is none')
    dial = serializers.CharField(help_text='what the phone dials: "number,extension" (the comma is a pause)')
    expires_at = serializers.DateTimeField(help_text="after this the number no longer reaches the customer")


class JobCallApi(APIView):
    """The job's courier gets a virtual number bound to the job and to them, for a limited time."""

    permission_classes = [IsCourier]

    @extend_schema(
        operation_id="job_call",
        parameters=[JOB_ID],
        request=None,
        responses={200: CallOutput, **error_responses(401, 403, 404, 409, 503)},
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = visible_job(principal(request), job_id)
        binding = call_bind(job_id=job.pk, ctx=ctx_from(request, {}, keyed=False))
        return Response(CallOutput(binding).data)
