"""The customer's complaint form, reached from the customer's page (``/n/<token>/complaint``).

The same signed link as the page names the shipment; the form posts one complaint through
``customer_complaint`` (once per link and type), with up to three photos checked here
(``complaint_photos``), and shows the date by which we answer. Every failure renders a page, never
a 500; the same security headers and rate limits as the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from backend.common.errors import DomainError
from backend.common.images import ImageBlob
from backend.incidents.complaint_photos import MAX_BODY_BYTES, clean_photos
from backend.incidents.services import customer_complaint
from backend.incidents.states import CUSTOMER_TYPES, IncidentType
from backend.negotiation import ratelimit
from backend.negotiation.links import link_open
from backend.negotiation.texts import language_of

# img-src data: as on the customer's page: its base template's empty icon (no favicon request).
CSP = (
    "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "投诉与理赔",
        "what": "发生了什么？",
        "describe": "请描述情况",
        "send": "提交",
        "back": "返回包裹页面",
        "done": "已收到您的投诉，我们将在以下时间前答复您：",
        "bad": "链接无效或已过期，请联系快递站点。",
        "rate_limited": "请求过于频繁，请稍后再试。",
        "invalid": "请选择问题类型。",
        "evidence_missing": "请描述发生的情况。",
        "photos": "照片（可选，最多 3 张 JPEG、PNG 或 WebP，每张不超过 5 MB）",
        "too_many_photos": "最多只能上传 3 张照片。",
        "photo_too_large": "照片太大：每张不超过 5 MB，合计不超过 12 MB。",
        "photo_not_image": "无法识别照片，请上传 JPEG、PNG 或 WebP 格式的图片。",
    },
    "en": {
        "title": "Complaint and claim",
        "what": "What went wrong?",
        "describe": "Please tell us what happened",
        "send": "Send",
        "back": "Back to the parcel page",
        "done": "We received your complaint and will answer you by:",
        "bad": "This link is not valid or has expired; please call the station.",
        "rate_limited": "Too many requests; please try again later.",
        "invalid": "Please choose what went wrong.",
        "evidence_missing": "Please tell us what happened.",
        "photos": "Photos (optional; up to 3 JPEG, PNG or WebP, 5 MB each)",
        "too_many_photos": "Please attach at most 3 photos.",
        "photo_too_large": "A photo is too large: at most 5 MB each and 12 MB together.",
        "photo_not_image": "We could not read a photo; please attach a JPEG, PNG or WebP image.",
    },
}


def _page(request: HttpRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    response = render(request, "incidents/complaint.html", context, status=status)
    response["Content-Security-Policy"] = CSP
    response["Referrer-Policy"] = "same-origin"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store"
    return response


StorePhotos = Callable[[Sequence[ImageBlob]], None]


# The CSRF token is checked by ``_complaint`` (csrf_protect), after an oversized body is refused
# unread: the middleware would parse the whole multipart body (photos and all) to find the token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def complaint_view(request: HttpRequest, token: str, store_photos: StorePhotos | None = None) -> HttpResponse:
    lang = language_of(request)
    t = TEXTS[lang]
    types = [(k, IncidentType(k).label) for k in CUSTOMER_TYPES]
    context: dict[str, object] = {"t": t, "lang": lang, "token": token, "types": types, "page": False}
    if not ratelimit.allow("ip", str(request.META.get("REMOTE_ADDR", "")), *ratelimit.PER_IP):
        return _page(request, {**context, "error": t["rate_limited"], "closed": True}, 429)
    try:
        claims = link_open(token)
    except DomainError:
        return _page(request, {**context, "error": t["bad"], "closed": True}, 404)
    context["page"] = claims.negotiation_id > 0  # a link from a message may name no negotiation
    if request.method == "POST" and _declared_length(request) > MAX_BODY_BYTES:
        return _page(request, {**context, "error": t["photo_too_large"]}, 400)
    return _complaint(request, context, claims.shipment_id, claims.link_id, store_photos)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY_BYTES + 1


@csrf_protect
def _complaint(
    request: HttpRequest,
    context: dict[str, object],
    shipment_id: int,
    link_id: str,
    store_photos: StorePhotos | None,
) -> HttpResponse:
    t = TEXTS[str(context["lang"])]
    if request.method == "GET":
        return _page(request, context)
    if not ratelimit.allow("link", link_id, *ratelimit.PER_LINK):
        return _page(request, {**context, "error": t["rate_limited"]}, 429)
    try:
        incident = customer_complaint(
            shipment_id=shipment_id,
            incident_type=request.POST.get("incident_type", ""),
            description=request.POST.get("description", "")[:1000],
            link_id=link_id,
            photos=clean_photos(request.FILES.getlist("photos")),
            store_photos=store_photos,
        )
    except DomainError as exc:
        return _page(request, {**context, "error": t.get(exc.code, t["bad"])}, 400)
    # The deadline is the end of the last working day: that day is the one the customer reads.
    due = (incident.legal_due - timedelta(seconds=1)).astimezone(ZoneInfo(incident.station.time_zone))
    return _page(request, {**context, "answer_by": f"{due:%Y-%m-%d}", "closed": True})
