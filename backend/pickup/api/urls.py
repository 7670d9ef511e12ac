from django.urls import path

from backend.pickup.api import complete, views

urlpatterns = [
    path(
        "jobs/<int:job_id>/complete-pickup",
        complete.JobCompletePickupApi.as_view(),
        name="job-complete-pickup",
    ),
    path("quotes", views.QuoteApi.as_view(), name="pickup-quotes"),
    path("tariffs/<str:origin>", views.TariffBookApi.as_view(), name="pickup-tariffs"),
    path("shipments/<str:tracking_no>/label", views.ShipmentLabelApi.as_view(), name="pickup-shipment-label"),
    path("shipments/<str:tracking_no>/print", views.ShipmentPrintApi.as_view(), name="pickup-shipment-print"),
]
