from django.urls import path

from backend.negotiation.api import views

urlpatterns = [
    path(
        "negotiations/<int:negotiation_id>/link",
        views.NegotiationLinkApi.as_view(),
        name="negotiation-link-issue",
    ),
    path("jobs/<int:job_id>/propose", views.JobProposeApi.as_view(), name="negotiation-propose"),
    path("jobs/<int:job_id>/hand-over", views.JobHandOverApi.as_view(), name="negotiation-hand-over"),
    path(
        "supervisor-exceptions/<int:exception_id>/resolve",
        views.SupervisorExceptionResolveApi.as_view(),
        name="supervisor-exception-resolve",
    ),
]
