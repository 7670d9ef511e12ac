from django.urls import path

from backend.dispatch.api import views

urlpatterns = [
    path("stations/<str:code>/plan", views.StationPlanApi.as_view(), name="dispatch-station-plan"),
    path(
        "stations/<str:code>/assignment-decisions",
        views.StationDecisionsApi.as_view(),
        name="dispatch-station-decisions",
    ),
    path(
        "stations/<str:code>/unassigned",
        views.StationUnassignedApi.as_view(),
        name="dispatch-station-unassigned",
    ),
    path(
        "couriers/<int:courier_id>/replan", views.CourierReplanApi.as_view(), name="dispatch-courier-replan"
    ),
    path("couriers/<int:courier_id>/plan", views.CourierPlanApi.as_view(), name="dispatch-courier-plan"),
    path(
        "couriers/<int:courier_id>/unavailable-preview",
        views.CourierUnavailablePreviewApi.as_view(),
        name="dispatch-courier-unavailable-preview",
    ),
    path(
        "couriers/<int:courier_id>/unavailable",
        views.CourierUnavailableApi.as_view(),
        name="dispatch-courier-unavailable",
    ),
    path("jobs/<int:job_id>/auto-assign", views.JobAutoAssignApi.as_view(), name="dispatch-job-auto-assign"),
    path("jobs/<int:job_id>/assign", views.JobAssignApi.as_view(), name="job-assign"),
    path("reassignments", views.ReassignmentsApi.as_view(), name="dispatch-reassignments"),
]
