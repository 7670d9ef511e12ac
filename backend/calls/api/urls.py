from django.urls import path

from backend.calls.api import views

urlpatterns = [
    path("jobs/<int:job_id>/call", views.JobCallApi.as_view(), name="job-call"),
]
