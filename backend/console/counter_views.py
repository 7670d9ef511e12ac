"""The station counter: customers collect the parcels they chose to have held at the station.

The clerk scans or types the tracking number (or picks the parcel from the shelf list), hears the
6-digit pickup code the customer's page showed them, types who takes it, and the cash on delivery
if any; one call of ``negotiation.services.pickup_hand_over`` checks the code (attempt-limited: a
wrong code counts even though it is refused) and delivers the job with a ``station`` proof. The
page never shows the code: it is derived from a secret the server keeps (docs/negotiation.md).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.common.errors import DomainError
from backend.console.access import station_for
from backend.console.ops_forms import COUNTER_RELATIONS, CounterHandOverForm, fen
from backend.console.posting import page, post
from backend.console.refusals import refusal_text
from backend.console.views import CONSOLE_DEVICE
from backend.couriers.models import Station
from backend.negotiation import pickup_codes
from backend.negotiation.models import PickupHold
from backend.negotiation.selectors import held_for_collection
from backend.negotiation.services import pickup_hand_over
from backend.shipments.context import Ctx


def counter_refusal(exc: DomainError) -> str:
    """What the clerk reads when the counter refuses, in their language."""
    if exc.code == "pickup_code_wrong":
        return _("The pickup code does not match: %(left)s tries left before the parcel locks.") % {
            "left": exc.details.get("attempts_left", 0)
        }
    texts = {
        "pickup_code_locked": _(
            "Too many wrong codes: the parcel is locked until a supervisor unlocks it (Exceptions)."
        ),
        "not_found": _("No parcel with that number is waiting here for its customer."),
        "invalid": _("Check the form: the 6-digit pickup code and who takes the parcel."),
        "cod_amount_mismatch": _("Collect the cash on delivery shown, to the fen."),
    }
    return texts.get(exc.code) or refusal_text(exc)


def _counter_page(
    request: HttpRequest, station: Station, *, status: int = 200, error: DomainError | None = None
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:32]
    context = {
        "station": station,
        "query": query,
        "rows": held_for_collection(station.pk, tracking_no=query),
        "relations": COUNTER_RELATIONS,
        "max_attempts": pickup_codes.max_attempts(),
        "posted": request.POST if error is not None else {},
    }
    return page(request, "console/counter.html", context, status=status, error=error, said=counter_refusal)


@login_required
@require_GET
def counter(request: HttpRequest, code: str) -> HttpResponse:
    _principal, station = station_for(request, code)
    return _counter_page(request, station)


@login_required
@require_POST
def counter_hand_over(request: HttpRequest, code: str) -> HttpResponse:
    principal, station = station_for(request, code)
    form = CounterHandOverForm(request.POST)

    def act() -> str:
        d = form.cleaned_data
        # This station's shelf only: another station's parcel is not found here, whoever asks.
        if not PickupHold.objects.filter(job_id=d["job_id"], station=station).exists():
            raise DomainError("not_found", f"job {d['job_id']} is not held at {station.code}")
        job = pickup_hand_over(
            job_id=d["job_id"],
            code=d["code"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
            recipient_name=d["recipient_name"],
            recipient_relation=d["recipient_relation"],
            cod_collected_fen=fen(d["cod_collected_yuan"]) or 0,
        )
        return _("Handed over: %(tracking_no)s") % {"tracking_no": job.shipment.tracking_no}

    return post(
        request,
        act,
        form=form,
        redraw=lambda status, error: _counter_page(request, station, status=status, error=error),
        done=reverse("console:counter", kwargs={"code": station.code}),
    )
