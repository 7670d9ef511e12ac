"""The provider's delivery reports: verify the HMAC, call the one status service, answer."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.notify.services import message_status_report
from backend.notify.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


class ReportInput(serializers.Serializer[None]):
    reference = serializers.CharField(max_length=32, help_text="ours, as sent in the request")
    status = serializers.ChoiceField(choices=["delivered", "failed"])
    provider_id = serializers.CharField(max_length=128, required=False, default="")
    error = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class ReportOutput(serializers.Serializer[object]):
    reference = serializers.CharField()
    status = serializers.CharField()


class MessageCallbackApi(APIView):
    """The provider's callback. No user: the request is authenticated by its signature."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # a provider reports in bursts; a bad signature costs one HMAC

    @extend_schema(
        operation_id="notify_callback",
        request=ReportInput,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
        ],
        responses={200: ReportOutput, **error_responses(400, 401, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        body = request.body  # the raw bytes, as signed
        if not verify(
            settings.NOTIFY_CALLBACK_SECRET,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            int(time.time()),
        ):
            raise DomainError("signature_invalid", "missing, wrong or stale signature")
        data = ReportInput(data=_json(body))
        data.is_valid(raise_exception=True)
        message = message_status_report(**data.validated_data)
        return Response(ReportOutput({"reference": message.reference, "status": message.status}).data)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise DomainError("parse_error", "the body is not JSON") from None
