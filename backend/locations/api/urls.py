from django.urls import path

from backend.locations.api.views import LocationRecordApi

urlpatterns = [
    path("locations", LocationRecordApi.as_view(), name="locations-record"),
]
