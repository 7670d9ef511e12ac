"""The courier completes a pickup at the sender's door: weighed, checked and priced.

Here rather than in ``shipments/api/jobs.py`` with the other door actions because the service is
the pickup app's (it prices with the station's tariff book), and shipments sits below pickup
(docs/architecture.md, layers).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.pickup.services import pickup_complete
from backend.shipments.api.ctx import ActionInput
from backend.shipments.api.jobs import SHA256, JobActionApi, action_schema
from backend.shipments.api.serializers import MAX_BIGINT, MAX_INT
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.door_inputs import PickupInput


class PickupBody(ActionInput):
    measured_weight_g = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    weight_source = serializers.ChoiceField(choices=["scale", "manual"])
    scale_model = serializers.CharField(max_length=40, required=False, default="")
    manual_reason = serializers.CharField(max_length=60, required=False, default="")
    length_mm = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False, allow_null=True)
    width_mm = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False, allow_null=True)
    height_mm = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False, allow_null=True)
    pieces = serializers.IntegerField(min_value=1, max_value=999, required=False, default=1)
    declared_value_fen = serializers.IntegerField(
        min_value=0, max_value=MAX_BIGINT, required=False, default=0
    )
    prohibited_items_absent = serializers.BooleanField()
    contents_photo_sha256 = serializers.RegexField(SHA256, required=False, default="")
    price_fen = serializers.IntegerField(min_value=0, max_value=MAX_BIGINT, required=False, allow_null=True)
    payment_method = serializers.CharField(max_length=16, required=False, default="cash")
    payment_ref = serializers.CharField(
        max_length=64,
        required=False,
        default="",
        allow_blank=True,
        help_text="a WeChat/Alipay fee's reference",
    )


class JobCompletePickupApi(JobActionApi):
    @action_schema("job_complete_pickup", PickupBody)
    def post(self, request: Request, job_id: int) -> Response:
        return self.handle(request, job_id)

    InputSerializer = PickupBody

    def act(self, *, job_id: int, ctx: Ctx, data: dict[str, Any], version: int | None) -> Job:
        own = set(ActionInput().fields)
        pickup = PickupInput(**{k: v for k, v in data.items() if k not in own})
        # Re-priced with the shared rules when the station has a tariff book (price_mismatch otherwise).
        return pickup_complete(job_id=job_id, ctx=ctx, data=pickup, expected_version=version)
