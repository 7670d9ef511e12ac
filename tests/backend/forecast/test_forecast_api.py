"""GET /api/v1/stations/{code}/forecast: a supervisor sees their own station's forecast only."""

from __future__ import annotations

import pytest

from backend.forecast.services import forecast_compute
from tests.backend.api.conftest import Api
from tests.backend.forecast.conftest import D, History, local
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Api:
    return Api()


def url(history: History) -> str:
    return f"/api/v1/stations/{history.station.code}/forecast"


def test_before_the_first_night_there_is_no_run_but_the_history(
    api: Api, history: History, supervisor: Person
) -> None:
    body = api.get(url(history), as_=supervisor).json()
    assert body["run"] is None and body["days"] == []
    assert len(body["history"]["deliveries"]) == 56


def test_the_stations_supervisor_reads_the_stored_forecast(
    api: Api, history: History, supervisor: Person
) -> None:
    forecast_compute(station_id=history.station.pk, now=local(history.station, D, 22))
    response = api.get(url(history), as_=supervisor)
    assert response.status_code == 200
    body = response.json()
    assert body["run"]["issued_on"] == D.isoformat()
    assert [d["horizon"] for d in body["days"]] == [1, 2, 3, 4, 5, 6, 7]
    assert body["days"][0]["deliveries_in_transit"] == 1
    assert body["history"]["deliveries"][-2:] == [3, 2]


def test_another_stations_supervisor_and_a_courier_are_refused(
    api: Api, history: History, other_supervisor: Person, courier: tuple[object, Person]
) -> None:
    other = api.get(url(history), as_=other_supervisor)
    assert (other.status_code, other.json()["code"]) == (403, "permission_denied")
    assert api.get(url(history), as_=courier[1]).status_code == 403
    assert api.get("/api/v1/stations/NOPE/forecast", as_=other_supervisor).status_code == 404
