"""Sync endpoints: push a batch of ops, pull changes, upload attachments. Thin: parse, call, render."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier, device_of, principal
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.shipments.api.serializers import DateTimeField
from backend.sync.api.parsers import BatchJSONParser, ChunkParser
from backend.sync.attachments import AttachmentState
from backend.sync.ops import MAX_OPS
from backend.sync.selectors import MAX_LIMIT, attachment_get, pull_changes
from backend.sync.services import apply_ops, attachments

_GZIP_OVER = 512  # bytes: below this gzip's own header costs more than it saves


def render(request: Request, data: dict[str, Any], status: int = 200) -> HttpResponse:
    """JSON, gzip-compressed when the client accepts it (every handheld does)."""
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    response = HttpResponse(content_type="application/json", status=status)
    if len(body) > _GZIP_OVER and "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
        body = gzip.compress(body, compresslevel=5)
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response.content = body
    return response


# The schema says what the server does: any item is taken and judged on its own. Saying "objects"
# would promise a 400 for ``[[null]]``, where the protocol answers that op alone (``malformed_op``,
# with its index) and applies the rest.
@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_OPS,
        "items": {
            "description": "an op object (docs/sync-protocol.md); an item that is not one is "
            "rejected alone with malformed_op"
        },
    }
)
class OpsField(serializers.ListField):
    """A list of ops, passed on as sent: each op is checked by the sync service (``ops.parse_op``),
    which rejects a bad one on its own instead of refusing the whole push."""

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        return list(data)


class PushApi(APIView):
    permission_classes = [IsStaffOrCourier]
    parser_classes = [BatchJSONParser]

    class InputSerializer(serializers.Serializer[None]):
        ops = OpsField(
            child=serializers.DictField(),
            allow_empty=False,
            max_length=MAX_OPS,
            help_text="ops in device order",
        )
        sent_at = DateTimeField(required=False, help_text="the device clock when it sent the batch")

    @extend_schema(
        operation_id="sync_push",
        request=InputSerializer,
        responses={200: dict, **error_responses(400, 401, 403, 413, 415)},
    )
    def post(self, request: Request) -> HttpResponse:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = apply_ops(
            principal=principal(request),
            device_id=device_of(request),
            raw_ops=data.validated_data["ops"],
            sent_at=data.validated_data.get("sent_at"),
        )
        return render(
            request,
            {
                "results": result.results,
                "device": {"max_seq": result.max_seq, "gaps": result.gaps},
                "clock_offset_s": result.clock_offset_s,
                "server_time": timezone.now().isoformat(),
            },
        )


class PullApi(APIView):
    permission_classes = [IsStaffOrCourier]

    class FilterSerializer(serializers.Serializer[None]):
        cursor = serializers.IntegerField(
            min_value=0,
            max_value=2**62,
            required=False,
            help_text="the cursor of your last pull; leave out for a snapshot",
        )
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=500)
        refs = serializers.RegexField(
            r"^([a-z_]{1,32}:[0-9a-f]{1,64})?(,[a-z_]{1,32}:[0-9a-f]{1,64})*\Z",
            required=False,
            default="",
            allow_blank=True,
            help_text="reference lists held, as name:version,name:version",
        )

    @extend_schema(
        operation_id="sync_pull",
        parameters=[FilterSerializer],
        responses={200: dict, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> HttpResponse:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        held = dict(item.split(":", 1) for item in v["refs"].split(",") if item)
        page = pull_changes(
            principal=principal(request), after=v.get("cursor"), limit=v["limit"], held_refs=held
        )
        return render(
            request,
            {
                "cursor": page.cursor,
                "more": page.more,
                "reset": page.reset,
                "changes": page.changes,
                "reference": page.reference,
                "server_time": timezone.now().isoformat(),
            },
        )


class AttachmentOutput(serializers.Serializer[object]):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    received = serializers.IntegerField()
    complete = serializers.BooleanField()


SHA256_PATH = OpenApiParameter(
    "sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"}, OpenApiParameter.PATH
)


def _state(request: Request, state: AttachmentState) -> HttpResponse:
    return render(request, AttachmentOutput(state).data)


class AttachmentBeginApi(APIView):
    permission_classes = [IsStaffOrCourier]

    class BeginInputSerializer(serializers.Serializer[None]):
        sha256 = serializers.RegexField(r"^[0-9a-f]{64}\Z")
        size = serializers.IntegerField(min_value=1, max_value=2**31)
        content_type = serializers.CharField(max_length=64)

    @extend_schema(
        operation_id="sync_attachment_begin",
        request=BeginInputSerializer,
        responses={200: AttachmentOutput, **error_responses(400, 401, 403, 413, 415)},
    )
    def post(self, request: Request) -> HttpResponse:
        data = self.BeginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assert request.user.pk is not None
        return _state(request, attachments.attachment_begin(user_id=request.user.pk, **data.validated_data))


class AttachmentApi(APIView):
    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="sync_attachment",
        parameters=[SHA256_PATH],
        responses={200: AttachmentOutput, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, sha256: str) -> HttpResponse:
        assert request.user.pk is not None
        return _state(request, attachment_get(user_id=request.user.pk, sha256=sha256))


class AttachmentChunkApi(APIView):
    permission_classes = [IsStaffOrCourier]
    parser_classes = [ChunkParser]

    class FilterSerializer(serializers.Serializer[None]):
        offset = serializers.IntegerField(min_value=0, max_value=2**31)
        size = serializers.IntegerField(
            min_value=1,
            max_value=2**31,
            required=False,
            help_text="with content_type: announce and upload in one request",
        )
        content_type = serializers.CharField(max_length=64, required=False)

    @extend_schema(
        operation_id="sync_attachment_chunk",
        request={"application/octet-stream": bytes},
        parameters=[SHA256_PATH, FilterSerializer],
        responses={200: AttachmentOutput, **error_responses(400, 401, 404, 409, 413, 415, 422)},
    )
    def put(self, request: Request, sha256: str) -> HttpResponse:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        data: object = request.data  # the stubs say dict | list; OctetStreamParser hands over bytes
        if not isinstance(data, bytes):
            raise DomainError("unsupported_media_type", "send the chunk as application/octet-stream")
        assert request.user.pk is not None
        if "size" in v and "content_type" in v:  # a small file in one round trip (the usual signature)
            attachments.attachment_begin(
                user_id=request.user.pk, sha256=sha256, size=v["size"], content_type=v["content_type"]
            )
        state = attachments.attachment_put_chunk(
            user_id=request.user.pk, sha256=sha256, offset=v["offset"], data=data
        )
        return _state(request, state)
