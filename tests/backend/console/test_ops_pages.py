"""The incidents, disruptions and cash pages: what a supervisor sees, what they do, what others see.

The console's conftest freezes the instant at 10:00 on Tuesday 24 November 2026 at the station.
"""

from __future__ import annotations

import pytest
from django.test import Client

from backend.cod.models import Handover, Variance
from backend.console.ops_rows import working_days_left
from backend.couriers.models import Courier, Station
from backend.incidents.models import Disruption, DisruptionHold, Incident
from backend.incidents.services import incident_raise
from backend.incidents.states import IncidentState
from tests.backend.cod.conftest import deliver_cash
from tests.backend.incidents.conftest import incident_input
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db


def _page(client: Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.content.decode()


def test_working_days_left_skip_the_weekend_and_the_holiday() -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    # Legal clock ending at 24:00 on Thursday 3 December 2026: from Tuesday 24 November, eight
    # working days are left counting today (24, 25, 26, 27 Nov, 30 Nov, 1, 2, 3 Dec).
    end = datetime(2026, 12, 4, 0, 0, tzinfo=tz)
    assert working_days_left(date(2026, 11, 24), end, tz) == 8
    assert working_days_left(date(2026, 11, 28), end, tz) == 4  # a Saturday: not counted
    # National Day week 2026 (1–7 October) counts nothing; 8, 9 and the make-up Saturday 10 do.
    assert working_days_left(date(2026, 10, 1), datetime(2026, 10, 11, tzinfo=tz), tz) == 3


def test_the_incidents_page_shows_the_clocks_and_acts_through_the_services(
    client: Client, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    data = incident_input("loss", shipment_id=job.shipment_id)
    incident = incident_raise(station_id=station.pk, data=data, ctx=supervisor.ctx)
    client.force_login(supervisor.user)
    html = _page(client, f"/console/{station.code}/incidents/")
    assert f'data-incident="{incident.pk}"' in html and job.shipment.tracking_no in html
    assert "working days left" in html or "个工作日" in html
    assert 'value="compensated"' in html and 'name="csrfmiddlewaretoken"' in html
    ack = client.post(f"/console/{station.code}/incidents/{incident.pk}/ack")
    assert ack.status_code == 302
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.ACKNOWLEDGED
    url = f"/console/{station.code}/incidents/{incident.pk}/resolve"
    refused = client.post(url, {"resolution": "compensated", "amount_yuan": "", "liable_party": ""})
    assert refused.status_code == 400 and 'data-code="invalid"' in refused.content.decode()
    done = client.post(
        url, {"resolution": "compensated", "amount_yuan": "88.50", "liable_party": "courier", "note": "赔付"}
    )
    assert done.status_code == 302
    decided = Incident.objects.get(pk=incident.pk)
    assert (decided.state, decided.amount_fen, decided.liable_party) == ("resolved", 8850, "courier")
    assert f'data-incident="{incident.pk}"' not in _page(client, f"/console/{station.code}/incidents/")


def test_the_disruptions_page_declares_holds_and_releases(
    client: Client, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx, recipient_address="杭州市西湖区教工路5号")
    client.force_login(supervisor.user)
    declared = client.post(
        f"/console/{station.code}/disruptions/new",
        {"kind": "road_closure", "level": "4", "address_prefixes": "杭州市西湖区教工路", "reason": "修路"},
    )
    assert declared.status_code == 302
    disruption = Disruption.objects.get()
    assert DisruptionHold.objects.get(disruption=disruption).job_id == job.pk
    html = _page(client, f"/console/{station.code}/disruptions/")
    assert f'data-disruption="{disruption.pk}"' in html
    released = client.post(f"/console/{station.code}/disruptions/{disruption.pk}/release")
    assert released.status_code == 302
    assert DisruptionHold.objects.get().released_at is not None
    assert Disruption.objects.get().lifted_at is not None
    assert f'data-disruption="{disruption.pk}"' not in _page(client, f"/console/{station.code}/disruptions/")


def test_the_cash_page_shows_each_courier_and_confirms_a_short_handover_as_a_variance(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    deliver_cash(station, supervisor.ctx, courier[0], courier[1].ctx, 12_345)
    client.force_login(supervisor.user)
    html = _page(client, f"/console/{station.code}/cash/")
    assert f'data-courier="{courier[0].pk}" data-held-fen="12345"' in html and "123.45" in html
    url = f"/console/{station.code}/cash/confirm"
    body = {"courier_id": courier[0].pk, "expected_fen": 12_345, "received_yuan": "120.00"}
    refused = client.post(url, body)
    assert refused.status_code == 400 and 'data-code="reason_required"' in refused.content.decode()
    assert client.post(url, {**body, "reason": "少3.45元"}).status_code == 302
    handover = Handover.objects.get()
    assert (handover.expected_fen, handover.received_fen, handover.confirmed_by_id) == (
        12_345,
        12_000,
        supervisor.user.pk,
    )
    assert Variance.objects.get().amount_fen == -345
    after = _page(client, f"/console/{station.code}/cash/")
    assert f'data-courier="{courier[0].pk}" data-held-fen="0"' in after and "-3.45" in after


def test_another_stations_pages_and_actions_are_404(
    client: Client,
    station: Station,
    other_station: Station,
    supervisor: Person,
    other_supervisor: Person,
) -> None:
    theirs_courier = make_courier(other_station)
    theirs = incident_raise(
        station_id=other_station.pk, data=incident_input("weather_road"), ctx=other_supervisor.ctx
    )
    deliver_cash(other_station, other_supervisor.ctx, theirs_courier[0], theirs_courier[1].ctx, 5_000)
    client.force_login(supervisor.user)
    for path in ("incidents/", "disruptions/", "cash/"):
        assert client.get(f"/console/{other_station.code}/{path}").status_code == 404
    mine = station.code
    assert client.post(f"/console/{mine}/incidents/{theirs.pk}/ack").status_code == 404
    assert (
        client.post(f"/console/{mine}/incidents/{theirs.pk}/resolve", {"resolution": "closed"}).status_code
        == 404
    )
    body = {"courier_id": theirs_courier[0].pk, "expected_fen": 5_000, "received_yuan": "50.00"}
    assert client.post(f"/console/{mine}/cash/confirm", body).status_code == 404
    assert client.post(f"/console/{other_station.code}/cash/confirm", body).status_code == 404
    assert Incident.objects.get(pk=theirs.pk).state == IncidentState.OPEN and not Handover.objects.exists()
    html = _page(client, f"/console/{mine}/cash/")
    assert f'data-courier="{theirs_courier[0].pk}"' not in html
    assert f'data-incident="{theirs.pk}"' not in _page(client, f"/console/{mine}/incidents/")


def test_the_pages_speak_chinese(client: Client, station: Station, supervisor: Person) -> None:
    incident_raise(station_id=station.pk, data=incident_input("weather_road"), ctx=supervisor.ctx)
    client.force_login(supervisor.user)
    client.cookies["django_language"] = "zh-hans"
    incidents = _page(client, f"/console/{station.code}/incidents/")
    assert "法定答复期限" in incidents and "个工作日" in incidents and ">受理</button>" in incidents
    assert ">已结案</option>" in incidents and ">不可抗力</option>" in incidents
    assert "宣布并暂停派送" in _page(client, f"/console/{station.code}/disruptions/")
    cash = _page(client, f"/console/{station.code}/cash/")
    assert "<th>应收</th>" in cash and "<th>差额</th>" in cash
