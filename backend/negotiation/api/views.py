"""Endpoints of the negotiation app: issue a customer link (for the notification gateway and the
console), and propose a time from a job (courier or supervisor). Validate → call → serialize."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier, IsStationStaff, principal
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.negotiation.links import link_issue
from backend.negotiation.models import Negotiation, SupervisorException
from backend.negotiation.services import negotiation_propose, pickup_hand_over, supervisor_exception_resolve
from backend.negotiation.snapshots import negotiation_snapshot
from backend.negotiation.states import Decision, NegotiationState
from backend.shipments.api.ctx import ctx_from
from backend.shipments.api.jobs import visible_job
from backend.shipments.api.serializers import JobOutput
from backend.shipments.states import RecipientRelation


class LinkOutput(serializers.Serializer[object]):
    url = serializers.CharField(help_text="path of the customer's page; prefix it with the site's origin")
    token = serializers.CharField()
    link_id = serializers.CharField(help_text="128-bit random id, recorded with the customer's answer")
    expires_at = serializers.DateTimeField()


class NegotiationLinkApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="negotiation_link_issue",
        request=None,
        responses={201: LinkOutput, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, negotiation_id: int) -> Response:
        who = principal(request)
        n = Negotiation.objects.filter(pk=negotiation_id).values("shipment_id", "station_id", "state").first()
        if n is None or not who.can_see_station(n["station_id"]):
            raise DomainError("not_found", f"negotiation {negotiation_id} does not exist")
        if n["state"] != NegotiationState.OFFERED:
            raise DomainError("negotiation_closed", "this negotiation is no longer open", state=n["state"])
        token, claims, expires_at = link_issue(
            negotiation_id=negotiation_id, shipment_id=n["shipment_id"], now=timezone.now()
        )
        out = {"url": f"/n/{token}/", "token": token, "link_id": claims.link_id, "expires_at": expires_at}
        return Response(LinkOutput(out).data, status=201)


class ProposeInput(serializers.Serializer[None]):
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


class NegotiationOutput(serializers.Serializer[object]):
    id = serializers.IntegerField()
    job_id = serializers.IntegerField()
    state = serializers.CharField()
    trigger = serializers.CharField()
    options = serializers.ListField(child=serializers.DictField())
    deadline = serializers.CharField()
    default_key = serializers.CharField()


class JobProposeApi(APIView):
    """A courier (own job) or a supervisor proposes a time to the customer ("14:30, OK?")."""

    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="negotiation_propose",
        request=ProposeInput,
        responses={201: NegotiationOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = visible_job(principal(request), job_id)
        data = ProposeInput(data=request.data)
        data.is_valid(raise_exception=True)
        n = negotiation_propose(
            job_id=job.pk,
            ctx=ctx_from(request, {}, keyed=False),
            window_start=data.validated_data["window_start"],
            window_end=data.validated_data["window_end"],
        )
        return Response(NegotiationOutput(negotiation_snapshot(n)).data, status=201)


class HandOverInput(serializers.Serializer[None]):
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="the 6-digit pickup code the customer reads out")
    recipient_name = serializers.CharField(max_length=64)
    recipient_relation = serializers.ChoiceField(
        choices=[RecipientRelation.SELF, RecipientRelation.FAMILY, RecipientRelation.COLLEAGUE],
        required=False,
        default=RecipientRelation.SELF,
    )
    cod_collected_fen = serializers.IntegerField(min_value=0, max_value=2**53, required=False, default=0)


class JobHandOverApi(APIView):
    """Station staff hand a parcel held at the station to whoever reads out its pickup code.

    A wrong code answers ``pickup_code_wrong`` (422, with ``attempts_left``); after five the
    parcel locks (``pickup_code_locked``, 423) until a supervisor unlocks it."""

    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="job_hand_over_at_counter",
        request=HandOverInput,
        responses={200: JobOutput, **error_responses(400, 401, 403, 404, 409, 422, 423)},
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = visible_job(principal(request), job_id)
        data = HandOverInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = pickup_hand_over(
            job_id=job.pk,
            code=data.validated_data["code"],
            ctx=ctx_from(request, {}, keyed=False),
            recipient_name=data.validated_data["recipient_name"],
            recipient_relation=data.validated_data["recipient_relation"],
            cod_collected_fen=data.validated_data["cod_collected_fen"],
        )
        return Response(JobOutput(job).data)


class ResolveInput(serializers.Serializer[None]):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(max_length=200)


class ExceptionOutput(serializers.Serializer[object]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    job_id = serializers.IntegerField()
    details = serializers.DictField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.CharField()
    resolution_reason = serializers.CharField()


class SupervisorExceptionResolveApi(APIView):
    """A supervisor accepts or declines what a customer's answer left for them (return, transfer,
    locked pickup code); see docs/negotiation.md."""

    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="supervisor_exception_resolve",
        request=ResolveInput,
        responses={200: ExceptionOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, exception_id: int) -> Response:
        who = principal(request)
        station_id = (
            SupervisorException.objects.filter(pk=exception_id).values_list("station_id", flat=True).first()
        )
        if station_id is None or not who.can_see_station(station_id):
            raise DomainError("not_found", f"exception {exception_id} does not exist")
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        exc = supervisor_exception_resolve(
            exception_id=exception_id,
            ctx=ctx_from(request, {}, keyed=False),
            decision=data.validated_data["decision"],
            reason=data.validated_data["reason"],
        )
        return Response(ExceptionOutput(exc).data)
