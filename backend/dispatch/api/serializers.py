"""Input and output shapes of the dispatch endpoints, and their path parameters."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from backend.dispatch.models import AssignmentDecision, PlanRun
from backend.shipments.api.serializers import DATE_SCHEMA, MAX_ID, MAX_INT, CourierBrief, DateField
from backend.shipments.models import Job

COURIER_ID = OpenApiParameter(
    "courier_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH
)
DATE = OpenApiParameter(
    "date",
    DATE_SCHEMA,
    OpenApiParameter.QUERY,
    required=False,
    description="YYYY-MM-DD; default: today at the station",
)


class DispatchDayInput(serializers.Serializer[None]):
    date = DateField(required=False, help_text="YYYY-MM-DD; default: today at the station")


class DispatchJobVersion(serializers.Serializer[None]):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_INT)


class PlanRunOutput(serializers.ModelSerializer[PlanRun]):
    station_id = serializers.IntegerField()
    courier_id = serializers.IntegerField(allow_null=True)
    diff = serializers.DictField(
        help_text="per-courier diff: sequence, moved, added, removed, at_risk, late, eta"
    )

    class Meta:
        model = PlanRun
        fields = [
            "id",
            "station_id",
            "courier_id",
            "service_date",
            "trigger",
            "seed",
            "started_at",
            "finished_at",
            "cost_before",
            "cost_after",
            "reordered",
            "applied",
            "outcome",
            "jobs_written",
            "diff",
        ]
        read_only_fields = fields


class DecisionOutput(serializers.ModelSerializer[AssignmentDecision]):
    job_id = serializers.IntegerField()
    courier = CourierBrief(allow_null=True)
    prev_courier = CourierBrief(allow_null=True)
    actor_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = AssignmentDecision
        fields = [
            "id",
            "job_id",
            "courier",
            "prev_courier",
            "kind",
            "rule",
            "reason",
            "added_m",
            "added_s",
            "actor_id",
            "created_at",
        ]
        read_only_fields = fields


class PlanStopOutput(serializers.ModelSerializer[Job]):
    at_risk = serializers.BooleanField(help_text="an open alert says the route cannot meet this job's window")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "version",
            "planned_seq",
            "eta",
            "window_start",
            "window_end",
            "address",
            "lat",
            "lng",
            "at_risk",
        ]
        read_only_fields = fields


class CourierPlanOutput(serializers.Serializer[object]):
    courier = CourierBrief()
    date = serializers.DateField()
    stops = PlanStopOutput(many=True)
    last_run = PlanRunOutput(allow_null=True)


class UnassignedOutput(serializers.ModelSerializer[Job]):
    tracking_no = serializers.CharField(source="shipment.tracking_no")
    last_reason = serializers.CharField(allow_null=True)
    alert = serializers.CharField(allow_null=True, help_text="the open alert's message, if any")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "version",
            "service_date",
            "address",
            "lat",
            "lng",
            "window_start",
            "window_end",
            "tracking_no",
            "last_reason",
            "alert",
        ]
        read_only_fields = fields


class MoveOutput(serializers.Serializer[object]):
    job_id = serializers.IntegerField()
    version = serializers.IntegerField()
    to_courier_id = serializers.IntegerField(allow_null=True, help_text="null: to the unassigned queue")
    reason = serializers.CharField()
    added_m = serializers.IntegerField(allow_null=True)
    added_s = serializers.IntegerField(allow_null=True)


class PreviewOutput(serializers.Serializer[object]):
    courier_id = serializers.IntegerField()
    token = serializers.CharField(help_text="send back with the apply call: refused if the proposal changed")
    moves = MoveOutput(many=True)
    kept = serializers.ListField(
        child=serializers.IntegerField(), help_text="jobs that stay with the courier"
    )
