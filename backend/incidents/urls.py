"""The customer's complaint form (mounted at the site root by backend/urls.py, beside the page)."""

from django.urls import path

from backend.incidents import views

urlpatterns = [
    path("n/<str:token>/complaint", views.complaint_view, name="incident-complaint"),
]
