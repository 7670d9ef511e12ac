"""The customer's page (mounted at the site root by backend/urls.py)."""

from django.urls import path

from backend.negotiation import views

urlpatterns = [
    path("n/<str:token>/", views.negotiation_page_view, name="negotiation-page"),
]
