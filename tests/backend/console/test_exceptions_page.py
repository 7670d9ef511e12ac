"""The exceptions page: the station's queue, resolving with a reason, other stations' nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.exceptions.models import ExceptionResolution
from backend.shipments.services import job_fail, job_start
from tests.backend.sync.helpers import ready_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def _failed(station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> int:
    job = ready_job(station, supervisor, courier[0])
    job_start(job_id=job.pk, ctx=courier[1].ctx)
    job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="not_home")
    return job.pk


def test_the_queue_lists_the_failed_attempt_with_its_actions(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    _failed(station, supervisor, courier)
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/exceptions/").content.decode()
    assert 'data-kind="failed_attempt"' in html and 'name="reason"' in html
    assert f"/console/{station.code}/shipments/" in html
    only = client.get(f"/console/{station.code}/exceptions/", {"kind": "stale_parcel"}).content.decode()
    assert 'data-kind="failed_attempt"' not in only


def test_resolving_needs_a_reason_and_records_it(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    _failed(station, supervisor, courier)
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/exceptions/").content.decode()
    subject = html.split('data-kind="failed_attempt" data-subject="')[1].split('"')[0]
    url = f"/console/{station.code}/exceptions/resolve"
    refused = client.post(url, {"kind": "failed_attempt", "subject": subject, "reason": ""})
    assert refused.status_code == 400 and 'data-code="invalid"' in refused.content.decode()
    done = client.post(url, {"kind": "failed_attempt", "subject": subject, "reason": "called: tomorrow"})
    assert done.status_code == 302
    row = ExceptionResolution.objects.get()
    assert (row.subject, row.reason, row.resolved_by_id) == (subject, "called: tomorrow", supervisor.user.pk)
    again = client.post(url, {"kind": "failed_attempt", "subject": subject, "reason": "twice"})
    assert again.status_code == 409 and 'data-code="already_resolved"' in again.content.decode()
    assert (
        'data-kind="failed_attempt"'
        not in client.get(f"/console/{station.code}/exceptions/").content.decode()
    )


def test_another_stations_queue_and_its_resolve_are_404(
    client: Client, station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    client.force_login(supervisor.user)
    assert client.get(f"/console/{other_station.code}/exceptions/").status_code == 404
    answer = client.post(
        f"/console/{other_station.code}/exceptions/resolve",
        {"kind": "stale_parcel", "subject": "x", "reason": "y"},
    )
    assert answer.status_code == 404 and ExceptionResolution.objects.count() == 0
