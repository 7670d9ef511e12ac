from django.urls import path

from backend.cod.api import views

urlpatterns = [
    path("cod/holding", views.HoldingApi.as_view(), name="cod-holding"),
    path("cod/declarations", views.DeclarationApi.as_view(), name="cod-declarations"),
    path("cod/handovers", views.HandoverApi.as_view(), name="cod-handovers"),
    path("cod/variances/<int:variance_id>/sign", views.VarianceSignApi.as_view(), name="cod-variance-sign"),
    path(
        "cod/collections/<int:collection_id>/corrections",
        views.CorrectionApi.as_view(),
        name="cod-collection-corrections",
    ),
    path("cod/shift-close", views.ShiftCloseApi.as_view(), name="cod-shift-close"),
    path("cod/report", views.ReportApi.as_view(), name="cod-report"),
    path("cod/report.csv", views.ReportCsvApi.as_view(), name="cod-report-csv"),
]
