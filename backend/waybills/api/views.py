"""Waybill blocks for handhelds: allocate, list the open ones, close with the used serials."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsCourier, device_of, principal
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.shipments.context import Ctx
from backend.waybills import selectors, services
from backend.waybills.models import WaybillBlock
from parcelkit.rules.tracking import MAX_SERIAL, make_tracking_no

BLOCK_ID = OpenApiParameter("block_id", int, OpenApiParameter.PATH)


class BlockOutput(serializers.ModelSerializer[WaybillBlock]):
    first_tracking_no = serializers.SerializerMethodField()
    last_tracking_no = serializers.SerializerMethodField()
    size = serializers.IntegerField(read_only=True)

    class Meta:
        model = WaybillBlock
        fields = [
            "id",
            "device_id",
            "first_serial",
            "last_serial",
            "size",
            "first_tracking_no",
            "last_tracking_no",
            "allocated_at",
            "closed_at",
            "used_count",
            "void_count",
        ]

    def get_first_tracking_no(self, block: WaybillBlock) -> str:
        return make_tracking_no(block.first_serial)

    def get_last_tracking_no(self, block: WaybillBlock) -> str:
        return make_tracking_no(block.last_serial)


class WaybillBlocksApi(APIView):
    permission_classes = [IsCourier]

    class AllocateInput(serializers.Serializer[None]):
        # Optional and only checked: the block goes to the device of the caller's token.
        device_id = serializers.CharField(max_length=64, required=False)
        size = serializers.IntegerField(min_value=1, max_value=services.MAX_BLOCK, default=500)

    @extend_schema(
        operation_id="waybill_blocks_list",
        responses={200: BlockOutput(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        blocks = selectors.open_blocks_for_user(user_id=principal(request).require_user_id())
        return Response(BlockOutput(blocks, many=True).data)

    @extend_schema(
        operation_id="waybill_blocks_allocate",
        request=AllocateInput,
        responses={201: BlockOutput, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = self.AllocateInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_of(request)
        claimed = data.validated_data.get("device_id", device)
        if claimed != device:
            raise DomainError(
                "wrong_device", f"this token belongs to device {device!r}, not {claimed!r}", device_id=device
            )
        block = services.waybill_block_allocate(
            ctx=Ctx(actor=principal(request)), device_id=device, size=data.validated_data["size"]
        )
        return Response(BlockOutput(block).data, status=status.HTTP_201_CREATED)


class WaybillBlockCloseApi(APIView):
    permission_classes = [IsCourier]

    class CloseInput(serializers.Serializer[None]):
        used_serials = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_SERIAL), max_length=services.MAX_BLOCK
        )

    @extend_schema(
        operation_id="waybill_block_close",
        parameters=[BLOCK_ID],
        request=CloseInput,
        responses={200: BlockOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, block_id: int) -> Response:
        data = self.CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        block = services.waybill_block_close(
            ctx=Ctx(actor=principal(request)),
            block_id=block_id,
            used_serials=data.validated_data["used_serials"],
        )
        return Response(BlockOutput(block).data)
