"""The cut-off: a customer can move the visit until the courier is two stops or 15 minutes away,
read from the courier's plan; past it the answer service refuses what moves the visit
(``past_cutoff``) and the page offers only what is still possible. Instants are frozen (10:00 at
the station on the fixture day, the courier's shift from 08:00)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.negotiation.cutoff import job_cutoff
from backend.negotiation.links import link_issue
from backend.negotiation.models import Consent, Negotiation
from backend.negotiation.services import negotiation_answer
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.planning import job_set_plan
from tests.backend.negotiation.conftest import NOW, offer
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def planned_route(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    *,
    before: int,
    eta_in: timedelta = timedelta(hours=2),
) -> Job:
    """A job planned after ``before`` undone stops of its courier's route, due ``eta_in`` from now."""
    job = None
    for seq in range(before + 1):
        job = make_job(station, supervisor.ctx)
        svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
        eta = NOW + (eta_in if seq == before else timedelta(minutes=5 * (seq + 1)))
        job = job_set_plan(job_id=job.pk, planned_seq=seq, eta=eta, ctx=supervisor.ctx)
    assert job is not None
    return job


def answer(n: Negotiation, key: str = "w1", **kw: object) -> object:
    args: dict[str, object] = {
        "negotiation_id": n.pk,
        "option_key": key,
        "channel": "link",
        "language": "en",
        "ctx": Ctx.system(),
        "link_id": "L1",
        "now": NOW,
    }
    args.update(kw)
    return negotiation_answer(**args)  # type: ignore[arg-type]


def proposal(job: Job, supervisor: Person) -> Negotiation:
    return offer(job, supervisor.ctx, trigger="courier", reason_code="")


@pytest.mark.parametrize(("before", "passed"), [(3, False), (2, True)])
def test_the_cutoff_is_two_stops_away(
    frozen, station, supervisor, courier, before: int, passed: bool
) -> None:  # type: ignore[no-untyped-def]
    job = planned_route(station, supervisor, courier, before=before)
    n = proposal(job, supervisor)
    assert job_cutoff(Job.objects.get(pk=job.pk), NOW).stops_away == before
    if passed:
        with pytest.raises(DomainError) as refused:
            answer(n)
        assert refused.value.code == "past_cutoff"
        assert refused.value.details == {"stops_away": 2, "minutes_away": 120}
        assert not Consent.objects.exists()
        assert Job.objects.get(pk=job.pk).window_start is None  # nothing moved
    else:
        answer(n)
        assert Job.objects.get(pk=job.pk).window_start == NOW.replace(hour=14)


@pytest.mark.parametrize(("minutes", "passed"), [(16, False), (14, True)])
def test_the_cutoff_is_fifteen_minutes_away(
    frozen, station, supervisor, courier, minutes: int, passed: bool
) -> None:  # type: ignore[no-untyped-def]
    job = planned_route(station, supervisor, courier, before=3, eta_in=timedelta(minutes=minutes))
    n = proposal(job, supervisor)
    cut = job_cutoff(Job.objects.get(pk=job.pk), NOW)
    assert (cut.passed, cut.stops_away, cut.minutes_away) == (passed, 3, minutes)
    if passed:
        with pytest.raises(DomainError) as refused:
            answer(n)
        assert refused.value.code == "past_cutoff"
    else:
        assert answer(n).won  # type: ignore[attr-defined]


def test_both_limits_are_settings(frozen, station, supervisor, courier, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PARCELRUN_NEGOTIATION_CUTOFF_STOPS = 3
    settings.PARCELRUN_NEGOTIATION_CUTOFF_MINUTES = 5
    job = planned_route(station, supervisor, courier, before=3, eta_in=timedelta(minutes=14))
    with pytest.raises(DomainError, match="nearly there"):
        answer(proposal(job, supervisor))
    settings.PARCELRUN_NEGOTIATION_CUTOFF_STOPS = 2
    assert not job_cutoff(Job.objects.get(pk=job.pk), NOW).passed


@pytest.mark.parametrize("key", ["st", "ret"])
def test_past_the_cutoff_what_does_not_move_the_visit_is_still_possible(  # type: ignore[no-untyped-def]
    frozen, station, supervisor, courier, key: str
) -> None:
    job = planned_route(station, supervisor, courier, before=1)
    result = answer(proposal(job, supervisor), key)
    assert result.won and result.consent.option_key == key  # type: ignore[attr-defined]


def test_a_courier_on_the_way_or_at_the_door_is_past_the_cutoff(frozen, station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = planned_route(station, supervisor, courier, before=5)
    n = proposal(job, supervisor)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    cut = job_cutoff(Job.objects.get(pk=job.pk), NOW)
    assert (cut.passed, cut.stops_away) == (True, 0)
    with pytest.raises(DomainError, match="nearly there"):
        answer(n)


def test_the_courier_recording_a_call_is_not_held_to_the_customers_cutoff(  # type: ignore[no-untyped-def]
    frozen, station, supervisor, courier
) -> None:
    job = planned_route(station, supervisor, courier, before=0)
    result = answer(proposal(job, supervisor), channel="courier_call", ctx=courier[1].ctx, link_id="")
    assert result.won  # type: ignore[attr-defined]


def test_before_the_shift_starts_nobody_is_on_the_way(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = planned_route(station, supervisor, courier, before=0)
    at_seven = NOW.replace(hour=7)
    cut = job_cutoff(Job.objects.get(pk=job.pk), at_seven)
    assert (cut.passed, cut.stops_away) == (False, None)
    assert job_cutoff(Job.objects.get(pk=job.pk), NOW.replace(hour=8)).passed


def test_a_failed_job_has_no_visit_coming_and_no_cutoff(job) -> None:  # type: ignore[no-untyped-def]
    assert not job_cutoff(job, NOW).passed


def test_the_page_past_the_cutoff_says_so_and_offers_only_what_is_still_possible(  # type: ignore[no-untyped-def]
    frozen, station, supervisor, courier
) -> None:
    job = planned_route(station, supervisor, courier, before=1, eta_in=timedelta(minutes=12))
    n = proposal(job, supervisor)
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
    for lang, words in (
        ("en", ("Your courier is nearly there", "1 stop away · about 12 min", "You can still choose:")),
        ("zh", ("快递员即将到达", "还有 1 站 · 约 12 分钟", "您仍可以选择：")),
    ):
        html = Client().get(f"/n/{token}/?lang={lang}").content.decode()
        assert all(w in html for w in words), lang
        assert 'value="st"' in html and 'value="ret"' in html
        assert 'value="w1"' not in html  # the window is not offered any more
    # A post of the window anyway (a stale tab) answers nothing and shows the page again.
    page = Client().post(f"/n/{token}/", {"option": "w1", "confirm": "yes", "lang": "en"})
    assert page.status_code == 302 and not Consent.objects.exists()


def test_the_page_before_the_cutoff_marks_what_the_live_hint_may_hide(
    frozen, station, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job = planned_route(station, supervisor, courier, before=4)
    n = proposal(job, supervisor)
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
    html = Client().get(f"/n/{token}/?lang=en").content.decode()
    assert 'value="w1" class="option" data-moves="1"' in html
    assert 'value="st" class="option">' in html
    assert 'data-open="1"' in html and 'data-cutoff-minutes="15"' in html
    assert f'data-feed="/ws/shipment/{job.shipment.tracking_no}/"' in html
    assert "Your courier is nearly there" not in html.split('id="cutoff-live"')[0]
