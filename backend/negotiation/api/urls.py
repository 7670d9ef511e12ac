from django.urls import path

from backend.negotiation.api import views

urlpatterns = [
    path(
        "negotiations/<int:negotiation_id>/link",
        views.NegotiationLinkApi.as_view(),
        name="negotiation-link-issue",
    ),
    path("jobs/<int:job_id>/propose", views.JobProposeApi.as_view(), name="negotiation-propose"),
]
