"""The detectors: a parcel in our hands nobody scanned (loss suspect) and a delivery whose window
ended (delay), each raised once per occurrence, at frozen instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.couriers.models import Courier, Station
from backend.exceptions.kinds import ExceptionKind
from backend.exceptions.selectors import exception_queue
from backend.incidents.models import Incident
from backend.incidents.services import detect_delays, detect_loss_suspects
from backend.incidents.states import IncidentState, IncidentType, Source
from backend.notify.models import Message
from backend.shipments.services import job_assign, scan
from backend.shipments.services.jobs import job_hold
from tests.clock import station_tz
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(station_tz()))


def test_a_parcel_nobody_scanned_for_48_hours_is_a_loss_suspect_once(
    station: Station, supervisor: Person
) -> None:
    with time_machine.travel(NOW, tick=False):
        job = make_job(station, supervisor.ctx)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    assert detect_loss_suspects(now=NOW + timedelta(hours=47, minutes=59)) == 0
    assert detect_loss_suspects(now=NOW + timedelta(hours=48, minutes=1)) == 1
    assert detect_loss_suspects(now=NOW + timedelta(hours=60)) == 0  # the same silence: once
    [incident] = Incident.objects.all()
    assert (incident.incident_type, incident.source) == (IncidentType.LOSS, Source.AUTO)
    assert incident.shipment_id == job.shipment_id and incident.manager_due is not None
    # It is in the station's exceptions queue, with the customer told.
    [item] = exception_queue(station=station, now=NOW + timedelta(hours=49), kind=ExceptionKind.INCIDENT)
    assert item.subject == f"incident:{incident.pk}:raised" and item.tracking_no == job.shipment.tracking_no
    assert Message.objects.filter(job=job, trigger="incident", occasion=f"i{incident.pk}").exists()
    # Scanned again, then silent again: a new occurrence.
    with time_machine.travel(NOW + timedelta(hours=61), tick=False):
        scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=supervisor.ctx)
    assert detect_loss_suspects(now=NOW + timedelta(hours=61 + 49)) == 1


def test_a_delivery_past_its_window_is_a_delay_unless_a_disruption_holds_it(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    with time_machine.travel(NOW, tick=False):
        late = make_job(station, supervisor.ctx, window_start=NOW, window_end=NOW + timedelta(hours=2))
        late = job_assign(job_id=late.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
        promised = make_job(
            station, supervisor.ctx, promised_start=NOW, promised_end=NOW + timedelta(hours=4)
        )
        held = make_job(station, supervisor.ctx, window_start=NOW, window_end=NOW + timedelta(hours=2))
        job_hold(job_id=held.pk, ctx=supervisor.ctx, held=True, reason="road closed")
    assert detect_delays(now=NOW + timedelta(hours=2, minutes=29)) == 0  # within the grace
    assert detect_delays(now=NOW + timedelta(hours=2, minutes=31)) == 1
    assert detect_delays(now=NOW + timedelta(hours=5)) == 1  # the promised one, not the first again
    delays = {i.job_id: i for i in Incident.objects.filter(incident_type=IncidentType.DELAY)}
    assert set(delays) == {late.pk, promised.pk}
    assert delays[late.pk].state == IncidentState.OPEN and delays[late.pk].source == Source.AUTO


def test_the_beat_tasks_run_the_detectors_and_the_clocks_at_the_time(
    station: Station, supervisor: Person
) -> None:
    from backend.incidents.tasks import detect_late, detect_loss, timers

    with time_machine.travel(NOW, tick=False):
        job = make_job(station, supervisor.ctx)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    with time_machine.travel(NOW + timedelta(hours=49), tick=False):  # Thursday 11:00
        assert (detect_loss(), detect_late(), timers()) == (1, 0, 0)
    with time_machine.travel(NOW + timedelta(hours=51, minutes=1), tick=False):  # 2 working hours later
        assert timers() == 1
