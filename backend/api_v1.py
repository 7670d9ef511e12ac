"""Version 1 of the REST API: each app's routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.accounts.api.urls")),
    path("", include("backend.shipments.api.urls")),
    path("", include("backend.couriers.api.urls")),
    path("", include("backend.sync.api.urls")),
    path("", include("backend.locations.api.urls")),
    path("", include("backend.waybills.api.urls")),
    path("", include("backend.pickup.api.urls")),
    path("", include("backend.dispatch.api.urls")),
    path("", include("backend.negotiation.api.urls")),
    path("", include("backend.notify.api.urls")),
    path("", include("backend.calls.api.urls")),
    path("", include("backend.cod.api.urls")),
    path("", include("backend.incidents.api.urls")),
    path("", include("backend.forecast.api.urls")),
]
