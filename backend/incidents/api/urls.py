from django.urls import path

from backend.incidents.api import views

urlpatterns = [
    path("stations/<str:code>/incidents", views.StationIncidentsApi.as_view(), name="station-incidents"),
    path(
        "incidents/<int:incident_id>/acknowledge",
        views.IncidentAcknowledgeApi.as_view(),
        name="incident-acknowledge",
    ),
    path("incidents/<int:incident_id>/resolve", views.IncidentResolveApi.as_view(), name="incident-resolve"),
    path(
        "stations/<str:code>/disruptions", views.StationDisruptionsApi.as_view(), name="station-disruptions"
    ),
    path("disruptions/<int:disruption_id>/lift", views.DisruptionLiftApi.as_view(), name="disruption-lift"),
]
