"""DRF glue: every 4xx body has one shape, ``{"code", "message", "details"}``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from backend.common.errors import STATUS, DomainError

log = logging.getLogger(__name__)

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            msg = _first_message(value)
            return msg if key == "non_field_errors" else f"{key}: {msg}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        # Django raises it while DRF reads the body; unhandled, it became an HTML 400.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = DomainError("payload_too_large", f"a request body holds at most {limit} bytes")
    if isinstance(exc, DomainError):
        response = Response(exc.as_dict(), status=exc.status)
        retry_after = exc.details.get("retry_after_s")
        if isinstance(retry_after, int):
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    handled = drf_exception_handler(exc, context)
    if handled is None:
        return None
    response = handled
    assert isinstance(exc, exceptions.APIException)
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        # A field-level domain code (e.g. invalid_phone) beats the generic "invalid".
        codes = exc.get_codes()
        field_code = _first_code(codes)
        # Only our own domain codes (invalid_phone, invalid_tracking_no…) are promoted; DRF's
        # field codes (max_value, required…) stay in details so the top-level set stays documented.
        if field_code in STATUS:
            code = field_code
        details: Any = {"fields": exc.detail}
        message = _first_message(exc.detail)
    else:
        details = {}
        message = str(exc.detail)
    response.data = {"code": code, "message": message, "details": details}
    return response


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, dict):
        for value in codes.values():
            found = _first_code(value)
            if found:
                return found
        return None
    if isinstance(codes, list):
        for value in codes:
            found = _first_code(value)
            if found:
                return found
        return None
    return str(codes) if codes else None


class ErrorSerializer(serializers.Serializer[object]):
    """The documented shape of every 4xx response (for the OpenAPI schema)."""

    code = serializers.CharField(
        help_text="stable and machine-readable (docs/api.md, Errors): invalid, parse_error, "
        "invalid_input and malformed_op say the request does not have the documented shape; "
        "every other code names a rule the request broke (a check digit, fields that go "
        "together, the state of the data)"
    )
    message = serializers.CharField()
    details = serializers.DictField(required=False)


def error_responses(*statuses: int) -> dict[int, type[ErrorSerializer]]:
    """``extend_schema(responses={200: X, **error_responses(400, 404)})``: declare each error status."""
    return dict.fromkeys(statuses, ErrorSerializer)


_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def query_flag(request: Any, name: str) -> bool:
    """A boolean query parameter as the schema states it (``true``/``false``, ``1``/``0``); absent
    is false. Anything else, or the flag twice, is refused rather than read as false."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    if len(values) > 1 or values[0] not in _FLAGS:
        raise DomainError("invalid", f"{name} must be true or false", field=name)
    return _FLAGS[values[0]]


@csrf_exempt  # it changes nothing, and a POST to a mistyped URL should learn "not found", not "CSRF"
def unrouted_api(request: HttpRequest, rest: str = "") -> HttpResponse:
    """The last /api/ route: an unknown API URL answers in the API's shape whatever DEBUG is."""
    return not_found(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: an unrouted /api/ URL answers in the API's error shape, not an HTML page."""
    if request.path.startswith("/api/"):
        body = {"code": "not_found", "message": f"no API endpoint at {request.path}", "details": {}}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception or Http404())
