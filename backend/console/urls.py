from django.urls import include, path

from backend.console import views

app_name = "console"

urlpatterns = [
    path("", views.front_door, name="front-door"),
    path("console/", views.home, name="home"),
    path("console/logout/", views.sign_out, name="logout"),
    path("console/i18n/", include("django.conf.urls.i18n")),  # set_language: the user's choice
    path("console/<str:code>/", views.board, name="board"),
    path("console/<str:code>/cards", views.cards, name="cards"),
    path("console/<str:code>/lane", views.lane, name="lane"),
    path("console/<str:code>/reassign", views.reassign, name="reassign"),
]

from backend.console import kpi_views  # noqa: E402  (appended: the KPI page)

urlpatterns += [path("console/<str:code>/kpis/", kpi_views.kpis, name="kpis")]
# The exceptions queue, shipment search and the shipment page (backend/console/exceptions_views.py,
# search_views.py).
from backend.console import exceptions_views, search_views  # noqa: E402

urlpatterns += [
    path("console/<str:code>/exceptions/", exceptions_views.exceptions, name="exceptions"),
    path("console/<str:code>/exceptions/resolve", exceptions_views.resolve, name="exception-resolve"),
    path("console/<str:code>/search/", search_views.search, name="search"),
    path("console/<str:code>/shipments/<str:tracking_no>/", search_views.shipment, name="shipment"),
    path(
        "console/<str:code>/shipments/<str:tracking_no>/reveal", search_views.reveal, name="shipment-reveal"
    ),
    path(
        "console/<str:code>/shipments/<str:tracking_no>/propose",
        search_views.propose,
        name="shipment-propose",
    ),
    path("console/<str:code>/media/<str:sha256>", search_views.media, name="media"),
]
from backend.console import unavailable  # noqa: E402  (appended: the board's "courier unavailable")

urlpatterns += [
    path(
        "console/<str:code>/unavailable/<int:courier_id>/preview",
        unavailable.unavailable_preview,
        name="unavailable-preview",
    ),
    path(
        "console/<str:code>/unavailable/<int:courier_id>", unavailable.unavailable_apply, name="unavailable"
    ),
]

from backend.console import unassign  # noqa: E402  (appended: dropping cards on the unassigned lane)

urlpatterns += [path("console/<str:code>/unassign", unassign.unassign, name="unassign")]

from backend.console import forecast_views  # noqa: E402  (appended: the volume forecast page)

urlpatterns += [path("console/<str:code>/forecast/", forecast_views.forecast, name="forecast")]

from backend.console import ops_views  # noqa: E402  (appended: incidents, disruptions, cash pages)

urlpatterns += [
    path("console/<str:code>/incidents/", ops_views.incidents, name="incidents"),
    path("console/<str:code>/incidents/<int:incident_id>/ack", ops_views.incident_ack, name="incident-ack"),
    path(
        "console/<str:code>/incidents/<int:incident_id>/resolve",
        ops_views.incident_decide,
        name="incident-resolve",
    ),
    path("console/<str:code>/disruptions/", ops_views.disruptions, name="disruptions"),
    path("console/<str:code>/disruptions/new", ops_views.disruption_new, name="disruption-new"),
    path(
        "console/<str:code>/disruptions/<int:disruption_id>/release",
        ops_views.disruption_release,
        name="disruption-release",
    ),
    path("console/<str:code>/cash/", ops_views.cash, name="cash"),
    path("console/<str:code>/cash/confirm", ops_views.cash_confirm, name="cash-confirm"),
]

from backend.console import counter_views  # noqa: E402  (appended: the station counter)

urlpatterns += [
    path("console/<str:code>/counter/", counter_views.counter, name="counter"),
    path("console/<str:code>/counter/hand-over", counter_views.counter_hand_over, name="counter-hand-over"),
]
