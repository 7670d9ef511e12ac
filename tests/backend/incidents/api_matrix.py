"""Permission-matrix rows for the incidents' routes (found by tests/backend/api/test_permission_matrix.py).

Raising an incident and declaring a disruption (the POSTs of the station routes, which share their
GET's name) are checked for each role in test_incident_api.py and test_disruptions.py.
"""

from __future__ import annotations

from backend.incidents.services import disruption_declare, incident_raise
from backend.incidents.services.disruptions import DisruptionInput
from backend.incidents.services.incidents import IncidentInput
from tests.backend.api.matrix import Row, World


def _incident(w: World) -> None:
    data = IncidentInput(incident_type="weather_road", description="积水")
    w.extra["incident"] = incident_raise(station_id=w.station.pk, data=data, ctx=w.supervisor.ctx).pk


def _disruption(w: World) -> None:
    data = DisruptionInput(
        kind="road_closure", level=4, reason="封路", address_prefixes=["杭州市西湖区教工路"]
    )
    w.extra["disruption"] = disruption_declare(station_id=w.station.pk, data=data, ctx=w.supervisor.ctx).pk


ROWS: dict[str, Row] = {
    #                                                                anon c_own c_other s_own s_other admin
    "station-incidents": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/incidents", "401 403w 403w 200 403p 200"
    ),
    "incident-acknowledge": Row(
        "post",
        lambda w: f"/api/v1/incidents/{w.extra['incident']}/acknowledge",
        "401 403w 403w 200 403p 200",
        setup=_incident,
    ),
    "incident-resolve": Row(
        "post",
        lambda w: f"/api/v1/incidents/{w.extra['incident']}/resolve",
        "401 403w 403w 200 403p 200",
        body=lambda w: {"resolution": "closed", "note": "路面已恢复"},
        setup=_incident,
    ),
    "station-disruptions": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/disruptions", "401 403w 403w 200 403p 200"
    ),
    "disruption-lift": Row(
        "post",
        lambda w: f"/api/v1/disruptions/{w.extra['disruption']}/lift",
        "401 403w 403w 200 403p 200",
        setup=_disruption,
    ),
}
