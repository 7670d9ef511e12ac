from django.urls import path

from backend.shipments.api import couriers, intake, jobs, offline_conflicts, public, shipments, station_jobs

urlpatterns = [
    # courier
    path("me/jobs", jobs.CourierDayApi.as_view(), name="me-jobs"),
    path("jobs/<int:job_id>", jobs.JobDetailApi.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/accept", jobs.JobAcceptApi.as_view(), name="job-accept"),
    path("jobs/<int:job_id>/start", jobs.JobStartApi.as_view(), name="job-start"),
    path("jobs/<int:job_id>/arrive", jobs.JobArriveApi.as_view(), name="job-arrive"),
    path("jobs/<int:job_id>/deliver", jobs.JobDeliverApi.as_view(), name="job-deliver"),
    path("jobs/<int:job_id>/fail", jobs.JobFailApi.as_view(), name="job-fail"),
    # supervisor
    # (jobs/<id>/assign is dispatch's: a supervisor's reassignment, backend/dispatch/api/urls.py)
    path("stations/<str:code>/jobs", station_jobs.StationJobsApi.as_view(), name="station-jobs"),
    path("stations/<str:code>/couriers", couriers.StationCouriersApi.as_view(), name="station-couriers"),
    path("jobs/<int:job_id>/unassign", station_jobs.JobUnassignApi.as_view(), name="job-unassign"),
    path("jobs/<int:job_id>/cancel", station_jobs.JobCancelApi.as_view(), name="job-cancel"),
    path("shipments/<str:tracking_no>", shipments.ShipmentDetailApi.as_view(), name="shipment-detail"),
    path(
        "shipments/<str:tracking_no>/transition",
        shipments.ShipmentTransitionApi.as_view(),
        name="shipment-transition",
    ),
    path("scans", shipments.ScanApi.as_view(), name="scans"),
    path(
        "stations/<str:code>/offline-conflicts",
        offline_conflicts.StationOfflineConflictsApi.as_view(),
        name="station-offline-conflicts",
    ),
    path(
        "offline-conflicts/<int:conflict_id>/resolve",
        offline_conflicts.OfflineConflictResolveApi.as_view(),
        name="offline-conflict-resolve",
    ),
    # intake
    path("stations/<str:code>/shipments", intake.ShipmentCreateApi.as_view(), name="station-shipments"),
    path(
        "stations/<str:code>/shipments/bulk", intake.ShipmentBulkApi.as_view(), name="station-shipments-bulk"
    ),
    # public and reference
    path("track/<str:tracking_no>", public.TrackingApi.as_view(), name="track-public"),
    path("reason-codes", public.ReasonCodesApi.as_view(), name="reason-codes"),
]
